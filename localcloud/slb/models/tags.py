"""SLB tags: keys 1-64 characters and values up to 128; instances, listeners and vServer groups carry them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ... import tags
from ...errors import InvalidParameter
from ..exceptions import InvalidParameterDetail, ListenerNotFound, ResourceNotExist, TagCountLimit, TagCreateCountLimit
from . import vserver_groups
from .base import LB_KIND, LISTENER_KIND, get_lb, listener_id

if TYPE_CHECKING:
    from ...core import Cloud

MAX_TAGS = tags.MAX_TAGS
MAX_RESOURCES = 20
# Documented resource types; instances, listeners and vServer groups are emulated, the others never exist here.
TYPES = ("instance", "certificate", "acl", "listener", "vservergroup", "masterslaveservergroup")


def check_tags(entries: list[dict[str, str]], name: str = "Tag") -> dict[str, str]:
    """`[{Key, Value}, ...]` from `Tag.N` with the SLB product's codes."""
    if len(entries) > MAX_TAGS:
        raise TagCreateCountLimit()
    out: dict[str, str] = {}
    for entry in entries:
        key, value = entry.get("Key", ""), entry.get("Value", "")
        if not key or len(key) > 64 or tags.reserved(key):
            raise InvalidParameter(f"{name}.N.Key")
        if len(value) > 128 or tags.reserved(value):
            raise InvalidParameter(f"{name}.N.Value")
        out[key] = value
    return out


def check_filters(filters: list[dict[str, str]]) -> None:
    if len(filters) > MAX_TAGS:
        raise InvalidParameter("Tag")


def filter_by_tags(objs: list[Any], filters: list[dict[str, str]]) -> list[Any]:
    """`Tag.N` filters on Describe*: every given key must be present, with the value when one is given."""
    check_filters(filters)
    return [obj for obj in objs if tags.matches(obj, filters)]


def listener_resource_id(listener: Mapping[str, Any]) -> str:
    """A listener's tag id is `<LoadBalancerId>_<protocol>_<port>` (TagResources ResourceId docstring)."""
    return f"{listener['load_balancer_id']}_{listener['protocol']}_{listener['port']}"


def find(cloud: Cloud, region: str, rtype: str, rid: str) -> tuple[str, Mapping[str, Any]]:
    """(store kind, resource) of a tag call's `ResourceId` of type `rtype`."""
    if rtype == "instance":
        return LB_KIND, get_lb(cloud, rid, region)
    if rtype == "listener":
        lb_id, _, rest = rid.partition("_")
        protocol, _, port = rest.partition("_")
        found = cloud.store.get(LISTENER_KIND, listener_id(lb_id, port))
        if found is None or found["region"] != region or found["protocol"] != protocol:
            raise ListenerNotFound()
        return LISTENER_KIND, found
    if rtype == "vservergroup":
        return vserver_groups.KIND, vserver_groups.get(cloud, rid, region)
    raise ResourceNotExist()


def tag_resources(cloud: Cloud, region: str, rtype: str, ids: list[str], new: dict[str, str]) -> None:
    found = [find(cloud, region, rtype, rid) for rid in ids]
    tags.add_to_each(cloud, found, new, TagCountLimit())


def untag_resources(cloud: Cloud, region: str, rtype: str, ids: list[str], keys: list[str], remove_all: bool) -> None:
    if len(keys) > MAX_TAGS:
        raise InvalidParameterDetail(name="TagKey.N", detail=f"at most {MAX_TAGS} keys.")
    tags.untag(cloud, [find(cloud, region, rtype, rid) for rid in ids], keys, remove_all)


def tagged_resources(
    cloud: Cloud, region: str, rtype: str, ids: list[str], filters: list[dict[str, str]]
) -> list[tuple[str, Mapping[str, Any]]]:
    """ListTagResources: `(ResourceId, resource)` of the type in the region, oldest first."""
    objs: list[tuple[str, Mapping[str, Any]]]
    if rtype == "instance":
        objs = [(lb["id"], lb) for lb in cloud.store.all(LB_KIND) if lb["region"] == region]
    elif rtype == "listener":
        objs = [(listener_resource_id(x), x) for x in cloud.store.all(LISTENER_KIND) if x["region"] == region]
    elif rtype == "vservergroup":
        objs = [(g["id"], g) for g in vserver_groups.groups_in(cloud, region)]
    else:
        objs = []
    if ids:
        objs = [(rid, o) for rid, o in objs if rid in ids]
    keep = {id(o) for o in filter_by_tags([o for _, o in objs], filters)}
    return sorted(((rid, o) for rid, o in objs if id(o) in keep), key=lambda pair: (pair[1]["created"], pair[0]))
