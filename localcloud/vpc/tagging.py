"""VPC-family tags: Tag.N on creates, TagResources / UnTagResources / ListTagResources (2016-04-28)."""
from __future__ import annotations

from .. import tags
from ..core import action
from ..errors import CloudError, missing
from ..params import Params

MAX_TAGS = tags.MAX_TAGS  # tags per resource (VPC TagResources help page)
MAX_RESOURCES = 50       # ResourceId.N per call
MAX_LEN = 128

# ResourceType is case-insensitive (ListTagResources help page). The kinds we emulate, and the other
# documented types, which are valid names whose resources simply never exist here.
KINDS = {"VPC": "vpc", "VSWITCH": "vswitch"}
OTHER_TYPES = {"ROUTETABLE", "EIP", "VPNGATEWAY", "NATGATEWAY", "COMMONBANDWIDTHPACKAGE", "PREFIXLIST",
               "IPV4GATEWAY", "IPV6GATEWAY", "NETWORKACL", "TRAFFICMIRRORFILTER", "TRAFFICMIRRORSESSION",
               "FLOWLOG", "DHCPOPTIONSSET", "HAVIP", "GATEWAYENDPOINT", "CUSTOMERGATEWAY"}


def _bad_text(text: str) -> bool:
    return len(text) > MAX_LEN or tags.reserved(text)


def check_key(key: str) -> None:
    if key == "":
        raise CloudError("MissingParam.TagKey", "The param of TagKey is missing.", 400)
    if _bad_text(key):
        raise CloudError("IllegalParam.TagKey", f"The param of {key} is illegal.", 400)


def parse_tags(p: Params, name: str = "Tag", required: bool = False) -> dict[str, str]:
    """`Tag.N.Key`/`Tag.N.Value` with the VPC product's codes; keys must be unique within the call."""
    entries = p.struct_list(name)
    if required and not entries:
        raise missing(f"{name}.N.Key")
    if len(entries) > MAX_TAGS:
        raise CloudError("SizeLimitExceeded.TagNum", "The maximum number of tags is exceeded.", 400)
    out: dict[str, str] = {}
    for entry in entries:
        key, value = entry.get("Key", ""), entry.get("Value", "")
        check_key(key)
        if _bad_text(value):
            raise CloudError("IllegalParam.TagValue", f"The param of {value} is illegal.", 400)
        if key in out:
            raise CloudError("Forbidden.TagKey.Duplicated", "The specified tag key already exists.", 400)
        out[key] = value
    return out


def _kind(p: Params) -> tuple[str, str | None]:
    """(canonical ResourceType, store kind or None for a documented type we do not emulate)."""
    rtype = p.text("ResourceType", required=True).upper()
    if rtype in KINDS:
        return rtype, KINDS[rtype]
    if rtype in OTHER_TYPES:
        return rtype, None
    raise CloudError("InvalidParameter", 'The specified parameter "ResourceType" is not valid.', 400)


def _resource_ids(p: Params, required: bool) -> list[str]:
    return tags.resource_ids(p, required, MAX_RESOURCES, CloudError(
        "SizeLimitExceeded.ResourceId", "The maximum number of resource IDs is exceeded.", 400))


def _not_found(rid: str) -> CloudError:
    return CloudError("ResourceNotFound.VPC", f"The specified resource of {rid} is not found.", 404)


@action("vpc", "TagResources")
def tag_resources(cloud, p: Params) -> dict:
    region = cloud.region(p)
    _, kind = _kind(p)
    ids = _resource_ids(p, required=True)
    new = parse_tags(p, required=True)
    tags.add_to_each(cloud, tags.in_region(cloud, kind, region, ids, _not_found), new,
                     CloudError("QuotaExceeded.TagNum", "Custom Tags quota exceeded.", 400))
    return {}


@action("vpc", "UnTagResources")
def untag_resources(cloud, p: Params) -> dict:
    region = cloud.region(p)
    _, kind = _kind(p)
    ids = _resource_ids(p, required=True)
    keys = p.items("TagKey")
    if len(keys) > MAX_TAGS:
        raise CloudError("SizeLimitExceeded.TagNum", "The maximum number of tags is exceeded.", 400)
    tags.remove_from_each(cloud, tags.in_region(cloud, kind, region, ids, _not_found), p, keys)
    return {}


@action("vpc", "ListTagResources")
def list_tag_resources(cloud, p: Params) -> dict:
    region = cloud.region(p)
    rtype, kind = _kind(p)
    ids = _resource_ids(p, required=False)
    filters = p.struct_list("Tag")
    if len(filters) > MAX_TAGS:
        raise CloudError("SizeLimitExceeded.TagNum", "The maximum number of tags is exceeded.", 400)
    for f in filters:
        check_key(f.get("Key", ""))     # a Tag.N.Value without its key is refused
    if not ids and not filters:
        raise CloudError("BothEmpty.TagsAndResources",
                         "The specified Tags and ResourcesIds are not allow to both empty.", 403)
    objs = [o for o in cloud.store.all(kind) if o["region"] == region] if kind else []
    if ids:
        objs = [o for o in objs if o["id"] in ids]
    objs = [o for o in objs if tags.matches(o, filters)]  # a key without a value matches any value
    objs.sort(key=lambda o: (o["created"], o["id"]))
    return tags.tag_resource_page(p, [(o["id"], o) for o in objs], rtype)
