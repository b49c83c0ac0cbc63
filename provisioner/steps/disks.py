"""Data disks: one on the first instance or one per instance, in the instance's zone. A new instance's
disk comes with its RunInstances (DataDisk.1, kept when the instance is released) and is then given the
data-disk role; a free disk that survived its instance is attached to the replacement; a disk an
existing instance lacks is created with a ClientToken and attached. On the way down the instances are
released first (their disks come off with them), then the disks are deleted and waited gone."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..errors import NotFound
from ..resources import Disk, Instance
from ..spec import Stack
from ..tags import DATA_DISK_HOLDER, TAG_DATA_DISK, TAG_ROLE
from ..tokens import token_key
from .common import (
    DATA_DISK,
    INSTANCE,
    Context,
    Record,
    chunks,
    describe_pages,
    describe_tokens,
    owned,
    require_owned,
    tag_filter,
    tags_for,
    typical,
    wait_for,
)

log = logging.getLogger(__name__)
STEP = "data-disk"
MAX_IDS = 100  # DescribeDisks DiskIds: at most 100
# A data disk's roles: its own, or (made by RunInstances, not yet given its role) its instance's.
DISK_ROLES = (DATA_DISK, INSTANCE)
MAX_TAG_IDS = 50  # ECS TagResources ResourceId.N: at most 50


@dataclass
class DiskPlan:
    """What the data disks need: new disks (for an instance), free disks to attach, surplus free disks."""

    create: list[Instance] = field(default_factory=list)  # a new disk for each of these instances
    attach: list[tuple[Disk, Instance]] = field(default_factory=list)
    surplus: list[Disk] = field(default_factory=list)
    ok: list[Disk] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return len(self.create) + len(self.attach) + len(self.surplus)


def ours(ctx: Context, disk: Disk) -> bool:
    """A data disk of this stack: the data-disk role, or (made by RunInstances, which gives a new
    instance's disks the instance's tags, and not yet given its role) the instance role."""
    return owned(disk.tags, ctx.spec) and disk.tags.get(TAG_ROLE) in DISK_ROLES


def find_disks(ctx: Context) -> list[Disk]:
    """Every data disk tagged for this stack (DescribeDisks with NextToken: 500 disks per call); the
    tag filter leaves out the role, so a disk made by RunInstances and not yet given its role is found."""
    items = describe_tokens(
        ctx,
        STEP,
        "ecs",
        "DescribeDisks",
        {"RegionId": ctx.region, "DiskType": "data", "Tag": tag_filter(ctx.spec)},
        ("Disks", "Disk"),
        500,
    )
    found = [d for d in (Disk.from_api(i) for i in items) if ours(ctx, d)]
    return sorted(found, key=lambda d: (d.created, d.id))


def describe_disks(ctx: Context, ids: list[str]) -> dict[str, Disk]:
    out: dict[str, Disk] = {}
    for batch in chunks(sorted(set(ids)), MAX_IDS):
        items = describe_pages(
            ctx,
            STEP,
            "ecs",
            "DescribeDisks",
            {"RegionId": ctx.region, "DiskIds": json.dumps(list(batch))},
            ("Disks", "Disk"),
            100,
        )
        out.update((i["DiskId"], Disk.from_api(i)) for i in items)
    return out


def plan_disks(spec: Stack, instances: list[Instance], disks: list[Disk], pending: Iterable[str] = ()) -> DiskPlan:
    """Match disks to instances: an attached disk stays; a free one goes to an instance of its zone that
    lacks one; the rest are created. Disks attached elsewhere are left alone. `pending`: instances whose
    disk their RunInstances created (they hold one)."""
    plan = DiskPlan()
    ordered = sorted(instances, key=lambda i: i.order)
    mine = {i.id for i in ordered}
    holders = {d.instance_id for d in disks if d.instance_id in mine} | (set(pending) & mine)
    plan.ok = [d for d in disks if d.instance_id in mine]
    free = [d for d in disks if not d.instance_id]
    if spec.data_disk is None:
        plan.surplus = free
        return plan
    if spec.data_disk.attach == "first":
        # One disk for the stack, on the first instance; an existing free disk is reused (it holds the
        # model) by the first instance of its zone.
        if ordered and not holders:
            # The holder is the first instance whose user data mounts a disk, else the first instance.
            first = next((i for i in ordered if i.tags.get(TAG_DATA_DISK) == DATA_DISK_HOLDER), ordered[0])
            match = next((d for d in free if d.zone == first.zone), None)
            if match is None:
                for disk in free:
                    match_inst = next((i for i in ordered if i.zone == disk.zone), None)
                    if match_inst is not None:
                        first, match = match_inst, disk
                        break
            if match is not None:
                free.remove(match)
                plan.attach.append((match, first))
            else:
                plan.create.append(first)
    else:
        for inst in (i for i in ordered if i.id not in holders):
            match = next((d for d in free if d.zone == inst.zone), None)
            if match is not None:
                free.remove(match)
                plan.attach.append((match, inst))
            else:
                plan.create.append(inst)
    plan.surplus = free
    return plan


def create_disks(ctx: Context, for_instances: list[Instance]) -> list[tuple[str, Instance]]:
    """CreateDisk in each instance's zone (in parallel, no wait); returns (disk id, instance) pairs."""
    dd = ctx.spec.data_disk
    assert dd is not None

    def create(inst: Instance) -> tuple[str, Instance]:
        index = inst.id if dd.attach == "each" else 0
        params = {
            "RegionId": ctx.region,
            "ZoneId": inst.zone,
            "DiskCategory": dd.category,
            "Size": dd.size_gib,
            "DiskName": f"{ctx.spec.name}-data",
            "Description": f"stack {ctx.spec.name}: model data",
            "Tag": tags_for(ctx.spec, DATA_DISK),
        }
        body = ctx.create(
            STEP,
            f"{dd.size_gib} GiB {dd.category} in {inst.zone}",
            "ecs",
            "CreateDisk",
            token_key(DATA_DISK, index, inst.zone),
            params,
            record=lambda b: ctx.state.set_data_disks({b["DiskId"]: ""}),
        )
        log.info(
            "data-disk: created %s (%d GiB %s) in %s for %s",
            body["DiskId"],
            dd.size_gib,
            dd.category,
            inst.zone,
            inst.id,
        )
        return body["DiskId"], inst

    return ctx.parallel(create, for_instances)


