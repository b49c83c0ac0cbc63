"""The stack's `serving` section: what each instance runs, where it installs from, and the checks that
the generated user data (provisioner/serving) will accept it, all before any API call."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from .errors import SpecError
from .specfields import Section, kind, shown, uri

USER_DATA_MAX_BYTES = 32 * 1024  # RunInstances: raw user data at most 32 KB before Base64
_ENV_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
# Alibaba Cloud's mirrors inside every VPC (instances here have no public IP and no NAT): apt for
# Ubuntu and Debian images (picked from the image's name), PyPI over http (pip needs --trusted-host for
# it). Docker images have no account-independent mirror: give serving.mirror.registry (e.g. an ACR VPC
# endpoint) or an image there. Other images (Alibaba Cloud Linux, CentOS) keep their own repositories,
# which on Alibaba's public images already point at mirrors.cloud.aliyuncs.com.
ALIYUN_APT_MIRROR = "http://mirrors.cloud.aliyuncs.com/ubuntu/"
ALIYUN_PIP_MIRROR = "http://mirrors.cloud.aliyuncs.com/pypi/simple/"
APT_MIRRORS = {  # distribution -> (primary, security)
    "ubuntu": (ALIYUN_APT_MIRROR, ALIYUN_APT_MIRROR),
    "debian": ("http://mirrors.cloud.aliyuncs.com/debian/", "http://mirrors.cloud.aliyuncs.com/debian-security/"),
}


def default_apt_mirror(image_hint: str) -> tuple[str, str]:
    """(primary, security) apt mirrors for an image id or family such as ubuntu_22_04_x64_20G_alibase_...
    or acs:debian_12_x64; ("", "") for an image that is neither Ubuntu nor Debian."""
    name = image_hint.lower().removeprefix("acs:")
    for distribution, mirrors in APT_MIRRORS.items():
        if name.startswith(distribution):
            return mirrors
    return "", ""


@dataclass(frozen=True)
class Server:
    """What each instance runs (provisioner/serving renders it). Neither command nor container: the
    built-in model server."""

    command: tuple[str, ...] | None = None  # argv with {python} {host} {port} {model_dir} {root}
    container: str | None = None  # a container image run with docker instead
    env: tuple[tuple[str, str], ...] = ()
    args: tuple[str, ...] = ()  # the image's arguments
    container_port: int = 0  # the port inside the container (0: serving.port)
    gpus: str = ""  # docker --gpus, e.g. "all"
    pip: tuple[str, ...] = ()  # requirements for a command server

    @property
    def builtin(self) -> bool:
        return self.command is None and self.container is None


@dataclass(frozen=True)
class Mirror:
    """Where instances install from (they have no public IP and no NAT). "" keeps the image's own setting."""

    apt: str = ALIYUN_APT_MIRROR
    pip: str = ALIYUN_PIP_MIRROR
    apt_security: str = ALIYUN_APT_MIRROR  # Debian's security suites live elsewhere
    registry: str = ""  # docker registry-mirrors entry (Docker Hub images only)


@dataclass(frozen=True)
class Serving:
    port: int
    health_path: str
    user_data: str | None
    server: Server
    model_dir: str = "/mnt/model"
    mirror: Mirror = field(default=Mirror())


def parse_serving(sec: Section, image_hint: str = "") -> Serving:
    """The serving section; `image_hint` (the image id or family) picks the default apt mirror."""
    port = sec.integer("port", 1, 65535, default=8080)
    if port == 22:
        raise SpecError(sec.field("port"), "must not be 22 (SSH)")
    health_path = uri(sec, "health_path", "/v2/health/ready")
    model_dir = _model_dir(sec)
    mirror = _mirror(sec.section("mirror"), image_hint)
    user_data = sec.text("user_data", required=False)
    if user_data is not None and len(user_data.encode("utf-8")) > USER_DATA_MAX_BYTES:
        raise SpecError(sec.field("user_data"), f"must be at most {USER_DATA_MAX_BYTES} bytes (RunInstances limit)")
    server_sec = sec.section("server")
    if server_sec is not None and user_data is not None:
        raise SpecError(sec.field("server"), "give either serving.user_data or serving.server, not both")
    server = _server(server_sec) if server_sec is not None else Server()
    sec.done()
    serving = Serving(port, health_path, user_data, server, model_dir, mirror)
    if user_data is None:
        _check_user_data(serving)
    return serving


