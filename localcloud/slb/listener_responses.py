"""SLB 2014-05-15 listener actions: create, describe, change, start, stop, delete and list HTTP/TCP listeners."""
from __future__ import annotations

import copy

from ..core import action, next_token_page
from ..errors import CloudError, missing
from ..params import Params
from . import answer_order, common, listeners
from .common import LISTENER_KIND


def _create(cloud, p: Params, protocol: str) -> dict:
    lb = common.lb_from_params(cloud, p)
    listen_port = common.port(p, "ListenerPort", required=True)
    backend_port = common.port(p, "BackendServerPort")
    if protocol == "http":
        p.text("HealthCheck", required=True)
    else:
        p.text("Bandwidth", required=True)
    if backend_port is None and not p.text("VServerGroupId"):
        # BackendServerPort is required unless the listener forwards to a vServer group (create docs).
        raise missing("BackendServerPort")
    listeners.create(cloud, lb, protocol, listen_port, backend_port, p, common.parse_tags(p))
    return {}


@action("slb", "CreateLoadBalancerHTTPListener")
def create_http_listener(cloud, p: Params) -> dict:
    return _create(cloud, p, "http")


@action("slb", "CreateLoadBalancerTCPListener")
def create_tcp_listener(cloud, p: Params) -> dict:
    return _create(cloud, p, "tcp")


def _missing_listener() -> CloudError:
    # What the attribute APIs answer for a port without a listener of that protocol (DOCS-SLB common codes;
    # Terraform matches this message).
    return CloudError("InvalidParameter", "The specified resource does not exist.", 400)


def _listener(cloud, p: Params, protocol: str | None, not_found=_missing_listener) -> dict:
    lb = common.lb_from_params(cloud, p)
    listen_port = common.port(p, "ListenerPort", required=True)
    found = cloud.store.get(LISTENER_KIND, common.listener_id(lb["id"], listen_port))
    if found is None or (protocol and found["protocol"] != protocol.lower()) or not common.visible(cloud, found):
        raise not_found()
    return found


def _no_listener_on_port() -> CloudError:
    return CloudError("ListenerNotFound",
                      "You have not created a listener for the specified port of the load balancer.", 404)


@action("slb", "DescribeLoadBalancerHTTPListenerAttribute")
def describe_http_listener(cloud, p: Params) -> dict:
    return answer_order.listener(listeners.render_attribute(_listener(cloud, p, "http")), "http")


@action("slb", "DescribeLoadBalancerTCPListenerAttribute")
def describe_tcp_listener(cloud, p: Params) -> dict:
    return answer_order.listener(listeners.render_attribute(_listener(cloud, p, "tcp")), "tcp")


def _set(cloud, p: Params, protocol: str) -> dict:
    found = _listener(cloud, p, protocol)
    listeners.ensure_settled(found)
    updated = copy.deepcopy(found)
    listeners.apply(updated, protocol, p)
    listeners.check(updated, p, cloud)
    if p.flag("DryRun", default=False):
        raise CloudError("DryRunOperation", "Request validation has been passed with DryRun flag set.", 400)
    found.clear()
    found.update(updated)
    cloud.store.put(LISTENER_KIND, found)
    return {}


@action("slb", "SetLoadBalancerHTTPListenerAttribute")
def set_http_listener(cloud, p: Params) -> dict:
    return _set(cloud, p, "http")


@action("slb", "SetLoadBalancerTCPListenerAttribute")
def set_tcp_listener(cloud, p: Params) -> dict:
    return _set(cloud, p, "tcp")


@action("slb", "StartLoadBalancerListener")
def start_listener(cloud, p: Params) -> dict:
    listeners.start(cloud, _listener(cloud, p, p.text("ListenerProtocol"), _no_listener_on_port))
    return {}


@action("slb", "StopLoadBalancerListener")
def stop_listener(cloud, p: Params) -> dict:
    listeners.stop(cloud, _listener(cloud, p, p.text("ListenerProtocol"), _no_listener_on_port))
    return {}


@action("slb", "DeleteLoadBalancerListener")
def delete_listener(cloud, p: Params) -> dict:
    listeners.delete(cloud, _listener(cloud, p, p.text("ListenerProtocol"), _no_listener_on_port))
    return {}


@action("slb", "DescribeLoadBalancerListeners")
def describe_listeners(cloud, p: Params) -> dict:
    region = cloud.region(p, required=False)
    ids = common.id_list(p, "LoadBalancerId", 10)
    items = [x for x in cloud.store.all(LISTENER_KIND)
             if (region is None or x["region"] == region) and common.visible(cloud, x)]
    if ids:
        items = [x for x in items if x["load_balancer_id"] in ids]
    protocol = p.text("ListenerProtocol", choices=("tcp", "udp", "http", "https"))
    if protocol:
        items = [x for x in items if x["protocol"] == protocol]
    listen_port = common.port(p, "ListenerPort")
    if listen_port:
        items = [x for x in items if x["port"] == listen_port]
    if p.text("Description"):
        items = [x for x in items if x["description"] == p.text("Description")]
    items = common.tag_filter(items, p)
    order = {lb["id"]: (lb["created"], lb["id"]) for lb in cloud.store.all(common.LB_KIND)}
    items.sort(key=lambda x: (order.get(x["load_balancer_id"], (0, "")), x["port"]))
    page, meta = next_token_page(items, p, default_size=20, max_size=100)
    size = p.integer("MaxResults", default=20, min=1, max=100)
    return {**meta, "TotalCount": len(items), "MaxResults": size,
            "Listeners": [listeners.render_listing(x) for x in page]}
