"""Where the API calls go: localcloud (reused or started in the background) or the real Alibaba Cloud."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from . import emulator
from .emulator import DEFAULT_DATA_DIR, DEFAULT_ENDPOINT, DEFAULT_PORT, Keys, health
from .errors import TargetError

if TYPE_CHECKING:
    from .spec import Target

log = logging.getLogger(__name__)


@dataclass
class ResolvedTarget:
    """A reachable target. Credentials live only in memory, never in the state or the output."""

    kind: str  # "localcloud" or "alibaba"
    endpoint: str | None  # http://host:port for localcloud
    how: str  # "reused", "started", "given", "region endpoints"
    note: str = ""
    # Seconds of this target per second of the real cloud's typical transition times (the waits' first
    # poll): 1 for Alibaba Cloud; 1/speed for localcloud (0 in --instant mode), from its health document.
    time_scale: float = 1.0
    # Seconds per second of the SLB's health-check interval: 1 for Alibaba Cloud; for localcloud 0 without
    # its runtime (a Running backend is healthy at once), else the runtime's health_interval_scale.
    health_scale: float = 1.0
    _keys: Keys | None = field(default=None, repr=False)
    _credential: object = field(default=None, repr=False)

    @property
    def _access_key(self) -> tuple[str, str] | None:
        return (self._keys.access_key_id, self._keys.access_key_secret) if self._keys else None

    def runtime_state(self) -> dict[str, Any]:
        """localcloud's GET /_localcloud/runtime (with the data dir's control token); raises on failure."""
        if self._keys is None or self.endpoint is None:
            raise TargetError("no control token for this emulator")
        return emulator.runtime_state(self.endpoint, self._keys)

    def describe(self) -> str:
        if self.kind == "alibaba":
            return "Alibaba Cloud (real account; credentials from the default credential chain)"
        return f"localcloud at {self.endpoint} ({self.how}{'; ' + self.note if self.note else ''})"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "endpoint": self.endpoint, "how": self.how}

    def sdk_config(self, region: str, read_timeout_ms: int, connect_timeout_ms: int) -> Any:  # the SDK's Config
        from alibabacloud_tea_openapi.models import Config

        if self.kind == "alibaba":
            from alibabacloud_credentials.client import Client as CredentialClient

            # The standard chain: environment, OIDC, ~/.aliyun profile, credentials file, ECS RAM role;
            # one chain for the run, shared by every client.
            if self._credential is None:
                self._credential = CredentialClient()
            return Config(
                credential=self._credential,
                region_id=region,
                read_timeout=read_timeout_ms,
                connect_timeout=connect_timeout_ms,
            )
        split = urlsplit(self.endpoint)
        if self._keys is None:
            raise TargetError(f"no access key for the emulator at {self.endpoint}: it is not running")
        return Config(
            access_key_id=self._keys.access_key_id,
            access_key_secret=self._keys.access_key_secret,
            endpoint=split.netloc,
            protocol=split.scheme,
            region_id=region,
            read_timeout=read_timeout_ms,
            connect_timeout=connect_timeout_ms,
        )


def resolve(
    spec_target: Target | None,
    target_flag: str | None,
    endpoint_flag: str | None,
    start: bool = True,
    data_dir: str = DEFAULT_DATA_DIR,
) -> ResolvedTarget:
    """Pick the target: --endpoint / --target flags first, then the stack's `target`, else localcloud.

    localcloud's keys come from the data dir of the emulator that answers (its readiness probe names
    it; provisioner/emulator.py checks that it holds that dir's keys); a given endpoint may instead be
    signed with ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET from the environment."""
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
            raise TargetError(
                f"no localcloud emulator answers at {endpoint} (GET /_localcloud/health);"
                " start one with `make localcloud` or drop --endpoint to let the provisioner start it"
            )
        return _timed(ResolvedTarget("localcloud", endpoint, "given", _keys=_given_keys(endpoint)), info)
    info = health(DEFAULT_ENDPOINT)
    if info:
        return _timed(
            ResolvedTarget(
                "localcloud", DEFAULT_ENDPOINT, "reused a running emulator", _keys=emulator.keys_of(DEFAULT_ENDPOINT)
            ),
            info,
        )
    if not start:
        return ResolvedTarget("localcloud", DEFAULT_ENDPOINT, "not running")
    note = emulator.start(DEFAULT_PORT, data_dir)
    return _timed(
        ResolvedTarget(
            "localcloud", DEFAULT_ENDPOINT, "started in the background", note, _keys=emulator.keys_of(DEFAULT_ENDPOINT)
        ),
        health(DEFAULT_ENDPOINT) or {},
    )


def _timed(target: ResolvedTarget, info: dict[str, Any]) -> ResolvedTarget:
    target.time_scale = time_scale(info)
    target.health_scale = health_scale(target, info)
    return target


def time_scale(info: dict[str, Any]) -> float:
    """localcloud's transitions take the real cloud's typical time divided by its speed (none when instant)."""
    if info.get("instant"):
        return 0.0
    try:
        speed = float(info.get("speed") or 1.0)
    except (TypeError, ValueError):
        return 1.0
    return 1.0 / speed if speed > 0 else 1.0


def health_scale(target: ResolvedTarget, info: dict[str, Any]) -> float:
    """How localcloud times its SLB health checks: not at all without its runtime, else at the listener's
    interval times the runtime's health_interval_scale (GET /_localcloud/runtime/config, with the control
    token; 1 when it cannot be read)."""
    if not info.get("runtime"):
        return 0.0
    if target._keys is None or not target._keys.control_token or target.endpoint is None:
        return 1.0
    try:
        config = emulator.control(target.endpoint, target._keys, "GET", "runtime/config", timeout=2.0)
        return max(0.0, float(config.get("health_interval_scale", 1.0)))
    except (OSError, ValueError, TypeError, AttributeError):
        return 1.0


def _given_keys(endpoint: str) -> Keys:
    ak = os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID")
    secret = os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
    if ak and secret:
        try:
            token = emulator.keys_of(endpoint).control_token  # for the runtime's state, when readable
        except TargetError:
            token = None
        return Keys(ak, secret, token)
    return emulator.keys_of(endpoint)
