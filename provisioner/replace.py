"""Rolling replacement: outdated instances (another template, provisioner/template.py) are replaced in
batches under the stack's rollout policy (spec_rollout.py), with the SLB's health check as the gate.

One batch: pick the old instances it replaces; write the batch to the state (the rollout entry, before
any mutating call); create the new instances (RunInstances with a write-ahead ClientToken of the batch,
so a rerun after a crash replays it and gets the same ids); wait Running; add them to the SLB; wait
until DescribeHealthStatus says `normal` for each, within rollout.health_timeout; then drain the old
ones (weight 0, load_balancer.drain_seconds), take them out of the SLB and delete them. A batch is
max_surge + max_unavailable instances: the old ones of a batch always leave after their replacements
are healthy, so healthy backends never drop below count (stricter than count - max_unavailable; the
price is that a batch may exceed max_surge by max_unavailable instances, CHOICES.md "Rollout").

A batch that is not healthy in time is rolled back: its new instances leave the SLB and are deleted,
the old ones keep serving (they were never drained), and the run fails naming the batch, the instances
and the last lines of each one's console output (GetInstanceConsoleOutput).

Canary (rollout.canary): the first batch creates `instances` new ones and keeps every old one, with
weights giving the canary `weight` percent of the traffic; with `hold` the run stops there until
`provisioner promote` (finish the rollout) or `provisioner rollback` (delete the canary; the template is
then marked rejected, so that provision does not start it again until the stack file changes).

Everything is recomputed from the cloud on a rerun: instances carrying the stack's template tag are
new, the others outdated; the state's entry only says which batch was under way (its old ids, its new
ids once RunInstances answered, the canary's hold), so a run killed at any point finishes the batch
without a duplicate and without leaking an instance.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import rollout as health_rules
from .errors import NotFound, ProvisionerError, WaitTimeout
from .resources import Instance, LoadBalancer, SecurityGroup, VSwitch
from .steps import common, server_group
from .steps import instances as instance_step
from .steps import load_balancer as lb_step
from .steps.common import INSTANCE, Context, Record
from .steps.precheck import zones_for
from .tags import DATA_DISK_HOLDER, TAG_DATA_DISK
from .template import differing, instance_template, legacy_matches, template_of
from .tokens import token_key

log = logging.getLogger(__name__)
STEP = "rollout"
LOG_LINES = 20  # console lines shown per failed instance


@dataclass
class RolloutResult:
    template: str
    replaced: list[str] = field(default_factory=list)  # old ids deleted
    created: list[str] = field(default_factory=list)  # new ids in service
    batches: int = 0
    held: bool = False  # a canary waits for promote/rollback
    canary: list[str] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "template": self.template,
            "replaced": self.replaced,
            "created": self.created,
            "batches": self.batches,
            "held": self.held,
            "canary": self.canary,
        }


class RolloutFailed(ProvisionerError):
    """A batch did not pass the health check in time; it was rolled back (exit 1)."""


# --- state -------------------------------------------------------------------------------------------


def entry(ctx: Context) -> dict[str, Any] | None:
    return ctx.state.rollout()


def under_way(ctx: Context) -> bool:
    """A rollout was started and is not finished, rolled back or failed (reconcile finishes it)."""
    e = entry(ctx)
    return e is not None and bool(e.get("active"))


def in_flight(ctx: Context) -> set[str]:
    """New instances of the batch under way: not yet gated by the health check, so not the engine's to add."""
    e = entry(ctx) or {}
    if e.get("held"):
        return set()
    return set(e.get("new") or [])


def weights(ctx: Context) -> dict[str, int]:
    """Backend weights the rollout set (a canary and the old fleet beside it); the engine keeps them."""
    e = entry(ctx) or {}
    return {k: int(v) for k, v in (e.get("weights") or {}).items()}


# --- what is outdated --------------------------------------------------------------------------------


