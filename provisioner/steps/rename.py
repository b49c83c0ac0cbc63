"""Names restored in place: a resource of the stack renamed outside it (at the console) gets the stack's name
back with its product's attribute call. The diff (provisioner/diff) finds them (kind "renamed", the new name
in the change's data); this carries them out, one call each, concurrently."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .common import INSTANCE, LOAD_BALANCER, SECURITY_GROUP, VPC, VSWITCH, Context, Record, typical
from .vswitch import wait_vswitch_available

if TYPE_CHECKING:
    from ..diff import Change

log = logging.getLogger(__name__)
STEP = "rename"

# role -> (product, action, id parameter, name parameter, takes RegionId). ModifyInstanceAttribute has no
# RegionId (the instance id names it); ModifyVSwitchAttribute leaves the vSwitch Pending a moment (docs).
ACTIONS: dict[str, tuple[str, str, str, str, bool]] = {
    VPC: ("vpc", "ModifyVpcAttribute", "VpcId", "VpcName", True),
    VSWITCH: ("vpc", "ModifyVSwitchAttribute", "VSwitchId", "VSwitchName", True),
    SECURITY_GROUP: ("ecs", "ModifySecurityGroupAttribute", "SecurityGroupId", "SecurityGroupName", True),
    INSTANCE: ("ecs", "ModifyInstanceAttribute", "InstanceId", "InstanceName", False),
    LOAD_BALANCER: ("slb", "SetLoadBalancerName", "LoadBalancerId", "LoadBalancerName", True),
}


def api_of(role: str) -> str:
    return ACTIONS[role][1]


def restore_names(ctx: Context, changes: list[Change]) -> list[Record]:
    """One attribute call per renamed resource; a Record ("changed", the name old -> new) for each."""

    def rename(change: Change) -> Record:
        product, action, id_param, name_param, regional = ACTIONS[change.role]
        params: dict[str, Any] = {id_param: change.id, name_param: change.data}
        if regional:
            params["RegionId"] = ctx.region
        ctx.call(STEP, change.id, product, action, params, busy=True)
        log.info("%s: %s renamed back to %s (%s)", change.role, change.id, change.data, action)
        status = ""
        if change.role == VSWITCH:  # Pending a moment: no instance may be created in it meanwhile
            status = wait_vswitch_available(ctx, change.id, expect=typical(ctx, "vswitch.modify"))
        return Record(change.role, change.id, "changed", status, {"name": change.data})

    return ctx.parallel(rename, changes) if changes else []
