"""SLB 2014-05-15 instance actions: create, describe, delete, status, name and deletion protection."""
from __future__ import annotations

from ..core import action, paginate, rendered_list
from ..errors import CloudError
from ..params import Params
from . import common, models
from .common import LB_KIND


def _name(p: Params, required: bool = False) -> str | None:
    """1-80 characters (CreateLoadBalancer / SetLoadBalancerName LoadBalancerName)."""
    return common.text(p, "LoadBalancerName", 80, required=required)


@action("slb", "CreateLoadBalancer")
def create_load_balancer(cloud, p: Params) -> dict:
    region = cloud.region(p)

    def create():
        vswitch_id = p.text("VSwitchId")
        # With a vSwitch the instance defaults to intranet (CreateLoadBalancer AddressType docstring).
        address_type = p.text("AddressType", choices=("internet", "intranet"),
                             default="intranet" if vswitch_id else "internet")
        if p.text("AddressIPVersion", default="ipv4", choices=("ipv4", "ipv6")) == "ipv6":
            raise CloudError("InvalidParameter", "IPv6 instances are not offered in this region.", 400)
        pay_type = p.text("PayType", default="PayOnDemand", choices=("PayOnDemand", "PrePay"))
        charge = p.text("InstanceChargeType", choices=("PayBySpec", "PayByCLCU"))
        spec = p.text("LoadBalancerSpec", choices=models.SPECS)
        internet_charge = p.text("InternetChargeType", default="paybytraffic",
                                choices=("paybytraffic", "paybybandwidth"))
        if pay_type == "PayOnDemand":
            # Pay-by-specification is no longer sold (2025-06-01): a new pay-as-you-go instance is pay-by-LCU.
            charge = models.check_pay_as_you_go(charge, spec, internet_charge)
        else:
            charge = charge or "PayBySpec"
        attrs = {
            "name": _name(p), "address_type": address_type, "instance_charge_type": charge,
            "spec": spec if charge == "PayBySpec" else None,
            "internet_charge_type": internet_charge,
            "bandwidth": p.integer("Bandwidth", default=5120, min=1, max=5120),
            "pay_type": pay_type,
            "resource_group_id": p.text("ResourceGroupId", default="rg-acfmlocalcloud"),
            "delete_protection": p.text("DeleteProtection", default="off", choices=("on", "off")) == "on",
            "modification_protection_status": p.text("ModificationProtectionStatus", default="NonProtection",
                                                    choices=("NonProtection", "ConsoleProtection")),
            "modification_protection_reason": common.text(p, "ModificationProtectionReason", 80) or "",
        }
        new_tags = common.parse_tags(p)
        place = models.placement(cloud, region, vswitch_id, p.text("VpcId"), address_type, p.text("Address"))
        attrs["master_zone"], attrs["slave_zone"] = models.zones_for(
            region, place["zone"], p.text("MasterZoneId"), p.text("SlaveZoneId"))
        lb = models.create_lb(cloud, region, attrs, place, new_tags)
        return {"LoadBalancerId": lb["id"], "LoadBalancerName": lb["name"], "Address": lb["address"],
                "AddressIPVersion": lb["address_ip_version"], "NetworkType": lb["network_type"],
                "VpcId": lb["vpc_id"], "VSwitchId": lb["vswitch_id"], "ResourceGroupId": lb["resource_group_id"],
                "OrderId": lb["order_id"]}

    return cloud.idempotent("slb", "CreateLoadBalancer", p, create)


def _tags_json_filter(lbs: list[dict], p: Params) -> list[dict]:
    """DescribeLoadBalancers `Tags`: a JSON list of {TagKey, TagValue} (or an object), up to 10 pairs."""
    raw = p.json("Tags")
    if raw is None:
        return lbs
    if isinstance(raw, dict):
        pairs = list(raw.items())
    elif isinstance(raw, list) and all(isinstance(x, dict) for x in raw):
        pairs = [(x.get("TagKey", x.get("tagKey")), x.get("TagValue", x.get("tagValue"))) for x in raw]
    else:
        raise CloudError("InvalidParameter", 'The specified parameter "Tags" is not valid.', 400)
    if len(pairs) > 10:
        raise CloudError("InvalidParameter", 'The specified parameter "Tags" is not valid: at most 10 tags.', 400)
    return [lb for lb in lbs if all(k in lb["tags"] and (v in (None, "") or lb["tags"][k] == v) for k, v in pairs)]


