"""The cloud's side of the diff: each resource of the snapshot against the stack, as Changes. Pure: it reads
the snapshot, the state and (for reconcile) the backends' health, and makes no call. The per-resource
comparisons it uses live with their steps (rule_changes, listener_diff, backend_diff, plan_disks,
choose_victims), which apply what it decides."""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .. import names
from ..resources import Instance, SecurityGroup
from ..spec import Stack
from ..steps import disks as disk_step
from ..steps import instances as instance_step
from ..steps import security_group as sg_step
from ..steps.common import DATA_DISK, INSTANCE, SECURITY_GROUP, VPC, VSWITCH
from ..tags import DATA_DISK_HOLDER, TAG_DATA_DISK
from . import balancer
from .change import Change, Plan, renamed
from .fields import fleet_ports

if TYPE_CHECKING:
    from ..observe import Snapshot
    from ..state import State

SETTLING = ("Pending", "Starting")


@dataclass
class Inputs:
    """What one comparison reads: the stack, the snapshot, the state; the zones the pre-check kept (stack
    order, else the stack's); the backends' health and the reboot grace (reconcile), and the time."""

    spec: Stack
    snap: Snapshot
    state: State
    zones: list[str]
    health: dict[str, str] | None = None
    grace: float = 300.0
    now: float = field(default_factory=time.time)
    outdated: list[tuple[str, list[str]]] = field(default_factory=list)

    def gone(self, role: str) -> list[str]:
        return list(self.snap.gone.get(role, []))

    def lost(self, role: str, ident: str | None) -> str:
        return "deleted" if ident and ident in self.gone(role) else "missing"


def victims_for(spec: Stack, snap: Snapshot, keep: set[str]) -> list[Instance]:
    extra = len(snap.instances) - spec.instances.count
    return instance_step.choose_victims(snap.instances, extra, keep) if extra > 0 else []


def disk_holders(spec: Stack, snap: Snapshot) -> set[str]:
    """Instances a scale-down keeps: in "first" mode, the one holding the stack's data disk (or, while
    the disk is detached, the one whose user data mounts it)."""
    if spec.data_disk is None or spec.data_disk.attach != "first":
        return set()
    ours = {i.id for i in snap.instances}
    holders = {d.instance_id for d in snap.disks if d.instance_id in ours}
    return holders or {i.id for i in snap.instances if i.tags.get(TAG_DATA_DISK) == DATA_DISK_HOLDER}


