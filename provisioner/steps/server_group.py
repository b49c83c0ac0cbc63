"""The stack's vServer group: where the backends live once `serving.port` has changed (CHOICES.md "Rollout").

A CLB's default server group forwards every backend on the listener's one BackendServerPort; a vServer group
member is a (ServerId, Port) pair, so old instances on the old port and new ones on the new port serve side by
side. Before the first new instance of a port change joins, `migrate` moves the fleet into a group bound to the
listener, in three steps written ahead in the state (`vserver_group`: id and stage), so a killed run resumes:
CreateVServerGroup with the current backends on the old port (found again by name on a rerun: no duplicate);
SetLoadBalancerHTTPListenerAttribute VServerGroup=on + VServerGroupId (the pairs keep their health: the group's
members are the same servers on the same port); once the rollout is done (`finish`), RemoveBackendServers of what
the default group still holds. From the switch on the stack keeps using the group: every backend call goes to the
vServer group APIs (`call`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from ..resources import Backend, LoadBalancer
from ..state import State
from ..tags import VSERVER_GROUP
from .common import Context, chunks, tags_for

log = logging.getLogger(__name__)
STEP = "load-balancer"
MAX_MEMBERS = 20  # Add/Remove/SetVServerGroup*: at most 20 servers per call (as the default group)


def entry(ctx: Context, lb: LoadBalancer) -> dict[str, Any] | None:
    """The state's group entry for this SLB, or None."""
    e = ctx.state.vserver_group()
    return e if e is not None and e.get("load_balancer") == lb.id else None


def in_use(ctx: Context, lb: LoadBalancer) -> str | None:
    """The group id when the listener serves from the group (bound, or its default backends already gone)."""
    return in_use_by_state(ctx.state, lb.id)


def in_use_by_state(state: State, lb_id: str) -> str | None:
    """in_use, from the state alone (the diff is pure)."""
    e = state.vserver_group()
    if e is None or e.get("load_balancer") != lb_id:
        return None
    return str(e["id"]) if e.get("id") and e.get("stage") in ("bound", "moved") else None


def _save(ctx: Context, e: dict[str, Any] | None) -> None:
    ctx.state.set_vserver_group(e)


def group_name(ctx: Context) -> str:
    """VServerGroupName: 1-80 of letters, digits, `-`, `/`, `.`, `_` (the stack name is such)."""
    return ctx.spec.name[:80]


def find(ctx: Context, lb: LoadBalancer) -> str | None:
    body = ctx.call(
        STEP, lb.id, "slb", "DescribeVServerGroups", {"RegionId": ctx.region, "LoadBalancerId": lb.id}, busy=True
    )
    for g in (body.get("VServerGroups") or {}).get("VServerGroup") or []:
        if g.get("VServerGroupName") == group_name(ctx):
            return str(g.get("VServerGroupId"))
    return None


def read(ctx: Context, group_id: str) -> list[Backend]:
    body = ctx.call(
        STEP,
        group_id,
        "slb",
        "DescribeVServerGroupAttribute",
        {"RegionId": ctx.region, "VServerGroupId": group_id},
        busy=True,
    )
    out = []
    for item in (body.get("BackendServers") or {}).get("BackendServer") or []:
        b = Backend.from_api(item)
        b.port = int(item.get("Port") or 0) or None
        out.append(b)
    return out


def _members(items: Sequence[tuple[str, int, int]]) -> str:
    return json.dumps([{"ServerId": s, "Port": str(p), "Weight": str(w), "Type": "ecs"} for s, p, w in items])


