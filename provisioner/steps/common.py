"""What every step shares: the run context, identity tags, batched Describe paging, bounded waits."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import TOOL
from ..cloud import Cloud
from ..errors import Busy, Fatal, NotFound, NotOwnedError, WaitTimeout
from ..spec import Stack
from ..state import State
from ..tags import DATA_DISK as DATA_DISK  # the roles are spelled in tags.py; the steps import them from here
from ..tags import IDENTITY_TAGS, TAG_MANAGED_BY, TAG_ROLE, TAG_STACK
from ..tags import INSTANCE as INSTANCE
from ..tags import LISTENER as LISTENER
from ..tags import LOAD_BALANCER as LOAD_BALANCER
from ..tags import SECURITY_GROUP as SECURITY_GROUP
from ..tags import VPC as VPC
from ..tags import VSWITCH as VSWITCH
from ..tokens import TokenBook

if TYPE_CHECKING:
    from ..resources import Tagged

log = logging.getLogger("provisioner.steps")

MAX_PAGES = 100  # a Describe never pages more than this (100 x 100 items)


@dataclass
class Timeouts:
    """Deadlines of the waits (seconds). Real-cloud figures: Terraform waits 5-10 min for the same."""

    network: float = 300.0
    instances_running: float = 900.0
    gone: float = 900.0
    disk: float = 300.0
    load_balancer: float = 300.0
    listener: float = 180.0
    healthy: float = 900.0  # every backend passing the SLB health check (boot + install + load)


@dataclass
class Context:
    """Everything a step needs: the spec, the API, the state, the token book and the deadlines."""

    spec: Stack
    cloud: Cloud
    state: State
    tokens: TokenBook
    timeouts: Timeouts = field(default_factory=Timeouts)
    workers: int = 8
    # clock() when the network of instances this run released is typically free again (their ENIs go after
    # them): a security group, vSwitch or VPC delete retries its DependencyViolation only from then on.
    freed_at: float | None = None
    precheck: Any = None  # steps.precheck.Precheck of this run (image and usable zones), when it ran

    @property
    def region(self) -> str:
        return self.spec.region

    def call(
        self,
        step: str,
        resource: str,
        product: str,
        action: str,
        params: dict[str, Any],
        busy: bool = False,
        verify: Callable[[], bool] | None = None,
    ) -> dict[str, Any]:
        return self.cloud.call(step, resource, product, action, params, busy=busy, verify=verify)

    def create(
        self,
        step: str,
        resource: str,
        product: str,
        action: str,
        key: str,
        params: dict[str, Any],
        record: Callable[[dict[str, Any]], None],
        busy: bool = True,
    ) -> dict[str, Any]:
        """A create with a write-ahead ClientToken: saved in the state before the call, reused by every
        retry and by the next run if this one dies; a definite refusal retires the token. `record(body)`
        stores the new ids in the state before the token is retired, so no moment loses both."""
        token = self.tokens.begin(key, action, params)
        try:
            body = self.call(step, resource, product, action, {**params, "ClientToken": token}, busy=busy)
        except (Fatal, NotFound):
            self.tokens.refused(key)
            raise
        record(body)
        self.tokens.done(key)
        return body

    def parallel(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        """Run fn over items with a few threads (one API call each); the first error is raised."""
        if len(items) <= 1:
            return [fn(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(self.workers, len(items)), thread_name_prefix="step") as pool:
            return list(pool.map(fn, items))


@dataclass
class Record:
    """What a step did to one resource: created now, or existing (found by tag), or deleted."""

    role: str
    id: str
    action: str  # "created", "existing", "deleted", "changed"
    status: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"role": self.role, "id": self.id, "action": self.action, "status": self.status, **self.detail}


# --- identity tags ------------------------------------------------------------------------------------


def tags_for(spec: Stack, role: str) -> list[dict[str, Any]]:
    """The tags every resource gets at creation: stack, role and managed-by."""
    return [
        {"Key": TAG_STACK, "Value": spec.name},
        {"Key": TAG_ROLE, "Value": role},
        {"Key": TAG_MANAGED_BY, "Value": TOOL},
    ]


def tag_filter(spec: Stack, role: str | None = None) -> list[dict[str, Any]]:
    tags = [{"Key": TAG_STACK, "Value": spec.name}, {"Key": TAG_MANAGED_BY, "Value": TOOL}]
    if role:
        tags.append({"Key": TAG_ROLE, "Value": role})
    return tags


def read_tags(item: dict[str, Any]) -> dict[str, str]:
    """Tags of a Describe item: {Tags: {Tag: [{TagKey, TagValue}]}} (ECS, SLB) or {Key, Value} (VPC)."""
    raw = item.get("Tags") or {}
    entries = raw.get("Tag") if isinstance(raw, dict) else raw
    out: dict[str, str] = {}
    for entry in entries or []:
        key = entry.get("TagKey", entry.get("Key"))
        if key is not None:
            out[key] = entry.get("TagValue", entry.get("Value")) or ""
    return out


def owned(tags: dict[str, str], spec: Stack, role: str | None = None) -> bool:
    """True only for resources carrying this stack's tags (and the role, when given)."""
    if tags.get(TAG_STACK) != spec.name or tags.get(TAG_MANAGED_BY) != TOOL:
        return False
    return role is None or tags.get(TAG_ROLE) == role


