"""vSwitches, one per zone in use: found by tag, created with a ClientToken, waited Available; deleted."""

from __future__ import annotations

import logging
from typing import Any

from ..errors import NotFound
from ..resources import Vpc, VSwitch
from ..tokens import token_key
from .common import (
    VSWITCH,
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
STEP = "vswitch"


def find_vswitches(ctx: Context) -> list[VSwitch]:
    """Every vSwitch tagged for this stack, oldest first (one DescribeVSwitches call)."""
    items = describe_pages(
        ctx,
        STEP,
        "vpc",
        "DescribeVSwitches",
        {"RegionId": ctx.region, "Tag": tag_filter(ctx.spec, VSWITCH)},
        ("VSwitches", "VSwitch"),
        50,
    )
    found = [VSwitch.from_api(i) for i in items if owned(read_tags(i), ctx.spec, VSWITCH)]
    return sorted(found, key=lambda v: (v.created, v.id))


def in_zone(found: list[VSwitch], vpc_id: str, zone: str) -> VSwitch | None:
    for vsw in found:
        if vsw.vpc_id == vpc_id and vsw.zone == zone:
            return vsw
    return None


def ensure_vswitch(ctx: Context, vpc: Vpc, zone: str, found: list[VSwitch]) -> tuple[VSwitch, Record]:
    """The stack's vSwitch in `zone` (CIDR from the spec for the first zone, carved for the others)."""
    current = in_zone(found, vpc.id, zone)
    if current is not None:
        ctx.state.set_vswitch(zone, current.id)
        if current.status != "Available":
            current.status = wait_vswitch_available(ctx, current.id)
        return current, Record(VSWITCH, current.id, "existing", current.status, {"zone": zone})
    cidr = ctx.spec.vswitch_cidr(zone)
    params: dict[str, Any] = {
        "RegionId": ctx.region,
        "VpcId": vpc.id,
        "ZoneId": zone,
        "CidrBlock": cidr,
        "VSwitchName": f"{ctx.spec.name}-{zone}",
        "Description": f"stack {ctx.spec.name}",
        "Tag": tags_for(ctx.spec, VSWITCH),
    }
    # Busy: IncorrectVpcStatus while the VPC settles, IncorrectVSwitchStatus ("VSwitch Creation
    # simultaneously is not supported") while another vSwitch of the VPC is being created.
    body = ctx.create(
        STEP,
        f"{zone} {cidr}",
        "vpc",
        "CreateVSwitch",
        token_key(VSWITCH, 0, zone),
        params,
        record=lambda b: ctx.state.set_vswitch(zone, b["VSwitchId"]),
    )
    vsw_id = body["VSwitchId"]
    log.info("vswitch: created %s in %s (%s)", vsw_id, zone, cidr)
    status = wait_vswitch_available(ctx, vsw_id, expect=typical(ctx, "vswitch.create"))
    vsw = VSwitch(vsw_id, vpc.id, zone, cidr, status, {t["Key"]: t["Value"] for t in params["Tag"]})
    found.append(vsw)
    return vsw, Record(VSWITCH, vsw_id, "created", status, {"zone": zone})


def describe_vswitch(ctx: Context, vsw_id: str) -> VSwitch | None:
    return describe_one(
        ctx,
        STEP,
        vsw_id,
        "vpc",
        "DescribeVSwitches",
        {"RegionId": ctx.region, "VSwitchId": vsw_id},
        ("VSwitches", "VSwitch"),
        VSwitch.from_api,
    )


def wait_vswitch_available(ctx: Context, vsw_id: str, expect: float = 0.0) -> str:
    return wait_status(
        f"vSwitch {vsw_id}", lambda: describe_vswitch(ctx, vsw_id), "Available", ctx.timeouts.network, expect=expect
    )


def delete_vswitch(ctx: Context, vsw: VSwitch) -> Record:
    """Delete a vSwitch of this stack and wait until it is gone; NotFound counts as done."""
    require_owned(ctx, VSWITCH, vsw, "delete")
    try:
        # DependencyViolation while released instances or the SLB still hold addresses in it.
        call_freed(
            ctx,
            STEP,
            vsw.id,
            "vpc",
            "DeleteVSwitch",
            {"RegionId": ctx.region, "VSwitchId": vsw.id},
            verify=lambda: describe_vswitch(ctx, vsw.id) is None,
        )
    except NotFound:
        pass
    wait_gone(
        f"vSwitch {vsw.id}",
        lambda: describe_vswitch(ctx, vsw.id),
        ctx.timeouts.gone,
        expect=typical(ctx, "vswitch.delete"),
    )
    ctx.state.remove_vswitch(vsw.zone)
    return Record(VSWITCH, vsw.id, "deleted", detail={"zone": vsw.zone})
