"""The emulated cloud: action registry, dispatch, ClientToken idempotency, status timelines, hooks."""

from __future__ import annotations

import functools
import logging
import secrets
import string
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast, overload

from . import catalog
from .encoding import EncodedList, dumps
from .errors import IdempotentParameterMismatch, InvalidClientToken, InvalidNextToken, InvalidRegionIdNotFound
from .params import Params
from .profile import Clock
from .store import R, Resource, Store

if TYPE_CHECKING:
    from .faults import Faults
    from .runtime.runtime import Runtime

log = logging.getLogger(__name__)

VERSIONS = {"2014-05-26": "ecs", "2016-04-28": "vpc", "2014-05-15": "slb"}
HOSTS = {"ecs": "ecs.aliyuncs.com", "vpc": "vpc.aliyuncs.com", "slb": "slb.aliyuncs.com"}
PRODUCT_NAMES = {"ecs": "Ecs", "vpc": "Vpc", "slb": "Slb"}


@dataclass
class ActionSpec:
    product: str
    name: str
    func: Callable[[Cloud, Params], dict]
    mutating: bool


# (product, action) -> spec. Products register at import time with @action.
ACTIONS: dict[tuple[str, str], ActionSpec] = {}
# kind -> handler(cloud, obj) run when a timeline step releases the resource.
RELEASE_HANDLERS: dict[str, Callable[[Cloud, Any], None]] = {}


F = TypeVar("F", bound=Callable[..., Any])


def action(product: str, name: str, mutating: bool | None = None) -> Callable[[F], F]:
    """Register a response function for `product`'s API action `name`.

    Reads (Describe*/List*) are non-mutating unless told otherwise; everything else mutates.
    """

    def wrap(func: F) -> F:
        is_mut = mutating if mutating is not None else not name.startswith(("Describe", "List"))
        ACTIONS[(product, name)] = ActionSpec(product, name, func, is_mut)
        return func

    return wrap


def on_release(kind: str) -> Callable[[F], F]:
    def wrap(func: F) -> F:
        RELEASE_HANDLERS[kind] = func
        return func

    return wrap


_ID_ALPHABET = string.ascii_lowercase + string.digits


def region_code(region: str) -> str:
    """Alibaba ids carry a short region code after the prefix (i-bp1..., vpc-bp1... in cn-hangzhou)."""
    return catalog.REGIONS.get(region, {}).get("id_code", "xx")


def new_id(prefix: str, region: str | None = None) -> str:
    body = "".join(secrets.choice(_ID_ALPHABET) for _ in range(20))
    code = region_code(region) if region else ""
    return f"{prefix}-{code}{body}"[: len(prefix) + 1 + 22]


def iso_minutes(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(ts))


