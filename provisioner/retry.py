"""Every retry policy of the provisioner (tenacity), applied to the thin SDK call wrapper only."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
    wait_random,
)
from tenacity.stop import stop_base

from .errors import Busy, Transient

log = logging.getLogger(__name__)


def sleep(seconds: float) -> None:
    """The one sleep the policies use; tests replace it so that they never wait."""
    time.sleep(seconds)


@dataclass(frozen=True)
class Policy:
    """Bounds of one retry policy: total time (and optionally attempts), exponential backoff with jitter."""

    attempts: int | None
    deadline_s: float
    initial_s: float
    max_wait_s: float
    jitter_s: float


# Throttling, 5xx and network errors. ECS throttles per minute ("throttled in minute T, allowed in T+1":
# ecs-api.md §4), so the backoff reaches 20 s and the budget covers a few minutes; 16 attempts keep even
# a 45% failure rate (the fault soak of issue 4) from exhausting one call (0.45^16 < 1e-5).
TRANSIENT = Policy(attempts=16, deadline_s=240.0, initial_s=0.5, max_wait_s=20.0, jitter_s=1.0)
# Busy errors that clear on their own (a dependency still being released, a status in transition) are
# bounded by time only, per operation, as real clients do: Terraform allows 10 min for deleting a security
# group, vSwitch or VPC (DependencyViolation while a released instance's ENI lingers) and 20 min for
# DeleteInstances (IncorrectInstanceStatus.Initializing while instances boot).
BUSY = Policy(attempts=None, deadline_s=600.0, initial_s=0.5, max_wait_s=5.0, jitter_s=0.5)
BUSY_DEADLINES: dict[str, float] = {
    "DeleteSecurityGroup": 600.0,
    "DeleteVSwitch": 600.0,
    "DeleteVpc": 600.0,
    "DeleteInstances": 1200.0,
}


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    wait = state.next_action.sleep if state.next_action else 0.0
    log.info("retrying in %.1fs (attempt %d): %s", wait, state.attempt_number, exc)


class stop_after_slept(stop_base):
    """Stop once the sleeps so far plus the next one would pass the deadline. Together with tenacity's
    stop_after_delay (wall time) this bounds a call by time even when the sleep is replaced (tests): the
    budget is spent by the injected sleep, not by the machine's clock."""

    def __init__(self, deadline_s: float):
        self.deadline_s = deadline_s

    def __call__(self, retry_state: RetryCallState) -> bool:
        return retry_state.idle_for + (retry_state.upcoming_sleep or 0.0) > self.deadline_s


def deadline_for(action: str | None, policy: Policy) -> float:
    """The busy budget of one operation (BUSY_DEADLINES), else the policy's."""
    if policy is BUSY and action in BUSY_DEADLINES:
        return BUSY_DEADLINES[action]
    return policy.deadline_s


def retrying(
    busy: bool = False, policy: Policy | None = None, action: str | None = None, read: bool = False
) -> Retrying:
    """A tenacity Retrying for one API call: Transient always; Busy when the caller says it clears (such a
    call gets the Busy budget, by time, for both kinds) or when the call only reads (Describe*/List*:
    SLB reads answer ServiceIsConfiguring or OperationBusy while a listener changes; safe to repeat)."""
    if policy is None:
        policy = BUSY if busy else TRANSIENT
    kinds = (Transient, Busy) if (busy or read) else (Transient,)
    deadline = deadline_for(action, policy)
    stop = stop_after_delay(deadline) | stop_after_slept(deadline)
    if policy.attempts is not None:
        stop = stop | stop_after_attempt(policy.attempts)
    return Retrying(
        retry=retry_if_exception_type(kinds),
        # Exponential backoff plus random jitter (tenacity's wait_exponential_jitter, spelled so that it
        # reads the same on tenacity 8 and 9).
        wait=wait_exponential(multiplier=policy.initial_s, max=policy.max_wait_s) + wait_random(0, policy.jitter_s),
        stop=stop,
        sleep=lambda seconds: sleep(seconds),
        before_sleep=_log_retry,
        reraise=True,
    )
