"""CLB instance state: creation in a VPC or on the internet, status, protection, deletion, rendering."""
from __future__ import annotations

import random

from .. import catalog
from ..core import iso_seconds, new_id
from ..errors import CloudError
from ..slb import answer_order
from ..vpc.models import cidr as cidrs
from ..vpc.models.vswitches import used_addresses
from .common import LB_KIND, LISTENER_KIND, allocate_address, listeners_of, render_tags, visible_listeners_of

SPECS = ("slb.s1.small", "slb.s2.small", "slb.s2.medium", "slb.s3.small", "slb.s3.medium", "slb.s3.large")
ELASTIC_SPEC = "slb.lcu.elastic"       # what a pay-by-LCU instance reports as its spec
NEVER = "2999-09-08T16:00:00Z"         # EndTime of pay-as-you-go instances
NEVER_MS = 32493801600000


def placement(cloud, region: str, vswitch_id: str | None, vpc_id: str | None, address_type: str,
              address: str | None) -> dict:
    """Where the instance lives: a vSwitch of a VPC (network type vpc) or the classic internet side."""
    if not vswitch_id:
        if address_type == "intranet":
            # An internal instance needs a vSwitch: accounts today have no classic network (CHOICES.md).
            raise CloudError("InvalidParameter", 'The specified parameter "VSwitchId" is required for an '
                                                 "intranet instance.", 400)
        return {"network_type": "classic", "vpc_id": "", "vswitch_id": "", "zone": None}
    vsw = cloud.store.get("vswitch", vswitch_id)
    if vsw is None or vsw["region"] != region:
        # The documented answer for a missing subnet (DOCS-SLB common error codes).
        raise CloudError("ServiceUnavailable", "The vpc subnet is not exist.", 400)
    if vpc_id and vpc_id != vsw["vpc_id"]:
        raise CloudError("InvalidParameter", "The specified VSwitchId does not belong to the specified VpcId.", 400)
    vpc = cloud.store.get("vpc", vsw["vpc_id"]) or {}
    if vsw["status"] != "Available" or vpc.get("status") != "Available":
        raise CloudError("VpcStatusError", "the specified vpc status is creating.", 400)
    if address_type == "intranet":
        if address and not cidrs.contains(vsw["cidr"], address):
            raise CloudError("InvalidParameter", "Illegal parameter. The IP address is not in subnet.", 400)
        if used_addresses(cloud, vsw["id"]) >= cidrs.usable_addresses(vsw["cidr"]):
            raise CloudError("ServiceUnavailable", "The vpc subnet is not exist.", 400)
    return {"network_type": "vpc", "vpc_id": vsw["vpc_id"], "vswitch_id": vsw["id"], "zone": vsw["zone"]}


def zones_for(region: str, home_zone: str | None, master: str | None, slave: str | None) -> tuple[str, str]:
    zones = sorted(catalog.zones(region))
    for name, value in (("MasterZoneId", master), ("SlaveZoneId", slave)):
        if value is not None and value not in zones:
            raise CloudError("InvalidParameter", f'The specified parameter "{name}" is not valid.', 400)
    if master and home_zone and master != home_zone:
        raise CloudError("InvalidParameter", 'The specified parameter "MasterZoneId" must be the zone of '
                                             "the vSwitch.", 400)
    master = master or home_zone or zones[0]
    slave = slave or next((z for z in zones if z != master), master)
    if slave == master and len(zones) > 1:
        raise CloudError("InvalidParameter", 'The specified parameter "SlaveZoneId" is not valid.', 400)
    return master, slave


def create_lb(cloud, region: str, attrs: dict, place: dict, new_tags: dict) -> dict:
    lb_id = new_id("lb", region)
    lb = {
        "id": lb_id, "region": region, "created": cloud.clock.now(), "tags": new_tags,
        "name": attrs["name"] or f"auto_named_slb_{lb_id[-6:]}", "description": "",
        "address": allocate_address(cloud), "address_type": attrs["address_type"],
        "address_ip_version": "ipv4", "network_type": place["network_type"],
        "vpc_id": place["vpc_id"], "vswitch_id": place["vswitch_id"],
        "spec": attrs["spec"] or "", "instance_charge_type": attrs["instance_charge_type"],
        "internet_charge_type": attrs["internet_charge_type"], "bandwidth": attrs["bandwidth"],
        "pay_type": attrs["pay_type"], "master_zone": attrs["master_zone"], "slave_zone": attrs["slave_zone"],
        "resource_group_id": attrs["resource_group_id"], "delete_protection": attrs["delete_protection"],
        "modification_protection_status": attrs["modification_protection_status"],
        "modification_protection_reason": attrs["modification_protection_reason"],
        "order_id": random.randint(10**14, 10**15 - 1), "backends": [],
        # Provisioning: the instance reads inactive until it is set up, then active (CHOICES.md).
        "status": "inactive",
    }
    cloud.store.put(LB_KIND, lb)
    cloud.schedule(LB_KIND, lb, [("slb.create", "status", "active")])
    return lb


