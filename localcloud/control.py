"""The control API under /_localcloud/: outside Alibaba's namespace, unsigned, loopback only."""
from __future__ import annotations

import json
import os
import threading
from typing import Callable

from .core import public

# (method, path) -> fn(emulator, body: dict) -> (status, dict). Extensions may add routes.
ROUTES: dict[tuple[str, str], Callable] = {}


def route(method: str, path: str):
    def wrap(func):
        ROUTES[(method, path)] = func
        return func

    return wrap


def handle(handler, split, body: bytes) -> None:
    path = split.path.rstrip("/")
    func = ROUTES.get((handler.command, path))
    if func is None:
        allowed = sorted(m for m, p in ROUTES if p == path)
        status = 405 if allowed else 404
        handler.send_json(status, {"error": f"no control route {handler.command} {path}", "allowed": allowed})
        return
    try:
        data = json.loads(body) if body else {}
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        status, out = func(handler.emu, data)
    except (ValueError, TypeError) as err:
        handler.send_json(400, {"error": str(err)})
        return
    handler.send_json(status, out)


@route("GET", "/_localcloud/health")
def health(emu, _):
    return 200, {"ok": True, "pid": os.getpid(), "data_dir": emu.data_dir, "speed": emu.clock.speed,
                 "instant": emu.clock.instant, "runtime": emu.cloud.config.runtime}


@route("POST", "/_localcloud/reset")
def reset(emu, _):
    emu.reset()
    return 200, {"ok": True}


@route("GET", "/_localcloud/resources")
def resources(emu, _):
    with emu.cloud.lock:
        emu.cloud.advance_timelines()
        out = {kind: [public(o) for o in emu.store.all(kind)] for kind in emu.store.kinds()}
    return 200, {k: v for k, v in out.items() if v}


@route("GET", "/_localcloud/stats")
def stats(emu, _):
    return 200, emu.stats.snapshot()


@route("POST", "/_localcloud/stats/reset")
def stats_reset(emu, _):
    emu.stats.reset()
    return 200, {"ok": True}


@route("GET", "/_localcloud/faults")
def faults_get(emu, _):
    return 200, emu.faults.describe()


@route("PUT", "/_localcloud/faults")
def faults_put(emu, data):
    emu.faults.configure(data)
    return 200, emu.faults.describe()


@route("GET", "/_localcloud/config")
def config_get(emu, _):
    return 200, emu.cloud.config.to_dict()


@route("PUT", "/_localcloud/config")
def config_put(emu, data):
    with emu.cloud.lock:
        emu.cloud.config.update(data)
        emu.cloud.save_config()
    return 200, emu.cloud.config.to_dict()


@route("POST", "/_localcloud/advance")
def advance(emu, data):
    seconds = float(data.get("seconds", 0))
    if seconds < 0:
        raise ValueError("seconds must be >= 0")
    emu.advance(seconds)
    return 200, {"ok": True, "offset": emu.clock.offset}


@route("POST", "/_localcloud/shutdown")
def shutdown(emu, _):
    server = getattr(emu, "http_server", None)
    if server is None:
        return 409, {"error": "this emulator was not started by `localcloud serve`"}
    threading.Thread(target=server.shutdown, daemon=True).start()
    return 200, {"ok": True}


@route("PUT", "/_localcloud/kill_after")
def kill_after(emu, data):
    """Test hook for crash matrices: `{"pid": P, "mutating_calls": k}` SIGKILLs P right after the k-th
    mutating API call from now has taken effect (before its answer is sent). k = 0 clears it."""
    emu.kill_after(int(data.get("pid", 0)), int(data.get("mutating_calls", 0)))
    return 200, {"ok": True}
