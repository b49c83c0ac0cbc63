"""CreatePrefixList, DescribePrefixLists and DeletePrefixList: parameters in, JSON out."""

from __future__ import annotations

import ipaddress

from ... import tags
from ...core import action, iso_seconds
from ...params import Params
from ..exceptions import InvalidParamAddressFamily, InvalidParamCidr, InvalidParamMaxEntries, InvalidParamPrefixListName
from ..models import prefix_lists as models
from ..models.common import RESOURCE_GROUP, check_description, check_name, creation_order
from .common import parse_tags, tag_filters, token_page


@action("ecs", "CreatePrefixList")
def create_prefix_list(cloud, p: Params) -> dict:
    region = cloud.region(p)

    def create():
        family = p.text("AddressFamily", required=True)
        if family not in ("IPv4", "IPv6"):
            raise InvalidParamAddressFamily()
        name = p.text("PrefixListName", required=True)
        check_name(name, InvalidParamPrefixListName, "PrefixListName")
        description = p.text("Description")
        check_description(description)
        max_entries = p.integer("MaxEntries", required=True)
        if not 1 <= max_entries <= models.MAX_ENTRIES:
            raise InvalidParamMaxEntries()
        entries = []
        for n, entry in enumerate(p.struct_list("Entry"), 1):
            try:
                net = ipaddress.ip_network(entry.get("Cidr", ""), strict=False)
            except ValueError:
                net = None
            if net is None or net.version != (4 if family == "IPv4" else 6):
                raise InvalidParamCidr(n=n)
            entries.append({"cidr": str(net), "description": entry.get("Description", "")})
        pl = models.create_prefix_list(
            cloud,
            region,
            name=name,
            description=description or "",
            family=family,
            max_entries=max_entries,
            entries=entries,
            tags=parse_tags(p),
            resource_group_id=p.text("ResourceGroupId", default=RESOURCE_GROUP),
        )
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
    return {
        **meta,
        "PrefixLists": {
            "PrefixList": [
                {
                    "PrefixListId": pl["id"],
                    "PrefixListName": pl["name"],
                    "AddressFamily": pl["family"],
                    "MaxEntries": pl["max_entries"],
                    "Description": pl["description"],
                    "CreationTime": iso_seconds(pl["created"]),
                    "AssociationCount": len(models.associations(cloud, pl["id"])),
                    "ResourceGroupId": pl["resource_group_id"],
                    "Tags": tags.render(pl),
                }
                for pl in chunk
            ]
        },
    }


@action("ecs", "DeletePrefixList")
def delete_prefix_list(cloud, p: Params) -> dict:
    models.delete_prefix_list(cloud, cloud.region(p), p.text("PrefixListId", required=True) or "")
    return {}
