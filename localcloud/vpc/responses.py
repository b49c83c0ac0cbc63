"""VPC 2016-04-28 actions (RPC): parameters in, response bodies out, in the SDK models' exact shapes."""
from __future__ import annotations

from .. import tags
from ..core import action, paginate
from ..params import Params
from . import models


@action("vpc", "CreateVpc")
def create_vpc(cloud, p: Params) -> dict:
    region = cloud.region(p)

    def create():
        vpc = models.create_vpc(cloud, region, p)
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
    vpcs = tags.filter_by_tags(vpcs, p)
    vpcs.sort(key=lambda v: v["created"])
    page, meta = paginate(vpcs, p, default_size=10, max_size=50)
    return {**meta, "Vpcs": {"Vpc": [models.render_vpc(cloud, v) for v in page]}}
