"""One running SLB listener locally: its balancer, its backends' health checkers, and the rotation."""
from __future__ import annotations

import logging

from .balancer import Balancer
from .health import Checker, HealthSettings, as_int

log = logging.getLogger(__name__)


def identity(listener: dict, lb: dict) -> tuple:
    """What cannot change without rebinding the front server."""
    return (listener.get("load_balancer_id"), as_int(listener.get("port"), 0),
            str(listener.get("protocol") or "http").lower(), as_int(listener.get("backend_port"), 0),
            lb.get("address"), as_int(listener.get("idle_timeout"), 15), as_int(listener.get("request_timeout"), 60),
            as_int(listener.get("established_timeout"), 900))


class ListenerRuntime:
    """The local data plane of listener `<lb_id>:<port>`.

    The rotation is read at request time from the load balancer's `backends` in the store (so a
    SetBackendServers weight of 0 drains at once) and filtered by this listener's health checks.
    """

    def __init__(self, runtime, listener: dict, lb: dict):
        self.runtime = runtime
        self.identity = identity(listener, lb)
        self.lb_id, self.port, self.protocol, self.backend_port, address, idle, request, established = self.identity
        self.key = f"{self.lb_id}:{self.port}"
        self.settings = HealthSettings.from_listener(listener)
        self.scheduler = str(listener.get("scheduler") or "wrr").lower()
        self.checkers: dict[str, Checker] = {}
        protocol = "http" if self.protocol in ("http", "https") else "tcp"
        self.balancer = Balancer(self, address or "127.0.0.1", self.port, protocol,
                                 idle_timeout=float(idle if protocol == "http" else established),
                                 request_timeout=float(request))

    # the reconciler keeps these in step with the store ---------------------------------------
    def update(self, listener: dict) -> None:
        settings = HealthSettings.from_listener(listener)
        if settings != self.settings:
            self.settings = settings
            if not settings.enabled:
                self._drop_checkers(list(self.checkers))
        self.scheduler = str(listener.get("scheduler") or "wrr").lower()

    def sync_backends(self, server_ids: set[str]) -> None:
        gone = [sid for sid in self.checkers if sid not in server_ids]
        self._drop_checkers(gone)
        for sid in gone:   # idle keep-alive connections to a removed backend are not needed any more
            self.balancer.pool.drop(self.target(sid))
        if not self.settings.enabled:
            return
        for sid in sorted(server_ids - set(self.checkers)):
            checker = Checker(self, sid)
            self.checkers[sid] = checker
            checker.start()

    def _drop_checkers(self, server_ids: list[str]) -> None:
        for sid in server_ids:
            checker = self.checkers.pop(sid, None)
            if checker:
                checker.stop()

    def close(self) -> None:
        checkers = list(self.checkers.values())
        self._drop_checkers(list(self.checkers))
        self.balancer.close()
        for checker in checkers:
            checker.join(timeout=2)

    # read by the balancer and the health checkers --------------------------------------------
    def backends(self) -> list[dict]:
        """The load balancer's backends now; a released instance leaves the list, as on the real SLB."""
        store = self.runtime.cloud.store
        lb = store.get("load_balancer", self.lb_id)
        return [b for b in list((lb or {}).get("backends") or []) if store.get("instance", b.get("server_id")) is not None]

    def candidates(self) -> list[tuple[str, int]]:
        """(server_id, weight) of the backends in rotation now: weight > 0 and, with health checks on, normal."""
        out = []
        for backend in self.backends():
            sid = backend.get("server_id")
            weight = as_int(backend.get("weight"), 100)
            if not sid or weight <= 0:
                continue
            if self.settings.enabled:
                checker = self.checkers.get(sid)
                if checker is None or checker.state.status != "normal":
                    continue
            out.append((sid, 1 if self.scheduler == "rr" else weight))
        return out

    def target(self, server_id: str) -> tuple[str, int]:
        return self.runtime.addresses.of(server_id), self.backend_port

    def health_target(self, server_id: str) -> tuple[str, int]:
        return self.runtime.addresses.of(server_id), self.settings.connect_port or self.backend_port

    def health(self, server_id: str) -> str:
        if not self.settings.enabled:
            return "unavailable"   # DescribeHealthStatus: no health check configured
        checker = self.checkers.get(server_id)
        return checker.state.status if checker else "abnormal"

    def describe(self) -> dict:
        backends = []
        for backend in self.backends():
            sid = backend.get("server_id")
            checker = self.checkers.get(sid)
            backends.append({
                "server_id": sid, "weight": as_int(backend.get("weight"), 100), "health": self.health(sid),
                "address": self.runtime.addresses.known(sid), "port": self.backend_port,
                "served": self.balancer.served.get(sid, 0),
                "checks": checker.state.checks if checker else 0,
                "last_check_error": checker.state.last_error if checker else None,
            })
        s = self.settings
        return {
            "id": self.key, "load_balancer_id": self.lb_id, "port": self.port, "protocol": self.protocol,
            "backend_port": self.backend_port, "url": self.balancer.url, "address": self.balancer.address,
            "bound_port": self.balancer.port, "note": self.balancer.note, "scheduler": self.scheduler,
            "health_check": {"enabled": s.enabled, "type": s.kind, "uri": s.uri, "connect_port": s.connect_port,
                             "interval": s.interval, "timeout": s.timeout,
                             "healthy_threshold": s.healthy_threshold,
                             "unhealthy_threshold": s.unhealthy_threshold, "http_codes": list(s.http_codes)},
            "backends": backends,
        }
