"""Where the API calls go: localcloud (reused or started in the background) or the real Alibaba Cloud."""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .errors import TargetError

log = logging.getLogger(__name__)

DEFAULT_PORT = 18080
DEFAULT_ENDPOINT = f"http://127.0.0.1:{DEFAULT_PORT}"
DEFAULT_DATA_DIR = ".localcloud"
STARTUP_TIMEOUT_S = 30.0
_PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy")


@dataclass
class ResolvedTarget:
    """A reachable target. Credentials live only in memory, never in the state or the output."""

    kind: str                                  # "localcloud" or "alibaba"
    endpoint: str | None                       # http://host:port for localcloud
    how: str                                   # "reused", "started", "given", "region endpoints"
    note: str = ""
    # Seconds of this target per second of the real cloud's typical transition times (the waits' first
    # poll): 1 for Alibaba Cloud; 1/speed for localcloud (0 in --instant mode), from its health document.
    time_scale: float = 1.0
    # Seconds per second of the SLB's health-check interval: 1 for Alibaba Cloud; for localcloud 0 without
    # its runtime (a Running backend is healthy at once), else the runtime's health_interval_scale.
    health_scale: float = 1.0
    _access_key: tuple[str, str] | None = field(default=None, repr=False)
    _credential: object = field(default=None, repr=False)

    def describe(self) -> str:
        if self.kind == "alibaba":
            return "Alibaba Cloud (real account; credentials from the default credential chain)"
        return f"localcloud at {self.endpoint} ({self.how}{'; ' + self.note if self.note else ''})"

    def to_dict(self) -> dict:
        return {"kind": self.kind, "endpoint": self.endpoint, "how": self.how}

    def sdk_config(self, region: str, read_timeout_ms: int, connect_timeout_ms: int):
        from alibabacloud_tea_openapi.models import Config

        if self.kind == "alibaba":
            from alibabacloud_credentials.client import Client as CredentialClient

            # The standard chain: environment, OIDC, ~/.aliyun profile, credentials file, ECS RAM role;
            # one chain for the run, shared by every client.
            if self._credential is None:
                self._credential = CredentialClient()
            return Config(credential=self._credential, region_id=region,
                          read_timeout=read_timeout_ms, connect_timeout=connect_timeout_ms)
        split = urlsplit(self.endpoint)
        ak, secret = self._access_key  # type: ignore[misc]
        return Config(access_key_id=ak, access_key_secret=secret, endpoint=split.netloc,
                      protocol=split.scheme, region_id=region,
                      read_timeout=read_timeout_ms, connect_timeout=connect_timeout_ms)


def resolve(spec_target, target_flag: str | None, endpoint_flag: str | None, start: bool = True,
            data_dir: str = DEFAULT_DATA_DIR) -> ResolvedTarget:
    """Pick the target: --endpoint / --target flags first, then the stack's `target`, else localcloud."""
    kind = target_flag or (spec_target.kind if spec_target else "localcloud")
    if endpoint_flag and kind == "alibaba":
        raise TargetError("--endpoint points at a local emulator; it cannot be combined with the alibaba target")
    if endpoint_flag:
        kind = "localcloud"
    if kind == "alibaba":
        return ResolvedTarget("alibaba", None, "region endpoints")
    given = endpoint_flag or (spec_target.endpoint if spec_target else None)
    if given:
        endpoint = given.rstrip("/")
        info = health(endpoint)
        if not info:
            raise TargetError(f"no localcloud emulator answers at {endpoint} (GET /_localcloud/health);"
                              " start one with `make localcloud` or drop --endpoint to let the provisioner start it")
        return ResolvedTarget("localcloud", endpoint, "given", time_scale=time_scale(info),
                              health_scale=health_scale(endpoint, info), _access_key=_given_credentials())
    from localcloud.auth import credentials_from_env

    key = next(iter(credentials_from_env().items()))
    info = health(DEFAULT_ENDPOINT)
    if info:
        return ResolvedTarget("localcloud", DEFAULT_ENDPOINT, "reused a running emulator",
                              time_scale=time_scale(info), health_scale=health_scale(DEFAULT_ENDPOINT, info),
                              _access_key=key)
    if not start:
        return ResolvedTarget("localcloud", DEFAULT_ENDPOINT, "not running", _access_key=key)
    note = start_emulator(DEFAULT_PORT, data_dir)
    return ResolvedTarget("localcloud", DEFAULT_ENDPOINT, "started in the background", note, _access_key=key)


