"""Provision, plan, status and teardown: the steps wired in dependency order, independent branches
concurrently, ordered by the cost of a failure: what can be refused without spending money (the network, the
security group, the SLB and its listener) is settled before RunInstances."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from . import diff, neighbours, observe, replace, rollout
from .cloud import Cloud
from .errors import ProvisionerError
from .resources import Instance, LoadBalancer, Rule, Vpc, VSwitch
from .spec import Stack
from .state import StackLock, State, default_path, lock_path
from .steps import disks as disk_step
from .steps import identity
from .steps import instances as instance_step
from .steps import load_balancer as lb_step
from .steps import precheck as precheck_step
from .steps import rename as rename_step
from .steps import security_group as sg_step
from .steps import vpc as vpc_step
from .steps import vswitch as vswitch_step
from .steps.common import DATA_DISK, INSTANCE, LOAD_BALANCER, SECURITY_GROUP, Context, Record, clock, typical
from .target import ResolvedTarget
from .template import template_of
from .tokens import TokenBook

log = logging.getLogger(__name__)


@contextmanager
def open_run(
    spec: Stack, target: ResolvedTarget, state_path: str | None, command: str, lock: bool = True
) -> Iterator[Context]:
    """A run's context: the lock first (for runs that change anything), then the state, then the API."""
    path = state_path or default_path(spec.name)
    stack_lock = StackLock(lock_path(path), command) if lock else None
    if stack_lock is not None:
        stack_lock.acquire()
    try:
        state = State.load(path, spec.name)
        cloud = Cloud(target, spec.region)
        yield Context(spec, cloud, state, TokenBook(state, spec.name))
    finally:
        if stack_lock is not None:
            stack_lock.release()


