"""CLB instances: placement in a VPC or on the internet, addresses, zones, status, deletion and the answers."""

from __future__ import annotations

import ipaddress
import random
import threading
from typing import TYPE_CHECKING, Any, TypedDict, cast

from ... import catalog
from ...core import iso_seconds, new_id
from ...errors import InvalidParameter
from ...vpc.models import cidr as cidrs
from ...vpc.models.vswitches import used_addresses
from .. import answer_order
from ..exceptions import (
    AddressNotInSubnet,
    DeleteProtectionForPrePayInstance,
    DeleteProtectionIsOn,
    InsufficientCapacity,
    MasterZoneNotVSwitchZone,
    VpcStatusError,
    VpcSubnetNotExist,
    VSwitchIdRequired,
    VSwitchNotInVpc,
)
from .base import LB_KIND, LISTENER_KIND, listeners_of, live_backends, render_tags, visible_listeners_of

if TYPE_CHECKING:
    from ...core import Cloud

ELASTIC_SPEC = "slb.lcu.elastic"  # what a pay-by-LCU instance reports as its spec
NEVER = "2999-09-08T16:00:00Z"  # EndTime of pay-as-you-go instances
NEVER_MS = 32493801600000
# localcloud hands out load balancer addresses from 127.88.0.0/16 so that an endpoint is reachable on
# this machine (MODEL.md); the real cloud gives a public or a VPC address.
ADDRESS_NET = ipaddress.IPv4Network("127.88.0.0/16")
_cursor_lock = threading.Lock()
# Each process starts at a random point of the range, so emulators running side by side on one machine
# (tests, CI jobs) rarely hand out the same address.
_last_index = random.randrange(ADDRESS_NET.num_addresses - 2)


class Backend(TypedDict, total=False):
    """A server of a load balancer's default server group (AddBackendServers)."""

    server_id: str
    weight: int
    type: str  # ecs, eni or eci
    description: str


class LoadBalancer(TypedDict, total=False):
    """A CLB instance as kept in the store (kind "load_balancer"); keys starting with "_" are bookkeeping."""

    id: str
    region: str
    created: float
    tags: dict[str, str]
    name: str
    description: str
    address: str  # from 127.88.0.0/16, reachable on this machine (MODEL.md)
    address_type: str  # internet or intranet
    address_ip_version: str
    network_type: str  # vpc or classic
    vpc_id: str
    vswitch_id: str
    spec: str
    instance_charge_type: str  # PayByCLCU or PayBySpec
    internet_charge_type: str  # paybytraffic or paybybandwidth
    bandwidth: int
    pay_type: str  # PayOnDemand or PrePay
    master_zone: str
    slave_zone: str
    resource_group_id: str
    delete_protection: bool
    modification_protection_status: str
    modification_protection_reason: str
    order_id: int
    backends: list[Backend]
    status: str  # inactive -> active (CHOICES.md)
    _timeline: list[Any]


class Placement(TypedDict):
    """Where a new instance lives: a vSwitch of a VPC (network type vpc) or the classic internet side."""

    network_type: str
    vpc_id: str
    vswitch_id: str
    zone: str | None


class Settings(TypedDict):
    """What CreateLoadBalancer asked for, checked by the response layer."""

    name: str | None
    address_type: str
    instance_charge_type: str
    spec: str | None
    internet_charge_type: str
    bandwidth: int
    pay_type: str
    resource_group_id: str
    delete_protection: bool
    modification_protection_status: str
    modification_protection_reason: str


def allocate_address(cloud: Cloud) -> str:
    """The next free address of 127.88.0.0/16, never one held by a live load balancer.

    A cursor walks the range so a released address is not handed out again until the range wraps. The cursor is
    kept in the store (it survives a restart) and in this process (a reset, or a second emulator in the same
    process, does not hand out an address whose local listener may still be winding down).
    """
    global _last_index
    used = {lb.get("address") for lb in cloud.store.all(LB_KIND)}
    size = ADDRESS_NET.num_addresses - 2  # .0.0 and .255.255 are left out
    with _cursor_lock:
        cursor = max(int(cloud.store.meta("slb:address_cursor", 0)), _last_index)
        for step in range(1, size + 1):
            index = (cursor + step - 1) % size + 1
            address = str(ADDRESS_NET[index])
            if address not in used:
                _last_index = index
                cloud.store.set_meta("slb:address_cursor", index)
                return address
    raise InsufficientCapacity()


