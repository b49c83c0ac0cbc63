"""CLB instance actions: create, describe, delete, status, name, deletion protection and billing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...core import action, paginate, rendered_list
from ...errors import InvalidParameter
from ...params import Params
from .. import responses as wire
from ..exceptions import InvalidBandwidth, InvalidParameterDetail, Ipv6NotOffered
from ..models import billing, load_balancers
from ..models.base import LB_KIND, get_lb, live_backends
from ..models.load_balancers import LoadBalancer, Settings

if TYPE_CHECKING:
    from ...core import Cloud


def _name(p: Params, required: bool = False) -> str | None:
    """1-80 characters (CreateLoadBalancer / SetLoadBalancerName LoadBalancerName)."""
    return wire.text(p, "LoadBalancerName", 80, required=required)


@action("slb", "CreateLoadBalancer")
def create_load_balancer(cloud: Cloud, p: Params) -> dict[str, Any]:
    region = cloud.region(p)

    def create() -> dict[str, Any]:
        vswitch_id = p.text("VSwitchId")
        # With a vSwitch the instance defaults to intranet (CreateLoadBalancer AddressType docstring).
        address_type = (
            p.text("AddressType", choices=("internet", "intranet"), default="intranet" if vswitch_id else "internet")
            or ""
        )
        if p.text("AddressIPVersion", default="ipv4", choices=("ipv4", "ipv6")) == "ipv6":
            raise Ipv6NotOffered()
        pay_type = p.text("PayType", default="PayOnDemand", choices=("PayOnDemand", "PrePay")) or ""
        charge = p.text("InstanceChargeType", choices=("PayBySpec", "PayByCLCU"))
        spec = p.text("LoadBalancerSpec", choices=billing.SPECS)
        internet_charge = (
            p.text("InternetChargeType", default="paybytraffic", choices=("paybytraffic", "paybybandwidth")) or ""
        )
        if pay_type == "PayOnDemand":
            # Pay-by-specification is no longer sold (2025-06-01): a new pay-as-you-go instance is pay-by-LCU.
            charge = billing.check_pay_as_you_go(charge, spec, internet_charge)
        else:
            charge = charge or "PayBySpec"
        settings: Settings = {
            "name": _name(p),
            "address_type": address_type,
            "instance_charge_type": charge,
            "spec": spec if charge == "PayBySpec" else None,
            "internet_charge_type": internet_charge,
            "bandwidth": p.integer("Bandwidth", default=5120, min=1, max=5120) or 5120,
            "pay_type": pay_type,
            "resource_group_id": p.text("ResourceGroupId", default="rg-acfmlocalcloud") or "",
            "delete_protection": p.text("DeleteProtection", default="off", choices=("on", "off")) == "on",
            "modification_protection_status": p.text(
                "ModificationProtectionStatus", default="NonProtection", choices=("NonProtection", "ConsoleProtection")
            )
            or "",
            "modification_protection_reason": wire.text(p, "ModificationProtectionReason", 80) or "",
        }
        new_tags = wire.parse_tags(p)
        lb = load_balancers.create_load_balancer(
            cloud,
            region,
            settings,
            new_tags,
            vswitch_id,
            p.text("VpcId"),
            p.text("Address"),
            p.text("MasterZoneId"),
            p.text("SlaveZoneId"),
        )
        return {
            "LoadBalancerId": lb["id"],
            "LoadBalancerName": lb["name"],
            "Address": lb["address"],
            "AddressIPVersion": lb["address_ip_version"],
            "NetworkType": lb["network_type"],
            "VpcId": lb["vpc_id"],
            "VSwitchId": lb["vswitch_id"],
            "ResourceGroupId": lb["resource_group_id"],
            "OrderId": lb["order_id"],
        }

    return cloud.idempotent("slb", "CreateLoadBalancer", p, create)


def _tags_json_filter(lbs: list[LoadBalancer], p: Params) -> list[LoadBalancer]:
    """DescribeLoadBalancers `Tags`: a JSON list of {TagKey, TagValue} (or an object), up to 10 pairs."""
    raw = p.json("Tags")
    if raw is None:
        return lbs
    if isinstance(raw, dict):
        pairs = list(raw.items())
    elif isinstance(raw, list) and all(isinstance(x, dict) for x in raw):
        pairs = [(x.get("TagKey", x.get("tagKey")), x.get("TagValue", x.get("tagValue"))) for x in raw]
    else:
        raise InvalidParameter("Tags")
    if len(pairs) > 10:
        raise InvalidParameterDetail(name="Tags", detail="at most 10 tags.")
    return [lb for lb in lbs if all(k in lb["tags"] and (v in (None, "") or lb["tags"][k] == v) for k, v in pairs)]


_FILTERS = (
    ("LoadBalancerStatus", "status"),
    ("AddressType", "address_type"),
    ("Address", "address"),
    ("AddressIPVersion", "address_ip_version"),
    ("NetworkType", "network_type"),
    ("VpcId", "vpc_id"),
    ("VSwitchId", "vswitch_id"),
    ("MasterZoneId", "master_zone"),
    ("SlaveZoneId", "slave_zone"),
    ("ResourceGroupId", "resource_group_id"),
    ("InternetChargeType", "internet_charge_type"),
    ("PayType", "pay_type"),
)


@action("slb", "DescribeLoadBalancers")
def describe_load_balancers(cloud: Cloud, p: Params) -> dict[str, Any]:
    region = cloud.region(p)
    lbs = load_balancers.load_balancers_in(cloud, region)
    ids = wire.id_list(p, "LoadBalancerId", 10)
    if ids:
        lbs = [lb for lb in lbs if lb["id"] in ids]
    names = wire.id_list(p, "LoadBalancerName", 10)
    if names:
        lbs = [lb for lb in lbs if lb["name"] in names]
    for param, fld in _FILTERS:
        value = p.text(param)
        if value is not None:
            lbs = [lb for lb in lbs if str(lb.get(fld, "")).lower() == value.lower()]
    server_id = p.text("ServerId")
    if server_id:
        lbs = [lb for lb in lbs if any(b["server_id"] == server_id for b in live_backends(cloud, lb))]
    addresses = p.text("ServerIntranetAddress")
    if addresses:
        wanted = {a.strip() for a in addresses.split(",")}
        lbs = [
            lb
            for lb in lbs
            if any(
                (cloud.store.get("instance", b["server_id"]) or {}).get("private_ip") in wanted
                for b in live_backends(cloud, lb)
            )
        ]
    lbs = wire.tag_filter(_tags_json_filter(lbs, p), p)
    lbs.sort(key=lambda lb: (lb["created"], lb["id"]))
    if "PageSize" in p or "PageNumber" in p:
        page, meta = paginate(lbs, p, default_size=10, max_size=100)
    else:
        # Without paging parameters every instance is returned (CHOICES.md).
        page, meta = lbs, {"TotalCount": len(lbs), "PageNumber": 1, "PageSize": max(len(lbs), 10)}
    entries = rendered_list(
        cloud, LB_KIND, page, "DescribeLoadBalancers", lambda lb: load_balancers.render_lb(cloud, lb)
    )
    return {**meta, "LoadBalancers": {"LoadBalancer": entries}}


@action("slb", "DescribeLoadBalancerAttribute")
def describe_load_balancer_attribute(cloud: Cloud, p: Params) -> dict[str, Any]:
    return load_balancers.render_lb_attribute(cloud, wire.lb_from_params(cloud, p))


@action("slb", "DeleteLoadBalancer")
def delete_load_balancer(cloud: Cloud, p: Params) -> dict[str, Any]:
    load_balancers.delete_load_balancer(cloud, wire.lb_from_params(cloud, p))
    return {}


@action("slb", "SetLoadBalancerDeleteProtection")
def set_load_balancer_delete_protection(cloud: Cloud, p: Params) -> dict[str, Any]:
    region = cloud.region(p)
    lb = get_lb(cloud, p.text("LoadBalancerId", required=True), region)
    value = p.text("DeleteProtection", required=True, choices=("on", "off"))
    load_balancers.set_delete_protection(cloud, lb, value == "on")
    return {}


@action("slb", "SetLoadBalancerStatus")
def set_load_balancer_status(cloud: Cloud, p: Params) -> dict[str, Any]:
    lb = wire.lb_from_params(cloud, p)
    status = p.text("LoadBalancerStatus", required=True, choices=("active", "inactive")) or ""
    load_balancers.set_load_balancer_status(cloud, lb, status)
    return {}


@action("slb", "SetLoadBalancerName")
def set_load_balancer_name(cloud: Cloud, p: Params) -> dict[str, Any]:
    lb = wire.lb_from_params(cloud, p)
    load_balancers.set_load_balancer_name(cloud, lb, _name(p, required=True) or "")
    return {}


@action("slb", "ModifyLoadBalancerInstanceChargeType")
def modify_load_balancer_instance_charge_type(cloud: Cloud, p: Params) -> dict[str, Any]:
    region = cloud.region(p)
    lb = get_lb(cloud, p.text("LoadBalancerId", required=True), region)
    charge = p.text("InstanceChargeType", required=True) or ""
    internet_charge = p.text("InternetChargeType")
    p.text("LoadBalancerSpec", choices=billing.SPECS)  # "you do not need to set this parameter"
    p.integer("Bandwidth", min=1, max=5120)
    billing.change_to_pay_by_lcu(cloud, lb, charge, internet_charge)
    return {}


@action("slb", "ModifyLoadBalancerInternetSpec")
def modify_load_balancer_internet_spec(cloud: Cloud, p: Params) -> dict[str, Any]:
    """Change InternetChargeType and/or Bandwidth of an internet CLB in place."""
    lb = wire.lb_from_params(cloud, p)
    charge = p.text("InternetChargeType", choices=("paybybandwidth", "paybytraffic"))
    raw = p.raw.get("Bandwidth")
    bandwidth: int | None = None
    if raw not in (None, ""):
        try:
            bandwidth = int(raw or "")
        except ValueError:
            bandwidth = 0
        if not 1 <= bandwidth <= billing.MAX_BANDWIDTH:
            raise InvalidBandwidth()
    p.flag("AutoPay")
    billing.modify_internet_spec(cloud, lb, charge, bandwidth)
    return {}
