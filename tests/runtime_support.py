"""Shared helpers of the tests that run the local runtime (real workload processes): polling and a fresh runtime."""
from __future__ import annotations

import os
import time

from tests.conftest import Control


def wait_until(predicate, what: str, timeout: float = 15.0, interval: float = 0.05):
    """Poll `predicate` until it returns something truthy (returned), or fail after `timeout` real seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def process_gone(pid: int) -> bool:
    """No process has this id any more (signal 0 probes without touching it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def fresh_runtime(server, health_interval_scale: float) -> Control:
    """Reset the runtime emulator `server` and make its health checks run every interval x the scale."""
    server.emulator.reset()
    control = Control(server.url)
    control.request("PUT", "runtime/config", {"health_interval_scale": health_interval_scale})
    return control