def migrate(ctx: Context, lb: LoadBalancer, listener_port: int, old_port: int) -> None:
    """Move the default group's backends (on `old_port`) into the stack's group bound to the listener."""
    e: dict[str, Any] = entry(ctx, lb) or {"load_balancer": lb.id, "stage": "creating"}
    if e.get("stage") == "moved":
        return
    resumed = e.get("stage") == "created"  # a killed run may have switched the listener already
    from . import load_balancer as lb_step

    if e.get("stage") == "creating":
        _save(ctx, e)  # before CreateVServerGroup: a rerun looks it up by name
        gid = find(ctx, lb)
        if gid is None:
            lb_step.read_backends(ctx, lb, default_group=True)
            members = [(b.server_id, old_port, b.weight) for b in lb.backends or []]
            body = ctx.call(
                STEP,
                lb.id,
                "slb",
                "CreateVServerGroup",
                {
                    "RegionId": ctx.region,
                    "LoadBalancerId": lb.id,
                    "VServerGroupName": group_name(ctx),
                    "BackendServers": _members(members[:MAX_MEMBERS]),
                    "Tag": tags_for(ctx.spec, VSERVER_GROUP),
                },
                busy=True,
            )
            gid = body["VServerGroupId"]
            for batch in chunks(members[MAX_MEMBERS:], MAX_MEMBERS):
                ctx.call(
                    STEP,
                    gid,
                    "slb",
                    "AddVServerGroupBackendServers",
                    {"RegionId": ctx.region, "VServerGroupId": gid, "BackendServers": _members(batch)},
                    busy=True,
                )
            log.info("load-balancer: vServer group %s holds %d backend(s) on port %d", gid, len(members), old_port)
        e.update(id=gid, stage="created")
        _save(ctx, e)
    gid = e["id"]
    if e.get("stage") == "created" and not (resumed and _bound(ctx, lb, listener_port, gid)):
        ctx.call(
            STEP,
            f"{lb.id}:{listener_port}",
            "slb",
            "SetLoadBalancerHTTPListenerAttribute",
            {
                "RegionId": ctx.region,
                "LoadBalancerId": lb.id,
                "ListenerPort": listener_port,
                "VServerGroup": "on",
                "VServerGroupId": gid,
            },
            busy=True,
        )
        log.info("load-balancer: listener %s:%d serves from vServer group %s", lb.id, listener_port, gid)
    if e.get("stage") == "created":
        e["stage"] = "bound"
        _save(ctx, e)
    lb_step.read_backends(ctx, lb)


def _bound(ctx: Context, lb: LoadBalancer, listener_port: int, group_id: str) -> bool:
    """Whether the listener serves from the group already (DescribeLoadBalancerListeners' VServerGroupId): a rerun
    does not switch it again (each Set*ListenerAttribute reconfigures the listener)."""
    from . import load_balancer as lb_step

    items = lb_step._listed_listeners(ctx, {"RegionId": ctx.region, "LoadBalancerId": [lb.id]})
    return any(i.get("ListenerPort") == listener_port and i.get("VServerGroupId") == group_id for i in items)


def finish(ctx: Context, lb: LoadBalancer) -> None:
    """The default group's backends leave once the rollout is done, not right after the switch: the balancer
    applies a listener change asynchronously (a real CLB's configuring state; the local one follows it within a
    moment), and a default group emptied before it follows would answer 503. By then the old instances are
    usually deleted (a released instance leaves every group), so this is mostly a no-op."""
    e = entry(ctx, lb)
    if not e or e.get("stage") != "bound":
        return
    from . import load_balancer as lb_step

    lb_step.read_backends(ctx, lb, default_group=True)
    ids = [b.server_id for b in lb.backends or []]
    for batch in chunks(ids, MAX_MEMBERS):
        ctx.call(
            STEP,
            lb.id,
            "slb",
            "RemoveBackendServers",
            {
                "RegionId": ctx.region,
                "LoadBalancerId": lb.id,
                "BackendServers": json.dumps([{"ServerId": i, "Type": "ecs"} for i in batch]),
            },
            busy=True,
        )
    e["stage"] = "moved"
    _save(ctx, e)
    lb_step.read_backends(ctx, lb)


def call(ctx: Context, lb: LoadBalancer, group_id: str, verb: str, weights: dict[str, int]) -> None:
    """add / set / remove members: a new member joins on serving.port, an existing one keeps its own port."""
    ports = {b.server_id: b.port for b in lb.backends or []}
    items = [(i, ports.get(i) or ctx.spec.serving.port, w) for i, w in weights.items()]
    if verb == "add":
        items = [(i, ctx.spec.serving.port, w) for i, w in weights.items()]
    action = {
        "add": "AddVServerGroupBackendServers",
        "set": "SetVServerGroupAttribute",
        "remove": "RemoveVServerGroupBackendServers",
    }[verb]
    for batch in chunks(items, MAX_MEMBERS):
        ctx.call(
            STEP,
            group_id,
            "slb",
            action,
            {"RegionId": ctx.region, "VServerGroupId": group_id, "BackendServers": _members(batch)},
            busy=True,
        )