@action("slb", "DescribeLoadBalancers")
def describe_load_balancers(cloud, p: Params) -> dict:
    region = cloud.region(p)
    lbs = [lb for lb in cloud.store.all(LB_KIND) if lb["region"] == region]
    ids = common.id_list(p, "LoadBalancerId", 10)
    if ids:
        lbs = [lb for lb in lbs if lb["id"] in ids]
    names = common.id_list(p, "LoadBalancerName", 10)
    if names:
        lbs = [lb for lb in lbs if lb["name"] in names]
    for param, fld in (("LoadBalancerStatus", "status"), ("AddressType", "address_type"), ("Address", "address"),
                       ("AddressIPVersion", "address_ip_version"), ("NetworkType", "network_type"),
                       ("VpcId", "vpc_id"), ("VSwitchId", "vswitch_id"), ("MasterZoneId", "master_zone"),
                       ("SlaveZoneId", "slave_zone"), ("ResourceGroupId", "resource_group_id"),
                       ("InternetChargeType", "internet_charge_type"), ("PayType", "pay_type")):
        value = p.text(param)
        if value is not None:
            lbs = [lb for lb in lbs if str(lb.get(fld, "")).lower() == value.lower()]
    if p.text("ServerId"):
        lbs = [lb for lb in lbs if any(b["server_id"] == p.text("ServerId") for b in models.live_backends(cloud, lb))]
    if p.text("ServerIntranetAddress"):
        wanted = {a.strip() for a in p.text("ServerIntranetAddress").split(",")}
        lbs = [lb for lb in lbs if any((cloud.store.get("instance", b["server_id"]) or {}).get("private_ip")
                                       in wanted for b in models.live_backends(cloud, lb))]
    lbs = common.tag_filter(_tags_json_filter(lbs, p), p)
    lbs.sort(key=lambda lb: (lb["created"], lb["id"]))
    if "PageSize" in p or "PageNumber" in p:
        page, meta = paginate(lbs, p, default_size=10, max_size=100)
    else:
        # Without paging parameters every instance is returned (CHOICES.md).
        page, meta = lbs, {"TotalCount": len(lbs), "PageNumber": 1, "PageSize": max(len(lbs), 10)}
    entries = rendered_list(cloud, LB_KIND, page, "DescribeLoadBalancers", lambda lb: models.render_lb(cloud, lb))
    return {**meta, "LoadBalancers": {"LoadBalancer": entries}}


@action("slb", "DescribeLoadBalancerAttribute")
def describe_load_balancer_attribute(cloud, p: Params) -> dict:
    lb = common.lb_from_params(cloud, p)
    return models.render_lb_attribute(cloud, lb)


@action("slb", "DeleteLoadBalancer")
def delete_load_balancer(cloud, p: Params) -> dict:
    models.delete_lb(cloud, common.lb_from_params(cloud, p))
    return {}


@action("slb", "SetLoadBalancerDeleteProtection")
def set_load_balancer_delete_protection(cloud, p: Params) -> dict:
    region = cloud.region(p)
    lb = common.get_lb(cloud, p.text("LoadBalancerId", required=True), region)
    value = p.text("DeleteProtection", required=True, choices=("on", "off"))
    if lb["pay_type"] == "PrePay":
        raise CloudError("OperationUnsupported.DeleteProtectionForPrePayInstance",
                         "Deletion protection is not supported for subscription instances.", 400)
    lb["delete_protection"] = value == "on"
    cloud.store.put(LB_KIND, lb)
    return {}


@action("slb", "SetLoadBalancerStatus")
def set_load_balancer_status(cloud, p: Params) -> dict:
    lb = common.lb_from_params(cloud, p)
    models.set_status(cloud, lb, p.text("LoadBalancerStatus", required=True, choices=("active", "inactive")))
    return {}


@action("slb", "ModifyLoadBalancerInstanceChargeType")
def modify_load_balancer_instance_charge_type(cloud, p: Params) -> dict:
    region = cloud.region(p)
    lb = common.get_lb(cloud, p.text("LoadBalancerId", required=True), region)
    charge = p.text("InstanceChargeType", required=True)
    internet_charge = p.text("InternetChargeType")
    p.text("LoadBalancerSpec", choices=models.SPECS)        # "you do not need to set this parameter"
    p.integer("Bandwidth", min=1, max=5120)
    models.change_to_pay_by_lcu(cloud, lb, charge, internet_charge)
    return {}


@action("slb", "SetLoadBalancerName")
def set_load_balancer_name(cloud, p: Params) -> dict:
    lb = common.lb_from_params(cloud, p)
    lb["name"] = _name(p, required=True)
    cloud.store.put(LB_KIND, lb)
    return {}

