"""VPC state: VPCs and vSwitches, their CIDR rules and status machines."""
from __future__ import annotations

from .. import tags
from ..core import iso_seconds, new_id


def create_vpc(cloud, region: str, p) -> dict:
    cidr = p.str("CidrBlock") or "172.16.0.0/12"
    new_tags = tags.parse_tags(p)
    vpc = {
        "id": new_id("vpc", region), "region": region, "cidr": cidr, "status": "Pending",
        "name": p.str("VpcName", default="", max_len=128), "description": p.str("Description", default=""),
        "vrouter_id": new_id("vrt", region), "route_table_id": new_id("vtb", region),
        "resource_group_id": "rg-acfmlocalcloud", "created": cloud.clock.now(), "tags": new_tags,
    }
    cloud.store.put("vpc", vpc)
    cloud.schedule("vpc", vpc, [("vpc.create", "status", "Available")])
    return vpc


def render_vpc(cloud, vpc: dict) -> dict:
    vswitches = [s["id"] for s in cloud.store.all("vswitch") if s.get("vpc_id") == vpc["id"]]
    return {
        "VpcId": vpc["id"], "RegionId": vpc["region"], "Status": vpc["status"], "VpcName": vpc["name"],
        "Description": vpc["description"], "CidrBlock": vpc["cidr"], "VRouterId": vpc["vrouter_id"],
        "CreationTime": iso_seconds(vpc["created"]), "IsDefault": False, "ResourceGroupId": vpc["resource_group_id"],
        "VSwitchIds": {"VSwitchId": vswitches}, "Tags": tags.render(vpc, ("Key", "Value")),
        "RouterTableIds": {"RouterTableIds": [vpc["route_table_id"]]}, "NatGatewayIds": {"NatGatewayIds": []},
        "SecondaryCidrBlocks": {"SecondaryCidrBlock": []}, "UserCidrs": {"UserCidr": []},
        "Ipv6CidrBlocks": {"Ipv6CidrBlock": []}, "OwnerId": int(cloud.account_id),
    }
