"""CLB vServer groups: members (server, port, weight), the documented checks, listener binding, rendering.

A vServer group (kind `vserver_group`, id `rsp-...`) belongs to one load balancer and lists members keyed by
(ServerId, Port): one server may serve on several ports, as the CLB docs allow ("same ECS instance with
different port is allowed, but same ECS instance with same port isn't"). A listener bound to a group
forwards to the members, each on its own port (MODEL.md).
"""
from __future__ import annotations

import json
import re

from ..core import iso_seconds, new_id
from ..errors import CloudError, missing
from ..params import Params
from . import backends
from .common import get_lb, listeners_of, render_tags

KIND = "vserver_group"
MAX_PER_CALL = backends.MAX_PER_CALL       # 20 servers per call (CreateVServerGroup / Add* docs)
MAX_GROUPS = 50                            # per instance: the quota page names none; ours (CHOICES.md)
MAX_MEMBERS = 200                          # per group: slb_quota_backendservers_num, 200 per instance (CLB quotas)
_NAME = re.compile(r"^[\w\-/.\u4e00-\u9fff]{1,80}$")


def not_found() -> CloudError:
    # What DescribeVServerGroupAttribute and the listener APIs answer for an unknown group (Terraform matches
    # the message "The specified VServerGroupId does not exist").
    return CloudError("InvalidParameter", "The specified VServerGroupId does not exist.", 404)


def get(cloud, group_id: str | None, region: str | None = None) -> dict:
    group = cloud.store.get(KIND, group_id or "")
    if group is None or (region and group["region"] != region):
        raise not_found()
    return group


def groups_of(cloud, lb_id: str) -> list[dict]:
    return sorted((g for g in cloud.store.all(KIND) if g["load_balancer_id"] == lb_id),
                  key=lambda g: (g["created"], g["id"]))


def name(p: Params, required: bool = False) -> str | None:
    """VServerGroupName: 1-80 characters, letters, digits, hyphens, slashes, periods and underscores."""
    value = p.text("VServerGroupName", required=required)
    if value is not None and not _NAME.match(value):
        raise CloudError("InvalidParameter", 'The specified parameter "VServerGroupName" is not valid.', 400)
    return value


# members -----------------------------------------------------------------------------------------
def _port(item: dict) -> int:
    raw = item.get("Port")
    if raw in (None, ""):
        raise backends._invalid("Port is required.")
    try:
        number = int(raw)
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= 65535:
        raise backends._invalid("Port value should be in [1, 65535].")
    return number


def parse(p: Params, param: str = "BackendServers", required: bool = True, with_port: bool = True) -> list[dict]:
    """A BackendServers-style JSON list of {ServerId, Port, Weight, Type, Description}.

    The shared checks (JSON, at most 20, weight 0-100, type, description) are those of AddBackendServers;
    here every entry also needs a Port, and one (ServerId, Port) may appear once per request.
    """
    raw = p.text(param, required=required)
    if raw is None:
        return []
    try:
        items = json.loads(raw)
    except ValueError:
        try:
            items = json.loads(raw.replace("'", '"'))     # Terraform and the docs' samples use single quotes
        except ValueError:
            raise CloudError("BackendServersMalformed", f"The specified {param} is malformed.", 400) from None
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise backends._invalid()
    if len(items) > MAX_PER_CALL:
        raise CloudError("TooManyBackendServers",
                         f"The total number of input real servers exceeds max supported number: {MAX_PER_CALL}", 400)
    out, seen = [], set()
    for item in items:
        one = Params({"BackendServers": json.dumps([{k: v for k, v in item.items() if k != "Port"}])})
        (entry,) = backends.parse(one, required=True)
        if with_port:
            entry["port"] = _port(item)
        key = (entry["server_id"], entry.get("port"))
        if key in seen:
            raise backends._invalid(f"The backend server {key[0]} with port {key[1]} is given twice.")
        seen.add(key)
        out.append(entry)
    return out


def live_members(cloud, group: dict) -> list[dict]:
    """Members whose instance still exists: a released ECS instance leaves every group, as on the real SLB."""
    return [b for b in group.get("backends") or [] if cloud.store.get("instance", b["server_id"]) is not None]


