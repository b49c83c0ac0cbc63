"""The control API under /_localcloud/: outside Alibaba's namespace, loopback only, and (except the
readiness probe GET /_localcloud/health) only for who can read the data dir's control token
(`X-Localcloud-Token`, localcloud/credentials.py). Every input is checked before anything changes."""

from __future__ import annotations

import hmac
import json
import logging
import math
import os
import threading
from collections.abc import Callable
from urllib.parse import parse_qsl

from .core import public
from .credentials import KEY_FILE, TOKEN_HEADER, proof

log = logging.getLogger(__name__)
PUBLIC = {("GET", "/_localcloud/health")}  # readiness: pid and data dir, nothing secret

# (method, path) -> fn(emulator, body: dict) -> (status, dict). Extensions may add routes.
ROUTES: dict[tuple[str, str], Callable] = {}


def route(method: str, path: str):
    def wrap(func):
        ROUTES[(method, path)] = func
        return func

    return wrap


def authorized(emu, headers) -> bool:
    given = headers.get(TOKEN_HEADER) or ""
    return hmac.compare_digest(given.encode("utf-8", "replace"), emu.credentials.control_token.encode())


def handle(handler, split, body: bytes) -> None:
    path = split.path.rstrip("/")
    if (handler.command, path) not in PUBLIC and not authorized(handler.emu, handler.headers):
        where = os.path.join(handler.emu.data_dir, KEY_FILE) if handler.emu.data_dir else "the emulator's memory"
        handler.send_json(
            403,
            {
                "error": f"the control API needs the {TOKEN_HEADER} header: the control_token "
                f"in {where}, readable by the data dir's owner only"
            },
        )
        return
    func = ROUTES.get((handler.command, path))
    if func is None:
        allowed = sorted(m for m, p in ROUTES if p == path)
        status = 405 if allowed else 404
        handler.send_json(status, {"error": f"no control route {handler.command} {path}", "allowed": allowed})
        return
    try:
        try:
            data = json.loads(body) if body else {}
        except ValueError as err:
            raise ValueError(f"the body is not JSON: {err}") from None
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        if func is health:
            status, out = health(handler.emu, data, split.query)
        else:
            status, out = func(handler.emu, data)
    except (ValueError, TypeError) as err:
        handler.send_json(400, {"error": str(err)})
        return
    except Exception:  # a bug of ours: an answer, and the trace in the log
        log.exception("control route %s %s failed", handler.command, path)
        handler.send_json(500, {"error": "internal error (see the emulator's log)"})
        return
    handler.send_json(status, out)


def check_killable(pid) -> int:
    """`pid` if kill_after may SIGKILL it: a positive pid of a live process of our own user, not 1, not us."""
    if isinstance(pid, bool) or not isinstance(pid, int):
        raise ValueError("pid must be an integer")
    if pid <= 1:
        raise ValueError("pid must be a process id greater than 1 (no process groups, never init)")
    if pid == os.getpid():
        raise ValueError("pid must not be the emulator itself")
    try:
        owner = os.stat(f"/proc/{pid}").st_uid
    except FileNotFoundError:
        raise ValueError(f"pid {pid} is not a running process") from None
    except OSError:
        owner = None
    if owner is None:  # no /proc: ask the kernel whether we may signal it
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            raise ValueError(f"pid {pid} is not a running process") from None
        except PermissionError:
            raise ValueError(f"pid {pid} belongs to another user than the emulator's") from None
    elif owner != os.geteuid():
        raise ValueError(f"pid {pid} belongs to another user than the emulator's")
    return pid


# input checks: each names the field; a route checks everything before it changes anything ------------


def number(data: dict, name: str, lo: float, hi: float, default=None, integer: bool = False):
    value = data.get(name, default)
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if integer:
        ok = ok and float(value).is_integer()
    if not ok or not lo <= value <= hi:
        kind = "an integer" if integer else "a number"
        raise ValueError(f"{name} must be {kind} between {lo:g} and {hi:g}, not {json.dumps(value)[:80]}")
    return int(value) if integer else float(value)


def only(data: dict, allowed, what: str) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValueError(f"unknown {what} key: {unknown[0][:80]}")


def _string_list(data: dict, name: str, pairs: bool = False) -> list:
    items = data[name]
    ok = isinstance(items, list) and len(items) <= 1000
    if ok and pairs:
        ok = all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) and 0 < len(x) <= 128 for x in p)
            for p in items
        )
    elif ok:
        ok = all(isinstance(x, str) and 0 < len(x) <= 256 for x in items)
    if not ok:
        raise ValueError(
            f"{name} must be a list of " + ("[zone_id, instance_type] string pairs" if pairs else "strings")
        )
    return [list(p) for p in items] if pairs else list(items)


