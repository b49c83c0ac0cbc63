"""VPC state: VPCs and vSwitches, their CIDR rules, status machines and dependency checks."""
from __future__ import annotations

import ipaddress

from .. import tags
from ..core import iso_seconds, new_id
from ..ecs.models.lifecycle import lingering
from ..errors import CloudError
from . import answer_order
from . import cidr as cidrs

VSWITCH_QUOTA = 24             # vSwitches per VPC (DOCS-VPC CreateVSwitch; a quota, see CHOICES.md)
DEFAULT_RESOURCE_GROUP = "rg-acfmlocalcloud"


# lookups -------------------------------------------------------------------------------------
def get_vpc(cloud, vpc_id: str, region: str | None = None) -> dict:
    vpc = cloud.store.get("vpc", vpc_id or "")
    if vpc is None or (region and vpc["region"] != region):
        raise CloudError("InvalidVpcId.NotFound", "Specified VPC does not exist.", 404)
    return vpc


def get_vswitch(cloud, vsw_id: str, region: str | None = None) -> dict:
    vsw = cloud.store.get("vswitch", vsw_id or "")
    if vsw is None or (region and vsw["region"] != region):
        raise CloudError("InvalidVSwitchId.NotFound", "VSwitch not exist.", 404)
    return vsw


def vswitches_of(cloud, vpc_id: str) -> list[dict]:
    return sorted((s for s in cloud.store.all("vswitch") if s.get("vpc_id") == vpc_id),
                  key=lambda s: (s["created"], s["id"]))


def _busy_sibling(cloud, vpc_id: str, exclude: str = "") -> dict | None:
    """A vSwitch of the VPC that is still being created or deleted (status Pending)."""
    for vsw in vswitches_of(cloud, vpc_id):
        if vsw["id"] != exclude and vsw["status"] != "Available":
            return vsw
    return None


# VPC -------------------------------------------------------------------------------------------
def create_vpc(cloud, region: str, cidr: str, name: str, description: str, new_tags: dict,
               resource_group_id: str | None, user_cidrs: list[str]) -> dict:
    vpc = {
        "id": new_id("vpc", region), "region": region, "cidr": cidr, "status": "Pending",
        "name": name, "description": description,
        "vrouter_id": new_id("vrt", region), "route_table_id": new_id("vtb", region),
        "resource_group_id": resource_group_id or DEFAULT_RESOURCE_GROUP, "user_cidrs": user_cidrs,
        "created": cloud.clock.now(), "tags": new_tags,
    }
    cloud.store.put("vpc", vpc)
    # CreateVpc is asynchronous: the VPC reads Pending, then Available (DescribeVpcAttribute Status).
    cloud.schedule("vpc", vpc, [("vpc.create", "status", "Available")])
    return vpc


def check_vpc_deletable(cloud, vpc: dict) -> None:
    """DeleteVpc preconditions, in the order the documented codes suggest."""
    if vpc["status"] != "Available":
        # Only an Available VPC can be deleted (DOCS-VPC DeleteVpc).
        raise CloudError("IncorrectVpcStatus", "Current VPC status does not support this operation.", 400)
    if vswitches_of(cloud, vpc["id"]):
        raise CloudError("DependencyViolation.VSwitch", "Specified object has dependent resources.", 400)
    if any(g.get("vpc_id") == vpc["id"] for g in cloud.store.all("security_group")):
        raise CloudError("DependencyViolation.SecurityGroup",
                         "Specified object has dependent resources (SecurityGroup.)", 400)
    if any(i.get("vpc_id") == vpc["id"] for i in cloud.store.all("instance")) or lingering(cloud, vpc):
        # Also while a released instance's network interface is still being released.
        raise CloudError("DependencyViolation.Instance", "Specified object has dependent resources.", 400)