def _check_servers(cloud, lb: dict, entries: list[dict]) -> None:
    """The checks AddBackendServers makes (running ECS instance of the region, the SLB's VPC), same codes."""
    for entry in entries:
        inst = backends._instance(cloud, lb, entry["server_id"])
        if entry.get("type", "ecs") == "ecs" and inst.get("status") != "Running":
            raise CloudError("ObtainIpFail", "Failed to obtain the IP address: some of the specified backend "
                                             "servers do not exist or are not running.", 400)
    backends._check_network(cloud, lb, [e["server_id"] for e in entries])


def _key(b: dict) -> tuple[str, int]:
    return b["server_id"], int(b["port"])


def _new_member(entry: dict) -> dict:
    return {"server_id": entry["server_id"], "port": entry["port"], "weight": entry.get("weight", 100),
            "type": entry.get("type", "ecs"), "description": entry.get("description", "")}


def _store(cloud, group: dict, members: list[dict]) -> None:
    if len(members) > MAX_MEMBERS:
        raise CloudError("BackendServerNumberOverLimit", f"A vServer group holds at most {MAX_MEMBERS} backend "
                                                         "servers.", 400)
    cloud.set_field(KIND, group, "backends", members)     # notifies the local runtime


def create(cloud, lb: dict, group_name: str | None, entries: list[dict], new_tags: dict) -> dict:
    if len(groups_of(cloud, lb["id"])) >= MAX_GROUPS:
        raise CloudError("VServerGroupNumberOverLimit", f"The number of vServer groups of the load balancer "
                                                        f"exceeds {MAX_GROUPS}.", 400)
    _check_servers(cloud, lb, entries)
    group_id = new_id("rsp", lb["region"])
    group = {"id": group_id, "region": lb["region"], "load_balancer_id": lb["id"], "created": cloud.clock.now(),
             "tags": new_tags, "name": group_name or "", "description": "", "backends": []}
    cloud.store.put(KIND, group)
    _store(cloud, group, [_new_member(e) for e in entries])
    return group


def add(cloud, lb: dict, group: dict, entries: list[dict]) -> None:
    """New (server, port) members; one already in the group is refused (CHOICES.md)."""
    _check_servers(cloud, lb, entries)
    current = {_key(b): b for b in live_members(cloud, group)}
    for entry in entries:
        if _key(entry) in current:
            raise CloudError("BackendServer.configConflict", f"The backend server {entry['server_id']} with port "
                                                             f"{entry['port']} is already in the vServer group.", 400)
    _store(cloud, group, list(current.values()) + [_new_member(e) for e in entries])


def remove(cloud, group: dict, entries: list[dict]) -> None:
    """Members not in the group are ignored, so a retried removal succeeds (as RemoveBackendServers)."""
    gone = {_key(e) for e in entries}
    _store(cloud, group, [b for b in live_members(cloud, group) if _key(b) not in gone])


def set_weights(cloud, group: dict, entries: list[dict]) -> None:
    """SetVServerGroupAttribute: weight (and description) of members already in the group."""
    current = {_key(b): dict(b) for b in live_members(cloud, group)}
    for entry in entries:
        if _key(entry) not in current:
            raise backends._invalid(f"The backend server {entry['server_id']} with port {entry['port']} is not "
                                    "in the vServer group.")
    for entry in entries:
        current[_key(entry)].update({k: v for k, v in entry.items() if k in ("weight", "description")})
    _store(cloud, group, list(current.values()))


def replace(cloud, lb: dict, group: dict, old: list[dict], new: list[dict]) -> None:
    """ModifyVServerGroupBackendServers: the old members leave and the new ones join, in one change."""
    current = {_key(b): b for b in live_members(cloud, group)}
    for entry in old:
        if _key(entry) not in current:
            raise backends._invalid(f"The backend server {entry['server_id']} with port {entry['port']} in "
                                    "OldBackendServers is not in the vServer group.")
    _check_servers(cloud, lb, new)
    for key in [_key(e) for e in old]:
        current.pop(key, None)
    for entry in new:
        if _key(entry) in current:
            raise CloudError("BackendServer.configConflict", f"The backend server {entry['server_id']} with port "
                                                             f"{entry['port']} is already in the vServer group.", 400)
        current[_key(entry)] = _new_member(entry)
    _store(cloud, group, list(current.values()))


