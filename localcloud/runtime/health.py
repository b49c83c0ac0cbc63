"""SLB health checks: per backend, HTTP or TCP probes counted against the listener's thresholds."""

from __future__ import annotations

import http.client
import logging
import socket
import threading
import time
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


def as_int(value, default: int) -> int:
    """An int from a stored field that may be missing or text; `default` when it is not a number."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _enabled(value) -> bool:
    if isinstance(value, str):
        return value.lower() in ("on", "true", "1", "yes")
    return bool(value) if value is not None else True


@dataclass(frozen=True)
class HealthSettings:
    """A listener's health_check dict (MODEL.md) with the real API's defaults filled in."""

    enabled: bool = True
    kind: str = "http"  # http (HTTP listeners; TCP with HealthCheckType=http) or tcp
    uri: str = "/"
    connect_port: int | None = None  # None: the listener's backend port
    interval: float = 2.0  # HealthCheckInterval, 1-50 s
    timeout: float = 5.0  # HealthCheckTimeout / HealthCheckConnectTimeout
    healthy_threshold: int = 3
    unhealthy_threshold: int = 3
    http_codes: tuple = ("http_2xx",)
    method: str = "GET"
    domain: str | None = None

    @classmethod
    def from_listener(cls, listener: dict) -> HealthSettings:
        hc = listener.get("health_check") or {}
        protocol = str(listener.get("protocol") or "http").lower()
        kind = str(hc.get("type") or ("tcp" if protocol in ("tcp", "udp") else "http")).lower()
        codes = hc.get("http_codes") or ["http_2xx"]
        if isinstance(codes, str):
            codes = [c.strip() for c in codes.split(",") if c.strip()]
        port = as_int(hc.get("connect_port"), 0)
        domain = hc.get("domain") or None
        return cls(
            enabled=_enabled(hc.get("enabled", True)),
            kind=kind if kind in ("http", "tcp") else "tcp",
            uri=str(hc.get("uri") or "/"),
            connect_port=port if 1 <= port <= 65535 else None,
            interval=float(max(1, as_int(hc.get("interval"), 2))),
            timeout=float(max(1, as_int(hc.get("timeout"), 5))),
            healthy_threshold=max(1, as_int(hc.get("healthy_threshold"), 3)),
            unhealthy_threshold=max(1, as_int(hc.get("unhealthy_threshold"), 3)),
            http_codes=tuple(str(c).lower() for c in codes),
            # HealthCheckMethod head|get; the brief for our runtime asks for GET when unset.
            method=str(hc.get("method") or "get").upper(),
            domain=None if domain == "$_ip" else domain,
        )


@dataclass
class BackendHealth:
    """What the checker has seen of one backend. A new backend is abnormal until it passes the threshold."""

    status: str = "abnormal"
    successes: int = 0
    failures: int = 0
    checks: int = 0
    last_error: str | None = None
    last_check: float | None = None
    changed_at: float = field(default_factory=time.time)

    def record(self, ok: bool, error: str | None, settings: HealthSettings) -> bool:
        """Count one probe; returns True when the status flipped."""
        self.checks += 1
        self.last_check = time.time()
        self.last_error = error
        if ok:
            self.successes, self.failures = self.successes + 1, 0
            if self.status != "normal" and self.successes >= settings.healthy_threshold:
                self.status, self.changed_at = "normal", time.time()
                return True
        else:
            self.successes, self.failures = 0, self.failures + 1
            if self.status == "normal" and self.failures >= settings.unhealthy_threshold:
                self.status, self.changed_at = "abnormal", time.time()
                return True
        return False


def probe(settings: HealthSettings, host: str, port: int, timeout: float) -> str | None:
    """One health check; None when it passed, else why it failed."""
    if settings.kind == "tcp":
        try:
            socket.create_connection((host, port), timeout=timeout).close()
        except OSError as err:
            return f"tcp connect {host}:{port}: {err}"
        return None
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(
            settings.method,
            settings.uri,
            headers={
                "Host": settings.domain or host,
                "User-Agent": "localcloud-slb-healthcheck",
                "Connection": "close",
            },
        )
        resp = conn.getresponse()
        resp.read()
        code = f"http_{resp.status // 100}xx"
        if code not in settings.http_codes:
            return f"{settings.method} {settings.uri} answered {resp.status}, expected {','.join(settings.http_codes)}"
        return None
    except (OSError, http.client.HTTPException) as err:
        return f"{settings.method} http://{host}:{port}{settings.uri}: {err.__class__.__name__}: {err}"
    finally:
        conn.close()


class Checker:
    """A thread probing one backend of one listener every interval (scaled by the runtime's test knob)."""

    def __init__(self, listener, server_id: str):
        self.listener = listener
        self.server_id = server_id
        self.state = BackendHealth()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"slb-health-{listener.key}-{server_id}")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float) -> None:
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            settings = self.listener.settings
            scale = self.listener.runtime.config.health_interval_scale
            interval = max(0.01, settings.interval * scale)
            timeout = min(settings.timeout, max(1.0, settings.timeout * scale))
            try:
                host, port = self.listener.health_target(self.server_id)
                error = probe(settings, host, port, timeout)
            except Exception as err:  # noqa: BLE001 - never let a checker die silently
                error = f"{err.__class__.__name__}: {err}"
            if self._stop.is_set():
                return
            if self.state.record(error is None, error, settings):
                log.info(
                    "SLB %s backend %s is now %s%s",
                    self.listener.key,
                    self.server_id,
                    self.state.status,
                    f" ({error})" if error else "",
                )
            self._stop.wait(interval)
