"""CLB listeners (HTTP, TCP): defaults, the documented cross-field checks, the status machine and the answers."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, TypedDict, cast

from ...errors import DryRunOperation, MissingParameter
from ..exceptions import (
    ListenerAlreadyExists,
    ListenerConfiguring,
    ListenerNotAllowed,
    ListenerNumberOverLimit,
    ReferenceNotFound,
    ServiceIsConfiguring,
    ServiceIsStopping,
    VServerGroupIdAndMasterSlaveMissMatch,
)
from . import vserver_groups
from .base import LB_KIND, LISTENER_KIND, listener_id, listeners_of, render_tags

if TYPE_CHECKING:
    from ...core import Cloud
    from .load_balancers import LoadBalancer

MAX_LISTENERS = 30  # per instance, ListenerNumberOverLimit (DOCS-SLB common error codes)


class HealthCheck(TypedDict):
    enabled: bool
    type: str
    uri: str
    domain: str
    connect_port: int | None  # None: each backend's own port
    http_codes: list[str]
    interval: int
    timeout: int
    healthy_threshold: int
    unhealthy_threshold: int
    method: str


class Listener(TypedDict, total=False):
    """A listener as kept in the store (kind "listener", id `<LoadBalancerId>:<port>`).

    Common fields first, then those of HTTP listeners, then those of TCP listeners.
    """

    id: str
    region: str
    load_balancer_id: str
    port: int
    protocol: str  # http or tcp
    backend_port: int  # 0 for a listener created on a vServer group
    created: float
    tags: dict[str, str]
    name: str
    status: str  # stopped -> starting -> running -> stopping -> stopped
    description: str
    scheduler: str
    bandwidth: int
    acl_status: str
    acl_type: str
    acl_id: str
    vserver_group_id: str
    health_check: HealthCheck
    sticky_session: str
    sticky_session_type: str
    cookie_timeout: int
    cookie: str
    idle_timeout: int
    request_timeout: int
    gzip: str
    x_forwarded_for: str
    xff_slbip: str
    xff_slbid: str
    xff_proto: str
    xff_slbport: str
    xff_client_src_port: str
    listener_forward: str
    forward_port: int
    persistence_timeout: int
    established_timeout: int
    connection_drain: str
    connection_drain_timeout: int
    proxy_protocol_v2: bool
    syn_proxy: str
    master_slave_server_group_id: str
    _timeline: list[Any]


class GroupSwitches(TypedDict):
    """The switch parameters of Create/Set*Listener that act on the listener's server group (all optional)."""

    vserver_group: str | None  # VServerGroup: on / off
    vserver_group_id_given: bool  # VServerGroupId was sent
    master_slave_server_group: str | None  # MasterSlaveServerGroup: on / off


NO_SWITCHES: GroupSwitches = {"vserver_group": None, "vserver_group_id_given": False, "master_slave_server_group": None}


def defaults(protocol: str, backend_port: int | None) -> dict[str, Any]:
    health: HealthCheck = {
        "enabled": protocol == "tcp",
        "type": protocol,
        "uri": "/" if protocol == "http" else "",
        "domain": "",
        "connect_port": None,
        "http_codes": ["http_2xx"],
        "interval": 2,
        "timeout": 5,
        "healthy_threshold": 3,
        "unhealthy_threshold": 3,
        "method": "",
    }  # unset: the docs name no default (CHOICES.md)
    out: dict[str, Any] = {
        "description": "",
        "scheduler": "wrr",
        "bandwidth": -1,
        "acl_status": "off",
        "acl_type": "",
        "acl_id": "",
        "vserver_group_id": "",
        "health_check": health,
    }
    if protocol == "http":
        out.update(
            {
                "sticky_session": "off",
                "sticky_session_type": "",
                "cookie_timeout": 0,
                "cookie": "",
                "idle_timeout": 15,
                "request_timeout": 60,
                "gzip": "on",
                "x_forwarded_for": "on",
                "xff_slbip": "off",
                "xff_slbid": "off",
                "xff_proto": "off",
                "xff_slbport": "off",
                "xff_client_src_port": "off",
                "listener_forward": "off",
                "forward_port": 0,
            }
        )
    else:
        out.update(
            {
                "persistence_timeout": 0,
                "established_timeout": 900,
                "connection_drain": "off",
                "connection_drain_timeout": 0,
                "proxy_protocol_v2": False,
                "syn_proxy": "disable",
                "master_slave_server_group_id": "",
            }
        )
    return out


def apply(listener: Listener, settings: dict[str, Any]) -> None:
    """Copy checked settings onto the listener: `{field: value}`, `health_check.<field>` for the health check."""
    fields = cast(dict, listener)
    for path, value in settings.items():
        if path.startswith("health_check."):
            fields["health_check"][path.split(".", 1)[1]] = value
        else:
            fields[path] = value


