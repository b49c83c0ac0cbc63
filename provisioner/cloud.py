"""The three official SDK clients and the one call wrapper: converts errors, retries, counts calls."""

from __future__ import annotations

import importlib
import logging
import threading
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import errors, retry

if TYPE_CHECKING:
    from .target import ResolvedTarget

log = logging.getLogger(__name__)

# product -> SDK package (ECS 2014-05-26, VPC 2016-04-28, SLB 2014-05-15)
PACKAGES = {"ecs": "alibabacloud_ecs20140526", "vpc": "alibabacloud_vpc20160428", "slb": "alibabacloud_slb20140515"}

READ_TIMEOUT_MS = 60_000  # RunInstances may take tens of seconds to answer on the real cloud
CONNECT_TIMEOUT_MS = 5_000


def is_mutating(action: str) -> bool:
    return not action.startswith(("Describe", "List"))


class CallStats:
    """API calls made by this run (every attempt counts), by product:action; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_action: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()

    def record(self, product: str, action: str, code: str | None = None) -> None:
        with self._lock:
            self.by_action[f"{product}:{action}"] += 1
            if code:
                self.errors[code] += 1

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.by_action.values())

    @property
    def mutating(self) -> int:
        with self._lock:
            return sum(n for key, n in self.by_action.items() if is_mutating(key.split(":", 1)[1]))

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            by_action = dict(sorted(self.by_action.items()))
            errs = dict(sorted(self.errors.items()))
        return {
            "total": sum(by_action.values()),
            "mutating": sum(n for k, n in by_action.items() if is_mutating(k.split(":", 1)[1])),
            "by_action": by_action,
            "errors": errs,
        }


class _Product:
    """One SDK package: its client class, its models module and the action -> method-name map."""

    def __init__(self, product: str):
        package = PACKAGES[product]
        self.client_class = importlib.import_module(package + ".client").Client
        self.models = importlib.import_module(package + ".models")
        self.methods: dict[str, str] = {}
        for name in dir(self.client_class):
            if name.startswith("_") or name.endswith(("_async", "_with_options")):
                continue
            self.methods[name.replace("_", "").lower()] = name

    def method_name(self, action: str) -> str:
        # The SDK's snake_case is irregular (CreateLoadBalancerHTTPListener -> create_load_balancer_httplistener).
        try:
            return self.methods[action.lower()]
        except KeyError:
            raise errors.Fatal("api", "", action, None, None, None, "the SDK has no such action") from None

    def request(self, action: str, params: dict[str, Any]) -> Any:  # the SDK's untyped request model
        return getattr(self.models, action + "Request")().from_map(params)


_PRODUCTS: dict[str, _Product] = {}
_PRODUCTS_LOCK = threading.Lock()


def _product(name: str) -> _Product:
    with _PRODUCTS_LOCK:
        if name not in _PRODUCTS:
            _PRODUCTS[name] = _Product(name)
        return _PRODUCTS[name]


class Cloud:
    """API access for one run: `call()` is the only way the provisioner talks to the cloud."""

    def __init__(self, target: ResolvedTarget, region: str) -> None:
        self.target = target
        self.region = region
        self.stats = CallStats()
        self._local = threading.local()

    def _client(self, product: str) -> Any:  # the SDK's untyped client class
        clients = getattr(self._local, "clients", None)
        if clients is None:
            clients = self._local.clients = {}
        if product not in clients:
            config = self.target.sdk_config(
                self.region, read_timeout_ms=READ_TIMEOUT_MS, connect_timeout_ms=CONNECT_TIMEOUT_MS
            )
            clients[product] = _product(product).client_class(config)
        return clients[product]

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
        """Call `product`'s `action` with wire-named `params`; return the response body as a wire-named dict.

        Transient errors are retried with backoff; Busy ones when `busy=True` (the caller knows the
        condition clears; the budget is the operation's, by time: retry.BUSY_DEADLINES) and on reads.
        `verify()` (optional) checks whether the change is already in place: when a
        call fails with a non-transient error (typically the retry of a call whose answer was lost), a
        True from verify makes it a success. Anything else raises our exception naming step, resource,
        code and request id.
        """
        meta = _product(product)
        method = meta.method_name(action)
        for attempt in retry.retrying(busy=busy, action=action, read=not is_mutating(action)):
            with attempt:
                try:
                    return self._invoke(step, resource, product, action, method, params)
                except errors.CloudError as err:
                    if verify is not None and not isinstance(err, errors.Transient) and verify():
                        log.info("%s: %s answered %s, but the change is already in place", step, action, err.code)
                        return {}
                    raise
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    def _invoke(
        self, step: str, resource: str, product: str, action: str, method: str, params: dict[str, Any]
    ) -> dict[str, Any]:
        request = _product(product).request(action, params)
        try:
            response = getattr(self._client(product), method)(request)
        except Exception as exc:  # noqa: BLE001 - the one conversion point for SDK errors
            err = errors.convert(exc, step, resource, action)
            self.stats.record(product, action, err.code or "network")
            log.debug("%s %s:%s -> %s", step, product, action, err)
            raise err from None
        self.stats.record(product, action)
        body = getattr(response, "body", None)
        if body is None:
            raise errors.Fatal(
                step,
                resource,
                action,
                None,
                getattr(response, "status_code", None),
                None,
                "the response body did not match the SDK's model",
            )
        answer: dict[str, Any] = body.to_map()
        return answer