def attach_disks(ctx: Context, pairs: list[tuple[str, Instance]], available: Iterable[str] = ()) -> list[Record]:
    """Wait for the disks to be Available (not those in `available`, seen so already), attach each to its
    instance (which must be Running or Stopped), then wait until they are In_use."""
    if not pairs:
        return []
    disk_ids = [d for d, _ in pairs]
    unsure = [d for d in disk_ids if d not in set(available)]
    if unsure:
        wait_disks(ctx, unsure, "Available", "to be Available", expect=typical(ctx, "disk.create"))

    def attach(pair: tuple[str, Instance]) -> Record:
        disk_id, inst = pair

        def attached() -> bool:
            disk = describe_disks(ctx, [disk_id]).get(disk_id)
            return disk is not None and disk.instance_id == inst.id

        # Busy: IncorrectInstanceStatus / IncorrectDiskStatus while either side is still settling.
        ctx.call(
            STEP,
            f"{disk_id} -> {inst.id}",
            "ecs",
            "AttachDisk",
            {"InstanceId": inst.id, "DiskId": disk_id, "DeleteWithInstance": False},
            busy=True,
            verify=attached,
        )
        ctx.state.set_data_disks({disk_id: inst.id})
        return Record(DATA_DISK, disk_id, "attached", detail={"instance": inst.id, "zone": inst.zone})

    records = ctx.parallel(attach, pairs)
    wait_disks(ctx, disk_ids, "In_use", "to be attached (In_use)", expect=typical(ctx, "disk.attach"))
    for record in records:
        record.status = "In_use"
    return records


def wait_disks(ctx: Context, ids: list[str], status: str, what: str, expect: float = 0.0) -> None:
    def probe() -> tuple[bool, str]:
        seen = describe_disks(ctx, ids)
        ready = sum(1 for i in ids if i in seen and seen[i].status == status)
        return ready == len(ids), f"{ready}/{len(ids)} {status}"

    wait_for(f"{len(ids)} data disk(s) {what}", probe, ctx.timeouts.disk, expect=expect)


def adopt_new(ctx: Context, instance_ids: list[str]) -> list[Record]:
    """The disks the RunInstances of these (Running) instances created: found by tag (one DescribeDisks),
    then given the data-disk role (RunInstances gave them the instance's tags) and recorded."""
    wanted = set(instance_ids)
    found = [d for d in find_disks(ctx) if d.instance_id in wanted]
    missing = sorted(wanted - {d.instance_id for d in found})
    if missing:
        log.warning("data-disk: no data disk found on %s; the next provision attaches one", ", ".join(missing))
    return adopt(ctx, found, action="created")


def adopt(ctx: Context, disks: list[Disk], action: str = "existing") -> list[Record]:
    """Give the data-disk role to disks that still carry the instance role (made by RunInstances; a run
    that died before this step leaves them so), 50 per TagResources call, and record them all."""
    for disk in disks:
        require_owned(ctx, DISK_ROLES, disk, "tag")
    retag = [d for d in disks if d.tags.get(TAG_ROLE) != DATA_DISK]
    for batch in chunks(retag, MAX_TAG_IDS):
        ids = [d.id for d in batch]
        # Tagging is a merge that overwrites the role; a retry after a lost answer sets the same tags again.
        ctx.call(
            STEP,
            ", ".join(ids),
            "ecs",
            "TagResources",
            {"RegionId": ctx.region, "ResourceType": "disk", "ResourceId": ids, "Tag": tags_for(ctx.spec, DATA_DISK)},
            busy=True,
        )
        for disk in batch:
            disk.tags[TAG_ROLE] = DATA_DISK
    remember_found(ctx, disks)
    for disk in retag:
        log.info(
            "data-disk: %s (%d GiB %s) on %s in %s", disk.id, disk.size, disk.category, disk.instance_id, disk.zone
        )
    return [Record(DATA_DISK, d.id, action, d.status, {"instance": d.instance_id, "zone": d.zone}) for d in disks]


