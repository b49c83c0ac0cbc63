"""ResizeDisk: grow a system or data disk in place (online or offline); disks never shrink."""
from __future__ import annotations

from ...core import action
from ...params import Params
from ..exceptions import DiskStatusNotResizable, DiskTypeNotResizable, InvalidDiskSizeTooSmall, NewSizeAboveMax
from ..models import disks as disk_models
from ..models.common import get_disk

# ResizeDisk's documented 403 OperationDenied covers the disk's or its instance's status and the disk type.
# Categories ResizeDisk accepts (ResizeDisk docs: basic, ultra, standard SSD, ESSD, ESSD Entry, ESSD AutoPL).
RESIZABLE = ("cloud", "cloud_efficiency", "cloud_ssd", "cloud_essd", "cloud_essd_entry", "cloud_auto")


@action("ecs", "ResizeDisk")
def resize_disk(cloud, p: Params) -> dict:
    region = cloud.region(p, required=False)

    def resize():
        disk = get_disk(cloud, p.text("DiskId", required=True), region)
        new_size = p.integer("NewSize", required=True, code="InvalidParameter")
        mode = p.text("Type", default="offline", choices=("offline", "online"))
        if disk["category"] not in RESIZABLE or (mode == "online" and disk["category"] == "cloud"):
            # Online resizing is not offered for basic disks (ResizeDisk Type docstring).
            raise DiskTypeNotResizable()
        if new_size <= disk["size"]:
            # "The new disk capacity must be greater than the original disk capacity" (ResizeDisk NewSize).
            raise InvalidDiskSizeTooSmall()
        _, high = disk_models.size_range(disk["category"], disk.get("performance_level") or None,
                                         system=disk["type"] == "system")
        if new_size > high:
            raise NewSizeAboveMax(high=high, category=disk['category'])
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
        return {}

    return cloud.idempotent("ecs", "ResizeDisk", p, resize)
