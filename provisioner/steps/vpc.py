"""The stack's VPC: found by tag, created with a ClientToken, waited Available; deleted and waited gone."""

from __future__ import annotations

import logging
from typing import Any

from ..errors import NotFound
from ..resources import Vpc
from ..tokens import token_key
from .common import (
    VPC,
    Context,
    Record,
    call_freed,
    describe_one,
    describe_pages,
    owned,
    read_tags,
    require_owned,
    tag_filter,
    tags_for,
    typical,
    wait_gone,
    wait_status,
)

log = logging.getLogger(__name__)
STEP = "vpc"


def find_vpcs(ctx: Context) -> list[Vpc]:
    """Every VPC tagged for this stack, oldest first (one DescribeVpcs call)."""
    items = describe_pages(
        ctx,
        STEP,
        "vpc",
        "DescribeVpcs",
        {"RegionId": ctx.region, "Tag": tag_filter(ctx.spec, VPC)},
        ("Vpcs", "Vpc"),
        50,
    )
    vpcs = [Vpc.from_api(i) for i in items if owned(read_tags(i), ctx.spec, VPC)]
    return sorted(vpcs, key=lambda v: (v.created, v.id))


def pick(ctx: Context, vpcs: list[Vpc]) -> Vpc | None:
    """The stack's VPC: the one the state names if it still exists, else the oldest tagged one."""
    known = ctx.state.vpc_id()
    for vpc in vpcs:
        if vpc.id == known:
            return vpc
    if len(vpcs) > 1:
        log.warning("%d VPCs carry this stack's tags (%s); using the oldest", len(vpcs), ", ".join(v.id for v in vpcs))
    return vpcs[0] if vpcs else None


def ensure_vpc(ctx: Context, found: list[Vpc]) -> tuple[Vpc, Record]:
    current = pick(ctx, found)
    if current is not None:
        if current.cidr and current.cidr != ctx.spec.network.vpc_cidr:
            log.warning(
                "VPC %s has CIDR %s but the stack asks for %s; a VPC's CIDR cannot change in place"
                " (teardown and provision again to change it)",
                current.id,
                current.cidr,
                ctx.spec.network.vpc_cidr,
            )
        ctx.state.set_vpc_id(current.id)
        if current.status != "Available":
            current.status = wait_vpc_available(ctx, current.id)
        return current, Record(VPC, current.id, "existing", current.status)
    params: dict[str, Any] = {
        "RegionId": ctx.region,
        "CidrBlock": ctx.spec.network.vpc_cidr,
        "VpcName": ctx.spec.name,
        "Description": f"stack {ctx.spec.name}",
        "Tag": tags_for(ctx.spec, VPC),
    }
    body = ctx.create(
        STEP,
        ctx.spec.name,
        "vpc",
        "CreateVpc",
        token_key(VPC),
        params,
        record=lambda b: ctx.state.set_vpc_id(b["VpcId"]),
    )
    vpc_id = body["VpcId"]
    log.info("vpc: created %s (%s)", vpc_id, ctx.spec.network.vpc_cidr)
    status = wait_vpc_available(ctx, vpc_id, expect=typical(ctx, "vpc.create"))
    return (
        Vpc(vpc_id, ctx.spec.network.vpc_cidr, status, {t["Key"]: t["Value"] for t in params["Tag"]}),
        Record(VPC, vpc_id, "created", status),
    )


def describe_vpc(ctx: Context, vpc_id: str) -> Vpc | None:
    return describe_one(
        ctx,
        STEP,
        vpc_id,
        "vpc",
        "DescribeVpcs",
        {"RegionId": ctx.region, "VpcId": vpc_id},
        ("Vpcs", "Vpc"),
        Vpc.from_api,
    )


def wait_vpc_available(ctx: Context, vpc_id: str, expect: float = 0.0) -> str:
    return wait_status(
        f"VPC {vpc_id}", lambda: describe_vpc(ctx, vpc_id), "Available", ctx.timeouts.network, expect=expect
    )


def delete_vpc(ctx: Context, vpc: Vpc) -> Record:
    """Delete a VPC of this stack and wait until it is gone; NotFound counts as done."""
    require_owned(ctx, VPC, vpc, "delete")
    try:
        # DependencyViolation.* while the vSwitches or the security group are still being released.
        call_freed(
            ctx,
            STEP,
            vpc.id,
            "vpc",
            "DeleteVpc",
            {"RegionId": ctx.region, "VpcId": vpc.id},
            verify=lambda: describe_vpc(ctx, vpc.id) is None,
        )
    except NotFound:
        pass
    wait_gone(f"VPC {vpc.id}", lambda: describe_vpc(ctx, vpc.id), ctx.timeouts.gone, expect=typical(ctx, "vpc.delete"))
    return Record(VPC, vpc.id, "deleted")