def classify(ctx: Context, instances: list[Instance]) -> tuple[list[Instance], list[Instance]]:
    """(current, outdated) by the template tag. An untagged instance (created before templates) is current
    when its type, image and user data (DescribeUserData) are what the stack gives a new one now."""
    current_digest = template_of(ctx.spec).digest
    current, outdated = [], []
    for inst in instances:
        tag = instance_template(inst.tags)
        if tag == current_digest or (tag is None and _legacy_current(ctx, inst)):
            current.append(inst)
        else:
            outdated.append(inst)
    return current, outdated


def _legacy_current(ctx: Context, inst: Instance) -> bool:
    try:
        body = ctx.call(STEP, inst.id, "ecs", "DescribeUserData", {"RegionId": ctx.region, "InstanceId": inst.id})
    except NotFound:
        return False
    with_disk = inst.tags.get(TAG_DATA_DISK) == DATA_DISK_HOLDER
    expected_image = ctx.precheck.image_id if getattr(ctx, "precheck", None) is not None else ctx.spec.instances.image
    return legacy_matches(
        ctx.spec,
        inst.type,
        inst.image,
        expected_image,
        body.get("UserData") or "",
        instance_step.user_data(ctx, with_disk),
    )


def changes(ctx: Context, instances: list[Instance]) -> list[tuple[str, list[str]]]:
    """(instance id, differing fields) per outdated instance: what `plan` lists as `replace`."""
    new = template_of(ctx.spec)
    _, outdated = classify(ctx, instances)
    return [(i.id, differing(ctx.state.template_fields(instance_template(i.tags) or ""), new.fields)) for i in outdated]


# --- the rollout -------------------------------------------------------------------------------------


def roll_out(
    ctx: Context,
    lb: LoadBalancer,
    instances: list[Instance],
    group: SecurityGroup,
    vswitch_for: Callable[[str], VSwitch],
    promote: bool = False,
) -> RolloutResult | None:
    """Replace every outdated instance (or finish the rollout a killed run left); None when nothing is
    outdated. `promote`: go on past a held canary."""
    tpl = template_of(ctx.spec)
    ctx.state.record_template(tpl.digest, tpl.fields)
    e = entry(ctx)
    if e and e.get("template") != tpl.digest:
        # The stack changed again during a rollout: the batch under way is finished as a batch of the new
        # template (its new instances are outdated now and get replaced like any other).
        log.warning(
            "rollout: the stack's template changed during the rollout to %s; rolling out %s instead",
            e.get("template"),
            tpl.digest,
        )
        e = _abandon_batch(ctx, lb, e)
    if e and e.get("rejected") == tpl.digest and not promote:
        log.warning(
            "rollout: template %s was rolled back (provisioner rollback); the fleet stays as it is"
            " until the stack file changes or `provisioner promote`",
            tpl.digest,
        )
        return None
    result = RolloutResult(tpl.digest)
    policy = ctx.spec.rollout
    count = ctx.spec.instances.count
    lb_step.read_backends(ctx, lb)
    _to_group(ctx, lb)
    for _ in range(count + 5):  # one batch per pass; bounded by the fleet's size
        alive = {i.id: i for i in instance_step.find_instances(ctx)}
        e = entry(ctx)
        if e and e.get("rejected") and not e.get("batch_old"):
            e = None
        current, outdated = classify(ctx, [i for i in alive.values()])
        if not outdated and not (e and e.get("new")):
            break
        if e is None or not e.get("batch_old"):
            e = _new_batch(ctx, tpl.digest, outdated, current, e, promote)
        if e is None:
            break
        held = _run_batch(ctx, lb, e, alive, group, vswitch_for, result, promote)
        if held:
            result.held = True
            return result
        if policy.batch_pause_seconds and [i for i in outdated if i.id not in set(e["batch_old"])]:
            common.sleep(policy.batch_pause_seconds)
    server_group.finish(ctx, lb)
    ctx.state.set_rollout(None)
    if result.batches:
        log.info("rollout: done, %d instance(s) replaced in %d batch(es)", len(result.replaced), result.batches)
    return result if result.batches else None


