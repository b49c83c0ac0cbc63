"""VPC-family tags: the VPC product's own codes and limits for Tag.N, TagResources, UnTagResources, ListTagResources."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ... import tags
from ...errors import InvalidParameter
from ..exceptions import (
    BothEmptyTagsAndResources,
    IllegalTagKey,
    IllegalTagValue,
    MissingTagKey,
    QuotaExceededTagNum,
    ResourceNotFound,
    SizeLimitExceededResourceId,
    SizeLimitExceededTagNum,
    TagKeyDuplicated,
)

if TYPE_CHECKING:
    from ...core import Cloud

MAX_TAGS = tags.MAX_TAGS  # tags per resource (VPC TagResources help page)
MAX_RESOURCES = 50  # ResourceId.N per call
MAX_LEN = 128

# ResourceType is case-insensitive (ListTagResources help page). The kinds we emulate, and the other
# documented types, which are valid names whose resources simply never exist here.
KINDS = {"VPC": "vpc", "VSWITCH": "vswitch"}
OTHER_TYPES = {
    "ROUTETABLE",
    "EIP",
    "VPNGATEWAY",
    "NATGATEWAY",
    "COMMONBANDWIDTHPACKAGE",
    "PREFIXLIST",
    "IPV4GATEWAY",
    "IPV6GATEWAY",
    "NETWORKACL",
    "TRAFFICMIRRORFILTER",
    "TRAFFICMIRRORSESSION",
    "FLOWLOG",
    "DHCPOPTIONSSET",
    "HAVIP",
    "GATEWAYENDPOINT",
    "CUSTOMERGATEWAY",
}


def _bad_text(text: str) -> bool:
    return len(text) > MAX_LEN or tags.reserved(text)


def check_key(key: str) -> None:
    if key == "":
        raise MissingTagKey()
    if _bad_text(key):
        raise IllegalTagKey(key=key)


def check_tags(entries: list[dict[str, str]]) -> dict[str, str]:
    """`[{Key, Value}, ...]` with the VPC product's codes; keys must be unique within the call."""
    if len(entries) > MAX_TAGS:
        raise SizeLimitExceededTagNum()
    out: dict[str, str] = {}
    for entry in entries:
        key, value = entry.get("Key", ""), entry.get("Value", "")
        check_key(key)
        if _bad_text(value):
            raise IllegalTagValue(value=value)
        if key in out:
            raise TagKeyDuplicated()
        out[key] = value
    return out


def resource_kind(resource_type: str) -> tuple[str, str | None]:
    """(canonical ResourceType, store kind or None for a documented type we do not emulate)."""
    rtype = resource_type.upper()
    if rtype in KINDS:
        return rtype, KINDS[rtype]
    if rtype in OTHER_TYPES:
        return rtype, None
    raise InvalidParameter("ResourceType")


def check_resource_count(ids: list[str]) -> None:
    if len(ids) > MAX_RESOURCES:
        raise SizeLimitExceededResourceId()


def tag_resources(cloud: Cloud, kind: str | None, region: str, ids: list[str], new: dict[str, str]) -> None:
    found = tags.in_region(cloud, kind, region, ids, lambda rid: ResourceNotFound(rid=rid))
    tags.add_to_each(cloud, found, new, QuotaExceededTagNum())


def untag_resources(
    cloud: Cloud, kind: str | None, region: str, ids: list[str], keys: list[str], remove_all: bool
) -> None:
    if len(keys) > MAX_TAGS:
        raise SizeLimitExceededTagNum()
    found = tags.in_region(cloud, kind, region, ids, lambda rid: ResourceNotFound(rid=rid))
    tags.untag(cloud, found, keys, remove_all)


def tagged_resources(
    cloud: Cloud, kind: str | None, region: str, ids: list[str], filters: list[dict[str, str]]
) -> list[tuple[str, dict[str, Any]]]:
    """ListTagResources: the resources to list, oldest first; a filter's key without a value matches any value."""
    if len(filters) > MAX_TAGS:
        raise SizeLimitExceededTagNum()
    for f in filters:
        check_key(f.get("Key", ""))  # a Tag.N.Value without its key is refused
    if not ids and not filters:
        raise BothEmptyTagsAndResources()
    objs = [o for o in cloud.store.all(kind) if o["region"] == region] if kind else []
    if ids:
        objs = [o for o in objs if o["id"] in ids]
    objs = [o for o in objs if tags.matches(o, filters)]
    objs.sort(key=lambda o: (o["created"], o["id"]))
    return [(o["id"], o) for o in objs]
