"""CLB backend actions: Add/Remove/SetBackendServers and DescribeHealthStatus; the `BackendServers` JSON forms."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ...core import action
from ...params import Params
from .. import answer_order
from .. import responses as wire
from ..exceptions import BackendServersMalformed, InvalidBackendServers, InvalidWeightMalformed, TooManyBackendServers
from ..models import backends
from ..models.backends import BackendEntry

if TYPE_CHECKING:
    from ...core import Cloud


def json_items(p: Params, param: str, required: bool) -> list[dict[str, Any]]:
    """A JSON list of objects (or one object). Single-quoted pseudo-JSON is accepted: Terraform and the docs'
    samples send it that way."""
    raw = p.text(param, required=required)
    if raw is None:
        return []
    try:
        items = json.loads(raw)
    except ValueError:
        try:
            items = json.loads(raw.replace("'", '"'))
        except ValueError:
            raise BackendServersMalformed(param=param) from None
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise InvalidBackendServers()
    if len(items) > backends.MAX_PER_CALL:
        raise TooManyBackendServers(limit=backends.MAX_PER_CALL)
    return items


def entry(item: dict[str, Any]) -> BackendEntry:
    """One `{ServerId, Weight, Type, Port, Description}`, checked; Port is checked here but kept by the caller."""
    server_id = item.get("ServerId")
    if not isinstance(server_id, str) or not server_id:
        raise InvalidBackendServers("ServerId is required.")
    out: BackendEntry = {"server_id": server_id}
    if item.get("Weight") not in (None, ""):
        try:
            weight = int(item["Weight"])
        except (TypeError, ValueError):
            weight = -1
        if not 0 <= weight <= 100:
            raise InvalidWeightMalformed()
        out["weight"] = weight
    if item.get("Type") not in (None, ""):
        if item["Type"] not in backends.TYPES:
            raise InvalidBackendServers("Type must be ecs, eni or eci.")
        out["type"] = item["Type"]
    if item.get("Port") not in (None, ""):
        try:
            ok = 1 <= int(item["Port"]) <= 65535
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise InvalidBackendServers("Port value should be in [1, 65535].")
    if item.get("Description") is not None:
        if len(str(item["Description"])) > 80:
            raise InvalidBackendServers("Description must be at most 80 characters.")
        out["description"] = str(item["Description"])
    return out


def parse(p: Params, required: bool) -> list[BackendEntry]:
    """`BackendServers` of the default server group; a server named twice: the last entry counts."""
    out: dict[str, BackendEntry] = {}
    for item in json_items(p, "BackendServers", required):
        one = entry(item)
        out[one["server_id"]] = one
    return list(out.values())


@action("slb", "AddBackendServers")
def add_backend_servers(cloud: Cloud, p: Params) -> dict[str, Any]:
    lb = wire.lb_from_params(cloud, p)
    backends.add_backend_servers(cloud, lb, parse(p, required=False))
    return {"LoadBalancerId": lb["id"], "BackendServers": backends.render(cloud, lb, weight_as_text=True)}


@action("slb", "RemoveBackendServers")
def remove_backend_servers(cloud: Cloud, p: Params) -> dict[str, Any]:
    lb = wire.lb_from_params(cloud, p)
    backends.remove_backend_servers(cloud, lb, parse(p, required=True))
    return {"LoadBalancerId": lb["id"], "BackendServers": backends.render(cloud, lb, weight_as_text=False)}


@action("slb", "SetBackendServers")
def set_backend_servers(cloud: Cloud, p: Params) -> dict[str, Any]:
    lb = wire.lb_from_params(cloud, p)
    backends.set_backend_servers(cloud, lb, parse(p, required=False))
    return {"LoadBalancerId": lb["id"], "BackendServers": backends.render(cloud, lb, weight_as_text=True)}


@action("slb", "DescribeHealthStatus")
def describe_health_status(cloud: Cloud, p: Params) -> dict[str, Any]:
    lb = wire.lb_from_params(cloud, p)
    protocol = p.text("ListenerProtocol", choices=("tcp", "udp", "http", "https"))
    rows = backends.health_rows(cloud, lb, wire.port(p, "ListenerPort"), protocol)
    return {"BackendServers": {"BackendServer": [answer_order.health_row(r) for r in rows]}}
