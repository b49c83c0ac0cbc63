"""The user data that boots a model server instance: a #cloud-config document generated from the stack.

Interface (what the provisioner calls):

    build_user_data(serving, *, instance_role: str, data_disk: bool) -> str
        The Base64 text for RunInstances' `UserData`. Raises UserDataError (a ValueError whose `.field`
        names the spec field, e.g. "serving.server.image") for bad settings, and for a document over
        ECS's limit of 32 KB raw, before Base64 (ecs-api.md, RunInstances `UserData`).
    render_cloud_config(serving, *, instance_role, data_disk) -> str      the document itself
    workload_manifest(serving, *, instance_role, data_disk) -> dict       /etc/fleet/workload.json

`serving` is a mapping or any object with the attributes of ServingSettings (a dataclass works):
port, health_path, model_dir, server {command | image (alias container), args, env (a mapping or
(name, value) pairs), container_port, gpus, pip},
and optionally name, data_device, fs_label, pip_index_url, mirror {apt, apt_security, pip, registry}.
With neither server.command nor server.image the instance runs the default small model server
(modelserver.py, iris, OIP v2).
`data_disk` says whether this instance has a data disk to format-if-blank and mount at model_dir;
without one, model_dir is a plain directory on the system disk.

On the VM, cloud-init: writes /opt/fleet/modelserver.py (verbatim), /etc/fleet/workload.json (the
manifest localcloud's runtime reads, see localcloud/MODEL.md), the scripts of scripts.py and the
fleet-model.service unit; runcmd prepares the disk, installs the server, enables and starts the unit.

Every stack string travels as data: the manifest and /etc/fleet/install.json are json.dumps output
inside YAML block scalars that yaml.dump writes, requirements are one validated specifier a line, the
scripts are constant text that read install.json, and the header comment holds no stack value. No
character of a command, an argument or an env value can add a YAML key, a line or a shell word.

Mirrors (no public IP, no NAT: the instance reaches only what is inside the VPC). `mirror.apt` (and
`apt_security`) become cloud-init's own `apt: {primary, security}` setting; `mirror.pip` the PIP_INDEX_URL (with
PIP_TRUSTED_HOST for an http:// index) that install-server exports; `mirror.registry` docker's
`registry-mirrors` in /etc/docker/daemon.json. Empty values keep the image's own configuration.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import posixpath
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from provisioner.serving import scripts

MAX_USER_DATA_BYTES = 32 * 1024  # RunInstances UserData: at most 32 KB before Base64 (ecs-api.md)
MODEL_SERVER_PATH = Path(__file__).with_name("modelserver.py")
# What modelserver.py imports, as compatible ranges (the same as setup.cfg's).
SERVER_REQUIREMENTS = ("starlette>=0.37,<2", "uvicorn>=0.29,<1", "scikit-learn>=1.4,<2")
DEFAULT_COMMAND = (
    "{python}",
    "{root}/opt/fleet/modelserver.py",
    "--host",
    "{host}",
    "--port",
    "{port}",
    "--model-dir",
    "{model_dir}",
)
CONTAINER_NAME = "fleet-model"
DATA_DISK_WAIT_SECONDS = 60  # how long a boot waits for the data disk to appear before serving without it
PLACEHOLDERS = ("python", "host", "port", "model_dir", "root")

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_PATH = re.compile(r"(/[A-Za-z0-9._-]+)+")  # goes into fstab and a systemd unit: no spaces or escapes
_DEVICE = re.compile(r"/dev/[A-Za-z0-9._/-]+")
_IMAGE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}")  # a docker reference: [registry/]repo[:tag][@digest]
_LABEL = re.compile(r"[A-Za-z0-9_-]{1,16}")  # ext4 labels hold at most 16 bytes
_GPUS = re.compile(r"all|[0-9]{1,3}|device=[A-Za-z0-9,:._-]{1,200}")  # docker run --gpus values
_ROLE = re.compile(r"[a-z][a-z0-9-]{0,62}")
# SLB HealthCheckURI (CreateLoadBalancerHTTPListener): 1-80 characters, letters, digits, - / . % ? # &,
# starting with / but not only /.
HEALTH_PATH = re.compile(r"/[A-Za-z0-9/.%?#&-]{1,79}")
# A mirror URL: scheme, host, optional port and path; nothing a config file or a shell could misread.
MIRROR_URL = re.compile(
    r"https?://[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~%+/-]*)?"
)
# A pip requirement specifier (PEP 508 without direct URLs): name[extras] versions ; markers. Never an
# option (--index-url, -r, -e: they would read files or change the index), never a second line.
REQUIREMENT = re.compile(
    r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9])?"
    r"(?: ?\[ ?[A-Za-z0-9._-]+(?: ?, ?[A-Za-z0-9._-]+)* ?\])?"
    r"(?: ?(?:===|==|!=|~=|<=|>=|<|>) ?[A-Za-z0-9.*+!_-]{1,64}"
    r"(?: ?, ?(?:===|==|!=|~=|<=|>=|<|>) ?[A-Za-z0-9.*+!_-]{1,64})*)?"
    r"(?: ?; ?[A-Za-z0-9_ .'\"<>=!~(),-]{1,200})?"
)
# Folders of the operating system that model_dir must neither be nor lie under (the scripts mount the
# data disk there and chown it to the service account), and that must not lie under model_dir.
SYSTEM_DIRS = (
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/home",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/lost+found",
    "/media",
    "/proc",
    "/root",
    "/run",
    "/sbin",
    "/snap",
    "/sys",
    "/tmp",
    "/usr",
    "/var",
    "/opt/fleet",
)
MAX_REPORTED = 60  # characters of a bad value quoted in an error message


class UserDataError(ValueError):
    """Bad serving settings, or user data ECS would refuse; `field` names the spec field."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclasses.dataclass(frozen=True)