def started_age(inst: Instance, now: float) -> float | None:
    """Seconds since the instance last started (StartTime), or None when the cloud did not say."""
    for fmt in ("%Y-%m-%dT%H:%MZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            started = calendar.timegm(time.strptime(inst.started, fmt))
        except (TypeError, ValueError):
            continue
        return now - started
    return None


def compare(i: Inputs, plan: Plan) -> None:
    """Append to `plan` every difference between the cloud and the stack."""
    add = plan.changes.append
    for role, res in i.snap.untagged:
        add(
            Change(
                "change",
                role,
                res.id,
                "lacks this stack's tags (the state file lists it): restore the stack's tags",
                api="TagResources",
                kind="tags-removed",
                heal="restore the tags",
            )
        )
    for role, ident, other in i.snap.foreign:
        plan.notes.append(
            f"{role} {ident} is in the state file but now tagged for stack {other!r}: left alone (provision and"
            " reconcile forget it)"
        )
    _network(i, plan, add)
    survivors, victims, need = _instances(i, plan, add)
    _disks(i, survivors, victims, need, add)
    balancer.compare(i, plan, survivors, victims, need, add)


def _network(i: Inputs, plan: Plan, add: Callable[[Change], None]) -> None:
    spec, snap, state = i.spec, i.snap, i.state
    # The one the state names if it still exists, else the oldest tagged one (as steps/vpc.py's pick).
    known_vpc = state.vpc_id()
    vpc = next((v for v in snap.vpcs if v.id == known_vpc), snap.vpcs[0] if snap.vpcs else None)
    if vpc is None:
        known = state.vpc_id() or ""
        kind = i.lost(VPC, known)
        add(
            Change(
                "create", VPC, detail=spec.network.vpc_cidr, was=known, kind=kind, heal="create it and what is in it"
            )
        )
    else:
        renamed(VPC, vpc.id, vpc.name, spec.name, add)
    if vpc is not None and vpc.cidr and vpc.cidr != spec.network.vpc_cidr:
        plan.notes.append(
            f"VPC {vpc.id} has CIDR {vpc.cidr}, the stack says {spec.network.vpc_cidr}: not changed in place"
        )
    primary = i.zones[0]
    # A vSwitch in any of the stack's zones will do: the pre-check may have skipped the first zone.
    if vpc is None or not any(s.vpc_id == vpc.id and s.zone in spec.zones for s in snap.vswitches):
        known = state.vswitch_ids().get(spec.zones[0]) or ""
        add(
            Change(
                "create",
                VSWITCH,
                detail=f"{primary} {spec.vswitch_cidr(primary)}",
                was=known,
                kind=i.lost(VSWITCH, known),
                heal="create it",
            )
        )
    for vsw in snap.vswitches:
        if vpc is not None and vsw.vpc_id == vpc.id:
            renamed(VSWITCH, vsw.id, vsw.name, names.vswitch_name(spec.name, vsw.zone), add)
    groups = [g for g in snap.security_groups if vpc is not None and g.vpc_id == vpc.id]
    known_group = state.security_group_id()
    group: SecurityGroup | None = next((g for g in groups if g.id == known_group), groups[0] if groups else None)
    if group is None:
        add(
            Change(
                "create",
                SECURITY_GROUP,
                detail=f"{len(sg_step.desired_rules(spec))} ingress rules",
                was=known_group or "",
                kind=i.lost(SECURITY_GROUP, known_group),
                heal="create it",
            )
        )
        return
    renamed(SECURITY_GROUP, group.id, group.name, names.security_group_name(spec.name), add)
    missing, extra = sg_step.rule_changes(spec, group.rules or [], fleet_ports(spec, snap.instances, state))
    if missing:  # one change for the rules to authorize; each rule added outside the stack is its own finding
        add(
            Change(
                "change",
                SECURITY_GROUP,
                group.id,
                "authorize " + "; ".join(f"{r.port_range} from {r.source_label}" for r in missing),
                count=len(missing),
                api="AuthorizeSecurityGroup",
                kind="rule-revoked",
                heal="AuthorizeSecurityGroup",
                data=missing,
            )
        )
    for rule in extra:
        add(
            Change(
                "change",
                SECURITY_GROUP,
                group.id,
                f"{rule.protocol} {rule.port_range} from {rule.source_label} ({rule.policy}), not a rule of the stack",
                api="RevokeSecurityGroup",
                kind="rule-added",
                heal="revoke it",
                security=True,
                data=rule,
            )
        )


def _instances(i: Inputs, plan: Plan, add: Callable[[Change], None]) -> tuple[list[Instance], list[Instance], int]:
    """(survivors, victims, how many to create)."""
    spec, snap = i.spec, i.snap
    zones = i.zones
    where = f"{spec.instances.type} in {zones[0]}" + (
        f" (or {', '.join(zones[1:])} if out of stock)" if len(zones) > 1 else ""
    )
    rolling = bool((i.state.rollout() or {}).get("active"))  # a rollout's surge is not a surplus: it finishes it
    victims = [] if rolling else victims_for(spec, snap, disk_holders(spec, snap))
    if rolling:
        plan.notes.append("a rollout is under way: provision (or reconcile) finishes it")
    survivors = [x for x in snap.instances if x not in victims]
    need = max(spec.instances.count - len(snap.instances), 0)
    gone = i.gone(INSTANCE)
    for n, ident in enumerate(gone):
        if n < need:
            add(
                Change(
                    "create",
                    INSTANCE,
                    detail=f"released outside the stack: a new {where} replaces it",
                    was=ident,
                    kind="deleted",
                    heal="replace it",
                )
            )
        else:
            add(
                Change(
                    "change",
                    INSTANCE,
                    detail="released outside the stack, and the stack needs no replacement: the state forgets it",
                    was=ident,
                    kind="deleted",
                    heal="forget it",
                )
            )
    short = need - min(len(gone), need)
    if short:
        add(
            Change(
                "create",
                INSTANCE,
                detail=where,
                count=short,
                kind="missing",
                heal=f"create {short}",
                api="RunInstances",
            )
        )
    for inst in victims:
        add(
            Change(
                "delete",
                INSTANCE,
                inst.id,
                f"scale down: {len(snap.instances)} instances, the stack asks for {spec.instances.count}"
                f" ({inst.status}); removed from the SLB first",
                api="DeleteInstances",
                kind="surplus",
                heal="remove it from the SLB, then delete it",
                data=inst,
            )
        )
    for inst in survivors:
        renamed(INSTANCE, inst.id, inst.name, names.instance_name(spec.name), add)
    for inst in survivors:
        if inst.status in ("Stopped", "Stopping"):
            add(
                Change(
                    "change",
                    INSTANCE,
                    inst.id,
                    f"{inst.status} (stopped outside the stack)",
                    api="StartInstances",
                    kind="stopped",
                    heal="start it",
                )
            )
        elif inst.status == "Running" and i.health is not None and i.health.get(inst.id) == "abnormal":
            age = started_age(inst, i.now)
            if age is None or age >= i.grace:
                add(
                    Change(
                        "change",
                        INSTANCE,
                        inst.id,
                        "Running, but its backend fails the health check",
                        api="RebootInstance",
                        kind="unhealthy",
                        heal="reboot it (RebootInstance restarts the server)",
                    )
                )
            else:
                plan.notes.append(
                    f"instance {inst.id} fails the health check but started {age:.0f}s ago"
                    f" (under the {i.grace:.0f}s grace): left to finish booting"
                )
        elif inst.status in SETTLING:
            plan.notes.append(f"instance {inst.id} is {inst.status}: waited for")
    return survivors, victims, need


def _disks(
    i: Inputs, survivors: list[Instance], victims: list[Instance], need: int, add: Callable[[Change], None]
) -> None:
    spec, snap = i.spec, i.snap
    victim_ids = {x.id for x in victims}
    gone_with = [d for d in snap.disks if d.instance_id in victim_ids]
    usable = [d for d in snap.disks if d not in gone_with]
    dplan = disk_step.plan_disks(spec, survivors, usable)
    for disk, inst in dplan.attach:
        add(
            Change(
                "change",
                DATA_DISK,
                disk.id,
                f"{disk.status}, attached to no instance: attach to {inst.id}",
                api="AttachDisk",
                kind="detached",
                heal="attach it again",
            )
        )
    gone = i.gone(DATA_DISK)
    for n, inst in enumerate(dplan.create):
        was = gone[n] if n < len(gone) else ""
        add(
            Change(
                "create",
                DATA_DISK,
                detail=f"instance {inst.id} has no data disk" + (" (deleted outside the stack)" if was else ""),
                was=was,
                kind="deleted" if was else "missing",
                heal="create a new one and attach it",
                api="CreateDisk, AttachDisk",
            )
        )
    for ident in gone[len(dplan.create) :]:
        add(
            Change(
                "change",
                DATA_DISK,
                detail="deleted outside the stack; no instance needs a new one: the state forgets it",
                was=ident,
                kind="deleted",
                heal="forget it",
            )
        )
    # Free disks go to the instances this run creates first (provision matches disks after creating).
    takers = need
    if spec.data_disk is not None and spec.data_disk.attach == "first":
        takers = min(need, 0 if (dplan.ok or dplan.attach or dplan.create) else 1)
    if spec.data_disk is None:
        takers = 0
    for disk in dplan.surplus[:takers]:
        add(
            Change(
                "change",
                DATA_DISK,
                disk.id,
                f"{disk.status}, attached to no instance: a new instance gets it",
                api="AttachDisk",
                kind="detached",
                heal="attach it to a new instance",
            )
        )
    new = max(takers - len(dplan.surplus), 0)
    if spec.data_disk is not None and new:
        add(
            Change(
                "create",
                DATA_DISK,
                detail=f"{spec.data_disk.size_gib} GiB {spec.data_disk.category} for the new instance(s)"
                " (with their RunInstances)",
                count=new,
                kind="missing",
                heal="created with the new instances",
            )
        )
    for disk in disk_step.to_grow(spec, dplan.ok + [d for d, _ in dplan.attach]):
        assert spec.data_disk is not None, "to_grow lists disks only for a stack with a data disk"
        add(
            Change(
                "change",
                DATA_DISK,
                disk.id,
                f"grow {disk.size} -> {spec.data_disk.size_gib} GiB",
                fields=[
                    {
                        "field": "data_disk.size_gib",
                        "old": disk.size,
                        "new": spec.data_disk.size_gib,
                        "class": "in place",
                    }
                ],
                api="ResizeDisk",
                kind="smaller",
                heal="grow it (ResizeDisk online)",
                data=disk,
            )
        )
    each = spec.data_disk is not None and spec.data_disk.attach == "each"
    for disk in dplan.surplus[takers:] + (gone_with if each else []):
        add(
            Change(
                "delete",
                DATA_DISK,
                disk.id,
                "not needed by any instance" + (" (its instance is scaled down)" if disk in gone_with else ""),
                api="DeleteDisk",
                kind="surplus",
                heal="delete it",
                data=disk,
            )
        )
