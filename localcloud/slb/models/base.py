"""Kinds and lookups every SLB model shares (kept apart so that the models import no cycle)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from ..exceptions import InvalidLoadBalancerIdNotFound

if TYPE_CHECKING:
    from ...core import Cloud
    from .listeners import Listener
    from .load_balancers import Backend, LoadBalancer

LB_KIND = "load_balancer"
LISTENER_KIND = "listener"
VSERVER_GROUP_KIND = "vserver_group"


def get_lb(cloud: Cloud, lb_id: str | None, region: str | None = None) -> LoadBalancer:
    lb = cloud.store.get(LB_KIND, lb_id or "")
    if lb is None or (region and lb["region"] != region):
        raise InvalidLoadBalancerIdNotFound()
    return cast("LoadBalancer", lb)


def live_backends(cloud: Cloud, lb: LoadBalancer) -> list[Backend]:
    """Attached servers whose instance still exists: a released ECS instance leaves the backend list."""
    return [b for b in lb.get("backends") or [] if cloud.store.get("instance", b["server_id"]) is not None]


def listener_id(lb_id: str, port: int | str) -> str:
    return f"{lb_id}:{port}"


def listeners_of(cloud: Cloud, lb_id: str) -> list[Listener]:
    return sorted(
        (cast("Listener", x) for x in cloud.store.all(LISTENER_KIND) if x["load_balancer_id"] == lb_id),
        key=lambda x: x["port"],
    )


def visible(cloud: Cloud, listener: Mapping[str, Any]) -> bool:
    """Whether reads see this listener yet: fault injection (`read_lag`) can hide a new listener for a
    while, as the real API may not list one at once (Terraform retries an empty DescribeSlbListener)."""
    faults = getattr(cloud, "faults", None)
    lag = faults.lag(LISTENER_KIND) if faults is not None else 0.0
    return lag <= 0 or cloud.clock.now() >= listener.get("created", 0) + lag


def visible_listeners_of(cloud: Cloud, lb_id: str) -> list[Listener]:
    return [x for x in listeners_of(cloud, lb_id) if visible(cloud, x)]


def render_tags(obj: Mapping[str, Any]) -> list[dict[str, str]]:
    """SLB renders tags as `[{TagKey, TagValue}, ...]`."""
    return [{"TagKey": k, "TagValue": v} for k, v in (obj.get("tags") or {}).items()]
