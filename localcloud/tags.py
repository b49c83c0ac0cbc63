"""Tags shared by every product: parsing `Tag.N.Key/Value`, limits, and Describe*/List filters."""
from __future__ import annotations

from .errors import CloudError
from .params import Params

MAX_TAGS = 20          # tags per resource (ECS, VPC and SLB docs)
MAX_KEY_LEN = 128
MAX_VALUE_LEN = 128


def parse_tags(p: Params, name: str = "Tag", max_items: int = MAX_TAGS, require_value: bool = False) -> dict[str, str]:
    """Validated `{key: value}` from `Tag.N.Key`/`Tag.N.Value`; keys must not use the reserved prefixes."""
    tags: dict[str, str] = {}
    entries = p.struct_list(name)
    if len(entries) > max_items:
        raise CloudError("InvalidTagCount", f"The number of tags must not exceed {max_items}.", 400)
    for entry in entries:
        key = entry.get("Key", "")
        value = entry.get("Value", "")
        if not key:
            raise CloudError("InvalidTagKey.Malformed", f'The specified parameter "{name}.N.Key" is not valid: it must not be empty.', 400)
        if len(key) > MAX_KEY_LEN or key.lower().startswith(("aliyun", "acs:")) or "http://" in key or "https://" in key:
            raise CloudError("InvalidTagKey.Malformed", f'The specified parameter "{name}.N.Key" is not valid: {key!r}.', 400)
        if len(value) > MAX_VALUE_LEN or value.lower().startswith(("aliyun", "acs:")) or "http://" in value or "https://" in value:
            raise CloudError("InvalidTagValue.Malformed", f'The specified parameter "{name}.N.Value" is not valid: {value!r}.', 400)
        if require_value and not value:
            raise CloudError("InvalidTagValue.Malformed", f'The specified parameter "{name}.N.Value" must not be empty.', 400)
        tags[key] = value
    return tags


def merge_tags(obj: dict, new: dict[str, str], limit_code: str = "InvalidTagCount") -> None:
    """Add or overwrite tags on a resource; more than 20 in all is refused before anything changes."""
    merged = dict(obj.get("tags") or {})
    merged.update(new)
    if len(merged) > MAX_TAGS:
        raise CloudError(limit_code, f"The number of tags on resource {obj['id']} would exceed {MAX_TAGS}.", 400)
    obj["tags"] = merged


def matches(obj: dict, filters: list[dict[str, str]]) -> bool:
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


def filter_by_tags(objs: list[dict], p: Params, name: str = "Tag") -> list[dict]:
    filters = p.struct_list(name)
    if len(filters) > MAX_TAGS:
        raise CloudError("InvalidTagCount", f"At most {MAX_TAGS} tag filters are allowed.", 400)
    return [o for o in objs if matches(o, filters)] if filters else objs


def render(obj: dict, key_names: tuple[str, str] = ("TagKey", "TagValue")) -> dict:
    """`{"Tag": [{TagKey, TagValue}, ...]}` (ECS, SLB) or with ("Key", "Value") for VPC."""
    k, v = key_names
    return {"Tag": [{k: key, v: value} for key, value in (obj.get("tags") or {}).items()]}
