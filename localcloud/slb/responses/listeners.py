"""CLB listener actions: create, describe, change, start, stop, delete and list HTTP/TCP listeners.

Each protocol's table maps a wire parameter to the listener field it sets and to the parser that checks it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from ...core import action, next_token_page
from ...errors import InvalidParameter, MissingParameter
from ...params import Params
from .. import answer_order
from .. import responses as wire
from ..exceptions import InvalidBandwidth, ListenerNotFound, ResourceNotExist
from ..models import listeners
from ..models.base import LB_KIND, LISTENER_KIND, listener_id, visible
from ..models.listeners import GroupSwitches, Listener

if TYPE_CHECKING:
    from ...core import Cloud

HTTP_CODES = ("http_2xx", "http_3xx", "http_4xx", "http_5xx")
_URI = re.compile(r"^/[A-Za-z0-9\-/.%?#&]{0,79}$")
_COOKIE = re.compile(r"^[A-Za-z0-9]{1,200}$")
# Create*Listener Description: "1 to 256 characters ... letters, digits, hyphens (-), forward slashes (/),
# periods (.), and underscores (_)" (SDK docstring); Set*ListenerAttribute documents no character set.
_CREATE_DESCRIPTION = re.compile(r"^[A-Za-z0-9\-/._]{1,256}$")

Parser = Callable[[Params, str], Any]


def _choice(*values: str) -> Parser:
    return lambda p, name: p.text(name, choices=values)


def _range(lo: int, hi: int) -> Parser:
    return lambda p, name: p.integer(name, min=lo, max=hi)


def _on(p: Params, name: str) -> bool | None:
    value = p.text(name, choices=("on", "off"))
    return None if value is None else value == "on"


def _text(limit: int) -> Parser:
    def parse(p: Params, name: str) -> str | None:
        value = p.text(name)
        if value is not None and len(value) > limit:
            raise InvalidParameter(name)
        return value

    return parse


def _bandwidth(p: Params, name: str) -> int | None:
    """-1 (unlimited) or 1-5120 Mbit/s."""
    value = p.raw.get(name)
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number != -1 and not 1 <= number <= 5120:
        raise InvalidBandwidth()
    return number


def _uri(p: Params, name: str) -> str | None:
    """1-80 characters from letters, digits and - / . % ? # &, starting with a slash."""
    value = p.text(name)
    if value is not None and not _URI.match(value):
        raise InvalidParameter(name)
    return value


def _codes(p: Params, name: str) -> list[str] | None:
    value = p.text(name)
    if value is None:
        return None
    codes = [c.strip() for c in value.split(",") if c.strip()]
    if not codes or any(c not in HTTP_CODES for c in codes):
        raise InvalidParameter(name)
    return codes


def _cookie(p: Params, name: str) -> str | None:
    value = p.text(name)
    if value is not None and not _COOKIE.match(value):
        raise InvalidParameter(name)
    return value


def _port(p: Params, name: str) -> int | None:
    return wire.port(p, name)