def check(cloud: Cloud, listener: Listener, switches: GroupSwitches) -> None:
    """Rules across parameters, after create defaults or on top of the current settings."""
    if listener.get("sticky_session") == "on":
        kind = listener.get("sticky_session_type")
        if not kind:
            raise MissingParameter(name="StickySessionType")
        if kind == "insert" and not listener.get("cookie_timeout"):
            raise MissingParameter(name="CookieTimeout")
        if kind == "server" and not listener.get("cookie"):
            raise MissingParameter(name="Cookie")
    if listener.get("connection_drain") == "on" and not listener.get("connection_drain_timeout"):
        raise MissingParameter(name="ConnectionDrainTimeout")
    if listener["acl_status"] == "on" and not listener["acl_id"]:
        raise MissingParameter(name="AclId")
    # No primary/secondary groups, ACLs or HTTPS listeners exist here, so a reference to one is the
    # documented "does not exist" answer (404 InvalidParameter).
    if listener.get("vserver_group_id") and listener.get("master_slave_server_group_id"):
        raise VServerGroupIdAndMasterSlaveMissMatch()
    vserver_groups.apply_switch(cloud, listener, switches["vserver_group"], switches["vserver_group_id_given"])
    for fld, what in (("master_slave_server_group_id", "MasterSlaveServerGroupId"), ("acl_id", "AclId")):
        if listener.get(fld):
            raise ReferenceNotFound(what=what)
    if switches["master_slave_server_group"] == "on":
        raise ReferenceNotFound(what="MasterSlaveServerGroupId")
    if listener.get("listener_forward") == "on":
        raise ReferenceNotFound(what="ForwardPort listener")


def check_creatable(cloud: Cloud, lb: LoadBalancer, listen_port: int) -> None:
    """A port holds one listener; an instance at most MAX_LISTENERS."""
    if cloud.store.get(LISTENER_KIND, listener_id(lb["id"], listen_port)) is not None:
        raise ListenerAlreadyExists()
    if len(listeners_of(cloud, lb["id"])) >= MAX_LISTENERS:
        raise ListenerNumberOverLimit()


def create_listener(
    cloud: Cloud,
    lb: LoadBalancer,
    protocol: str,
    listen_port: int,
    backend_port: int | None,
    settings: dict[str, Any],
    switches: GroupSwitches,
    new_tags: dict[str, str],
) -> Listener:
    check_creatable(cloud, lb, listen_port)
    listener = cast(
        Listener,
        {
            "id": listener_id(lb["id"], listen_port),
            "region": lb["region"],
            "load_balancer_id": lb["id"],
            "port": listen_port,
            "protocol": protocol,
            "backend_port": backend_port or 0,
            "created": cloud.clock.now(),
            "tags": new_tags,
            "name": "",
            **defaults(protocol, backend_port),
        },
    )
    apply(listener, settings)
    check(cloud, listener, switches)
    # New listeners are stopped until StartLoadBalancerListener (create-listener docs).
    listener["status"] = "stopped"
    cloud.store.put(LISTENER_KIND, listener)
    return listener


def set_listener_attribute(
    cloud: Cloud, listener: Listener, settings: dict[str, Any], switches: GroupSwitches, dry_run: bool = False
) -> None:
    """Set*ListenerAttribute: every change is checked on a copy, then all are applied together."""
    ensure_settled(listener)
    updated = copy.deepcopy(listener)
    apply(updated, settings)
    check(cloud, updated, switches)
    if dry_run:
        raise DryRunOperation()
    fields = cast(dict, listener)
    fields.clear()
    fields.update(updated)
    cloud.store.put(LISTENER_KIND, listener)


def ensure_settled(listener: Listener) -> None:
    """Changes wait for a transition to finish (documented ServiceIsConfiguring / ServiceIsStopping)."""
    if listener["status"] == "starting":
        raise ServiceIsConfiguring()
    if listener["status"] == "stopping":
        raise ServiceIsStopping()


def start_listener(cloud: Cloud, listener: Listener) -> None:
    if listener["status"] == "starting":
        raise ListenerConfiguring()
    if listener["status"] != "stopped":
        # Start is only allowed from stopped (StartLoadBalancerListener help page).
        raise ListenerNotAllowed()
    cloud.set_field(LISTENER_KIND, listener, "status", "starting")
    cloud.schedule(LISTENER_KIND, listener, [("listener.start", "status", "running")])


def stop_listener(cloud: Cloud, listener: Listener) -> None:
    if listener["status"] == "starting":
        raise ListenerConfiguring()
    if listener["status"] != "running":
        return  # stopping or stopped already: nothing to do
    cloud.set_field(LISTENER_KIND, listener, "status", "stopping")
    cloud.schedule(LISTENER_KIND, listener, [("listener.stop", "status", "stopped")])


