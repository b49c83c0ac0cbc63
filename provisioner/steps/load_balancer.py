"""The SLB: the instance (found by tag, created with a ClientToken), its HTTP listener with a health
check (created, reconfigured, started) and its backends (added and removed 20 per call)."""
from __future__ import annotations

import json
import logging

from .. import names
from ..errors import NotFound
from ..resources import Backend, Listener, LoadBalancer, VSwitch
from ..spec import Stack
from ..tokens import token_key
from .common import (LISTENER, LOAD_BALANCER, Context, Record, chunks, describe_one, describe_pages, describe_tokens,
                     owned, read_tags, tag_filter, tags_for, wait_for, wait_status)

log = logging.getLogger(__name__)
STEP = "load-balancer"
MAX_BACKENDS = 20              # Add/Remove/SetBackendServers: at most 20 servers per call
MAX_LB_IDS = 10                # DescribeLoadBalancerListeners LoadBalancerId.N: at most 10
WEIGHT = 100


def find_load_balancers(ctx: Context) -> list[LoadBalancer]:
    """Every SLB tagged for this stack, oldest first (one DescribeLoadBalancers call)."""
    items = describe_pages(ctx, STEP, "slb", "DescribeLoadBalancers",
                           {"RegionId": ctx.region, "Tag": tag_filter(ctx.spec, LOAD_BALANCER)},
                           ("LoadBalancers", "LoadBalancer"), 100)
    found = [LoadBalancer.from_api(i) for i in items if owned(read_tags(i), ctx.spec, LOAD_BALANCER)]
    return sorted(found, key=lambda lb: (lb.created, lb.id))


def read_backends(ctx: Context, lb: LoadBalancer) -> None:
    """Backends and status of one SLB (DescribeLoadBalancerAttribute)."""
    try:
        body = ctx.call(STEP, lb.id, "slb", "DescribeLoadBalancerAttribute",
                        {"RegionId": ctx.region, "LoadBalancerId": lb.id})
    except NotFound:
        lb.backends, lb.status = [], "gone"
        return
    lb.backends = [Backend.from_api(b) for b in (body.get("BackendServers") or {}).get("BackendServer") or []]
    lb.status = body.get("LoadBalancerStatus") or lb.status
    lb.address = body.get("Address") or lb.address


def read_listeners(ctx: Context, lbs: list[LoadBalancer]) -> None:
    """Listeners of the SLBs (DescribeLoadBalancerListeners, 10 SLBs per call)."""
    for batch in chunks(lbs, MAX_LB_IDS):
        items = describe_tokens(ctx, STEP, "slb", "DescribeLoadBalancerListeners",
                                {"RegionId": ctx.region, "LoadBalancerId": [lb.id for lb in batch]}, ("Listeners",), 100)
        for lb in batch:
            lb.listeners = [Listener.from_api(i) for i in items if i.get("LoadBalancerId") == lb.id]


def pick(ctx: Context, lbs: list[LoadBalancer]) -> LoadBalancer | None:
    known = ctx.state.get(LOAD_BALANCER)
    for lb in lbs:
        if lb.id == known:
            return lb
    return lbs[0] if lbs else None


