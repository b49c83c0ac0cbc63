"""User data as cloud-init reads it: base64 (optionally gzip), #cloud-config or MIME multipart, write_files."""

from __future__ import annotations

import base64
import binascii
import email
import json
import os
import posixpath
import stat
import zlib

import yaml

MANIFEST_PATH = "/etc/fleet/workload.json"
MAX_DECOMPRESSED = 16 << 20  # a gzip bomb in user data stops here (cloud-init has no such limit; ours)


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
            raw = _gunzip(raw)
        except (OSError, zlib.error) as err:
            raise UserDataError(f"user data looks gzip-compressed but is not: {err}") from None
    return raw


def _gunzip(data: bytes) -> bytes:
    """gzip.decompress with a bound on the output."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = inflater.decompress(data, MAX_DECOMPRESSED + 1)
    if len(out) > MAX_DECOMPRESSED:
        raise OSError(f"it inflates to more than {MAX_DECOMPRESSED} bytes")
    return out


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
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes):
                payload = b""
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
            return _gunzip(data)
        if encoding in ("gz+b64", "gz+base64", "gzip+b64", "gzip+base64"):
            return _gunzip(base64.b64decode(data))
    except (binascii.Error, OSError, ValueError, zlib.error) as err:
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


def write_files(doc: dict, root: str, owner=None) -> list[str]:
    """Materialise every write_files entry under `root`; returns the VM paths written.

    Nothing written follows a symlink or a hard link (the instance root belongs to the workload user,
    who could plant one pointing at the emulator's files); `owner(fd)` gives each new file and
    directory to that user. Permissions are the entry's (without setuid/setgid/sticky): the instance
    root above them is 0700, so others cannot reach them whatever they say."""
    entries = doc.get("write_files") or []
    if not isinstance(entries, list):
        raise UserDataError("write_files must be a list")
    written = []
    for entry in entries:
        if not isinstance(entry, dict) or not entry.get("path"):
            raise UserDataError("every write_files entry needs a path")
        parts = vm_parts(entry["path"])
        data = file_content(entry)
        mode = permissions(entry) & 0o777
        dir_fd = open_dirs(root, parts[:-1], create=True, owner=owner)
        try:
            fd = _open_file(dir_fd, parts[-1], mode, bool(entry.get("append")), entry["path"])
        finally:
            os.close(dir_fd)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            os.fchmod(handle.fileno(), mode)
            if owner is not None:
                owner(handle.fileno())
        written.append(entry["path"])
    return written


def vm_parts(path: str) -> list[str]:
    """The components of a VM path ("/.." is "/" on a VM too, so nothing escapes the root)."""
    clean = posixpath.normpath("/" + str(path))
    if clean == "/" or "\0" in clean:
        raise UserDataError(f"write_files: {path!r} is not a file path")
    return clean.lstrip("/").split("/")


def open_dirs(root: str, parts: list[str], create: bool = False, owner=None) -> int:
    """An fd of root/parts..., walked one directory at a time without following any symlink."""
    if create:
        os.makedirs(root, exist_ok=True)
    try:
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as err:
        raise UserDataError(f"cannot open the instance root: {err.strerror}") from None
    try:
        for i, part in enumerate(parts):
            made = False
            if create:
                try:
                    os.mkdir(part, 0o750, dir_fd=fd)
                    made = True
                except FileExistsError:
                    pass
            try:
                sub = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
            except OSError as err:
                where = "/" + "/".join(parts[: i + 1])
                raise UserDataError(f"{where} is not a directory (or is a symlink): {err.strerror}") from None
            if made and owner is not None:
                owner(sub)
            os.close(fd)
            fd = sub
    except BaseException:
        os.close(fd)
        raise
    return fd


def _open_file(dir_fd: int, name: str, mode: int, append: bool, vm_path: str) -> int:
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    if append:
        flags |= os.O_APPEND
    else:
        try:
            os.unlink(name, dir_fd=dir_fd)  # a fresh inode: never write through a planted hard link
        except FileNotFoundError:
            pass
        except OSError as err:
            raise UserDataError(f"write_files {vm_path}: cannot replace it: {err.strerror}") from None
        flags |= os.O_EXCL
    try:
        fd = os.open(name, flags, mode, dir_fd=dir_fd)
    except OSError as err:
        raise UserDataError(f"write_files {vm_path}: {err.strerror}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        os.close(fd)
        raise UserDataError(f"write_files {vm_path}: not a plain file with a single link")
    return fd


def read_manifest(root: str) -> dict:
    """Parse and check /etc/fleet/workload.json (MODEL.md: name, command, port, health_path, env, model_dir,
    and optionally data_disk {wait_seconds})."""
    parts = vm_parts(MANIFEST_PATH)
    try:
        dir_fd = open_dirs(root, parts[:-1])
    except UserDataError:
        raise UserDataError(f"no {MANIFEST_PATH} in the user data's write_files") from None
    try:
        fd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
    except FileNotFoundError:
        raise UserDataError(f"no {MANIFEST_PATH} in the user data's write_files") from None
    except OSError as err:
        raise UserDataError(f"cannot read {MANIFEST_PATH}: {err.strerror}") from None
    finally:
        os.close(dir_fd)
    try:
        with os.fdopen(fd, encoding="utf-8") as handle:
            manifest = json.loads(handle.read(1 << 20))
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
            raise UserDataError(f'{MANIFEST_PATH}: data_disk must be {{"wait_seconds": 0-3600}}')
    return {
        **manifest,
        "command": [str(a) for a in command],
        "port": port,
        "env": {str(k): "" if v is None else str(v) for k, v in env.items()},
    }


def expand(text: str, values: dict[str, str]) -> str:
    """Replace {python}, {host}, {port}, {model_dir}, {root}; other braces are left alone."""
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text
