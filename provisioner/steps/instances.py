"""ECS instances: one RunInstances with Amount for the difference (split at 100), zone failover on
every "not sold here" code, tags at creation; instances the system released at creation (SystemFailure.Delete)
and stopped ones that cannot start for stock are replaced; batched Describe; DeleteInstances with Force."""

from __future__ import annotations

import base64
import functools
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import TOOL
from ..errors import NoStock, NotFound, ProvisionerError
from ..resources import Disk, Instance, SecurityGroup, VSwitch
from ..serving.userdata import build_user_data
from ..tags import DATA_DISK_HOLDER, TAG_DATA_DISK
from ..template import template_of, template_tag
from ..tokens import token_key
from . import common
from .common import (
    INSTANCE,
    Context,
    Record,
    chunks,
    describe_pages,
    owned,
    read_tags,
    require_owned,
    tag_filter,
    tags_for,
    typical,
    wait_for,
)
from .precheck import image_of, zones_for

log = logging.getLogger(__name__)
STEP = "instances"
MAX_AMOUNT = 100  # RunInstances Amount: 1-100
MAX_IDS = 100  # DescribeInstances InstanceIds / DeleteInstances InstanceId.N: at most 100
WORKLOAD_ROLE = "model-server"
# An id RunInstances returned that DescribeInstances still does not list after this long is looked up in the
# instance's history events: SystemFailure.Delete means the system released it (Terraform's
# ecs_instance_set does the same check). Counted in slept seconds too, so tests that do not sleep get there.
VANISH_AFTER_S = 60.0
MAX_POLLS = 100  # a bound on the polls of that wait, whatever the clock says
MAX_ROUNDS = 10  # RunInstances rounds of one ensure (3 plain ones, more while the system loses some)
clock = time.monotonic


@dataclass
class InstanceSet:
    """The stack's instances after ensure: all of them (oldest first) and the ids created by this run."""

    instances: list[Instance]
    created: list[str] = field(default_factory=list)
    started: list[str] = field(default_factory=list)
    zones_tried: list[str] = field(default_factory=list)
    new_disks: list[str] = field(default_factory=list)  # created with their data disk (DataDisk.1)
    vanished: list[str] = field(default_factory=list)  # released by the system at creation, recreated
    replaced: list[str] = field(default_factory=list)  # stopped, could not start for stock, deleted

    @property
    def ids(self) -> list[str]:
        return [i.id for i in self.instances]


def find_instances(ctx: Context) -> list[Instance]:
    """Every instance tagged for this stack, oldest first (DescribeInstances, PageSize 100, by tag)."""
    items = describe_pages(
        ctx,
        STEP,
        "ecs",
        "DescribeInstances",
        {"RegionId": ctx.region, "Tag": tag_filter(ctx.spec, INSTANCE)},
        ("Instances", "Instance"),
        100,
    )
    found = [Instance.from_api(i) for i in items if owned(read_tags(i), ctx.spec, INSTANCE)]
    return sorted(found, key=lambda i: i.order)


def describe_instances(ctx: Context, ids: list[str]) -> dict[str, Instance]:
    """The given instances that exist, by id (one call per 100 ids)."""
    out: dict[str, Instance] = {}
    for batch in chunks(sorted(set(ids)), MAX_IDS):
        items = describe_pages(
            ctx,
            STEP,
            "ecs",
            "DescribeInstances",
            {"RegionId": ctx.region, "InstanceIds": json.dumps(list(batch))},
            ("Instances", "Instance"),
            100,
        )
        out.update((i["InstanceId"], Instance.from_api(i)) for i in items)
    return out


def user_data(ctx: Context, with_disk: bool) -> str:
    """Base64 user data: the stack's own, or the cloud-config that runs the server (and mounts the disk)."""
    if ctx.spec.serving.user_data is not None:
        return base64.b64encode(ctx.spec.serving.user_data.encode()).decode()
    return build_user_data(ctx.spec.serving, instance_role=WORKLOAD_ROLE, data_disk=with_disk)


