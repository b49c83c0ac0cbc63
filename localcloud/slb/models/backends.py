"""CLB backend servers of the default server group: the documented checks, and DescribeHealthStatus health."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

from ..exceptions import (
    CheckedListenerNotFound,
    InvalidBackendServers,
    InvalidBackendServersInconsistent,
    InvalidServerIdNotFound,
    ObtainIpFail,
)
from .base import LB_KIND, listeners_of, live_backends

if TYPE_CHECKING:
    from ...core import Cloud
    from .listeners import Listener
    from .load_balancers import Backend, LoadBalancer

MAX_PER_CALL = 20  # Add/Remove/SetBackendServers (docstrings; TooManyBackendServers)
TYPES = ("ecs", "eni", "eci")


class BackendEntry(TypedDict, total=False):
    """One checked entry of a `BackendServers` parameter: only what the request gave."""

    server_id: str
    weight: int
    type: str
    description: str
    port: int  # vServer group members only


def instance_of(cloud: Cloud, lb: LoadBalancer, server_id: str) -> dict[str, Any]:
    inst = cloud.store.get("instance", server_id)
    if inst is None or inst["region"] != lb["region"]:
        raise InvalidServerIdNotFound()
    return inst


def check_network(cloud: Cloud, lb: LoadBalancer, server_ids: list[str]) -> None:
    """A VPC instance balances servers of its own VPC; all backends must share one VPC."""
    vpcs = {(cloud.store.get("instance", s) or {}).get("vpc_id", "") for s in server_ids}
    if lb["network_type"] == "vpc":
        vpcs.add(lb["vpc_id"])
    if len(vpcs) > 1:
        raise InvalidBackendServersInconsistent()


def check_running(cloud: Cloud, lb: LoadBalancer, entries: list[BackendEntry]) -> None:
    """Backends must be running ECS instances of the region (AddBackendServers docstring)."""
    for entry in entries:
        inst = instance_of(cloud, lb, entry["server_id"])
        if entry.get("type", "ecs") == "ecs" and inst.get("status") != "Running":
            raise ObtainIpFail()


def _update(backend: Backend, entry: BackendEntry) -> None:
    """What an entry gives for a server already attached (weight, type, description) replaces the old value."""
    if "weight" in entry:
        backend["weight"] = entry["weight"]
    if "type" in entry:
        backend["type"] = entry["type"]
    if "description" in entry:
        backend["description"] = entry["description"]


def add_backend_servers(cloud: Cloud, lb: LoadBalancer, entries: list[BackendEntry]) -> None:
    current: dict[str, Backend] = {b["server_id"]: b.copy() for b in live_backends(cloud, lb)}
    check_running(cloud, lb, entries)
    check_network(cloud, lb, list(current) + [e["server_id"] for e in entries])
    for entry in entries:
        old = current.get(entry["server_id"])
        if old is None:  # a new server: weight 100 and type ecs unless given
            current[entry["server_id"]] = {
                "server_id": entry["server_id"],
                "weight": entry.get("weight", 100),
                "type": entry.get("type", "ecs"),
                "description": entry.get("description", ""),
            }
        else:  # adding an attached server updates it
            _update(old, entry)
    cloud.set_field(LB_KIND, lb, "backends", list(current.values()))


def remove_backend_servers(cloud: Cloud, lb: LoadBalancer, entries: list[BackendEntry]) -> None:
    """Servers not attached are ignored, so a retried removal succeeds."""
    gone = {e["server_id"] for e in entries}
    cloud.set_field(LB_KIND, lb, "backends", [b for b in live_backends(cloud, lb) if b["server_id"] not in gone])


def set_backend_servers(cloud: Cloud, lb: LoadBalancer, entries: list[BackendEntry]) -> None:
    """SetBackendServers changes servers already attached (weight, type, description)."""
    current: dict[str, Backend] = {b["server_id"]: b.copy() for b in live_backends(cloud, lb)}
    for entry in entries:
        if entry["server_id"] not in current:
            instance_of(cloud, lb, entry["server_id"])
            raise InvalidBackendServers(
                f"The backend server {entry['server_id']} is not attached to the load balancer."
            )
    for entry in entries:
        _update(current[entry["server_id"]], entry)
    cloud.set_field(LB_KIND, lb, "backends", list(current.values()))


def render(cloud: Cloud, lb: LoadBalancer, weight_as_text: bool) -> dict[str, Any]:
    """The backend list the Add/Remove/Set responses echo (Weight is a string in Add/Set, an int in Remove)."""
    return {
        "BackendServer": [
            {
                "ServerId": b["server_id"],
                "Type": b["type"],
                "Description": b["description"],
                "Weight": str(b["weight"]) if weight_as_text else int(b["weight"]),
            }
            for b in live_backends(cloud, lb)
        ]
    }


def health(cloud: Cloud, lb: LoadBalancer, listener: Listener, server_id: str, port: int | None = None) -> str:
    """normal / abnormal / unavailable, from the local runtime when one runs (MODEL.md), else by rule."""
    runtime = getattr(cloud, "runtime", None)
    if runtime is not None:
        if port is None:
            return runtime.health(lb["id"], listener["port"], server_id)
        return runtime.health(lb["id"], listener["port"], server_id, port)
    if listener["status"] != "running" or not listener["health_check"]["enabled"]:
        return "unavailable"  # no health check has run (DescribeHealthStatus docs)
    inst = cloud.store.get("instance", server_id) or {}
    return "normal" if inst.get("status") == "Running" else "abnormal"


def health_rows(cloud: Cloud, lb: LoadBalancer, listen_port: int | None, protocol: str | None) -> list[dict[str, Any]]:
    chosen = [
        x
        for x in listeners_of(cloud, lb["id"])
        if (listen_port is None or x["port"] == listen_port) and (not protocol or x["protocol"] == protocol)
    ]
    if listen_port is not None and not chosen:
        raise CheckedListenerNotFound()
    rows = []
    for x in chosen:
        if x.get("vserver_group_id"):
            # A listener on a vServer group reports each (ServerId, Port) member of the group.
            rows.extend(vserver_health_rows(cloud, lb, x))
            continue
        for b in live_backends(cloud, lb):
            inst = cloud.store.get("instance", b["server_id"]) or {}
            rows.append(
                {
                    "ServerId": b["server_id"],
                    "ServerIp": inst.get("private_ip", ""),
                    "Port": x["backend_port"],
                    "ListenerPort": x["port"],
                    "Protocol": x["protocol"],
                    "ServerHealthStatus": health(cloud, lb, x, b["server_id"]),
                }
            )
    return rows


def vserver_health_rows(cloud: Cloud, lb: LoadBalancer, listener: Listener) -> list[dict[str, Any]]:
    from . import vserver_groups  # imported here: vserver_groups builds on this module

    group = vserver_groups.find(cloud, listener["vserver_group_id"])
    rows = []
    for b in vserver_groups.live_members(cloud, group):
        inst = cloud.store.get("instance", b["server_id"]) or {}
        rows.append(
            {
                "ServerId": b["server_id"],
                "ServerIp": inst.get("private_ip", ""),
                "Port": int(b["port"]),
                "ListenerPort": listener["port"],
                "Protocol": listener["protocol"],
                "ServerHealthStatus": health(cloud, lb, listener, b["server_id"], int(b["port"])),
            }
        )
    return rows
