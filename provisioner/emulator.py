"""Everything the provisioner knows about localcloud, in one place: its default address and data dir, its
key file, how to start it, and its control API (readiness probe, runtime state). No other module of the
provisioner imports `localcloud` or opens /_localcloud/ itself."""

from __future__ import annotations

import hmac
import json
import logging
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from localcloud import credentials as keyfile

from .errors import TargetError

log = logging.getLogger(__name__)

DEFAULT_PORT = 18080
DEFAULT_ENDPOINT = f"http://127.0.0.1:{DEFAULT_PORT}"
DEFAULT_DATA_DIR = ".localcloud"
STARTUP_TIMEOUT_S = 30.0
_PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy")


@dataclass(frozen=True)
class Keys:
    """The emulator's key pair and control token, read from its data dir (never stored, never printed)."""

    access_key_id: str
    access_key_secret: str
    control_token: str | None = None

    def __repr__(self) -> str:
        return f"Keys(access_key_id={self.access_key_id!r}, ...)"


def opener() -> urllib.request.OpenerDirector:
    # Loopback traffic must never go through a proxy from the environment.
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def health(endpoint: str, timeout: float = 2.0, challenge: str | None = None) -> dict[str, Any] | None:
    """The emulator's public readiness document, or None when nothing (or not localcloud) answers."""
    url = endpoint + "/_localcloud/health" + (f"?challenge={quote(challenge)}" if challenge else "")
    try:
        with opener().open(url, timeout=timeout) as resp:
            data = json.loads(resp.read())
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return data if isinstance(data, dict) and data.get("ok") else None


def keys_of(endpoint: str) -> Keys:
    """The keys of the emulator answering at `endpoint`, read from the data dir it names.

    Its readiness probe is public and names its data dir; the key file there is readable by the data
    dir's owner only. Before trusting the file, the emulator must prove it holds the same control token
    (HMAC of a fresh challenge): an impostor on the port cannot make us send it our token."""
    challenge = secrets.token_hex(16)
    info = health(endpoint, timeout=5.0, challenge=challenge)
    if info is None:
        raise TargetError(f"no localcloud emulator answers at {endpoint} (GET /_localcloud/health)")
    data_dir = info.get("data_dir")
    if not data_dir:
        raise TargetError(
            f"the emulator at {endpoint} keeps its keys in memory (no data dir): set "
            "ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET"
        )
    try:
        creds = keyfile.read(data_dir)
    except keyfile.CredentialsError as err:
        raise TargetError(
            f"cannot read the keys of the emulator at {endpoint}: {err}; run the provisioner "
            "as the data dir's owner, or set ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET"
        ) from None
    if not hmac.compare_digest(str(info.get("proof", "")), keyfile.proof(creds.control_token, challenge)):
        raise TargetError(
            f"the emulator at {endpoint} does not hold the keys of {data_dir} (its health "
            "proof does not match): refusing to use it"
        )
    return Keys(creds.access_key_id, creds.access_key_secret, creds.control_token)


def control(
    endpoint: str, keys: Keys, method: str, path: str, body: dict[str, Any] | None = None, timeout: float = 10.0
) -> dict[str, Any]:
    """One call of the control API (`path` under /_localcloud/); raises urllib's errors."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {keyfile.TOKEN_HEADER: keys.control_token} if keys.control_token else {}
    req = urllib.request.Request(f"{endpoint}/_localcloud/{path}", data=data, method=method, headers=headers)
    with opener().open(req, timeout=timeout) as resp:
        answer: dict[str, Any] = json.loads(resp.read())
        return answer


def runtime_state(endpoint: str, keys: Keys) -> dict[str, Any]:
    """GET /_localcloud/runtime: where workloads and balancers really listen. An emulator without its
    runtime may not know the route: that reads as {"enabled": False}; other failures raise."""
    try:
        return control(endpoint, keys, "GET", "runtime")
    except urllib.error.HTTPError as err:
        if err.code == 404:
            return {"enabled": False}
        raise


def env_without_proxies(env: dict[str, str] | None = None) -> dict[str, str]:
    source = os.environ if env is None else env
    return {k: v for k, v in source.items() if k.lower() not in _PROXY_VARS}


def start(port: int, data_dir: str, extra_args: tuple[str, ...] = ()) -> str:
    """Start `python -m localcloud serve` detached, logging to <data_dir>/localcloud.log; wait until it answers."""
    keyfile.private_dir(data_dir)
    log_path = os.path.join(data_dir, "localcloud.log")
    endpoint = f"http://127.0.0.1:{port}"
    log.info("starting localcloud on %s in the background (log: %s)", endpoint, log_path)
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
    with os.fdopen(log_fd, "ab") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "localcloud", "serve", "--port", str(port), "--data-dir", data_dir, *extra_args],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
            env=env_without_proxies(),
            start_new_session=True,
            close_fds=True,
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
            if time.monotonic() - exited_at > 2.0:  # give a concurrent starter a moment to answer
                break
        time.sleep(0.1)
    if proc.poll() is None:
        proc.terminate()  # ours, and it never answered
    raise TargetError(
        f"localcloud did not start on {endpoint} within {STARTUP_TIMEOUT_S:.0f}s"
        f" (exit code {proc.poll()}); last lines of {log_path}:\n{_tail(log_path)}"
    )


def _tail(path: str, lines: int = 8) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return "".join(handle.readlines()[-lines:]).rstrip() or "(empty)"
    except OSError:
        return "(no log)"
