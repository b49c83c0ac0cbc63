"""Local runtime (issue 5): Running instances run their user data's workload, started SLB listeners balance."""
from __future__ import annotations

from . import routes  # noqa: F401  (registers the /_localcloud/runtime control routes)
from .runtime import Runtime, RuntimeConfig

__all__ = ["Runtime", "RuntimeConfig", "attach"]


def attach(emulator, server=None) -> Runtime | None:
    """Give `emulator` a runtime when its config asks for one (`--no-runtime` turns it off).

    Registers it as an extension (tick/reset/close), sets `emulator.cloud.runtime` (None when off)
    and subscribes it to the cloud's change notifications. Idempotent.
    """
    existing = getattr(emulator.cloud, "runtime", None)
    if existing is not None:
        return existing
    if not emulator.cloud.config.runtime:
        emulator.cloud.runtime = None
        return None
    runtime = Runtime(emulator)
    emulator.extensions.append(runtime)
    emulator.cloud.runtime = runtime
    return runtime
