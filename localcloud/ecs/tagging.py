"""ECS tag actions: TagResources, UntagResources, ListTagResources (instance, disk and securitygroup resources)."""
from __future__ import annotations

import fnmatch

from .. import tags
from ..core import action, next_token_page
from ..errors import CloudError, missing
from ..params import Params
from .common import creation_order

# ResourceType -> our kind. The other documented types (snapshot, image, eni, keypair, ...) are valid but no
# resource of theirs exists here, so their ids are never found.
KINDS = {"instance": "instance", "disk": "disk", "securitygroup": "security_group"}
OTHER_TYPES = ("snapshot", "image", "volume", "eni", "ddh", "ddhcluster", "keypair", "launchtemplate",
               "reservedinstance", "snapshotpolicy", "elasticityassurance", "capacityreservation", "command",
               "invocation", "activation", "managedinstance")
MAX_RESOURCES = 50
LIST_PAGE = 50


def _resource_type(p: Params) -> str:
    value = p.str("ResourceType")
    if value is None:
        raise CloudError("MissingParameter.ResourceType", 'The input parameter "ResourceType" that is mandatory for '
                         "processing this request is not supplied.", 404)
    rtype = value.lower()
    if rtype not in KINDS and rtype not in OTHER_TYPES:
        raise CloudError("InvalidResourceType.NotFound", "The specified ResourceType is not found.", 404)
    return rtype


def _resource_ids(p: Params, required: bool) -> list[str]:
    ids = list(dict.fromkeys(p.list("ResourceId")))
    if required and not ids:
        raise missing("ResourceId.1")
    if len(ids) > MAX_RESOURCES:
        raise CloudError("NumberExceed.ResourceIds", f"The maximum number of ResourceIds is exceeded. Valid : "
                         f"{MAX_RESOURCES}", 400)
    return ids


def _resources(cloud, region: str, rtype: str, ids: list[str]) -> list[dict]:
    kind = KINDS.get(rtype)
    found = []
    for rid in ids:
        obj = cloud.store.get(kind, rid) if kind else None
        if obj is None or obj["region"] != region:
            raise CloudError("InvalidResourceId.NotFound", "The specified ResourceIds are not found in our records.",
                             404)
        found.append(obj)
    return found


@action("ecs", "TagResources")
def tag_resources(cloud, p: Params) -> dict:
    region = cloud.region(p)
    rtype = _resource_type(p)
    ids = _resource_ids(p, required=True)
    entries = p.struct_list("Tag")
    if not entries:
        raise CloudError("MissingParameter.Tags", 'The input parameter "Tag" that is mandatory for processing this '
                         "request is not supplied.", 404)
    if len(entries) > tags.MAX_TAGS:
        raise CloudError("NumberExceed.Tags", f"The maximum number of Tags is exceeded. Valid : {tags.MAX_TAGS}", 400)
    keys = [e.get("Key", "") for e in entries]
    if len(keys) != len(set(keys)):
        raise CloudError("Duplicate.TagKey", "The Tag.N.Key contains duplicate keys.", 400)
    new = tags.parse_tags(p)
    objs = _resources(cloud, region, rtype, ids)
    merged = []
    for obj in objs:   # check every resource before changing any
        result = {**(obj.get("tags") or {}), **new}
        if len(result) > tags.MAX_TAGS:
            raise CloudError("OperationDenied.QuotaExceed", "The quota of tags on resource is beyond permitted range.",
                             400)
        merged.append(result)
    for obj, result in zip(objs, merged):
        obj["tags"] = result
        cloud.store.put(KINDS[rtype], obj)
    return {}


@action("ecs", "UntagResources")
def untag_resources(cloud, p: Params) -> dict:
    region = cloud.region(p)
    rtype = _resource_type(p)
    ids = _resource_ids(p, required=True)
    keys = p.list("TagKey")
    if len(keys) > tags.MAX_TAGS:
        raise CloudError("NumberExceed.Tags", f"The maximum number of TagKeys is exceeded. Valid : {tags.MAX_TAGS}",
                         400)
    remove_all = p.bool("All", default=False) and not keys   # All only applies without TagKey.N
    for obj in _resources(cloud, region, rtype, ids):
        current = dict(obj.get("tags") or {})
        kept = {} if remove_all else {k: v for k, v in current.items() if k not in keys}
        if kept != current:
            obj["tags"] = kept
            cloud.store.put(KINDS[rtype], obj)
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
        raise CloudError("NumberExceed.Tags", f"The maximum number of Tags is exceeded. Valid : {tags.MAX_TAGS}", 400)
    if any(f.get("Value") and not f.get("Key") for f in filters):
        raise CloudError("InvalidParameter.TagValue", "A Tag.N.Value was given without its Tag.N.Key.", 400)
    if filters and tag_filter:
        raise CloudError("InvalidParameter", "Tag.N and TagFilter.N cannot be used together.", 400)
    kind = KINDS.get(rtype)
    objs = [o for o in cloud.store.all(kind) if o["region"] == region] if kind else []
    if ids:
        wanted = set(ids)
        objs = [o for o in objs if o["id"] in wanted]
    objs = [o for o in objs if tags.matches(o, filters)]
    for f in tag_filter:
        key = f.get("TagKey", "")
        values = Params(f).list("TagValues")
        objs = [o for o in objs if key in (o.get("tags") or {}) and _filter_values_match(o["tags"][key], values)]
    objs.sort(key=creation_order)
    pairs = [{"ResourceId": o["id"], "ResourceType": rtype, "TagKey": k, "TagValue": v}
             for o in objs for k, v in (o.get("tags") or {}).items()]
    chunk, meta = next_token_page(pairs, Params({k: v for k, v in p.raw.items() if k == "NextToken"}),
                                  default_size=LIST_PAGE, max_size=LIST_PAGE)
    return {**meta, "TagResources": {"TagResource": chunk}}
