"""VPC 2016-04-28 actions (RPC): parameters in, response bodies out, in the SDK models' exact shapes."""
from __future__ import annotations

from .. import catalog, tags
from ..core import action, paginate, rendered_list
from ..errors import CloudError, missing
from ..params import Params
from . import cidr as cidrs
from . import models
from .tagging import parse_tags


def _text(p: Params, name: str, limit: int, code: str, what: str) -> str:
    """Names and descriptions: 1-`limit` characters, not starting with http:// or https://."""
    value = p.raw.get(name, "")
    if value and (len(value) > limit or value.lower().startswith(("http://", "https://"))):
        raise CloudError(code, f"Specified {what} is not valid.", 400)
    return value


def _dry_run(p: Params) -> None:
    """DryRun=true: every check passed, nothing done (documented answer: DryRunOperation)."""
    if p.flag("DryRun", default=False):
        raise CloudError("DryRunOperation", "Request validation has been passed with DryRun flag set.", 400)


# VPC -----------------------------------------------------------------------------------------
@action("vpc", "CreateVpc")
def create_vpc(cloud, p: Params) -> dict:
    region = cloud.region(p)

    def create():
        name = _text(p, "VpcName", 128, "InvalidVpcName.Malformed", "VPC name")
        # The documented code carries the typo "Discription".
        description = _text(p, "Description", 256, "InvalidVpcDiscription.Malformed", "VPC description")
        cidr = str(cidrs.check_vpc_cidr(p.text("CidrBlock") or cidrs.DEFAULT_VPC_CIDR))
        user_cidrs = cidrs.check_user_cidrs(p.text("UserCidr"))
        new_tags = parse_tags(p)
        _dry_run(p)
        vpc = models.create_vpc(cloud, region, cidr, name, description, new_tags,
                                p.text("ResourceGroupId"), user_cidrs)
        return {"VpcId": vpc["id"], "VRouterId": vpc["vrouter_id"], "RouteTableId": vpc["route_table_id"],
                "ResourceGroupId": vpc["resource_group_id"]}

    return cloud.idempotent("vpc", "CreateVpc", p, create)


@action("vpc", "DescribeVpcs")
def describe_vpcs(cloud, p: Params) -> dict:
    region = cloud.region(p)
    vpcs = [v for v in cloud.store.all("vpc") if v["region"] == region]
    ids = p.id_list("VpcId", max_items=20)
    if ids is not None:
        vpcs = [v for v in vpcs if v["id"] in ids]
    if p.text("VpcName") is not None:
        vpcs = [v for v in vpcs if v["name"] == p.text("VpcName")]
    if p.text("ResourceGroupId") is not None:
        vpcs = [v for v in vpcs if v["resource_group_id"] == p.text("ResourceGroupId")]
    if p.flag("IsDefault") is True or p.flag("EnableIpv6") is True or p.text("DhcpOptionsSetId"):
        vpcs = []      # no default VPC, no IPv6 and no DHCP options sets are emulated
    vpcs = tags.filter_by_tags(vpcs, p)
    vpcs.sort(key=lambda v: (v["created"], v["id"]))
    page, meta = paginate(vpcs, p, default_size=10, max_size=50)
    # VSwitchIds reads the vSwitches: an entry is rebuilt when any vSwitch changes.
    entries = rendered_list(cloud, "vpc", page, "DescribeVpcs", lambda v: models.render_vpc(cloud, v),
                            depends=("vswitch",))
    return {**meta, "Vpcs": {"Vpc": entries}}


@action("vpc", "DescribeVpcAttribute")
def describe_vpc_attribute(cloud, p: Params) -> dict:
    region = cloud.region(p)
    vpc = models.get_vpc(cloud, p.text("VpcId", required=True), region)
    return models.render_vpc_attribute(cloud, vpc)


def _bad_block() -> CloudError:
    return CloudError("InvalidCidrBlock.Malformed", "Specified CIDR block is not valid.", 400)


@action("vpc", "ModifyVpcAttribute")
def modify_vpc_attribute(cloud, p: Params) -> dict:
    """Name, description and IPv4 block of a VPC (ModifyVpcAttribute docs). The new block must still hold every
    vSwitch; one that does not is `InvalidCidrBlock.Malformed`, the documented code of a refused block (CHOICES.md)."""
    region = cloud.region(p)
    vpc = models.get_vpc(cloud, p.text("VpcId", required=True), region)
    name = _text(p, "VpcName", 128, "InvalidVpcName.Malformed", "VPC name") if "VpcName" in p else None
    # The documented code carries the typo "Discription".
    description = (_text(p, "Description", 256, "InvalidVpcDiscription.Malformed", "VPC description")
                   if "Description" in p else None)
    block = None
    if "CidrBlock" in p:
        try:
            block = cidrs.check_vpc_cidr(p.text("CidrBlock"))
        except CloudError:
            raise _bad_block() from None
    if vpc["status"] != "Available":
        raise CloudError("IncorrectVpcStatus", "Current VPC status does not support this operation.", 400)
    if block is not None and any(not cidrs.parse(s["cidr"]).subnet_of(block)
                                 for s in models.vswitches_of(cloud, vpc["id"])):
        raise _bad_block()
    if name is not None:
        vpc["name"] = name
    if description is not None:
        vpc["description"] = description
    if block is not None:
        vpc["cidr"] = str(block)
    cloud.store.put("vpc", vpc)
    return {}