def _to_group(ctx: Context, lb: LoadBalancer) -> None:
    """serving.port changes: before the first new instance joins, the fleet moves into the stack's vServer group
    (old members on the old port, new ones join on the new port; steps/server_group.py). A move a killed run
    left half done is finished first."""
    port = ctx.spec.load_balancer.listener_port
    listener = lb.listener(port)
    e = server_group.entry(ctx, lb)
    if e is not None and e.get("stage") in ("bound", "moved"):
        return
    old_port = int(listener.backend_port) if listener is not None and listener.backend_port else None
    if e is None and (old_port is None or old_port == ctx.spec.serving.port):
        return
    server_group.migrate(ctx, lb, port, old_port or ctx.spec.serving.port)


def _new_batch(
    ctx: Context,
    digest: str,
    outdated: list[Instance],
    current: list[Instance],
    previous: dict[str, Any] | None,
    promote: bool,
) -> dict[str, Any] | None:
    if not outdated:
        return None
    policy, count = ctx.spec.rollout, ctx.spec.instances.count
    number = int((previous or {}).get("batch", -1)) + 1
    canary = policy.canary if number == 0 and not promote and not current else None
    if canary is not None:
        size = min(canary.instances, len(outdated))
    else:
        size = min(len(outdated), max(1, policy.surge(count) + policy.unavailable(count)))
    # The disk holder (attach: first) goes last, alone: its disk moves to its replacement.
    holder = [i for i in outdated if i.tags.get(TAG_DATA_DISK) == DATA_DISK_HOLDER]
    others = [i for i in outdated if i not in holder]
    picked = others[:size] if others else holder[:1]
    e = {
        "template": digest,
        "batch": number,
        "batch_old": [i.id for i in picked],
        "new": None,
        "canary": canary is not None,
        "held": False,
        "weights": {},
        "started": time.time(),
        "active": True,
    }
    ctx.state.set_rollout(e)  # before any mutating call of the batch
    return e


def _run_batch(
    ctx: Context,
    lb: LoadBalancer,
    e: dict[str, Any],
    alive: dict[str, Instance],
    group: SecurityGroup,
    vswitch_for: Callable[[str], VSwitch],
    result: RolloutResult,
    promote: bool,
) -> bool:
    """One batch, from wherever a killed run left it. True when a canary now holds."""
    policy = ctx.spec.rollout
    old = [alive[i] for i in e["batch_old"] if i in alive]
    if e.get("held"):
        if not promote:
            log.info(
                "rollout: canary %s holds at %d%% of the traffic; run `provisioner promote` or"
                " `provisioner rollback`",
                ", ".join(e["new"]),
                policy.canary.weight if policy.canary else 0,
            )
            result.canary = list(e["new"])
            return True
        e["canary"] = e["held"] = False
        ctx.state.set_rollout(e)
    with_disk = any(i.tags.get(TAG_DATA_DISK) == DATA_DISK_HOLDER for i in old)
    since, expect = None, 0.0
    if e.get("new") is None:
        since, expect = common.clock(), common.typical(ctx, "instance.boot")  # no poll before a boot can end
        e["new"] = _create(ctx, e, len(e["batch_old"]), with_disk, vswitch_for, group)
    new_ids = [i for i in e["new"]]
    instance_step.wait_instances_running(ctx, new_ids, expect=expect, since=since)
    if with_disk:
        _move_disk(ctx, lb, old, new_ids, result)
    weights_now = _weights(ctx, e, old, alive, new_ids)
    _add(ctx, lb, new_ids, weights_now)
    try:
        _wait_healthy(ctx, lb, new_ids, policy.health_timeout)
    except WaitTimeout as err:
        _roll_back(ctx, lb, e, new_ids, str(err))
    result.created += [i for i in new_ids if i not in result.created]
    result.batches += 1
    if e.get("canary") and policy.canary is not None:
        result.canary = list(new_ids)
        if policy.canary.hold:
            e["held"] = True
            ctx.state.set_rollout(e)
            log.info(
                "rollout: canary %s serves %d%% of the traffic; holding (provisioner promote / rollback)",
                ", ".join(new_ids),
                policy.canary.weight,
            )
            return True
    # Old weights back to normal before the old batch goes (a canary's weights end with it).
    _retire(ctx, lb, old, result)
    if e.get("weights"):
        _set_weights(ctx, lb, {i: lb_step.WEIGHT for i in e["weights"] if i in alive or i in new_ids})
    e["batch_old"], e["new"], e["weights"] = [], None, {}
    e["canary"] = False
    ctx.state.set_rollout(e)
    return False


