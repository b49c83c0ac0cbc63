"""Cloud disks: category and size rules, CreateDisk, Attach/Detach/Delete and their status machine."""

from __future__ import annotations

import string
import uuid
from typing import TYPE_CHECKING, TypedDict

from ... import catalog
from ...core import new_id
from ...errors import MissingParameter
from ..exceptions import (
    BootableAttachNotSupported,
    ChargeTypeViolation,
    DiskNotAttachedToInstance,
    DiskNotPortable,
    DiskStatusNotResizable,
    DiskTypeNotResizable,
    IncorrectDiskStatus,
    IncorrectDiskStatusForAttach,
    IncorrectDiskStatusInitializing,
    IncorrectInstanceStatus,
    IncorrectInstanceStatusForAttach,
    InstanceDiskLimitExceeded,
    InvalidDataDiskCategoryNotSupported,
    InvalidDeviceInUse,
    InvalidDeviceMalformed,
    InvalidDiskAlreadyDetached,
    InvalidDiskCategoryValueNotSupported,
    InvalidDiskNameMalformed,
    InvalidDiskSizeTooSmall,
    InvalidPerformanceLevelMalformed,
    InvalidSizeValueNotSupported,
    InvalidSnapshotIdNotFound,
    MissingSnapshotIdOrSize,
    NewSizeAboveMax,
    NoAttributeToModify,
    OperationDeniedZoneNotAllowed,
    ResourcesNotInSameZone,
    ZoneIdWithInstanceId,
)
from .common import (
    ALL_DISK_CATEGORIES,
    RESOURCE_GROUP,
    check_description,
    check_name,
    get_disk,
    get_instance,
    zone_of,
)

if TYPE_CHECKING:
    from .instances import Instance

MAX_DATA_DISKS = 16  # data disks per instance (AttachDisk / RunInstances docs)
LEVELS = ("PL0", "PL1", "PL2", "PL3")
_ESSD_MIN = {"PL0": 1, "PL1": 20, "PL2": 461, "PL3": 1261}
# GiB ranges per category (CreateDisk Size and RunInstances DataDisk.N.Size / SystemDisk.Size docs).
DATA_RANGE = {
    "cloud": (5, 2000),
    "cloud_efficiency": (20, 32768),
    "cloud_ssd": (20, 32768),
    "cloud_essd": (20, 65536),
    "cloud_auto": (1, 65536),
    "cloud_essd_entry": (10, 32768),
}
SYSTEM_RANGE = {
    "cloud": (20, 500),
    "cloud_efficiency": (20, 2048),
    "cloud_ssd": (20, 2048),
    "cloud_essd": (20, 2048),
    "cloud_auto": (1, 2048),
    "cloud_essd_entry": (10, 2048),
}


class Disk(TypedDict, total=False):
    """A cloud disk as kept in the store (kind "disk"); every key but `_timeline` is set at creation."""

    id: str
    region: str
    zone: str
    size: int  # GiB
    category: str
    type: str  # system | data
    instance_id: str  # "" when detached
    device: str  # /dev/xvd?, "" when detached
    delete_with_instance: bool
    portable: bool
    status: str  # Creating | Available | Attaching | In_use | Detaching
    created: float
    tags: dict[str, str]
    name: str
    description: str
    performance_level: str  # PL0-PL3 for cloud_essd, else ""
    image_id: str
    attached_time: float | None
    detached_time: float | None
    resource_group_id: str
    serial: str
    _order: int
    encrypted: bool
    kms_key_id: str
    delete_auto_snapshot: bool  # set by ModifyDiskAttribute only
    enable_auto_snapshot: bool
    bursting_enabled: bool
    _timeline: list


def size_range(category: str, level: str | None, system: bool) -> tuple[int, int]:
    low, high = (SYSTEM_RANGE if system else DATA_RANGE)[category]
    if category == "cloud_essd":
        low = _ESSD_MIN[level or "PL1"]
    return low, high


def performance_level(value: str | None, category: str) -> str:
    if value is not None and value not in LEVELS:
        raise InvalidPerformanceLevelMalformed()
    return (value or "PL1") if category == "cloud_essd" else ""


