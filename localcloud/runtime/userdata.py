"""User data as cloud-init reads it: base64 (optionally gzip), #cloud-config or MIME multipart, write_files."""
from __future__ import annotations

import base64
import binascii
import email
import gzip
import json
import os
import posixpath

import yaml

MANIFEST_PATH = "/etc/fleet/workload.json"


class UserDataError(ValueError):
    """The user data cannot be read the way cloud-init would read it."""


def decode(user_data_b64: str | None) -> bytes:
    """ECS stores UserData base64-encoded as sent; cloud-init also accepts a gzip-compressed payload."""
    if not user_data_b64:
        return b""
    try:
        raw = base64.b64decode(user_data_b64, validate=False)
    except (binascii.Error, ValueError) as err:
        raise UserDataError(f"user data is not base64: {err}") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except OSError as err:
            raise UserDataError(f"user data looks gzip-compressed but is not: {err}") from None
    return raw


def cloud_config(raw: bytes) -> dict | None:
    """The #cloud-config document of the user data (None when there is none, e.g. a bare shell script).

    A MIME multipart payload contributes every text/cloud-config part; their write_files lists are
    concatenated (cloud-init's default merge for lists of the same key replaces; we append so that a
    split document still yields every file, and say so in CHOICES.md).
    """
    if not raw.strip():
        return None
    head = raw.lstrip()[:200].lower()
    if head.startswith(b"#cloud-config"):
        return _load_yaml(raw)
    if head.startswith(b"content-type:") or head.startswith(b"mime-version:"):
        merged: dict | None = None
        for part in email.message_from_bytes(raw).walk():
            if part.is_multipart():
                continue
            payload = part.get_payload(decode=True) or b""
            if part.get_content_type() != "text/cloud-config" and not payload.lstrip().startswith(b"#cloud-config"):
                continue
            doc = _load_yaml(payload)
            if merged is None:
                merged = doc
            else:
                files = list(merged.get("write_files") or []) + list(doc.get("write_files") or [])
                merged.update(doc)
                merged["write_files"] = files
        return merged
    return None


def _load_yaml(raw: bytes) -> dict:
    try:
        doc = yaml.safe_load(raw.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise UserDataError(f"#cloud-config is not valid YAML: {err}") from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise UserDataError("#cloud-config must be a YAML mapping")
    return doc


def file_content(entry: dict) -> bytes:
    """The bytes of one write_files entry, honouring cloud-init's encodings (b64, gzip, gz+b64)."""
    content = entry.get("content", "")
    if content is None:
        content = ""
    encoding = str(entry.get("encoding") or "").lower()
    data = content if isinstance(content, bytes) else str(content).encode("utf-8")
    try:
        if encoding in ("b64", "base64"):
            return base64.b64decode(data)
        if encoding in ("gz", "gzip"):
            return gzip.decompress(data)
        if encoding in ("gz+b64", "gz+base64", "gzip+b64", "gzip+base64"):
            return gzip.decompress(base64.b64decode(data))
    except (binascii.Error, OSError, ValueError) as err:
        raise UserDataError(f"write_files {entry.get('path')}: cannot decode {encoding}: {err}") from None
    if encoding not in ("", "text/plain"):
        raise UserDataError(f"write_files {entry.get('path')}: unknown encoding {encoding!r}")
    return data


def permissions(entry: dict) -> int:
    """cloud-init's rule: a string is octal ("0644"); a YAML integer (0644 parses as 420) is used as is."""
    value = entry.get("permissions")
    if value is None or value == "":
        return 0o644
    if isinstance(value, int):
        return value
    try:
        return int(str(value), 8)
    except ValueError:
        raise UserDataError(f"write_files {entry.get('path')}: bad permissions {value!r}") from None


def local_path(root: str, path: str) -> str:
    """Where the VM path `path` lives under the instance root ("/.." is "/" on a VM too, so nothing escapes)."""
    clean = posixpath.normpath("/" + str(path))
    if clean == "/":
        raise UserDataError(f"write_files: {path!r} is not a file path")
    return os.path.join(root, clean.lstrip("/"))


def write_files(doc: dict, root: str) -> list[str]:
    """Materialise every write_files entry under `root`; returns the VM paths written."""
    entries = doc.get("write_files") or []
    if not isinstance(entries, list):
        raise UserDataError("write_files must be a list")
    written = []
    for entry in entries:
        if not isinstance(entry, dict) or not entry.get("path"):
            raise UserDataError("every write_files entry needs a path")
        target = local_path(root, entry["path"])
        data = file_content(entry)
        mode = permissions(entry)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "ab" if entry.get("append") else "wb") as handle:
            handle.write(data)
        os.chmod(target, mode)
        written.append(entry["path"])
    return written


def read_manifest(root: str) -> dict:
    """Parse and check /etc/fleet/workload.json (MODEL.md: name, command, port, health_path, env, model_dir,
    and optionally data_disk {wait_seconds})."""
    path = local_path(root, MANIFEST_PATH)
    try:
        with open(path, encoding="utf-8") as handle:
            manifest = json.load(handle)
    except FileNotFoundError:
        raise UserDataError(f"no {MANIFEST_PATH} in the user data's write_files") from None
    except (ValueError, UnicodeDecodeError) as err:
        raise UserDataError(f"{MANIFEST_PATH} is not JSON: {err}") from None
    if not isinstance(manifest, dict):
        raise UserDataError(f"{MANIFEST_PATH} must be a JSON object")
    command = manifest.get("command")
    if not isinstance(command, list) or not command or not all(isinstance(a, (str, int, float)) for a in command):
        raise UserDataError(f"{MANIFEST_PATH}: command must be a non-empty list of strings")
    port = manifest.get("port")
    if isinstance(port, str) and port.isdigit():
        port = int(port)
    if not isinstance(port, int) or not 1 <= port <= 65535:
        raise UserDataError(f"{MANIFEST_PATH}: port must be an integer 1-65535")
    env = manifest.get("env") or {}
    if not isinstance(env, dict):
        raise UserDataError(f"{MANIFEST_PATH}: env must be an object")
    disk = manifest.get("data_disk")
    if disk is not None:
        wait = disk.get("wait_seconds", 0) if isinstance(disk, dict) else None
        if isinstance(wait, bool) or not isinstance(wait, (int, float)) or not 0 <= wait <= 3600:
            raise UserDataError(f"{MANIFEST_PATH}: data_disk must be {{\"wait_seconds\": 0-3600}}")
    return {**manifest, "command": [str(a) for a in command], "port": port,
            "env": {str(k): "" if v is None else str(v) for k, v in env.items()}}


def expand(text: str, values: dict[str, str]) -> str:
    """Replace {python}, {host}, {port}, {model_dir}, {root}; other braces are left alone."""
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text
