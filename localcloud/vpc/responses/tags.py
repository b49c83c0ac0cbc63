"""VPC-family tag actions (2016-04-28): TagResources, UnTagResources, ListTagResources."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ... import tags as shared
from ...core import action
from ...errors import MissingParameter
from ...params import Params
from ..exceptions import SizeLimitExceededResourceId
from ..models import tags

if TYPE_CHECKING:
    from ...core import Cloud


def _resource_ids(p: Params, required: bool) -> list[str]:
    return shared.resource_ids(p, required, tags.MAX_RESOURCES, SizeLimitExceededResourceId())


def _resource_type(p: Params) -> tuple[str, str | None]:
    return tags.resource_kind(p.text("ResourceType", required=True) or "")


@action("vpc", "TagResources")
def tag_resources(cloud: Cloud, p: Params) -> dict[str, Any]:
    region = cloud.region(p)
    _, kind = _resource_type(p)
    ids = _resource_ids(p, required=True)
    entries = p.struct_list("Tag")
    if not entries:
        raise MissingParameter(name="Tag.N.Key")
    tags.tag_resources(cloud, kind, region, ids, tags.check_tags(entries))
    return {}


@action("vpc", "UnTagResources")
def untag_resources(cloud: Cloud, p: Params) -> dict[str, Any]:
    region = cloud.region(p)
    _, kind = _resource_type(p)
    ids = _resource_ids(p, required=True)
    tags.untag_resources(cloud, kind, region, ids, p.items("TagKey"), bool(p.flag("All", default=False)))
    return {}


@action("vpc", "ListTagResources")
def list_tag_resources(cloud: Cloud, p: Params) -> dict[str, Any]:
    region = cloud.region(p)
    rtype, kind = _resource_type(p)
    ids = _resource_ids(p, required=False)
    resources = tags.tagged_resources(cloud, kind, region, ids, p.struct_list("Tag"))
    return shared.tag_resource_page(p, resources, rtype)
