"""The SLB: the instance (found by tag, created with a ClientToken), its HTTP listener with a health
check (created, reconfigured, started) and its backends (added and removed 20 per call)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

from .. import names
from ..errors import CloudError, NotFound, SpecError, WaitTimeout
from ..resources import Backend, Listener, LoadBalancer, VSwitch
from ..spec import Stack
from ..state import State
from ..tokens import token_key
from . import server_group
from .common import (
    LISTENER,
    LOAD_BALANCER,
    MAX_PAGES,
    Context,
    Record,
    chunks,
    describe_pages,
    dig,
    owned,
    read_tags,
    require_owned,
    tag_filter,
    tags_for,
    typical,
    wait_for,
    wait_status,
)

log = logging.getLogger(__name__)
STEP = "load-balancer"
MAX_BACKENDS = 20  # Add/Remove/SetBackendServers: at most 20 servers per call
MAX_LB_IDS = 10  # DescribeLoadBalancerListeners LoadBalancerId.N: at most 10
WEIGHT = 100


# CreateLoadBalancer metering: pay-as-you-go CLBs are pay-by-LCU only since 2025-06-01 (CreateLoadBalancer page);
# the API's default is still PayBySpec, so it is always sent. `load_balancer.billing` -> InstanceChargeType.
CHARGE_TYPES = {"pay_by_lcu": "PayByCLCU"}
LEGACY_CHARGE = "PayBySpec"
CONVERT_ACTION = "ModifyLoadBalancerInstanceChargeType"


def _read(ctx: Context, resource: str, action: str, params: dict[str, Any]) -> dict[str, Any]:
    """An SLB read: while a CLB or listener is being configured, reads answer ServiceIsConfiguring,
    OperationBusy, BackendServer.configuring or ServiceIsStopping (Terraform's SlbIsBusy); those are retried."""
    return ctx.call(STEP, resource, "slb", action, params, busy=True)


def _listed_listeners(ctx: Context, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every item of DescribeLoadBalancerListeners (NextToken pages), busy answers retried."""
    items: list[dict[str, Any]] = []
    token = None
    for _ in range(MAX_PAGES):
        body = _read(
            ctx,
            "",
            "DescribeLoadBalancerListeners",
            {**params, "MaxResults": 100, **({"NextToken": token} if token else {})},
        )
        items.extend(body.get("Listeners") or [])
        token = body.get("NextToken")
        if not token:
            return items
    raise WaitTimeout(f"DescribeLoadBalancerListeners returned more than {MAX_PAGES} pages")


def find_load_balancers(ctx: Context) -> list[LoadBalancer]:
    """Every SLB tagged for this stack, oldest first (one DescribeLoadBalancers call)."""
    items = describe_pages(
        ctx,
        STEP,
        "slb",
        "DescribeLoadBalancers",
        {"RegionId": ctx.region, "Tag": tag_filter(ctx.spec, LOAD_BALANCER)},
        ("LoadBalancers", "LoadBalancer"),
        100,
    )
    found = [LoadBalancer.from_api(i) for i in items if owned(read_tags(i), ctx.spec, LOAD_BALANCER)]
    return sorted(found, key=lambda lb: (lb.created, lb.id))


def read_backends(ctx: Context, lb: LoadBalancer, default_group: bool = False) -> None:
    """Backends and status of one SLB (DescribeLoadBalancerAttribute); once the stack serves from its vServer
    group (a serving.port rollout, server_group.py), the backends are the group's members, unless `default_group`."""
    try:
        body = _read(ctx, lb.id, "DescribeLoadBalancerAttribute", {"RegionId": ctx.region, "LoadBalancerId": lb.id})
    except NotFound:
        lb.backends, lb.status = [], "gone"
        return
    lb.backends = [Backend.from_api(b) for b in (body.get("BackendServers") or {}).get("BackendServer") or []]
    lb.status = body.get("LoadBalancerStatus") or lb.status
    lb.address = body.get("Address") or lb.address
    lb.charge_type = body.get("InstanceChargeType") or lb.charge_type
    lb.delete_protection = body.get("DeleteProtection") or lb.delete_protection
    group_id = None if default_group else server_group.in_use(ctx, lb)
    if group_id:
        lb.backends = server_group.read(ctx, group_id)


def backend_call(ctx: Context, lb: LoadBalancer, verb: str, weights: dict[str, int]) -> None:
    """add / set (weights) / remove backends, in the default group or, once in use, the stack's vServer group."""
    group_id = server_group.in_use(ctx, lb)
    if group_id:
        server_group.call(ctx, lb, group_id, verb, weights)
        return
    action = {"add": "AddBackendServers", "set": "SetBackendServers", "remove": "RemoveBackendServers"}[verb]
    for batch in chunks(list(weights), MAX_BACKENDS):
        ctx.call(
            STEP,
            lb.id,
            "slb",
            action,
            {"RegionId": ctx.region, "LoadBalancerId": lb.id, "BackendServers": _servers(batch, weights)},
            busy=True,
        )


def read_listeners(ctx: Context, lbs: list[LoadBalancer]) -> None:
    """Listeners of the SLBs (DescribeLoadBalancerListeners, 10 SLBs per call)."""
    for batch in chunks(lbs, MAX_LB_IDS):
        items = _listed_listeners(ctx, {"RegionId": ctx.region, "LoadBalancerId": [lb.id for lb in batch]})
        for lb in batch:
            lb.listeners = [Listener.from_api(i) for i in items if i.get("LoadBalancerId") == lb.id]


def pick(ctx: Context, lbs: list[LoadBalancer]) -> LoadBalancer | None:
    known = ctx.state.load_balancer_id()
    for lb in lbs:
        if lb.id == known:
            return lb
    return lbs[0] if lbs else None


def ensure_load_balancer(
    ctx: Context, found: list[LoadBalancer], vswitch: VSwitch | None
) -> tuple[LoadBalancer, Record]:
    """The stack's SLB (an intranet one sits in `vswitch`; an internet one needs no network of ours)."""
    spec = ctx.spec
    lb = pick(ctx, found)
    if lb is not None:
        ctx.state.set_load_balancer_id(lb.id)
        if lb.address_type and lb.address_type != spec.load_balancer.address_type:
            log.warning(
                "SLB %s is %s but the stack asks for %s; the address type cannot change in place",
                lb.id,
                lb.address_type,
                spec.load_balancer.address_type,
            )
        detail: dict[str, Any] = {"address": lb.address, "billing": lb.charge_type}
        action = "existing"
        if lb.charge_type == LEGACY_CHARGE:
            # Bought before pay-by-specification left sale: kept as it is (it still serves); `plan` says so.
            log.warning(
                "SLB %s is billed pay-by-specification, which is no longer sold; it is kept as it is and"
                " can be converted to pay-by-LCU with %s",
                lb.id,
                CONVERT_ACTION,
            )
            detail["billing"] = "pay-by-specification (can be converted with " + CONVERT_ACTION + ")"
        return lb, Record(LOAD_BALANCER, lb.id, action, lb.status, detail)
    charge = CHARGE_TYPES[spec.load_balancer.billing]
    # Pay-by-LCU: no LoadBalancerSpec (it applies to pay-by-specification only), billed by traffic.
    params: dict[str, Any] = {
        "RegionId": ctx.region,
        "AddressType": spec.load_balancer.address_type,
        "InstanceChargeType": charge,
        "LoadBalancerName": lb_name(spec),
        "PayType": "PayOnDemand",
        "Tag": tags_for(spec, LOAD_BALANCER),
    }
    if spec.load_balancer.address_type == "intranet":
        assert vswitch is not None
        params.update(VpcId=vswitch.vpc_id, VSwitchId=vswitch.id)
    else:
        params["InternetChargeType"] = "paybytraffic"
    body = ctx.create(
        STEP,
        spec.name,
        "slb",
        "CreateLoadBalancer",
        token_key(LOAD_BALANCER),
        params,
        record=lambda b: ctx.state.set_load_balancer_id(b["LoadBalancerId"]),
    )
    lb = LoadBalancer(
        body["LoadBalancerId"],
        "",
        body.get("Address", ""),
        spec.load_balancer.address_type,
        "",
        body.get("VpcId", "") or "",
        body.get("VSwitchId", "") or "",
        {t["Key"]: t["Value"] for t in params["Tag"]},
        backends=[],
        listeners=[],
        charge_type=charge,
    )
    log.info("load-balancer: created %s (%s, %s, address %s)", lb.id, lb.address_type, charge, lb.address)
    lb.status = wait_active(ctx, lb.id, expect=typical(ctx, "slb.create"))
    found.append(lb)
    return lb, Record(LOAD_BALANCER, lb.id, "created", lb.status, {"address": lb.address, "billing": charge})


def lb_name(spec: Stack) -> str:
    """LoadBalancerName: 1-80 of letters, digits, `.`, `_`, `-`, starting with a letter (the stack name is)."""
    return spec.name


def describe_load_balancer(ctx: Context, lb_id: str) -> LoadBalancer | None:
    body = _read(ctx, lb_id, "DescribeLoadBalancers", {"RegionId": ctx.region, "LoadBalancerId": lb_id})
    items = dig(body, ("LoadBalancers", "LoadBalancer")) or []
    return LoadBalancer.from_api(items[0]) if items else None


def wait_active(ctx: Context, lb_id: str, expect: float = 0.0) -> str:
    return wait_status(
        f"SLB {lb_id}", lambda: describe_load_balancer(ctx, lb_id), "active", ctx.timeouts.load_balancer, expect=expect
    )


# --- listener ------------------------------------------------------------------------------------------


def desired_health(spec: Stack) -> dict[str, Any]:
    hc = spec.load_balancer.health_check
    return {
        "HealthCheck": "on",
        "HealthCheckURI": hc.uri,
        "HealthCheckInterval": hc.interval,
        "HealthCheckTimeout": hc.timeout,
        "HealthyThreshold": hc.healthy_threshold,
        "UnhealthyThreshold": hc.unhealthy_threshold,
        "HealthCheckHttpCode": ",".join(hc.http_codes),
    }


# HealthCheckConnectPort is never sent: unset, the CLB checks each backend on the port it forwards to (the
# listener's BackendServerPort, or a vServer group member's own port). CreateLoadBalancerTCPListener's page says
# so ("If this parameter is not set, the backend port specified by BackendServerPort is used"); the HTTP page calls
# it "the backend port that is used for health checks". Once set, SetLoadBalancerHTTPListenerAttribute documents no
# value that unsets it (1-65535 only), so a listener created with it keeps checking that one port: the state marks
# the listeners this code created (HEALTH_PORT), which a serving.port rollout needs (CHOICES.md "Rollout").
HEALTH_PORT = "health_port"
HEALTH_PORT_BACKEND = "backend"


def port_rolls(state: State, lb_id: str) -> bool:
    """A serving.port change of this SLB's listener is a rollout through the vServer group (server_group.py):
    the listener was created without HealthCheckConnectPort (the state says so), or already uses the group."""
    known = state.listener()
    created_so = known.get("load_balancer") == lb_id and known.get(HEALTH_PORT) == HEALTH_PORT_BACKEND
    return created_so or (state.vserver_group() or {}).get("load_balancer") == lb_id


def listener_diff(spec: Stack, listener: Listener | None, rolls: bool = False) -> tuple[str, list[str]]:
    """("create" | "replace" | "change" | "start" | "ok", what differs) for the stack's listener. `rolls`
    (port_rolls): another BackendServerPort is the rollout's business, not the listener's."""
    if listener is None:
        return "create", []
    if listener.protocol != "http" or (
        not rolls and listener.backend_port is not None and int(listener.backend_port) != spec.serving.port
    ):
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


def refuse_port_change(lb_id: str, port: int, listener: Listener | None, rolls: bool, serving_port: int) -> None:
    """Raise SpecError (exit 2) for a serving.port change on a listener created with HealthCheckConnectPort =
    the old serving.port (before this version, or the state does not say otherwise): no documented value unsets
    it, so every member of a vServer group would be checked on the old port. Refused rather than replaced under
    traffic (CHOICES.md "Rollout"). `plan` and `provision` both refuse it, before any mutating call."""
    if (
        listener is None
        or rolls
        or listener.protocol != "http"
        or listener.backend_port is None
        or int(listener.backend_port) == serving_port
    ):
        return
    raise SpecError(
        "serving.port",
        f"the listener {lb_id}:{port} checks health on port {listener.backend_port} "
        "(HealthCheckConnectPort, set by an earlier version), so a port change cannot roll out without failed "
        "requests; recreate the listener once (DeleteLoadBalancerListener, then `provisioner provision` with "
        "the current serving.port creates it again: a short outage), then change serving.port",
    )


def listener_description(spec: Stack) -> str:
    """CreateLoadBalancerHTTPListener Description: 1-256 of letters, digits, `-`, `/`, `.`, `_` (SDK
    docstring); a space is not among them, so "stack <name>" would not do."""
    return names.listener_description(spec.name)  # checked with the other names before any call


def ensure_listener(ctx: Context, lb: LoadBalancer, wait: bool = True) -> Record:
    """The HTTP listener listener_port -> serving port, health check as the spec says, started; after any
    change the CLB is active again. With `wait`, also until the listener runs (else the caller waits later
    with `wait_listener_running`, e.g. while instances boot; the record then says "starting")."""
    spec = ctx.spec
    port = spec.load_balancer.listener_port
    listener = lb.listener(port)
    rolls = port_rolls(ctx.state, lb.id)
    kind, differs = listener_diff(spec, listener, rolls)
    refuse_port_change(lb.id, port, listener, rolls, spec.serving.port)
    base = {"RegionId": ctx.region, "LoadBalancerId": lb.id, "ListenerPort": port}
    resource = f"{lb.id}:{port}"
    action = "existing"
    current = listener
    if kind == "replace":
        log.warning("load-balancer: listener %s is %s; replacing it", resource, ", ".join(differs))
        delete_listener(ctx, lb, listener)  # type: ignore[arg-type]
        kind = "create"
    if kind == "create":
        params = {
            **base,
            "BackendServerPort": spec.serving.port,
            "Bandwidth": -1,
            "StickySession": "off",
            "Scheduler": "wrr",
            "XForwardedFor": "on",
            "Description": listener_description(spec),
            "Tag": tags_for(spec, LISTENER),
            **desired_health(spec),
        }
        # A retried create whose first answer was lost gets ListenerAlreadyExists: the verify makes it a success.
        # The new listener may not be readable yet (the read lag below), so the verify can miss it: on our own
        # load balancer, at a port we found free a moment ago, ListenerAlreadyExists is that lost create's listener.
        try:
            ctx.call(
                STEP,
                resource,
                "slb",
                "CreateLoadBalancerHTTPListener",
                params,
                busy=True,
                verify=lambda: _listener(ctx, lb.id, port) is not None,
            )
        except CloudError as err:
            if err.code != "ListenerAlreadyExists":
                raise
            log.info("load-balancer: listener %s already exists (an earlier attempt's answer was lost)", resource)
        log.info(
            "load-balancer: created listener %s -> %d (health check %s)",
            resource,
            spec.serving.port,
            spec.load_balancer.health_check.uri,
        )
        action = "created"
        # A new listener may not be readable at once (Terraform waits for it to read stopped before Start):
        # until it is listed, a Start would answer ListenerNotFound.
        current = wait_listener_visible(ctx, lb.id, port)
    elif kind == "change":
        log.info("load-balancer: listener %s changes: %s", resource, "; ".join(differs))
        ctx.call(
            STEP, resource, "slb", "SetLoadBalancerHTTPListenerAttribute", {**base, **desired_health(spec)}, busy=True
        )
        action = "changed"
        current = _listener(ctx, lb.id, port)
    status = current.status if current is not None else "stopped"
    if status == "stopping":  # Start is allowed from stopped only (StartLoadBalancerListener)
        status = wait_status(
            f"listener {resource}", lambda: _listener(ctx, lb.id, port), "stopped", ctx.timeouts.listener
        )
    started = status == "stopped"
    if started:
        start_listener(ctx, lb.id, port)
        action = "changed" if action == "existing" else action
        status = "starting"
    detail: dict[str, Any] = {"backend_port": spec.serving.port}
    stale = stale_listeners(spec, lb)
    for old in stale:
        # The stack's listener port changed: its old listener goes once the new one exists (so the CLB never
        # loses its last listener on the way).
        log.info("load-balancer: deleting listener %s:%d (the stack listens on %d now)", lb.id, old.port, port)
        delete_listener(ctx, lb, old)
    if stale:
        lb.listeners = [x for x in lb.listeners or [] if x not in stale]
        detail["removed_ports"] = [x.port for x in stale]
        action = "changed" if action == "existing" else action
    if action != "existing" and ensure_active(ctx, lb):
        detail["load_balancer"] = "set active again"
    known = ctx.state.listener()
    entry = {"load_balancer": lb.id, "port": port}
    if action == "created" or (
        known.get("load_balancer") == lb.id and known.get("port") == port and known.get(HEALTH_PORT)
    ):
        entry[HEALTH_PORT] = HEALTH_PORT_BACKEND
    ctx.state.set_listener(entry)
    if status != "running" and wait:
        # Started now: no poll before a start typically ends.
        wait_listener_running(ctx, lb.id, port, expect=typical(ctx, "listener.start") if started else 0.0)
        status = "running"
    return Record(LISTENER, resource, action, status, detail)


def stale_listeners(spec: Stack, lb: LoadBalancer) -> list[Listener]:
    """Listeners of the stack (tagged for it) on another port than the stack's: left by a listener_port change.
    A listener someone else added to our SLB carries no such tags and is left alone."""
    port = spec.load_balancer.listener_port
    return [x for x in lb.listeners or [] if x.port != port and owned(x.tags, spec, LISTENER)]


def start_listener(ctx: Context, lb_id: str, port: int) -> None:
    """StartLoadBalancerListener. Right after the create, the API may still answer ListenerNotFound (404)
    although a read lists the listener: in that window it is polled again, not fatal."""
    resource = f"{lb_id}:{port}"
    params = {"RegionId": ctx.region, "LoadBalancerId": lb_id, "ListenerPort": port, "ListenerProtocol": "http"}

    def attempt() -> tuple[bool, str]:
        try:
            # Busy (ServiceIsConfiguring) is retried; a retry after a lost answer finds it starting: done.
            ctx.call(
                STEP,
                resource,
                "slb",
                "StartLoadBalancerListener",
                params,
                busy=True,
                verify=lambda: getattr(_listener(ctx, lb_id, port), "status", "") in ("starting", "running"),
            )
        except NotFound as err:
            return False, f"{err.code}: not startable yet"
        return True, "started"

    wait_for(f"listener {resource} to accept StartLoadBalancerListener", attempt, ctx.timeouts.listener)


def set_active(ctx: Context, lb: LoadBalancer) -> None:
    """SetLoadBalancerStatus active: an SLB set inactive (or left so by its last listener's delete) serves
    nothing, and no other call turns it back."""
    ctx.call(
        STEP,
        lb.id,
        "slb",
        "SetLoadBalancerStatus",
        {"RegionId": ctx.region, "LoadBalancerId": lb.id, "LoadBalancerStatus": "active"},
        busy=True,
    )
    lb.status = "active"


def ensure_active(ctx: Context, lb: LoadBalancer) -> bool:
    """After a listener change: deleting a CLB's last listener makes it inactive (SetLoadBalancerStatus
    docstring), and a new listener does not make it active again. True when it had to be set active."""
    found = describe_load_balancer(ctx, lb.id)
    lb.status = found.status if found is not None else lb.status
    if lb.status != "inactive":
        return False
    log.info("load-balancer: %s is inactive after the listener change; setting it active", lb.id)
    set_active(ctx, lb)
    lb.status = wait_active(ctx, lb.id)
    return True


def _listener(ctx: Context, lb_id: str, port: int) -> Listener | None:
    items = _listed_listeners(ctx, {"RegionId": ctx.region, "LoadBalancerId": [lb_id], "ListenerPort": port})
    for item in items:
        if item.get("LoadBalancerId") == lb_id and int(item.get("ListenerPort") or 0) == port:
            return Listener.from_api(item)
    return None


def wait_listener_visible(ctx: Context, lb_id: str, port: int) -> Listener:
    """Poll until a listener just created is listed (ListenerNotFound / not listed in that window is the
    API catching up, not an error)."""
    seen: list[Listener] = []

    def probe() -> tuple[bool, str]:
        found = _listener(ctx, lb_id, port)
        if found is not None:
            seen.append(found)
        return found is not None, found.status if found is not None else "not listed yet"

    wait_for(f"new listener {lb_id}:{port} to be readable", probe, ctx.timeouts.listener)
    return seen[-1]


def wait_listener_running(ctx: Context, lb_id: str, port: int, expect: float = 0.0) -> None:
    wait_status(
        f"listener {lb_id}:{port}", lambda: _listener(ctx, lb_id, port), "running", ctx.timeouts.listener, expect=expect
    )


def delete_listener(ctx: Context, lb: LoadBalancer, listener: Listener) -> Record:
    resource = f"{lb.id}:{listener.port}"
    try:
        # ServiceIsStopping / configuring are Busy; a listener already gone is done.
        ctx.call(
            STEP,
            resource,
            "slb",
            "DeleteLoadBalancerListener",
            {
                "RegionId": ctx.region,
                "LoadBalancerId": lb.id,
                "ListenerPort": listener.port,
                "ListenerProtocol": listener.protocol,
            },
            busy=True,
            verify=lambda: _listener(ctx, lb.id, listener.port) is None,
        )
    except NotFound:
        pass
    wait_for(
        f"listener {resource} to be deleted",
        lambda: (_listener(ctx, lb.id, listener.port) is None, "listed"),
        ctx.timeouts.listener,
    )
    return Record(LISTENER, resource, "deleted")


# --- backends ------------------------------------------------------------------------------------------


def backend_diff(
    lb: LoadBalancer, instance_ids: list[str], ours: set[str], weights: dict[str, int] | None = None
) -> tuple[list[str], list[str], list[str]]:
    """(add, remove, reweight): our instances missing from the SLB; backends of this stack's instances that
    should go (deleted or not in the set); ours with a weight other than 100 (or than `weights` says: a
    canary's rollout, provisioner/replace.py). Foreign backends are kept."""
    weights = weights or {}
    current = {b.server_id: b for b in lb.backends or []}
    add = [i for i in instance_ids if i not in current]
    remove = [sid for sid in current if sid in ours and sid not in instance_ids]
    reweight = [i for i in instance_ids if i in current and current[i].weight != weights.get(i, WEIGHT)]
    return add, remove, reweight


def ensure_backends(
    ctx: Context, lb: LoadBalancer, instance_ids: list[str], ours: set[str], weights: dict[str, int] | None = None
) -> Record:
    """Every instance of the stack is a backend with weight 100, or the weight a canary rollout set
    (AddBackendServers 20 per call)."""
    weights = weights or {}
    add, remove, reweight = backend_diff(lb, instance_ids, ours, weights)
    if add:
        backend_call(ctx, lb, "add", {i: weights.get(i, WEIGHT) for i in add})
    if reweight:
        backend_call(ctx, lb, "set", {i: weights.get(i, WEIGHT) for i in reweight})
    if remove:
        remove_backends(ctx, lb, remove)
    if add:
        log.info("load-balancer: %s serves through %d new backend(s): %s", lb.id, len(add), ", ".join(add))
    current = {b.server_id: b for b in lb.backends or []}
    lb.backends = [Backend(i, weights.get(i, WEIGHT)) for i in instance_ids] + [
        b for sid, b in current.items() if sid not in instance_ids and sid not in ours
    ]
    action = "changed" if (add or remove or reweight) else "existing"
    return Record(
        "backends",
        lb.id,
        action,
        detail={
            "added": add,
            "removed": remove,
            "reweighted": reweight,
            "backends": [b.server_id for b in lb.backends],
        },
    )


def remove_backends(ctx: Context, lb: LoadBalancer, ids: list[str]) -> None:
    current = {b.server_id: b.weight for b in lb.backends or []}
    backend_call(ctx, lb, "remove", {i: current.get(i, WEIGHT) for i in ids})
    log.info("load-balancer: removed backend(s) %s from %s", ", ".join(ids), lb.id)
    lb.backends = [b for b in lb.backends or [] if b.server_id not in set(ids)]


def _servers(ids: Iterable[str], weights: dict[str, int] | None = None) -> str:
    weights = weights or {}
    return json.dumps([{"ServerId": i, "Weight": str(weights.get(i, WEIGHT)), "Type": "ecs"} for i in ids])


# --- delete --------------------------------------------------------------------------------------------


def delete_load_balancer(ctx: Context, lb: LoadBalancer) -> list[Record]:
    """Listeners, then backends, then the SLB itself; waits until DescribeLoadBalancers no longer lists it."""
    require_owned(ctx, LOAD_BALANCER, lb, "delete")
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
        ctx.call(
            STEP,
            lb.id,
            "slb",
            "DeleteLoadBalancer",
            {"RegionId": ctx.region, "LoadBalancerId": lb.id},
            busy=True,
            verify=lambda: describe_load_balancer(ctx, lb.id) is None,
        )
    except NotFound:
        pass
    wait_for(
        f"SLB {lb.id} to be deleted", lambda: (describe_load_balancer(ctx, lb.id) is None, "listed"), ctx.timeouts.gone
    )
    ctx.state.forget_load_balancer()
    records.append(Record(LOAD_BALANCER, lb.id, "deleted"))
    return records
