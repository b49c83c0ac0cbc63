"""Rolling replacement: outdated instances (another template, provisioner/template.py) are replaced in
batches under the stack's rollout policy (spec_rollout.py), with the SLB's health check as the gate.

One batch replaces up to max_surge + max_unavailable old instances: pick them; write the batch to the state
(the rollout entry, before any mutating call); take out of service first the old ones the surge cannot cover
(`early`: as many as the batch exceeds max_surge by, at most max_unavailable: drain, out of the SLB, delete, so
that the fleet never exceeds count + max_surge instances: with max_surge 0 a rollout runs at the instance quota);
create the new instances (RunInstances with a write-ahead ClientToken of the batch, so a rerun after a crash
replays it and gets the same ids); wait Running; add them to the SLB; wait until DescribeHealthStatus says
`normal` for each, within rollout.health_timeout; then drain the other old ones (weight 0,
load_balancer.drain_seconds), take them out of the SLB and delete them. So the healthy backends never drop below
count - max_unavailable (below count only by the early ones; replace_steps.py has the moves).

A batch that is not healthy in time is rolled back: its new instances leave the SLB and are deleted,
the old ones keep serving (they were never drained), and the run fails naming the batch, the instances
and the last lines of each one's console output (GetInstanceConsoleOutput). Early ones are gone by then: the
old fleet serves with count - max_unavailable until the next provision.

Data disks: `attach: first`: the holder goes last, alone; its disk moves to its replacement. `attach: each`: a
new instance comes with a new disk of its own (RunInstances DataDisk.1); an old one's disk is deleted after it.

Canary (rollout.canary): the first batch creates `instances` new ones and keeps every old one, with
weights giving the canary `weight` percent of the traffic; with `hold` the run stops there until
`provisioner promote` (finish the rollout) or `provisioner rollback` (delete the canary; the template is
then marked rejected, so that provision does not start it again until the stack file changes).

Everything is recomputed from the cloud on a rerun: instances carrying the stack's template tag are
new, the others outdated; the state's entry only says which batch was under way (its old ids, the early ones,
its new ids once RunInstances answered, the old ones leaving the SLB, the canary's hold), so a run killed at
any point finishes the batch without a duplicate and without leaking an instance or a disk.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import replace_steps as moves
from .errors import NoStock, NotFound, ProvisionerError, WaitTimeout
from .replace_steps import console_tails as console_tails
from .replace_steps import fleet as fleet  # `status` shows the fleet by template (engine.py)
from .resources import Instance, LoadBalancer, SecurityGroup, VSwitch
from .steps import common, server_group
from .steps import disks as disk_step
from .steps import instances as instance_step
from .steps import load_balancer as lb_step
from .steps.common import INSTANCE, Context, Record
from .steps.precheck import zones_for
from .tags import DATA_DISK_HOLDER, TAG_DATA_DISK
from .template import differing, instance_template, legacy_matches, template_of
from .tokens import token_key

log = logging.getLogger(__name__)
STEP = "rollout"


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
    """Instances of the batch under way that are the rollout's, not the engine's to add, reweight or remove
    (in_flight_of); the batch's template instances are read afresh only when a killed run left the new ids
    unknown (one Describe)."""
    e = entry(ctx) or {}
    unknown = bool(e.get("active") and e.get("batch_old") and e.get("new") is None and e.get("template"))
    return in_flight_of(e, instance_step.find_instances(ctx) if unknown and not e.get("held") else [])


def in_flight_of(e: dict[str, Any] | None, instances: list[Instance]) -> set[str]:
    """From the rollout's state entry and the instances seen: the new ones (not yet gated by the health check)
    and the old ones leaving the SLB (drained: the engine would put them back at weight 100). A run killed
    between RunInstances and its answer left the new ids unknown: then every instance of the batch's template
    is the rollout's (earlier batches' serve already). Pure: the diff uses it on its snapshot."""
    e = e or {}
    if e.get("held"):
        return set()
    out = set(e.get("new") or []) | set(e.get("leaving") or [])
    if e.get("active") and e.get("batch_old") and e.get("new") is None and e.get("template"):
        out |= {i.id for i in instances if instance_template(i.tags) == e["template"]}
    return out


def weights(ctx: Context) -> dict[str, int]:
    """Backend weights the rollout set (a canary and the old fleet beside it); the engine keeps them."""
    return weights_of(entry(ctx))


def weights_of(e: dict[str, Any] | None) -> dict[str, int]:
    return {k: int(v) for k, v in ((e or {}).get("weights") or {}).items()}


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
        if not outdated and not (e and (e.get("new") or e.get("batch_old"))):
            break  # done, unless a batch is under way (its new ones, or strays, still to pass the gate)
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
    if result.batches and result.replaced:
        log.info("rollout: done, %d instance(s) replaced in %d batch(es)", len(result.replaced), result.batches)
    elif result.batches:
        log.info("rollout: done: finished what an earlier run had begun (no instance left to replace)")
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
    surge = policy.surge(count)
    if canary is not None:
        size, surge = min(canary.instances, len(outdated)), len(outdated)  # a canary keeps every old one
    else:
        size = min(len(outdated), max(1, surge + policy.unavailable(count)))
    # attach: first: the disk holder goes last, alone: its disk moves to its replacement.
    first = ctx.spec.data_disk is not None and ctx.spec.data_disk.attach == "first"
    holder = [i for i in outdated if first and i.tags.get(TAG_DATA_DISK) == DATA_DISK_HOLDER]
    others = [i for i in outdated if i not in holder]
    picked = others[:size] if others else holder[:1]
    with_disk = moves.each_disk(ctx) or bool(holder and picked == holder[:1])
    # Beyond the surge, old ones leave before their replacements exist (at most max_unavailable of them).
    early = picked[: max(0, len(picked) - surge)]
    e = {
        "template": digest,
        "batch": number,
        "batch_old": [i.id for i in picked],
        "early": [i.id for i in early],
        "with_disk": with_disk,
        "new": None,
        "leaving": [],
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
    with_disk = bool(e.get("with_disk"))
    if "with_disk" not in e:  # an entry an earlier version wrote: the batch mounts a disk when an old one did
        with_disk = any(alive[i].tags.get(TAG_DATA_DISK) == DATA_DISK_HOLDER for i in e["batch_old"] if i in alive)
    since, expect = None, 0.0
    if e.get("new") is None:
        early = [alive[i] for i in e.get("early") or [] if i in alive]
        if early:  # max_unavailable: out of service and deleted before their replacements are created
            log.info(
                "rollout: batch %d takes %s out first (max_unavailable)", e["batch"], ", ".join(i.id for i in early)
            )
            result.records += moves.retire(ctx, lb, e, early)
            result.replaced += [i.id for i in early if i.id not in result.replaced]
            alive = {k: v for k, v in alive.items() if k not in {i.id for i in early}}
        since, expect = common.clock(), common.typical(ctx, "instance.boot")  # no poll before a boot can end
        created = _create(ctx, e, _amount(ctx, e, alive), with_disk, vswitch_for, group)
        e["new"] = created + [i for i in _strays(lb, e, alive) if i not in created]
        ctx.state.set_rollout(e)
    old = [alive[i] for i in e["batch_old"] if i in alive]
    new_ids = [i for i in e["new"]]
    instance_step.wait_instances_running(ctx, new_ids, expect=expect, since=since)
    if new_ids and with_disk and moves.each_disk(ctx):
        result.records += disk_step.adopt_new(ctx, new_ids)  # their own disks, made by RunInstances
    elif new_ids and with_disk:
        result.records += moves.move_disk(ctx, lb, e, old, new_ids)
    weights_now, changed = moves.weights_for(ctx, e, alive, new_ids)
    if changed:
        ctx.state.set_rollout(e)
    moves.add(ctx, lb, new_ids, weights_now)
    try:
        moves.wait_healthy(ctx, lb, new_ids, policy.health_timeout)
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
    result.records += moves.retire(ctx, lb, e, old)
    result.replaced += [i.id for i in old if i.id not in result.replaced]
    if e.get("weights"):
        moves.set_weights(ctx, lb, {i: lb_step.WEIGHT for i in e["weights"] if i in alive or i in new_ids})
    e["batch_old"], e["early"], e["new"], e["weights"], e["amount"] = [], [], None, {}, None
    e["canary"] = False
    ctx.state.set_rollout(e)
    return False


def _amount(ctx: Context, e: dict[str, Any], alive: dict[str, Instance]) -> int:
    """New instances the batch creates: one per old one, less any the fleet got otherwise since the batch began (a
    rerun's provision fills the gap that early ones left with instances of the stack's template). Saved before
    RunInstances: while its token is pending (it may have taken effect) a rerun replays the same request."""
    keys = [_key(e, zone) for zone in zones_for(ctx)]
    if e.get("amount") is not None and any(ctx.state.pending(k) for k in keys):
        return int(e["amount"])
    others = [i for i in alive if i not in set(e["batch_old"])]
    e["amount"] = max(0, min(len(e["batch_old"]), ctx.spec.instances.count - len(others)))
    ctx.state.set_rollout(e)
    return int(e["amount"])


def _strays(lb: LoadBalancer, e: dict[str, Any], alive: dict[str, Instance]) -> list[str]:
    """Instances of the batch's template outside the SLB: those a rerun's provision created to fill the gap early
    ones left (the engine leaves them to the rollout, in_flight): they join with the batch, through its gate."""
    backends = {b.server_id for b in lb.backends or []}
    return [
        i.id
        for i in alive.values()
        if instance_template(i.tags) == e["template"] and i.id not in backends and i.id not in e["batch_old"]
    ]


def _key(e: dict[str, Any], zone: str) -> str:
    return token_key(INSTANCE, f"rollout-{e['template']}-{e['batch']}", zone)


def _create(
    ctx: Context,
    e: dict[str, Any],
    amount: int,
    with_disk: bool,
    vswitch_for: Callable[[str], VSwitch],
    group: SecurityGroup,
) -> list[str]:
    """RunInstances for the batch, its ClientToken written ahead under the batch's key (template, number):
    a rerun after a crash replays it and the cloud answers with the same ids. With `attach: each` each new
    instance gets a new data disk of its own (DataDisk.1, kept when the instance is released)."""
    if amount == 0:
        return []
    refusals = []
    for zone in zones_for(ctx):
        params = instance_step.run_params(
            ctx, zone, vswitch_for(zone), group, amount, with_disk, new_disk=with_disk and moves.each_disk(ctx)
        )
        key = _key(e, zone)

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


def _roll_back(ctx: Context, lb: LoadBalancer, e: dict[str, Any], new_ids: list[str], why: str) -> None:
    """The batch failed its health check: out of the SLB, deleted; the old fleet keeps serving."""
    logs = console_tails(ctx, new_ids)
    remove_new(ctx, lb, dict(e), new_ids)  # a copy: the message names the batch's old ones
    lines = [
        f"rollout: batch {e['batch']} (new instances {', '.join(new_ids)}, replacing"
        f" {', '.join(e['batch_old'])}) did not pass the SLB health check within"
        f" {ctx.spec.rollout.health_timeout}s; rolled back: the new instances were removed and deleted, the"
        f" old fleet keeps serving ({why})"
    ]
    if e.get("early"):
        lines[0] += f"; {', '.join(e['early'])} had left first (max_unavailable): the fleet is short of them"
    for iid, tail in logs.items():
        lines.append(f"last lines of {iid}'s console output:")
        lines += [f"  {line}" for line in tail] or ["  (empty)"]
    raise RolloutFailed("\n".join(lines))


def remove_new(ctx: Context, lb: LoadBalancer, e: dict[str, Any], new_ids: list[str]) -> list[Record]:
    lb_step.read_backends(ctx, lb)
    attached = [i for i in new_ids if i in {b.server_id for b in lb.backends or []}]
    if attached:
        moves.set_weights(ctx, lb, {i: 0 for i in attached})
        lb_step.remove_backends(ctx, lb, attached)
    if e.get("weights"):
        moves.set_weights(ctx, lb, {i: lb_step.WEIGHT for i in e["weights"] if i not in new_ids})
    gone = instance_step.describe_instances(ctx, new_ids)
    own = [d for d in disk_step.find_disks(ctx) if d.instance_id in gone] if gone and moves.each_disk(ctx) else []
    records = instance_step.delete_instances(ctx, list(gone.values())) if gone else []
    if own:  # attach: each: their own disks (kept Available by the release) go with them
        records += disk_step.delete_disks(ctx, own, released=list(gone))
    # Not under way any more: reconcile does not retry a failed rollout; provision does (the stack still asks).
    e.update(batch_old=[], early=[], leaving=[], amount=None, new=None, weights={}, canary=False, held=False)
    e["active"] = False
    ctx.state.set_rollout(e)
    return records


def _abandon_batch(ctx: Context, lb: LoadBalancer, e: dict[str, Any]) -> dict[str, Any] | None:
    """Keep whatever the batch created (its instances are counted again by template); start numbering on."""
    e = {**e, "batch_old": [], "early": [], "leaving": [], "amount": None, "new": None, "held": False, "canary": False}
    if e.get("weights"):
        lb_step.read_backends(ctx, lb)
        moves.set_weights(ctx, lb, {i: lb_step.WEIGHT for i in e["weights"]})
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
