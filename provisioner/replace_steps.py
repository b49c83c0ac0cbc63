"""The moves of one rollout batch (provisioner/replace.py drives them): backends in and out of the SLB with their
weights, the health gate, the retirement of old instances (drain, out of the SLB, deleted, with their own data
disks for `attach: each`) and the data disk's move to the holder's replacement (`attach: first`); the console tails
a rolled-back batch shows, and the fleet by template that `status` shows."""

from __future__ import annotations

import base64
import logging
import time
from typing import Any

from . import rollout as health_rules
from .errors import NotFound, ProvisionerError
from .resources import Instance, LoadBalancer
from .steps import common
from .steps import disks as disk_step
from .steps import instances as instance_step
from .steps import load_balancer as lb_step
from .steps.common import Context, Record
from .tags import DATA_DISK_HOLDER, TAG_DATA_DISK
from .template import instance_template, template_of

log = logging.getLogger(__name__)
STEP = "rollout"
LOG_LINES = 20  # console lines shown per failed instance


def each_disk(ctx: Context) -> bool:
    """`data_disk.attach: each`: every instance has a data disk of its own (a new instance's comes with it)."""
    return ctx.spec.data_disk is not None and ctx.spec.data_disk.attach == "each"


def weights_for(
    ctx: Context, e: dict[str, Any], alive: dict[str, Instance], new_ids: list[str]
) -> tuple[dict[str, int], bool]:
    """Weights of the new backends (and of the old ones, for a canary: the canary gets `weight` percent), and
    whether the entry changed (the caller saves it)."""
    canary = ctx.spec.rollout.canary
    if not e.get("canary") or canary is None:
        return {i: lb_step.WEIGHT for i in new_ids}, False
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
    return weights_now, True


def add(ctx: Context, lb: LoadBalancer, new_ids: list[str], weights_now: dict[str, int]) -> None:
    current = {b.server_id: b for b in lb.backends or []}
    adds = [i for i in new_ids if i not in current]
    old_changes = {i: w for i, w in weights_now.items() if i in current and current[i].weight != w}
    if old_changes:
        set_weights(ctx, lb, old_changes)
    if adds:
        lb_step.backend_call(ctx, lb, "add", {i: weights_now.get(i, lb_step.WEIGHT) for i in adds})
    wrong = {i: weights_now[i] for i in new_ids if i in current and current[i].weight != weights_now[i]}
    if wrong:
        set_weights(ctx, lb, wrong)
    lb_step.read_backends(ctx, lb)


def set_weights(ctx: Context, lb: LoadBalancer, weights_now: dict[str, int]) -> None:
    attached = {b.server_id for b in lb.backends or []}
    items = [i for i in weights_now if i in attached]
    if items:
        lb_step.backend_call(ctx, lb, "set", {i: weights_now[i] for i in items})
    for b in lb.backends or []:
        if b.server_id in weights_now:
            b.weight = weights_now[b.server_id]


def wait_healthy(ctx: Context, lb: LoadBalancer, ids: list[str], timeout: float) -> None:
    def probe() -> tuple[bool, str]:
        seen = health_rules.health(ctx, lb.id)
        bad = [i for i in ids if seen.get(i) != "normal"]
        return not bad, f"{len(ids) - len(bad)}/{len(ids)} normal" + (
            "; " + ", ".join(f"{i} {seen.get(i, 'not a backend yet')}" for i in bad[:5]) if bad else ""
        )

    if ids:
        common.wait_for(f"rollout batch {', '.join(ids)} to pass the health check", probe, timeout)


def out_of_service(ctx: Context, lb: LoadBalancer, e: dict[str, Any], old: list[Instance]) -> list[Record]:
    """Drain old backends (weight 0, then load_balancer.drain_seconds) and take them out of the SLB. The entry
    names them (`leaving`, saved before the first call: the engine leaves them to the rollout on a rerun) and
    the drain's end (`drained_at`): a rerun after a kill during the drain waits what is left of it, as the
    backends it finds at weight 0 get no new request but may still finish old ones."""
    records: list[Record] = []
    if not old:
        return records
    ids = [i.id for i in old]
    if e.get("leaving") != ids:
        e["leaving"] = ids
        e.pop("drained_at", None)
        save(ctx, e)
    lb_step.read_backends(ctx, lb)
    current = {b.server_id: b for b in lb.backends or []}
    attached = [i for i in ids if i in current]
    if not attached:
        return records
    running = {i.id for i in old if i.status == "Running"}
    if any(current[i].weight > 0 and i in running for i in attached):
        e["drained_at"] = time.time() + ctx.spec.load_balancer.drain_seconds
        save(ctx, e)
    left = float(e.get("drained_at") or 0) - time.time()
    record = health_rules.drain(ctx, lb, attached, running)
    if record is None and left > 0:  # at weight 0 since a killed run: the rest of its drain period
        log.info("rollout: %s drained by an earlier run; waiting the %.0f s left of the drain", attached, left)
        common.sleep(min(left, ctx.spec.load_balancer.drain_seconds))
    if record:
        records.append(record)
    lb_step.remove_backends(ctx, lb, attached)
    return records


def retire(ctx: Context, lb: LoadBalancer, e: dict[str, Any], old: list[Instance]) -> list[Record]:
    """Drain, take out of the SLB, delete; with `attach: each`, their data disks too (kept Available by their
    release, DeleteWithInstance=false) and any free data disk of the stack an earlier, killed run left."""
    if not old:
        return []
    ids = [i.id for i in old]
    records = out_of_service(ctx, lb, e, old)
    own = [d for d in disk_step.find_disks(ctx) if d.instance_id in set(ids)] if each_disk(ctx) else []
    records += instance_step.delete_instances(ctx, old)
    if each_disk(ctx):
        free = [d for d in disk_step.find_disks(ctx) if not d.instance_id and d.status == "Available"]
        gone = {d.id: d for d in own + free}
        records += disk_step.delete_disks(ctx, list(gone.values()), released=ids)
    e["leaving"] = []
    e.pop("drained_at", None)
    save(ctx, e)
    return records


def move_disk(
    ctx: Context, lb: LoadBalancer, e: dict[str, Any], old: list[Instance], new_ids: list[str]
) -> list[Record]:
    """attach: first: the old holder leaves the SLB (drained), its data disk is detached and attached to the new
    holder (a holder that left before the new one was created, max_unavailable, left the disk Available).
    Meanwhile the other instances serve (with count 1, nothing does: docs/day2.md)."""
    holder = next((i for i in old if i.tags.get(TAG_DATA_DISK) == DATA_DISK_HOLDER), None)
    found = disk_step.find_disks(ctx)
    new_id = new_ids[0]
    disk = next((d for d in found if d.instance_id in ({holder.id} if holder else set()) | {new_id}), None)
    if disk is None and found:
        disk = found[0]
    if disk is None or disk.instance_id == new_id:
        return []
    records = out_of_service(ctx, lb, e, [holder]) if holder is not None else []
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
    return records + disk_step.attach_disks(ctx, [(disk.id, target)])


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


# --- status --------------------------------------------------------------------------------------------


def fleet(ctx: Context, instances: list[Instance], lb: LoadBalancer | None) -> list[dict[str, Any]]:
    """The fleet by template: new (the stack's), canary (a held canary's), old (outdated), with the
    instances and the share of the traffic their backends' weights give them."""
    current = template_of(ctx.spec).digest
    e = ctx.state.rollout() or {}
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


def save(ctx: Context, e: dict[str, Any]) -> None:
    ctx.state.set_rollout(e)
