"""SLB 2014-05-15 vServer group actions: create, describe, change members and weights, delete."""
from __future__ import annotations

from ..core import action
from ..params import Params
from . import common, vserver_groups as vsg


def _group(cloud, p: Params) -> dict:
    region = cloud.region(p, required=False)
    return vsg.get(cloud, p.text("VServerGroupId", required=True), region)


def _echo(cloud, group: dict) -> dict:
    """What Create/Add/Remove/Set/Modify answer: the group id and its members (Port and Weight as numbers)."""
    return {"VServerGroupId": group["id"], "BackendServers": vsg.render_members(cloud, group)}


@action("slb", "CreateVServerGroup")
def create_vserver_group(cloud, p: Params) -> dict:
    lb = common.lb_from_params(cloud, p)
    group_name = vsg.name(p)
    entries = vsg.parse(p, required=False)
    group = vsg.create(cloud, lb, group_name, entries, common.parse_tags(p))
    return _echo(cloud, group)


@action("slb", "DescribeVServerGroups")
def describe_vserver_groups(cloud, p: Params) -> dict:
    lb = common.lb_from_params(cloud, p)
    groups = vsg.groups_of(cloud, lb["id"])
    if p.text("Description"):     # "The name of the vServer group" (the SDK docstring of Description)
        groups = [g for g in groups if g["name"] == p.text("Description")]
    groups = common.tag_filter(groups, p)
    include_listener = bool(p.flag("IncludeListener", default=False))
    include_rule = bool(p.flag("IncludeRule", default=False))
    return {"VServerGroups": {"VServerGroup": [vsg.render_listing(cloud, g, include_listener, include_rule)
                                               for g in groups]}}


@action("slb", "DescribeVServerGroupAttribute")
def describe_vserver_group_attribute(cloud, p: Params) -> dict:
    return vsg.render_attribute(cloud, _group(cloud, p))


@action("slb", "AddVServerGroupBackendServers")
def add_vserver_group_backend_servers(cloud, p: Params) -> dict:
    group = _group(cloud, p)
    vsg.add(cloud, vsg.lb_of(cloud, group), group, vsg.parse(p))
    return _echo(cloud, group)


@action("slb", "RemoveVServerGroupBackendServers")
def remove_vserver_group_backend_servers(cloud, p: Params) -> dict:
    group = _group(cloud, p)
    vsg.remove(cloud, group, vsg.parse(p))
    return _echo(cloud, group)


@action("slb", "SetVServerGroupAttribute")
def set_vserver_group_attribute(cloud, p: Params) -> dict:
    """The group's name and the weights of members it already has; nothing is added or removed."""
    group = _group(cloud, p)
    group_name = vsg.name(p)
    entries = vsg.parse(p, required=False)
    if entries:
        vsg.set_weights(cloud, group, entries)
    if group_name is not None:
        group["name"] = group_name
        cloud.store.put(vsg.KIND, group)
    return {**_echo(cloud, group), "VServerGroupName": group["name"]}


@action("slb", "ModifyVServerGroupBackendServers")
def modify_vserver_group_backend_servers(cloud, p: Params) -> dict:
    group = _group(cloud, p)
    old = vsg.parse(p, "OldBackendServers", required=False)
    new = vsg.parse(p, "NewBackendServers", required=False)
    vsg.replace(cloud, vsg.lb_of(cloud, group), group, old, new)
    return _echo(cloud, group)


@action("slb", "DeleteVServerGroup")
def delete_vserver_group(cloud, p: Params) -> dict:
    vsg.delete(cloud, _group(cloud, p))
    return {}