def _not_allowed(message: str) -> CloudError:
    # Operation.NotAllowed (400) is CreateLoadBalancer's documented code for a charge-type combination
    # that is not sold; no page gives the code of the pay-by-specification refusal (CHOICES.md).
    return CloudError("Operation.NotAllowed", message, 400)


def check_pay_as_you_go(charge: str | None, spec: str | None, internet_charge: str) -> str:
    """The metering method of a new pay-as-you-go instance: pay-by-LCU only. Pay-by-specification
    instances are no longer sold (CreateLoadBalancer page: since 2025-06-01 00:00 UTC+8), and the SDK
    docstring still says an omitted InstanceChargeType means PayBySpec, so that too is refused."""
    if charge in (None, "PayBySpec"):
        given = "InstanceChargeType PayBySpec" if charge else "no InstanceChargeType (the default is PayBySpec)"
        raise _not_allowed(f"The request asks for a pay-by-specification instance ({given}"
                           + (f", LoadBalancerSpec {spec}" if spec else "") + "): pay-by-specification CLB "
                           "instances are no longer available for purchase since 2025-06-01; set InstanceChargeType "
                           "to PayByCLCU and omit LoadBalancerSpec.")
    if spec:
        raise _not_allowed(f"LoadBalancerSpec {spec} applies only to pay-by-specification instances, which are no "
                           "longer available for purchase; a PayByCLCU instance takes no LoadBalancerSpec.")
    if internet_charge != "paybytraffic":
        # "If PayType is PayOnDemand and InstanceChargeType is PayByCLCU, the only valid value is paybytraffic."
        raise _not_allowed("The InternetChargeType of a pay-by-LCU instance can only be paybytraffic.")
    return "PayByCLCU"


def change_to_pay_by_lcu(cloud, lb: dict, charge: str, internet_charge: str | None) -> None:
    """ModifyLoadBalancerInstanceChargeType: pay-by-specification -> pay-by-LCU, never back."""
    if charge == "PayBySpec":
        raise _not_allowed("The metering method cannot be changed from pay-by-LCU to pay-by-specification.")
    if charge != "PayByCLCU":
        raise CloudError("InvalidParameter", 'The specified parameter "InstanceChargeType" is not valid.', 400)
    if internet_charge not in (None, "paybytraffic"):
        raise CloudError("InvalidParameter", 'The specified parameter "InternetChargeType" is not valid: a '
                                             "pay-by-LCU instance is billed by traffic.", 400)
    if lb["pay_type"] != "PayOnDemand":
        raise _not_allowed("Only the metering method of a pay-as-you-go instance can be changed.")
    # Already pay-by-LCU: nothing to change (a retry whose first answer was lost succeeds; CHOICES.md).
    lb.update(instance_charge_type="PayByCLCU", spec="", internet_charge_type="paybytraffic")
    cloud.store.put(LB_KIND, lb)


def make_pay_by_spec(cloud, lb: dict, spec: str) -> None:
    """Control API only: the instance becomes one bought before pay-by-specification left sale."""
    if spec not in SPECS:
        raise ValueError(f"spec must be one of {', '.join(SPECS)}")
    if lb["pay_type"] != "PayOnDemand":
        raise ValueError("only a pay-as-you-go instance can be pay-by-specification")
    lb.update(instance_charge_type="PayBySpec", spec=spec)
    cloud.store.put(LB_KIND, lb)


def set_status(cloud, lb: dict, status: str) -> None:
    lb["_timeline"] = []          # an explicit status wins over the end of provisioning
    cloud.set_field(LB_KIND, lb, "status", status)