def new_disk(
    cloud,
    region: str,
    zone: str,
    *,
    category: str,
    size: int,
    disk_type: str,
    status: str,
    instance_id: str = "",
    device: str = "",
    delete_with_instance: bool = False,
    portable: bool = True,
    level: str = "",
    name: str = "",
    description: str = "",
    image_id: str = "",
    disk_tags: dict | None = None,
    order: int = 0,
    resource_group_id: str = RESOURCE_GROUP,
    encryption: tuple[bool, str] = (False, ""),
) -> Disk:
    now = cloud.clock.now()
    disk: Disk = {
        "id": new_id("d", region),
        "region": region,
        "zone": zone,
        "size": size,
        "category": category,
        "type": disk_type,
        "instance_id": instance_id,
        "device": device,
        "delete_with_instance": delete_with_instance,
        "portable": portable,
        "status": status,
        "created": now,
        "tags": dict(disk_tags or {}),
        "name": name,
        "description": description,
        "performance_level": level,
        "image_id": image_id,
        "attached_time": now if instance_id else None,
        "detached_time": None,
        "resource_group_id": resource_group_id,
        "serial": str(uuid.uuid4()),
        "_order": order,
        "encrypted": encryption[0],
        "kms_key_id": encryption[1],
    }
    cloud.store.put("disk", disk)
    return disk


def attached_disks(cloud, instance_id: str) -> list[dict]:
    return [d for d in cloud.store.all("disk") if d.get("instance_id") == instance_id]


def next_device(cloud, instance_id: str, taken: set[str] | None = None) -> str:
    used = {d["device"] for d in attached_disks(cloud, instance_id)} | (taken or set())
    for letter in string.ascii_lowercase[1:]:
        device = f"/dev/xvd{letter}"
        if device not in used:
            return device
    raise InstanceDiskLimitExceeded()


def encryption(region: str, encrypted: bool, kms_key_id: str | None) -> tuple[bool, str]:
    """(Encrypted, KMSKeyId): `Encrypted=true` without a key uses the region's default service key, whose
    id the disk then reports (RunInstances/CreateDisk docs); a key id without Encrypted=true is ignored."""
    if not encrypted:
        return False, ""
    return True, kms_key_id or default_kms_key(region)


