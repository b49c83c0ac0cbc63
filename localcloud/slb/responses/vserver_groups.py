"""CLB vServer group actions: create, describe, change members and weights, delete."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ...core import action
from ...errors import InvalidParameter
from ...params import Params
from .. import responses as wire
from ..exceptions import InvalidBackendServers
from ..models import vserver_groups as vsg
from ..models.backends import BackendEntry
from .backends import entry, json_items

if TYPE_CHECKING:
    from ...core import Cloud

_NAME = re.compile(r"^[\w\-/.\u4e00-\u9fff]{1,80}$")


def _name(p: Params, required: bool = False) -> str | None:
    """VServerGroupName: 1-80 characters, letters, digits, hyphens, slashes, periods and underscores."""
    value = p.text("VServerGroupName", required=required)
    if value is not None and not _NAME.match(value):
        raise InvalidParameter("VServerGroupName")
    return value


def _port(item: dict[str, Any]) -> int:
    raw = item.get("Port")
    if raw is None or raw == "":
        raise InvalidBackendServers("Port is required.")
    try:
        number = int(raw)
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= 65535:
        raise InvalidBackendServers("Port value should be in [1, 65535].")
    return number


def parse(p: Params, param: str = "BackendServers", required: bool = True) -> list[BackendEntry]:
    """A BackendServers-style JSON list of {ServerId, Port, Weight, Type, Description}.

    The shared checks (JSON, at most 20, weight 0-100, type, description) are those of AddBackendServers;
    here every entry also needs a Port, and one (ServerId, Port) may appear once per request.
    """
    out: list[BackendEntry] = []
    seen: set[tuple[str, int]] = set()
    for item in json_items(p, param, required):
        one = entry({k: v for k, v in item.items() if k != "Port"})
        one["port"] = _port(item)
        key = (one["server_id"], one["port"])
        if key in seen:
            raise InvalidBackendServers(f"The backend server {key[0]} with port {key[1]} is given twice.")
        seen.add(key)
        out.append(one)
    return out


def _group(cloud: Cloud, p: Params) -> vsg.VServerGroup:
    region = cloud.region(p, required=False)
    return vsg.get(cloud, p.text("VServerGroupId", required=True), region)


def _echo(cloud: Cloud, group: vsg.VServerGroup) -> dict[str, Any]:
    """What Create/Add/Remove/Set/Modify answer: the group id and its members (Port and Weight as numbers)."""
    return {"VServerGroupId": group["id"], "BackendServers": vsg.render_members(cloud, group)}


@action("slb", "CreateVServerGroup")
def create_vserver_group(cloud: Cloud, p: Params) -> dict[str, Any]:
    lb = wire.lb_from_params(cloud, p)
    group_name = _name(p)
    entries = parse(p, required=False)
    group = vsg.create_vserver_group(cloud, lb, group_name, entries, wire.parse_tags(p))
    return _echo(cloud, group)


@action("slb", "DescribeVServerGroups")
def describe_vserver_groups(cloud: Cloud, p: Params) -> dict[str, Any]:
    lb = wire.lb_from_params(cloud, p)
    groups = vsg.groups_of(cloud, lb["id"])
    description = p.text("Description")
    if description:  # "The name of the vServer group" (the SDK docstring of Description)
        groups = [g for g in groups if g["name"] == description]
    groups = wire.tag_filter(groups, p)
    include_listener = bool(p.flag("IncludeListener", default=False))
    include_rule = bool(p.flag("IncludeRule", default=False))
    return {
        "VServerGroups": {
            "VServerGroup": [vsg.render_listing(cloud, g, include_listener, include_rule) for g in groups]
        }
    }


@action("slb", "DescribeVServerGroupAttribute")
def describe_vserver_group_attribute(cloud: Cloud, p: Params) -> dict[str, Any]:
    return vsg.render_attribute(cloud, _group(cloud, p))


@action("slb", "AddVServerGroupBackendServers")
def add_vserver_group_backend_servers(cloud: Cloud, p: Params) -> dict[str, Any]:
    group = _group(cloud, p)
    vsg.add_members(cloud, group, parse(p))
    return _echo(cloud, group)


@action("slb", "RemoveVServerGroupBackendServers")
def remove_vserver_group_backend_servers(cloud: Cloud, p: Params) -> dict[str, Any]:
    group = _group(cloud, p)
    vsg.remove_members(cloud, group, parse(p))
    return _echo(cloud, group)


@action("slb", "SetVServerGroupAttribute")
def set_vserver_group_attribute(cloud: Cloud, p: Params) -> dict[str, Any]:
    """The group's name and the weights of members it already has; nothing is added or removed."""
    group = _group(cloud, p)
    group_name = _name(p)
    vsg.set_vserver_group_attribute(cloud, group, group_name, parse(p, required=False))
    return {**_echo(cloud, group), "VServerGroupName": group["name"]}


@action("slb", "ModifyVServerGroupBackendServers")
def modify_vserver_group_backend_servers(cloud: Cloud, p: Params) -> dict[str, Any]:
    group = _group(cloud, p)
    old = parse(p, "OldBackendServers", required=False)
    new = parse(p, "NewBackendServers", required=False)
    vsg.replace_members(cloud, group, old, new)
    return _echo(cloud, group)


@action("slb", "DeleteVServerGroup")
def delete_vserver_group(cloud: Cloud, p: Params) -> dict[str, Any]:
    vsg.delete_vserver_group(cloud, _group(cloud, p))
    return {}
