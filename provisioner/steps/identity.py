"""Identity by id first, tags second: the resources the state file lists but the tag search missed are
looked up by id (one Describe per kind, only then), so a resource whose tags were removed at the console is
still ours (its tags are restored), one now tagged for another stack is left alone, and a gone one is
forgotten. A resource neither in the state nor tagged for the stack is never touched."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from ..resources import LoadBalancer, SecurityGroup, Tagged
from ..tags import DATA_DISK_HOLDER, TAG_DATA_DISK, TAG_STACK
from . import disks as disk_step
from . import instances as instance_step
from . import load_balancer as lb_step
from . import security_group as sg_step
from . import vpc as vpc_step
from . import vswitch as vswitch_step
from .common import (
    DATA_DISK,
    INSTANCE,
    LOAD_BALANCER,
    SECURITY_GROUP,
    VPC,
    VSWITCH,
    Context,
    Record,
    chunks,
    owned,
    tags_for,
)

if TYPE_CHECKING:
    from ..observe import Snapshot

log = logging.getLogger(__name__)

# role -> (product, TagResources ResourceType, ids per call)
TAG_TARGETS = {
    VPC: ("vpc", "VPC", 50),
    VSWITCH: ("vpc", "VSWITCH", 50),
    SECURITY_GROUP: ("ecs", "securitygroup", 50),
    INSTANCE: ("ecs", "instance", 50),
    DATA_DISK: ("ecs", "disk", 50),
    LOAD_BALANCER: ("slb", "instance", 20),
}


def known_by_id(ctx: Context, snap: Snapshot, details: bool = True) -> None:
    """Look up, by id, what the state lists and the tag search missed: gone (`snap.gone`), stripped of our
    tags (`snap.untagged`, and listed with the rest from now on), or tagged for another stack (`snap.foreign`)."""
    state = ctx.state
    lookups: list[tuple[str, list[str], Callable[[list[str]], Sequence[Tagged]]]] = []
    vpc_id = state.vpc_id()
    if vpc_id and vpc_id not in {v.id for v in snap.vpcs}:
        lookups.append((VPC, [vpc_id], lambda ids: [r for r in [vpc_step.describe_vpc(ctx, ids[0])] if r]))
    vsw_ids = [i for i in state.vswitch_ids().values() if i not in {s.id for s in snap.vswitches}]
    if vsw_ids:
        lookups.append(
            (VSWITCH, vsw_ids, lambda ids: [r for r in (vswitch_step.describe_vswitch(ctx, i) for i in ids) if r])
        )
    sg_id = state.security_group_id()
    if sg_id and sg_id not in {g.id for g in snap.security_groups}:
        lookups.append((SECURITY_GROUP, [sg_id], lambda ids: _describe_groups(ctx, ids)))
    inst_ids = [i for i in state.instance_ids() if i not in {x.id for x in snap.instances}]
    if inst_ids:
        lookups.append((INSTANCE, inst_ids, lambda ids: list(instance_step.describe_instances(ctx, ids).values())))
    disk_ids = [d for d in state.data_disks() if d not in {x.id for x in snap.disks}]
    if disk_ids:
        lookups.append((DATA_DISK, disk_ids, lambda ids: list(disk_step.describe_disks(ctx, ids).values())))
    lb_id = state.load_balancer_id()
    if lb_id and lb_id not in {x.id for x in snap.load_balancers}:
        lookups.append((LOAD_BALANCER, [lb_id], lambda ids: _describe_lb(ctx, ids[0], details)))
    if not lookups:
        return
    with ThreadPoolExecutor(max_workers=len(lookups), thread_name_prefix="known") as pool:
        found = [(role, ids, pool.submit(fn, ids)) for role, ids, fn in lookups]
        results = [(role, ids, f.result()) for role, ids, f in found]
    # each role's list of the snapshot (of that role's resource class: hence Any, not Tagged, for append)
    lists: dict[str, list[Any]] = {
        VPC: snap.vpcs,
        VSWITCH: snap.vswitches,
        SECURITY_GROUP: snap.security_groups,
        INSTANCE: snap.instances,
        DATA_DISK: snap.disks,
        LOAD_BALANCER: snap.load_balancers,
    }
    for role, ids, resources in results:
        seen = {r.id for r in resources}
        snap.gone[role] = [i for i in ids if i not in seen]
        for res in resources:
            other: str = res.tags.get(TAG_STACK) or ""
            if other not in ("", ctx.spec.name):
                snap.foreign.append((role, res.id, other))
                continue
            if not owned(res.tags, ctx.spec, role):
                snap.untagged.append((role, res))
            lists[role].append(res)  # ours: listed from now on (its tags are restored first)
    snap.instances.sort(key=lambda i: i.order)
    if details:
        for group in [r for role, r in snap.untagged if role == SECURITY_GROUP and isinstance(r, SecurityGroup)]:
            sg_step.read_rules(ctx, group)


def _describe_groups(ctx: Context, ids: list[str]) -> list[SecurityGroup]:
    body = ctx.call(
        "identity",
        ids[0],
        "ecs",
        "DescribeSecurityGroups",
        {"RegionId": ctx.region, "SecurityGroupIds": json.dumps(ids)},
    )
    return [SecurityGroup.from_api(g) for g in (body.get("SecurityGroups") or {}).get("SecurityGroup") or []]


def _describe_lb(ctx: Context, lb_id: str, details: bool) -> list[LoadBalancer]:
    lb = lb_step.describe_load_balancer(ctx, lb_id)
    if lb is None:
        return []
    if details:
        lb_step.read_backends(ctx, lb)
        lb_step.read_listeners(ctx, [lb])
    return [lb]


def restore_tags(ctx: Context, snap: Snapshot) -> list[dict[str, Any]]:
    """TagResources with the stack's tags on every resource the state lists that lost them (a merge, so a
    retry after a lost answer sets the same tags again). Returns one action per resource."""
    by_role: dict[str, list[Tagged]] = {}
    for role, res in snap.untagged:
        if not owned(res.tags, ctx.spec, role):
            by_role.setdefault(role, []).append(res)
    holders = {d.instance_id for d in snap.disks if d.instance_id}
    first_mode = ctx.spec.data_disk is not None and ctx.spec.data_disk.attach == "first"
    actions = []
    for role, resources in by_role.items():
        product, rtype, per_call = TAG_TARGETS[role]
        groups: dict[bool, list[Tagged]] = {}
        for res in resources:
            groups.setdefault(role == INSTANCE and first_mode and res.id in holders, []).append(res)
        for holder, members in groups.items():
            tags = tags_for(ctx.spec, role) + ([{"Key": TAG_DATA_DISK, "Value": DATA_DISK_HOLDER}] if holder else [])
            for batch in chunks(members, per_call):
                ids = [r.id for r in batch]
                ctx.call(
                    "identity",
                    ", ".join(ids),
                    product,
                    "TagResources",
                    {"RegionId": ctx.region, "ResourceType": rtype, "ResourceId": ids, "Tag": tags},
                )
                for res in batch:
                    res.tags.update({t["Key"]: t["Value"] for t in tags})
                actions += [{"role": role, "id": i, "action": "retagged"} for i in ids]
                log.info("restored the stack's tags on %s %s (found by the id in the state file)", role, ", ".join(ids))
    return actions


def records(actions: list[dict[str, Any]]) -> list[Record]:
    return [Record(a["role"], a["id"], a["action"]) for a in actions]


def forget(ctx: Context, snap: Snapshot) -> None:
    """Forget, in the state, what the cloud no longer has (or gave to another stack), so the next run does
    not look again."""
    drop = {i for ids in snap.gone.values() for i in ids} | {ident for _, ident, _ in snap.foreign}
    if drop:
        ctx.state.forget_ids(drop)
