"""VPC 2016-04-28 actions (RPC): wire parameters in, response bodies out, in the SDK models' exact shapes."""

from __future__ import annotations

from ...params import Params
from ..exceptions import MalformedText


def text_field(p: Params, name: str, limit: int, error: type[MalformedText]) -> str:
    """Names and descriptions: 1-`limit` characters, not starting with http:// or https:// (else `error`)."""
    value = p.raw.get(name, "")
    if value and (len(value) > limit or value.lower().startswith(("http://", "https://"))):
        raise error()
    return value


def dry_run(p: Params) -> bool:
    """DryRun=true: the model runs every check, then raises DryRunOperation instead of acting."""
    return bool(p.flag("DryRun", default=False))