def delete_vpc(cloud, vpc: dict) -> None:
    # Deletion is asynchronous: the VPC reads Pending until it can no longer be found.
    vpc["_deleting"] = True
    cloud.set_field("vpc", vpc, "status", "Pending")
    cloud.schedule("vpc", vpc, [("vpc.delete", "__release__", None)])


# vSwitch -------------------------------------------------------------------------------------
def check_vswitch_creatable(cloud, vpc: dict) -> None:
    if vpc["status"] != "Available":
        raise CloudError("IncorrectVpcStatus", "Current VPC status does not support this operation.", 400)
    busy = _busy_sibling(cloud, vpc["id"])
    if busy is not None:
        # The VPC serialises vSwitch changes: a second create while one is Pending is refused
        # (DOCS-VPC CreateVSwitch; the message users report from parallel Terraform applies).
        if busy.get("_deleting"):
            raise CloudError("IncorrectVSwitchStatus", "Some virtual switch is modifying within the same VPC.", 400)
        raise CloudError("IncorrectVSwitchStatus", "VSwitch Creation simultaneously is not supported.", 400)
    if len(vswitches_of(cloud, vpc["id"])) >= VSWITCH_QUOTA:
        raise CloudError("QuotaExceeded.VSwitch", "Virtual switch quota exceeded.", 400)


def pick_vswitch_cidr(cloud, vpc: dict, cidr: str | None, mask: int | None) -> ipaddress.IPv4Network:
    siblings = [s["cidr"] for s in vswitches_of(cloud, vpc["id"])]
    vpc_net = ipaddress.IPv4Network(vpc["cidr"])
    if cidr:
        return cidrs.check_vswitch_cidr(cidr, vpc_net, siblings)
    return cidrs.allocate(mask, vpc_net, siblings)


def create_vswitch(cloud, vpc: dict, zone: str, cidr: str, name: str, description: str, new_tags: dict) -> dict:
    vsw = {
        "id": new_id("vsw", vpc["region"]), "region": vpc["region"], "vpc_id": vpc["id"], "zone": zone,
        "cidr": cidr, "status": "Pending", "name": name, "description": description,
        "created": cloud.clock.now(), "tags": new_tags,
    }
    cloud.store.put("vswitch", vsw)
    cloud.schedule("vswitch", vsw, [("vswitch.create", "status", "Available")])
    return vsw


def check_vswitch_deletable(cloud, vsw: dict) -> None:
    if vsw["status"] != "Available":
        # Only Available vSwitches can be deleted (DeleteVSwitch help page).
        raise CloudError("IncorrectVSwitchStatus",
                         "The current virtual switch status does not support this operation.", 400)
    if _busy_sibling(cloud, vsw["vpc_id"], exclude=vsw["id"]) is not None:
        raise CloudError("OperationDenied.OtherSubnetProcessing", "other subnet is processing.", 400)
    if any(i.get("vswitch_id") == vsw["id"] for i in cloud.store.all("instance")) or lingering(cloud, vsw):
        # Also while a released instance's network interface is still being released.
        raise CloudError("DependencyViolation", "Specified object has dependent resources.", 400)
    if any(lb.get("vswitch_id") == vsw["id"] for lb in cloud.store.all("load_balancer")):
        raise CloudError("DependencyViolation", "Specified object has dependent resources.", 400)


def delete_vswitch(cloud, vsw: dict) -> None:
    vsw["_deleting"] = True
    cloud.set_field("vswitch", vsw, "status", "Pending")
    cloud.schedule("vswitch", vsw, [("vswitch.delete", "__release__", None)])


def used_addresses(cloud, vsw_id: str) -> int:
    """Private addresses taken in a vSwitch: one per instance and per internal load balancer."""
    used = sum(1 for i in cloud.store.all("instance") if i.get("vswitch_id") == vsw_id)
    used += sum(1 for lb in cloud.store.all("load_balancer")
                if lb.get("vswitch_id") == vsw_id and lb.get("address_type") == "intranet")
    return used


