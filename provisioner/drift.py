"""Drift: the stack as the cloud shows it (the batched snapshot, backend health, and the resources the
state knows but the tag search missed) compared with the stack file, as a list of findings."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from . import diff, observe, replace, rollout
from .resources import LoadBalancer, Tagged
from .steps import load_balancer as lb_step
from .steps.common import Context

log = logging.getLogger(__name__)


@dataclass
class Drift:
    """One difference between the cloud and the stack, and what reconcile does about it."""

    role: str
    id: str
    kind: str  # deleted, missing, stopped, unhealthy, surplus, detached, inactive, changed, ...
    detail: str
    heal: str
    security: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "id": self.id,
            "kind": self.kind,
            "detail": self.detail,
            "heal": self.heal,
            "security": self.security,
        }

    def line(self) -> str:
        tag = "SECURITY " if self.security else ""
        what = f"{self.role} {self.id}".strip()
        return f"{tag}{what}: {self.kind}: {self.detail} -> {self.heal}"


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


def detect(ctx: Context, view: View, grace: float) -> tuple[list[Drift], list[str]]:
    """(drift, notes): every difference between the view and the stack file, with the heal for each: the
    one diff's changes, as findings."""
    plan = changes(ctx, view, grace)
    notes = [n.replace("left alone", "left alone, forgotten") if "tagged for stack" in n else n for n in plan.notes]
    return [Drift(**c.finding()) for c in plan.changes], notes
