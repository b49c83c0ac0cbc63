"""Drift: the stack as reconcile sees it (the batched snapshot, the backends' health, and the resources the
state knows but the tag search missed), and the one diff (provisioner/diff) of it as reconcile's findings."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from . import diff, observe, replace, rollout
from .resources import LoadBalancer, Tagged
from .steps import load_balancer as lb_step
from .steps.common import Context

log = logging.getLogger(__name__)


@dataclass
class View:
    """What one reconcile run sees: the snapshot (with the state's untagged resources merged in), the
    backends' health, and the state's ids that the cloud no longer has."""

    snap: observe.Snapshot
    health: dict[str, str] = field(default_factory=dict)  # backend server id -> normal/abnormal/...
    untagged: list[tuple[str, Tagged]] = field(default_factory=list)  # (role, resource) lost our tags
    foreign: list[tuple[str, str, str]] = field(default_factory=list)  # (role, id, other stack)
    gone: dict[str, list[str]] = field(default_factory=dict)  # role -> ids the state knows, gone
    deployed: bool = True

    def forget(self, role: str) -> list[str]:
        return self.gone.get(role, [])


# --- observe -------------------------------------------------------------------------------------------


def observe_stack(ctx: Context) -> View:
    """The snapshot (9 Describe calls), the listener's health (1 call); plus, only when the state knows
    ids the tag search did not return, one Describe by id per kind to tell deleted from untagged."""
    snap = observe.snapshot(ctx)  # the state's untagged ids are looked up there (identity.known_by_id)
    view = View(snap, untagged=snap.untagged, foreign=snap.foreign, gone=snap.gone)
    view.deployed = ctx.state.existed or not snap.empty or bool(view.untagged)
    lb = lb_step.pick(ctx, snap.load_balancers)
    listener = lb.listener(ctx.spec.load_balancer.listener_port) if lb is not None else None
    if lb is not None and listener is not None and listener.status == "running":
        view.health = read_health(ctx, lb)
    return view


def read_health(ctx: Context, lb: LoadBalancer) -> dict[str, str]:
    """ServerHealthStatus of each backend behind the stack's listener (one DescribeHealthStatus)."""
    return {sid: str(status).lower() for sid, status in rollout.health(ctx, lb.id).items()}


# --- compare -------------------------------------------------------------------------------------------


def changes(ctx: Context, view: View, grace: float) -> diff.Plan:
    """The one diff (provisioner/diff) of the view: what plan would list, plus the reboot of instances
    failing their health check past the grace. A change that cannot be made raises SpecError (exit 2)."""
    outdated = replace.changes(ctx, view.snap.instances)  # by template tag (DescribeUserData for untagged ones)
    return diff.changes(ctx.spec, view.snap, ctx.state, outdated=outdated, health=view.health, grace=grace)


def detect(ctx: Context, view: View, grace: float) -> tuple[list[diff.Change], list[str]]:
    """(findings, notes): every difference between the view and the stack file, with the heal for each: the
    one diff's changes (Change.finding() is how reconcile reports one)."""
    plan = changes(ctx, view, grace)
    return plan.changes, plan.notes