def _create(
    ctx: Context,
    e: dict[str, Any],
    amount: int,
    with_disk: bool,
    vswitch_for: Callable[[str], VSwitch],
    group: SecurityGroup,
) -> list[str]:
    """RunInstances for the batch, its ClientToken written ahead under the batch's key (template, number):
    a rerun after a crash replays it and the cloud answers with the same ids."""
    refusals = []
    from .errors import NoStock

    for zone in zones_for(ctx):
        params = instance_step.run_params(ctx, zone, vswitch_for(zone), group, amount, with_disk)
        key = token_key(INSTANCE, f"rollout-{e['template']}-{e['batch']}", zone)

        def record(body: dict[str, Any], e: dict[str, Any] = e) -> None:
            ids = instance_step._ids_of(body)
            ctx.state.add_instances(ids)
            e["new"] = ids
            ctx.state.set_rollout(e)

        try:
            body = ctx.create(
                STEP,
                f"{amount} x {ctx.spec.instances.type} in {zone} (batch {e['batch']})",
                "ecs",
                "RunInstances",
                key,
                params,
                record=record,
            )
        except NoStock as err:
            refusals.append(f"{zone}: {err.code}")
            continue
        ids = instance_step._ids_of(body)
        log.info("rollout: batch %d created %s in %s", e["batch"], ", ".join(ids), zone)
        return ids
    raise ProvisionerError(f"rollout: no zone of the stack can supply {ctx.spec.instances.type}: {'; '.join(refusals)}")


def _weights(
    ctx: Context, e: dict[str, Any], old: list[Instance], alive: dict[str, Instance], new_ids: list[str]
) -> dict[str, int]:
    """Weights of the new backends (and of the old ones, for a canary): the canary gets `weight` percent."""
    canary = ctx.spec.rollout.canary
    if not e.get("canary") or canary is None:
        return {i: lb_step.WEIGHT for i in new_ids}
    others = [i for i in alive if i not in new_ids]
    share = canary.weight / 100
    n_new, n_old = len(new_ids), max(1, len(others))
    w_new = round(share * n_old * 100 / ((1 - share) * n_new))
    w_old = 100
    if w_new > 100:
        w_new, w_old = 100, max(1, round((1 - share) * n_new * 100 / (share * n_old)))
    weights_now = {i: max(1, w_new) for i in new_ids}
    weights_now.update({i: w_old for i in others})
    e["weights"] = weights_now
    ctx.state.set_rollout(e)
    return weights_now


def _add(ctx: Context, lb: LoadBalancer, new_ids: list[str], weights_now: dict[str, int]) -> None:
    current = {b.server_id: b for b in lb.backends or []}
    adds = [i for i in new_ids if i not in current]
    old_changes = {i: w for i, w in weights_now.items() if i in current and current[i].weight != w}
    if old_changes:
        _set_weights(ctx, lb, old_changes)
    if adds:
        lb_step.backend_call(ctx, lb, "add", {i: weights_now.get(i, lb_step.WEIGHT) for i in adds})
    wrong = {i: weights_now[i] for i in new_ids if i in current and current[i].weight != weights_now[i]}
    if wrong:
        _set_weights(ctx, lb, wrong)
    lb_step.read_backends(ctx, lb)


def _set_weights(ctx: Context, lb: LoadBalancer, weights_now: dict[str, int]) -> None:
    attached = {b.server_id for b in lb.backends or []}
    items = [i for i in weights_now if i in attached]
    if items:
        lb_step.backend_call(ctx, lb, "set", {i: weights_now[i] for i in items})
    for b in lb.backends or []:
        if b.server_id in weights_now:
            b.weight = weights_now[b.server_id]


