"""SLB tags: TagResources / UntagResources / ListTagResources on instances and listeners ({TagKey, TagValue})."""
from __future__ import annotations

from .. import tags
from ..core import action
from ..errors import CloudError
from ..params import Params
from . import common, vserver_groups
from .common import LB_KIND, LISTENER_KIND, MAX_TAGS

MAX_RESOURCES = 20
# Documented resource types; instances, listeners and vServer groups are emulated, the others never exist here.
TYPES = ("instance", "certificate", "acl", "listener", "vservergroup", "masterslaveservergroup")


def _type(p: Params) -> str:
    return p.text("ResourceType", required=True, choices=TYPES)


def _ids(p: Params, required: bool) -> list[str]:
    return tags.resource_ids(p, required, MAX_RESOURCES, CloudError(
        "InvalidParameter", f'The specified parameter "ResourceId.N" is not valid: at most {MAX_RESOURCES} '
                            "resources are allowed.", 400))


def listener_resource_id(listener: dict) -> str:
    """A listener's tag id is `<LoadBalancerId>_<protocol>_<port>` (TagResources ResourceId docstring)."""
    return f"{listener['load_balancer_id']}_{listener['protocol']}_{listener['port']}"


def _find(cloud, region: str, rtype: str, rid: str) -> tuple[str, dict]:
    if rtype == "instance":
        return LB_KIND, common.get_lb(cloud, rid, region)
    if rtype == "listener":
        lb_id, _, rest = rid.partition("_")
        protocol, _, port = rest.partition("_")
        found = cloud.store.get(LISTENER_KIND, common.listener_id(lb_id, port))
        if found is None or found["region"] != region or found["protocol"] != protocol:
            raise CloudError("ListenerNotFound",
                             "You have not created a listener for the specified port of the load balancer.", 404)
        return LISTENER_KIND, found
    if rtype == "vservergroup":
        return vserver_groups.KIND, vserver_groups.get(cloud, rid, region)
    raise CloudError("InvalidParameter", "The specified resource does not exist.", 400)


@action("slb", "TagResources")
def tag_resources(cloud, p: Params) -> dict:
    region = cloud.region(p)
    rtype = _type(p)
    ids = _ids(p, required=True)
    new = common.parse_tags(p, required=True)
    found = [_find(cloud, region, rtype, rid) for rid in ids]
    tags.add_to_each(cloud, found, new, CloudError("TagCountLimit", "Tags count limit exceeded.", 400))
    return {}


@action("slb", "UntagResources")
def untag_resources(cloud, p: Params) -> dict:
    region = cloud.region(p)
    rtype = _type(p)
    ids = _ids(p, required=True)
    keys = p.items("TagKey")
    if len(keys) > MAX_TAGS:
        raise CloudError("InvalidParameter", 'The specified parameter "TagKey.N" is not valid: at most 20 keys.', 400)
    tags.remove_from_each(cloud, [_find(cloud, region, rtype, rid) for rid in ids], p, keys)
    return {}


@action("slb", "ListTagResources")
def list_tag_resources(cloud, p: Params) -> dict:
    region = cloud.region(p)
    rtype = _type(p)
    ids = _ids(p, required=False)
    if len(p.struct_list("Tag")) > MAX_TAGS:
        raise CloudError("InvalidParameter", 'The specified parameter "Tag" is not valid.', 400)
    if rtype == "instance":
        objs = [(lb["id"], lb) for lb in cloud.store.all(LB_KIND) if lb["region"] == region]
    elif rtype == "listener":
        objs = [(listener_resource_id(x), x) for x in cloud.store.all(LISTENER_KIND) if x["region"] == region]
    elif rtype == "vservergroup":
        objs = [(g["id"], g) for g in cloud.store.all(vserver_groups.KIND) if g["region"] == region]
    else:
        objs = []
    if ids:
        objs = [(rid, o) for rid, o in objs if rid in ids]
    keep = {id(o) for o in common.tag_filter([o for _, o in objs], p)}
    objs = sorted(((rid, o) for rid, o in objs if id(o) in keep), key=lambda pair: (pair[1]["created"], pair[0]))
    return tags.tag_resource_page(p, objs, rtype)
