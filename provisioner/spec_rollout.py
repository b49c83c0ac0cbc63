"""The stack's `rollout` section: how outdated instances are replaced (provisioner/replace.py).

rollout:
  max_surge: 1            # instances a rollout may create above count (a count, or "25%" of count)
  max_unavailable: 0      # healthy backends it may take below count: old ones leave before their replacements
  batch_pause_seconds: 0  # wait between two batches
  health_timeout: 600     # seconds a batch has to pass the SLB's health check, else it is rolled back
  on_reconcile: finish    # reconcile: "finish" a rollout under way only, or "start" one too
  canary: {instances: 1, weight: 10, hold: true}
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .errors import SpecError
from .specfields import Section, shown

_PERCENT = re.compile(r"(\d{1,3})%")


@dataclass(frozen=True)
class Canary:
    instances: int
    weight: int  # 1-100: the canary's share of the traffic, in percent
    hold: bool = True  # stop after the canary batch until `provisioner promote`


@dataclass(frozen=True)
class Rollout:
    max_surge: str = "1"
    max_unavailable: str = "0"
    batch_pause_seconds: int = 0
    health_timeout: int = 600
    on_reconcile: str = "finish"
    canary: Canary | None = None

    def surge(self, count: int) -> int:
        return _resolve(self.max_surge, count, up=True)

    def unavailable(self, count: int) -> int:
        return _resolve(self.max_unavailable, count, up=False)


def _resolve(value: str, count: int, up: bool) -> int:
    """A count, or a percentage of `count` (surge rounds up, unavailable down, as Kubernetes does)."""
    m = _PERCENT.fullmatch(value)
    if m:
        share = int(m.group(1)) * count / 100
        return math.ceil(share) if up else math.floor(share)
    return int(value)


def _amount(sec: Section, key: str, default: str) -> str:
    raw = sec._get(key, False)
    if raw is None:
        return default
    if isinstance(raw, bool):
        raw = None
    if isinstance(raw, int) and 0 <= raw <= 500:
        return str(raw)
    if isinstance(raw, str) and _PERCENT.fullmatch(raw.strip()) and int(raw.strip()[:-1]) <= 100:
        return raw.strip()
    raise SpecError(sec.field(key), f"must be a count (0-500) or a percentage such as 25% (got {shown(raw)})")


def parse_rollout(sec: Section | None, count: int) -> Rollout:
    if sec is None:
        return Rollout()
    surge = _amount(sec, "max_surge", "1")
    unavailable = _amount(sec, "max_unavailable", "0")
    pause = sec.integer("batch_pause_seconds", 0, 3600, default=0)
    timeout = sec.integer("health_timeout", 10, 7200, default=600)
    on_reconcile = sec.text("on_reconcile", default="finish", choices=("finish", "start"))
    canary = None
    csec = sec.section("canary")
    if csec is not None:
        instances = csec.integer("instances", 1, 500)
        if instances > count:
            raise SpecError(csec.field("instances"), f"must be at most instances.count ({count})")
        weight = csec.integer("weight", 1, 99, default=10)
        hold = csec._get("hold", False)
        if hold is None:
            hold = True
        if not isinstance(hold, bool):
            raise SpecError(csec.field("hold"), f"must be true or false (got {shown(hold)})")
        csec.done()
        canary = Canary(instances, weight, hold)
    sec.done()
    rollout = Rollout(surge, unavailable, pause, timeout, on_reconcile, canary)
    if rollout.surge(count) == 0 and rollout.unavailable(count) == 0:
        # Names max_unavailable when its percentage rounded down to 0 for this count, else max_surge.
        rounded = _PERCENT.fullmatch(unavailable) is not None and unavailable != "0%"
        zero = "max_unavailable" if rounded else "max_surge"
        raise SpecError(
            sec.field(zero),
            f"rollout.max_surge ({surge}) and rollout.max_unavailable ({unavailable}) cannot both be 0 for"
            f" instances.count {count} (percentages of the count: surge rounds up, unavailable down):"
            " no instance could ever be replaced",
        )
    return rollout
