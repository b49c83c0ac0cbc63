"""Fault injection, deterministic under a seed: throttling, 5xx, latency, dropped connections, and
model-level faults (an instance lost right after RunInstances, a Busy answer on reads)."""
from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, fields


@dataclass
class FaultRule:
    action: str = "*"             # "*", "RunInstances" or "ecs:RunInstances"
    throttle: float = 0.0         # rate of 400 Throttling.User
    error: float = 0.0            # rate of 5xx (ServiceUnavailable 503 / InternalError 500)
    drop: float = 0.0             # connection closed before the request is processed
    commit_drop: float = 0.0      # the request takes effect, then the connection is closed unanswered
    latency_ms: float = 0.0       # added to every matching request
    jitter_ms: float = 0.0        # plus uniform(0, jitter_ms)
    # Per instance of a RunInstances call: the system fails to create it and releases it at once, with a
    # SystemFailure.Delete history event; its id is returned but never shows up in DescribeInstances.
    lose: float = 0.0

    def matches(self, product: str, action: str) -> bool:
        return self.action in ("*", action, f"{product}:{action}")

    def specificity(self) -> int:
        return 0 if self.action == "*" else (2 if ":" in self.action else 1)


@dataclass
class Decision:
    latency_s: float = 0.0
    before: str | None = None     # "throttle" | "error" | "drop"
    commit_drop: bool = False


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
            for name in ("throttle", "error", "drop", "commit_drop", "lose"):
                value = getattr(rule, name)
                if not 0.0 <= float(value) <= 1.0:
                    raise ValueError(f"fault rule {name} must be between 0 and 1")
            rules.append(rule)
        with self._lock:
            self.seed = int(data.get("seed", 0))
            self.rules = rules
            self._rng = random.Random(self.seed)
            self.injected: dict[str, int] = {}

    def describe(self) -> dict:
        with self._lock:
            return {"seed": self.seed, "rules": [asdict(r) for r in self.rules], "injected": dict(self.injected)}

    def decide(self, product: str, action: str) -> Decision:
        with self._lock:
            matching = [r for r in self.rules if r.matches(product, action)]
            if not matching:
                return Decision()
            rule = max(matching, key=FaultRule.specificity)
            rng = self._rng
            decision = Decision(latency_s=(rule.latency_ms + rng.uniform(0, rule.jitter_ms)) / 1000.0)
            roll = rng.random()
            for kind in ("drop", "throttle", "error"):
                rate = getattr(rule, kind)
                if roll < rate:
                    decision.before = kind
                    break
                roll -= rate
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
