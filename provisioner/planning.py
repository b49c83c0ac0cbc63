"""Plan: what provision would create, change or delete, computed from the spec and a snapshot only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .observe import Snapshot
from .resources import Instance, LoadBalancer
from .spec import Stack
from .steps import disks as disk_step
from .steps import instances as instance_step
from .steps import load_balancer as lb_step
from .steps import security_group as sg_step
from .steps.common import DATA_DISK, INSTANCE, LISTENER, LOAD_BALANCER, SECURITY_GROUP, VPC, VSWITCH
from .steps.instances import TAG_DATA_DISK


@dataclass
class Change:
    action: str  # "create", "change", "delete", "replace"
    role: str
    id: str = ""
    detail: str = ""
    count: int = 1
    fields: list[dict[str, Any]] = field(default_factory=list)  # the stack fields behind it: field, old, new, class
    api: str = ""  # the API that applies it

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "role": self.role,
            "id": self.id,
            "detail": self.detail,
            "count": self.count,
            "fields": self.fields,
            "api": self.api,
        }

    def line(self) -> str:
        sign = {"create": "+", "delete": "-", "change": "~", "replace": "!"}.get(self.action, "?")
        what = f"{self.count} x {self.role}" if self.count != 1 else self.role
        fields = f" [{', '.join(f['field'] for f in self.fields)}]" if self.fields and self.role != "stack" else ""
        api = f" ({self.api})" if self.api else ""
        return (
            f"  {sign} {self.action:<7} {what}{' ' + self.id if self.id else ''}"
            f"{': ' + self.detail if self.detail else ''}{fields}{api}"
        )


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def pending(self) -> bool:
        return bool(self.changes)

    def summary(self) -> dict[str, int]:
        out = {"create": 0, "change": 0, "delete": 0, "replace": 0}
        for c in self.changes:
            out[c.action] = out.get(c.action, 0) + c.count
        return out


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
    return holders or {i.id for i in snap.instances if i.tags.get(TAG_DATA_DISK) == "yes"}


def make_plan(
    spec: Stack,
    snap: Snapshot,
    known_vpc: str | None = None,
    known_lb: str | None = None,
    zones: list[str] | None = None,
    ports: set[int] | None = None,
    state: Any = None,
) -> Plan:
    """The cloud against the stack. `zones`: the zones the pre-check kept (stack order), when it ran; else
    the stack's. `ports`: the serving ports the fleet's templates use (provisioner/diff.py)."""
    zones = list(zones or spec.zones)
    plan = Plan()
    add = plan.changes.append
    for role, res in snap.untagged:
        add(Change("change", role, res.id, "restore the stack's tags (removed; the state file lists it)"))
    for role, ident, other in snap.foreign:
        plan.notes.append(f"{role} {ident} is in the state file but now tagged for stack {other!r}: left alone")
    vpc = next((v for v in snap.vpcs if v.id == known_vpc), snap.vpcs[0] if snap.vpcs else None)
    if vpc is None:
        add(Change("create", VPC, detail=spec.network.vpc_cidr))
    elif vpc.name and vpc.name != spec.name:
        add(
            Change(
                "change",
                VPC,
                vpc.id,
                f"name {vpc.name!r} -> {spec.name!r} (renamed outside the stack)",
                api="ModifyVpcAttribute",
            )
        )
    if vpc is not None and vpc.cidr and vpc.cidr != spec.network.vpc_cidr:
        plan.notes.append(
            f"VPC {vpc.id} has CIDR {vpc.cidr}, the stack says {spec.network.vpc_cidr}: not changed in place"
        )
    primary = zones[0]
    # A vSwitch in any of the stack's zones will do: the pre-check may have skipped the first zone.
    if vpc is None or not any(s.vpc_id == vpc.id and s.zone in spec.zones for s in snap.vswitches):
        add(Change("create", VSWITCH, detail=f"{primary} {spec.vswitch_cidr(primary)}"))
    groups = [g for g in snap.security_groups if vpc is not None and g.vpc_id == vpc.id]
    if not groups:
        add(Change("create", SECURITY_GROUP, detail=f"{len(sg_step.desired_rules(spec))} ingress rules"))
    else:
        missing, extra = sg_step.rule_changes(spec, groups[0].rules or [], ports)
        if missing or extra:
            parts = [f"authorize {r.port_range} from {r.source_label}" for r in missing]
            parts += [f"revoke {r.protocol} {r.port_range} from {r.source_label}" for r in extra]
            add(Change("change", SECURITY_GROUP, groups[0].id, "; ".join(parts)))

    keep = disk_holders(spec, snap)
    victims = victims_for(spec, snap, keep)
    survivors = [i for i in snap.instances if i not in victims]
    need = spec.instances.count - len(snap.instances)
    if need > 0:
        add(
            Change(
                "create",
                INSTANCE,
                detail=f"{spec.instances.type} in {zones[0]}"
                + (f" (or {', '.join(zones[1:])} if out of stock)" if len(zones) > 1 else ""),
                count=need,
            )
        )
    for inst in victims:
        add(Change("delete", INSTANCE, inst.id, f"scale down ({inst.status}); removed from the SLB first"))
    stopped = [i for i in survivors if i.status == "Stopped"]
    if stopped:
        add(Change("change", INSTANCE, ", ".join(i.id for i in stopped), "start", count=len(stopped)))

    _plan_disks(spec, snap, survivors, victims, max(need, 0), add)
    _plan_load_balancer(spec, snap, survivors, victims, max(need, 0), add, state)
    lb = _stack_lb(snap, known_lb)
    if lb is not None and lb.charge_type == lb_step.LEGACY_CHARGE:
        plan.notes.append(
            f"SLB {lb.id} is billed pay-by-specification, which is no longer sold: provision keeps it"
            f" as it is; it can be converted to pay-by-LCU (no interruption) with {lb_step.CONVERT_ACTION}"
            " (InstanceChargeType=PayByCLCU, InternetChargeType=paybytraffic)"
        )
    return plan


def _stack_lb(snap: Snapshot, known: str | None) -> LoadBalancer | None:
    return next(
        (x for x in snap.load_balancers if x.id == known), snap.load_balancers[0] if snap.load_balancers else None
    )


def _plan_disks(
    spec: Stack,
    snap: Snapshot,
    survivors: list[Instance],
    victims: list[Instance],
    need: int,
    add: Callable[[Change], None],
) -> None:
    victim_ids = {i.id for i in victims}
    gone_with = [d for d in snap.disks if d.instance_id in victim_ids]
    disks = [d for d in snap.disks if d not in gone_with]
    dplan = disk_step.plan_disks(spec, survivors, disks)
    if dplan.create:
        add(Change("create", DATA_DISK, detail=f"for {', '.join(i.id for i in dplan.create)}", count=len(dplan.create)))
    for disk, inst in dplan.attach:
        add(Change("change", DATA_DISK, disk.id, f"attach to {inst.id}"))
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
            )
        )
    for disk in dplan.surplus + (gone_with if spec.data_disk and spec.data_disk.attach == "each" else []):
        add(Change("delete", DATA_DISK, disk.id, "not needed by any instance"))
    if spec.data_disk is not None and need:
        new = need if spec.data_disk.attach == "each" else (1 if not survivors and not dplan.create else 0)
        if new:
            add(
                Change(
                    "create",
                    DATA_DISK,
                    detail=f"{spec.data_disk.size_gib} GiB {spec.data_disk.category}" " for the new instance(s)",
                    count=new,
                )
            )


def _plan_load_balancer(
    spec: Stack,
    snap: Snapshot,
    survivors: list[Instance],
    victims: list[Instance],
    need: int,
    add: Callable[[Change], None],
    state: Any = None,
) -> None:
    lbs = snap.load_balancers
    if not lbs:
        charge = lb_step.CHARGE_TYPES[spec.load_balancer.billing]
        add(
            Change("create", LOAD_BALANCER, detail=f"{spec.load_balancer.address_type}, {charge} (pay-by-LCU, no spec)")
        )
        add(
            Change(
                "create",
                LISTENER,
                detail=f"HTTP {spec.load_balancer.listener_port} -> {spec.serving.port},"
                f" health check {spec.load_balancer.health_check.uri}",
            )
        )
        if survivors or need:
            add(Change("change", "backends", detail="add every instance", count=len(survivors) + need))
        return
    lb = lbs[0]
    if lb.name and lb.name != lb_step.lb_name(spec):
        add(
            Change(
                "change",
                LOAD_BALANCER,
                lb.id,
                f"name {lb.name!r} -> {lb_step.lb_name(spec)!r} (renamed outside" " the stack)",
                api="SetLoadBalancerName",
            )
        )
    kind, differs = lb_step.listener_diff(
        spec, lb.listener(spec.load_balancer.listener_port), state is not None and lb_step.port_rolls(state, lb.id)
    )
    if kind == "create":
        add(Change("create", LISTENER, detail=f"HTTP {spec.load_balancer.listener_port} -> {spec.serving.port}"))
    elif kind in ("replace", "change", "start"):
        extra = []
        if kind == "replace" and len(lb.listeners or []) == 1:
            # Deleting a CLB's last listener makes it inactive (SetLoadBalancerStatus docstring).
            extra.append("the SLB turns inactive while its only listener is replaced and is set active again")
        add(
            Change(
                "replace" if kind == "replace" else "change",
                LISTENER,
                f"{lb.id}:{spec.load_balancer.listener_port}",
                "; ".join(differs + extra),
                api="SetLoadBalancerHTTPListenerAttribute" if kind == "change" else "",
            )
        )
    for old in lb_step.stale_listeners(spec, lb):
        add(
            Change(
                "delete",
                LISTENER,
                f"{lb.id}:{old.port}",
                f"the stack's listener is on port {spec.load_balancer.listener_port} now",
            )
        )
    ours = {i.id for i in snap.instances}
    to_add, remove, reweight = lb_step.backend_diff(lb, [i.id for i in survivors], ours)
    remove = sorted(set(remove) | ({i.id for i in victims} & {b.server_id for b in lb.backends or []}))
    if to_add or need:
        add(
            Change(
                "change",
                "backends",
                lb.id,
                "add "
                + (", ".join(to_add) if to_add else "")
                + (f"{' and ' if to_add else ''}{need} new instance(s)" if need else ""),
                count=len(to_add) + need,
            )
        )
    if remove:
        add(Change("change", "backends", lb.id, "remove " + ", ".join(remove), count=len(remove)))
    if reweight:
        add(Change("change", "backends", lb.id, "weight 100 for " + ", ".join(reweight), count=len(reweight)))