def checked_config(data: dict) -> dict:
    """PUT /_localcloud/config: every key checked (a bad value is a 400 and nothing is stored)."""
    from .core import Config

    defaults = Config().to_dict()
    only(data, defaults, "config")
    out = {}
    for name in data:
        if name == "instance_quota":
            out[name] = number(data, name, 0, 10**6, integer=True)
        elif name == "token_ttl":
            out[name] = number(data, name, 1, 10 * 365 * 86400)
        elif name in ("no_stock", "low_stock"):
            out[name] = _string_list(data, name, pairs=True)
        elif isinstance(defaults[name], bool):
            if not isinstance(data[name], bool):
                raise ValueError(f"{name} must be true or false")
            out[name] = data[name]
        elif isinstance(defaults[name], list):
            out[name] = _string_list(data, name)
        elif data[name] is None and defaults[name] is None:
            out[name] = None
        else:  # numbers (seconds, counts): finite and not negative
            out[name] = number(data, name, 0, 10 * 365 * 86400)
    return out


def checked_faults(data: dict) -> dict:
    """PUT /_localcloud/faults: the types and ranges Faults.configure does not check itself (it refuses
    unknown keys and bad codes); a bad value is a 400 naming it, and the faults in force stay."""
    only(data, ("seed", "rules", "read_lag"), "faults")
    number(data, "seed", 0, 2**63 - 1, default=0, integer=True)
    rules = data.get("rules", [])
    if not isinstance(rules, list) or len(rules) > 100:
        raise ValueError("rules must be a list of at most 100 rules")
    for i, rule in enumerate(rules):
        if not isinstance(rule, dict):
            raise ValueError(f"rules[{i}] must be an object")
        action = rule.get("action", "*")
        if not isinstance(action, str) or not 0 < len(action) <= 128:
            raise ValueError(f'rules[{i}].action must be "*", an action or product:action')
        for name in ("throttle", "error", "drop", "commit_drop", "refuse"):
            if name in rule:
                number(rule, name, 0, 1)
        for name in ("latency_ms", "jitter_ms"):
            if name in rule:
                number(rule, name, 0, 600_000)
        codes = rule.get("codes", [])
        if (
            not isinstance(codes, list)
            or len(codes) > 50
            or not all(isinstance(c, str) and len(c) <= 128 for c in codes)
        ):
            raise ValueError(f'rules[{i}].codes must be a list of "Code" or "Code:status" strings')
    lag = data.get("read_lag", {})
    if not isinstance(lag, dict):
        raise ValueError("read_lag must be an object of kind -> seconds")
    for kind in lag:
        number(lag, kind, 0, 86400)
    return data


@route("GET", "/_localcloud/health")
def health(emu, _, query: str = ""):
    out = {
        "ok": True,
        "pid": os.getpid(),
        "data_dir": os.path.abspath(emu.data_dir) if emu.data_dir else None,
        "speed": emu.clock.speed,
        "instant": emu.clock.instant,
        "runtime": emu.cloud.config.runtime,
    }
    challenge = dict(parse_qsl(query)).get("challenge", "")
    if 0 < len(challenge) <= 128:
        out["proof"] = proof(emu.credentials.control_token, challenge)
    return 200, out


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
    emu.faults.configure(checked_faults(data))
    return 200, emu.faults.describe()


@route("GET", "/_localcloud/config")
def config_get(emu, _):
    return 200, emu.cloud.config.to_dict()


@route("PUT", "/_localcloud/config")
def config_put(emu, data):
    clean = checked_config(data)
    with emu.cloud.lock:
        emu.cloud.config.update(clean)
        emu.cloud.save_config()
    return 200, emu.cloud.config.to_dict()


@route("POST", "/_localcloud/advance")
def advance(emu, data):
    only(data, ("seconds",), "advance")
    emu.advance(number(data, "seconds", 0, 10 * 365 * 86400, default=0))
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
    mutating API call from now has taken effect (before its answer is sent). k = 0 clears it.
    P must be a live process of the emulator's own user, greater than 1, not the emulator."""
    only(data, ("pid", "mutating_calls"), "kill_after")
    calls = number(data, "mutating_calls", 0, 10**6, default=0, integer=True)
    pid = number(data, "pid", -(2**31), 2**31 - 1, default=0, integer=True) if calls else 0
    emu.kill_after(pid, calls)
    return 200, {"ok": True}