def require_owned(ctx: Context, role: str | tuple[str, ...], resource: Tagged, verb: str) -> None:
    """Refuse (NotOwnedError, before any call) to `verb` a resource that lacks this stack's tags: the
    stack and managed-by tags, and the role (one of them, when a tuple is given; the first is named).
    The one guard every delete and retag goes through: a resource of another stack or of nobody's is
    never changed, whatever the snapshot or the state file said."""
    roles = (role,) if isinstance(role, str) else role
    if owned(resource.tags, ctx.spec) and resource.tags.get(TAG_ROLE) in roles:
        return
    want = ", ".join(f"{t['Key']}={t['Value']}" for t in tags_for(ctx.spec, roles[0]))
    have = ", ".join(f"{k}={resource.tags[k]}" for k in IDENTITY_TAGS if k in resource.tags) or "none of them"
    raise NotOwnedError(
        roles[0],
        resource.id,
        verb,
        {k: resource.tags[k] for k in IDENTITY_TAGS if k in resource.tags},
        f"refusing to {verb} {roles[0]} {resource.id}: it does not carry this stack's tags ({want}); it has"
        f" {have}. Nothing was done to it: run the command again (a new run reads the tags afresh and leaves"
        " alone what is not this stack's), or, if it is this stack's, give it those tags",
    )


# --- batched reads -------------------------------------------------------------------------------------


def dig(data: dict[str, Any], path: Iterable[str]) -> Any:
    node: Any = data
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def describe_pages(
    ctx: Context,
    step: str,
    product: str,
    action: str,
    params: dict[str, Any],
    items_path: tuple[str, ...],
    page_size: int,
) -> list[dict[str, Any]]:
    """All items of a PageNumber/PageSize Describe: one call when everything fits in a page."""
    items: list[dict[str, Any]] = []
    for page in range(1, MAX_PAGES + 1):
        body = ctx.call(step, "", product, action, {**params, "PageNumber": page, "PageSize": page_size})
        batch = dig(body, items_path) or []
        items.extend(batch)
        total = body.get("TotalCount")
        if len(batch) < page_size or (isinstance(total, int) and len(items) >= total):
            return items
    raise WaitTimeout(f"{action} returned more than {MAX_PAGES} pages")


def describe_tokens(
    ctx: Context,
    step: str,
    product: str,
    action: str,
    params: dict[str, Any],
    items_path: tuple[str, ...],
    max_results: int,
) -> list[dict[str, Any]]:
    """All items of a NextToken/MaxResults Describe."""
    items: list[dict[str, Any]] = []
    token = None
    for _ in range(MAX_PAGES):
        body = ctx.call(
            step, "", product, action, {**params, "MaxResults": max_results, **({"NextToken": token} if token else {})}
        )
        items.extend(dig(body, items_path) or [])
        token = body.get("NextToken")
        if not token:
            return items
    raise WaitTimeout(f"{action} returned more than {MAX_PAGES} pages")


def describe_one(
    ctx: Context,
    step: str,
    rid: str,
    product: str,
    action: str,
    params: dict[str, Any],
    items_path: tuple[str, str],
    from_api: Callable[[dict[str, Any]], Any],
) -> Any | None:
    """The one resource a Describe* by id lists, parsed by `from_api`, or None when it is not listed."""
    items = dig(ctx.call(step, rid, product, action, params), items_path) or []
    return from_api(items[0]) if items else None


def chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


# --- waits ---------------------------------------------------------------------------------------------

