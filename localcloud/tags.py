"""Tags shared by every product: parsing `Tag.N.Key/Value`, limits, filters, and the tag API pieces."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from .core import next_token_page
from .errors import (
    CloudError,
    EmptyTagValue,
    InvalidTagCount,
    InvalidTagKeyMalformed,
    InvalidTagValueMalformed,
    MissingParameter,
    TooManyTagFilters,
)
from .params import Params
from .store import R

if TYPE_CHECKING:
    from .core import Cloud

MAX_TAGS = 20  # tags per resource (ECS, VPC and SLB docs)
MAX_KEY_LEN = 128
MAX_VALUE_LEN = 128
LIST_PAGE = 50  # ListTagResources: 50 rows a page at most (ECS, VPC and SLB)


def parse_tags(p: Params, name: str = "Tag", max_items: int = MAX_TAGS, require_value: bool = False) -> dict[str, str]:
    """Validated `{key: value}` from `Tag.N.Key`/`Tag.N.Value`; keys must not use the reserved prefixes."""
    tags: dict[str, str] = {}
    entries = p.struct_list(name)
    if len(entries) > max_items:
        raise InvalidTagCount(limit=max_items)
    for entry in entries:
        key = entry.get("Key", "")
        value = entry.get("Value", "")
        if not key:
            raise InvalidTagKeyMalformed(name=name, reason="it must not be empty.")
        if (
            len(key) > MAX_KEY_LEN
            or key.lower().startswith(("aliyun", "acs:"))
            or "http://" in key
            or "https://" in key
        ):
            raise InvalidTagKeyMalformed(name=name, reason=f"{key!r}.")
        if (
            len(value) > MAX_VALUE_LEN
            or value.lower().startswith(("aliyun", "acs:"))
            or "http://" in value
            or "https://" in value
        ):
            raise InvalidTagValueMalformed(name=name, reason=f"{value!r}.")
        if require_value and not value:
            raise EmptyTagValue(name=name)
        tags[key] = value
    return tags


def matches(obj: Mapping[str, Any], filters: list[dict[str, str]]) -> bool:
    """Every filter must match: a key with an empty or absent value matches any value."""
    tags = obj.get("tags") or {}
    for f in filters:
        key = f.get("Key")
        if not key:
            continue
        if key not in tags:
            return False
        if f.get("Value") not in (None, "") and tags[key] != f["Value"]:
            return False
    return True


def filter_by_tags(objs: list[R], p: Params, name: str = "Tag") -> list[R]:
    filters = p.struct_list(name)
    if len(filters) > MAX_TAGS:
        raise TooManyTagFilters(limit=MAX_TAGS)
    return [o for o in objs if matches(o, filters)] if filters else objs


def render(obj: Mapping[str, Any], key_names: tuple[str, str] = ("TagKey", "TagValue")) -> dict[str, Any]:
    """`{"Tag": [{TagKey, TagValue}, ...]}` (ECS, SLB) or with ("Key", "Value") for VPC."""
    k, v = key_names
    return {"Tag": [{k: key, v: value} for key, value in (obj.get("tags") or {}).items()]}


def reserved(text: str) -> bool:
    """Keys and values may not start with `aliyun` or `acs:` nor hold `http://` or `https://` (any case)."""
    low = text.lower()
    return low.startswith(("aliyun", "acs:")) or "http://" in low or "https://" in low


# TagResources / UntagResources / ListTagResources: the same steps in every product, each product giving
# its own error codes, ResourceId.N limit and ResourceType names. -----------------------------------------
def resource_ids(
    p: Params,
    required: bool,
    limit: int,
    too_many: CloudError,
    missing_name: str = "ResourceId.N",
    unique: bool = False,
) -> list[str]:
    """`ResourceId.N`: with `required` at least one (MissingParameter), at most `limit` (else `too_many`)."""
    ids = p.items("ResourceId")
    if unique:
        ids = list(dict.fromkeys(ids))
    if required and not ids:
        raise MissingParameter(name=missing_name)
    if len(ids) > limit:
        raise too_many
    return ids


def in_region(
    cloud: Cloud, kind: str | None, region: str, ids: list[str], not_found: Callable[[str], CloudError]
) -> list[tuple[str | None, dict[str, Any]]]:
    """`(kind, resource)` for every id; `kind` None (a documented type not emulated) finds nothing."""
    found = []
    for rid in ids:
        obj = cloud.store.get(kind, rid) if kind else None
        if obj is None or obj["region"] != region:
            raise not_found(rid)
        found.append((kind, obj))
    return found


def add_to_each(
    cloud: Cloud, found: Sequence[tuple[str | None, Mapping[str, Any]]], new: dict[str, str], over_limit: CloudError
) -> None:
    """TagResources: every resource is checked against MAX_TAGS (else `over_limit`) before any changes."""
    merged = []
    for _, obj in found:
        result = {**(obj.get("tags") or {}), **new}
        if len(result) > MAX_TAGS:
            raise over_limit
        merged.append(result)
    for (kind, obj), result in zip(found, merged, strict=False):
        if kind is not None:  # a documented type that is not emulated finds nothing (in_region)
            cast(dict, obj)["tags"] = result
            cloud.store.put(kind, obj)


def remove_from_each(
    cloud: Cloud, found: Sequence[tuple[str | None, Mapping[str, Any]]], p: Params, keys: list[str]
) -> None:
    """UntagResources: drop `TagKey.N`; `All=true` drops every tag, but only when no TagKey.N is given."""
    untag(cloud, found, keys, bool(p.flag("All", default=False)))


def untag(
    cloud: Cloud, found: Sequence[tuple[str | None, Mapping[str, Any]]], keys: list[str], remove_all: bool
) -> None:
    """Drop `keys` from each resource, or every tag with `remove_all` (honoured only when `keys` is empty)."""
    remove_all = remove_all and not keys
    for kind, obj in found:
        current = dict(obj.get("tags") or {})
        kept = {} if remove_all else {k: v for k, v in current.items() if k not in keys}
        if kept != current and kind is not None:
            cast(dict, obj)["tags"] = kept
            cloud.store.put(kind, obj)


def tag_resource_page(
    p: Params, resources: Sequence[tuple[str, Mapping[str, Any]]], rtype: str, sort_keys: bool = True
) -> dict[str, Any]:
    """ListTagResources: one `{ResourceId, ResourceType, TagKey, TagValue}` row per tag, NextToken-paged."""
    rows = [
        {"ResourceId": rid, "ResourceType": rtype, "TagKey": k, "TagValue": v}
        for rid, obj in resources
        for k, v in (sorted((obj.get("tags") or {}).items()) if sort_keys else (obj.get("tags") or {}).items())
    ]
    page, meta = next_token_page(rows, p, default_size=LIST_PAGE, max_size=LIST_PAGE)
    return {**meta, "TagResources": {"TagResource": page}}
