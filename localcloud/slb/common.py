"""Shared SLB pieces: lookups with the documented not-found codes, parameter checks, tags, local addresses."""
from __future__ import annotations

import ipaddress
import random
import threading

from .. import tags
from ..errors import CloudError, missing
from ..params import Params

LB_KIND = "load_balancer"
LISTENER_KIND = "listener"
MAX_TAGS = tags.MAX_TAGS
# localcloud hands out load balancer addresses from 127.88.0.0/16 so that an endpoint is reachable on
# this machine (MODEL.md); the real cloud gives a public or a VPC address.
ADDRESS_NET = ipaddress.IPv4Network("127.88.0.0/16")
_cursor_lock = threading.Lock()
# Each process starts at a random point of the range, so emulators running side by side on one machine
# (tests, CI jobs) rarely hand out the same address.
_last_index = random.randrange(ADDRESS_NET.num_addresses - 2)


def lb_not_found() -> CloudError:
    return CloudError("InvalidLoadBalancerId.NotFound", "The specified LoadBalancerId does not exist.", 404)


def get_lb(cloud, lb_id: str | None, region: str | None = None) -> dict:
    lb = cloud.store.get(LB_KIND, lb_id or "")
    if lb is None or (region and lb["region"] != region):
        raise lb_not_found()
    return lb


def listener_id(lb_id: str, port: int) -> str:
    return f"{lb_id}:{port}"


def listeners_of(cloud, lb_id: str) -> list[dict]:
    return sorted((x for x in cloud.store.all(LISTENER_KIND) if x["load_balancer_id"] == lb_id),
                  key=lambda x: x["port"])


def visible(cloud, listener: dict) -> bool:
    """Whether reads see this listener yet: fault injection (`read_lag`) can hide a new listener for a
    while, as the real API may not list one at once (Terraform retries an empty DescribeSlbListener)."""
    faults = getattr(cloud, "faults", None)
    lag = faults.lag(LISTENER_KIND) if faults is not None else 0.0
    return lag <= 0 or cloud.clock.now() >= listener.get("created", 0) + lag


def visible_listeners_of(cloud, lb_id: str) -> list[dict]:
    return [x for x in listeners_of(cloud, lb_id) if visible(cloud, x)]


def lb_from_params(cloud, p: Params) -> dict:
    """`LoadBalancerId` (required) with the optional `RegionId` most SLB actions take."""
    region = cloud.region(p, required=False)
    return get_lb(cloud, p.text("LoadBalancerId", required=True), region)


def port(p: Params, name: str, required: bool = False) -> int | None:
    """A port 1-65535; the documented message for a bad one is "The specified port is not valid."."""
    value = p.raw.get(name)
    if value is None or value == "":
        if required:
            raise missing(name)
        return None
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number <= 65535:
        raise CloudError("InvalidParameter", "The specified port is not valid.", 400)
    return number


def text(p: Params, name: str, limit: int, required: bool = False) -> str | None:
    value = p.text(name, required=required)
    if value is not None and len(value) > limit:
        raise CloudError("InvalidParameter", f'The specified parameter "{name}" is not valid.', 400)
    return value


def id_list(p: Params, name: str, limit: int) -> list[str]:
    """`Name.N` as the new SDK sends lists, or a comma-separated `Name` as the docs describe."""
    items = p.items(name)
    if not items and p.text(name):
        items = [i.strip() for i in p.text(name).split(",") if i.strip()]
    if len(items) > limit:
        raise CloudError("InvalidParameter", f'The specified parameter "{name}" is not valid: at most '
                                             f"{limit} items are allowed.", 400)
    return items


# tags (SLB: keys 1-64 characters, values up to 128; rendered as {TagKey, TagValue}) -----------
def parse_tags(p: Params, name: str = "Tag", required: bool = False) -> dict[str, str]:
    entries = p.struct_list(name)
    if required and not entries:
        raise missing(f"{name}.N.Key")
    if len(entries) > MAX_TAGS:
        raise CloudError("TagCreateCountLimit", "The number of tags in one request exceeds 20.", 400)
    out: dict[str, str] = {}
    for entry in entries:
        key, value = entry.get("Key", ""), entry.get("Value", "")
        if not key or len(key) > 64 or tags.reserved(key):
            raise CloudError("InvalidParameter", f'The specified parameter "{name}.N.Key" is not valid.', 400)
        if len(value) > 128 or tags.reserved(value):
            raise CloudError("InvalidParameter", f'The specified parameter "{name}.N.Value" is not valid.', 400)
        out[key] = value
    return out


def render_tags(obj: dict) -> list[dict]:
    return [{"TagKey": k, "TagValue": v} for k, v in (obj.get("tags") or {}).items()]


def tag_filter(objs: list[dict], p: Params) -> list[dict]:
    """`Tag.N` filters on Describe*: every given key must be present, with the value when one is given."""
    filters = p.struct_list("Tag")
    if len(filters) > MAX_TAGS:
        raise CloudError("InvalidParameter", 'The specified parameter "Tag" is not valid.', 400)
    return [obj for obj in objs if tags.matches(obj, filters)]


# addresses -------------------------------------------------------------------------------------
def allocate_address(cloud) -> str:
    """The next free address of 127.88.0.0/16, never one held by a live load balancer.

    A cursor walks the range so a released address is not handed out again until the range wraps. The cursor is
    kept in the store (it survives a restart) and in this process (a reset, or a second emulator in the same
    process, does not hand out an address whose local listener may still be winding down).
    """
    global _last_index
    used = {lb.get("address") for lb in cloud.store.all(LB_KIND)}
    size = ADDRESS_NET.num_addresses - 2          # .0.0 and .255.255 are left out
    with _cursor_lock:
        cursor = max(int(cloud.store.meta("slb:address_cursor", 0)), _last_index)
        for step in range(1, size + 1):
            index = (cursor + step - 1) % size + 1
            address = str(ADDRESS_NET[index])
            if address not in used:
                _last_index = index
                cloud.store.set_meta("slb:address_cursor", index)
                return address
    raise CloudError("InsufficientCapacity", "There is no free address left for a load balancer.", 400)
