"""Disk actions: CreateDisk, DescribeDisks, AttachDisk, DetachDisk, DeleteDisk, ResizeDisk, ModifyDiskAttribute."""

from __future__ import annotations

from ... import tags
from ...core import action, iso_seconds, rendered_list
from ...errors import DryRunOperation, InvalidParameter, MissingParameter
from ...params import Params
from ..exceptions import (
    ExclusiveParameters,
    InvalidCategoryValueNotSupported,
    InvalidDiskChargeTypeNotFound,
    InvalidDiskIdsMalformed,
    InvalidDiskTypeValueNotSupported,
    InvalidSizeValueNotSupported,
    InvalidStatusValueNotSupported,
)
from ..models import disks as disk_models
from ..models.common import (
    ALL_DISK_CATEGORIES,
    DISK_STATUSES,
    RESOURCE_GROUP,
    creation_order,
)
from ..models.disks import Disk
from . import answer_order
from .common import page, parse_tags, tag_filters

NEVER_EXPIRES = "2999-09-08T16:00Z"  # ExpiredTime of pay-as-you-go disks in real responses
_IOPS = {
    "cloud": (100, 0, 300),
    "cloud_efficiency": (1800, 50, 5000),
    "cloud_ssd": (1800, 30, 25000),
    "cloud_essd": (1800, 50, 50000),
    "cloud_auto": (1800, 50, 50000),
    "cloud_essd_entry": (1800, 8, 6000),
}


def _required(p: Params, name: str) -> str:
    return p.text(name, required=True) or ""  # required: MissingParameter for an absent or empty value


def encrypted_flag(value: str | None, name: str) -> bool:
    """`Encrypted` (any case): anything but true/false is InvalidParameter naming the parameter."""
    if not value:
        return False
    if value.lower() not in ("true", "false"):
        raise InvalidParameter(name)
    return value.lower() == "true"


@action("ecs", "CreateDisk")
def create_disk(cloud, p: Params) -> dict:
    region = cloud.region(p)

    def create():
        disk = disk_models.create_disk(
            cloud,
            region,
            zone_id=p.text("ZoneId"),
            instance_id=p.text("InstanceId"),
            category=p.text("DiskCategory") or "cloud",
            performance_level_name=p.text("PerformanceLevel"),
            snapshot_id=p.text("SnapshotId"),
            size=p.integer("Size", code=InvalidSizeValueNotSupported.code),
            name=p.text("DiskName"),
            description=p.text("Description"),
            tags=parse_tags(p),
            encrypted=encrypted_flag(p.text("Encrypted"), "Encrypted"),
            kms_key_id=p.text("KMSKeyId"),
            resource_group_id=p.text("ResourceGroupId") or RESOURCE_GROUP,
        )
        return {"DiskId": disk["id"]}

    return cloud.idempotent("ecs", "CreateDisk", p, create)


def _iops(disk: Disk) -> int:
    base, per_gib, cap = _IOPS.get(disk["category"], (1800, 50, 50000))
    return min(base + per_gib * disk["size"], cap)


def _stamp(value) -> str:
    return iso_seconds(value) if value else ""


@answer_order.ordered(answer_order.DISK)
def render_disk(disk: Disk) -> dict:
    iops = _iops(disk)
    attached = disk["status"] in ("In_use", "Attaching", "Detaching") and disk.get("instance_id")
    return {
        "DiskId": disk["id"],
        "DiskName": disk.get("name", ""),
        "Description": disk.get("description", ""),
        "RegionId": disk["region"],
        "ZoneId": disk["zone"],
        "Category": disk["category"],
        "Size": disk["size"],
        "Status": disk["status"],
        "Type": disk["type"],
        "InstanceId": disk.get("instance_id", ""),
        "Device": disk.get("device", ""),
        "DeleteWithInstance": bool(disk.get("delete_with_instance")),
        "DeleteAutoSnapshot": disk.get("delete_auto_snapshot", True),
        "EnableAutoSnapshot": disk.get("enable_auto_snapshot", True),
        "EnableAutomatedSnapshotPolicy": False,
        "Portable": bool(disk.get("portable")),
        "Encrypted": bool(disk.get("encrypted")),
        "KMSKeyId": disk.get("kms_key_id", ""),
        "DiskChargeType": "PostPaid",
        "PerformanceLevel": disk.get("performance_level", ""),
        "IOPS": iops,
        "IOPSRead": iops // 2,
        "IOPSWrite": iops // 2,
        "Throughput": 0,
        "ThroughputRead": 0,
        "ThroughputWrite": 0,
        "ProvisionedIops": 0,
        "BurstingEnabled": False,
        "ImageId": disk.get("image_id", ""),
        "SourceSnapshotId": "",
        "SourceDiskId": "",
        "AutoSnapshotPolicyId": "",
        "CreationTime": _stamp(disk["created"]),
        "AttachedTime": _stamp(disk.get("attached_time")),
        "DetachedTime": _stamp(disk.get("detached_time")),
        "ExpiredTime": NEVER_EXPIRES,
        "SerialNumber": disk.get("serial", ""),
        "BdfId": "",
        "MultiAttach": "Disabled",
        "MountInstanceNum": 1 if attached else 0,
        "ResourceGroupId": disk.get("resource_group_id", ""),
        "StorageSetId": "",
        "StorageSetPartitionNumber": 0,
        "StorageClusterId": "",
        "ProductCode": "",
        "Tags": tags.render(disk),
        "OperationLocks": {"OperationLock": []},
        "Attachments": {
            "Attachment": [
                {
                    "InstanceId": disk["instance_id"],
                    "Device": disk.get("device", ""),
                    "AttachedTime": _stamp(disk.get("attached_time")),
                }
            ]
            if attached
            else []
        },
        "MountInstances": {"MountInstance": []},
    }


