"""The stack's state file (ids, tokens, write-ahead creates) and the lock that keeps runs apart."""
from __future__ import annotations

import fcntl
import json
import logging
import os
import secrets
import socket
import threading
import time
from typing import Any, Callable

from .errors import LockHeld, StateError

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
STATE_DIR = "state"


def default_path(stack_name: str, state_dir: str = STATE_DIR) -> str:
    return os.path.join(state_dir, f"{stack_name}.json")


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def new_document(stack_name: str) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "stack": stack_name,
        # Part of every ClientToken: a new state (first run, or after a teardown) never replays the
        # tokens of an earlier life of the stack (the cloud would answer with long-deleted ids).
        "epoch": secrets.token_hex(4),
        "spec_hash": None,
        "resources": {},
        "generations": {},
        "pending": {},
        "updated": _now_iso(),
    }


class State:
    """The JSON state of one stack. Thread-safe; every change is written at once, atomically.

    Holds resource ids per role, ClientToken generations, and pending creates (write-ahead: a create's
    token and request are saved before the call, so a rerun after a crash replays the same token).
    Never holds a secret.
    """

    def __init__(self, path: str, data: dict, existed: bool):
        self.path = path
        self.data = data
        self.existed = existed
        self._lock = threading.RLock()

    # loading ---------------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str, stack_name: str) -> "State":
        """Read the state; a missing file gives a fresh one. An invalid file raises and is left as it is."""
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except FileNotFoundError:
            return cls(path, new_document(stack_name), existed=False)
        except OSError as err:
            raise StateError(f"cannot read the state file {path}: {err.strerror}") from None
        try:
            data = json.loads(text)
        except ValueError as err:
            raise StateError(f"the state file {path} is not valid JSON ({err}); it was left untouched:"
                             " fix it, or move it away to rebuild the state from the cloud's tags") from None
        cls._check(path, data, stack_name)
        return cls(path, data, existed=True)

    @staticmethod
    def _check(path: str, data: Any, stack_name: str) -> None:
        problem = None
        if not isinstance(data, dict):
            problem = "it does not hold a JSON object"
        elif data.get("schema_version") != SCHEMA_VERSION:
            problem = f"schema_version is {data.get('schema_version')!r}, this provisioner reads {SCHEMA_VERSION}"
        elif data.get("stack") != stack_name:
            problem = f"it belongs to stack {data.get('stack')!r}, not {stack_name!r}"
        else:
            for key, kind in (("epoch", str), ("resources", dict), ("generations", dict), ("pending", dict)):
                if not isinstance(data.get(key), kind):
                    problem = f"{key!r} is missing or not a {kind.__name__}"
                    break
        if problem:
            raise StateError(f"the state file {path} is not usable: {problem}; it was left untouched")

    # access ----------------------------------------------------------------------------------------
    @property
    def epoch(self) -> str:
        return self.data["epoch"]

    def get(self, role: str, default: Any = None) -> Any:
        with self._lock:
            return json.loads(json.dumps(self.data["resources"].get(role, default)))

    def set(self, role: str, value: Any) -> None:
        with self._lock:
            if value in (None, [], {}):
                self.data["resources"].pop(role, None)
            else:
                self.data["resources"][role] = value
            self.save()

    def update(self, fn: Callable[[dict], None]) -> None:
        """Change the document under the lock with `fn(data)`, then save."""
        with self._lock:
            fn(self.data)
            self.save()

    def generation(self, key: str) -> int:
        with self._lock:
            return int(self.data["generations"].get(key, 0))

    def bump_generation(self, key: str) -> None:
        with self._lock:
            self.data["generations"][key] = self.generation(key) + 1
            self.save()

    def pending(self, key: str) -> dict | None:
        with self._lock:
            entry = self.data["pending"].get(key)
            return dict(entry) if entry else None

    def all_pending(self) -> dict[str, dict]:
        with self._lock:
            return json.loads(json.dumps(self.data["pending"]))

    def set_pending(self, key: str, entry: dict) -> None:
        with self._lock:
            self.data["pending"][key] = entry
            self.save()

    def clear_pending(self, key: str, spent: bool) -> None:
        """The create finished (spent=True moves the key to a new generation) or was abandoned."""
        with self._lock:
            self.data["pending"].pop(key, None)
            if spent:
                self.data["generations"][key] = self.generation(key) + 1
            self.save()

    def clear_resources(self) -> None:
        with self._lock:
            self.data["resources"] = {}
            self.data["pending"] = {}
            self.save()

    # writing ---------------------------------------------------------------------------------------
    def save(self) -> None:
        with self._lock:
            self.data["updated"] = _now_iso()
            atomic_write_json(self.path, self.data)
            self.existed = True

    def remove(self) -> None:
        with self._lock:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass
            self.existed = False


def atomic_write_json(path: str, data: dict) -> None:
    """Write JSON so that the file is always either the old or the new document, never half of one:
    a temporary file in the same directory (mode 0600), fsync, rename over, fsync the directory."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class StackLock:
    """An exclusive flock on state/<stack>.lock, with the holder (pid, host, command, start) written in it.

    The kernel drops a flock when its process dies, so a lock left by a killed run is simply taken
    over; the previous holder's details are logged.
    """

    def __init__(self, path: str, command: str):
        self.path = path
        self.command = command
        self._handle = None

    def acquire(self) -> None:
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        handle = os.fdopen(fd, "r+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _read_holder(handle)
            handle.close()
            raise LockHeld(self.path, holder) from None
        previous = _read_holder(handle)
        if previous.get("pid"):
            log.info("taking over the lock %s from pid %s (%s), which is gone",
                     self.path, previous.get("pid"), previous.get("command", "?"))
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "command": self.command, "started": _now_iso()}
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(holder) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
        self._handle = handle

    def release(self) -> None:
        if self._handle is None:
            return
        try:
            self._handle.seek(0)
            self._handle.truncate()
            self._handle.flush()
        finally:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None

    def __enter__(self) -> "StackLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def lock_path(state_path: str) -> str:
    base = state_path[:-5] if state_path.endswith(".json") else state_path
    return base + ".lock"


def _read_holder(handle) -> dict:
    try:
        handle.seek(0)
        text = handle.read().strip()
        return json.loads(text) if text else {}
    except (ValueError, OSError):
        return {}