# rendering -----------------------------------------------------------------------------------
def _vpc_common(cloud, vpc: dict) -> dict:
    return {
        "VpcId": vpc["id"], "RegionId": vpc["region"], "Status": vpc["status"], "VpcName": vpc["name"],
        "Description": vpc["description"], "CidrBlock": vpc["cidr"], "VRouterId": vpc["vrouter_id"],
        "CreationTime": iso_seconds(vpc["created"]), "IsDefault": False,
        "ResourceGroupId": vpc["resource_group_id"], "OwnerId": int(cloud.account_id),
        "DhcpOptionsSetId": "", "DhcpOptionsSetStatus": "", "DnsHostnameStatus": "DISABLED",
        "EnabledIpv6": False, "Ipv6CidrBlock": "", "Ipv6CidrBlocks": {"Ipv6CidrBlock": []},
        "SecondaryCidrBlocks": {"SecondaryCidrBlock": []},
        "UserCidrs": {"UserCidr": list(vpc.get("user_cidrs") or [])},
        "VSwitchIds": {"VSwitchId": [s["id"] for s in vswitches_of(cloud, vpc["id"])]},
        "Tags": tags.render(vpc, ("Key", "Value")),
    }


@answer_order.ordered(answer_order.VPC)
def render_vpc(cloud, vpc: dict) -> dict:
    """One entry of DescribeVpcs `Vpcs.Vpc`."""
    out = _vpc_common(cloud, vpc)
    out.update({"CenStatus": "", "RouterTableIds": {"RouterTableIds": [vpc["route_table_id"]]},
                "NatGatewayIds": {"NatGatewayIds": []}})
    return out


def render_vpc_attribute(cloud, vpc: dict) -> dict:
    """The flat DescribeVpcAttribute body."""
    out = _vpc_common(cloud, vpc)
    counts = [("VRouter", 1), ("RouteTable", 1),
              ("VSwitch", len(vswitches_of(cloud, vpc["id"]))),
              ("SecurityGroup", sum(1 for g in cloud.store.all("security_group") if g.get("vpc_id") == vpc["id"])),
              ("ECS", sum(1 for i in cloud.store.all("instance") if i.get("vpc_id") == vpc["id"]))]
    out.update({
        "ClassicLinkEnabled": False, "Ipv4GatewayId": "", "SupportIpv4Gateway": False,
        "AssociatedCens": {"AssociatedCen": []},
        "AssociatedPropagationSources": {"AssociatedPropagationSources": []},
        "CloudResources": {"CloudResourceSetType": [{"ResourceType": t, "ResourceCount": n}
                                                    for t, n in counts if n]},
    })
    return out


@answer_order.ordered(answer_order.VSWITCH)
def render_vswitch(cloud, vsw: dict) -> dict:
    """One entry of DescribeVSwitches `VSwitches.VSwitch`, and the flat DescribeVSwitchAttributes body."""
    vpc = cloud.store.get("vpc", vsw["vpc_id"]) or {}
    free = max(0, cidrs.usable_addresses(vsw["cidr"]) - used_addresses(cloud, vsw["id"]))
    return {
        "VSwitchId": vsw["id"], "VpcId": vsw["vpc_id"], "ZoneId": vsw["zone"], "Status": vsw["status"],
        "CidrBlock": vsw["cidr"], "VSwitchName": vsw["name"], "Description": vsw["description"],
        "CreationTime": iso_seconds(vsw["created"]), "AvailableIpAddressCount": free, "IsDefault": False,
        "EnabledIpv6": False, "Ipv6CidrBlock": "", "NetworkAclId": "", "ShareType": "",
        "OwnerId": int(cloud.account_id),
        "ResourceGroupId": vpc.get("resource_group_id", DEFAULT_RESOURCE_GROUP),
        "RouteTable": {"RouteTableId": vpc.get("route_table_id", ""), "RouteTableType": "System"},
        "Tags": tags.render(vsw, ("Key", "Value")),
    }