def instance_tags(ctx: Context, with_disk: bool) -> list[dict[str, Any]]:
    tags = [*tags_for(ctx.spec, INSTANCE), template_tag(ctx.spec)]
    if with_disk:
        tags.append({"Key": TAG_DATA_DISK, "Value": DATA_DISK_HOLDER})
    return tags


def run_params(
    ctx: Context,
    zone: str,
    vswitch: VSwitch,
    group: SecurityGroup,
    amount: int,
    with_disk: bool,
    new_disk: bool = False,
) -> dict[str, Any]:
    """RunInstances parameters; `with_disk`: the user data mounts the data disk; `new_disk`: the call
    creates that disk too (DataDisk.1), so that no attach waits for the instance to run."""
    spec = ctx.spec
    params = {
        "RegionId": ctx.region,
        "ZoneId": zone,
        "VSwitchId": vswitch.id,
        "SecurityGroupId": group.id,
        "InstanceType": spec.instances.type,
        "Amount": amount,
        "SystemDisk": {"Category": spec.instances.system_disk.category, "Size": spec.instances.system_disk.size_gib},
        "InstanceName": f"{spec.name}-node",
        "Description": f"stack {spec.name} ({TOOL})",
        "InstanceChargeType": "PostPaid",
        "InternetMaxBandwidthOut": 0,
        "UserData": user_data(ctx, with_disk),
        # Tags at creation: RunInstances applies them to the instances, their disks and ENIs at once.
        "Tag": instance_tags(ctx, with_disk),
    }
    # A family is sent as is (RunInstances takes its newest Available image), so the request, and with it
    # the ClientToken, does not change when a new image version is published between two runs.
    if spec.instances.image_family:
        params["ImageFamily"] = spec.instances.image_family
    else:
        params["ImageId"] = spec.instances.image
    if spec.access.key_pair:
        params["KeyPairName"] = spec.access.key_pair
    if new_disk and spec.data_disk is not None:
        # Kept when the instance is released (DeleteWithInstance=false): the stack's disk outlives a
        # replaced instance. RunInstances has no per-disk tags: Tag.N goes on the instance and its disks,
        # so the disk starts with the instance role and gets the data-disk role once the instance runs.
        params["DataDisk"] = [
            {
                "Category": spec.data_disk.category,
                "Size": spec.data_disk.size_gib,
                "DeleteWithInstance": False,
                "DiskName": f"{spec.name}-data",
                "Description": f"stack {spec.name}: model data",
            }
        ]
    return params


def batches(ctx: Context, need: int, holder: bool, free: int = 0) -> list[tuple[int, bool, bool]]:
    """(amount, with data disk, new disk) per RunInstances call: one call per 100 instances, except that
    with `attach: first` the disk holder (the stack's first instance, or the replacement of a holder that
    was lost) is its own call, as its user data mounts the disk and the others' does not. `holder`: one
    of the instances there already mounts the disk. `free`: disks of the stack in the zone that no
    instance holds (they are attached to the new instances; the others get a new disk with RunInstances)."""
    dd = ctx.spec.data_disk

    def split(n: int, disk: bool, new: bool) -> list[tuple[int, bool, bool]]:
        return [(min(MAX_AMOUNT, n - i), disk, new) for i in range(0, n, MAX_AMOUNT)]

    if dd is None:
        return split(need, False, False)
    if dd.attach == "each":
        reuse = min(need, free)
        return split(reuse, True, False) + split(need - reuse, True, True)
    if not holder:
        return [(1, True, free == 0), *split(need - 1, False, False)]
    return split(need, False, False)


