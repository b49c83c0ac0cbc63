"""SLB 2014-05-15 actions (RPC): wire parameters in, response bodies out; the parameter forms SLB actions share."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import InvalidParameter, MissingParameter
from ...params import Params
from ..exceptions import InvalidParameterDetail, InvalidPort
from ..models import tags as tag_models
from ..models.base import get_lb

if TYPE_CHECKING:
    from ...core import Cloud
    from ..models.load_balancers import LoadBalancer


def lb_from_params(cloud: Cloud, p: Params) -> LoadBalancer:
    """`LoadBalancerId` (required) with the optional `RegionId` most SLB actions take."""
    region = cloud.region(p, required=False)
    return get_lb(cloud, p.text("LoadBalancerId", required=True), region)


def port(p: Params, name: str, required: bool = False) -> int | None:
    """A port 1-65535; the documented message for a bad one is "The specified port is not valid."."""
    value = p.raw.get(name)
    if value is None or value == "":
        if required:
            raise MissingParameter(name=name)
        return None
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number <= 65535:
        raise InvalidPort()
    return number


def required_port(p: Params, name: str) -> int:
    number = port(p, name, required=True)
    if number is None:
        raise MissingParameter(name=name)
    return number


def text(p: Params, name: str, limit: int, required: bool = False) -> str | None:
    value = p.text(name, required=required)
    if value is not None and len(value) > limit:
        raise InvalidParameter(name)
    return value


def id_list(p: Params, name: str, limit: int) -> list[str]:
    """`Name.N` as the new SDK sends lists, or a comma-separated `Name` as the docs describe."""
    items = p.items(name)
    joined = p.text(name)
    if not items and joined:
        items = [i.strip() for i in joined.split(",") if i.strip()]
    if len(items) > limit:
        raise InvalidParameterDetail(name=name, detail=f"at most {limit} items are allowed.")
    return items


def parse_tags(p: Params, name: str = "Tag", required: bool = False) -> dict[str, str]:
    """`Tag.N.Key` / `Tag.N.Value` on creates and TagResources."""
    entries = p.struct_list(name)
    if required and not entries:
        raise MissingParameter(name=f"{name}.N.Key")
    return tag_models.check_tags(entries, name)


def tag_filter(objs: list[Any], p: Params) -> list[Any]:
    """`Tag.N` filters on Describe*."""
    return tag_models.filter_by_tags(objs, p.struct_list("Tag"))