def delete_lb(cloud, lb: dict) -> None:
    if lb["delete_protection"]:
        # DeleteLoadBalancer help page (alibabacloud.com/help/en/server-load-balancer/latest/deleteloadbalancer-2).
        raise CloudError("OperationDenied.DeleteProtectionIsOn",
                         "The loadbalancer can't be deleted due to DeleteProtection is enabled.", 400)
    # Listeners and tags go with the instance (DeleteLoadBalancer docs).
    for lst in listeners_of(cloud, lb["id"]):
        cloud.release(LISTENER_KIND, lst)
    from .vserver_groups import release_with_lb     # vServer groups go with the instance too
    release_with_lb(cloud, lb)
    cloud.release(LB_KIND, lb)


def live_backends(cloud, lb: dict) -> list[dict]:
    """Attached servers whose instance still exists: a released ECS instance leaves the backend list."""
    return [b for b in lb.get("backends") or [] if cloud.store.get("instance", b["server_id"]) is not None]


# rendering -------------------------------------------------------------------------------------
def _charge_alias(value: str) -> str:
    return {"paybytraffic": "PayByTraffic", "paybybandwidth": "PayByBandwidth"}.get(value, value)


def _common(cloud, lb: dict) -> dict:
    created = lb["created"]
    return {
        "LoadBalancerId": lb["id"], "LoadBalancerName": lb["name"], "LoadBalancerStatus": lb["status"],
        "Address": lb["address"], "AddressType": lb["address_type"], "AddressIPVersion": lb["address_ip_version"],
        "NetworkType": lb["network_type"], "VpcId": lb["vpc_id"], "VSwitchId": lb["vswitch_id"],
        "MasterZoneId": lb["master_zone"], "SlaveZoneId": lb["slave_zone"], "Bandwidth": lb["bandwidth"],
        "InternetChargeType": lb["internet_charge_type"], "InstanceChargeType": lb["instance_charge_type"],
        "LoadBalancerSpec": (lb["spec"] if lb["instance_charge_type"] == "PayBySpec" else "") or ELASTIC_SPEC, "PayType": lb["pay_type"], "RegionId": lb["region"],
        "RegionIdAlias": lb["region"], "ResourceGroupId": lb["resource_group_id"],
        "CreateTime": iso_seconds(created), "CreateTimeStamp": int(created * 1000),
        "DeleteProtection": "on" if lb["delete_protection"] else "off",
        "ModificationProtectionStatus": lb["modification_protection_status"],
        "ModificationProtectionReason": lb["modification_protection_reason"],
        "Tags": {"Tag": render_tags(lb)},
    }


@answer_order.ordered(answer_order.LOAD_BALANCER)
def render_lb(cloud, lb: dict) -> dict:
    """One entry of DescribeLoadBalancers `LoadBalancers.LoadBalancer`."""
    out = _common(cloud, lb)
    out["InternetChargeTypeAlias"] = _charge_alias(lb["internet_charge_type"])
    return out


@answer_order.ordered(answer_order.LOAD_BALANCER_ATTRIBUTE, answer_order.LOAD_BALANCER_LISTS)
def render_lb_attribute(cloud, lb: dict) -> dict:
    """The flat DescribeLoadBalancerAttribute body: listeners and backends included."""
    out = _common(cloud, lb)
    listeners = visible_listeners_of(cloud, lb["id"])
    backends = []
    for b in live_backends(cloud, lb):
        inst = cloud.store.get("instance", b["server_id"]) or {}
        backends.append({"ServerId": b["server_id"], "ServerIp": inst.get("private_ip", ""), "Type": b["type"],
                         "Weight": int(b["weight"]), "Description": b["description"]})
    out.update({
        "EndTime": NEVER, "EndTimeStamp": NEVER_MS, "AutoReleaseTime": 0, "RenewalStatus": "Normal",
        "RenewalDuration": 0, "RenewalCycUnit": "Month",
        "BackendServers": {"BackendServer": backends},
        "ListenerPorts": {"ListenerPort": [x["port"] for x in listeners]},
        "ListenerPortsAndProtocal": {"ListenerPortAndProtocal": [
            {"ListenerPort": x["port"], "ListenerProtocal": x["protocol"]} for x in listeners]},
        "ListenerPortsAndProtocol": {"ListenerPortAndProtocol": [
            {"ListenerPort": x["port"], "ListenerProtocol": x["protocol"],
             "ListenerForward": x.get("listener_forward", "off"), "ForwardPort": x.get("forward_port") or 0,
             "Description": x.get("description", "")} for x in listeners]},
    })
    return out