def ensure_instances(
    ctx: Context,
    found: list[Instance],
    vswitch_for: Callable[[str], VSwitch],
    group: SecurityGroup,
    free_disks: list[Disk] | None = None,
) -> InstanceSet:
    """Create the difference between the spec's count and the instances found (no wait here).
    `free_disks`: the stack's data disks no instance holds (reused rather than made anew).

    Instances found Stopped are started. A create whose answer names instances already counted is the
    replay of an earlier run's create (same ClientToken): then the count is taken again.
    """
    result = InstanceSet(sorted(found, key=lambda i: i.order))
    ctx.state.add_instances(result.ids)
    current = template_of(ctx.spec)
    ctx.state.record_template(current.digest, current.fields)  # before any create carries its tag
    stopped = [i.id for i in result.instances if i.status == "Stopped"]
    if stopped:
        result.started, cannot = start_or_give_up(ctx, stopped)
        if cannot:
            # OperationDenied.NoStock on start (an economical-mode stop gave its vCPUs back): replace them,
            # rather than failing every run on the same instance.
            gone = [i for i in result.instances if i.id in set(cannot)]
            delete_instances(ctx, gone)
            result.instances = [i for i in result.instances if i.id not in set(cannot)]
            result.replaced = list(cannot)
    rounds = plain = 0
    while plain < 3 and rounds < MAX_ROUNDS:
        rounds += 1
        need = ctx.spec.instances.count - len(result.instances)
        if need <= 0:
            break
        holder = any(i.tags.get(TAG_DATA_DISK) == DATA_DISK_HOLDER for i in result.instances)
        ids, zone, with_disk = _create(
            ctx, need, holder, vswitch_for, group, result.zones_tried, free_disks or [], result.new_disks
        )
        known = set(result.ids)
        fresh = [i for i in ids if i not in known]
        result.instances += [
            Instance(
                i,
                zone,
                "Pending",
                ctx.spec.instances.type,
                image_of(ctx),
                "",
                "",
                "",
                [group.id],
                {t["Key"]: t["Value"] for t in instance_tags(ctx, with_disk.get(i, False))},
                created="~",
            )
            for i in fresh
        ]
        result.created += fresh
        vanished = drop_vanished(ctx, fresh)
        if vanished:
            result.instances = [i for i in result.instances if i.id not in set(vanished)]
            result.created = [i for i in result.created if i not in set(vanished)]
            result.new_disks = [i for i in result.new_disks if i not in set(vanished)]
            result.vanished += vanished
        else:
            plain += 1  # a round that lost instances to the system does not count against the 3
    if len(result.instances) < ctx.spec.instances.count:
        raise ProvisionerError(
            f"instances: the cloud gave {len(result.instances)} of the {ctx.spec.instances.count}"
            " instances the stack asks for; run provision again"
        )
    return result


def _create(
    ctx: Context,
    need: int,
    holder: bool,
    vswitch_for: Callable[[str], VSwitch],
    group: SecurityGroup,
    tried: list[str],
    free_disks: list[Disk],
    new_disks: list[str],
) -> tuple[list[str], str, dict[str, bool]]:
    """RunInstances for `need` instances in the first zone (in the spec's order) that has stock.
    Returns the ids, the zone and which ids got the data-disk user data; adds to `new_disks` the ids
    whose RunInstances created their data disk."""
    refusals = []
    for zone in zones_for(ctx):
        vswitch = vswitch_for(zone)
        ids: list[str] = []
        with_disk: dict[str, bool] = {}
        try:
            free = sum(1 for d in free_disks if d.zone == zone and not d.instance_id)
            for batch, (amount, disk, new) in enumerate(batches(ctx, need, holder, free)):
                params = run_params(ctx, zone, vswitch, group, amount, disk, new)
                body = ctx.create(
                    STEP,
                    f"{amount} x {ctx.spec.instances.type} in {zone}",
                    "ecs",
                    "RunInstances",
                    token_key(INSTANCE, batch, zone),
                    params,
                    record=lambda b: ctx.state.add_instances(_ids_of(b)),
                )
                ids += _ids_of(body)
                with_disk.update((i, disk) for i in _ids_of(body))
                if new:
                    new_disks.extend(_ids_of(body))
                log.info("instances: RunInstances created %d in %s: %s", amount, zone, ", ".join(_ids_of(body)))
        except NoStock as err:
            tried.append(zone)
            refusals.append(f"{zone}: {err.code}")
            log.warning(
                "instances: %s cannot supply %s now (%s, request id %s: no stock or not sold there);"
                " trying the next zone",
                zone,
                ctx.spec.instances.type,
                err.code,
                err.request_id,
            )
            if ids:
                return ids, zone, with_disk
            continue
        tried.append(zone)
        return ids, zone, with_disk
    raise NoStock(
        STEP,
        ctx.spec.instances.type,
        "RunInstances",
        "OperationDenied.NoStock",
        None,
        None,
        f"no zone of the stack can supply {ctx.spec.instances.type}: {'; '.join(refusals)}",
    )