def iso_seconds(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


@dataclass
class Config:
    """Knobs settable at start and through PUT /_localcloud/config."""

    instance_quota: int = 200  # instances per region (ECS "quota" error past it)
    no_stock: list[list[str]] = field(default_factory=list)  # [[zone_id, instance_type], ...]
    token_ttl: float = 24 * 3600.0  # ClientToken memory (undocumented; our choice)
    runtime: bool = True  # run serving workloads locally (issue 5)
    low_stock: list[list[str]] = field(default_factory=list)  # [[zone_id, instance_type], ...]: ClosedWithStock
    closed_zones: list[str] = field(default_factory=list)  # zones the account may not buy in (ZoneNotAllowed)
    retired_images: list[str] = field(default_factory=list)  # public image ids retired from now on
    dependency_linger: float | None = None  # seconds a released instance still blocks its SG/vSwitch/VPC
    # (None: the latency profile's figure, 0 under --instant)

    def to_dict(self) -> dict:
        return {
            "instance_quota": self.instance_quota,
            "no_stock": self.no_stock,
            "token_ttl": self.token_ttl,
            "runtime": self.runtime,
            "low_stock": self.low_stock,
            "closed_zones": self.closed_zones,
            "retired_images": self.retired_images,
            "dependency_linger": self.dependency_linger,
        }

    def update(self, data: dict) -> None:
        for key, value in data.items():
            if key not in self.to_dict():
                raise ValueError(f"unknown config key: {key}")
            setattr(self, key, value)

    def has_stock(self, zone: str, instance_type: str) -> bool:
        return [zone, instance_type] not in [list(p) for p in self.no_stock]


class Cloud:
    """All resources of every region, guarded by one lock; each API call is one transaction."""

    def __init__(self, store: Store, clock: Clock, config: Config | None = None):
        self.store = store
        self.clock = clock
        self.config = config or Config()
        saved = store.meta("config")
        if saved and config is None:
            self.config.update(saved)
        self.lock = threading.RLock()
        self.listeners: list[Callable[[str, dict, str, Any, Any], None]] = []
        self.account_id = "1234567890123456"
        self.runtime: Runtime | None = None  # the local runtime attaches itself (localcloud.runtime.attach)
        self.faults: Faults | None = None  # model-level fault knobs (read lag, lost instances)

    # dispatch --------------------------------------------------------------------------------
    def call(self, product: str, name: str, raw: dict[str, str]) -> dict:
        spec = ACTIONS[(product, name)]
        params = Params(raw)
        with self.lock:
            self.advance_timelines()
            try:
                body = spec.func(self, params)
                self.store.commit()
            except BaseException:
                self.store.rollback()
                raise
        return body

    # validation helpers used by products ---------------------------------------------------
    @overload
    def region(self, p: Params, required: Literal[True] = ...) -> str: ...

    @overload
    def region(self, p: Params, required: bool) -> str | None: ...

    def region(self, p: Params, required: bool = True) -> str | None:
        """`RegionId`, which must name a region of the catalog (else InvalidRegionId.NotFound, 404)."""
        region = p.text("RegionId", required=required)
        if region is not None and region not in catalog.REGIONS:
            raise InvalidRegionIdNotFound()
        return region

    # ClientToken -------------------------------------------------------------------------------
    def idempotent(
        self, product: str, name: str, p: Params, create: Callable[[], dict], token_param: str = "ClientToken"
    ) -> dict:
        """Same token + same parameters -> the first result; other parameters -> mismatch.

        Only successful calls record the token (choice: a token whose first call was refused can be
        used again; CHOICES.md).
        """
        token = p.text(token_param)
        if token is None:
            return create()
        if len(token) > 64 or not token.isascii():
            raise InvalidClientToken()
        key = f"token:{product}:{name}:{p.raw.get('RegionId', '')}:{token}"
        seen = self.store.meta(key)
        now = self.clock.now()
        fingerprint = p.fingerprint(ignore=(token_param,))
        if seen and now - seen["at"] < self.config.token_ttl:
            if seen["fingerprint"] != fingerprint:
                raise IdempotentParameterMismatch()
            return dict(seen["result"])
        result = create()
        self.store.set_meta(key, {"at": now, "fingerprint": fingerprint, "result": result})
        return result

    # status timelines ------------------------------------------------------------------------
    def schedule(
        self, kind: str, obj: Resource, steps: list[tuple[str, str | None, Any]], replace: bool = True
    ) -> None:
        """Queue `[(duration_key, field, value), ...]`; each step fires its duration after the previous.

        A step with field "__release__" removes the resource (and runs its release handler).
        """
        at = self.clock.now()
        timeline = [] if replace else list(obj.get("_timeline", []))
        if timeline:
            at = max(at, timeline[-1][0])
        for key, fld, value in steps:
            at += self.clock.delay(key) if key else 0.0
            timeline.append([at, fld, value])
        cast(dict, obj)["_timeline"] = timeline
        self.store.put(kind, obj)

    def set_field(self, kind: str, obj: Resource, fld: str, value: Any) -> None:
        old = obj.get(fld)
        cast(dict, obj)[fld] = value
        self.store.put(kind, obj)
        if old != value:
            self._notify(kind, obj, fld, old, value)

    def release(self, kind: str, obj: Resource) -> None:
        handler = RELEASE_HANDLERS.get(kind)
        if handler:
            handler(self, obj)
        self.store.delete(kind, obj["id"])
        self._notify(kind, obj, "__release__", None, True)

    def advance_timelines(self) -> bool:
        """Apply every due step. Called before each request and by the background ticker."""
        now = self.clock.now()
        changed = False
        for kind in list(self.store.kinds()):
            for obj in self.store.all(kind):
                timeline = obj.get("_timeline")
                if not timeline:
                    continue
                popped = False
                while timeline and timeline[0][0] <= now:
                    _, fld, value = timeline.pop(0)
                    popped = changed = True
                    if fld == "__release__":
                        self.release(kind, obj)
                        popped = False
                        break
                    self.set_field(kind, obj, fld, value)
                if popped:
                    self.store.put(kind, obj)
        return changed

    def tick(self) -> None:
        with self.lock:
            if self.advance_timelines():
                self.store.commit()

    def _notify(self, kind, obj, fld, old, new) -> None:
        for listener in list(self.listeners):
            try:
                listener(kind, obj, fld, old, new)
            except Exception:  # a listener must never break the API
                log.exception("listener failed for %s %s", kind, obj.get("id"))

    def save_config(self) -> None:
        self.store.set_meta("config", self.config.to_dict())
        self.store.commit()


def rendered_list(
    cloud: Cloud,
    kind: str,
    objs: list[R],
    view: str,
    render: Callable[[R], dict[str, Any]],
    depends: tuple[str, ...] = (),
) -> EncodedList:
    """The answer's list of resources, each encoded once and kept by the store until it (or a resource of
    a kind in `depends`, which `render` also reads) changes; the server splices the texts in."""
    return EncodedList([cloud.store.rendered(kind, obj, view, lambda o: dumps(render(o)), depends) for obj in objs])


def public(obj: dict) -> dict:
    """The resource without internal bookkeeping keys (those starting with '_')."""
    return {k: v for k, v in obj.items() if not k.startswith("_")}


def paginate(
    items: list, p: Params, default_size: int = 10, max_size: int = 100, code: str | None = None
) -> tuple[list, dict]:
    """PageNumber/PageSize paging; returns the page and {TotalCount, PageNumber, PageSize}."""
    number = p.integer("PageNumber", default=1, min=1, max=10**9, code=code)
    size = p.integer("PageSize", default=default_size, min=1, max=max_size, code=code)
    start = (number - 1) * size
    return items[start : start + size], {"TotalCount": len(items), "PageNumber": number, "PageSize": size}


def next_token_page(
    items: list, p: Params, default_size: int = 10, max_size: int = 100, size_param: str = "MaxResults"
) -> tuple[list, dict]:
    """NextToken/MaxResults paging; `NextToken` is "" on the last page, as the real answers have it (CHOICES.md)."""
    size = p.integer(size_param, default=default_size, min=1, max=max_size)
    token = p.text("NextToken")
    start = 0
    if token:
        try:
            start = int(token, 16)
        except ValueError:
            raise InvalidNextToken() from None
        if start < 0 or start > len(items):
            raise InvalidNextToken()
    page = items[start : start + size]
    meta: dict[str, Any] = {"NextToken": format(start + size, "x") if start + size < len(items) else ""}
    return page, meta


def in_order(body: dict, order: tuple[str, ...], nested: dict | None = None) -> dict:
    """`body` with the keys of `order` first, in that order, then the others as they were.

    Some clients read a JSON answer key by key and depend on the order of the documented sample answer
    (footmark, behind the Ansible alicloud collection, reads `EipAddress` while it sets `PublicIpAddress`).
    `nested` orders inner objects too: `{key: order}` for an object, `{key: (item_key, order)}` for a
    `{item_key: [objects]}` list.
    """
    out = {key: body[key] for key in order if key in body}
    out.update((key, value) for key, value in body.items() if key not in out)
    for key, spec in (nested or {}).items():
        value = out.get(key)
        if len(spec) == 2 and isinstance(spec[1], tuple):
            item, item_order = spec
            if isinstance(value, dict) and isinstance(value.get(item), list):
                out[key] = {**value, item: [in_order(v, item_order) if isinstance(v, dict) else v for v in value[item]]}
        elif isinstance(value, dict):
            out[key] = in_order(value, spec)
    return out


def ordered(order: tuple[str, ...], nested: dict | None = None) -> Callable[[F], F]:
    """Decorate a render function so that its answer keeps a documented sample's field order (`in_order`)."""

    def wrap(render: F) -> F:
        @functools.wraps(render)
        def rendered(*args: Any, **kwargs: Any) -> dict:
            return in_order(render(*args, **kwargs), order, nested)

        return cast(F, rendered)

    return wrap
