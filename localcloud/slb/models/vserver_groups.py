"""CLB vServer groups: members (server, port, weight), the documented checks, listener binding, the answers.

A vServer group (kind `vserver_group`, id `rsp-...`) belongs to one load balancer and lists members keyed by
(ServerId, Port): one server may serve on several ports, as the CLB docs allow ("same ECS instance with
different port is allowed, but same ECS instance with same port isn't"). A listener bound to a group
forwards to the members, each on its own port (MODEL.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict, cast

from ...core import iso_seconds, new_id
from ...errors import MissingParameter
from ..exceptions import (
    BackendServerConfigConflict,
    BackendServerNumberOverLimit,
    InvalidBackendServers,
    NoBackendServerPort,
    RspoolVipExist,
    VipNotMatchRspool,
    VServerGroupNotFound,
    VServerGroupNumberOverLimit,
)
from . import backends
from .base import VSERVER_GROUP_KIND as KIND
from .base import get_lb, listeners_of, render_tags

if TYPE_CHECKING:
    from ...core import Cloud
    from .backends import BackendEntry
    from .listeners import Listener
    from .load_balancers import LoadBalancer

MAX_PER_CALL = backends.MAX_PER_CALL  # 20 servers per call (CreateVServerGroup / Add* docs)
MAX_GROUPS = 50  # per instance: the quota page names none; ours (CHOICES.md)
MAX_MEMBERS = 200  # per group: slb_quota_backendservers_num, 200 per instance (CLB quotas)


class Member(TypedDict):
    server_id: str
    port: int
    weight: int
    type: str
    description: str


class VServerGroup(TypedDict, total=False):
    """A vServer group as kept in the store (kind "vserver_group")."""

    id: str
    region: str
    load_balancer_id: str
    created: float
    tags: dict[str, str]
    name: str
    description: str
    backends: list[Member]


def find(cloud: Cloud, group_id: str | None) -> VServerGroup | None:
    return cast("VServerGroup | None", cloud.store.get(KIND, group_id or ""))


def get(cloud: Cloud, group_id: str | None, region: str | None = None) -> VServerGroup:
    group = find(cloud, group_id)
    if group is None or (region and group["region"] != region):
        raise VServerGroupNotFound()
    return group


def groups_of(cloud: Cloud, lb_id: str) -> list[VServerGroup]:
    return sorted(
        (cast(VServerGroup, g) for g in cloud.store.all(KIND) if g["load_balancer_id"] == lb_id),
        key=lambda g: (g["created"], g["id"]),
    )


def groups_in(cloud: Cloud, region: str) -> list[VServerGroup]:
    return [cast(VServerGroup, g) for g in cloud.store.all(KIND) if g["region"] == region]


def lb_of(cloud: Cloud, group: VServerGroup) -> LoadBalancer:
    return get_lb(cloud, group["load_balancer_id"])


# members -----------------------------------------------------------------------------------------
def live_members(cloud: Cloud, group: VServerGroup | None) -> list[Member]:
    """Members whose instance still exists: a released ECS instance leaves every group, as on the real SLB."""
    return [b for b in (group or {}).get("backends") or [] if cloud.store.get("instance", b["server_id"]) is not None]


def _check_servers(cloud: Cloud, lb: LoadBalancer, entries: list[BackendEntry]) -> None:
    """The checks AddBackendServers makes (running ECS instance of the region, the SLB's VPC), same codes."""
    backends.check_running(cloud, lb, entries)
    backends.check_network(cloud, lb, [e["server_id"] for e in entries])


def _key(b: Member | BackendEntry) -> tuple[str, int]:
    return b["server_id"], int(b["port"])


def _new_member(entry: BackendEntry) -> Member:
    return {
        "server_id": entry["server_id"],
        "port": entry["port"],
        "weight": entry.get("weight", 100),
        "type": entry.get("type", "ecs"),
        "description": entry.get("description", ""),
    }


def _store(cloud: Cloud, group: VServerGroup, members: list[Member]) -> None:
    if len(members) > MAX_MEMBERS:
        raise BackendServerNumberOverLimit(limit=MAX_MEMBERS)
    cloud.set_field(KIND, group, "backends", members)  # notifies the local runtime


def create_vserver_group(
    cloud: Cloud, lb: LoadBalancer, group_name: str | None, entries: list[BackendEntry], new_tags: dict[str, str]
) -> VServerGroup:
    if len(groups_of(cloud, lb["id"])) >= MAX_GROUPS:
        raise VServerGroupNumberOverLimit(limit=MAX_GROUPS)
    _check_servers(cloud, lb, entries)
    group: VServerGroup = {
        "id": new_id("rsp", lb["region"]),
        "region": lb["region"],
        "load_balancer_id": lb["id"],
        "created": cloud.clock.now(),
        "tags": new_tags,
        "name": group_name or "",
        "description": "",
        "backends": [],
    }
    cloud.store.put(KIND, group)
    _store(cloud, group, [_new_member(e) for e in entries])
    return group


def add_members(cloud: Cloud, group: VServerGroup, entries: list[BackendEntry]) -> None:
    """New (server, port) members; one already in the group is refused (CHOICES.md)."""
    _check_servers(cloud, lb_of(cloud, group), entries)
    current = {_key(b): b for b in live_members(cloud, group)}
    for entry in entries:
        if _key(entry) in current:
            raise BackendServerConfigConflict(server_id=entry["server_id"], port=entry["port"])
    _store(cloud, group, list(current.values()) + [_new_member(e) for e in entries])


def remove_members(cloud: Cloud, group: VServerGroup, entries: list[BackendEntry]) -> None:
    """Members not in the group are ignored, so a retried removal succeeds (as RemoveBackendServers)."""
    gone = {_key(e) for e in entries}
    _store(cloud, group, [b for b in live_members(cloud, group) if _key(b) not in gone])


def set_vserver_group_attribute(
    cloud: Cloud, group: VServerGroup, group_name: str | None, entries: list[BackendEntry]
) -> None:
    """SetVServerGroupAttribute: the name, and the weight (and description) of members already in the group."""
    if entries:
        current = {_key(b): b.copy() for b in live_members(cloud, group)}
        for entry in entries:
            if _key(entry) not in current:
                raise InvalidBackendServers(
                    f"The backend server {entry['server_id']} with port {entry['port']} is " "not in the vServer group."
                )
        for entry in entries:
            member = current[_key(entry)]
            if "weight" in entry:
                member["weight"] = entry["weight"]
            if "description" in entry:
                member["description"] = entry["description"]
        _store(cloud, group, list(current.values()))
    if group_name is not None:
        group["name"] = group_name
        cloud.store.put(KIND, group)


def replace_members(cloud: Cloud, group: VServerGroup, old: list[BackendEntry], new: list[BackendEntry]) -> None:
    """ModifyVServerGroupBackendServers: the old members leave and the new ones join, in one change."""
    lb = lb_of(cloud, group)
    current = {_key(b): b for b in live_members(cloud, group)}
    for entry in old:
        if _key(entry) not in current:
            raise InvalidBackendServers(
                f"The backend server {entry['server_id']} with port {entry['port']} in "
                "OldBackendServers is not in the vServer group."
            )
    _check_servers(cloud, lb, new)
    for key in [_key(e) for e in old]:
        current.pop(key, None)
    for entry in new:
        if _key(entry) in current:
            raise BackendServerConfigConflict(server_id=entry["server_id"], port=entry["port"])
        current[_key(entry)] = _new_member(entry)
    _store(cloud, group, list(current.values()))


def users(cloud: Cloud, group: VServerGroup) -> list[Listener]:
    return [x for x in listeners_of(cloud, group["load_balancer_id"]) if x.get("vserver_group_id") == group["id"]]


def delete_vserver_group(cloud: Cloud, group: VServerGroup) -> None:
    if users(cloud, group):
        raise RspoolVipExist()
    cloud.release(KIND, group)


def release_with_lb(cloud: Cloud, lb: LoadBalancer) -> None:
    """DeleteLoadBalancer removes the instance's vServer groups with it."""
    for group in groups_of(cloud, lb["id"]):
        cloud.release(KIND, group)


def check_binding(cloud: Cloud, listener: Listener) -> None:
    """A listener's VServerGroupId must name a group of the same load balancer."""
    group_id = listener.get("vserver_group_id")
    if not group_id:
        return
    group = find(cloud, group_id)
    if group is None or group["region"] != listener["region"]:
        raise VServerGroupNotFound()
    if group["load_balancer_id"] != listener["load_balancer_id"]:
        raise VipNotMatchRspool()


def apply_switch(cloud: Cloud, listener: Listener, switch: str | None, group_id_given: bool) -> None:
    """Set*ListenerAttribute: `VServerGroup=on` + `VServerGroupId` binds a group; `off` goes back to the default
    server group, which needs the listener's BackendServerPort (CHOICES.md)."""
    if switch == "on" and not group_id_given:
        raise MissingParameter(name="VServerGroupId")
    if switch == "off":
        if not listener.get("backend_port"):
            raise NoBackendServerPort()
        listener["vserver_group_id"] = ""
    check_binding(cloud, listener)


# answers -----------------------------------------------------------------------------------------
def render_members(cloud: Cloud, group: VServerGroup, with_ip: bool = False) -> dict[str, Any]:
    out = []
    for b in live_members(cloud, group):
        row: dict[str, Any] = {
            "ServerId": b["server_id"],
            "Port": int(b["port"]),
            "Weight": int(b["weight"]),
            "Type": b["type"],
            "Description": b["description"],
        }
        if with_ip:
            row["ServerIp"] = (cloud.store.get("instance", b["server_id"]) or {}).get("private_ip", "")
        out.append(row)
    return {"BackendServer": out}


def render_attribute(cloud: Cloud, group: VServerGroup) -> dict[str, Any]:
    return {
        "VServerGroupId": group["id"],
        "VServerGroupName": group["name"],
        "LoadBalancerId": group["load_balancer_id"],
        "CreateTime": iso_seconds(group["created"]),
        "Tags": {"Tag": render_tags(group)},
        "BackendServers": render_members(cloud, group, with_ip=True),
    }


def render_listing(cloud: Cloud, group: VServerGroup, include_listener: bool, include_rule: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "VServerGroupId": group["id"],
        "VServerGroupName": group["name"],
        "CreateTime": iso_seconds(group["created"]),
        "ServerCount": len(live_members(cloud, group)),
        "Tags": {"Tag": render_tags(group)},
    }
    if include_listener or include_rule:
        assoc: dict[str, Any] = {}
        if include_listener:
            assoc["Listeners"] = {
                "Listener": [{"Port": x["port"], "Protocol": x["protocol"]} for x in users(cloud, group)]
            }
        if include_rule:
            assoc["Rules"] = {"Rule": []}  # forwarding rules are not emulated
        out["AssociatedObjects"] = assoc
    return out