def delete_disks(ctx: Context, disks: list[Disk], released: Iterable[str] = ()) -> list[Record]:
    """Delete the disks and wait until they are gone; NotFound counts as done. Disks attached to an
    instance in `released` (already released and waited gone) came off with it (DeleteWithInstance=false
    keeps them, Available): they need no detach. Any other attached disk is detached first."""
    for disk in disks:
        require_owned(ctx, DISK_ROLES, disk, "delete")
    if not disks:
        return []
    ids = [d.id for d in disks]
    gone_with = set(released)
    attached = [d for d in disks if d.instance_id and d.instance_id not in gone_with]

    def detach(disk: Disk) -> None:
        try:
            ctx.call(
                STEP,
                f"{disk.id} from {disk.instance_id}",
                "ecs",
                "DetachDisk",
                {"InstanceId": disk.instance_id, "DiskId": disk.id},
                busy=True,
                verify=lambda: not getattr(describe_disks(ctx, [disk.id]).get(disk.id), "instance_id", ""),
            )
        except NotFound:  # InvalidDisk.AlreadyDetached, or the instance/disk is gone
            pass

    if attached:
        ctx.parallel(detach, attached)
        detaching = [d.id for d in attached]

        def detached() -> tuple[bool, str]:
            seen = describe_disks(ctx, detaching)
            busy = [d for d in seen.values() if d.status != "Available"]
            return not busy, f"{len(seen) - len(busy)}/{len(seen)} Available"

        wait_for(
            f"{len(detaching)} data disk(s) to be detached",
            detached,
            ctx.timeouts.disk,
            expect=typical(ctx, "disk.detach"),
        )

    def delete(disk: Disk) -> Record:
        # DeleteDisk of an id that no longer exists is ignored by ECS (success); Busy (IncorrectDiskStatus)
        # while still Detaching, or while a released instance lets go of it.
        try:
            ctx.call(
                STEP,
                disk.id,
                "ecs",
                "DeleteDisk",
                {"DiskId": disk.id},
                busy=True,
                verify=lambda: disk.id not in describe_disks(ctx, [disk.id]),
            )
        except NotFound:
            pass
        return Record(DATA_DISK, disk.id, "deleted", detail={"zone": disk.zone})

    records = ctx.parallel(delete, disks)

    def gone() -> tuple[bool, str]:
        left = describe_disks(ctx, ids)
        return not left, f"{len(left)} still listed"

    wait_for(f"{len(ids)} data disk(s) to be deleted", gone, ctx.timeouts.gone)
    ctx.state.remove_data_disks(ids)
    return records


def to_grow(spec: Stack, disks: list[Disk]) -> list[Disk]:
    """The stack's data disks smaller than data_disk.size_gib (a smaller size is refused before any call)."""
    if spec.data_disk is None:
        return []
    return [d for d in disks if d.size and d.size < spec.data_disk.size_gib]


def grow_disks(ctx: Context, disks: list[Disk]) -> list[Record]:
    """ResizeDisk online: the block device grows at once, the instance keeps running; the ext4 filesystem
    on it is grown by the user data's mount script (resize2fs) when an instance next mounts it."""
    size = ctx.spec.data_disk.size_gib if ctx.spec.data_disk else 0
    out = []
    for disk in disks:
        # NewSize must exceed the current size (InvalidDiskSize.TooSmall): a retry after a lost answer
        # reads the disk and counts a grown one as done.
        def grown(d: str = disk.id, disk: Disk = disk) -> bool:
            return (describe_disks(ctx, [d]).get(d) or disk).size >= size

        ctx.call(
            STEP,
            disk.id,
            "ecs",
            "ResizeDisk",
            {"DiskId": disk.id, "NewSize": size, "Type": "online"},
            busy=True,
            verify=grown,
        )
        log.info("data-disk: %s grown %d -> %d GiB (ResizeDisk online)", disk.id, disk.size, size)
        out.append(Record(DATA_DISK, disk.id, "changed", disk.status, {"size_gib": [disk.size, size]}))
        disk.size = size
    return out


def remember_found(ctx: Context, disks: list[Disk]) -> None:
    """Record attached disks found by tag that the state lacks (a lost state, or a crash before the
    AttachDisk answer came back); writes only when something is new."""
    known = ctx.state.data_disks()
    new = {d.id: d.instance_id for d in disks if known.get(d.id) != d.instance_id}
    if new:
        ctx.state.set_data_disks(new)
