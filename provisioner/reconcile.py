"""Reconcile: one run observes the stack, reports its drift, heals it (unless --check) and writes one
summary. Built for cron: it never prompts, and skips at once when another run holds the lock."""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any

from . import diff, drift, engine, rollout
from .diff import Change
from .drift import View
from .errors import WaitTimeout
from .resources import Instance, LoadBalancer
from .steps import identity
from .steps import instances as instance_step
from .steps import load_balancer as lb_step
from .steps import security_group as sg_step
from .steps import vpc as vpc_step
from .steps.common import INSTANCE, LOAD_BALANCER, SECURITY_GROUP, VPC, Context, wait_for

log = logging.getLogger(__name__)

EXIT_DRIFT = 3  # --check found drift
EXIT_SKIPPED = 75  # EX_TEMPFAIL (sysexits.h): another run holds the lock; try again later
DEFAULT_GRACE = diff.DEFAULT_GRACE  # an instance failing its health check is rebooted once it has been up this long


def reconcile(ctx: Context, check: bool = False, grace: float = DEFAULT_GRACE) -> dict[str, Any]:
    """Observe, compare, heal (unless `check`), and return the run's summary."""
    started = time.monotonic()
    diff.check(ctx.spec, ctx.state.applied_stack)  # a change that cannot be made: exit 2 before any call
    view = drift.observe_stack(ctx)
    observe_calls = ctx.cloud.stats.total
    if not view.deployed:
        return _summary(
            ctx,
            started,
            check,
            "not-deployed",
            [],
            [
                f"stack {ctx.spec.name} is not deployed (no state file and nothing tagged for it): nothing to"
                " reconcile; `provision` creates it"
            ],
            [],
            observe_calls,
        )
    if not ctx.state.existed:
        log.info("the state file %s is missing: rebuilt from the resources tagged for the stack", ctx.state.path)
    findings, notes = drift.detect(ctx, view, grace)
    for finding in findings:
        (log.warning if finding.security else log.info)("drift: %s", finding.finding_line())
    if not check:
        _prune_state(ctx, view)
        _record_known(ctx, view)
    if not findings:
        return _summary(ctx, started, check, "in-sync", [], notes, [], observe_calls)
    if check:
        return _summary(ctx, started, check, "drift", findings, notes, [], observe_calls)
    actions, heal_notes = heal(ctx, view, findings)
    return _summary(ctx, started, check, "healed", findings, notes + heal_notes, actions, observe_calls)


def heal(ctx: Context, view: View, findings: list[Change]) -> tuple[list[dict[str, Any]], list[str]]:
    """Fix what provision does not (tags, the SLB's status, stopping and failing instances), then run
    provision on the same snapshot, which creates, starts, attaches, re-adds and revokes the rest."""
    snap = view.snap
    actions: list[dict[str, Any]] = []
    notes: list[str] = []
    if view.untagged:
        actions += restore_tags(ctx, view)
    stopping = [i.id for i in snap.instances if i.status == "Stopping"]
    if stopping:
        seen = _wait_settled(ctx, stopping)
        for inst in snap.instances:
            if inst.id in seen:
                inst.status = seen[inst.id].status
    # An inactive SLB, stopped instances, rules, backends and the rest: provision carries out the same diff.
    rebooted = [f.id for f in findings if f.kind == "unhealthy"]
    restarted_at = None
    if rebooted:
        ctx.parallel(lambda i: _reboot(ctx, i), rebooted)
        restarted_at = time.monotonic()
        for inst in snap.instances:
            if inst.id in rebooted:
                inst.status = "Starting"  # provision waits for it before touching its backend
        actions += [{"role": INSTANCE, "id": i, "action": "rebooted", "status": "Starting"} for i in rebooted]
    result = engine.provision(ctx, snap, start_rollout=diff.reconcile_rolls_out(ctx.spec), restarted_at=restarted_at)
    actions += [r for r in result["resources"] if r.get("action") != "existing"]
    # provision starts every stopped instance it keeps (its records list them as existing)
    actions += [
        {"role": INSTANCE, "id": f.id, "action": "started", "status": "Running"}
        for f in findings
        if f.kind == "stopped" and f.role == INSTANCE
    ]
    if rebooted:
        lb = lb_step.pick(ctx, snap.load_balancers)
        try:
            wait_healthy(ctx, lb, rebooted)
        except WaitTimeout as err:
            notes.append(f"after the reboot: {err}; not rebooted again within the grace period")
    return actions, notes


def restore_tags(ctx: Context, view: View) -> list[dict[str, Any]]:
    """TagResources with the stack's tags on every resource the state lists that lost them."""
    return identity.restore_tags(ctx, view.snap)


def _prune_state(ctx: Context, view: View) -> None:
    """Forget what the cloud no longer has (or gave to another stack), so the next run does not look again."""
    identity.forget(ctx, view.snap)