COMMON: dict[str, tuple[str, Parser]] = {
    "Bandwidth": ("bandwidth", _bandwidth),
    "Description": ("description", _text(256)),
    "HealthCheckURI": ("health_check.uri", _uri),
    "HealthCheckDomain": ("health_check.domain", _text(80)),
    "HealthCheckConnectPort": ("health_check.connect_port", _port),
    "HealthCheckHttpCode": ("health_check.http_codes", _codes),
    "HealthCheckInterval": ("health_check.interval", _range(1, 50)),
    "HealthyThreshold": ("health_check.healthy_threshold", _range(2, 10)),
    "UnhealthyThreshold": ("health_check.unhealthy_threshold", _range(2, 10)),
    "HealthCheckMethod": ("health_check.method", _choice("head", "get")),
    "AclStatus": ("acl_status", _choice("on", "off")),
    "AclType": ("acl_type", _choice("white", "black")),
    "AclId": ("acl_id", _text(64)),
    "VServerGroupId": ("vserver_group_id", _text(64)),
}
HTTP: dict[str, tuple[str, Parser]] = {
    **COMMON,
    "Scheduler": ("scheduler", _choice("wrr", "rr")),
    "HealthCheck": ("health_check.enabled", _on),
    "HealthCheckTimeout": ("health_check.timeout", _range(1, 300)),
    "StickySession": ("sticky_session", _choice("on", "off")),
    "StickySessionType": ("sticky_session_type", _choice("insert", "server")),
    "CookieTimeout": ("cookie_timeout", _range(1, 86400)),
    "Cookie": ("cookie", _cookie),
    "IdleTimeout": ("idle_timeout", _range(1, 60)),
    "RequestTimeout": ("request_timeout", _range(1, 180)),
    "Gzip": ("gzip", _choice("on", "off")),
    "XForwardedFor": ("x_forwarded_for", _choice("on", "off")),
    "XForwardedFor_SLBIP": ("xff_slbip", _choice("on", "off")),
    "XForwardedFor_SLBID": ("xff_slbid", _choice("on", "off")),
    "XForwardedFor_proto": ("xff_proto", _choice("on", "off")),
    "XForwardedFor_SLBPORT": ("xff_slbport", _choice("on", "off")),
    "XForwardedFor_ClientSrcPort": ("xff_client_src_port", _choice("on", "off")),
    "ListenerForward": ("listener_forward", _choice("on", "off")),
    "ForwardPort": ("forward_port", _port),
}
TCP: dict[str, tuple[str, Parser]] = {
    **COMMON,
    "Scheduler": ("scheduler", _choice("wrr", "rr", "sch", "tch")),
    # The SDK sends the TCP listener's interval as lower-case `healthCheckInterval`.
    "healthCheckInterval": ("health_check.interval", _range(1, 50)),
    "HealthCheckSwitch": ("health_check.enabled", _on),
    "HealthCheckType": ("health_check.type", _choice("tcp", "http")),
    "HealthCheckConnectTimeout": ("health_check.timeout", _range(1, 300)),
    "PersistenceTimeout": ("persistence_timeout", _range(0, 3600)),
    "EstablishedTimeout": ("established_timeout", _range(10, 900)),
    "ConnectionDrain": ("connection_drain", _choice("on", "off")),
    "ConnectionDrainTimeout": ("connection_drain_timeout", _range(10, 900)),
    "ProxyProtocolV2Enabled": ("proxy_protocol_v2", lambda p, n: p.flag(n)),
    "SynProxy": ("syn_proxy", _choice("enable", "disable")),
    "MasterSlaveServerGroupId": ("master_slave_server_group_id", _text(64)),
}
TABLES = {"http": HTTP, "tcp": TCP}


def settings(p: Params, protocol: str) -> dict[str, Any]:
    """`{field: value}` of every parameter of the protocol's table the request gives, checked."""
    out = {}
    for name, (path, parse) in TABLES[protocol].items():
        value = parse(p, name)
        if value is not None:
            out[path] = value
    return out


def switches(p: Params) -> GroupSwitches:
    return {
        "vserver_group": p.text("VServerGroup", choices=("on", "off")),
        "vserver_group_id_given": bool(p.text("VServerGroupId")),
        "master_slave_server_group": p.text("MasterSlaveServerGroup", choices=("on", "off")),
    }


def _create(cloud: Cloud, p: Params, protocol: str) -> dict[str, Any]:
    lb = wire.lb_from_params(cloud, p)
    listen_port = wire.required_port(p, "ListenerPort")
    backend_port = wire.port(p, "BackendServerPort")
    if protocol == "http":
        p.text("HealthCheck", required=True)
    else:
        p.text("Bandwidth", required=True)
    if backend_port is None and not p.text("VServerGroupId"):
        # BackendServerPort is required unless the listener forwards to a vServer group (create docs).
        raise MissingParameter(name="BackendServerPort")
    new_tags = wire.parse_tags(p)
    listeners.check_creatable(cloud, lb, listen_port)
    description = p.text("Description")
    if description is not None and not _CREATE_DESCRIPTION.match(description):
        raise InvalidParameter("Description")
    listeners.create_listener(
        cloud, lb, protocol, listen_port, backend_port, settings(p, protocol), switches(p), new_tags
    )
    return {}


@action("slb", "CreateLoadBalancerHTTPListener")
def create_http_listener(cloud: Cloud, p: Params) -> dict[str, Any]:
    return _create(cloud, p, "http")


@action("slb", "CreateLoadBalancerTCPListener")
def create_tcp_listener(cloud: Cloud, p: Params) -> dict[str, Any]:
    return _create(cloud, p, "tcp")


