"""Shared ECS model helpers: name rules, lookups by id, creation order."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ... import catalog
from ...errors import ApiError
from ..exceptions import (
    InvalidDescriptionMalformed,
    InvalidDiskIdNotFound,
    InvalidInstanceIdNotFound,
    InvalidSecurityGroupIdNotFound,
    InvalidZoneIdNotFound,
)

if TYPE_CHECKING:
    from .disks import Disk
    from .instances import Instance
    from .security_groups import SecurityGroup

RESOURCE_GROUP = "rg-acfmlocalcloud"
INSTANCE_STATUSES = ("Pending", "Starting", "Running", "Stopping", "Stopped")
DISK_STATUSES = ("In_use", "Available", "Attaching", "Detaching", "Creating", "ReIniting")
# Every category the API accepts (CreateDisk/RunInstances docs); a zone sells catalog.DISK_CATEGORIES.
ALL_DISK_CATEGORIES = ("cloud", "cloud_efficiency", "cloud_ssd", "cloud_essd", "cloud_auto", "cloud_essd_entry")


# names ------------------------------------------------------------------------------------------------
_NAME = re.compile(r"^[^\W\d_][\w:.\-]*$")  # a Unicode letter first, then letters/digits/: _ . -
_NAME_ANY_START = re.compile(r"^[\w:.\-]+$")


def check_name(
    value: str | None,
    error: type[ApiError],
    param: str,
    min_len: int = 2,
    max_len: int = 128,
    leading_letter: bool = True,
) -> None:
    """The common ECS name rule (SecurityGroupName, DiskName, InstanceName): `error` is the `Invalid*.Malformed`."""
    if value is None:
        return
    pattern = _NAME if leading_letter else _NAME_ANY_START
    if (
        not min_len <= len(value) <= max_len
        or value.lower().startswith(("http://", "https://"))
        or not pattern.match(value)
    ):
        raise error(param=param)


def check_description(
    value: str | None,
    error: type[ApiError] = InvalidDescriptionMalformed,
    param: str = "Description",
    max_len: int = 256,
) -> None:
    if value is None:
        return
    if not 2 <= len(value) <= max_len or value.lower().startswith(("http://", "https://")):
        raise error(param=param)


# lookups ------------------------------------------------------------------------------------------------
def zone_of(region: str, zone: str | None) -> str | None:
    """A ZoneId that must belong to the region (`InvalidZoneId.NotFound`, 404)."""
    if zone is not None and zone not in catalog.zones(region):
        raise InvalidZoneIdNotFound()
    return zone


def _get(cloud, kind: str, rid: str | None, region: str | None, absent: type[ApiError]) -> Any:
    """The resource, or the kind's 404 (also for a resource of another region)."""
    obj = cloud.store.get(kind, rid) if rid else None
    if obj is None or (region is not None and obj["region"] != region):
        raise absent()
    return obj


def get_instance(cloud, instance_id: str | None, region: str | None = None) -> Instance:
    """The instance, or 404 `InvalidInstanceId.NotFound` (also for an instance of another region)."""
    return _get(cloud, "instance", instance_id, region, InvalidInstanceIdNotFound)


def get_disk(cloud, disk_id: str | None, region: str | None = None) -> Disk:
    return _get(cloud, "disk", disk_id, region, InvalidDiskIdNotFound)


def get_security_group(cloud, group_id: str | None, region: str | None = None) -> SecurityGroup:
    return _get(cloud, "security_group", group_id, region, InvalidSecurityGroupIdNotFound)


def creation_order(obj: dict) -> tuple:
    return (obj.get("created", 0.0), obj.get("_order", 0), obj["id"])
