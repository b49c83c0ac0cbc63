"""Shared ECS response helpers: tags at creation, tag filters and the two paging styles (wire parameters in)."""

from __future__ import annotations

from ... import tags
from ...core import next_token_page, paginate
from ...params import Params
from ..exceptions import DuplicateTagKey, InvalidTagCount


# tags ---------------------------------------------------------------------------------------------------
def parse_tags(p: Params, name: str = "Tag") -> dict[str, str]:
    """`Tag.N.Key/Value` at creation: <= 20 (`InvalidTagCount`), unique keys (`Duplicate.TagKey`)."""
    keys = [e.get("Key", "") for e in p.struct_list(name)]
    if len(keys) != len(set(keys)):
        raise DuplicateTagKey(name=name)
    return tags.parse_tags(p, name)


def tag_filters(p: Params, name: str = "Tag") -> list[dict[str, str]]:
    filters = p.struct_list(name)
    if len(filters) > tags.MAX_TAGS:
        raise InvalidTagCount()
    return filters


# paging ---------------------------------------------------------------------------------------------------
def token_page(items: list, p: Params, default: int, low: int, high: int) -> tuple[list, dict]:
    """NextToken/MaxResults with MaxResults clamped into [low, high] (the documented behaviour of
    DescribeInstances/DescribeDisks: below the minimum or unset -> default, above the maximum -> maximum)."""
    size = p.integer("MaxResults")
    size = min(max(default if size is None else size, low), high)
    return next_token_page(items, Params({**p.raw, "MaxResults": str(size)}), default_size=default, max_size=high)


def page(
    items: list,
    p: Params,
    *,
    page_max: int = 100,
    token_min: int = 10,
    token_max: int = 100,
    token_default: int = 10,
    total_with_token: bool = True,
) -> tuple[list, dict]:
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
    return chunk, {
        "PageNumber": meta["PageNumber"],
        "TotalCount": meta["TotalCount"],
        "PageSize": meta["PageSize"],
        "NextToken": "",
    }