def _record_known(ctx: Context, view: View) -> None:
    """Merge what the snapshot found into the state (a lost state file is rebuilt this way from the
    tags); written only when something is new, so an in-sync run leaves the file as it was."""
    snap = view.snap
    vpc = vpc_step.pick(ctx, snap.vpcs)
    lb = lb_step.pick(ctx, snap.load_balancers)
    group = sg_step.pick(ctx, snap.security_groups, vpc.id) if vpc is not None else None
    port = ctx.spec.load_balancer.listener_port
    ctx.state.merge_found(
        {role: found.id for role, found in ((VPC, vpc), (SECURITY_GROUP, group), (LOAD_BALANCER, lb)) if found},
        {"load_balancer": lb.id, "port": port} if lb is not None and lb.listener(port) else None,
        {s.zone: s.id for s in snap.vswitches if vpc is None or s.vpc_id == vpc.id},
        [i.id for i in snap.instances],
        {d.id: d.instance_id for d in snap.disks},
        spec_hash=None if ctx.state.existed else ctx.spec.spec_hash,
    )


def _wait_settled(ctx: Context, ids: list[str]) -> dict[str, Instance]:
    """Instances being stopped (by someone else) are waited until Stopped, so that they can be started."""
    seen: dict[str, Instance] = {}

    def probe() -> tuple[bool, str]:
        seen.clear()
        seen.update(instance_step.describe_instances(ctx, ids))
        busy = [i for i in ids if i in seen and seen[i].status == "Stopping"]
        return not busy, f"{len(busy)} still Stopping"

    wait_for(f"{len(ids)} instance(s) to finish stopping", probe, ctx.timeouts.instances_running)
    return dict(seen)


def _reboot(ctx: Context, instance_id: str) -> None:
    log.warning("reconcile: rebooting %s: Running, but its server fails the SLB health check", instance_id)
    # Busy: IncorrectInstanceStatus while it is still settling; a retry whose first answer was lost
    # finds it Starting (the reboot is under way), which the verify takes as done.
    ctx.call(
        "reconcile",
        instance_id,
        "ecs",
        "RebootInstance",
        {"InstanceId": instance_id},
        busy=True,
        verify=lambda: getattr(instance_step.describe_instances(ctx, [instance_id]).get(instance_id), "status", "")
        == "Starting",
    )


def wait_healthy(ctx: Context, lb: LoadBalancer | None, ids: list[str]) -> None:
    """Wait until the SLB's health check passes on these backends again."""
    if lb is None:
        return

    def probe() -> tuple[bool, str]:
        health = drift.read_health(ctx, lb)
        good = [i for i in ids if health.get(i) == "normal"]
        return len(good) == len(ids), f"{len(good)}/{len(ids)} normal"

    wait_for(
        f"{len(ids)} rebooted backend(s) to pass the health check",
        probe,
        ctx.timeouts.instances_running,
        expect=rollout.health_expect(ctx),
    )


# --- the summary ---------------------------------------------------------------------------------------


def _summary(
    ctx: Context,
    started: float,
    check: bool,
    outcome: str,
    findings: list[Change],
    notes: list[str],
    actions: list[dict[str, Any]],
    observe_calls: int,
) -> dict[str, Any]:
    calls = ctx.cloud.stats.snapshot()
    return {
        "command": "reconcile",
        "stack": ctx.spec.name,
        "region": ctx.spec.region,
        "target": ctx.cloud.target.to_dict(),
        "state_file": ctx.state.path,
        "check": check,
        "ok": True,
        "outcome": outcome,
        "drift_found": len(findings),
        "drift": [f.finding() for f in findings],
        "security_findings": [f.finding_line() for f in findings if f.security],
        "actions": actions,
        "actions_taken": len(actions),
        "notes": notes,
        "api_calls": calls,
        "observe_calls": observe_calls,
        "duration_s": round(time.monotonic() - started, 2),
    }


def exit_code(result: dict[str, Any]) -> int:
    return EXIT_DRIFT if result.get("check") and result.get("drift_found") else 0


def text(result: dict[str, Any]) -> list[str]:
    """The human summary: one headline, then the drift, the actions and the notes, one per line."""
    calls = result.get("api_calls", {})
    cost = f"{calls.get('total', 0)} API calls, {calls.get('mutating', 0)} mutating, {result.get('duration_s', 0):.1f}s"
    name, outcome, n = result["stack"], result["outcome"], result.get("drift_found", 0)
    head = {
        "in-sync": f"reconcile {name}: in sync, no drift ({cost})",
        "drift": f"reconcile --check {name}: {n} drift finding(s), nothing changed ({cost})",
        "healed": f"reconcile {name}: {n} drift finding(s), {result.get('actions_taken', 0)} action(s) taken ({cost})",
        "not-deployed": f"reconcile {name}: not deployed, nothing to do ({cost})",
    }.get(outcome, f"reconcile {name}: {outcome}")
    lines = [head]
    for d in result.get("drift", []):
        label = "SECURITY:" if d["security"] else "drift: "
        lines.append(f"  {label} {d['role']} {d['id']}".rstrip() + f": {d['kind']}: {d['detail']} -> {d['heal']}")
    lines += [f"  action: {a['action']} {a['role']} {a['id']}" for a in result.get("actions", [])]
    lines += [f"  note:   {note}" for note in result.get("notes", [])]
    return lines


def append_log(path: str, record: dict[str, Any]) -> None:
    """Append one JSON line (O_APPEND, one write, so concurrent runs never interleave within a line)."""
    line = json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **record}, sort_keys=True) + "\n"
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)
