"""The diff of the stack's SLB: the load balancer, its listener, the vServer group of a port rollout, and
the backends (provisioner/diff/cloud.py compares the rest)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .. import replace
from ..resources import Instance, LoadBalancer
from ..steps import load_balancer as lb_step
from ..steps import server_group
from ..steps.common import LISTENER, LOAD_BALANCER
from ..tags import VSERVER_GROUP
from .change import Change, Plan, renamed
from .fields import ROLLOUT

if TYPE_CHECKING:
    from .cloud import Inputs

BACKENDS = "backends"


def compare(
    i: Inputs,
    plan: Plan,
    survivors: list[Instance],
    victims: list[Instance],
    need: int,
    add: Callable[[Change], None],
) -> None:
    spec, snap, state = i.spec, i.snap, i.state
    port = spec.load_balancer.listener_port
    known_lb = state.load_balancer_id()
    found = next(
        (x for x in snap.load_balancers if x.id == known_lb), snap.load_balancers[0] if snap.load_balancers else None
    )
    if found is None:
        known = state.load_balancer_id() or ""
        charge = lb_step.CHARGE_TYPES[spec.load_balancer.billing]
        add(
            Change(
                "create",
                LOAD_BALANCER,
                detail=f"{spec.load_balancer.address_type}, {charge} (pay-by-LCU, no spec)",
                was=known,
                kind="deleted" if known else "missing",
                heal="create it, its listener and its backends",
            )
        )
        add(
            Change(
                "create",
                LISTENER,
                detail=f"HTTP {port} -> {spec.serving.port}, health check {spec.load_balancer.health_check.uri}",
                kind="missing",
                heal="create and start it",
            )
        )
        if survivors or need:
            add(
                Change(
                    "change",
                    BACKENDS,
                    detail="add every instance",
                    count=len(survivors) + need,
                    kind="backend-missing",
                    heal="add them (weight 100)",
                )
            )
        return
    assert isinstance(found, LoadBalancer)
    lb = found
    if lb.charge_type == lb_step.LEGACY_CHARGE:
        plan.notes.append(
            f"SLB {lb.id} is billed pay-by-specification, which is no longer sold: provision keeps it"
            f" as it is; it can be converted to pay-by-LCU (no interruption) with {lb_step.CONVERT_ACTION}"
            " (InstanceChargeType=PayByCLCU, InternetChargeType=paybytraffic)"
        )
    renamed(LOAD_BALANCER, lb.id, lb.name, lb_step.lb_name(spec), add)
    if lb.status and lb.status != "active":
        add(
            Change(
                "change",
                LOAD_BALANCER,
                lb.id,
                f"status {lb.status}",
                api="SetLoadBalancerStatus",
                kind="inactive",
                heal="SetLoadBalancerStatus active",
            )
        )
    _listener(i, lb, add)
    _backends(i, lb, survivors, victims, need, add)


def _listener(i: Inputs, lb: LoadBalancer, add: Callable[[Change], None]) -> None:
    spec, state = i.spec, i.state
    port = spec.load_balancer.listener_port
    listener = lb.listener(port)
    rolls = lb_step.port_rolls(state, lb.id)
    kind, differs = lb_step.listener_diff(spec, listener, rolls)
    resource = f"{lb.id}:{port}"
    lb_step.refuse_port_change(lb.id, port, listener, rolls, spec.serving.port)  # an older version's listener: exit 2
    if kind == "create":
        known = state.listener()
        add(
            Change(
                "create",
                LISTENER,
                detail=f"HTTP {port} -> {spec.serving.port}",
                was=resource if known else "",
                kind="deleted" if known else "missing",
                heal="create and start it",
                api="CreateLoadBalancerHTTPListener",
            )
        )
    elif kind in ("replace", "change", "start"):
        extra = []
        if kind == "replace" and len(lb.listeners or []) == 1:
            # Deleting a CLB's last listener makes it inactive (SetLoadBalancerStatus docstring).
            extra.append("the SLB turns inactive while its only listener is replaced and is set active again")
        api = {"change": "SetLoadBalancerHTTPListenerAttribute", "start": "StartLoadBalancerListener"}.get(kind, "")
        heal = {"replace": "replace it", "change": "set the stack's settings again", "start": "start it"}[kind]
        add(
            Change(
                "replace" if kind == "replace" else "change",
                LISTENER,
                resource,
                "; ".join(differs + extra),
                api=api,
                kind="stopped" if kind == "start" else "changed",
                heal=heal,
            )
        )
    for old in lb_step.stale_listeners(spec, lb):
        add(
            Change(
                "delete",
                LISTENER,
                f"{lb.id}:{old.port}",
                f"the stack's listener is on port {port} now",
                api="DeleteLoadBalancerListener",
                kind="surplus",
                heal="delete it",
            )
        )
    if (
        rolls
        and listener is not None
        and listener.backend_port is not None
        and int(listener.backend_port) != spec.serving.port
        and not server_group.in_use_by_state(state, lb.id)
        and i.outdated
    ):
        add(
            Change(
                "create",
                VSERVER_GROUP,
                detail=f"the backends move into vServer group {spec.name[:80]!r} on port {listener.backend_port};"
                f" the new instances join it on port {spec.serving.port}, the old leave with their port",
                fields=[
                    {"field": "serving.port", "old": listener.backend_port, "new": spec.serving.port, "class": ROLLOUT}
                ],
                api="CreateVServerGroup, SetLoadBalancerHTTPListenerAttribute VServerGroup=on",
                kind="port-rollout",
                heal="move the backends into the vServer group (with the rollout)",
            )
        )


def _backends(
    i: Inputs,
    lb: LoadBalancer,
    survivors: list[Instance],
    victims: list[Instance],
    need: int,
    add: Callable[[Change], None],
) -> None:
    snap, state = i.snap, i.state
    entry = state.rollout()
    weights = replace.weights_of(entry)
    flying = replace.in_flight_of(entry, snap.instances)  # the rollout's: its own health gate adds them
    ours = {x.id for x in snap.instances} | set(state.instance_ids())
    settled = [x.id for x in survivors if x.id not in flying]
    to_add, remove, reweight = lb_step.backend_diff(lb, settled, ours - flying, weights)
    for ident in to_add:
        add(
            Change(
                "change",
                BACKENDS,
                ident,
                f"not a backend of {lb.id}: add it",
                api="AddBackendServers",
                kind="backend-missing",
                heal=f"add it (weight {weights.get(ident, lb_step.WEIGHT)})",
            )
        )
    if need:
        add(
            Change(
                "change",
                BACKENDS,
                lb.id,
                f"add {need} new instance(s)",
                count=need,
                api="AddBackendServers",
                kind="backend-missing",
                heal="add them (weight 100)",
            )
        )
    for ident in reweight:
        weight = next((b.weight for b in lb.backends or [] if b.server_id == ident), None)
        want = weights.get(ident, lb_step.WEIGHT)
        add(
            Change(
                "change",
                BACKENDS,
                ident,
                f"weight {weight} on {lb.id} -> {want}",
                api="SetBackendServers",
                kind="weight",
                heal=f"set weight {want}",
            )
        )
    leaving = {x.id for x in victims}  # their removal is part of their delete
    for ident in (r for r in remove if r not in leaving):
        add(
            Change(
                "change",
                BACKENDS,
                ident,
                f"still a backend of {lb.id}: remove it",
                api="RemoveBackendServers",
                kind="backend-extra",
                heal="remove it",
            )
        )