def _summary(records: list[Record]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in records:
        out[r.action] = out.get(r.action, 0) + 1
    return out


def _base(ctx: Context, command: str, started: float) -> dict[str, Any]:
    return {
        "command": command,
        "stack": ctx.spec.name,
        "region": ctx.spec.region,
        "target": ctx.cloud.target.to_dict(),
        "state_file": ctx.state.path,
        "api_calls": ctx.cloud.stats.snapshot(),
        "duration_s": round(time.monotonic() - started, 2),
    }


# --- provision -----------------------------------------------------------------------------------------


class _Provision:
    """One provision run: observe, then ensure every resource, creating only the difference."""

    def __init__(
        self, ctx: Context, promote: bool = False, start_rollout: bool = True, restarted_at: float | None = None
    ):
        self.ctx = ctx
        self.promote = promote  # go on past a held canary (provisioner promote)
        self.start_rollout = start_rollout  # reconcile: only when the stack's rollout.on_reconcile says so
        self.restarted_at = restarted_at  # when the caller rebooted instances (reconcile), if it did
        self.spec = ctx.spec
        self.records: list[Record] = []
        self._records_lock = threading.Lock()
        self._vswitch_lock = threading.Lock()
        self._vswitches: dict[str, VSwitch] = {}
        self.vpc: Vpc | None = None
        self.snap: observe.Snapshot | None = None
        self.plan = diff.Plan()  # the one diff of this run's snapshot: what the run sets out to change
        self.listener_record: Record | None = None

    def note(self, record: Record) -> None:
        with self._records_lock:
            self.records.append(record)

    def vswitch_for(self, zone: str) -> VSwitch:
        """The stack's vSwitch in a zone, created the first time a zone is needed (failover included)."""
        with self._vswitch_lock:
            if zone not in self._vswitches:
                assert self.vpc is not None and self.snap is not None, "run() observes and ensures the VPC first"
                vsw, record = vswitch_step.ensure_vswitch(self.ctx, self.vpc, zone, self.snap.vswitches)
                self.note(record)
                self._vswitches[zone] = vsw
            return self._vswitches[zone]

    def load_balancer_branch(self) -> LoadBalancer:
        intranet = self.spec.load_balancer.address_type == "intranet"
        assert self.snap is not None, "run() observes first"
        vswitch = self.vswitch_for(precheck_step.first_zone(self.ctx, self.snap.vswitches)) if intranet else None
        lb, record = lb_step.ensure_load_balancer(self.ctx, self.snap.load_balancers, vswitch)
        self.note(record)
        if self.plan.has(LOAD_BALANCER, "inactive"):  # set inactive outside the stack (SetLoadBalancerStatus)
            lb_step.set_active(self.ctx, lb)
            self.note(Record(LOAD_BALANCER, lb.id, "changed", "active"))
        # Created and started here; the wait for `running` overlaps the instances' boot.
        self.listener_record = lb_step.ensure_listener(self.ctx, lb, wait=False)
        self.note(self.listener_record)
        return lb

    def planned_rules(self) -> tuple[list[Rule], list[Rule]] | None:
        """The diff's rule changes on the group it saw (None when it saw no group: the create compares)."""
        if self.plan.has(SECURITY_GROUP, "missing", "deleted"):
            return None
        missing = [r for c in self.plan.of(SECURITY_GROUP, "rule-revoked") for r in c.data]
        return missing, [c.data for c in self.plan.of(SECURITY_GROUP, "rule-added")]

    def wait_listener(self, lb: LoadBalancer) -> None:
        record = self.listener_record
        if record is not None and record.status != "running":
            lb_step.wait_listener_running(self.ctx, lb.id, self.spec.load_balancer.listener_port)
            record.status = "running"

    def run(self, snap: observe.Snapshot | None = None) -> dict[str, Any]:
        ctx, spec = self.ctx, self.spec
        started = time.monotonic()
        # A change that cannot be made is refused before any API call (exit 2, naming the field).
        diff.check(spec, ctx.state.applied_stack)
        if snap is None:
            snap = observe.snapshot(ctx)
            log.info("observed %s in %d API calls", _counts_text(snap), snap.calls)
        self.snap = snap
        # The one diff (what `plan` prints): refusals that need the cloud (a listener's port) raise here,
        # before any mutating call; the run carries out its changes below.
        self.plan = diff.changes(spec, snap, ctx.state, outdated=replace.changes(ctx, snap.instances))
        # Identity by id first: ours whose tags were removed (found by the state's ids) get them back, so no
        # second VPC, group or SLB is created beside them; ids the cloud no longer has are forgotten.
        for record in identity.records(identity.restore_tags(ctx, snap)):
            self.note(record)
        identity.forget(ctx, snap)
        for record in rename_step.restore_names(ctx, self.plan.of_kind("renamed")):  # renamed at the console
            self.note(record)
        # Before any create: the image, and which zones sell the type and disk categories (steps/precheck.py).
        pre = precheck_step.run_if_needed(ctx, snap)
        with ThreadPoolExecutor(max_workers=4, thread_name_prefix="branch") as pool:
            internet = spec.load_balancer.address_type == "internet"
            lb_future: Future[LoadBalancer] | None = pool.submit(self.load_balancer_branch) if internet else None
            vpc, record = vpc_step.ensure_vpc(ctx, snap.vpcs)
            self.vpc = vpc
            self.note(record)
            if lb_future is None:
                lb_future = pool.submit(self.load_balancer_branch)
            # Ingress for the serving port of every template present (a port rollout opens the new one first).
            sg_future = pool.submit(
                sg_step.ensure_security_group,
                ctx,
                vpc,
                snap.security_groups,
                diff.fleet_ports(spec, snap.instances, ctx.state),
                self.planned_rules(),
            )
            self.vswitch_for(precheck_step.first_zone(ctx, snap.vswitches))
            group, record = sg_future.result()
            self.note(record)
            # Everything that can be refused without spending money is settled before RunInstances: a
            # refused CreateLoadBalancer (or listener) must not leave billing instances behind.
            lb = lb_future.result()

            survivors = self.scale_down(lb)
            victim_ids = {r.id for r in self.records if r.role == INSTANCE and r.action == "deleted"}
            usable_disks = [d for d in snap.disks if d.instance_id not in victim_ids]
            # A new instance gets its data disk from its RunInstances, unless a free disk of the stack
            # (its instance was lost) waits in the zone: that one is attached instead.
            inst_set = instance_step.ensure_instances(
                ctx, survivors, self.vswitch_for, group, free_disks=[d for d in usable_disks if not d.instance_id]
            )
            created_at = time.monotonic()  # the boot (or start) began before this
            for inst in inst_set.instances:
                action = "created" if inst.id in inst_set.created else "existing"
                self.note(Record(INSTANCE, inst.id, action, inst.status, {"zone": inst.zone}))

            dplan = disk_step.plan_disks(spec, inst_set.instances, usable_disks, pending=inst_set.new_disks)
            # Disks a run that died left with the instance role (made by RunInstances) get their role now.
            adopt_future = pool.submit(disk_step.adopt, ctx, dplan.ok)
            create_future = pool.submit(disk_step.create_disks, ctx, dplan.create) if dplan.create else None
            not_ready = [
                i.id
                for i in inst_set.instances
                if i.status != "Running" or i.id in inst_set.created or i.id in inst_set.started
            ]
            # No poll before the slowest transition this run (or its caller) began can typically end.
            since, expect = None, 0.0
            if inst_set.created or inst_set.started:
                since = created_at
                expect = typical(ctx, "instance.boot" if inst_set.created else "instance.start")
            elif self.restarted_at is not None:
                since, expect = self.restarted_at, typical(ctx, "instance.start")
            seen = instance_step.wait_instances_running(ctx, not_ready, since=since, expect=expect)
            self._refresh(inst_set.instances, seen)

            pairs = [(d.id, inst) for d, inst in dplan.attach] + (create_future.result() if create_future else [])
            attach_future = (
                pool.submit(
                    disk_step.attach_disks, ctx, pairs, [d.id for d, _ in dplan.attach if d.status == "Available"]
                )
                if pairs
                else None
            )
            new_disk_future = pool.submit(disk_step.adopt_new, ctx, inst_set.new_disks) if inst_set.new_disks else None
            self.wait_listener(lb)
            # A rollout batch a killed run left (replace.py) is gated by its own health wait, not this one.
            flying = replace.in_flight(ctx)
            ours = ({i.id for i in snap.instances} | set(ctx.state.instance_ids())) - flying
            settled = [i for i in inst_set.ids if i not in flying]
            awaiting = rollout.begin(ctx, lb, settled, ours, inst_set.created + inst_set.started, self.records)
            self.note(lb_step.ensure_backends(ctx, lb, settled, ours, replace.weights(ctx)))
            adopt_future.result()
            for record in attach_future.result() if attach_future else []:
                self.note(record)
            for record in new_disk_future.result() if new_disk_future else []:
                self.note(record)
            if dplan.surplus:
                for record in disk_step.delete_disks(ctx, dplan.surplus):
                    self.note(record)
            for record in disk_step.grow_disks(ctx, [c.data for c in self.plan.of(DATA_DISK, "smaller")]):
                self.note(record)
        if awaiting:  # the run ends only once every backend passes the SLB's health check
            rollout.wait_healthy(ctx, lb, settled, fresh=bool(inst_set.created or inst_set.started))
        # Outdated instances (another template) are replaced in batches (replace.py); exit 1 on a rollback.
        rolled = None
        tpl = template_of(spec)
        ctx.state.record_template(tpl.digest, tpl.fields)  # so plan can name what a later change differs in
        outdated = bool(self.plan.of(INSTANCE, "outdated"))  # the diff's replace list (instances made now are current)
        if (self.start_rollout and outdated) or replace.under_way(ctx):
            rolled = replace.roll_out(ctx, lb, inst_set.instances, group, self.vswitch_for, promote=self.promote)
        if rolled is not None:
            self.records += rolled.records
            inst_set.instances = instance_step.find_instances(ctx)
        # The serving ports of the templates still present: a port rollout closes the old port only now.
        closed = sg_step.reconcile_rules(ctx, group, diff.fleet_ports(spec, inst_set.instances, ctx.state))
        if any(closed):
            self.note(
                Record(
                    SECURITY_GROUP,
                    group.id,
                    "changed",
                    detail={"rules_authorized": closed[0], "rules_revoked": closed[1]},
                )
            )
        converged = self.start_rollout and not (rolled is not None and rolled.held)
        ctx.state.set_applied_stack(diff.applied_after(ctx.state.applied_stack, spec, converged), spec.spec_hash)
        for key in ctx.state.all_pending():
            # A create an earlier run began, whose resource this run found by tag: never replay its token.
            ctx.state.clear_pending(key, spent=True)
        result = _base(ctx, "provision", started)
        endpoint, note = rollout.endpoint(ctx, lb)
        result.update(
            ok=True,
            changes=[c.to_dict() for c in self.plan.changes],
            resources=[r.to_dict() for r in self.records],
            summary=_summary(self.records),
            endpoint=endpoint,
            instances=inst_set.ids,
        )
        if rolled is not None:
            result["rollout"] = rolled.to_dict()
        if pre is not None:
            result["precheck"] = pre.to_dict()
        sample = rollout.sample_request(ctx, endpoint)
        if sample:
            result["sample_request"] = sample
        if note:
            log.warning("endpoint: %s", note)
            result["endpoint_note"] = note
        return result

    def scale_down(self, lb: LoadBalancer) -> list[Instance]:
        """Remove surplus instances: out of the SLB first, then the instances, then their own data disks."""
        ctx, spec, snap = self.ctx, self.spec, self.snap
        assert snap is not None, "run() observes first"
        if replace.under_way(ctx):  # a rollout's surge is not a surplus: the rollout finishes it
            return list(snap.instances)
        victims: list[Instance] = [c.data for c in self.plan.of(INSTANCE, "surplus")]
        if not victims:
            return list(snap.instances)
        ids = [v.id for v in victims]
        log.info(
            "scaling down from %d to %d instances: removing %s",
            len(snap.instances),
            spec.instances.count,
            ", ".join(ids),
        )
        attached = [i for i in ids if i in {b.server_id for b in lb.backends or []}]
        if attached:
            drained = rollout.drain(ctx, lb, attached, {v.id for v in victims if v.status == "Running"})
            if drained:
                self.note(drained)
            lb_step.remove_backends(ctx, lb, attached)
            self.note(Record("backends", lb.id, "changed", detail={"removed": attached}))
        for record in instance_step.delete_instances(ctx, victims):
            self.note(record)
        if spec.data_disk is not None and spec.data_disk.attach == "each":
            # Released with Force, the instances let go of their disks (kept, Available): no detach first.
            own_disks = [d for d in snap.disks if d.instance_id in set(ids)]
            for record in disk_step.delete_disks(ctx, own_disks, released=ids):
                self.note(record)
        return [i for i in snap.instances if i.id not in set(ids)]

    @staticmethod
    def _refresh(instances: list[Instance], seen: dict[str, Instance]) -> None:
        for n, inst in enumerate(instances):
            if inst.id in seen:
                instances[n] = seen[inst.id]
        instances.sort(key=lambda i: i.order)


def provision(
    ctx: Context,
    snap: observe.Snapshot | None = None,
    promote: bool = False,
    start_rollout: bool = True,
    restarted_at: float | None = None,
) -> dict[str, Any]:
    """Provision; `snap` is a snapshot already taken this run (reconcile passes the one it healed from, says
    whether a changed template may start a rollout, and gives `restarted_at`, time.monotonic() after it
    rebooted instances, which the snapshot then shows Starting). `promote`: a held canary goes on."""
    return _Provision(ctx, promote, start_rollout, restarted_at).run(snap)


def _counts_text(snap: observe.Snapshot) -> str:
    parts = [f"{n} {role}" for role, n in snap.counts().items() if n]
    return ", ".join(parts) if parts else "nothing of this stack"


# --- plan ----------------------------------------------------------------------------------------------


def plan(ctx: Context) -> dict[str, Any]:
    """What provision would do, from a snapshot; makes no mutating call and writes nothing."""
    started = time.monotonic()
    diff.check(ctx.spec, ctx.state.applied_stack)  # refusals first: exit 2 before any API call
    snap = observe.snapshot(ctx)
    pre = precheck_step.run_if_needed(ctx, snap)
    outdated = replace.changes(ctx, snap.instances)  # by template tag (DescribeUserData for untagged ones)
    the_plan = diff.changes(ctx.spec, snap, ctx.state, pre.zones if pre is not None else None, outdated)
    if pre is not None:  # the image it resolved, and the zones it would skip
        the_plan.notes += pre.notes()
    result = _base(ctx, "plan", started)
    result.update(
        ok=True,
        pending=the_plan.pending,
        changes=[c.to_dict() for c in the_plan.changes],
        summary=the_plan.summary(),
        notes=the_plan.notes,
        lines=[c.line() for c in the_plan.changes],
    )
    return result


# --- status --------------------------------------------------------------------------------------------


def status(ctx: Context) -> dict[str, Any]:
    """Each resource with id and state, the backends with their health, and the endpoint URL."""
    started = time.monotonic()
    snap = observe.snapshot(ctx)
    resources: list[dict[str, Any]] = []
    resources += [{"role": "vpc", "id": v.id, "status": v.status, "cidr": v.cidr} for v in snap.vpcs]
    resources += [
        {"role": "vswitch", "id": s.id, "status": s.status, "zone": s.zone, "cidr": s.cidr} for s in snap.vswitches
    ]
    resources += [
        {"role": "security-group", "id": g.id, "status": "exists", "ingress_rules": len(g.rules or [])}
        for g in snap.security_groups
    ]
    resources += [
        {"role": "instance", "id": i.id, "status": i.status, "zone": i.zone, "type": i.type, "private_ip": i.private_ip}
        for i in snap.instances
    ]
    resources += [
        {
            "role": "data-disk",
            "id": d.id,
            "status": d.status,
            "zone": d.zone,
            "size_gib": d.size,
            "instance": d.instance_id,
        }
        for d in snap.disks
    ]
    lb = snap.load_balancers[0] if snap.load_balancers else None
    backends: list[dict[str, Any]] = []
    listener = None
    for each in snap.load_balancers:
        resources.append(
            {
                "role": "load-balancer",
                "id": each.id,
                "status": each.status,
                "address": each.address,
                "address_type": each.address_type,
                "billing": each.charge_type,
            }
        )
        for lst in each.listeners or []:
            resources.append(
                {
                    "role": "listener",
                    "id": f"{each.id}:{lst.port}",
                    "status": lst.status,
                    "protocol": lst.protocol,
                    "backend_port": lst.backend_port,
                    # After a serving.port rollout the listener forwards to the vServer group, whose members
                    # carry their own port (the backends below): its BackendServerPort is no longer used.
                    **({"vserver_group": lst.vserver_group_id} if lst.vserver_group_id else {}),
                }
            )
    if lb is not None:
        listener = lb.listener(ctx.spec.load_balancer.listener_port)
        health = _health(ctx, lb) if listener is not None else {}
        backends = [
            {
                "server_id": b.server_id,
                "weight": b.weight,
                "health": health.get(b.server_id, "unknown"),
                **({"port": b.port} if b.port else {}),
            }
            for b in lb.backends or []
        ]
    stripped = {res.id for _, res in snap.untagged}
    for entry in resources:
        if entry["id"] in stripped:
            entry["tags"] = "removed (found by the id in the state file; provision or reconcile restores them)"
    result = _base(ctx, "status", started)
    endpoint, note = rollout.endpoint(ctx, lb) if listener is not None else (None, None)
    if note:
        result["endpoint_note"] = note
    if rollout.sample_request(ctx, endpoint):
        result["sample_request"] = rollout.sample_request(ctx, endpoint)
    result.update(
        ok=True,
        deployed=not snap.empty,
        resources=resources,
        backends=backends,
        endpoint=endpoint,
        instances={
            "want": ctx.spec.instances.count,
            "have": len(snap.instances),
            "running": sum(1 for i in snap.instances if i.status == "Running"),
        },
        spec_hash_matches=ctx.state.spec_hash == ctx.spec.spec_hash,
        fleet=replace.fleet(ctx, snap.instances, lb),
    )
    return result


def _health(ctx: Context, lb: LoadBalancer) -> dict[str, str]:
    return rollout.health(ctx, lb.id)


# --- promote / rollback (a held canary, replace.py) -------------------------------------------------------


def promote(ctx: Context) -> dict[str, Any]:
    """Finish a rollout held at its canary: a provision that goes on past the hold."""
    held = (replace.entry(ctx) or {}).get("held")
    result = provision(ctx, promote=True)
    result["command"] = "promote"
    if not held:
        result["note"] = "no canary was held; promote ran as provision"
    return result


def rollback(ctx: Context) -> dict[str, Any]:
    """Remove a held canary (out of the SLB, deleted); the old fleet serves as before."""
    started = time.monotonic()
    lbs = lb_step.find_load_balancers(ctx)
    lb = lb_step.pick(ctx, lbs)
    if lb is None:
        raise ProvisionerError("rollback: the stack has no load balancer; nothing to roll back")
    done = replace.rollback(ctx, lb)
    result = _base(ctx, "rollback", started)
    result.update(ok=True, **done)
    return result


# --- teardown ------------------------------------------------------------------------------------------


def _check_protection(snap: observe.Snapshot) -> None:
    """Stop before the first delete when a resource is protected: DeleteLoadBalancer answers
    OperationDenied.DeleteProtectionIsOn and DeleteInstances InvalidOperation.DeletionProtection, which
    would leave a half-deleted stack (listeners and backends already gone)."""
    protected = [
        f"SLB {lb.id} (DeleteProtection on; SetLoadBalancerDeleteProtection off)"
        for lb in snap.load_balancers
        if str(lb.delete_protection).lower() == "on"
    ]
    protected += [
        f"instance {i.id} (DeletionProtection on; ModifyInstanceAttribute DeletionProtection=false)"
        for i in snap.instances
        if i.deletion_protection
    ]
    if protected:
        raise ProvisionerError(
            "teardown stopped before deleting anything: deletion protection is on for "
            + "; ".join(protected)
            + "; turn it off, then run teardown again"
        )


def teardown(ctx: Context) -> dict[str, Any]:
    """Delete everything tagged for the stack in dependency order, waiting until each is gone: the
    instances (Force; their data disks come off with them, kept and Available) while the listener,
    backends and SLB go; then the data disks, the security group and the vSwitches together; the VPC
    last. NotFound is done, so a rerun resumes where a crash left off."""
    started = time.monotonic()
    snap = observe.snapshot(ctx)
    log.info("tearing down %s", _counts_text(snap))
    _check_protection(snap)
    records: list[Record] = identity.records(identity.restore_tags(ctx, snap))
    identity.forget(ctx, snap)
    ours = {i.id for i in snap.instances}
    with ThreadPoolExecutor(max_workers=6, thread_name_prefix="teardown") as pool:
        # Foreign resources in our network (never touched) keep the group, vSwitch or VPC they need.
        kept_future = pool.submit(neighbours.blockers, ctx, snap)
        lb_futures = [pool.submit(lb_step.delete_load_balancer, ctx, lb) for lb in snap.load_balancers]
        # A disk of ours on an instance that is not (someone attached it there) is detached meanwhile.
        elsewhere = [d for d in snap.disks if d.instance_id and d.instance_id not in ours]
        detach_future = pool.submit(disk_step.delete_disks, ctx, elsewhere) if elsewhere else None
        records += instance_step.delete_instances(ctx, snap.instances)
        if snap.instances:
            ctx.freed_at = clock() + typical(ctx, "eni.release")
        kept = kept_future.result()
        disks_future = pool.submit(
            disk_step.delete_disks, ctx, [d for d in snap.disks if d not in elsewhere], released=ours
        )
        group_futures = [
            pool.submit(sg_step.delete_security_group, ctx, g) for g in snap.security_groups if g.id not in kept
        ]
        for f in lb_futures:  # an intranet SLB holds an address in the vSwitch
            records += f.result()
        vswitch_futures = [pool.submit(vswitch_step.delete_vswitch, ctx, s) for s in snap.vswitches if s.id not in kept]
        records += [f.result() for f in group_futures + vswitch_futures]
        records += disks_future.result() + (detach_future.result() if detach_future else [])
    for vpc in (v for v in snap.vpcs if v.id not in kept):
        records.append(vpc_step.delete_vpc(ctx, vpc))
    # Tags and the state's ids: the state file is kept while any id it lists still exists.
    left = [i for i in observe.snapshot(ctx, details=False).ids() if i not in kept]
    if left:
        raise ProvisionerError(
            f"teardown left resources of the stack (tagged for it, or listed in the state file"
            f" {ctx.state.path}, which is kept): {', '.join(left)}; run teardown again"
        )
    if kept:
        raise ProvisionerError(
            "teardown kept "
            + "; ".join(f"{rid} (needed by {', '.join(who)})" for rid, who in sorted(kept.items()))
            + ": those are not this stack's and were left alone; remove them, then run"
            " teardown again"
        )
    ctx.state.remove()
    result = _base(ctx, "teardown", started)
    result.update(ok=True, resources=[r.to_dict() for r in records], summary=_summary(records))
    return result
