"""ECS prefix lists: sets of CIDR blocks a security group rule can name as its source (SourcePrefixListId) or
destination (DestPrefixListId); CreatePrefixList, DeletePrefixList and the lookups the rules use."""

from __future__ import annotations

from typing import TypedDict

from ...core import new_id
from ..exceptions import DependencyViolationPrefixList, InvalidParamEntryCount, InvalidPrefixListIdNotFound


class PrefixListEntry(TypedDict):
    cidr: str
    description: str


class PrefixList(TypedDict):
    """A prefix list as kept in the store (kind "prefix_list")."""

    id: str
    region: str
    name: str
    description: str
    family: str  # IPv4 | IPv6
    max_entries: int
    entries: list[PrefixListEntry]
    created: float
    tags: dict[str, str]
    resource_group_id: str


MAX_ENTRIES = 200  # MaxEntries: 1-200 (CreatePrefixList docs)


def get_prefix_list(cloud, pl_id: str, region: str) -> PrefixList:
    found = cloud.store.get("prefix_list", pl_id) if pl_id else None
    if found is None or found["region"] != region:
        raise InvalidPrefixListIdNotFound()
    return found


def associations(cloud, pl_id: str) -> list[str]:
    """Security groups with a rule naming the prefix list."""
    return [
        g["id"]
        for g in cloud.store.all("security_group")
        if any(pl_id in (r.get("source_prefix_list_id"), r.get("dest_prefix_list_id")) for r in g["rules"])
    ]


def create_prefix_list(
    cloud,
    region: str,
    *,
    name: str,
    description: str,
    family: str,
    max_entries: int,
    entries: list[PrefixListEntry],
    tags: dict[str, str],
    resource_group_id: str,
) -> PrefixList:
    if len(entries) > max_entries:
        raise InvalidParamEntryCount()
    pl: PrefixList = {
        "id": new_id("pl", region),
        "region": region,
        "name": name,
        "description": description,
        "family": family,
        "max_entries": max_entries,
        "entries": entries,
        "created": cloud.clock.now(),
        "tags": tags,
        "resource_group_id": resource_group_id,
    }
    cloud.store.put("prefix_list", pl)
    return pl


def delete_prefix_list(cloud, region: str, pl_id: str) -> None:
    pl = get_prefix_list(cloud, pl_id, region)
    if associations(cloud, pl["id"]):
        # Our choice of code: a prefix list a rule still names cannot be deleted (the docs say so, no code given).
        raise DependencyViolationPrefixList()
    cloud.release("prefix_list", pl)
