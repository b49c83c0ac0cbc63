"""vSwitches: creation inside a VPC (one at a time), the status machine, dependency checks and the answers."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any, TypedDict, cast

from ... import catalog, tags
from ...core import iso_seconds, new_id
from ...ecs.models.lifecycle import lingering
from ...errors import DryRunOperation, MissingParameter
from .. import answer_order
from ..exceptions import (
    DependencyViolation,
    IncorrectVpcStatus,
    IncorrectVSwitchStatus,
    InvalidVSwitchIdNotFound,
    InvalidZoneIdNotFound,
    OtherSubnetProcessing,
    QuotaExceededVSwitch,
    VSwitchCreationSimultaneous,
    VSwitchModifyingInVpc,
)
from . import cidr as cidrs
from .vpcs import DEFAULT_RESOURCE_GROUP, Vpc, vswitches_of

if TYPE_CHECKING:
    from ...core import Cloud

VSWITCH_QUOTA = 24  # vSwitches per VPC (DOCS-VPC CreateVSwitch; a quota, see CHOICES.md)


class VSwitch(TypedDict, total=False):
    """A vSwitch as kept in the store (kind "vswitch"); keys starting with "_" are bookkeeping."""

    id: str
    region: str
    vpc_id: str
    zone: str
    cidr: str
    status: str  # Pending -> Available -> Pending (deleting) -> gone
    name: str
    description: str
    created: float
    tags: dict[str, str]
    _deleting: bool
    _timeline: list[Any]


def get_vswitch(cloud: Cloud, vsw_id: str | None, region: str | None = None) -> VSwitch:
    vsw = cloud.store.get("vswitch", vsw_id or "")
    if vsw is None or (region and vsw["region"] != region):
        raise InvalidVSwitchIdNotFound()
    return cast(VSwitch, vsw)


def vswitches_in(cloud: Cloud, region: str | None) -> list[VSwitch]:
    return [cast(VSwitch, s) for s in cloud.store.all("vswitch") if s["region"] == region]


def _busy_sibling(cloud: Cloud, vpc_id: str, exclude: str = "") -> VSwitch | None:
    """A vSwitch of the VPC that is still being created or deleted (status Pending)."""
    for vsw in vswitches_of(cloud, vpc_id):
        if vsw["id"] != exclude and vsw["status"] != "Available":
            return vsw
    return None


def create_vswitch(
    cloud: Cloud,
    vpc: Vpc,
    zone: str,
    cidr: str | None,
    mask: int | None,
    name: str,
    description: str,
    new_tags: dict[str, str],
    dry_run: bool = False,
) -> VSwitch:
    """CreateVSwitch: in a known zone of the VPC's region, one at a time per VPC, with a free block."""
    if zone not in catalog.zones(vpc["region"]):
        raise InvalidZoneIdNotFound()
    check_vswitch_creatable(cloud, vpc)
    net = pick_vswitch_cidr(cloud, vpc, cidr, mask)
    if dry_run:
        raise DryRunOperation()
    return add_vswitch(cloud, vpc, zone, str(net), name, description, new_tags)


def check_vswitch_creatable(cloud: Cloud, vpc: Vpc) -> None:
    if vpc["status"] != "Available":
        raise IncorrectVpcStatus()
    busy = _busy_sibling(cloud, vpc["id"])
    if busy is not None:
        # The VPC serialises vSwitch changes: a second create while one is Pending is refused
        # (DOCS-VPC CreateVSwitch; the message users report from parallel Terraform applies).
        if busy.get("_deleting"):
            raise VSwitchModifyingInVpc()
        raise VSwitchCreationSimultaneous()
    if len(vswitches_of(cloud, vpc["id"])) >= VSWITCH_QUOTA:
        raise QuotaExceededVSwitch()


def pick_vswitch_cidr(cloud: Cloud, vpc: Vpc, cidr: str | None, mask: int | None) -> ipaddress.IPv4Network:
    """The given block, checked, or (CidrMask only) the first free block of that size."""
    siblings = [s["cidr"] for s in vswitches_of(cloud, vpc["id"])]
    vpc_net = ipaddress.IPv4Network(vpc["cidr"])
    if cidr:
        return cidrs.check_vswitch_cidr(cidr, vpc_net, siblings)
    if mask is None:
        raise MissingParameter(name="CidrBlock")
    return cidrs.allocate(mask, vpc_net, siblings)


