"""Shared ECS helpers: the product's error codes, name rules, lookups, tags and the two paging styles."""
from __future__ import annotations

import re
from typing import Callable

from ... import catalog, tags
from ...core import next_token_page, paginate
from ...errors import CloudError, not_found
from ...params import Params

RESOURCE_GROUP = "rg-acfmlocalcloud"
INSTANCE_STATUSES = ("Pending", "Starting", "Running", "Stopping", "Stopped")
DISK_STATUSES = ("In_use", "Available", "Attaching", "Detaching", "Creating", "ReIniting")
# Every category the API accepts (CreateDisk/RunInstances docs); a zone sells catalog.DISK_CATEGORIES.
ALL_DISK_CATEGORIES = ("cloud", "cloud_efficiency", "cloud_ssd", "cloud_essd", "cloud_auto", "cloud_essd_entry")


# errors ---------------------------------------------------------------------------------------------
def instance_not_found() -> CloudError:
    return not_found("InvalidInstanceId.NotFound", "InstanceId")


def disk_not_found() -> CloudError:
    return not_found("InvalidDiskId.NotFound", "DiskId")


def security_group_not_found() -> CloudError:
    return not_found("InvalidSecurityGroupId.NotFound", "SecurityGroupId")


def zone_not_found() -> CloudError:
    return not_found("InvalidZoneId.NotFound", "ZoneId")


def incorrect_instance_status(obj: dict, expected: tuple[str, ...], status: int = 403) -> CloudError:
    """`IncorrectInstanceStatus` (403; AttachDisk documents 400), worded as the observed real message."""
    return CloudError(
        "IncorrectInstanceStatus",
        "The current status of the resource does not support this operation. Status of the specified instance is "
        f"{obj['status']} but the expected status is in ({', '.join(expected)}).",
        status,
    )


def incorrect_disk_status() -> CloudError:
    return CloudError("IncorrectDiskStatus", "The current disk status does not support this operation.", 403)


def dry_run_passed() -> CloudError:
    """A DryRun that passed every check answers this error, as the real API does."""
    return CloudError("DryRunOperation", "Request validation has been passed with DryRun flag set.", 400)


def batch_dry_run_passed() -> CloudError:
    """StartInstances/StopInstances/DeleteInstances document `DRYRUN.SUCCESS` instead of DryRunOperation."""
    return CloudError("DRYRUN.SUCCESS", "This request is a dryrun request with successful result.", 400)


# names ------------------------------------------------------------------------------------------------
_NAME = re.compile(r"^[^\W\d_][\w:.\-]*$")          # a Unicode letter first, then letters/digits/: _ . -
_NAME_ANY_START = re.compile(r"^[\w:.\-]+$")


def check_name(value: str | None, code: str, param: str, min_len: int = 2, max_len: int = 128,
               leading_letter: bool = True) -> None:
    """The common ECS name rule (SecurityGroupName, DiskName, InstanceName): `code` is `Invalid*.Malformed`."""
    if value is None:
        return
    pattern = _NAME if leading_letter else _NAME_ANY_START
    if (not min_len <= len(value) <= max_len or value.lower().startswith(("http://", "https://"))
            or not pattern.match(value)):
        raise CloudError(code, f'The specified parameter "{param}" is not valid.', 400)


def check_description(value: str | None, code: str = "InvalidDescription.Malformed", param: str = "Description",
                      max_len: int = 256) -> None:
    if value is None:
        return
    if not 2 <= len(value) <= max_len or value.lower().startswith(("http://", "https://")):
        raise CloudError(code, f'The specified parameter "{param}" is not valid.', 400)


# tags ---------------------------------------------------------------------------------------------------
def parse_tags(p: Params, name: str = "Tag") -> dict[str, str]:
    """`Tag.N.Key/Value` at creation: <= 20 (`InvalidTagCount`), unique keys (`Duplicate.TagKey`)."""
    keys = [e.get("Key", "") for e in p.struct_list(name)]
    if len(keys) != len(set(keys)):
        raise CloudError("Duplicate.TagKey", f"The {name}.N.Key contains duplicate keys.", 400)
    return tags.parse_tags(p, name)


def tag_filters(p: Params, name: str = "Tag") -> list[dict[str, str]]:
    filters = p.struct_list(name)
    if len(filters) > tags.MAX_TAGS:
        raise CloudError("InvalidTagCount", "The specified tags are beyond the permitted range.", 400)
    return filters


# lookups ------------------------------------------------------------------------------------------------
def zone_of(region: str, zone: str | None) -> str | None:
    """A ZoneId that must belong to the region (`InvalidZoneId.NotFound`, 404)."""
    if zone is not None and zone not in catalog.zones(region):
        raise zone_not_found()
    return zone


def _get(cloud, kind: str, rid: str | None, region: str | None, absent: Callable[[], CloudError]) -> dict:
    """The resource, or the kind's 404 (also for a resource of another region)."""
    obj = cloud.store.get(kind, rid) if rid else None
    if obj is None or (region is not None and obj["region"] != region):
        raise absent()
    return obj


def get_instance(cloud, instance_id: str | None, region: str | None = None) -> dict:
    """The instance, or 404 `InvalidInstanceId.NotFound` (also for an instance of another region)."""
    return _get(cloud, "instance", instance_id, region, instance_not_found)


def get_disk(cloud, disk_id: str | None, region: str | None = None) -> dict:
    return _get(cloud, "disk", disk_id, region, disk_not_found)


def get_security_group(cloud, group_id: str | None, region: str | None = None) -> dict:
    return _get(cloud, "security_group", group_id, region, security_group_not_found)


def creation_order(obj: dict) -> tuple:
    return (obj.get("created", 0.0), obj.get("_order", 0), obj["id"])


# paging ---------------------------------------------------------------------------------------------------
def token_page(items: list, p: Params, default: int, low: int, high: int) -> tuple[list, dict]:
    """NextToken/MaxResults with MaxResults clamped into [low, high] (the documented behaviour of
    DescribeInstances/DescribeDisks: below the minimum or unset -> default, above the maximum -> maximum)."""
    size = p.integer("MaxResults", default=default)
    size = min(max(size, low), high)
    return next_token_page(items, Params({**p.raw, "MaxResults": str(size)}), default_size=default, max_size=high)


def page(items: list, p: Params, *, page_max: int = 100, token_min: int = 10, token_max: int = 100,
         token_default: int = 10, total_with_token: bool = True) -> tuple[list, dict]:
    """Either PageNumber/PageSize (TotalCount, PageNumber, PageSize) or NextToken/MaxResults.

    With NextToken or MaxResults set, PageNumber/PageSize are ignored. `NextToken` is in every answer (the SDK
    models of DescribeInstances, DescribeDisks and DescribeSecurityGroups declare it): "" on the last page and
    with PageNumber paging.
    """
    if "NextToken" in p or "MaxResults" in p:
        chunk, meta = token_page(items, p, token_default, token_min, token_max)
        if total_with_token:
            meta["TotalCount"] = len(items)
        return chunk, meta
    chunk, meta = paginate(items, p, default_size=10, max_size=page_max)
    # The documented samples list PageNumber, TotalCount, PageSize (CHOICES.md, answer field order).
    return chunk, {"PageNumber": meta["PageNumber"], "TotalCount": meta["TotalCount"], "PageSize": meta["PageSize"],
                   "NextToken": ""}
