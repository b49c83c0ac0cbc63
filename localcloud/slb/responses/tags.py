"""SLB tag actions: TagResources / UntagResources / ListTagResources on instances, listeners and vServer groups."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ... import tags as shared
from ...core import action
from ...params import Params
from .. import responses as wire
from ..exceptions import InvalidParameterDetail
from ..models import tags

if TYPE_CHECKING:
    from ...core import Cloud


def _type(p: Params) -> str:
    return p.text("ResourceType", required=True, choices=tags.TYPES) or ""


def _ids(p: Params, required: bool) -> list[str]:
    return shared.resource_ids(
        p,
        required,
        tags.MAX_RESOURCES,
        InvalidParameterDetail(name="ResourceId.N", detail=f"at most {tags.MAX_RESOURCES} resources are allowed."),
    )


@action("slb", "TagResources")
def tag_resources(cloud: Cloud, p: Params) -> dict[str, Any]:
    region = cloud.region(p)
    rtype = _type(p)
    ids = _ids(p, required=True)
    tags.tag_resources(cloud, region, rtype, ids, wire.parse_tags(p, required=True))
    return {}


@action("slb", "UntagResources")
def untag_resources(cloud: Cloud, p: Params) -> dict[str, Any]:
    region = cloud.region(p)
    rtype = _type(p)
    ids = _ids(p, required=True)
    tags.untag_resources(cloud, region, rtype, ids, p.items("TagKey"), bool(p.flag("All", default=False)))
    return {}


@action("slb", "ListTagResources")
def list_tag_resources(cloud: Cloud, p: Params) -> dict[str, Any]:
    region = cloud.region(p)
    rtype = _type(p)
    ids = _ids(p, required=False)
    return shared.tag_resource_page(p, tags.tagged_resources(cloud, region, rtype, ids, p.struct_list("Tag")), rtype)