def _wait_healthy(ctx: Context, lb: LoadBalancer, ids: list[str], timeout: float) -> None:
    def probe() -> tuple[bool, str]:
        seen = health_rules.health(ctx, lb.id)
        bad = [i for i in ids if seen.get(i) != "normal"]
        return not bad, f"{len(ids) - len(bad)}/{len(ids)} normal" + (
            "; " + ", ".join(f"{i} {seen.get(i, 'not a backend yet')}" for i in bad[:5]) if bad else ""
        )

    common.wait_for(f"rollout batch {', '.join(ids)} to pass the health check", probe, timeout)


def _retire(ctx: Context, lb: LoadBalancer, old: list[Instance], result: RolloutResult) -> None:
    """Drain (weight 0, drain_seconds), take out of the SLB, delete."""
    if not old:
        return
    ids = [i.id for i in old]
    lb_step.read_backends(ctx, lb)
    attached = [i for i in ids if i in {b.server_id for b in lb.backends or []}]
    if attached:
        record = health_rules.drain(ctx, lb, attached, {i.id for i in old if i.status == "Running"})
        if record:
            result.records.append(record)
        lb_step.remove_backends(ctx, lb, attached)
    result.records += instance_step.delete_instances(ctx, old)
    result.replaced += [i for i in ids if i not in result.replaced]


def _move_disk(ctx: Context, lb: LoadBalancer, old: list[Instance], new_ids: list[str], result: RolloutResult) -> None:
    """attach: first: the old holder leaves the SLB (drained), its data disk is detached and attached to
    the new holder. Meanwhile the other instances serve (with count 1, nothing does: docs/day2.md)."""
    from .steps import disks as disk_step

    holder = next((i for i in old if i.tags.get(TAG_DATA_DISK) == DATA_DISK_HOLDER), None)
    found = disk_step.find_disks(ctx)
    new_id = new_ids[0]
    disk = next((d for d in found if d.instance_id in ({holder.id} if holder else set()) | {new_id}), None)
    if disk is None and found:
        disk = found[0]
    if disk is None or disk.instance_id == new_id:
        return
    if holder is not None:
        _retire_from_slb(ctx, lb, [holder], result)
    if disk.instance_id:
        ctx.call(
            STEP,
            disk.id,
            "ecs",
            "DetachDisk",
            {"RegionId": ctx.region, "DiskId": disk.id, "InstanceId": disk.instance_id},
            busy=True,
        )
        disk_step.wait_disks(ctx, [disk.id], "Available", "detached")
    target = instance_step.describe_instances(ctx, [new_id])[new_id]
    result.records += disk_step.attach_disks(ctx, [(disk.id, target)])


def _retire_from_slb(ctx: Context, lb: LoadBalancer, old: list[Instance], result: RolloutResult) -> None:
    lb_step.read_backends(ctx, lb)
    attached = [i.id for i in old if i.id in {b.server_id for b in lb.backends or []}]
    if attached:
        record = health_rules.drain(ctx, lb, attached, {i.id for i in old if i.status == "Running"})
        if record:
            result.records.append(record)
        lb_step.remove_backends(ctx, lb, attached)


def _roll_back(ctx: Context, lb: LoadBalancer, e: dict[str, Any], new_ids: list[str], why: str) -> None:
    """The batch failed its health check: out of the SLB, deleted; the old fleet keeps serving."""
    logs = console_tails(ctx, new_ids)
    remove_new(ctx, lb, e, new_ids)
    lines = [
        f"rollout: batch {e['batch']} (new instances {', '.join(new_ids)}, replacing"
        f" {', '.join(e['batch_old'])}) did not pass the SLB health check within"
        f" {ctx.spec.rollout.health_timeout}s; rolled back: the new instances were removed and deleted, the"
        f" old fleet keeps serving ({why})"
    ]
    for iid, tail in logs.items():
        lines.append(f"last lines of {iid}'s console output:")
        lines += [f"  {line}" for line in tail] or ["  (empty)"]
    raise RolloutFailed("\n".join(lines))


