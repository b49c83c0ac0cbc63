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
and optionally name, data_device, fs_label, pip_index_url. With neither server.command nor
server.image the instance runs the default small model server (modelserver.py, iris, OIP v2).
`data_disk` says whether this instance has a data disk to format-if-blank and mount at model_dir;
without one, model_dir is a plain directory on the system disk.

On the VM, cloud-init: writes /opt/fleet/modelserver.py (verbatim), /etc/fleet/workload.json (the
manifest localcloud's runtime reads, see localcloud/MODEL.md), the scripts of scripts.py and the
fleet-model.service unit; runcmd prepares the disk, installs the server, enables and starts the unit.
"""
from __future__ import annotations

import base64
import dataclasses
import json
import re
from collections.abc import Mapping
from pathlib import Path

import yaml

from provisioner.serving import scripts

MAX_USER_DATA_BYTES = 32 * 1024  # RunInstances UserData: at most 32 KB before Base64 (ecs-api.md)
MODEL_SERVER_PATH = Path(__file__).with_name("modelserver.py")
# What modelserver.py imports, as compatible ranges (the same as setup.cfg's).
SERVER_REQUIREMENTS = ("starlette>=0.37,<2", "uvicorn>=0.29,<1", "scikit-learn>=1.4,<2")
DEFAULT_COMMAND = ("{python}", "{root}/opt/fleet/modelserver.py", "--host", "{host}", "--port", "{port}",
                   "--model-dir", "{model_dir}")
CONTAINER_NAME = "fleet-model"
DATA_DISK_WAIT_SECONDS = 60  # how long a boot waits for the data disk to appear before serving without it
PLACEHOLDERS = ("python", "host", "port", "model_dir", "root")

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_PATH = re.compile(r"/[A-Za-z0-9._/-]*\Z")  # goes into fstab and a systemd unit: no spaces or escapes
_DEVICE = re.compile(r"/dev/[A-Za-z0-9._/-]+\Z")
_IMAGE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:@-]*\Z")
_LABEL = re.compile(r"[A-Za-z0-9_-]{1,16}\Z")  # ext4 labels hold at most 16 bytes


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
    pip_index_url: str = ""  # "" keeps the image's own pip configuration

    @property
    def workload_name(self) -> str:
        return self.name or ("iris" if self.server.is_default else "custom")


def _get(source, key: str, default):
    if source is None:
        return default
    if isinstance(source, Mapping):
        value = source.get(key, default)
    else:
        value = getattr(source, key, default)
    return default if value is None else value


def _string(value, field: str, pattern: re.Pattern | None = None, what: str = "") -> str:
    if not isinstance(value, str):
        raise UserDataError(field, f"must be a string, got {type(value).__name__}")
    if pattern is not None and not pattern.match(value):
        raise UserDataError(field, f"{value!r} is not {what}")
    return value


def _strings(value, field: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise UserDataError(field, "must be a list of strings (an argv), not " + type(value).__name__)
    for i, item in enumerate(value):
        _string(item, f"{field}[{i}]")
    return tuple(value)


def _port(value, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise UserDataError(field, f"must be a port number 1-65535, got {value!r}")
    return value


def _env(value, field: str) -> dict[str, str]:
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
        env[key] = str(item)
    return env


def settings_from(serving) -> ServingSettings:
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
    gpus = _string(_get(server, "gpus", ""), "serving.server.gpus")
    pip = _strings(_get(server, "pip", ()), "serving.server.pip")
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
                raise UserDataError(f"serving.server.{field}", f"{value!r} uses unknown placeholder(s) "
                                    f"{sorted(unknown)}; known: {', '.join('{%s}' % p for p in PLACEHOLDERS)}")
    server_settings = ServerSettings(
        command=command, image=image, args=args, env=env,
        container_port=_port(container_port, "serving.server.container_port") if container_port else 0,
        gpus=gpus, pip=pip)
    model_dir = _string(_get(serving, "model_dir", "/mnt/model"), "serving.model_dir", _PATH,
                        "an absolute path of letters, digits and ._-/")
    if model_dir in ("/", "") or model_dir.rstrip("/") != model_dir:
        raise UserDataError("serving.model_dir", f"{model_dir!r} must name a directory below / without a trailing /")
    health_path = _string(_get(serving, "health_path", "/v2/health/ready"), "serving.health_path")
    if not health_path.startswith("/") or any(c.isspace() for c in health_path):
        raise UserDataError("serving.health_path", f"{health_path!r} must be a URL path starting with /")
    device = _get(serving, "data_device", "")
    return ServingSettings(
        port=_port(_get(serving, "port", 8000), "serving.port"),
        health_path=health_path,
        model_dir=model_dir,
        server=server_settings,
        name=_string(_get(serving, "name", ""), "serving.name"),
        data_device=_string(device, "serving.data_device", _DEVICE, "a /dev path") if device else "",
        fs_label=_string(_get(serving, "fs_label", "fleet-model"), "serving.fs_label", _LABEL,
                         "an ext4 label (1-16 letters, digits, _ or -)"),
        pip_index_url=_string(_get(serving, "pip_index_url", ""), "serving.pip_index_url"),
    )


def workload_command(settings: ServingSettings) -> list[str]:
    """The manifest's argv: the default server, the given command, or `docker run` of the image."""
    server = settings.server
    if server.is_default:
        return list(DEFAULT_COMMAND)
    if server.command:
        return list(server.command)
    argv = ["docker", "run", "--rm", "--name", CONTAINER_NAME,
            "--publish", f"{{host}}:{{port}}:{server.container_port or settings.port}",
            "--volume", f"{{model_dir}}:{settings.model_dir}", "--env", "FLEET_INSTANCE_ID"]
    for key in server.env:  # `--env NAME` passes the value from the runner's environment (not in argv)
        argv += ["--env", key]
    if server.gpus:
        argv += ["--gpus", server.gpus]
    return argv + [server.image, *server.args]


def workload_manifest(serving, *, instance_role: str, data_disk: bool = False) -> dict:
    """/etc/fleet/workload.json as localcloud/MODEL.md defines it (placeholders left for the runner).

    With a data disk it also says how long the boot waits for the disk before the server starts
    without it (`data_disk.wait_seconds`, the prepare-data-disk script's wait), so that localcloud's
    runtime, which starts the workload itself, waits as the VM does."""
    settings = settings_from(serving)
    env = {"FLEET_ROLE": _string(instance_role, "instance_role"), **settings.server.env}
    manifest = {"name": settings.workload_name, "command": workload_command(settings), "port": settings.port,
                "health_path": settings.health_path, "env": env, "model_dir": settings.model_dir}
    if data_disk:
        manifest["data_disk"] = {"wait_seconds": DATA_DISK_WAIT_SECONDS}
    return manifest


class _Dumper(yaml.SafeDumper):
    """Writes multi-line strings (scripts, files) as YAML literal blocks, readable in DescribeUserData."""


def _str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _file(path: str, content: str, permissions: str) -> dict:
    return {"path": path, "owner": "root:root", "permissions": permissions, "content": content}


def render_cloud_config(serving, *, instance_role: str, data_disk: bool) -> str:
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
        _file("/opt/fleet/run-workload", scripts.RUN_WORKLOAD, "0755"),
        _file("/opt/fleet/install-server", scripts.render(
            scripts.INSTALL_SERVER, MODE="docker" if docker else "venv", IMAGE=server.image,
            MODEL_DIR=settings.model_dir, PIP_INDEX=settings.pip_index_url), "0755"),
        _file("/etc/systemd/system/fleet-model.service", scripts.unit(
            data_disk=data_disk, model_dir=settings.model_dir, docker=docker,
            run_as="root" if docker else "fleet"), "0644"),
    ]
    runcmd = []
    if data_disk:
        files.append(_file("/opt/fleet/prepare-data-disk", scripts.render(
            scripts.PREPARE_DATA_DISK, MODEL_DIR=settings.model_dir, LABEL=settings.fs_label,
            DEVICE=settings.data_device, DISK_WAIT=str(DATA_DISK_WAIT_SECONDS)), "0755"))
        runcmd.append(["/opt/fleet/prepare-data-disk"])
    runcmd += [["/opt/fleet/install-server"], ["systemctl", "daemon-reload"],
               ["systemctl", "enable", "--now", "fleet-model.service"]]
    document = {"write_files": files, "runcmd": runcmd}
    header = (f"#cloud-config\n# fleet instance, role {instance_role}: runs the workload in "
              f"/etc/fleet/workload.json ({manifest['name']}) under systemd as fleet-model.service.\n"
              f"# Generated by provisioner.serving.userdata; command: {' '.join(manifest['command'])}\n")
    return header + yaml.dump(document, Dumper=_Dumper, sort_keys=False, width=4096, allow_unicode=True)


def build_user_data(serving, *, instance_role: str, data_disk: bool) -> str:
    """The Base64 `UserData` for RunInstances; UserDataError when the settings are bad or it is too big."""
    document = render_cloud_config(serving, instance_role=instance_role, data_disk=data_disk).encode()
    if len(document) > MAX_USER_DATA_BYTES:
        raise UserDataError("serving", f"the generated UserData is {len(document)} bytes; ECS RunInstances "
                                       f"takes at most {MAX_USER_DATA_BYTES} bytes before Base64 "
                                       "(shorten serving.server.env, command or args)")
    return base64.b64encode(document).decode("ascii")


def decode_user_data(user_data: str) -> dict:
    """The cloud-config mapping inside a Base64 UserData (for tests, status and DescribeUserData checks)."""
    text = base64.b64decode(user_data).decode()
    if not text.startswith("#cloud-config\n"):
        raise ValueError("UserData is not a #cloud-config document")
    return yaml.safe_load(text)
