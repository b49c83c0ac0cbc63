"""Rollout: a provision ends once every backend passes the SLB's health check; a scale-down drains a
backend (weight 0, then a drain period) before it leaves the SLB; the endpoint URL and a sample request."""

from __future__ import annotations

import logging

from .errors import NotFound, TargetError
from .resources import LoadBalancer
from .steps import common
from .steps import load_balancer as lb_step
from .steps.common import LISTENER, Context, Record

log = logging.getLogger(__name__)
STEP = "rollout"


# --- health ----------------------------------------------------------------------------------------


def health(ctx: Context, lb_id: str) -> dict[str, str]:
    """ServerHealthStatus per backend of the stack's listener (DescribeHealthStatus): normal, abnormal
    or unavailable (no health check has run: the listener is stopped or its check is off)."""
    try:
        body = ctx.call(
            STEP,
            lb_id,
            "slb",
            "DescribeHealthStatus",
            {"RegionId": ctx.region, "LoadBalancerId": lb_id, "ListenerPort": ctx.spec.load_balancer.listener_port},
        )
    except NotFound:  # CheckedListenerNotFound: no listener on the port (yet)
        return {}
    servers = (body.get("BackendServers") or {}).get("BackendServer") or []
    return {s.get("ServerId"): s.get("ServerHealthStatus", "unknown") for s in servers}


def begin(
    ctx: Context, lb: LoadBalancer, instance_ids: list[str], ours: set[str], created: list[str], records: list[Record]
) -> bool:
    """Whether this run must wait for the health checks: it created or started instances, changes the
    backends or the listener, or an earlier run stopped before its backends were seen healthy. The
    mark is saved before the backends change, so a crash in between still waits on the next run."""
    add, remove, reweight = lb_step.backend_diff(lb, instance_ids, ours)
    listener_changed = any(r.role == LISTENER and r.action != "existing" for r in records)
    pending = bool(created or add or remove or reweight or listener_changed or ctx.state.awaiting_health())
    if pending and not ctx.state.awaiting_health():
        ctx.state.set_awaiting_health(True)
    return pending


def health_expect(ctx: Context) -> float:
    """The least time before a server that just came up is reported normal: `healthy_threshold` checks in
    a row, one per `interval` (the first at once), on this target's clock."""
    hc = ctx.spec.load_balancer.health_check
    return (hc.healthy_threshold - 1) * hc.interval * getattr(ctx.cloud.target, "health_scale", 1.0)


def wait_healthy(ctx: Context, lb: LoadBalancer, instance_ids: list[str], fresh: bool = False) -> dict[str, str]:
    """Poll DescribeHealthStatus until every instance's backend is `normal` (the SLB sends a backend
    traffic only then), within ctx.timeouts.healthy; then clear the state's pending mark. `fresh`: some
    servers just came up; a backend turns normal only after `healthy_threshold` checks in a row, one per
    `interval`, so the first poll waits that long."""
    seen: dict[str, str] = {}

    def probe() -> tuple[bool, str]:
        seen.clear()
        seen.update(health(ctx, lb.id))
        bad = [i for i in instance_ids if seen.get(i) != "normal"]
        text = f"{len(instance_ids) - len(bad)}/{len(instance_ids)} normal"
        if bad:
            text += "; " + ", ".join(f"{i} {seen.get(i, 'not a backend yet')}" for i in bad[:5])
        return not bad, text

    if instance_ids:
        common.wait_for(
            f"{len(instance_ids)} backend(s) of {lb.id} to pass the health check",
            probe,
            ctx.timeouts.healthy,
            expect=health_expect(ctx) if fresh else 0.0,
        )
        log.info("rollout: every backend of %s is healthy", lb.id)
    ctx.state.set_awaiting_health(False)
    return dict(seen)


# --- drain -----------------------------------------------------------------------------------------


def drain(ctx: Context, lb: LoadBalancer, server_ids: list[str], running: set[str]) -> Record | None:
    """Take backends out of rotation before they are removed: weight 0 (SetBackendServers; the SLB sends
    no new request there), then wait load_balancer.drain_seconds so that requests in flight finish.
    Backends already at weight 0, or whose instance is not Running (no traffic reaches it), need no wait."""
    current = {b.server_id: b for b in lb.backends or []}
    active = [i for i in server_ids if i in current and current[i].weight > 0 and i in running]
    idle = [i for i in server_ids if i in current and current[i].weight > 0 and i not in running]
    if active + idle:
        lb_step.backend_call(ctx, lb, "set", {i: 0 for i in active + idle})
    for sid in active + idle:
        current[sid].weight = 0
    seconds = ctx.spec.load_balancer.drain_seconds
    if active and seconds > 0:
        log.info("rollout: draining %s (weight 0) for %d s before removing them", ", ".join(active), seconds)
        common.sleep(seconds)
    if not (active or idle):
        return None
    return Record("backends", lb.id, "changed", detail={"drained": active + idle, "drain_seconds": seconds})


# --- endpoint --------------------------------------------------------------------------------------


def address_url(ctx: Context, lb: LoadBalancer | None) -> str | None:
    """http://<Address>:<listener port>/ : the SLB's own address (what the real cloud serves on)."""
    if lb is None or not lb.address:
        return None
    return f"http://{lb.address}:{ctx.spec.load_balancer.listener_port}/"


def endpoint(ctx: Context, lb: LoadBalancer | None) -> tuple[str | None, str | None]:
    """(URL that serves the stack from this machine, a note). On the real cloud: the SLB's address and
    the listener port. On localcloud: where the emulator's runtime really listens (a listener port it
    cannot bind falls back to a free port), from GET /_localcloud/runtime."""
    url = address_url(ctx, lb)
    target = ctx.cloud.target
    if lb is None or url is None or target.kind != "localcloud" or not target.endpoint:
        return url, None
    key = f"{lb.id}:{ctx.spec.load_balancer.listener_port}"
    try:
        runtime = target.runtime_state()  # provisioner/emulator.py: the control API, with its token
    except (OSError, ValueError, TargetError) as err:
        return url, f"could not ask localcloud where listener {key} serves ({err}); assuming the SLB address"
    if not runtime.get("enabled"):
        return url, (
            "localcloud runs without its runtime (--no-runtime): no model server or balancer "
            "runs locally, so nothing answers at this endpoint"
        )
    for listener in runtime.get("listeners") or []:
        if listener.get("id") == key and listener.get("url"):
            return listener["url"].rstrip("/") + "/", listener.get("note")
    error = (runtime.get("listener_errors") or {}).get(key)
    return url, f"localcloud runs no balancer for listener {key}" + (f": {error}" if error else "")


def sample_request(ctx: Context, url: str | None) -> str | None:
    """A command line that sends one request through the endpoint: an inference request for the
    built-in model server; a GET of the health path for a custom server; none for raw user data."""
    if url is None or ctx.spec.serving.user_data is not None:
        return None
    local = ctx.cloud.target.kind == "localcloud"
    if ctx.spec.serving.server.builtin:
        from .serving import sample_curl

        return sample_curl(url, no_proxy=local)
    import shlex

    return shlex.join(
        ["curl", "-sS", *(["--noproxy", "*"] if local else []), url.rstrip("/") + ctx.spec.serving.health_path]
    )
