"""One running SLB listener locally: its balancer, its backends' health checkers, and the rotation."""

from __future__ import annotations

import logging

from .balancer import Balancer
from .health import Checker, HealthSettings, as_int

log = logging.getLogger(__name__)


def identity(listener: dict, lb: dict) -> tuple:
    """What cannot change without rebinding the front server.

    The backend port and the vServer group are not part of it: switching a listener between its default
    server group and a vServer group (or changing a group) takes effect on the running balancer, as on
    the real SLB, without a new listening socket.
    """
    return (
        listener.get("load_balancer_id"),
        as_int(listener.get("port"), 0),
        str(listener.get("protocol") or "http").lower(),
        lb.get("address"),
        as_int(listener.get("idle_timeout"), 15),
        as_int(listener.get("request_timeout"), 60),
        as_int(listener.get("established_timeout"), 900),
    )


def member_key(server_id: str, port: int) -> str:
    """A backend of a listener is a (server, port) pair: "<server_id>:<port>"."""
    return f"{server_id}:{int(port)}"


def split_key(key: str) -> tuple[str, int]:
    server_id, _, port = key.rpartition(":")
    return server_id, as_int(port, 0)


class ListenerRuntime:
    """The local data plane of listener `<lb_id>:<port>`.

    The rotation is read at request time from the store (so a weight of 0 drains at once): the load
    balancer's `backends` on the listener's BackendServerPort, or, when the listener uses a vServer group,
    the group's members each on its own port. It is filtered by this listener's health checks, which run
    per (server, port) member: a member that stays when the listener switches groups keeps its health.
    """

    def __init__(self, runtime, listener: dict, lb: dict):
        self.runtime = runtime
        self.identity = identity(listener, lb)
        self.lb_id, self.port, self.protocol, address, idle, request, established = self.identity
        self.backend_port = as_int(listener.get("backend_port"), 0)
        self.vserver_group_id = listener.get("vserver_group_id") or ""
        self.key = f"{self.lb_id}:{self.port}"
        self.settings = HealthSettings.from_listener(listener)
        self.scheduler = str(listener.get("scheduler") or "wrr").lower()
        self.checkers: dict[str, Checker] = {}
        protocol = "http" if self.protocol in ("http", "https") else "tcp"
        self.balancer = Balancer(
            self,
            address or "127.0.0.1",
            self.port,
            protocol,
            idle_timeout=float(idle if protocol == "http" else established),
            request_timeout=float(request),
        )

    # the reconciler keeps these in step with the store ---------------------------------------
    def update(self, listener: dict) -> None:
        settings = HealthSettings.from_listener(listener)
        if settings != self.settings:
            self.settings = settings
            if not settings.enabled:
                self._drop_checkers(list(self.checkers))
        self.scheduler = str(listener.get("scheduler") or "wrr").lower()
        self.backend_port = as_int(listener.get("backend_port"), 0)
        self.vserver_group_id = listener.get("vserver_group_id") or ""

    def sync_backends(self, server_ids: set[str] | None = None) -> None:
        """Start a checker per member, stop those of members that left (their in-flight requests finish)."""
        if server_ids is None:
            server_ids = {m["key"] for m in self.members()}
        gone = [sid for sid in self.checkers if sid not in server_ids]
        self._drop_checkers(gone)
        for sid in gone:  # idle keep-alive connections to a removed backend are not needed any more
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
        """The backends now; a released instance leaves the list, as on the real SLB."""
        store = self.runtime.cloud.store
        if self.vserver_group_id:
            owner = store.get("vserver_group", self.vserver_group_id)
        else:
            owner = store.get("load_balancer", self.lb_id)
        return [
            b
            for b in list((owner or {}).get("backends") or [])
            if store.get("instance", b.get("server_id")) is not None
        ]

    def members(self) -> list[dict]:
        """[{key, server_id, port, weight}]: a vServer group member on its own port, else the listener's port."""
        out = []
        for backend in self.backends():
            sid = backend.get("server_id")
            port = as_int(backend.get("port"), 0) if self.vserver_group_id else self.backend_port
            if sid and port:
                out.append(
                    {
                        "key": member_key(sid, port),
                        "server_id": sid,
                        "port": port,
                        "weight": as_int(backend.get("weight"), 100),
                    }
                )
        return out

    def candidates(self) -> list[tuple[str, int]]:
        """(member key, weight) of the members in rotation now: weight > 0 and, with health checks on, normal."""
        out = []
        for member in self.members():
            key, weight = member["key"], member["weight"]
            if weight <= 0:
                continue
            if self.settings.enabled:
                checker = self.checkers.get(key)
                if checker is None or checker.state.status != "normal":
                    continue
            out.append((key, 1 if self.scheduler == "rr" else weight))
        return out

    def target(self, key: str) -> tuple[str, int]:
        server_id, port = split_key(key)
        return self.runtime.addresses.of(server_id), port

    def health_target(self, key: str) -> tuple[str, int]:
        server_id, port = split_key(key)
        return self.runtime.addresses.of(server_id), self.settings.connect_port or port

    def health(self, server_id: str, port: int | None = None) -> str:
        if not self.settings.enabled:
            return "unavailable"  # DescribeHealthStatus: no health check configured
        checker = self.checkers.get(member_key(server_id, port or self.backend_port))
        return checker.state.status if checker else "abnormal"

    def describe(self) -> dict:
        backends = []
        for member in self.members():
            sid, key = member["server_id"], member["key"]
            checker = self.checkers.get(key)
            backends.append(
                {
                    "server_id": sid,
                    "weight": member["weight"],
                    "health": self.health(sid, member["port"]),
                    "address": self.runtime.addresses.known(sid),
                    "port": member["port"],
                    "served": self.balancer.served.get(key, 0),
                    "in_flight": self.balancer.in_flight.get(key, 0),
                    "checks": checker.state.checks if checker else 0,
                    "last_check_error": checker.state.last_error if checker else None,
                }
            )
        s = self.settings
        return {
            "id": self.key,
            "load_balancer_id": self.lb_id,
            "port": self.port,
            "protocol": self.protocol,
            "backend_port": self.backend_port,
            "vserver_group_id": self.vserver_group_id,
            "url": self.balancer.url,
            "address": self.balancer.address,
            "bound_port": self.balancer.port,
            "note": self.balancer.note,
            "scheduler": self.scheduler,
            "health_check": {
                "enabled": s.enabled,
                "type": s.kind,
                "uri": s.uri,
                "connect_port": s.connect_port,
                "interval": s.interval,
                "timeout": s.timeout,
                "healthy_threshold": s.healthy_threshold,
                "unhealthy_threshold": s.unhealthy_threshold,
                "http_codes": list(s.http_codes),
            },
            "backends": backends,
        }