def _listener(
    cloud: Cloud, p: Params, protocol: str | None, not_found: Callable[[], Exception] = ResourceNotExist
) -> Listener:
    """The listener on `ListenerPort`; the attribute APIs answer ResourceNotExist for a port without a listener
    of that protocol, the start/stop/delete APIs ListenerNotFound."""
    lb = wire.lb_from_params(cloud, p)
    listen_port = wire.required_port(p, "ListenerPort")
    found = cloud.store.get(LISTENER_KIND, listener_id(lb["id"], listen_port))
    if found is None or (protocol and found["protocol"] != protocol.lower()) or not visible(cloud, found):
        raise not_found()
    return cast(Listener, found)


@action("slb", "DescribeLoadBalancerHTTPListenerAttribute")
def describe_http_listener(cloud: Cloud, p: Params) -> dict[str, Any]:
    return answer_order.listener(listeners.render_attribute(_listener(cloud, p, "http")), "http")


@action("slb", "DescribeLoadBalancerTCPListenerAttribute")
def describe_tcp_listener(cloud: Cloud, p: Params) -> dict[str, Any]:
    return answer_order.listener(listeners.render_attribute(_listener(cloud, p, "tcp")), "tcp")


def _set(cloud: Cloud, p: Params, protocol: str) -> dict[str, Any]:
    found = _listener(cloud, p, protocol)
    listeners.ensure_settled(found)
    listeners.set_listener_attribute(
        cloud, found, settings(p, protocol), switches(p), dry_run=bool(p.flag("DryRun", default=False))
    )
    return {}


@action("slb", "SetLoadBalancerHTTPListenerAttribute")
def set_http_listener(cloud: Cloud, p: Params) -> dict[str, Any]:
    return _set(cloud, p, "http")


@action("slb", "SetLoadBalancerTCPListenerAttribute")
def set_tcp_listener(cloud: Cloud, p: Params) -> dict[str, Any]:
    return _set(cloud, p, "tcp")


@action("slb", "StartLoadBalancerListener")
def start_listener(cloud: Cloud, p: Params) -> dict[str, Any]:
    listeners.start_listener(cloud, _listener(cloud, p, p.text("ListenerProtocol"), ListenerNotFound))
    return {}


@action("slb", "StopLoadBalancerListener")
def stop_listener(cloud: Cloud, p: Params) -> dict[str, Any]:
    listeners.stop_listener(cloud, _listener(cloud, p, p.text("ListenerProtocol"), ListenerNotFound))
    return {}


@action("slb", "DeleteLoadBalancerListener")
def delete_listener(cloud: Cloud, p: Params) -> dict[str, Any]:
    listeners.delete_listener(cloud, _listener(cloud, p, p.text("ListenerProtocol"), ListenerNotFound))
    return {}


@action("slb", "DescribeLoadBalancerListeners")
def describe_listeners(cloud: Cloud, p: Params) -> dict[str, Any]:
    region = cloud.region(p, required=False)
    ids = wire.id_list(p, "LoadBalancerId", 10)
    items = [
        cast(Listener, x)
        for x in cloud.store.all(LISTENER_KIND)
        if (region is None or x["region"] == region) and visible(cloud, x)
    ]
    if ids:
        items = [x for x in items if x["load_balancer_id"] in ids]
    protocol = p.text("ListenerProtocol", choices=("tcp", "udp", "http", "https"))
    if protocol:
        items = [x for x in items if x["protocol"] == protocol]
    listen_port = wire.port(p, "ListenerPort")
    if listen_port:
        items = [x for x in items if x["port"] == listen_port]
    description = p.text("Description")
    if description:
        items = [x for x in items if x["description"] == description]
    items = wire.tag_filter(items, p)
    order = {lb["id"]: (lb["created"], lb["id"]) for lb in cloud.store.all(LB_KIND)}
    items.sort(key=lambda x: (order.get(x["load_balancer_id"], (0, "")), x["port"]))
    page, meta = next_token_page(items, p, default_size=20, max_size=100)
    size = p.integer("MaxResults", default=20, min=1, max=100)
    return {
        **meta,
        "TotalCount": len(items),
        "MaxResults": size,
        "Listeners": [listeners.render_listing(x) for x in page],
    }
