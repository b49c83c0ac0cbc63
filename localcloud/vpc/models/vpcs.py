"""VPCs: creation, attribute changes, the asynchronous status machine, dependency checks and the answers."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any, TypedDict, cast

from ... import tags
from ...core import iso_seconds, new_id
from ...ecs.models.lifecycle import lingering
from ...errors import DryRunOperation
from .. import answer_order
from ..exceptions import (
    DependencyViolationInstance,
    DependencyViolationSecurityGroup,
    DependencyViolationVSwitch,
    IncorrectVpcStatus,
    InvalidCidrBlockMalformed,
    InvalidVpcIdNotFound,
)

if TYPE_CHECKING:
    from ...core import Cloud
    from .vswitches import VSwitch

DEFAULT_RESOURCE_GROUP = "rg-acfmlocalcloud"


class Vpc(TypedDict, total=False):
    """A VPC as kept in the store (kind "vpc"); keys starting with "_" are bookkeeping."""

    id: str
    region: str
    cidr: str
    status: str  # Pending -> Available -> Pending (deleting) -> gone
    name: str
    description: str
    vrouter_id: str
    route_table_id: str
    resource_group_id: str
    user_cidrs: list[str]
    created: float
    tags: dict[str, str]
    _deleting: bool
    _timeline: list[Any]


def get_vpc(cloud: Cloud, vpc_id: str | None, region: str | None = None) -> Vpc:
    vpc = cloud.store.get("vpc", vpc_id or "")
    if vpc is None or (region and vpc["region"] != region):
        raise InvalidVpcIdNotFound()
    return cast(Vpc, vpc)


def vpcs_in(cloud: Cloud, region: str) -> list[Vpc]:
    return [cast(Vpc, v) for v in cloud.store.all("vpc") if v["region"] == region]


def vswitches_of(cloud: Cloud, vpc_id: str) -> list[VSwitch]:
    """The vSwitches of a VPC, oldest first."""
    return sorted(
        (cast("VSwitch", s) for s in cloud.store.all("vswitch") if s.get("vpc_id") == vpc_id),
        key=lambda s: (s["created"], s["id"]),
    )


def create_vpc(
    cloud: Cloud,
    region: str,
    cidr: str,
    name: str,
    description: str,
    new_tags: dict[str, str],
    resource_group_id: str | None,
    user_cidrs: list[str],
    dry_run: bool = False,
) -> Vpc:
    if dry_run:
        raise DryRunOperation()
    vpc: Vpc = {
        "id": new_id("vpc", region),
        "region": region,
        "cidr": cidr,
        "status": "Pending",
        "name": name,
        "description": description,
        "vrouter_id": new_id("vrt", region),
        "route_table_id": new_id("vtb", region),
        "resource_group_id": resource_group_id or DEFAULT_RESOURCE_GROUP,
        "user_cidrs": user_cidrs,
        "created": cloud.clock.now(),
        "tags": new_tags,
    }
    cloud.store.put("vpc", vpc)
    # CreateVpc is asynchronous: the VPC reads Pending, then Available (DescribeVpcAttribute Status).
    cloud.schedule("vpc", vpc, [("vpc.create", "status", "Available")])
    return vpc


def modify_vpc_attribute(
    cloud: Cloud, vpc: Vpc, name: str | None, description: str | None, block: ipaddress.IPv4Network | None
) -> None:
    """Name, description and IPv4 block of a VPC (ModifyVpcAttribute docs). The new block must still hold every
    vSwitch; one that does not is `InvalidCidrBlock.Malformed`, the documented code of a refused block (CHOICES.md)."""
    if vpc["status"] != "Available":
        raise IncorrectVpcStatus()
    if block is not None and any(
        not ipaddress.IPv4Network(s["cidr"]).subnet_of(block) for s in vswitches_of(cloud, vpc["id"])
    ):
        raise InvalidCidrBlockMalformed()
    if name is not None:
        vpc["name"] = name
    if description is not None:
        vpc["description"] = description
    if block is not None:
        vpc["cidr"] = str(block)
    cloud.store.put("vpc", vpc)


def check_vpc_deletable(cloud: Cloud, vpc: Vpc) -> None:
    """DeleteVpc preconditions, in the order the documented codes suggest."""
    if vpc["status"] != "Available":
        # Only an Available VPC can be deleted (DOCS-VPC DeleteVpc).
        raise IncorrectVpcStatus()
    if vswitches_of(cloud, vpc["id"]):
        raise DependencyViolationVSwitch()
    if any(g.get("vpc_id") == vpc["id"] for g in cloud.store.all("security_group")):
        raise DependencyViolationSecurityGroup()
    if any(i.get("vpc_id") == vpc["id"] for i in cloud.store.all("instance")) or lingering(cloud, vpc):
        # Also while a released instance's network interface is still being released.
        raise DependencyViolationInstance()


def delete_vpc(cloud: Cloud, vpc: Vpc, dry_run: bool = False) -> None:
    check_vpc_deletable(cloud, vpc)
    if dry_run:
        raise DryRunOperation()
    # Deletion is asynchronous: the VPC reads Pending until it can no longer be found.
    vpc["_deleting"] = True
    cloud.set_field("vpc", vpc, "status", "Pending")
    cloud.schedule("vpc", vpc, [("vpc.delete", "__release__", None)])


# answers ---------------------------------------------------------------------------------------
def _vpc_common(cloud: Cloud, vpc: Vpc) -> dict[str, Any]:
    return {
        "VpcId": vpc["id"],
        "RegionId": vpc["region"],
        "Status": vpc["status"],
        "VpcName": vpc["name"],
        "Description": vpc["description"],
        "CidrBlock": vpc["cidr"],
        "VRouterId": vpc["vrouter_id"],
        "CreationTime": iso_seconds(vpc["created"]),
        "IsDefault": False,
        "ResourceGroupId": vpc["resource_group_id"],
        "OwnerId": int(cloud.account_id),
        "DhcpOptionsSetId": "",
        "DhcpOptionsSetStatus": "",
        "DnsHostnameStatus": "DISABLED",
        "EnabledIpv6": False,
        "Ipv6CidrBlock": "",
        "Ipv6CidrBlocks": {"Ipv6CidrBlock": []},
        "SecondaryCidrBlocks": {"SecondaryCidrBlock": []},
        "UserCidrs": {"UserCidr": list(vpc.get("user_cidrs") or [])},
        "VSwitchIds": {"VSwitchId": [s["id"] for s in vswitches_of(cloud, vpc["id"])]},
        "Tags": tags.render(vpc, ("Key", "Value")),
    }


@answer_order.ordered(answer_order.VPC)
def render_vpc(cloud: Cloud, vpc: Vpc) -> dict[str, Any]:
    """One entry of DescribeVpcs `Vpcs.Vpc`."""
    out = _vpc_common(cloud, vpc)
    out.update(
        {
            "CenStatus": "",
            "RouterTableIds": {"RouterTableIds": [vpc["route_table_id"]]},
            "NatGatewayIds": {"NatGatewayIds": []},
        }
    )
    return out


def render_vpc_attribute(cloud: Cloud, vpc: Vpc) -> dict[str, Any]:
    """The flat DescribeVpcAttribute body."""
    out = _vpc_common(cloud, vpc)
    counts = [
        ("VRouter", 1),
        ("RouteTable", 1),
        ("VSwitch", len(vswitches_of(cloud, vpc["id"]))),
        ("SecurityGroup", sum(1 for g in cloud.store.all("security_group") if g.get("vpc_id") == vpc["id"])),
        ("ECS", sum(1 for i in cloud.store.all("instance") if i.get("vpc_id") == vpc["id"])),
    ]
    out.update(
        {
            "ClassicLinkEnabled": False,
            "Ipv4GatewayId": "",
            "SupportIpv4Gateway": False,
            "AssociatedCens": {"AssociatedCen": []},
            "AssociatedPropagationSources": {"AssociatedPropagationSources": []},
            "CloudResources": {
                "CloudResourceSetType": [{"ResourceType": t, "ResourceCount": n} for t, n in counts if n]
            },
        }
    )
    return out
