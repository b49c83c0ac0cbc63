"""CLB listeners (HTTP, TCP): attribute tables, documented checks, status machine and rendering."""
from __future__ import annotations

import re
from typing import Any, Callable

from ..errors import CloudError, missing
from ..params import Params
from . import vserver_groups
from .common import LB_KIND, LISTENER_KIND, listener_id, listeners_of, port, render_tags

MAX_LISTENERS = 30                 # per instance, ListenerNumberOverLimit (DOCS-SLB common error codes)
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
            raise CloudError("InvalidParameter", f'The specified parameter "{name}" is not valid.', 400)
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
        raise CloudError("InvalidParameter", "The specified bandwidth is not valid.", 400)
    return number


def _uri(p: Params, name: str) -> str | None:
    """1-80 characters from letters, digits and - / . % ? # &, starting with a slash."""
    value = p.text(name)
    if value is not None and not _URI.match(value):
        raise CloudError("InvalidParameter", f'The specified parameter "{name}" is not valid.', 400)
    return value


def _codes(p: Params, name: str) -> list[str] | None:
    value = p.text(name)
    if value is None:
        return None
    codes = [c.strip() for c in value.split(",") if c.strip()]
    if not codes or any(c not in HTTP_CODES for c in codes):
        raise CloudError("InvalidParameter", f'The specified parameter "{name}" is not valid.', 400)
    return codes


def _cookie(p: Params, name: str) -> str | None:
    value = p.text(name)
    if value is not None and not _COOKIE.match(value):
        raise CloudError("InvalidParameter", f'The specified parameter "{name}" is not valid.', 400)
    return value


def _port(p: Params, name: str) -> int | None:
    return port(p, name)