def _model_dir(sec: Section) -> str:
    from .serving.userdata import UserDataError, check_model_dir

    value = sec.text("model_dir", default="/mnt/model")
    try:
        return check_model_dir(value, sec.field("model_dir"))
    except UserDataError as err:
        raise SpecError(err.field, str(err)[len(err.field) + 2 :]) from None


def _mirror(sec: Section | None, image_hint: str) -> Mirror:
    """serving.mirror: {apt, apt_security, pip, registry}; each an http(s) URL, or "none" for the image's
    own setting. apt defaults to Alibaba's mirror of the image's distribution."""
    from .serving.userdata import MIRROR_URL

    apt, apt_security = default_apt_mirror(image_hint)
    if sec is None:
        return Mirror(apt=apt, apt_security=apt_security)
    values = {}
    for key in ("apt", "apt_security", "pip", "registry"):
        value = sec.text(key, required=False)
        if value is None:
            continue
        if value != "none" and not MIRROR_URL.fullmatch(value):
            raise SpecError(
                sec.field(key), f"must be an http(s) URL such as {ALIYUN_PIP_MIRROR}, or none (got {shown(value)})"
            )
        values[key] = "" if value == "none" else value
    sec.done()
    if "apt" in values and "apt_security" not in values:
        values["apt_security"] = values["apt"]  # a mirror given for apt serves both unless told
    return Mirror(**{"apt": apt, "apt_security": apt_security, **values})


def _check_user_data(serving: Serving) -> None:
    """Render the user data once now, so that a bad server setting or an oversized document is a spec
    error before any API call (provisioner/serving names the field)."""
    from .serving.userdata import UserDataError, build_user_data

    try:
        build_user_data(serving, instance_role="model-server", data_disk=True)
    except UserDataError as err:
        raise SpecError(err.field, str(err)[len(err.field) + 2 :]) from None


def _strings(sec: Section, key: str) -> tuple[str, ...] | None:
    raw = sec._get(key, False)
    if raw is None:
        return None
    if isinstance(raw, str):
        try:
            raw = shlex.split(raw)
        except ValueError as err:  # an unterminated quote: say so, as a spec error
            raise SpecError(sec.field(key), f"is not a valid command line ({err}); give a list of strings") from None
    if not isinstance(raw, list) or not all(isinstance(a, str) and a for a in raw):
        raise SpecError(sec.field(key), "must be a list of non-empty strings (or one command line)")
    return tuple(raw)


def _server(sec: Section) -> Server:
    command = _strings(sec, "command")
    if command is not None and not command:
        raise SpecError(sec.field("command"), "must name the program to run")
    container = sec.text("container", required=False)
    image = sec.text("image", required=False)
    if container is not None and image is not None:
        raise SpecError(sec.field("image"), "is another name for container; give one of them")
    container = container or image
    if command is not None and container is not None:
        raise SpecError(sec.field("container"), "give either server.command or server.container, not both")
    args = _strings(sec, "args") or ()
    container_port = sec.integer("container_port", 1, 65535, default=0)
    gpus = sec.text("gpus", required=False) or ""
    pip = _strings(sec, "pip") or ()
    env_sec = sec.section("env")
    env: list[tuple[str, str]] = []
    if env_sec is not None:
        for key, value in env_sec.data.items():
            env_sec.used.append(key)
            if not isinstance(key, str) or not _ENV_RE.fullmatch(key):
                raise SpecError(
                    env_sec.field(str(key)), "must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)"
                )
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                raise SpecError(env_sec.field(key), f"must be a string, not {kind(value)}")
            env.append((key, str(value)))
    sec.done()
    return Server(command, container, tuple(sorted(env)), args, container_port, gpus, pip)