def ensure_load_balancer(ctx: Context, found: list[LoadBalancer], vswitch: VSwitch | None) -> tuple[LoadBalancer, Record]:
    """The stack's SLB (an intranet one sits in `vswitch`; an internet one needs no network of ours)."""
    spec = ctx.spec
    lb = pick(ctx, found)
    if lb is not None:
        ctx.state.set(LOAD_BALANCER, lb.id)
        if lb.address_type and lb.address_type != spec.load_balancer.address_type:
            log.warning("SLB %s is %s but the stack asks for %s; the address type cannot change in place",
                        lb.id, lb.address_type, spec.load_balancer.address_type)
        return lb, Record(LOAD_BALANCER, lb.id, "existing", lb.status, {"address": lb.address})
    params = {"RegionId": ctx.region, "AddressType": spec.load_balancer.address_type,
              "LoadBalancerSpec": spec.load_balancer.spec, "LoadBalancerName": spec.name,
              "PayType": "PayOnDemand", "Tag": tags_for(spec, LOAD_BALANCER)}
    if spec.load_balancer.address_type == "intranet":
        assert vswitch is not None
        params.update(VpcId=vswitch.vpc_id, VSwitchId=vswitch.id)
    else:
        params["InternetChargeType"] = "paybytraffic"
    body = ctx.create(STEP, spec.name, "slb", "CreateLoadBalancer", token_key(LOAD_BALANCER), params,
                      record=lambda b: ctx.state.set(LOAD_BALANCER, b["LoadBalancerId"]))
    lb = LoadBalancer(body["LoadBalancerId"], "", body.get("Address", ""), spec.load_balancer.address_type,
                      spec.load_balancer.spec, body.get("VpcId", "") or "", body.get("VSwitchId", "") or "",
                      {t["Key"]: t["Value"] for t in params["Tag"]}, backends=[], listeners=[])
    log.info("load-balancer: created %s (%s, address %s)", lb.id, lb.address_type, lb.address)
    lb.status = wait_active(ctx, lb.id)
    found.append(lb)
    return lb, Record(LOAD_BALANCER, lb.id, "created", lb.status, {"address": lb.address})


def describe_load_balancer(ctx: Context, lb_id: str) -> LoadBalancer | None:
    return describe_one(ctx, STEP, lb_id, "slb", "DescribeLoadBalancers",
                        {"RegionId": ctx.region, "LoadBalancerId": lb_id}, ("LoadBalancers", "LoadBalancer"),
                        LoadBalancer.from_api)


def wait_active(ctx: Context, lb_id: str) -> str:
    return wait_status(f"SLB {lb_id}", lambda: describe_load_balancer(ctx, lb_id), "active", ctx.timeouts.load_balancer)


# --- listener ------------------------------------------------------------------------------------------

def desired_health(spec: Stack) -> dict:
    hc = spec.load_balancer.health_check
    return {"HealthCheck": "on", "HealthCheckURI": hc.uri, "HealthCheckInterval": hc.interval,
            "HealthCheckTimeout": hc.timeout, "HealthyThreshold": hc.healthy_threshold,
            "UnhealthyThreshold": hc.unhealthy_threshold, "HealthCheckHttpCode": ",".join(hc.http_codes),
            "HealthCheckConnectPort": spec.serving.port}


def listener_diff(spec: Stack, listener: Listener | None) -> tuple[str, list[str]]:
    """("create" | "replace" | "change" | "start" | "ok", what differs) for the stack's listener."""
    if listener is None:
        return "create", []
    if listener.protocol != "http" or (listener.backend_port is not None
                                       and int(listener.backend_port) != spec.serving.port):
        return "replace", [f"{listener.protocol} -> {listener.backend_port}"]
    differs = []
    for key, want in desired_health(spec).items():
        have = listener.health.get(key)
        if key == "HealthCheckHttpCode":
            same = set(str(have or "").split(",")) == set(str(want).split(","))
        else:
            same = have is not None and str(have).lower() == str(want).lower()
        if not same:
            differs.append(f"{key} {have!r} -> {want!r}")
    if differs:
        return "change", differs
    if listener.status != "running":
        return "start", [f"status {listener.status}"]
    return "ok", []