class ServerSettings:
    command: tuple[str, ...] = ()  # argv with {python} {host} {port} {model_dir} {root}
    image: str = ""  # a container image run with docker instead of a command
    args: tuple[str, ...] = ()  # the image's arguments (placeholders allowed)
    env: Mapping[str, str] = dataclasses.field(default_factory=dict)
    container_port: int = 0  # the port inside the container; 0: the same as serving.port
    gpus: str = ""  # docker --gpus value, e.g. "all" for vLLM on a GPU instance type
    pip: tuple[str, ...] = ()  # requirements installed into /opt/fleet/venv for a command server

    @property
    def is_default(self) -> bool:
        return not self.command and not self.image


@dataclasses.dataclass(frozen=True)
class ServingSettings:
    port: int = 8000
    health_path: str = "/v2/health/ready"
    model_dir: str = "/mnt/model"
    server: ServerSettings = dataclasses.field(default_factory=ServerSettings)
    name: str = ""  # the workload's name; "" gives "iris" for the default server, else "custom"
    data_device: str = ""  # "" finds the first data disk (/dev/vdb, /dev/nvme1n1, /dev/xvdb)
    fs_label: str = "fleet-model"
    pip_index_url: str = ""  # "" keeps the image's own pip configuration (mirror.pip sets it too)
    apt_mirror: str = ""  # cloud-init apt primary URI; "" keeps the image's sources
    apt_security_mirror: str = ""  # cloud-init apt security URI; "" is apt_mirror
    registry_mirror: str = ""  # docker registry-mirrors entry (Docker Hub images only)

    @property
    def pip_trusted_host(self) -> str:
        """pip refuses a plain-http index unless its host is trusted (Alibaba's VPC mirror is http)."""
        if self.pip_index_url.startswith("http://"):
            return self.pip_index_url[len("http://") :].split("/", 1)[0]
        return ""

    @property
    def workload_name(self) -> str:
        return self.name or ("iris" if self.server.is_default else "custom")


def _get(source: object, key: str, default: Any) -> Any:
    if source is None:
        return default
    if isinstance(source, Mapping):
        value = source.get(key, default)
    else:
        value = getattr(source, key, default)
    return default if value is None else value


def shown(value: object) -> str:
    """repr() of a value for an error message, cut to MAX_REPORTED characters."""
    text = repr(value)
    return text if len(text) <= MAX_REPORTED else text[:MAX_REPORTED] + f"... ({len(text)} characters)"


def _string(value: object, field: str, pattern: re.Pattern[str] | None = None, what: str = "") -> str:
    """A string; with `pattern`, the whole string must match it (fullmatch: "x\n" never passes "x$")."""
    if not isinstance(value, str):
        raise UserDataError(field, f"must be a string, got {type(value).__name__}")
    if "\x00" in value:
        raise UserDataError(field, "must not contain a NUL character (no argv or environment can hold one)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800" in a double-quoted YAML string)
        raise UserDataError(field, "must be valid Unicode text (it holds a lone surrogate)") from None
    if pattern is not None and not pattern.fullmatch(value):
        raise UserDataError(field, f"{shown(value)} is not {what}")
    return value