def users(cloud, group: dict) -> list[dict]:
    return [x for x in listeners_of(cloud, group["load_balancer_id"]) if x.get("vserver_group_id") == group["id"]]


def delete(cloud, group: dict) -> None:
    if users(cloud, group):
        # DeleteVServerGroup: a group a listener uses cannot be deleted (documented 400 RspoolVipExist).
        raise CloudError("RspoolVipExist", "there are vips associating with this vServer group.", 400)
    cloud.release(KIND, group)


def release_with_lb(cloud, lb: dict) -> None:
    """DeleteLoadBalancer removes the instance's vServer groups with it."""
    for group in groups_of(cloud, lb["id"]):
        cloud.release(KIND, group)


def check_binding(cloud, listener: dict) -> None:
    """A listener's VServerGroupId must name a group of the same load balancer."""
    group_id = listener.get("vserver_group_id")
    if not group_id:
        return
    group = cloud.store.get(KIND, group_id)
    if group is None or group["region"] != listener["region"]:
        raise not_found()
    if group["load_balancer_id"] != listener["load_balancer_id"]:
        # Documented listener error for a group of another instance (CLB common error codes).
        raise CloudError("VipNotMatchRspool", "The specified VServerGroupId does not belong to the load "
                                              "balancer of the listener.", 400)


def apply_switch(cloud, listener: dict, p: Params) -> None:
    """Set*ListenerAttribute: `VServerGroup=on` + `VServerGroupId` binds a group; `off` goes back to the default
    server group, which needs the listener's BackendServerPort (CHOICES.md)."""
    switch = p.text("VServerGroup", choices=("on", "off"))
    if switch == "on" and not p.text("VServerGroupId"):
        raise missing("VServerGroupId")
    if switch == "off":
        if not listener.get("backend_port"):
            raise CloudError("InvalidParameter", "The listener has no BackendServerPort: it cannot leave its "
                                                 "vServer group.", 400)
        listener["vserver_group_id"] = ""
    check_binding(cloud, listener)


# rendering ---------------------------------------------------------------------------------------
def render_members(cloud, group: dict, with_ip: bool = False) -> dict:
    out = []
    for b in live_members(cloud, group):
        row = {"ServerId": b["server_id"], "Port": int(b["port"]), "Weight": int(b["weight"]), "Type": b["type"],
               "Description": b["description"]}
        if with_ip:
            row["ServerIp"] = (cloud.store.get("instance", b["server_id"]) or {}).get("private_ip", "")
        out.append(row)
    return {"BackendServer": out}


def render_attribute(cloud, group: dict) -> dict:
    return {"VServerGroupId": group["id"], "VServerGroupName": group["name"],
            "LoadBalancerId": group["load_balancer_id"], "CreateTime": iso_seconds(group["created"]), "Tags": {"Tag": render_tags(group)},
            "BackendServers": render_members(cloud, group, with_ip=True)}


def render_listing(cloud, group: dict, include_listener: bool, include_rule: bool) -> dict:
    out = {"VServerGroupId": group["id"], "VServerGroupName": group["name"],
           "CreateTime": iso_seconds(group["created"]), "ServerCount": len(live_members(cloud, group)),
           "Tags": {"Tag": render_tags(group)}}
    if include_listener or include_rule:
        assoc = {}
        if include_listener:
            assoc["Listeners"] = {"Listener": [{"Port": x["port"], "Protocol": x["protocol"]}
                                               for x in users(cloud, group)]}
        if include_rule:
            assoc["Rules"] = {"Rule": []}          # forwarding rules are not emulated
        out["AssociatedObjects"] = assoc
    return out


def lb_of(cloud, group: dict) -> dict:
    return get_lb(cloud, group["load_balancer_id"])