def placement(
    cloud: Cloud, region: str, vswitch_id: str | None, vpc_id: str | None, address_type: str, address: str | None
) -> Placement:
    """Where the instance lives: a vSwitch of a VPC (network type vpc) or the classic internet side."""
    if not vswitch_id:
        if address_type == "intranet":
            raise VSwitchIdRequired()
        return {"network_type": "classic", "vpc_id": "", "vswitch_id": "", "zone": None}
    vsw = cloud.store.get("vswitch", vswitch_id)
    if vsw is None or vsw["region"] != region:
        raise VpcSubnetNotExist()
    if vpc_id and vpc_id != vsw["vpc_id"]:
        raise VSwitchNotInVpc()
    vpc = cloud.store.get("vpc", vsw["vpc_id"]) or {}
    if vsw["status"] != "Available" or vpc.get("status") != "Available":
        raise VpcStatusError()
    if address_type == "intranet":
        if address and not cidrs.contains(vsw["cidr"], address):
            raise AddressNotInSubnet()
        if used_addresses(cloud, vsw["id"]) >= cidrs.usable_addresses(vsw["cidr"]):
            raise VpcSubnetNotExist()
    return {"network_type": "vpc", "vpc_id": vsw["vpc_id"], "vswitch_id": vsw["id"], "zone": vsw["zone"]}


def zones_for(region: str, home_zone: str | None, master: str | None, slave: str | None) -> tuple[str, str]:
    zones = sorted(catalog.zones(region))
    for name, value in (("MasterZoneId", master), ("SlaveZoneId", slave)):
        if value is not None and value not in zones:
            raise InvalidParameter(name)
    if master and home_zone and master != home_zone:
        raise MasterZoneNotVSwitchZone()
    master = master or home_zone or zones[0]
    slave = slave or next((z for z in zones if z != master), master)
    if slave == master and len(zones) > 1:
        raise InvalidParameter("SlaveZoneId")
    return master, slave


def create_load_balancer(
    cloud: Cloud,
    region: str,
    settings: Settings,
    new_tags: dict[str, str],
    vswitch_id: str | None,
    vpc_id: str | None,
    address: str | None,
    master_zone: str | None,
    slave_zone: str | None,
) -> LoadBalancer:
    """CreateLoadBalancer after the parameters are checked: placement, zones, then the new instance."""
    place = placement(cloud, region, vswitch_id, vpc_id, settings["address_type"], address)
    master, slave = zones_for(region, place["zone"], master_zone, slave_zone)
    lb_id = new_id("lb", region)
    lb: LoadBalancer = {
        "id": lb_id,
        "region": region,
        "created": cloud.clock.now(),
        "tags": new_tags,
        "name": settings["name"] or f"auto_named_slb_{lb_id[-6:]}",
        "description": "",
        "address": allocate_address(cloud),
        "address_type": settings["address_type"],
        "address_ip_version": "ipv4",
        "network_type": place["network_type"],
        "vpc_id": place["vpc_id"],
        "vswitch_id": place["vswitch_id"],
        "spec": settings["spec"] or "",
        "instance_charge_type": settings["instance_charge_type"],
        "internet_charge_type": settings["internet_charge_type"],
        "bandwidth": settings["bandwidth"],
        "pay_type": settings["pay_type"],
        "master_zone": master,
        "slave_zone": slave,
        "resource_group_id": settings["resource_group_id"],
        "delete_protection": settings["delete_protection"],
        "modification_protection_status": settings["modification_protection_status"],
        "modification_protection_reason": settings["modification_protection_reason"],
        "order_id": random.randint(10**14, 10**15 - 1),
        "backends": [],
        # Provisioning: the instance reads inactive until it is set up, then active (CHOICES.md).
        "status": "inactive",
    }
    cloud.store.put(LB_KIND, lb)
    cloud.schedule(LB_KIND, lb, [("slb.create", "status", "active")])
    return lb


def load_balancers_in(cloud: Cloud, region: str) -> list[LoadBalancer]:
    return [cast(LoadBalancer, lb) for lb in cloud.store.all(LB_KIND) if lb["region"] == region]


def set_load_balancer_status(cloud: Cloud, lb: LoadBalancer, status: str) -> None:
    lb["_timeline"] = []  # an explicit status wins over the end of provisioning
    cloud.set_field(LB_KIND, lb, "status", status)


def set_load_balancer_name(cloud: Cloud, lb: LoadBalancer, name: str) -> None:
    lb["name"] = name
    cloud.store.put(LB_KIND, lb)


def set_delete_protection(cloud: Cloud, lb: LoadBalancer, on: bool) -> None:
    if lb["pay_type"] == "PrePay":
        raise DeleteProtectionForPrePayInstance()
    lb["delete_protection"] = on
    cloud.store.put(LB_KIND, lb)


