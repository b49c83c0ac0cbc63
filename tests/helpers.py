"""Helpers shared by every test folder: the emulator's credentials and control API client, SDK configuration,
one `eventually()` for all polling, and the local runtime's process probes. Fixtures live in conftest.py."""

from __future__ import annotations

import json
import os
import time
import urllib.request

from localcloud import credentials as lc_credentials

REGION = "cn-hangzhou"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_STACK = os.path.join(ROOT, "stacks", "default.yaml")
_SERVERS: dict = {}  # emulator URL -> the in-process server started there (tests' own fixtures)


def eventually(predicate, what: str, timeout: float = 15.0, interval: float = 0.05):
    """Poll `predicate` until it returns something truthy (returned), or fail after `timeout` real seconds
    saying what was awaited and the last value seen. The deadline bounds the wait; nothing asserts on time."""
    deadline = time.monotonic() + timeout
    value = None
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {value!r})")
        time.sleep(interval)


def remember(server):
    """Note an in-process emulator (one without a data dir keeps its credentials in memory only)."""
    _SERVERS[server.url] = server
    return server


def credentials_for(url: str) -> lc_credentials.Credentials:
    """The key pair and control token of the emulator at `url`: an in-process one's while it still
    listens, else read from the data dir its public readiness probe names, as the provisioner does
    (ports are reused during a session, so nothing is cached by URL alone)."""
    url = url.rstrip("/")
    server = _SERVERS.get(url)
    if server is not None and server.socket.fileno() != -1:
        return server.emulator.credentials
    with urllib.request.urlopen(url + "/_localcloud/health", timeout=10) as resp:
        data_dir = json.loads(resp.read())["data_dir"]
    return lc_credentials.read(data_dir)


class Control:
    """Client of the emulator's /_localcloud/ control API (sends the data dir's control token)."""

    def __init__(self, url: str):
        self.url = url

    def request(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.url + "/_localcloud/" + path,
            data=data,
            method=method,
            headers={lc_credentials.TOKEN_HEADER: credentials_for(self.url).control_token},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def reset(self):
        return self.request("POST", "reset")

    def stats(self):
        return self.request("GET", "stats")

    def resources(self):
        return self.request("GET", "resources")

    def faults(self, **config):
        return self.request("PUT", "faults", config)

    def config(self, **config):
        return self.request("PUT", "config", config)

    def advance(self, seconds: float):
        return self.request("POST", "advance", {"seconds": seconds})


def sdk_config(url: str, **extra):
    """The official SDKs' Config pointed at the emulator at `url`, with its key pair."""
    from alibabacloud_tea_openapi.models import Config

    host = url.split("://", 1)[1]
    creds = credentials_for(url)
    return Config(
        access_key_id=creds.access_key_id,
        access_key_secret=creds.access_key_secret,
        endpoint=host,
        protocol="http",
        region_id=REGION,
        **extra,
    )


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


def after_passes(runtime, count: int = 3) -> None:
    """Return once the local runtime (in-process) has made `count` more reconcile passes, woken at once each time:
    what it would do about the current state it has done (tests show that nothing happened this way, not by
    sleeping)."""
    target = runtime.passes + count

    def done():
        runtime.tick()
        return runtime.passes >= target

    eventually(done, f"{count} reconcile passes of the local runtime")