def _ids_of(body: dict[str, Any]) -> list[str]:
    return list((body.get("InstanceIdSets") or {}).get("InstanceIdSet") or [])


def drop_vanished(ctx: Context, fresh: list[str]) -> list[str]:
    """Ids of `fresh` the system released at creation: not listed by DescribeInstances after VANISH_AFTER_S
    and named by a SystemFailure.Delete history event. They are forgotten (state) so the caller recreates."""
    if not fresh:
        return []
    start, slept = clock(), 0.0
    invisible = list(fresh)
    for _ in range(MAX_POLLS):
        seen = describe_instances(ctx, fresh)
        invisible = [i for i in fresh if i not in seen]
        elapsed = max(clock() - start, slept)
        if not invisible or elapsed >= VANISH_AFTER_S:
            break
        pause = min(5.0, max(1.0, 0.2 * elapsed), VANISH_AFTER_S - elapsed)  # about 15 polls in 60 s
        log.info(
            "instances: %d created instance(s) not listed yet (%.0fs)",
            len(invisible),
            elapsed,
            extra={"progress": True},
        )
        common.sleep(pause)
        slept += pause
    if not invisible:
        return []
    released = system_failure_deleted(ctx, invisible)
    if released:
        log.warning(
            "instances: the cloud released %s right after creating them (SystemFailure.Delete);"
            " creating replacements",
            ", ".join(released),
        )
        ctx.state.remove_instances(released)
    return released


def system_failure_deleted(ctx: Context, ids: list[str]) -> list[str]:
    """Which of `ids` have a SystemFailure.Delete history event (DescribeInstanceHistoryEvents)."""
    out: set[str] = set()
    for batch in chunks(sorted(set(ids)), MAX_IDS):
        items = describe_pages(
            ctx,
            STEP,
            "ecs",
            "DescribeInstanceHistoryEvents",
            # Executing too: the release may still be under way when the id is looked up
            # (without a cycle filter only finished events are listed).
            {
                "RegionId": ctx.region,
                "InstanceEventType": ["SystemFailure.Delete"],
                "InstanceEventCycleStatus": ["Executing", "Executed"],
                "ResourceId": list(batch),
            },
            ("InstanceSystemEventSet", "InstanceSystemEventType"),
            100,
        )
        out.update(
            e.get("InstanceId", "") for e in items if (e.get("EventType") or {}).get("Name") == "SystemFailure.Delete"
        )
    return [i for i in ids if i in out]


def start_or_give_up(ctx: Context, ids: list[str]) -> tuple[list[str], list[str]]:
    """Start stopped instances; returns (started, those the zone has no stock to start: NoStock)."""
    try:
        start_instances(ctx, ids)
        return list(ids), []
    except NoStock:
        if len(ids) == 1:
            log.warning("instances: %s cannot start, its zone has no stock of its type; replacing it", ids[0])
            return [], list(ids)
    # StartInstances is all or nothing (BatchOptimization AllTogether): find which ones cannot start.
    started, cannot = [], []
    for iid in ids:
        one_started, one_cannot = start_or_give_up(ctx, [iid])
        started += one_started
        cannot += one_cannot
    return started, cannot