def delete_load_balancer(cloud: Cloud, lb: LoadBalancer) -> None:
    if lb["delete_protection"]:
        raise DeleteProtectionIsOn()
    # Listeners and tags go with the instance (DeleteLoadBalancer docs).
    for lst in listeners_of(cloud, lb["id"]):
        cloud.release(LISTENER_KIND, lst)
    from .vserver_groups import release_with_lb  # vServer groups go with the instance too

    release_with_lb(cloud, lb)
    cloud.release(LB_KIND, lb)


# answers ---------------------------------------------------------------------------------------
def _charge_alias(value: str) -> str:
    return {"paybytraffic": "PayByTraffic", "paybybandwidth": "PayByBandwidth"}.get(value, value)


def _common(cloud: Cloud, lb: LoadBalancer) -> dict[str, Any]:
    created = lb["created"]
    return {
        "LoadBalancerId": lb["id"],
        "LoadBalancerName": lb["name"],
        "LoadBalancerStatus": lb["status"],
        "Address": lb["address"],
        "AddressType": lb["address_type"],
        "AddressIPVersion": lb["address_ip_version"],
        "NetworkType": lb["network_type"],
        "VpcId": lb["vpc_id"],
        "VSwitchId": lb["vswitch_id"],
        "MasterZoneId": lb["master_zone"],
        "SlaveZoneId": lb["slave_zone"],
        "Bandwidth": lb["bandwidth"],
        "InternetChargeType": lb["internet_charge_type"],
        "InstanceChargeType": lb["instance_charge_type"],
        "LoadBalancerSpec": (lb["spec"] if lb["instance_charge_type"] == "PayBySpec" else "") or ELASTIC_SPEC,
        "PayType": lb["pay_type"],
        "RegionId": lb["region"],
        "RegionIdAlias": lb["region"],
        "ResourceGroupId": lb["resource_group_id"],
        "CreateTime": iso_seconds(created),
        "CreateTimeStamp": int(created * 1000),
        "DeleteProtection": "on" if lb["delete_protection"] else "off",
        "ModificationProtectionStatus": lb["modification_protection_status"],
        "ModificationProtectionReason": lb["modification_protection_reason"],
        "Tags": {"Tag": render_tags(lb)},
    }


@answer_order.ordered(answer_order.LOAD_BALANCER)
def render_lb(cloud: Cloud, lb: LoadBalancer) -> dict[str, Any]:
    """One entry of DescribeLoadBalancers `LoadBalancers.LoadBalancer`."""
    out = _common(cloud, lb)
    out["InternetChargeTypeAlias"] = _charge_alias(lb["internet_charge_type"])
    return out


@answer_order.ordered(answer_order.LOAD_BALANCER_ATTRIBUTE, answer_order.LOAD_BALANCER_LISTS)
def render_lb_attribute(cloud: Cloud, lb: LoadBalancer) -> dict[str, Any]:
    """The flat DescribeLoadBalancerAttribute body: listeners and backends included."""
    out = _common(cloud, lb)
    listeners = visible_listeners_of(cloud, lb["id"])
    backends = []
    for b in live_backends(cloud, lb):
        inst = cloud.store.get("instance", b["server_id"]) or {}
        backends.append(
            {
                "ServerId": b["server_id"],
                "ServerIp": inst.get("private_ip", ""),
                "Type": b["type"],
                "Weight": int(b["weight"]),
                "Description": b["description"],
            }
        )
    out.update(
        {
            "EndTime": NEVER,
            "EndTimeStamp": NEVER_MS,
            "AutoReleaseTime": 0,
            "RenewalStatus": "Normal",
            "RenewalDuration": 0,
            "RenewalCycUnit": "Month",
            "BackendServers": {"BackendServer": backends},
            "ListenerPorts": {"ListenerPort": [x["port"] for x in listeners]},
            "ListenerPortsAndProtocal": {
                "ListenerPortAndProtocal": [
                    {"ListenerPort": x["port"], "ListenerProtocal": x["protocol"]} for x in listeners
                ]
            },
            "ListenerPortsAndProtocol": {
                "ListenerPortAndProtocol": [
                    {
                        "ListenerPort": x["port"],
                        "ListenerProtocol": x["protocol"],
                        "ListenerForward": x.get("listener_forward", "off"),
                        "ForwardPort": x.get("forward_port") or 0,
                        "Description": x.get("description", ""),
                    }
                    for x in listeners
                ]
            },
        }
    )
    return out