def _strings(value: object, field: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise UserDataError(field, "must be a list of strings (an argv), not " + type(value).__name__)
    for i, item in enumerate(value):
        _string(item, f"{field}[{i}]")
    return tuple(value)


def _requirements(value: object, field: str) -> tuple[str, ...]:
    items = _strings(value, field)
    for i, item in enumerate(items):
        if item.lstrip().startswith("-"):
            raise UserDataError(
                f"{field}[{i}]",
                f"{shown(item)} is an option; only requirement specifiers "
                "such as 'numpy>=1.26,<2' are accepted (set the index with serving.mirror.pip)",
            )
        if not REQUIREMENT.fullmatch(item):
            raise UserDataError(
                f"{field}[{i}]",
                f"{shown(item)} is not a requirement specifier (one line: "
                "name[extras] version specifiers ; markers, e.g. 'numpy>=1.26,<2')",
            )
    return items


def check_model_dir(value: object, field: str = "serving.model_dir") -> str:
    """A normalized absolute path of plain characters, outside the operating system's folders."""
    path = _string(value, field, _PATH, "an absolute path of letters, digits and ._- between slashes")
    if posixpath.normpath(path) != path or any(part in (".", "..") for part in path.split("/")):
        raise UserDataError(field, f"{shown(path)} must be a normalized path (no '.', '..', '//' or trailing /)")
    for system in SYSTEM_DIRS:
        if path == system or path.startswith(system + "/") or system.startswith(path + "/"):
            raise UserDataError(
                field,
                f"{shown(path)} is inside or above the system folder {system}: the data disk "
                "is mounted there and handed to the service account; use e.g. /mnt/model or /srv/model",
            )
    return path


def _mirror(value: object, field: str) -> str:
    if value in (None, "", "none"):
        return ""
    return _string(value, field, MIRROR_URL, "an http(s) URL such as http://mirrors.cloud.aliyuncs.com/pypi/simple/")


def _port(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise UserDataError(field, f"must be a port number 1-65535, got {value!r}")
    return value


def _env(value: object, field: str) -> dict[str, str]:
    if isinstance(value, (list, tuple)) and all(isinstance(p, (list, tuple)) and len(p) == 2 for p in value):
        value = dict(value)  # (name, value) pairs, as provisioner.spec keeps them
    if not isinstance(value, Mapping):
        raise UserDataError(field, "must be a mapping of variable names to values")
    env = {}
    for key, item in value.items():
        if not isinstance(key, str) or not _ENV_NAME.match(key):
            raise UserDataError(field, f"{key!r} is not a valid environment variable name")
        if isinstance(item, bool) or not isinstance(item, (str, int, float)):
            raise UserDataError(f"{field}.{key}", f"must be a string or a number, got {type(item).__name__}")
        env[key] = _string(str(item), f"{field}.{key}")  # any text but NUL (no environment can hold one)
    return env


def settings_from(serving: object) -> ServingSettings:
    """Checks a mapping or settings-like object and returns ServingSettings; UserDataError names the field."""
    if isinstance(serving, ServingSettings):
        return serving
    server = _get(serving, "server", None)
    command = _get(server, "command", ())
    image = _get(server, "image", "") or _get(server, "container", "")  # "container": provisioner.spec's name
    if command and image:
        raise UserDataError("serving.server", "give either command or image, not both")
    command = _strings(command, "serving.server.command") if command else ()
    image = _string(image, "serving.server.image", _IMAGE, "a container image reference") if image else ""
    args = _strings(_get(server, "args", ()), "serving.server.args")
    container_port = _get(server, "container_port", 0)
    gpus = _get(server, "gpus", "")
    gpus = (
        _string(gpus, "serving.server.gpus", _GPUS, "a docker --gpus value (all, a count, device=...)") if gpus else ""
    )
    pip = _requirements(_get(server, "pip", ()), "serving.server.pip")
    if not image and (args or container_port or gpus):
        raise UserDataError("serving.server", "args, container_port and gpus apply only with image")
    if image and pip:
        raise UserDataError("serving.server.pip", "applies only with command (an image brings its own)")
    if command and not command[0]:
        raise UserDataError("serving.server.command[0]", "must name the program to run")
    env = _env(_get(server, "env", {}), "serving.server.env")
    for field, values in (("command", command), ("args", args), ("env", tuple(env.values()))):
        for value in values:
            unknown = set(_PLACEHOLDER.findall(value)) - set(PLACEHOLDERS)
            if unknown:
                raise UserDataError(
                    f"serving.server.{field}",
                    f"{value!r} uses unknown placeholder(s) "
                    f"{sorted(unknown)}; known: {', '.join('{' + p + '}' for p in PLACEHOLDERS)}",
                )
    server_settings = ServerSettings(
        command=command,
        image=image,
        args=args,
        env=env,
        container_port=_port(container_port, "serving.server.container_port") if container_port else 0,
        gpus=gpus,
        pip=pip,
    )
    model_dir = check_model_dir(_get(serving, "model_dir", "/mnt/model"))
    health_path = _string(
        _get(serving, "health_path", "/v2/health/ready"),
        "serving.health_path",
        HEALTH_PATH,
        "a URL path starting with / (2-80 letters, digits and - / . % ? # &, the SLB's rule)",
    )
    device = _get(serving, "data_device", "")
    mirror = _get(serving, "mirror", None)
    pip_index = _mirror(_get(mirror, "pip", "") or _get(serving, "pip_index_url", ""), "serving.mirror.pip")
    return ServingSettings(
        port=_port(_get(serving, "port", 8000), "serving.port"),
        health_path=health_path,
        model_dir=model_dir,
        server=server_settings,
        name=_string(
            _get(serving, "name", ""),
            "serving.name",
            re.compile(r"[A-Za-z0-9._-]{0,64}"),
            "a workload name (letters, digits, ._-)",
        ),
        data_device=_string(device, "serving.data_device", _DEVICE, "a /dev path") if device else "",
        fs_label=_string(
            _get(serving, "fs_label", "fleet-model"),
            "serving.fs_label",
            _LABEL,
            "an ext4 label (1-16 letters, digits, _ or -)",
        ),
        pip_index_url=pip_index,
        apt_mirror=_mirror(_get(mirror, "apt", ""), "serving.mirror.apt"),
        apt_security_mirror=_mirror(_get(mirror, "apt_security", ""), "serving.mirror.apt_security"),
        registry_mirror=_mirror(_get(mirror, "registry", ""), "serving.mirror.registry"),
    )


def workload_command(settings: ServingSettings) -> list[str]:
    """The manifest's argv: the default server, the given command, or `docker run` of the image."""
    server = settings.server
    if server.is_default:
        return list(DEFAULT_COMMAND)
    if server.command:
        return list(server.command)
    argv = [
        "docker",
        "run",
        "--rm",
        "--name",
        CONTAINER_NAME,
        "--publish",
        f"{{host}}:{{port}}:{server.container_port or settings.port}",
        "--volume",
        f"{{model_dir}}:{settings.model_dir}",
        "--env",
        "FLEET_INSTANCE_ID",
    ]
    for key in server.env:  # `--env NAME` passes the value from the runner's environment (not in argv)
        argv += ["--env", key]
    if server.gpus:
        argv += ["--gpus", server.gpus]
    return [*argv, server.image, *server.args]


def workload_manifest(serving: object, *, instance_role: str, data_disk: bool = False) -> dict[str, Any]:
    """/etc/fleet/workload.json as localcloud/MODEL.md defines it (placeholders left for the runner).

    With a data disk it also says how long the boot waits for the disk before the server starts
    without it (`data_disk.wait_seconds`, the prepare-data-disk script's wait), so that localcloud's
    runtime, which starts the workload itself, waits as the VM does."""
    settings = settings_from(serving)
    env = {"FLEET_ROLE": _string(instance_role, "instance_role", _ROLE, "a role name"), **settings.server.env}
    manifest = {
        "name": settings.workload_name,
        "command": workload_command(settings),
        "port": settings.port,
        "health_path": settings.health_path,
        "env": env,
        "model_dir": settings.model_dir,
    }
    if data_disk:
        manifest["data_disk"] = {"wait_seconds": DATA_DISK_WAIT_SECONDS}
    return manifest


class _Dumper(yaml.SafeDumper):
    """Writes multi-line strings (scripts, files) as YAML literal blocks, readable in DescribeUserData."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _file(path: str, content: str, permissions: str) -> dict[str, Any]:
    return {"path": path, "owner": "root:root", "permissions": permissions, "content": content}


def install_config(settings: ServingSettings, *, data_disk: bool) -> dict[str, Any]:
    """/etc/fleet/install.json: every value the scripts need, as data (scripts.py reads it with python3)."""
    return {
        "mode": "docker" if settings.server.image else "venv",
        "image": settings.server.image,
        "model_dir": settings.model_dir,
        "fs_label": settings.fs_label,
        "data_device": settings.data_device,
        "disk_wait_seconds": DATA_DISK_WAIT_SECONDS if data_disk else 0,
        "pip_index_url": settings.pip_index_url,
        "pip_trusted_host": settings.pip_trusted_host,
    }


def render_cloud_config(serving: object, *, instance_role: str, data_disk: bool) -> str:
    """The #cloud-config document for one instance (the same for every instance of a role)."""
    settings = settings_from(serving)
    server = settings.server
    manifest = workload_manifest(settings, instance_role=instance_role, data_disk=data_disk)
    docker = bool(server.image)
    requirements = SERVER_REQUIREMENTS if server.is_default else server.pip
    files = []
    if server.is_default:
        files.append(_file("/opt/fleet/modelserver.py", MODEL_SERVER_PATH.read_text(), "0644"))
    if requirements:
        files.append(_file("/etc/fleet/requirements.txt", "".join(r + "\n" for r in requirements), "0644"))
    files += [
        _file("/etc/fleet/workload.json", json.dumps(manifest) + "\n", "0644"),
        _file(scripts.INSTALL_CONFIG, json.dumps(install_config(settings, data_disk=data_disk)) + "\n", "0644"),
        _file("/opt/fleet/run-workload", scripts.RUN_WORKLOAD, "0755"),
        _file("/opt/fleet/install-server", scripts.INSTALL_SERVER, "0755"),
        _file(
            "/etc/systemd/system/fleet-model.service",
            scripts.unit(
                data_disk=data_disk, model_dir=settings.model_dir, docker=docker, run_as="root" if docker else "fleet"
            ),
            "0644",
        ),
    ]
    runcmd = []
    if docker and settings.registry_mirror:
        files.append(
            _file(
                "/etc/docker/daemon.json", json.dumps({"registry-mirrors": [settings.registry_mirror]}) + "\n", "0644"
            )
        )
    if data_disk:
        files.append(_file("/opt/fleet/prepare-data-disk", scripts.PREPARE_DATA_DISK, "0755"))
        runcmd.append(["/opt/fleet/prepare-data-disk"])
    runcmd += [
        ["/opt/fleet/install-server"],
        ["systemctl", "daemon-reload"],
        ["systemctl", "enable", "--now", "fleet-model.service"],
    ]
    document: dict[str, Any] = {}
    if settings.apt_mirror:
        # cloud-init's apt module rewrites the sources (Debian and Ubuntu; other distributions skip it).
        security = settings.apt_security_mirror or settings.apt_mirror
        document["apt"] = {
            "primary": [{"arches": ["default"], "uri": settings.apt_mirror}],
            "security": [{"arches": ["default"], "uri": security}],
        }
    document.update({"write_files": files, "runcmd": runcmd})
    # Constant text only: no stack value is ever written into a comment (it could end the comment).
    header = (
        "#cloud-config\n# fleet instance: runs the workload in /etc/fleet/workload.json under systemd"
        " as fleet-model.service.\n# Generated by provisioner.serving.userdata.\n"
    )
    # allow_unicode=False: every character outside printable ASCII is written as an escape inside a
    # double-quoted scalar, so NEL, U+2028/2029 or a lone CR can never break a line of the document.
    return header + yaml.dump(document, Dumper=_Dumper, sort_keys=False, width=4096, allow_unicode=False)


def build_user_data(serving: object, *, instance_role: str, data_disk: bool) -> str:
    """The Base64 `UserData` for RunInstances; UserDataError when the settings are bad or it is too big."""
    document = render_cloud_config(serving, instance_role=instance_role, data_disk=data_disk).encode()
    if len(document) > MAX_USER_DATA_BYTES:
        raise UserDataError(
            "serving",
            f"the generated UserData is {len(document)} bytes; ECS RunInstances "
            f"takes at most {MAX_USER_DATA_BYTES} bytes before Base64 "
            "(shorten serving.server.env, command or args)",
        )
    return base64.b64encode(document).decode("ascii")


def decode_user_data(user_data: str) -> dict[str, Any]:
    """The cloud-config mapping inside a Base64 UserData (for tests, status and DescribeUserData checks)."""
    text = base64.b64decode(user_data).decode()
    if not text.startswith("#cloud-config\n"):
        raise ValueError("UserData is not a #cloud-config document")
    document: dict[str, Any] = yaml.safe_load(text)
    return document