def ensure_listener(ctx: Context, lb: LoadBalancer) -> Record:
    """The HTTP listener listener_port -> serving port, health check as the spec says, running."""
    spec = ctx.spec
    port = spec.load_balancer.listener_port
    listener = lb.listener(port)
    kind, differs = listener_diff(spec, listener)
    base = {"RegionId": ctx.region, "LoadBalancerId": lb.id, "ListenerPort": port}
    resource = f"{lb.id}:{port}"
    action = "existing"
    if kind == "replace":
        log.warning("load-balancer: listener %s is %s; replacing it", resource, ", ".join(differs))
        delete_listener(ctx, lb, listener)  # type: ignore[arg-type]
        kind = "create"
    if kind == "create":
        params = {**base, "BackendServerPort": spec.serving.port, "Bandwidth": -1, "StickySession": "off",
                  "Scheduler": "wrr", "XForwardedFor": "on", "Description": names.listener_description(spec.name),
                  "Tag": tags_for(spec, LISTENER), **desired_health(spec)}
        # A retried create whose first answer was lost gets ListenerAlreadyExists: the verify makes it a success.
        ctx.call(STEP, resource, "slb", "CreateLoadBalancerHTTPListener", params, busy=True,
                 verify=lambda: _listener(ctx, lb.id, port) is not None)
        log.info("load-balancer: created listener %s -> %d (health check %s)", resource, spec.serving.port,
                 spec.load_balancer.health_check.uri)
        action = "created"
    elif kind == "change":
        log.info("load-balancer: listener %s changes: %s", resource, "; ".join(differs))
        ctx.call(STEP, resource, "slb", "SetLoadBalancerHTTPListenerAttribute", {**base, **desired_health(spec)},
                 busy=True)
        action = "changed"
    current = listener if action == "existing" else _listener(ctx, lb.id, port)
    if current is None or current.status != "running":
        if current is None or current.status == "stopped":
            ctx.call(STEP, resource, "slb", "StartLoadBalancerListener", {**base, "ListenerProtocol": "http"},
                     busy=True, verify=lambda: getattr(_listener(ctx, lb.id, port), "status", "") in ("starting", "running"))
            action = "changed" if action == "existing" else action
        wait_listener_running(ctx, lb.id, port)
    ctx.state.set(LISTENER, {"load_balancer": lb.id, "port": port})
    return Record(LISTENER, resource, action, "running", {"backend_port": spec.serving.port})


def _listener(ctx: Context, lb_id: str, port: int) -> Listener | None:
    items = describe_tokens(ctx, STEP, "slb", "DescribeLoadBalancerListeners",
                            {"RegionId": ctx.region, "LoadBalancerId": [lb_id], "ListenerPort": port},
                            ("Listeners",), 100)
    for item in items:
        if item.get("LoadBalancerId") == lb_id and int(item.get("ListenerPort") or 0) == port:
            return Listener.from_api(item)
    return None


def wait_listener_running(ctx: Context, lb_id: str, port: int) -> None:
    wait_status(f"listener {lb_id}:{port}", lambda: _listener(ctx, lb_id, port), "running", ctx.timeouts.listener)


def delete_listener(ctx: Context, lb: LoadBalancer, listener: Listener) -> Record:
    resource = f"{lb.id}:{listener.port}"
    try:
        # ServiceIsStopping / configuring are Busy; a listener already gone is done.
        ctx.call(STEP, resource, "slb", "DeleteLoadBalancerListener",
                 {"RegionId": ctx.region, "LoadBalancerId": lb.id, "ListenerPort": listener.port,
                  "ListenerProtocol": listener.protocol}, busy=True,
                 verify=lambda: _listener(ctx, lb.id, listener.port) is None)
    except NotFound:
        pass
    wait_for(f"listener {resource} to be deleted", lambda: (_listener(ctx, lb.id, listener.port) is None, "listed"),
             ctx.timeouts.listener)
    return Record(LISTENER, resource, "deleted")


# --- backends ------------------------------------------------------------------------------------------

def backend_diff(lb: LoadBalancer, instance_ids: list[str], ours: set[str]) -> tuple[list[str], list[str], list[str]]:
    """(add, remove, reweight): our instances missing from the SLB; backends of this stack's instances that
    should go (deleted or not in the set); ours with a weight other than 100. Foreign backends are kept."""
    current = {b.server_id: b for b in lb.backends or []}
    add = [i for i in instance_ids if i not in current]
    remove = [sid for sid in current if sid in ours and sid not in instance_ids]
    reweight = [i for i in instance_ids if i in current and current[i].weight != WEIGHT]
    return add, remove, reweight