@action("ecs", "DescribeDisks")
def describe_disks(cloud, p: Params) -> dict:
    region = cloud.region(p)
    disks = [d for d in cloud.store.all("disk") if d["region"] == region]
    ids = p.id_list("DiskIds")
    if ids is not None:
        if len(ids) > 100:
            raise InvalidDiskIdsMalformed()
        wanted = set(ids)
        disks = [d for d in disks if d["id"] in wanted]
    disk_type = p.text("DiskType", default="all")
    if disk_type not in ("all", "system", "data"):
        raise InvalidDiskTypeValueNotSupported()
    category = p.text("Category", default="all")
    if category != "all" and category not in ALL_DISK_CATEGORIES:
        raise InvalidCategoryValueNotSupported()
    status = p.text("Status", default="All")
    if status != "All" and status not in DISK_STATUSES:
        raise InvalidStatusValueNotSupported()
    if p.text("DiskChargeType") not in (None, "PostPaid", "PrePaid"):
        raise InvalidDiskChargeTypeNotFound()
    if disk_type != "all":
        disks = [d for d in disks if d["type"] == disk_type]
    if category != "all":
        disks = [d for d in disks if d["category"] == category]
    if status != "All":
        disks = [d for d in disks if d["status"] == status]
    for param, field in (
        ("InstanceId", "instance_id"),
        ("ZoneId", "zone"),
        ("DiskName", "name"),
        ("ResourceGroupId", "resource_group_id"),
    ):
        value = p.text(param)
        if value is not None:
            disks = [d for d in disks if d.get(field) == value]
    if p.text("DiskChargeType") == "PrePaid":
        disks = []
    for param, field in (("Portable", "portable"), ("DeleteWithInstance", "delete_with_instance")):
        flag = p.flag(param)
        if flag is not None:
            disks = [d for d in disks if bool(d.get(field)) == flag]
    filters = tag_filters(p)
    disks = [d for d in disks if tags.matches(d, filters)]
    if p.flag("DryRun", default=False):
        raise DryRunOperation()
    disks.sort(key=creation_order)
    chunk, meta = page(disks, p, token_min=10, token_max=500)
    return {**meta, "Disks": {"Disk": rendered_list(cloud, "disk", chunk, "DescribeDisks", render_disk)}}


@action("ecs", "AttachDisk")
def attach_disk(cloud, p: Params) -> dict:
    disk_models.attach_disk(
        cloud,
        _required(p, "InstanceId"),
        _required(p, "DiskId"),
        bootable=bool(p.flag("Bootable", default=False)),
        device=p.text("Device"),
        delete_with_instance=bool(p.flag("DeleteWithInstance", default=False)),
    )
    return {}


@action("ecs", "DetachDisk")
def detach_disk(cloud, p: Params) -> dict:
    disk_models.detach_disk(
        cloud,
        _required(p, "InstanceId"),
        _required(p, "DiskId"),
        delete_with_instance=bool(p.flag("DeleteWithInstance", default=False)),
    )
    return {}


@action("ecs", "DeleteDisk")
def delete_disk(cloud, p: Params) -> dict:
    disk_models.delete_disk(cloud, _required(p, "DiskId"))
    return {}


@action("ecs", "ResizeDisk")
def resize_disk(cloud, p: Params) -> dict:
    region = cloud.region(p, required=False)

    def resize():
        disk_models.resize_disk(
            cloud,
            region,
            _required(p, "DiskId"),
            p.integer("NewSize", required=True, code=InvalidParameter.code) or 0,
            p.text("Type", default="offline", choices=("offline", "online")) or "offline",
        )
        return {}

    return cloud.idempotent("ecs", "ResizeDisk", p, resize)


@action("ecs", "ModifyDiskAttribute")
def modify_disk_attribute(cloud, p: Params) -> dict:
    """Name, description, DeleteWithInstance and the auto-snapshot flags of one disk (DiskId) or several
    (DiskIds.N, up to 100); every disk is checked before any changes (ModifyDiskAttribute docs)."""
    region = cloud.region(p, required=False)
    single, many = p.text("DiskId"), p.items("DiskIds")
    if single and many:
        raise ExclusiveParameters(first="DiskId", second="DiskIds.N")
    if not single and not many:
        raise MissingParameter(name="DiskId")
    if len(many) > 100:
        raise InvalidDiskIdsMalformed()
    disk_models.modify_disk_attribute(
        cloud,
        region,
        [single] if single else list(dict.fromkeys(many)),
        name=p.text("DiskName"),
        description=p.text("Description"),
        delete_with_instance=p.flag("DeleteWithInstance"),
        delete_auto_snapshot=p.flag("DeleteAutoSnapshot"),
        enable_auto_snapshot=p.flag("EnableAutoSnapshot"),
        bursting_enabled=p.flag("BurstingEnabled"),
    )
    return {}