def add_vswitch(
    cloud: Cloud, vpc: Vpc, zone: str, cidr: str, name: str, description: str, new_tags: dict[str, str]
) -> VSwitch:
    vsw: VSwitch = {
        "id": new_id("vsw", vpc["region"]),
        "region": vpc["region"],
        "vpc_id": vpc["id"],
        "zone": zone,
        "cidr": cidr,
        "status": "Pending",
        "name": name,
        "description": description,
        "created": cloud.clock.now(),
        "tags": new_tags,
    }
    cloud.store.put("vswitch", vsw)
    cloud.schedule("vswitch", vsw, [("vswitch.create", "status", "Available")])
    return vsw


def modify_vswitch_attribute(cloud: Cloud, vsw: VSwitch, name: str | None, description: str | None) -> None:
    """ModifyVSwitchAttribute: name and description. Asynchronous on the real cloud: the vSwitch is Pending
    while the change is made, then Available (docs); a change while it is Pending is refused."""
    if vsw["status"] != "Available":
        raise IncorrectVSwitchStatus()
    if name is not None:
        vsw["name"] = name
    if description is not None:
        vsw["description"] = description
    vsw["status"] = "Pending"
    cloud.store.put("vswitch", vsw)
    cloud.schedule("vswitch", vsw, [("vswitch.modify", "status", "Available")])


def check_vswitch_deletable(cloud: Cloud, vsw: VSwitch) -> None:
    if vsw["status"] != "Available":
        # Only Available vSwitches can be deleted (DeleteVSwitch help page).
        raise IncorrectVSwitchStatus()
    if _busy_sibling(cloud, vsw["vpc_id"], exclude=vsw["id"]) is not None:
        raise OtherSubnetProcessing()
    if any(i.get("vswitch_id") == vsw["id"] for i in cloud.store.all("instance")) or lingering(cloud, vsw):
        # Also while a released instance's network interface is still being released.
        raise DependencyViolation()
    if any(lb.get("vswitch_id") == vsw["id"] for lb in cloud.store.all("load_balancer")):
        raise DependencyViolation()


def delete_vswitch(cloud: Cloud, vsw: VSwitch, dry_run: bool = False) -> None:
    """DeleteVSwitch: asynchronous, the vSwitch reads Pending until it can no longer be found."""
    check_vswitch_deletable(cloud, vsw)
    if dry_run:
        raise DryRunOperation()
    vsw["_deleting"] = True
    cloud.set_field("vswitch", vsw, "status", "Pending")
    cloud.schedule("vswitch", vsw, [("vswitch.delete", "__release__", None)])


def used_addresses(cloud: Cloud, vsw_id: str) -> int:
    """Private addresses taken in a vSwitch: one per instance and per internal load balancer."""
    used = sum(1 for i in cloud.store.all("instance") if i.get("vswitch_id") == vsw_id)
    used += sum(
        1
        for lb in cloud.store.all("load_balancer")
        if lb.get("vswitch_id") == vsw_id and lb.get("address_type") == "intranet"
    )
    return used


@answer_order.ordered(answer_order.VSWITCH)
def render_vswitch(cloud: Cloud, vsw: VSwitch) -> dict[str, Any]:
    """One entry of DescribeVSwitches `VSwitches.VSwitch`, and the flat DescribeVSwitchAttributes body."""
    vpc = cloud.store.get("vpc", vsw["vpc_id"]) or {}
    free = max(0, cidrs.usable_addresses(vsw["cidr"]) - used_addresses(cloud, vsw["id"]))
    return {
        "VSwitchId": vsw["id"],
        "VpcId": vsw["vpc_id"],
        "ZoneId": vsw["zone"],
        "Status": vsw["status"],
        "CidrBlock": vsw["cidr"],
        "VSwitchName": vsw["name"],
        "Description": vsw["description"],
        "CreationTime": iso_seconds(vsw["created"]),
        "AvailableIpAddressCount": free,
        "IsDefault": False,
        "EnabledIpv6": False,
        "Ipv6CidrBlock": "",
        "NetworkAclId": "",
        "ShareType": "",
        "OwnerId": int(cloud.account_id),
        "ResourceGroupId": vpc.get("resource_group_id", DEFAULT_RESOURCE_GROUP),
        "RouteTable": {"RouteTableId": vpc.get("route_table_id", ""), "RouteTableType": "System"},
        "Tags": tags.render(vsw, ("Key", "Value")),
    }
