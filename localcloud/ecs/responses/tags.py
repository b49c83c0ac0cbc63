"""ECS tag actions: TagResources, UntagResources, ListTagResources (instance, disk and securitygroup resources)."""

from __future__ import annotations

import fnmatch
from typing import Any

from ... import tags
from ...core import action
from ...params import Params
from ..exceptions import (
    DuplicateTagKey,
    InvalidParameterTagValue,
    InvalidResourceIdNotFound,
    InvalidResourceTypeNotFound,
    MissingParameterResourceType,
    MissingParameterTags,
    NumberExceedResourceIds,
    NumberExceedTags,
    OperationDeniedQuotaExceed,
    TagWithTagFilter,
)
from ..models.common import creation_order

# ResourceType -> our kind. The other documented types (snapshot, image, eni, keypair, ...) are valid but no
# resource of theirs exists here, so their ids are never found.
KINDS = {"instance": "instance", "disk": "disk", "securitygroup": "security_group"}
OTHER_TYPES = (
    "snapshot",
    "image",
    "volume",
    "eni",
    "ddh",
    "ddhcluster",
    "keypair",
    "launchtemplate",
    "reservedinstance",
    "snapshotpolicy",
    "elasticityassurance",
    "capacityreservation",
    "command",
    "invocation",
    "activation",
    "managedinstance",
)
MAX_RESOURCES = 50


def _resource_type(p: Params) -> str:
    value = p.text("ResourceType")
    if value is None:
        raise MissingParameterResourceType()
    rtype = value.lower()
    if rtype not in KINDS and rtype not in OTHER_TYPES:
        raise InvalidResourceTypeNotFound()
    return rtype


def _resource_ids(p: Params, required: bool) -> list[str]:
    return tags.resource_ids(
        p,
        required,
        MAX_RESOURCES,
        NumberExceedResourceIds(limit=MAX_RESOURCES),
        missing_name="ResourceId.1",
        unique=True,
    )


def _resources(cloud, region: str, rtype: str, ids: list[str]) -> list[tuple[str | None, dict[str, Any]]]:
    return tags.in_region(cloud, KINDS.get(rtype), region, ids, lambda rid: InvalidResourceIdNotFound())


@action("ecs", "TagResources")
def tag_resources(cloud, p: Params) -> dict:
    region = cloud.region(p)
    rtype = _resource_type(p)
    ids = _resource_ids(p, required=True)
    entries = p.struct_list("Tag")
    if not entries:
        raise MissingParameterTags()
    if len(entries) > tags.MAX_TAGS:
        raise NumberExceedTags(what="Tags", limit=tags.MAX_TAGS)
    keys = [e.get("Key", "") for e in entries]
    if len(keys) != len(set(keys)):
        raise DuplicateTagKey(name="Tag")
    new = tags.parse_tags(p)
    tags.add_to_each(cloud, _resources(cloud, region, rtype, ids), new, OperationDeniedQuotaExceed())
    return {}


@action("ecs", "UntagResources")
def untag_resources(cloud, p: Params) -> dict:
    region = cloud.region(p)
    rtype = _resource_type(p)
    ids = _resource_ids(p, required=True)
    keys = p.items("TagKey")
    if len(keys) > tags.MAX_TAGS:
        raise NumberExceedTags(what="TagKeys", limit=tags.MAX_TAGS)
    tags.remove_from_each(cloud, _resources(cloud, region, rtype, ids), p, keys)
    return {}


def _filter_values_match(value: str, wanted: list[str]) -> bool:
    return not wanted or any(fnmatch.fnmatchcase(value, w) for w in wanted)


@action("ecs", "ListTagResources")
def list_tag_resources(cloud, p: Params) -> dict:
    region = cloud.region(p)
    rtype = _resource_type(p)
    ids = _resource_ids(p, required=False)
    filters = p.struct_list("Tag")
    tag_filter = p.struct_list("TagFilter")
    if len(filters) > tags.MAX_TAGS:
        raise NumberExceedTags(what="Tags", limit=tags.MAX_TAGS)
    if any(f.get("Value") and not f.get("Key") for f in filters):
        raise InvalidParameterTagValue()
    if filters and tag_filter:
        raise TagWithTagFilter()
    kind = KINDS.get(rtype)
    objs = [o for o in cloud.store.all(kind) if o["region"] == region] if kind else []
    if ids:
        wanted = set(ids)
        objs = [o for o in objs if o["id"] in wanted]
    objs = [o for o in objs if tags.matches(o, filters)]
    for f in tag_filter:
        key = f.get("TagKey", "")
        values = Params(f).items("TagValues")
        objs = [o for o in objs if key in (o.get("tags") or {}) and _filter_values_match(o["tags"][key], values)]
    objs.sort(key=creation_order)
    # ECS's ListTagResources takes no MaxResults: pages are always 50 rows; tags keep the order they were added.
    return tags.tag_resource_page(
        Params({k: v for k, v in p.raw.items() if k == "NextToken"}),
        [(o["id"], o) for o in objs],
        rtype,
        sort_keys=False,
    )
