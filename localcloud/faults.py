"""Fault injection, deterministic under a seed: throttling, 5xx, busy or refusing answers, latency, dropped
connections, reads that lag behind a create, and instances lost right after RunInstances."""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field, fields


@dataclass
class FaultRule:
    action: str = "*"  # "*", "RunInstances" or "ecs:RunInstances"
    throttle: float = 0.0  # rate of 400 Throttling.User
    error: float = 0.0  # rate of 5xx (ServiceUnavailable 503 / InternalError 500)
    drop: float = 0.0  # connection closed before the request is processed
    commit_drop: float = 0.0  # the request takes effect, then the connection is closed unanswered
    latency_ms: float = 0.0  # added to every matching request
    jitter_ms: float = 0.0  # plus uniform(0, jitter_ms)
    refuse: float = 0.0  # rate of an answer with one of `codes` (nothing happens)
    codes: list = field(default_factory=list)  # "Code" or "Code:status"; default: the product's busy codes
    # Per instance of a RunInstances call: the system fails to create it and releases it at once, with a
    # SystemFailure.Delete history event; its id is returned but never shows up in DescribeInstances.
    lose: float = 0.0

    def matches(self, product: str, action: str) -> bool:
        return self.action in ("*", action, f"{product}:{action}")

    def specificity(self) -> int:
        return 0 if self.action == "*" else (2 if ":" in self.action else 1)


# Busy answers of reads and writes while a CLB or listener is being configured: Terraform retries these on
# reads (`SlbIsBusy`); statuses from the SLB common error codes (vpc-slb-api.md).
BUSY_CODES = {
    "slb": [
        ("ServiceIsConfiguring", 400, "A previous configuration is pending; please try again later."),
        ("OperationBusy", 400, "The operation is busy; please try again later."),
        (
            "BackendServer.configuring",
            409,
            "A previous configuration of the load balancer is pending; please try again later.",
        ),
        ("ServiceIsStopping", 409, "The specified Listener is stopping, please retry later."),
    ],
}
KNOWN_STATUS = {code: status for entries in BUSY_CODES.values() for code, status, _ in entries}
READ_LAG_KINDS = ("listener",)  # kinds whose new resources reads may not see at once


def _parse_code(raw: str) -> tuple[str, int, str]:
    code, _, status = str(raw).partition(":")
    if not code:
        raise ValueError("a fault code must not be empty")
    try:
        number = int(status) if status else KNOWN_STATUS.get(code, 400)
    except ValueError:
        raise ValueError(f"fault code {raw!r}: the status after ':' must be a number") from None
    if not 400 <= number <= 599:
        raise ValueError(f"fault code {raw!r}: the status must be 400-599")
    return code, number, f"Injected fault: {code}."


@dataclass
class Decision:
    latency_s: float = 0.0
    before: str | None = None  # "throttle" | "error" | "drop" | "refuse"
    commit_drop: bool = False
    answer: tuple[str, int, str] | None = None  # (code, status, message) of a "refuse"


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self.configure({})

    def configure(self, data: dict) -> None:
        """`{"seed": 1, "rules": [{"action": "*", "throttle": 0.3, ...}]}`; an empty dict clears all."""
        known = {f.name for f in fields(FaultRule)}
        rules = []
        for raw in data.get("rules", []):
            unknown = set(raw) - known
            if unknown:
                raise ValueError(f"unknown fault rule keys: {sorted(unknown)}")
            rule = FaultRule(**raw)
            if not isinstance(rule.codes, list):
                raise ValueError("fault rule codes must be a list")
            for code in rule.codes:
                _parse_code(code)
            for name in ("throttle", "error", "drop", "commit_drop", "refuse", "lose"):
                value = getattr(rule, name)
                if not 0.0 <= float(value) <= 1.0:
                    raise ValueError(f"fault rule {name} must be between 0 and 1")
            rules.append(rule)
        lag = data.get("read_lag") or {}
        if not isinstance(lag, dict) or any(k not in READ_LAG_KINDS or float(v) < 0 for k, v in lag.items()):
            raise ValueError(f"read_lag maps {', '.join(READ_LAG_KINDS)} to seconds >= 0")
        with self._lock:
            self.seed = int(data.get("seed", 0))
            self.rules = rules
            self.read_lag = {k: float(v) for k, v in lag.items()}
            self._rng = random.Random(self.seed)
            self.injected: dict[str, int] = {}

    def describe(self) -> dict:
        with self._lock:
            return {
                "seed": self.seed,
                "rules": [asdict(r) for r in self.rules],
                "read_lag": dict(self.read_lag),
                "injected": dict(self.injected),
            }

    def lag(self, kind: str) -> float:
        """Seconds after its creation during which reads do not see a new resource of this kind."""
        return self.read_lag.get(kind, 0.0)

    def decide(self, product: str, action: str) -> Decision:
        with self._lock:
            matching = [r for r in self.rules if r.matches(product, action)]
            if not matching:
                return Decision()
            rule = max(matching, key=FaultRule.specificity)
            rng = self._rng
            decision = Decision(latency_s=(rule.latency_ms + rng.uniform(0, rule.jitter_ms)) / 1000.0)
            roll = rng.random()
            for kind in ("drop", "throttle", "error", "refuse"):
                rate = getattr(rule, kind)
                if roll < rate:
                    decision.before = kind
                    break
                roll -= rate
            if decision.before == "refuse":
                choices = [_parse_code(c) for c in rule.codes] if rule.codes else BUSY_CODES.get(product, [])
                if choices:
                    decision.answer = choices[rng.randrange(len(choices))]
                else:
                    decision.before = None  # no busy code for this product and none given
            if decision.before is None and rng.random() < rule.commit_drop:
                decision.commit_drop = True
            for name in (decision.before, "commit_drop" if decision.commit_drop else None):
                if name:
                    self.injected[name] = self.injected.get(name, 0) + 1
            return decision

    def rate(self, product: str, action: str, kind: str) -> float:
        """The most specific matching rule's rate of a model-level fault (0 when no rule matches)."""
        with self._lock:
            matching = [r for r in self.rules if r.matches(product, action)]
            return float(getattr(max(matching, key=FaultRule.specificity), kind)) if matching else 0.0

    def count(self, kind: str) -> None:
        with self._lock:
            self.injected[kind] = self.injected.get(kind, 0) + 1

    def coin(self) -> float:
        with self._lock:
            return self._rng.random()
