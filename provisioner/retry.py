"""Every retry policy of the provisioner (tenacity), applied to the thin SDK call wrapper only."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from tenacity import (RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, stop_after_delay,
                      wait_exponential, wait_random)

from .errors import Busy, Transient

log = logging.getLogger(__name__)


def sleep(seconds: float) -> None:
    """The one sleep the policies use; tests replace it so that they never wait."""
    time.sleep(seconds)


@dataclass(frozen=True)
class Policy:
    """Bounds of one retry policy: attempts and total time, exponential backoff with jitter."""

    attempts: int
    deadline_s: float
    initial_s: float
    max_wait_s: float
    jitter_s: float


# Throttling, 5xx and network errors. ECS throttles per minute ("throttled in minute T, allowed in T+1":
# ecs-api.md §4), so the backoff reaches 20 s and the budget covers a few minutes; 16 attempts keep even
# a 45% failure rate (the fault soak of issue 4) from exhausting one call (0.45^16 < 1e-5).
TRANSIENT = Policy(attempts=16, deadline_s=240.0, initial_s=0.5, max_wait_s=20.0, jitter_s=1.0)
# Busy errors that clear on their own (a dependency still being released, a status in transition):
# Terraform waits minutes for these on deletes (DependencyViolation on DeleteSecurityGroup/DeleteVSwitch).
BUSY = Policy(attempts=60, deadline_s=600.0, initial_s=0.5, max_wait_s=5.0, jitter_s=0.5)


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    wait = state.next_action.sleep if state.next_action else 0.0
    log.info("retrying in %.1fs (attempt %d): %s", wait, state.attempt_number, exc)


def retrying(busy: bool = False, policy: Policy | None = None) -> Retrying:
    """A tenacity Retrying for one API call: Transient always; Busy only when the caller says it clears
    (such a call gets the longer Busy budget for both kinds)."""
    if policy is None:
        policy = BUSY if busy else TRANSIENT
    kinds = (Transient, Busy) if busy else (Transient,)
    return Retrying(
        retry=retry_if_exception_type(kinds),
        # Exponential backoff plus random jitter (tenacity's wait_exponential_jitter, spelled so that it
        # reads the same on tenacity 8 and 9).
        wait=wait_exponential(multiplier=policy.initial_s, max=policy.max_wait_s) + wait_random(0, policy.jitter_s),
        stop=stop_after_attempt(policy.attempts) | stop_after_delay(policy.deadline_s),
        sleep=lambda seconds: sleep(seconds),
        before_sleep=_log_retry,
        reraise=True,
    )