# Typical durations of the cloud's status transitions (seconds on Alibaba Cloud): a wait sleeps this long
# after the call that began the transition before its first poll, since nothing can be seen earlier, and
# then polls finely. Boot: Pending (scheduling, disks) ~8 s, then Starting (the OS boots) ~25 s; a VPC
# or vSwitch settles in ~3 s and is released in ~2 s; a Force release takes ~5 s; a disk attaches in ~5 s
# and detaches in ~10 s ("about a minute" at worst, DetachDisk docs); a CLB and its listener start in ~2 s.
TYPICAL: dict[str, float] = {
    "vpc.create": 3.0,
    "vswitch.create": 3.0,
    "vswitch.modify": 1.0,  # ModifyVSwitchAttribute: Pending while the change is made (docs)
    "vpc.delete": 2.0,
    "vswitch.delete": 2.0,
    "instance.boot": 33.0,  # RunInstances -> Running
    "instance.start": 25.0,  # StartInstances / RebootInstance -> Running
    "instance.stop": 10.0,
    "instance.release": 5.0,  # DeleteInstances Force -> no longer listed
    "eni.release": 90.0,  # then its ENI: its group, vSwitch and VPC answer DependencyViolation
    "disk.create": 5.0,
    "disk.attach": 5.0,
    "disk.detach": 10.0,
    "slb.create": 2.0,
    "listener.start": 2.0,
    "listener.stop": 1.0,
}


def typical(ctx: Context, transition: str) -> float:
    """The typical duration of `transition` on this run's target (localcloud's speed scales it)."""
    return TYPICAL[transition] * getattr(ctx.cloud.target, "time_scale", 1.0)


def sleep(seconds: float) -> None:
    """The one sleep the waits use (tests may replace it)."""
    time.sleep(seconds)


def clock() -> float:
    """The waits' clock: time.monotonic() (tests may replace it, with `sleep`)."""
    return time.monotonic()


def sleep_until(moment: float) -> None:
    sleep(max(0.0, moment - clock()))


def call_freed(
    ctx: Context,
    step: str,
    resource: str,
    product: str,
    action: str,
    params: dict[str, Any],
    verify: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    """A delete that instances this run released may still block (DependencyViolation while their ENIs are
    released, minutes at worst; Terraform allows 10 min): one attempt at once (nothing may hold it); if it
    is refused as busy, no other until `ctx.freed_at`, then the busy retry."""
    if ctx.freed_at is None or clock() >= ctx.freed_at:
        return ctx.call(step, resource, product, action, params, busy=True, verify=verify)
    try:
        return ctx.call(step, resource, product, action, params)
    except Busy as err:
        log.info(
            "%s: %s %s answered %s; trying again once the released instances' network interfaces are"
            " typically gone (%.0fs)",
            step,
            action,
            resource,
            err.code,
            ctx.freed_at - clock(),
        )
        sleep_until(ctx.freed_at)
    return ctx.call(step, resource, product, action, params, busy=True, verify=verify)


def wait_for(
    what: str,
    probe: Callable[[], tuple[bool, str]],
    timeout: float,
    expect: float = 0.0,
    since: float | None = None,
    min_interval: float = 0.25,
    max_interval: float = 2.0,
) -> None:
    """Poll `probe` (-> (done, what it saw)) until done or the deadline; never unbounded.

    `expect`: the transition's typical duration from `since` (time.monotonic() when the call that began it
    returned; default now). The first poll comes only then: before, nothing can have changed, and a
    poll would be a wasted call. After it, the interval is a twentieth of the time since `since` (at
    least `min_interval`, at most `max_interval`), so a transition that runs late is seen at most ~5%
    after its end. One poll is one batched Describe call: a boot costs one or two calls, not dozens.
    """
    start = clock()
    origin = start if since is None else min(since, start)
    deadline = start + timeout
    first = origin + max(0.0, expect)
    if first > start:
        sleep(min(first, deadline) - start)
    seen = "nothing yet"
    polls = 0
    while polls == 0 or clock() < deadline:
        polls += 1
        done, seen = probe()
        if done:
            if polls > 1:
                log.info("%s: done after %.1fs (%d polls)", what, clock() - origin, polls)
            return
        now = clock()
        log.info("waiting for %s: %s (%.0fs)", what, seen, now - origin, extra={"progress": True})
        sleep(max(0.0, min(max(min_interval, 0.05 * (now - origin)), max_interval, deadline - now)))
    raise WaitTimeout(f"timed out after {timeout:.0f}s waiting for {what}; last seen: {seen}")


def wait_status(what: str, describe: Callable[[], Any | None], want: str, timeout: float, expect: float = 0.0) -> str:
    """Poll `describe` (one resource or None) until its `.status` is `want`; returns `want`. `expect`:
    the transition's typical duration from now (no poll before)."""

    def probe() -> tuple[bool, str]:
        found = describe()
        status = found.status if found else "not visible yet"
        return status == want, status

    wait_for(f"{what} to be {want}", probe, timeout, expect=expect)
    return want


def wait_gone(what: str, describe: Callable[[], Any | None], timeout: float, expect: float = 0.0) -> None:
    """Poll `describe` (one resource or None) until the resource is no longer listed."""

    def probe() -> tuple[bool, str]:
        found = describe()
        return found is None, (found.status if found else "gone")

    wait_for(f"{what} to be deleted", probe, timeout, expect=expect)