def remove_new(ctx: Context, lb: LoadBalancer, e: dict[str, Any], new_ids: list[str]) -> list[Record]:
    lb_step.read_backends(ctx, lb)
    attached = [i for i in new_ids if i in {b.server_id for b in lb.backends or []}]
    if attached:
        _set_weights(ctx, lb, {i: 0 for i in attached})
        lb_step.remove_backends(ctx, lb, attached)
    if e.get("weights"):
        _set_weights(ctx, lb, {i: lb_step.WEIGHT for i in e["weights"] if i not in new_ids})
    gone = instance_step.describe_instances(ctx, new_ids)
    records = instance_step.delete_instances(ctx, list(gone.values())) if gone else []
    # Not under way any more: reconcile does not retry a failed rollout; provision does (the stack still asks).
    e.update(batch_old=[], new=None, weights={}, canary=False, held=False, active=False)
    ctx.state.set_rollout(e)
    return records


def console_tails(ctx: Context, ids: list[str]) -> dict[str, list[str]]:
    out = {}
    for iid in ids:
        try:
            body = ctx.call(
                STEP,
                iid,
                "ecs",
                "GetInstanceConsoleOutput",
                {"RegionId": ctx.region, "InstanceId": iid, "RemoveSymbols": True},
            )
            text = base64.b64decode(body.get("ConsoleOutput") or "").decode("utf-8", "replace")
        except (NotFound, ValueError) as err:
            text = f"(no console output: {err})"
        except ProvisionerError as err:
            text = f"(no console output: {err})"
        out[iid] = [line for line in text.splitlines() if line.strip()][-LOG_LINES:]
    return out


def _abandon_batch(ctx: Context, lb: LoadBalancer, e: dict[str, Any]) -> dict[str, Any] | None:
    """Keep whatever the batch created (its instances are counted again by template); start numbering on."""
    e = {**e, "batch_old": [], "new": None, "held": False, "canary": False}
    if e.get("weights"):
        lb_step.read_backends(ctx, lb)
        _set_weights(ctx, lb, {i: lb_step.WEIGHT for i in e["weights"]})
    e["weights"] = {}
    e.pop("rejected", None)
    ctx.state.set_rollout(e)
    return e


# --- promote / rollback ------------------------------------------------------------------------------


def rollback(ctx: Context, lb: LoadBalancer) -> dict[str, Any]:
    """Remove a held canary (or the batch a killed run left): out of the SLB, deleted; the template is
    marked rejected so provision leaves the fleet as it is until the stack file changes."""
    e = entry(ctx)
    if not e or not (e.get("new") or e.get("batch_old")):
        raise ProvisionerError("rollback: no rollout is under way (nothing to roll back)")
    new_ids = list(e.get("new") or [])
    records = remove_new(ctx, lb, e, new_ids)
    ctx.state.set_rollout(
        {
            "template": e["template"],
            "batch": e.get("batch", 0),
            "rejected": e["template"],
            "active": False,
            "batch_old": [],
            "new": None,
        }
    )
    return {"rolled_back": new_ids, "template": e["template"], "deleted": [r.id for r in records]}


# --- status --------------------------------------------------------------------------------------------


def fleet(ctx: Context, instances: list[Instance], lb: LoadBalancer | None) -> list[dict[str, Any]]:
    """The fleet by template: new (the stack's), canary (a held canary's), old (outdated), with the
    instances and the share of the traffic their backends' weights give them."""
    current = template_of(ctx.spec).digest
    e = entry(ctx) or {}
    canary = set(e.get("new") or []) if e.get("held") else set()
    weight = {b.server_id: b.weight for b in (lb.backends or [])} if lb is not None else {}
    total = sum(weight.get(i.id, 0) for i in instances) or 1
    groups: dict[tuple[str, str], list[Instance]] = {}
    for inst in instances:
        tpl = instance_template(inst.tags) or "(before templates)"
        role = "canary" if inst.id in canary else ("new" if tpl == current else "old")
        groups.setdefault((role, tpl), []).append(inst)
    out = []
    for (role, tpl), members in sorted(groups.items()):
        share = sum(weight.get(i.id, 0) for i in members)
        out.append(
            {
                "template": tpl,
                "role": role,
                "instances": [i.id for i in members],
                "traffic_percent": round(100 * share / total, 1),
            }
        )
    return out
