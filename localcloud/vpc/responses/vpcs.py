"""VPC actions: CreateVpc, DescribeVpcs, DescribeVpcAttribute, ModifyVpcAttribute, DeleteVpc."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ... import tags
from ...core import action, paginate, rendered_list
from ...params import Params
from ..exceptions import (
    InvalidCidrBlockMalformed,
    InvalidVpcCidrBlock,
    InvalidVpcDescriptionMalformed,
    InvalidVpcNameMalformed,
)
from ..models import cidr as cidrs
from ..models import vpcs
from ..models.tags import check_tags
from . import dry_run, text_field

if TYPE_CHECKING:
    from ...core import Cloud


@action("vpc", "CreateVpc")
def create_vpc(cloud: Cloud, p: Params) -> dict[str, Any]:
    region = cloud.region(p)

    def create() -> dict[str, Any]:
        name = text_field(p, "VpcName", 128, InvalidVpcNameMalformed)
        description = text_field(p, "Description", 256, InvalidVpcDescriptionMalformed)
        cidr = str(cidrs.check_vpc_cidr(p.text("CidrBlock") or cidrs.DEFAULT_VPC_CIDR))
        user_cidrs = cidrs.check_user_cidrs(p.text("UserCidr"))
        new_tags = check_tags(p.struct_list("Tag"))
        vpc = vpcs.create_vpc(
            cloud, region, cidr, name, description, new_tags, p.text("ResourceGroupId"), user_cidrs, dry_run=dry_run(p)
        )
        return {
            "VpcId": vpc["id"],
            "VRouterId": vpc["vrouter_id"],
            "RouteTableId": vpc["route_table_id"],
            "ResourceGroupId": vpc["resource_group_id"],
        }

    return cloud.idempotent("vpc", "CreateVpc", p, create)


@action("vpc", "DescribeVpcs")
def describe_vpcs(cloud: Cloud, p: Params) -> dict[str, Any]:
    region = cloud.region(p)
    found = vpcs.vpcs_in(cloud, region)
    ids = p.id_list("VpcId", max_items=20)
    if ids is not None:
        found = [v for v in found if v["id"] in ids]
    if p.text("VpcName") is not None:
        found = [v for v in found if v["name"] == p.text("VpcName")]
    if p.text("ResourceGroupId") is not None:
        found = [v for v in found if v["resource_group_id"] == p.text("ResourceGroupId")]
    if p.flag("IsDefault") is True or p.flag("EnableIpv6") is True or p.text("DhcpOptionsSetId"):
        found = []  # no default VPC, no IPv6 and no DHCP options sets are emulated
    found = tags.filter_by_tags(found, p)
    found.sort(key=lambda v: (v["created"], v["id"]))
    page, meta = paginate(found, p, default_size=10, max_size=50)
    # VSwitchIds reads the vSwitches: an entry is rebuilt when any vSwitch changes.
    entries = rendered_list(
        cloud, "vpc", page, "DescribeVpcs", lambda v: vpcs.render_vpc(cloud, v), depends=("vswitch",)
    )
    return {**meta, "Vpcs": {"Vpc": entries}}


@action("vpc", "DescribeVpcAttribute")
def describe_vpc_attribute(cloud: Cloud, p: Params) -> dict[str, Any]:
    region = cloud.region(p)
    vpc = vpcs.get_vpc(cloud, p.text("VpcId", required=True), region)
    return vpcs.render_vpc_attribute(cloud, vpc)


@action("vpc", "ModifyVpcAttribute")
def modify_vpc_attribute(cloud: Cloud, p: Params) -> dict[str, Any]:
    region = cloud.region(p)
    vpc = vpcs.get_vpc(cloud, p.text("VpcId", required=True), region)
    name = text_field(p, "VpcName", 128, InvalidVpcNameMalformed) if "VpcName" in p else None
    description = text_field(p, "Description", 256, InvalidVpcDescriptionMalformed) if "Description" in p else None
    block = None
    if "CidrBlock" in p:
        try:
            block = cidrs.check_vpc_cidr(p.text("CidrBlock") or "")
        except InvalidVpcCidrBlock:
            # A refused new block is InvalidCidrBlock.Malformed here, not CreateVpc's InvalidParameter.
            raise InvalidCidrBlockMalformed() from None
    vpcs.modify_vpc_attribute(cloud, vpc, name, description, block)
    return {}


@action("vpc", "DeleteVpc")
def delete_vpc(cloud: Cloud, p: Params) -> dict[str, Any]:
    region = cloud.region(p, required=False)
    vpc_id = p.text("VpcId", required=True)

    def delete() -> dict[str, Any]:
        vpcs.delete_vpc(cloud, vpcs.get_vpc(cloud, vpc_id, region), dry_run=dry_run(p))
        return {}

    return cloud.idempotent("vpc", "DeleteVpc", p, delete)