def default_kms_key(region: str) -> str:
    """The default (service) key of the account in a region; stable, as the real one is (our choice)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"localcloud:kms:{region}:ecs-default"))


# CreateDisk ------------------------------------------------------------------------------------------------
def create_disk(
    cloud,
    region: str,
    *,
    zone_id: str | None = None,
    instance_id: str | None = None,
    category: str = "cloud",
    performance_level_name: str | None = None,
    snapshot_id: str | None = None,
    size: int | None = None,
    name: str | None = None,
    description: str | None = None,
    tags: dict[str, str] | None = None,
    encrypted: bool = False,
    kms_key_id: str | None = None,
    resource_group_id: str = RESOURCE_GROUP,
) -> Disk:
    """CreateDisk: a pay-as-you-go disk in a zone (Creating, then Available), or with InstanceId a subscription
    disk attached at once to that subscription instance."""
    zone = zone_of(region, zone_id)
    if zone and instance_id:
        raise ZoneIdWithInstanceId()
    instance = None
    if instance_id:
        # InstanceId creates a subscription disk attached to a subscription instance.
        instance = get_instance(cloud, instance_id, region)
        if instance.get("charge_type", "PostPaid") != "PrePaid":
            raise ChargeTypeViolation()
        zone = instance["zone"]
    if zone is None:
        raise MissingParameter(name="ZoneId")
    if category not in ALL_DISK_CATEGORIES:
        raise InvalidDiskCategoryValueNotSupported()
    level = performance_level(performance_level_name, category)
    if snapshot_id is not None:
        raise InvalidSnapshotIdNotFound()
    if size is None:
        raise MissingSnapshotIdOrSize()
    low, high = size_range(category, level, system=False)
    if not low <= size <= high:
        raise InvalidSizeValueNotSupported()
    if zone in cloud.config.closed_zones:
        raise OperationDeniedZoneNotAllowed()
    if category not in catalog.zone_disks(region, zone):
        # A valid category this zone does not sell (catalog.py: some zones sell no cloud_ssd).
        raise InvalidDataDiskCategoryNotSupported()
    check_name(name, InvalidDiskNameMalformed, "DiskName")
    check_description(description)
    disk_tags = dict(tags or {})
    secret = encryption(region, encrypted, kms_key_id)
    if instance is not None:
        disk = new_disk(
            cloud,
            region,
            zone,
            category=category,
            size=size,
            disk_type="data",
            status="In_use",
            instance_id=instance["id"],
            device=next_device(cloud, instance["id"]),
            portable=False,
            level=level,
            name=name or "",
            description=description or "",
            disk_tags=disk_tags,
            encryption=secret,
        )
        return disk
    disk = new_disk(
        cloud,
        region,
        zone,
        category=category,
        size=size,
        disk_type="data",
        status="Creating",
        level=level,
        name=name or "",
        description=description or "",
        disk_tags=disk_tags,
        resource_group_id=resource_group_id,
        encryption=secret,
    )
    cloud.schedule("disk", disk, [("disk.create", "status", "Available")])
    return disk


# Attach / Detach / Delete ---------------------------------------------------------------------------------
def attach_disk(
    cloud,
    instance_id: str,
    disk_id: str,
    *,
    bootable: bool = False,
    device: str | None = None,
    delete_with_instance: bool = False,
) -> None:
    instance = get_instance(cloud, instance_id)
    disk = get_disk(cloud, disk_id)
    if bootable:
        raise BootableAttachNotSupported()
    if instance.get("_releasing") or instance["status"] not in ("Running", "Stopped"):
        raise IncorrectInstanceStatusForAttach(instance["status"], ("Running", "Stopped"))  # AttachDisk documents 400
    if disk["status"] != "Available":
        raise IncorrectDiskStatusForAttach()
    if not disk["portable"]:
        raise DiskNotPortable()
    if disk["region"] != instance["region"] or disk["zone"] != instance["zone"]:
        raise ResourcesNotInSameZone()
    data = [d for d in attached_disks(cloud, instance["id"]) if d["type"] == "data"]
    if len(data) >= MAX_DATA_DISKS:
        raise InstanceDiskLimitExceeded()
    if device is not None:
        if len(device) != 9 or not device.startswith("/dev/xvd") or device[-1] not in string.ascii_lowercase[1:]:
            raise InvalidDeviceMalformed(param="Device")
        if device in {d["device"] for d in attached_disks(cloud, instance["id"])}:
            raise InvalidDeviceInUse()
    disk["device"] = device or next_device(cloud, instance["id"])
    disk["instance_id"] = instance["id"]
    disk["delete_with_instance"] = delete_with_instance
    disk["attached_time"] = cloud.clock.now()
    cloud.set_field("disk", disk, "status", "Attaching")
    cloud.schedule("disk", disk, [("disk.attach", "status", "In_use")])


def detach_disk(cloud, instance_id: str, disk_id: str, delete_with_instance: bool = False) -> None:
    instance = get_instance(cloud, instance_id)
    disk = get_disk(cloud, disk_id)
    if disk["status"] == "Available":
        raise InvalidDiskAlreadyDetached()
    if disk.get("instance_id") != instance["id"]:
        raise DiskNotAttachedToInstance()
    if disk["status"] != "In_use":
        raise IncorrectDiskStatus()
    if not disk["portable"]:
        raise DiskNotPortable()
    if instance.get("_releasing") or instance["status"] not in ("Running", "Stopped"):
        raise IncorrectInstanceStatus(instance["status"], ("Running", "Stopped"))
    # Detaching takes "about a minute"; the disk keeps its InstanceId until it is Available again, and a
    # detached data disk is no longer released with the instance unless DeleteWithInstance says so.
    disk["delete_with_instance"] = delete_with_instance
    disk["detached_time"] = cloud.clock.now()
    cloud.set_field("disk", disk, "status", "Detaching")
    cloud.schedule(
        "disk", disk, [("disk.detach", "instance_id", ""), (None, "device", ""), (None, "status", "Available")]
    )


def delete_disk(cloud, disk_id: str) -> None:
    disk = cloud.store.get("disk", disk_id)
    if disk is None:
        return  # a disk that does not exist is ignored (DeleteDisk docs)
    if disk["status"] == "Creating":
        raise IncorrectDiskStatusInitializing()
    if disk["status"] != "Available":
        raise IncorrectDiskStatus()
    cloud.release("disk", disk)


def modify_disk_attribute(
    cloud,
    region: str | None,
    disk_ids: list[str],
    *,
    name: str | None = None,
    description: str | None = None,
    delete_with_instance: bool | None = None,
    delete_auto_snapshot: bool | None = None,
    enable_auto_snapshot: bool | None = None,
    bursting_enabled: bool | None = None,
) -> None:
    """ModifyDiskAttribute: every disk is checked before any changes (ModifyDiskAttribute docs); None: unchanged."""
    check_name(name, InvalidDiskNameMalformed, "DiskName")
    check_description(description)
    flags = {
        "delete_with_instance": delete_with_instance,
        "delete_auto_snapshot": delete_auto_snapshot,
        "enable_auto_snapshot": enable_auto_snapshot,
        "bursting_enabled": bursting_enabled,
    }
    if name is None and description is None and all(v is None for v in flags.values()):
        raise NoAttributeToModify()
    disks = [get_disk(cloud, disk_id, region) for disk_id in disk_ids]
    for disk in disks:
        if disk["status"] == "Creating":
            raise IncorrectDiskStatus()
        # DeleteWithInstance=false is refused for a basic ("cloud") disk that cannot be detached (the docs' rule).
        if delete_with_instance is False and disk["category"] == "cloud" and not disk.get("portable"):
            raise DiskNotPortable()
    for disk in disks:
        if name is not None:
            disk["name"] = name
        if description is not None:
            disk["description"] = description
        if delete_with_instance is not None:
            disk["delete_with_instance"] = delete_with_instance
        if delete_auto_snapshot is not None:
            disk["delete_auto_snapshot"] = delete_auto_snapshot
        if enable_auto_snapshot is not None:
            disk["enable_auto_snapshot"] = enable_auto_snapshot
        if bursting_enabled is not None:
            disk["bursting_enabled"] = bursting_enabled
        cloud.store.put("disk", disk)


def release_with_instance(cloud, instance: Instance) -> None:
    """Instance released: DeleteWithInstance disks go with it, the others become Available, detached."""
    for disk in attached_disks(cloud, instance["id"]):
        disk["_timeline"] = []
        if disk.get("delete_with_instance"):
            cloud.release("disk", disk)
            continue
        disk["device"] = ""
        disk["detached_time"] = cloud.clock.now()
        disk["portable"] = True
        cloud.set_field("disk", disk, "instance_id", "")
        cloud.set_field("disk", disk, "status", "Available")


# ResizeDisk ------------------------------------------------------------------------------------------------
# Categories ResizeDisk accepts (ResizeDisk docs: basic, ultra, standard SSD, ESSD, ESSD Entry, ESSD AutoPL).
RESIZABLE = ("cloud", "cloud_efficiency", "cloud_ssd", "cloud_essd", "cloud_essd_entry", "cloud_auto")


def resize_disk(cloud, region: str | None, disk_id: str, new_size: int, mode: str = "offline") -> None:
    """ResizeDisk: grow a system or data disk in place (`mode` offline or online); disks never shrink. The
    documented 403 OperationDenied covers the disk's or its instance's status and the disk type."""
    disk = get_disk(cloud, disk_id, region)
    if disk["category"] not in RESIZABLE or (mode == "online" and disk["category"] == "cloud"):
        # Online resizing is not offered for basic disks (ResizeDisk Type docstring).
        raise DiskTypeNotResizable()
    if new_size <= disk["size"]:
        # "The new disk capacity must be greater than the original disk capacity" (ResizeDisk NewSize).
        raise InvalidDiskSizeTooSmall()
    _, high = size_range(disk["category"], disk.get("performance_level") or None, system=disk["type"] == "system")
    if new_size > high:
        raise NewSizeAboveMax(high=high, category=disk["category"])
    if disk["status"] not in ("In_use", "Available"):
        raise DiskStatusNotResizable()
    if disk.get("instance_id"):
        instance = cloud.store.get("instance", disk["instance_id"]) or {}
        # The instance must be Running or Stopped (ResizeDisk usage notes).
        if instance.get("_releasing") or instance.get("status") not in ("Running", "Stopped"):
            raise DiskStatusNotResizable()
    # The new capacity shows at once (an offline resize of an attached disk reaches the guest after a
    # restart on the real cloud; the local runtime has no block device to grow: CHOICES.md).
    cloud.set_field("disk", disk, "size", new_size)
