"""ECS prefix lists (CreatePrefixList, DescribePrefixLists, DeletePrefixList): sets of CIDR blocks a security
group rule can name as its source (SourcePrefixListId) or destination (DestPrefixListId)."""
from __future__ import annotations

import ipaddress

from .. import tags
from ..core import action, iso_seconds, new_id
from ..errors import CloudError
from ..params import Params
from .common import RESOURCE_GROUP, check_description, check_name, creation_order, parse_tags, tag_filters, token_page

MAX_ENTRIES = 200       # MaxEntries: 1-200 (CreatePrefixList docs)


def get_prefix_list(cloud, pl_id: str, region: str) -> dict:
    found = cloud.store.get("prefix_list", pl_id) if pl_id else None
    if found is None or found["region"] != region:
        raise CloudError("InvalidPrefixListId.NotFound", "The specified prefix list was not found.", 404)
    return found


def associations(cloud, pl_id: str) -> list[str]:
    """Security groups with a rule naming the prefix list."""
    return [g["id"] for g in cloud.store.all("security_group")
            if any(pl_id in (r.get("source_prefix_list_id"), r.get("dest_prefix_list_id")) for r in g["rules"])]


@action("ecs", "CreatePrefixList")
def create_prefix_list(cloud, p: Params) -> dict:
    region = cloud.region(p)

    def create():
        family = p.text("AddressFamily", required=True)
        if family not in ("IPv4", "IPv6"):
            raise CloudError("InvalidParam.AddressFamily", 'The specified parameter "AddressFamily" is not valid.', 400)
        name = p.text("PrefixListName", required=True)
        check_name(name, "InvalidParam.PrefixListName", "PrefixListName")
        description = p.text("Description")
        check_description(description)
        max_entries = p.integer("MaxEntries", required=True)
        if not 1 <= max_entries <= MAX_ENTRIES:
            raise CloudError("InvalidParam.MaxEntries", 'The specified parameter "MaxEntries" is not valid.', 400)
        entries = []
        for n, entry in enumerate(p.struct_list("Entry"), 1):
            try:
                net = ipaddress.ip_network(entry.get("Cidr", ""), strict=False)
            except ValueError:
                net = None
            if net is None or net.version != (4 if family == "IPv4" else 6):
                raise CloudError("InvalidParam.Cidr", f'The specified parameter "Entry.{n}.Cidr" is not valid.', 400)
            entries.append({"cidr": str(net), "description": entry.get("Description", "")})
        if len(entries) > max_entries:
            raise CloudError("InvalidParam.EntryCount", "The number of entries exceeds MaxEntries.", 400)
        pl = {"id": new_id("pl", region), "region": region, "name": name, "description": description or "",
              "family": family, "max_entries": max_entries, "entries": entries, "created": cloud.clock.now(),
              "tags": parse_tags(p), "resource_group_id": p.text("ResourceGroupId", default=RESOURCE_GROUP)}
        cloud.store.put("prefix_list", pl)
        return {"PrefixListId": pl["id"]}

    return cloud.idempotent("ecs", "CreatePrefixList", p, create)


@action("ecs", "DescribePrefixLists")
def describe_prefix_lists(cloud, p: Params) -> dict:
    region = cloud.region(p)
    found = [pl for pl in cloud.store.all("prefix_list") if pl["region"] == region]
    ids = p.items("PrefixListId")
    if ids:
        found = [pl for pl in found if pl["id"] in ids]
    for param, fld in (("AddressFamily", "family"), ("PrefixListName", "name")):
        value = p.text(param)
        if value is not None:
            found = [pl for pl in found if pl[fld] == value]
    filters = tag_filters(p)
    found = sorted((pl for pl in found if tags.matches(pl, filters)), key=creation_order)
    chunk, meta = token_page(found, p, default=10, low=1, high=100)
    return {**meta, "PrefixLists": {"PrefixList": [{
        "PrefixListId": pl["id"], "PrefixListName": pl["name"], "AddressFamily": pl["family"],
        "MaxEntries": pl["max_entries"], "Description": pl["description"], "CreationTime": iso_seconds(pl["created"]),
        "AssociationCount": len(associations(cloud, pl["id"])), "ResourceGroupId": pl["resource_group_id"],
        "Tags": tags.render(pl)} for pl in chunk]}}


@action("ecs", "DeletePrefixList")
def delete_prefix_list(cloud, p: Params) -> dict:
    region = cloud.region(p)
    pl = get_prefix_list(cloud, p.text("PrefixListId", required=True), region)
    if associations(cloud, pl["id"]):
        # Our choice of code: a prefix list a rule still names cannot be deleted (the docs say so, no code given).
        raise CloudError("DependencyViolation.PrefixList", "The prefix list is associated with security groups.",
                         403)
    cloud.release("prefix_list", pl)
    return {}