@action("vpc", "DeleteVpc")
def delete_vpc(cloud, p: Params) -> dict:
    region = cloud.region(p, required=False)
    vpc_id = p.text("VpcId", required=True)

    def delete():
        vpc = models.get_vpc(cloud, vpc_id, region)
        models.check_vpc_deletable(cloud, vpc)
        _dry_run(p)
        models.delete_vpc(cloud, vpc)
        return {}

    return cloud.idempotent("vpc", "DeleteVpc", p, delete)


# vSwitch -------------------------------------------------------------------------------------
@action("vpc", "CreateVSwitch")
def create_vswitch(cloud, p: Params) -> dict:
    region = cloud.region(p, required=False)

    def create():
        vpc_id = p.text("VpcId", required=True)
        zone = p.text("ZoneId", required=True)
        cidr = p.text("CidrBlock")
        mask = p.integer("CidrMask", min=0, max=32, code="InvalidCirdrBlock.MaskLength")
        if cidr is None and mask is None:
            raise missing("CidrBlock")
        name = _text(p, "VSwitchName", 128, "InvalidVSwitchName.Malformed", "virtual switch name")
        description = _text(p, "Description", 256, "InvalidVSwitchDiscription.Malformed",
                            "virtual switch description")
        new_tags = parse_tags(p)
        vpc = models.get_vpc(cloud, vpc_id, region)
        if zone not in catalog.zones(vpc["region"]):
            raise CloudError("InvalidZoneId.NotFound", "Specified zone does not exist.", 404)
        models.check_vswitch_creatable(cloud, vpc)
        net = models.pick_vswitch_cidr(cloud, vpc, cidr, mask)
        _dry_run(p)
        vsw = models.create_vswitch(cloud, vpc, zone, str(net), name, description, new_tags)
        return {"VSwitchId": vsw["id"]}

    return cloud.idempotent("vpc", "CreateVSwitch", p, create)


@action("vpc", "DescribeVSwitches")
def describe_vswitches(cloud, p: Params) -> dict:
    region = cloud.region(p, required=False)
    vpc_id = p.text("VpcId")
    if region is None and vpc_id is None:
        raise missing("RegionId")
    if vpc_id is not None:
        vpc = cloud.store.get("vpc", vpc_id)
        if vpc is None or (region and vpc["region"] != region):
            raise CloudError("Forbidden.VpcNotFound", "Specified VPC can not found.", 400)
        region = vpc["region"]
    items = [s for s in cloud.store.all("vswitch") if s["region"] == region]
    if vpc_id is not None:
        items = [s for s in items if s["vpc_id"] == vpc_id]
    ids = p.id_list("VSwitchId")
    if ids is not None:
        items = [s for s in items if s["id"] in ids]
    for param, fld in (("ZoneId", "zone"), ("VSwitchName", "name")):
        if p.text(param) is not None:
            items = [s for s in items if s[fld] == p.text(param)]
    if p.text("RouteTableId") is not None:
        items = [s for s in items if (cloud.store.get("vpc", s["vpc_id"]) or {}).get("route_table_id")
                 == p.text("RouteTableId")]
    if p.text("ResourceGroupId") is not None:
        items = [s for s in items if (cloud.store.get("vpc", s["vpc_id"]) or {}).get("resource_group_id")
                 == p.text("ResourceGroupId")]
    if p.flag("IsDefault") is True or p.flag("EnableIpv6") is True:
        items = []
    items = tags.filter_by_tags(items, p)
    items.sort(key=lambda s: (s["created"], s["id"]))
    page, meta = paginate(items, p, default_size=10, max_size=50)
    # The VPC's route table and the addresses taken by instances and internal SLBs are read too.
    entries = rendered_list(cloud, "vswitch", page, "DescribeVSwitches", lambda s: models.render_vswitch(cloud, s),
                            depends=("vpc", "instance", "load_balancer"))
    return {**meta, "VSwitches": {"VSwitch": entries}}


@action("vpc", "DescribeVSwitchAttributes")
def describe_vswitch_attributes(cloud, p: Params) -> dict:
    region = cloud.region(p, required=False)
    vsw = models.get_vswitch(cloud, p.text("VSwitchId", required=True), region)
    return models.render_vswitch(cloud, vsw)


@action("vpc", "DeleteVSwitch")
def delete_vswitch(cloud, p: Params) -> dict:
    region = cloud.region(p, required=False)
    vsw = models.get_vswitch(cloud, p.text("VSwitchId", required=True), region)
    models.check_vswitch_deletable(cloud, vsw)
    _dry_run(p)
    models.delete_vswitch(cloud, vsw)
    return {}

