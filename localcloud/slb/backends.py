"""CLB backend servers: the BackendServers JSON, the documented checks, and DescribeHealthStatus health."""
from __future__ import annotations

import json

from ..errors import CloudError
from ..params import Params
from .common import LB_KIND, listeners_of
from .models import live_backends

MAX_PER_CALL = 20          # Add/Remove/SetBackendServers (docstrings; TooManyBackendServers)
TYPES = ("ecs", "eni", "eci")


def _invalid(detail: str = "") -> CloudError:
    return CloudError("InvalidParameter", ("The specified BackendServers is invalid. " + detail).strip(), 400)


def parse(p: Params, required: bool) -> list[dict]:
    """`BackendServers` as a JSON string. Single-quoted pseudo-JSON is accepted: Terraform sends it that way."""
    raw = p.text("BackendServers", required=required)
    if raw is None:
        return []
    try:
        items = json.loads(raw)
    except ValueError:
        try:
            items = json.loads(raw.replace("'", '"'))
        except ValueError:
            raise CloudError("BackendServersMalformed", "The specified BackendServers is malformed.", 400) from None
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise _invalid()
    if len(items) > MAX_PER_CALL:
        raise CloudError("TooManyBackendServers",
                         f"The total number of input real servers exceeds max supported number: {MAX_PER_CALL}", 400)
    out: dict[str, dict] = {}
    for item in items:
        server_id = item.get("ServerId")
        if not isinstance(server_id, str) or not server_id:
            raise _invalid("ServerId is required.")
        entry = {"server_id": server_id}
        if item.get("Weight") not in (None, ""):
            try:
                weight = int(item["Weight"])
            except (TypeError, ValueError):
                weight = -1
            if not 0 <= weight <= 100:
                raise CloudError("InvalidWeight.Malformed", "The specified Weight is malformed: it must be an "
                                                            "integer from 0 to 100.", 400)
            entry["weight"] = weight
        if item.get("Type") not in (None, ""):
            if item["Type"] not in TYPES:
                raise _invalid("Type must be ecs, eni or eci.")
            entry["type"] = item["Type"]
        if item.get("Port") not in (None, ""):
            try:
                ok = 1 <= int(item["Port"]) <= 65535
            except (TypeError, ValueError):
                ok = False
            if not ok:
                raise _invalid("Port value should be in [1, 65535].")
        if item.get("Description") is not None:
            if len(str(item["Description"])) > 80:
                raise _invalid("Description must be at most 80 characters.")
            entry["description"] = str(item["Description"])
        out[server_id] = entry          # a server named twice: the last entry counts
    return list(out.values())


def _instance(cloud, lb: dict, server_id: str) -> dict:
    inst = cloud.store.get("instance", server_id)
    if inst is None or inst["region"] != lb["region"]:
        raise CloudError("InvalidServerId.NotFound", "The specified ServerId does not exist.", 404)
    return inst


def _check_network(cloud, lb: dict, server_ids: list[str]) -> None:
    """A VPC instance balances servers of its own VPC; all backends must share one VPC."""
    vpcs = {(cloud.store.get("instance", s) or {}).get("vpc_id", "") for s in server_ids}
    if lb["network_type"] == "vpc":
        vpcs.add(lb["vpc_id"])
    if len(vpcs) > 1:
        raise CloudError("InvalidBackendServers.Inconsistent",
                         "The specified backend servers are not in the same VPC as the load balancer.", 400)


def add(cloud, lb: dict, entries: list[dict]) -> None:
    current = {b["server_id"]: dict(b) for b in live_backends(cloud, lb)}
    for entry in entries:
        inst = _instance(cloud, lb, entry["server_id"])
        if entry.get("type", "ecs") == "ecs" and inst.get("status") != "Running":
            # Backends must be running ECS instances (AddBackendServers docstring).
            raise CloudError("ObtainIpFail", "Failed to obtain the IP address: some of the specified backend "
                                             "servers do not exist or are not running.", 400)
    _check_network(cloud, lb, list(current) + [e["server_id"] for e in entries])
    for entry in entries:
        old = current.get(entry["server_id"])
        if old is None:     # a new server: weight 100 and type ecs unless given
            current[entry["server_id"]] = {"server_id": entry["server_id"], "weight": entry.get("weight", 100),
                                           "type": entry.get("type", "ecs"),
                                           "description": entry.get("description", "")}
        else:               # adding an attached server updates it
            old.update({k: v for k, v in entry.items() if k != "server_id"})
    cloud.set_field(LB_KIND, lb, "backends", list(current.values()))


