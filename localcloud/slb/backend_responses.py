"""SLB 2014-05-15 backend actions: Add/Remove/SetBackendServers and DescribeHealthStatus."""
from __future__ import annotations

from ..core import action
from ..params import Params
from . import answer_order, backends, common


@action("slb", "AddBackendServers")
def add_backend_servers(cloud, p: Params) -> dict:
    lb = common.lb_from_params(cloud, p)
    backends.add(cloud, lb, backends.parse(p, required=False))
    return {"LoadBalancerId": lb["id"], "BackendServers": backends.render(cloud, lb, weight_as_text=True)}


@action("slb", "RemoveBackendServers")
def remove_backend_servers(cloud, p: Params) -> dict:
    lb = common.lb_from_params(cloud, p)
    backends.remove(cloud, lb, backends.parse(p, required=True))
    return {"LoadBalancerId": lb["id"], "BackendServers": backends.render(cloud, lb, weight_as_text=False)}


@action("slb", "SetBackendServers")
def set_backend_servers(cloud, p: Params) -> dict:
    lb = common.lb_from_params(cloud, p)
    backends.set_weights(cloud, lb, backends.parse(p, required=False))
    return {"LoadBalancerId": lb["id"], "BackendServers": backends.render(cloud, lb, weight_as_text=True)}


@action("slb", "DescribeHealthStatus")
def describe_health_status(cloud, p: Params) -> dict:
    lb = common.lb_from_params(cloud, p)
    protocol = p.text("ListenerProtocol", choices=("tcp", "udp", "http", "https"))
    rows = backends.health_rows(cloud, lb, common.port(p, "ListenerPort"), protocol)
    return {"BackendServers": {"BackendServer": [answer_order.health_row(r) for r in rows]}}
