"""Control routes of the local runtime under /_localcloud/runtime (state, knobs, crash simulation)."""

from __future__ import annotations

import signal

from ..control import route


def _runtime(emu):
    return getattr(emu.cloud, "runtime", None)


@route("GET", "/_localcloud/runtime")
def runtime_get(emu, _):
    runtime = _runtime(emu)
    if runtime is None:
        return 200, {"enabled": False, "instances": [], "listeners": []}
    return 200, runtime.describe()


@route("GET", "/_localcloud/runtime/config")
def runtime_config_get(emu, _):
    runtime = _runtime(emu)
    if runtime is None:
        return 409, {"error": "the local runtime is off (--no-runtime)"}
    return 200, runtime.config.to_dict()


@route("PUT", "/_localcloud/runtime/config")
def runtime_config_put(emu, data):
    runtime = _runtime(emu)
    if runtime is None:
        return 409, {"error": "the local runtime is off (--no-runtime)"}
    runtime.config.update(data)
    return 200, runtime.config.to_dict()


@route("POST", "/_localcloud/runtime/kill")
def runtime_kill(emu, data):
    """Kill an instance's workload as a crash would ({"instance_id", "signal": "KILL"|"TERM"|number})."""
    runtime = _runtime(emu)
    if runtime is None:
        return 409, {"error": "the local runtime is off (--no-runtime)"}
    instance_id = data.get("instance_id")
    if not isinstance(instance_id, str) or not 0 < len(instance_id) <= 64:
        raise ValueError("instance_id is required (a string of at most 64 characters)")
    name = data.get("signal", "KILL")
    try:
        signum = (
            int(name) if str(name).isdigit() else int(getattr(signal, "SIG" + str(name).upper().removeprefix("SIG")))
        )
    except (AttributeError, ValueError):
        raise ValueError(f"unknown signal {str(name)[:40]!r}") from None
    if signum not in signal.valid_signals() or signum == 0:
        raise ValueError(f"signal {signum} is not a signal of this system")
    killed = runtime.kill(instance_id, signum)
    if killed is None:
        return 404, {"error": f"instance {instance_id} has no running workload"}
    return 200, {"ok": True, "signal": signum, "workload": killed}
