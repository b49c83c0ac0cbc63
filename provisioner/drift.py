"""Drift: the stack as the cloud shows it (the batched snapshot, backend health, and the resources the
state knows but the tag search missed) compared with the stack file, as a list of findings."""

from __future__ import annotations

import calendar
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import diff, observe, planning, replace, rollout
from .resources import Instance, LoadBalancer, Tagged
from .steps import disks as disk_step
from .steps import load_balancer as lb_step
from .steps import security_group as sg_step
from .steps import vpc as vpc_step
from .steps import vswitch as vswitch_step
from .steps.common import DATA_DISK, INSTANCE, LISTENER, LOAD_BALANCER, SECURITY_GROUP, VPC, VSWITCH, Context

log = logging.getLogger(__name__)

SETTLING = ("Pending", "Starting")


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


def started_age(inst: Instance, now: float | None = None) -> float | None:
    """Seconds since the instance last started (StartTime), or None when the cloud did not say."""
    for fmt in ("%Y-%m-%dT%H:%MZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            started = calendar.timegm(time.strptime(inst.started, fmt))
        except (TypeError, ValueError):
            continue
        return (now if now is not None else time.time()) - started
    return None


def detect(ctx: Context, view: View, grace: float) -> tuple[list[Drift], list[str]]:
    """(drift, notes): every difference between the view and the stack file, with the heal for each."""
    spec, snap, state = ctx.spec, view.snap, ctx.state
    out: list[Drift] = []
    notes: list[str] = []
    add = out.append

    def lost(role: str, ident: str | None) -> str:
        return "deleted" if ident and ident in view.forget(role) else "missing"

    for role, res in view.untagged:
        add(Drift(role, res.id, "tags-removed", "lacks this stack's tags (the state lists it)", "restore the tags"))
    for role, ident, other in view.foreign:
        notes.append(f"{role} {ident} is in the state but now tagged for stack {other!r}: left alone, forgotten")

    vpc = vpc_step.pick(ctx, snap.vpcs)
    if vpc is None:
        add(
            Drift(
                VPC,
                state.get(VPC) or "",
                lost(VPC, state.get(VPC)),
                spec.network.vpc_cidr,
                "create it and everything in it",
            )
        )
    elif vpc.name and vpc.name != spec.name:
        add(Drift(VPC, vpc.id, "renamed", f"named {vpc.name!r}", f"ModifyVpcAttribute VpcName {spec.name!r}"))
    primary = spec.zones[0]
    # A vSwitch in any of the stack's zones will do: the pre-check may have skipped the first zone.
    if vpc is not None and all(vswitch_step.in_zone(snap.vswitches, vpc.id, z) is None for z in spec.zones):
        known = (state.get(VSWITCH) or {}).get(primary)
        add(Drift(VSWITCH, known or "", lost(VSWITCH, known), f"{primary} {spec.vswitch_cidr(primary)}", "create it"))
    group = sg_step.pick(ctx, snap.security_groups, vpc.id) if vpc is not None else None
    if group is None and vpc is not None:
        known = state.get(SECURITY_GROUP)
        add(Drift(SECURITY_GROUP, known or "", lost(SECURITY_GROUP, known), "no security group", "create it"))
    elif group is not None:
        missing, extra = sg_step.rule_changes(spec, group.rules or [], diff.fleet_ports(spec, snap.instances, state))
        for rule in missing:
            add(
                Drift(
                    SECURITY_GROUP,
                    group.id,
                    "rule-revoked",
                    f"{rule.protocol} {rule.port_range} from {rule.source_label}",
                    "authorize it again",
                )
            )
        for rule in extra:
            add(
                Drift(
                    SECURITY_GROUP,
                    group.id,
                    "rule-added",
                    f"{rule.protocol} {rule.port_range} from {rule.source_label} ({rule.policy}) was added"
                    " outside the stack",
                    "revoke it",
                    security=True,
                )
            )

    survivors = _instances(ctx, view, grace, add, notes)
    _disks(ctx, view, survivors, add)
    _load_balancer(ctx, view, survivors, add, notes)
    _stack_file(ctx, survivors, add)
    return out, notes


def _stack_file(ctx: Context, survivors: list[Instance], add: Callable[[Drift], None]) -> None:
    """What the stack file changed since the last applied stack (provisioner/diff.py): outdated instances
    (their replacement is a rollout, started by reconcile only when the stack says so) and settings that
    apply to the next operation. A change that cannot be made raises SpecError (exit 2)."""
    fields = diff.check(ctx.spec, ctx.state.applied_stack)
    heal = (
        "replace it (rolling)"
        if diff.reconcile_rolls_out(ctx.spec)
        else "left as it is: rollout.on_reconcile is finish (provision starts the rollout)"
    )
    for ident, names in replace.changes(ctx, survivors):
        add(Drift(INSTANCE, ident, "outdated", "template differs in " + ", ".join(names), heal))
    for change in fields:
        if change.kind == diff.NEXT:
            add(Drift("stack", "", "stack-changed", change.text(), f"record it ({change.rule.why})"))


def _instances(
    ctx: Context, view: View, grace: float, add: Callable[[Drift], None], notes: list[str]
) -> list[Instance]:
    spec, snap = ctx.spec, view.snap
    for ident in view.forget(INSTANCE):
        add(Drift(INSTANCE, ident, "deleted", "released outside the stack", "replace it"))
    short = spec.instances.count - len(snap.instances) - len(view.forget(INSTANCE))
    if short > 0:
        add(Drift(INSTANCE, "", "missing", f"{short} of {spec.instances.count} not found", f"create {short}"))
    keep = planning.disk_holders(spec, snap)
    victims = planning.victims_for(spec, snap, keep)
    for inst in victims:
        add(
            Drift(
                INSTANCE,
                inst.id,
                "surplus",
                f"{len(snap.instances)} instances, the stack asks for " f"{spec.instances.count} ({inst.status})",
                "remove it from the SLB, then delete it",
            )
        )
    survivors = [i for i in snap.instances if i not in victims]
    for inst in survivors:
        if inst.status in ("Stopped", "Stopping"):
            add(Drift(INSTANCE, inst.id, "stopped", inst.status, "start it"))
        elif inst.status == "Running" and view.health.get(inst.id) == "abnormal":
            age = started_age(inst)
            if age is None or age >= grace:
                add(
                    Drift(
                        INSTANCE,
                        inst.id,
                        "unhealthy",
                        "Running, but its backend fails the health check",
                        "reboot it (RebootInstance restarts the server)",
                    )
                )
            else:
                notes.append(
                    f"instance {inst.id} fails the health check but started {age:.0f}s ago"
                    f" (under the {grace:.0f}s grace): left to finish booting"
                )
        elif inst.status in SETTLING:
            notes.append(f"instance {inst.id} is {inst.status}: waited for")
    return survivors


def _disks(ctx: Context, view: View, survivors: list[Instance], add: Callable[[Drift], None]) -> None:
    spec, snap = ctx.spec, view.snap
    for ident in view.forget(DATA_DISK):
        add(Drift(DATA_DISK, ident, "deleted", "deleted outside the stack", "create a new one and attach it"))
    gone_with = {i.id for i in snap.instances if i not in survivors}
    usable = [d for d in snap.disks if d.instance_id not in gone_with]
    dplan = disk_step.plan_disks(spec, survivors, usable)
    for disk, _inst in dplan.attach:
        add(Drift(DATA_DISK, disk.id, "detached", f"{disk.status}, attached to no instance", "attach it again"))
    unexplained = len(dplan.create) - len(view.forget(DATA_DISK))
    for inst in dplan.create[: max(unexplained, 0)]:
        add(Drift(DATA_DISK, "", "missing", f"instance {inst.id} has no data disk", "create and attach one"))
    # Free disks go to the instances this run creates first (provision matches disks after creating).
    need = max(spec.instances.count - len(survivors), 0)
    if spec.data_disk is not None and spec.data_disk.attach == "first":
        need = min(need, 0 if (dplan.ok or dplan.attach or dplan.create) else 1)
    for disk in dplan.surplus[:need]:
        add(
            Drift(
                DATA_DISK, disk.id, "detached", f"{disk.status}, attached to no instance", "attach it to a new instance"
            )
        )
    for disk in disk_step.to_grow(spec, dplan.ok + [d for d, _ in dplan.attach]):
        assert spec.data_disk is not None, "to_grow lists disks only for a stack with a data disk"
        add(
            Drift(
                DATA_DISK,
                disk.id,
                "smaller",
                f"{disk.size} GiB, the stack asks for {spec.data_disk.size_gib}",
                "grow it (ResizeDisk online)",
            )
        )
    for disk in dplan.surplus[need:]:
        add(Drift(DATA_DISK, disk.id, "surplus", "free, and no instance of the stack needs it", "delete it"))


def _load_balancer(
    ctx: Context, view: View, survivors: list[Instance], add: Callable[[Drift], None], notes: list[str]
) -> None:
    spec, snap = ctx.spec, view.snap
    lb = lb_step.pick(ctx, snap.load_balancers)
    port = spec.load_balancer.listener_port
    if lb is None:
        known = ctx.state.get(LOAD_BALANCER)
        add(
            Drift(
                LOAD_BALANCER,
                known or "",
                "deleted" if known else "missing",
                "no SLB",
                "create it, its listener and its backends",
            )
        )
        return
    if lb.charge_type == lb_step.LEGACY_CHARGE:
        notes.append(
            f"SLB {lb.id} is billed pay-by-specification, which is no longer sold: kept as it is; it can be"
            f" converted to pay-by-LCU with {lb_step.CONVERT_ACTION}"
        )
    if lb.name and lb.name != lb_step.lb_name(spec):
        add(
            Drift(
                LOAD_BALANCER, lb.id, "renamed", f"named {lb.name!r}", f"SetLoadBalancerName {lb_step.lb_name(spec)!r}"
            )
        )
    if lb.status != "active":
        add(Drift(LOAD_BALANCER, lb.id, "inactive", f"status {lb.status or 'unknown'}", "SetLoadBalancerStatus active"))
    kind, differs = lb_step.listener_diff(spec, lb.listener(port), lb_step.port_rolls(ctx.state, lb.id))
    resource = f"{lb.id}:{port}"
    if kind == "create":
        known = ctx.state.get(LISTENER)
        add(
            Drift(
                LISTENER,
                resource,
                "deleted" if known else "missing",
                f"no listener on port {port}",
                "create and start it",
            )
        )
    elif kind in ("replace", "change"):
        add(
            Drift(
                LISTENER,
                resource,
                "changed",
                "; ".join(differs),
                "replace it" if kind == "replace" else "set the stack's settings again",
            )
        )
    elif kind == "start":
        add(Drift(LISTENER, resource, "stopped", "; ".join(differs), "start it"))
    for old in lb_step.stale_listeners(spec, lb):
        add(Drift(LISTENER, f"{lb.id}:{old.port}", "surplus", f"the stack's listener is on port {port}", "delete it"))
    ours = {i.id for i in snap.instances} | set(ctx.state.get(INSTANCE, []))
    to_add, remove, reweight = lb_step.backend_diff(lb, [i.id for i in survivors], ours)
    for ident in to_add:
        add(Drift("backends", ident, "backend-missing", f"not a backend of {lb.id}", "add it (weight 100)"))
    for ident in reweight:
        weight = next((b.weight for b in lb.backends or [] if b.server_id == ident), None)
        add(Drift("backends", ident, "weight", f"weight {weight} on {lb.id}", "set weight 100"))
    leaving = {i.id for i in snap.instances} - {i.id for i in survivors}  # reported as surplus
    for ident in (r for r in remove if r not in leaving):
        add(Drift("backends", ident, "backend-extra", f"still a backend of {lb.id}", "remove it"))