COMMON: dict[str, tuple[str, Parser]] = {
    "Bandwidth": ("bandwidth", _bandwidth), "Description": ("description", _text(256)),
    "HealthCheckURI": ("health_check.uri", _uri), "HealthCheckDomain": ("health_check.domain", _text(80)),
    "HealthCheckConnectPort": ("health_check.connect_port", _port),
    "HealthCheckHttpCode": ("health_check.http_codes", _codes),
    "HealthCheckInterval": ("health_check.interval", _range(1, 50)),
    "HealthyThreshold": ("health_check.healthy_threshold", _range(2, 10)),
    "UnhealthyThreshold": ("health_check.unhealthy_threshold", _range(2, 10)),
    "HealthCheckMethod": ("health_check.method", _choice("head", "get")),
    "AclStatus": ("acl_status", _choice("on", "off")), "AclType": ("acl_type", _choice("white", "black")),
    "AclId": ("acl_id", _text(64)), "VServerGroupId": ("vserver_group_id", _text(64)),
}
HTTP: dict[str, tuple[str, Parser]] = {
    **COMMON, "Scheduler": ("scheduler", _choice("wrr", "rr")),
    "HealthCheck": ("health_check.enabled", _on), "HealthCheckTimeout": ("health_check.timeout", _range(1, 300)),
    "StickySession": ("sticky_session", _choice("on", "off")),
    "StickySessionType": ("sticky_session_type", _choice("insert", "server")),
    "CookieTimeout": ("cookie_timeout", _range(1, 86400)), "Cookie": ("cookie", _cookie),
    "IdleTimeout": ("idle_timeout", _range(1, 60)), "RequestTimeout": ("request_timeout", _range(1, 180)),
    "Gzip": ("gzip", _choice("on", "off")), "XForwardedFor": ("x_forwarded_for", _choice("on", "off")),
    "XForwardedFor_SLBIP": ("xff_slbip", _choice("on", "off")),
    "XForwardedFor_SLBID": ("xff_slbid", _choice("on", "off")),
    "XForwardedFor_proto": ("xff_proto", _choice("on", "off")),
    "XForwardedFor_SLBPORT": ("xff_slbport", _choice("on", "off")),
    "XForwardedFor_ClientSrcPort": ("xff_client_src_port", _choice("on", "off")),
    "ListenerForward": ("listener_forward", _choice("on", "off")), "ForwardPort": ("forward_port", _port),
}
TCP: dict[str, tuple[str, Parser]] = {
    **COMMON, "Scheduler": ("scheduler", _choice("wrr", "rr", "sch", "tch")),
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


def defaults(protocol: str, backend_port: int) -> dict:
    health = {"enabled": protocol == "tcp", "type": protocol, "uri": "/" if protocol == "http" else "",
              "domain": "", "connect_port": None, "http_codes": ["http_2xx"], "interval": 2,
              "timeout": 5, "healthy_threshold": 3, "unhealthy_threshold": 3,
              "method": ""}          # unset: the docs name no default (CHOICES.md)
    out = {"description": "", "scheduler": "wrr", "bandwidth": -1, "acl_status": "off", "acl_type": "",
           "acl_id": "", "vserver_group_id": "", "health_check": health}
    if protocol == "http":
        out.update({"sticky_session": "off", "sticky_session_type": "", "cookie_timeout": 0, "cookie": "",
                    "idle_timeout": 15, "request_timeout": 60, "gzip": "on", "x_forwarded_for": "on",
                    "xff_slbip": "off", "xff_slbid": "off", "xff_proto": "off", "xff_slbport": "off",
                    "xff_client_src_port": "off", "listener_forward": "off", "forward_port": 0})
    else:
        out.update({"persistence_timeout": 0, "established_timeout": 900, "connection_drain": "off",
                    "connection_drain_timeout": 0, "proxy_protocol_v2": False, "syn_proxy": "disable",
                    "master_slave_server_group_id": ""})
    return out


def apply(listener: dict, protocol: str, p: Params) -> None:
    """Copy every given parameter of the protocol's table onto the listener (validated on the way)."""
    for name, (path, parse) in TABLES[protocol].items():
        value = parse(p, name)
        if value is None:
            continue
        if path.startswith("health_check."):
            listener["health_check"][path.split(".", 1)[1]] = value
        else:
            listener[path] = value


def check(listener: dict, p: Params, cloud=None) -> None:
    """Rules across parameters, after create defaults or on top of the current settings."""
    if listener.get("sticky_session") == "on":
        kind = listener.get("sticky_session_type")
        if not kind:
            raise missing("StickySessionType")
        if kind == "insert" and not listener.get("cookie_timeout"):
            raise missing("CookieTimeout")
        if kind == "server" and not listener.get("cookie"):
            raise missing("Cookie")
    if listener.get("connection_drain") == "on" and not listener.get("connection_drain_timeout"):
        raise missing("ConnectionDrainTimeout")
    if listener["acl_status"] == "on" and not listener["acl_id"]:
        raise missing("AclId")
    # vServer groups live in vserver_groups.py. No primary/secondary groups, ACLs or HTTPS listeners exist
    # here, so a reference to one is the documented "does not exist" answer (404 InvalidParameter).
    if listener.get("vserver_group_id") and listener.get("master_slave_server_group_id"):
        raise CloudError("Abs.VServerGroupIdAndMasterSlaveServerGroupId.MissMatch",
                         "The parameters VServerGroupId or MasterSlaveServerGroupId miss match.", 400)
    vserver_groups.apply_switch(cloud, listener, p)
    for fld, what in (("master_slave_server_group_id", "MasterSlaveServerGroupId"), ("acl_id", "AclId")):
        if listener.get(fld):
            raise CloudError("InvalidParameter", f"The specified {what} does not exist.", 404)
    if p.text("MasterSlaveServerGroup", choices=("on", "off")) == "on":
        raise CloudError("InvalidParameter", "The specified MasterSlaveServerGroupId does not exist.", 404)
    if listener.get("listener_forward") == "on":
        raise CloudError("InvalidParameter", "The specified ForwardPort listener does not exist.", 404)


def create(cloud, lb: dict, protocol: str, listen_port: int, backend_port: int, p: Params,
           new_tags: dict) -> dict:
    lid = listener_id(lb["id"], listen_port)
    if cloud.store.get(LISTENER_KIND, lid) is not None:
        raise CloudError("ListenerAlreadyExists", "A listener with the specified port already exists.", 400)
    if len(listeners_of(cloud, lb["id"])) >= MAX_LISTENERS:
        raise CloudError("ListenerNumberOverLimit", "The maximum number of listeners is exceeded.", 400)
    description = p.text("Description")
    if description is not None and not _CREATE_DESCRIPTION.match(description):
        raise CloudError("InvalidParameter", 'The specified parameter "Description" is not valid.', 400)
    listener = {"id": lid, "region": lb["region"], "load_balancer_id": lb["id"], "port": listen_port,
                "protocol": protocol, "backend_port": backend_port or 0, "created": cloud.clock.now(),
                "tags": new_tags, "name": "", **defaults(protocol, backend_port)}
    apply(listener, protocol, p)
    check(listener, p, cloud)
    # New listeners are stopped until StartLoadBalancerListener (create-listener docs).
    listener["status"] = "stopped"
    cloud.store.put(LISTENER_KIND, listener)
    return listener


def ensure_settled(listener: dict) -> None:
    """Changes wait for a transition to finish (documented ServiceIsConfiguring / ServiceIsStopping)."""
    if listener["status"] == "starting":
        raise CloudError("ServiceIsConfiguring", "A previous configuration is pending; please try again later.", 400)
    if listener["status"] == "stopping":
        raise CloudError("ServiceIsStopping", "The specified Listener is stopping, please retry later.", 409)


def start(cloud, listener: dict) -> None:
    if listener["status"] == "starting":
        raise CloudError("Operation.Deny", "The specified listener is configuring, please try again later.", 400)
    if listener["status"] != "stopped":
        # Start is only allowed from stopped (StartLoadBalancerListener help page).
        raise CloudError("Operation.NotAllowed", "The specified listener is not allowed to operate.", 400)
    cloud.set_field(LISTENER_KIND, listener, "status", "starting")
    cloud.schedule(LISTENER_KIND, listener, [("listener.start", "status", "running")])


def stop(cloud, listener: dict) -> None:
    if listener["status"] == "starting":
        raise CloudError("Operation.Deny", "The specified listener is configuring, please try again later.", 400)
    if listener["status"] != "running":
        return                      # stopping or stopped already: nothing to do
    cloud.set_field(LISTENER_KIND, listener, "status", "stopping")
    cloud.schedule(LISTENER_KIND, listener, [("listener.stop", "status", "stopped")])


def delete(cloud, listener: dict) -> None:
    ensure_settled(listener)        # only stopped or running listeners can be deleted
    cloud.release(LISTENER_KIND, listener)
    lb = cloud.store.get(LB_KIND, listener["load_balancer_id"])
    if lb is not None and not listeners_of(cloud, lb["id"]):
        # "If all listeners of a CLB instance are deleted, the instance switches to inactive"
        # (SetLoadBalancerStatus docstring).
        lb["_timeline"] = []
        cloud.set_field(LB_KIND, lb, "status", "inactive")


# rendering -------------------------------------------------------------------------------------
def _health_fields(x: dict) -> dict:
    hc = x["health_check"]
    # An unset connect port means the backend's own port (each member's port with a vServer group).
    return {"HealthCheck": "on" if hc["enabled"] else "off",
            "HealthCheckConnectPort": hc["connect_port"] or x["backend_port"],
            "HealthCheckDomain": hc["domain"], "HealthCheckHttpCode": ",".join(hc["http_codes"]),
            "HealthCheckInterval": hc["interval"], "HealthCheckMethod": hc["method"],
            "HealthCheckURI": hc["uri"], "HealthyThreshold": hc["healthy_threshold"],
            "UnhealthyThreshold": hc["unhealthy_threshold"]}


def _http_fields(x: dict) -> dict:
    return {"Cookie": x["cookie"], "CookieTimeout": x["cookie_timeout"], "ForwardPort": x["forward_port"],
            "Gzip": x["gzip"], "HealthCheckTimeout": x["health_check"]["timeout"], "IdleTimeout": x["idle_timeout"],
            "ListenerForward": x["listener_forward"], "RequestTimeout": x["request_timeout"],
            "StickySession": x["sticky_session"], "StickySessionType": x["sticky_session_type"],
            "XForwardedFor": x["x_forwarded_for"], "XForwardedFor_SLBIP": x["xff_slbip"],
            "XForwardedFor_SLBID": x["xff_slbid"], "XForwardedFor_proto": x["xff_proto"],
            "XForwardedFor_SLBPORT": x["xff_slbport"], "XForwardedFor_ClientSrcPort": x["xff_client_src_port"],
            **_health_fields(x)}


def _tcp_fields(x: dict) -> dict:
    hc = x["health_check"]
    return {"ConnectionDrain": x["connection_drain"], "ConnectionDrainTimeout": x["connection_drain_timeout"],
            "EstablishedTimeout": x["established_timeout"], "HealthCheckConnectTimeout": hc["timeout"],
            "HealthCheckType": hc["type"], "MasterSlaveServerGroupId": x["master_slave_server_group_id"],
            "PersistenceTimeout": x["persistence_timeout"], **_health_fields(x)}


def _head(x: dict) -> dict:
    head = {"LoadBalancerId": x["load_balancer_id"], "ListenerPort": x["port"], "BackendServerPort": x["backend_port"],
            "Bandwidth": x["bandwidth"], "Scheduler": x["scheduler"], "Status": x["status"],
            "Description": x["description"], "AclStatus": x["acl_status"], "AclType": x["acl_type"],
            "AclId": x["acl_id"], "VServerGroupId": x["vserver_group_id"]}
    if not x["backend_port"]:
        del head["BackendServerPort"]        # omitted for a listener created on a vServer group (docs)
    return head


def render_attribute(x: dict) -> dict:
    """The flat Describe{HTTP,TCP}ListenerAttribute body: every field of the SDK model, numbers as numbers."""
    out = {**_head(x), "AclIds": {"AclId": [x["acl_id"]] if x["acl_id"] else []},
           "Tags": {"Tag": render_tags(x)}}
    if x["protocol"] == "http":
        out.update(_http_fields(x))
        out.update({"Rules": {"Rule": []}, "SecurityStatus": "off"})
    else:
        out.update(_tcp_fields(x))
        out.update({"ProxyProtocolV2Enabled": bool(x["proxy_protocol_v2"]), "SynProxy": x["syn_proxy"]})
    return out


def render_listing(x: dict) -> dict:
    """One entry of DescribeLoadBalancerListeners `Listeners` (a bare list; tags and ACL ids unwrapped)."""
    out = {**_head(x), "ListenerProtocol": x["protocol"], "AclIds": [x["acl_id"]] if x["acl_id"] else [],
           "Tags": render_tags(x)}
    if x["protocol"] == "http":
        out["HTTPListenerConfig"] = {**_http_fields(x), "HealthCheckType": "http", "HealthCheckHttpVersion": "HTTP1.1"}
    else:
        tcp = _tcp_fields(x)
        tcp["ProxyProtocolV2Enabled"] = "true" if x["proxy_protocol_v2"] else "false"   # a string in this model
        out["TCPListenerConfig"] = tcp
    return out