def remove(cloud, lb: dict, entries: list[dict]) -> None:
    """Servers not attached are ignored, so a retried removal succeeds."""
    gone = {e["server_id"] for e in entries}
    cloud.set_field(LB_KIND, lb, "backends", [b for b in live_backends(cloud, lb) if b["server_id"] not in gone])


def set_weights(cloud, lb: dict, entries: list[dict]) -> None:
    """SetBackendServers changes servers already attached (weight, type, description)."""
    current = {b["server_id"]: dict(b) for b in live_backends(cloud, lb)}
    for entry in entries:
        if entry["server_id"] not in current:
            _instance(cloud, lb, entry["server_id"])
            raise _invalid(f"The backend server {entry['server_id']} is not attached to the load balancer.")
    for entry in entries:
        current[entry["server_id"]].update({k: v for k, v in entry.items() if k != "server_id"})
    cloud.set_field(LB_KIND, lb, "backends", list(current.values()))


def render(cloud, lb: dict, weight_as_text: bool) -> dict:
    """The backend list the Add/Remove/Set responses echo (Weight is a string in Add/Set, an int in Remove)."""
    return {"BackendServer": [{"ServerId": b["server_id"], "Type": b["type"], "Description": b["description"],
                               "Weight": str(b["weight"]) if weight_as_text else int(b["weight"])}
                              for b in live_backends(cloud, lb)]}


def health(cloud, lb: dict, listener: dict, server_id: str, port: int | None = None) -> str:
    """normal / abnormal / unavailable, from the local runtime when one runs (MODEL.md), else by rule."""
    runtime = getattr(cloud, "runtime", None)
    if runtime is not None:
        if port is None:
            return runtime.health(lb["id"], listener["port"], server_id)
        return runtime.health(lb["id"], listener["port"], server_id, port)
    if listener["status"] != "running" or not listener["health_check"]["enabled"]:
        return "unavailable"       # no health check has run (DescribeHealthStatus docs)
    inst = cloud.store.get("instance", server_id) or {}
    return "normal" if inst.get("status") == "Running" else "abnormal"


def health_rows(cloud, lb: dict, listen_port: int | None, protocol: str | None) -> list[dict]:
    chosen = [x for x in listeners_of(cloud, lb["id"])
              if (listen_port is None or x["port"] == listen_port) and (not protocol or x["protocol"] == protocol)]
    if listen_port is not None and not chosen:
        raise CloudError("CheckedListenerNotFound",
                         "No health-checked Listener to the specified port of the Load Balancer.", 404)
    rows = []
    for x in chosen:
        if x.get("vserver_group_id"):
            # A listener on a vServer group reports each (ServerId, Port) member of the group.
            rows.extend(vserver_health_rows(cloud, lb, x))
            continue
        for b in live_backends(cloud, lb):
            inst = cloud.store.get("instance", b["server_id"]) or {}
            rows.append({"ServerId": b["server_id"], "ServerIp": inst.get("private_ip", ""),
                         "Port": x["backend_port"], "ListenerPort": x["port"], "Protocol": x["protocol"],
                         "ServerHealthStatus": health(cloud, lb, x, b["server_id"])})
    return rows


def vserver_health_rows(cloud, lb: dict, listener: dict) -> list[dict]:
    from . import vserver_groups           # imported here: vserver_groups builds on this module
    group = cloud.store.get(vserver_groups.KIND, listener["vserver_group_id"])
    rows = []
    for b in vserver_groups.live_members(cloud, group or {}):
        inst = cloud.store.get("instance", b["server_id"]) or {}
        rows.append({"ServerId": b["server_id"], "ServerIp": inst.get("private_ip", ""), "Port": int(b["port"]),
                     "ListenerPort": listener["port"], "Protocol": listener["protocol"],
                     "ServerHealthStatus": health(cloud, lb, listener, b["server_id"], int(b["port"]))})
    return rows