def time_scale(info: dict) -> float:
    """localcloud's transitions take the real cloud's typical time divided by its speed (none when instant)."""
    if info.get("instant"):
        return 0.0
    try:
        speed = float(info.get("speed") or 1.0)
    except (TypeError, ValueError):
        return 1.0
    return 1.0 / speed if speed > 0 else 1.0


def health_scale(endpoint: str, info: dict) -> float:
    """How localcloud times its SLB health checks: not at all without its runtime, else at the listener's
    interval times the runtime's health_interval_scale (GET /_localcloud/runtime/config)."""
    if not info.get("runtime"):
        return 0.0
    try:
        with _no_proxy_opener().open(endpoint + "/_localcloud/runtime/config", timeout=2.0) as resp:
            return max(0.0, float(json.loads(resp.read()).get("health_interval_scale", 1.0)))
    except (OSError, ValueError, TypeError, AttributeError, urllib.error.URLError):
        return 1.0


def _given_credentials() -> tuple[str, str]:
    from localcloud.auth import DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET

    ak = os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID")
    secret = os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
    if ak and secret:
        return ak, secret
    return DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET


def _no_proxy_opener() -> urllib.request.OpenerDirector:
    # Loopback traffic must never go through a proxy from the environment.
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def health(endpoint: str, timeout: float = 2.0) -> dict | None:
    """The emulator's health document, or None when nothing (or not localcloud) answers."""
    try:
        with _no_proxy_opener().open(endpoint + "/_localcloud/health", timeout=timeout) as resp:
            data = json.loads(resp.read())
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return data if isinstance(data, dict) and data.get("ok") else None


def env_without_proxies(env: dict[str, str] | None = None) -> dict[str, str]:
    source = os.environ if env is None else env
    return {k: v for k, v in source.items() if k.lower() not in _PROXY_VARS}


def start_emulator(port: int, data_dir: str, extra_args: tuple[str, ...] = ()) -> str:
    """Start `python -m localcloud serve` detached, logging to <data_dir>/localcloud.log; wait until it answers."""
    os.makedirs(data_dir, exist_ok=True)
    log_path = os.path.join(data_dir, "localcloud.log")
    endpoint = f"http://127.0.0.1:{port}"
    log.info("starting localcloud on %s in the background (log: %s)", endpoint, log_path)
    with open(log_path, "ab") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "localcloud", "serve", "--port", str(port), "--data-dir", data_dir, *extra_args],
            stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file, env=env_without_proxies(),
            start_new_session=True, close_fds=True,
        )
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    exited_at = None
    while time.monotonic() < deadline:
        info = health(endpoint, timeout=1.0)
        if info:
            if proc.poll() is not None:
                return f"another process started it first (pid {info.get('pid')})"
            return f"pid {proc.pid}, log {log_path}; stop it with `kill {proc.pid}`"
        if proc.poll() is not None:
            exited_at = exited_at or time.monotonic()
            if time.monotonic() - exited_at > 2.0:      # give a concurrent starter a moment to answer
                break
        time.sleep(0.1)
    if proc.poll() is None:
        proc.terminate()          # ours, and it never answered
    raise TargetError(f"localcloud did not start on {endpoint} within {STARTUP_TIMEOUT_S:.0f}s"
                      f" (exit code {proc.poll()}); last lines of {log_path}:\n{_tail(log_path)}")


def _tail(path: str, lines: int = 8) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return "".join(handle.readlines()[-lines:]).rstrip() or "(empty)"
    except OSError:
        return "(no log)"