def start_instances(ctx: Context, ids: list[str]) -> None:
    for batch in chunks(ids, MAX_IDS):
        log.info("instances: starting stopped instances %s", ", ".join(batch))
        # A retry whose first answer was lost finds them Starting or Running (IncorrectInstanceStatus):
        # the verify makes that a success instead of waiting for a Stopped that never comes.
        ctx.call(
            STEP,
            ", ".join(batch),
            "ecs",
            "StartInstances",
            {"RegionId": ctx.region, "InstanceId": list(batch)},
            busy=True,
            verify=functools.partial(_started, ctx, list(batch)),
        )


def _started(ctx: Context, ids: list[str]) -> bool:
    seen = describe_instances(ctx, ids)
    return all(i in seen and seen[i].status in ("Starting", "Running") for i in ids)


def wait_instances_running(
    ctx: Context, ids: list[str], expect: float = 0.0, since: float | None = None
) -> dict[str, Instance]:
    """Wait until every instance is Running; returns them as last described. `expect`: the typical
    duration of their transition (a boot, a start) from `since`; no poll comes before."""
    seen: dict[str, Instance] = {}

    def probe() -> tuple[bool, str]:
        seen.clear()
        seen.update(describe_instances(ctx, ids))
        running = sum(1 for i in ids if i in seen and seen[i].status == "Running")
        others = sorted({seen[i].status if i in seen else "not visible yet" for i in ids} - {"Running"})
        return running == len(ids), f"{running}/{len(ids)} Running" + (
            f", others {', '.join(others)}" if others else ""
        )

    if ids:
        wait_for(
            f"{len(ids)} instance(s) to be Running", probe, ctx.timeouts.instances_running, expect=expect, since=since
        )
    return dict(seen)


def choose_victims(instances: list[Instance], count: int, keep: set[str]) -> list[Instance]:
    """Which instances a scale-down removes: broken ones first, then the newest; never those in `keep`."""
    newest_first = sorted((i for i in instances if i.id not in keep), key=lambda i: i.order, reverse=True)
    broken_first = sorted(newest_first, key=lambda i: i.status == "Running")  # stable sort
    return broken_first[:count]


def delete_instances(ctx: Context, instances: list[Instance]) -> list[Record]:
    """DeleteInstances with Force (100 per call), then wait until DescribeInstances no longer lists them."""
    for inst in instances:
        require_owned(ctx, INSTANCE, inst, "delete")
    ids = [i.id for i in instances]
    for batch in chunks(ids, MAX_IDS):
        _delete_batch(ctx, list(batch))
    if ids:
        wait_for(
            f"{len(ids)} instance(s) to be released",
            lambda: _gone(ctx, ids),
            ctx.timeouts.gone,
            expect=typical(ctx, "instance.release"),
        )
    ctx.state.remove_instances(ids)
    return [Record(INSTANCE, i, "deleted") for i in ids]


def _delete_batch(ctx: Context, batch: list[str]) -> None:
    params = {"RegionId": ctx.region, "InstanceId": batch, "Force": True}
    try:
        # Busy: IncorrectInstanceStatus(.Initializing) right after creation (Terraform and BOSH retry it).
        ctx.call(
            STEP,
            ", ".join(batch),
            "ecs",
            "DeleteInstances",
            params,
            busy=True,
            verify=lambda: not describe_instances(ctx, batch),
        )
    except NotFound:
        # Some of them are gone already; delete the rest.
        left = sorted(describe_instances(ctx, batch))
        if left:
            ctx.call(
                STEP,
                ", ".join(left),
                "ecs",
                "DeleteInstances",
                {**params, "InstanceId": left},
                busy=True,
                verify=lambda: not describe_instances(ctx, left),
            )
    log.info("instances: deleting %s", ", ".join(batch))


def _gone(ctx: Context, ids: list[str]) -> tuple[bool, str]:
    left = describe_instances(ctx, ids)
    return (
        not left,
        f"{len(left)} still listed ({', '.join(sorted({i.status for i in left.values()}))})" if left else "gone",
    )