def ensure_backends(ctx: Context, lb: LoadBalancer, instance_ids: list[str], ours: set[str]) -> Record:
    """Every instance of the stack is a backend with weight 100 (AddBackendServers 20 per call)."""
    add, remove, reweight = backend_diff(lb, instance_ids, ours)
    for batch in chunks(add, MAX_BACKENDS):
        ctx.call(STEP, lb.id, "slb", "AddBackendServers",
                 {"RegionId": ctx.region, "LoadBalancerId": lb.id, "BackendServers": _servers(batch)}, busy=True)
    for batch in chunks(reweight, MAX_BACKENDS):
        ctx.call(STEP, lb.id, "slb", "SetBackendServers",
                 {"RegionId": ctx.region, "LoadBalancerId": lb.id, "BackendServers": _servers(batch)}, busy=True)
    if remove:
        remove_backends(ctx, lb, remove)
    if add:
        log.info("load-balancer: %s serves through %d new backend(s): %s", lb.id, len(add), ", ".join(add))
    current = {b.server_id: b for b in lb.backends or []}
    lb.backends = [Backend(i, WEIGHT) for i in instance_ids] + [b for sid, b in current.items()
                                                             if sid not in instance_ids and sid not in ours]
    action = "changed" if (add or remove or reweight) else "existing"
    return Record("backends", lb.id, action, detail={"added": add, "removed": remove, "reweighted": reweight,
                                                      "backends": [b.server_id for b in lb.backends]})


def remove_backends(ctx: Context, lb: LoadBalancer, ids: list[str]) -> None:
    for batch in chunks(ids, MAX_BACKENDS):
        ctx.call(STEP, lb.id, "slb", "RemoveBackendServers",
                 {"RegionId": ctx.region, "LoadBalancerId": lb.id, "BackendServers": _servers(batch)}, busy=True)
    log.info("load-balancer: removed backend(s) %s from %s", ", ".join(ids), lb.id)
    lb.backends = [b for b in lb.backends or [] if b.server_id not in set(ids)]


def _servers(ids) -> str:
    return json.dumps([{"ServerId": i, "Weight": str(WEIGHT), "Type": "ecs"} for i in ids])


# --- delete --------------------------------------------------------------------------------------------

def delete_load_balancer(ctx: Context, lb: LoadBalancer) -> list[Record]:
    """Listeners, then backends, then the SLB itself; waits until DescribeLoadBalancers no longer lists it."""
    if not owned(lb.tags, ctx.spec, LOAD_BALANCER):
        raise AssertionError(f"refusing to delete {lb.id}: it lacks this stack's tags")
    records = []
    if lb.listeners is None:
        read_listeners(ctx, [lb])
    for listener in lb.listeners or []:
        records.append(delete_listener(ctx, lb, listener))
    if lb.backends is None:
        read_backends(ctx, lb)
    if lb.backends:
        ids = [b.server_id for b in lb.backends]
        remove_backends(ctx, lb, ids)
        records.append(Record("backends", lb.id, "deleted", detail={"removed": ids}))
    try:
        ctx.call(STEP, lb.id, "slb", "DeleteLoadBalancer", {"RegionId": ctx.region, "LoadBalancerId": lb.id},
                 busy=True, verify=lambda: describe_load_balancer(ctx, lb.id) is None)
    except NotFound:
        pass
    wait_for(f"SLB {lb.id} to be deleted", lambda: (describe_load_balancer(ctx, lb.id) is None, "listed"),
             ctx.timeouts.gone)
    ctx.state.update(lambda d: [d["resources"].pop(k, None) for k in (LOAD_BALANCER, LISTENER)])
    records.append(Record(LOAD_BALANCER, lb.id, "deleted"))
    return records
