"""vSwitch actions: CreateVSwitch, DescribeVSwitches, DescribeVSwitchAttributes, ModifyVSwitchAttribute,
DeleteVSwitch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ... import tags
from ...core import action, paginate, rendered_list
from ...errors import MissingParameter
from ...params import Params
from ..exceptions import ForbiddenVpcNotFound, InvalidVSwitchDescriptionMalformed, InvalidVSwitchNameMalformed
from ..models import vpcs, vswitches
from ..models.tags import check_tags
from . import dry_run, text_field

if TYPE_CHECKING:
    from ...core import Cloud


@action("vpc", "CreateVSwitch")
def create_vswitch(cloud: Cloud, p: Params) -> dict[str, Any]:
    region = cloud.region(p, required=False)

    def create() -> dict[str, Any]:
        vpc_id = p.text("VpcId", required=True)
        zone = p.text("ZoneId", required=True) or ""
        cidr = p.text("CidrBlock")
        mask = p.integer("CidrMask", min=0, max=32, code="InvalidCirdrBlock.MaskLength")
        if cidr is None and mask is None:
            raise MissingParameter(name="CidrBlock")
        name = text_field(p, "VSwitchName", 128, InvalidVSwitchNameMalformed)
        description = text_field(p, "Description", 256, InvalidVSwitchDescriptionMalformed)
        new_tags = check_tags(p.struct_list("Tag"))
        vpc = vpcs.get_vpc(cloud, vpc_id, region)
        vsw = vswitches.create_vswitch(cloud, vpc, zone, cidr, mask, name, description, new_tags, dry_run=dry_run(p))
        return {"VSwitchId": vsw["id"]}

    return cloud.idempotent("vpc", "CreateVSwitch", p, create)


@action("vpc", "DescribeVSwitches")
def describe_vswitches(cloud: Cloud, p: Params) -> dict[str, Any]:
    region = cloud.region(p, required=False)
    vpc_id = p.text("VpcId")
    if region is None and vpc_id is None:
        raise MissingParameter(name="RegionId")
    if vpc_id is not None:
        vpc = cloud.store.get("vpc", vpc_id)
        if vpc is None or (region and vpc["region"] != region):
            raise ForbiddenVpcNotFound()
        region = vpc["region"]
    items = vswitches.vswitches_in(cloud, region)
    if vpc_id is not None:
        items = [s for s in items if s["vpc_id"] == vpc_id]
    ids = p.id_list("VSwitchId")
    if ids is not None:
        items = [s for s in items if s["id"] in ids]
    if p.text("ZoneId") is not None:
        items = [s for s in items if s["zone"] == p.text("ZoneId")]
    if p.text("VSwitchName") is not None:
        items = [s for s in items if s["name"] == p.text("VSwitchName")]
    if p.text("RouteTableId") is not None:
        items = [
            s
            for s in items
            if (cloud.store.get("vpc", s["vpc_id"]) or {}).get("route_table_id") == p.text("RouteTableId")
        ]
    if p.text("ResourceGroupId") is not None:
        items = [
            s
            for s in items
            if (cloud.store.get("vpc", s["vpc_id"]) or {}).get("resource_group_id") == p.text("ResourceGroupId")
        ]
    if p.flag("IsDefault") is True or p.flag("EnableIpv6") is True:
        items = []
    items = tags.filter_by_tags(items, p)
    items.sort(key=lambda s: (s["created"], s["id"]))
    page, meta = paginate(items, p, default_size=10, max_size=50)
    # The VPC's route table and the addresses taken by instances and internal SLBs are read too.
    entries = rendered_list(
        cloud,
        "vswitch",
        page,
        "DescribeVSwitches",
        lambda s: vswitches.render_vswitch(cloud, s),
        depends=("vpc", "instance", "load_balancer"),
    )
    return {**meta, "VSwitches": {"VSwitch": entries}}


@action("vpc", "DescribeVSwitchAttributes")
def describe_vswitch_attributes(cloud: Cloud, p: Params) -> dict[str, Any]:
    region = cloud.region(p, required=False)
    vsw = vswitches.get_vswitch(cloud, p.text("VSwitchId", required=True), region)
    return vswitches.render_vswitch(cloud, vsw)


@action("vpc", "ModifyVSwitchAttribute")
def modify_vswitch_attribute(cloud: Cloud, p: Params) -> dict[str, Any]:
    region = cloud.region(p, required=False)
    vsw = vswitches.get_vswitch(cloud, p.text("VSwitchId", required=True), region)
    name = text_field(p, "VSwitchName", 128, InvalidVSwitchNameMalformed) if "VSwitchName" in p else None
    description = text_field(p, "Description", 256, InvalidVSwitchDescriptionMalformed) if "Description" in p else None
    vswitches.modify_vswitch_attribute(cloud, vsw, name, description)
    return {}


@action("vpc", "DeleteVSwitch")
def delete_vswitch(cloud: Cloud, p: Params) -> dict[str, Any]:
    region = cloud.region(p, required=False)
    vsw = vswitches.get_vswitch(cloud, p.text("VSwitchId", required=True), region)
    vswitches.delete_vswitch(cloud, vsw, dry_run=dry_run(p))
    return {}