def delete_listener(cloud: Cloud, listener: Listener) -> None:
    ensure_settled(listener)  # only stopped or running listeners can be deleted
    cloud.release(LISTENER_KIND, listener)
    lb = cloud.store.get(LB_KIND, listener["load_balancer_id"])
    if lb is not None and not listeners_of(cloud, lb["id"]):
        # "If all listeners of a CLB instance are deleted, the instance switches to inactive"
        # (SetLoadBalancerStatus docstring).
        lb["_timeline"] = []
        cloud.set_field(LB_KIND, lb, "status", "inactive")


# answers ---------------------------------------------------------------------------------------
def _health_fields(x: Listener) -> dict[str, Any]:
    hc = x["health_check"]
    # An unset connect port means the backend's own port (each member's port with a vServer group).
    return {
        "HealthCheck": "on" if hc["enabled"] else "off",
        "HealthCheckConnectPort": hc["connect_port"] or x["backend_port"],
        "HealthCheckDomain": hc["domain"],
        "HealthCheckHttpCode": ",".join(hc["http_codes"]),
        "HealthCheckInterval": hc["interval"],
        "HealthCheckMethod": hc["method"],
        "HealthCheckURI": hc["uri"],
        "HealthyThreshold": hc["healthy_threshold"],
        "UnhealthyThreshold": hc["unhealthy_threshold"],
    }


def _http_fields(x: Listener) -> dict[str, Any]:
    return {
        "Cookie": x["cookie"],
        "CookieTimeout": x["cookie_timeout"],
        "ForwardPort": x["forward_port"],
        "Gzip": x["gzip"],
        "HealthCheckTimeout": x["health_check"]["timeout"],
        "IdleTimeout": x["idle_timeout"],
        "ListenerForward": x["listener_forward"],
        "RequestTimeout": x["request_timeout"],
        "StickySession": x["sticky_session"],
        "StickySessionType": x["sticky_session_type"],
        "XForwardedFor": x["x_forwarded_for"],
        "XForwardedFor_SLBIP": x["xff_slbip"],
        "XForwardedFor_SLBID": x["xff_slbid"],
        "XForwardedFor_proto": x["xff_proto"],
        "XForwardedFor_SLBPORT": x["xff_slbport"],
        "XForwardedFor_ClientSrcPort": x["xff_client_src_port"],
        **_health_fields(x),
    }


def _tcp_fields(x: Listener) -> dict[str, Any]:
    hc = x["health_check"]
    return {
        "ConnectionDrain": x["connection_drain"],
        "ConnectionDrainTimeout": x["connection_drain_timeout"],
        "EstablishedTimeout": x["established_timeout"],
        "HealthCheckConnectTimeout": hc["timeout"],
        "HealthCheckType": hc["type"],
        "MasterSlaveServerGroupId": x["master_slave_server_group_id"],
        "PersistenceTimeout": x["persistence_timeout"],
        **_health_fields(x),
    }


def _head(x: Listener) -> dict[str, Any]:
    head = {
        "LoadBalancerId": x["load_balancer_id"],
        "ListenerPort": x["port"],
        "BackendServerPort": x["backend_port"],
        "Bandwidth": x["bandwidth"],
        "Scheduler": x["scheduler"],
        "Status": x["status"],
        "Description": x["description"],
        "AclStatus": x["acl_status"],
        "AclType": x["acl_type"],
        "AclId": x["acl_id"],
        "VServerGroupId": x["vserver_group_id"],
    }
    if not x["backend_port"]:
        del head["BackendServerPort"]  # omitted for a listener created on a vServer group (docs)
    return head


def render_attribute(x: Listener) -> dict[str, Any]:
    """The flat Describe{HTTP,TCP}ListenerAttribute body: every field of the SDK model, numbers as numbers."""
    out = {**_head(x), "AclIds": {"AclId": [x["acl_id"]] if x["acl_id"] else []}, "Tags": {"Tag": render_tags(x)}}
    if x["protocol"] == "http":
        out.update(_http_fields(x))
        out.update({"Rules": {"Rule": []}, "SecurityStatus": "off"})
    else:
        out.update(_tcp_fields(x))
        out.update({"ProxyProtocolV2Enabled": bool(x["proxy_protocol_v2"]), "SynProxy": x["syn_proxy"]})
    return out


def render_listing(x: Listener) -> dict[str, Any]:
    """One entry of DescribeLoadBalancerListeners `Listeners` (a bare list; tags and ACL ids unwrapped)."""
    out = {
        **_head(x),
        "ListenerProtocol": x["protocol"],
        "AclIds": [x["acl_id"]] if x["acl_id"] else [],
        "Tags": render_tags(x),
    }
    if x["protocol"] == "http":
        out["HTTPListenerConfig"] = {**_http_fields(x), "HealthCheckType": "http", "HealthCheckHttpVersion": "HTTP1.1"}
    else:
        tcp = _tcp_fields(x)
        tcp["ProxyProtocolV2Enabled"] = "true" if x["proxy_protocol_v2"] else "false"  # a string in this model
        out["TCPListenerConfig"] = tcp
    return out
