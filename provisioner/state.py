"""The stack's state file (ids, tokens, write-ahead creates) and the lock that keeps runs apart."""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import secrets
import socket
import stat
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

from .errors import LockHeld, StackRenamed, StateError
from .state_ids import ResourceIds

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
STATE_DIR = "state"
MAX_STATE_BYTES = 64 * 1024 * 1024  # a state of 500 instances is about 100 KB
# Neither the state nor the lock is ever opened through a symbolic link: a link planted in state/
# would make a run truncate or overwrite the file it points to.
_NOFOLLOW = os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def _symlink_error(path: str, what: str) -> StateError:
    return StateError(
        f"the {what} {path} is a symbolic link; refusing to follow it (remove the link, or point"
        " --state at the real file)"
    )


def make_state_dir(directory: str) -> None:
    """Create the state folder (and its parents) if missing; a folder this creates is 0700, since the
    state names every resource of the stack and the lock who runs it. The default folder (`state/`,
    which the repository ships with its .gitkeep at the checkout's mode) is narrowed to 0700 when it is
    ours; a folder given with --state is never chmod-ed (it may be shared, such as /tmp)."""
    if os.path.isdir(directory):
        if os.path.abspath(directory) == os.path.abspath(STATE_DIR):
            info = os.stat(directory)
            if info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) & 0o077:
                try:
                    os.chmod(directory, 0o700)
                except OSError as err:
                    log.warning("could not make %s private (0700): %s", directory, os_reason(err))
        return
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        os.chmod(directory, 0o700)
    except OSError as err:
        raise StateError(f"cannot create the state folder {directory}: {os_reason(err)}") from None


def default_path(stack_name: str, state_dir: str = STATE_DIR) -> str:
    return os.path.join(state_dir, f"{stack_name}.json")


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def new_document(stack_name: str) -> dict[str, Any]:
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


class State(ResourceIds):
    """The JSON state of one stack. Thread-safe; every change is written at once, atomically.

    Holds resource ids per role (typed: state_ids.ResourceIds), ClientToken generations, and pending creates
    (write-ahead: a create's token and request are saved before the call, so a rerun after a crash replays the
    same token).
    Never holds a secret.
    """

    def __init__(self, path: str, data: dict[str, Any], existed: bool):
        self.path = path
        self.data = data
        self.existed = existed
        self._lock = threading.RLock()

    # loading ---------------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str, stack_name: str) -> State:
        """Read the state; a missing file gives a fresh one. An invalid file raises and is left as it is."""
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | _NOFOLLOW)  # a FIFO must not hang the run
        except FileNotFoundError:
            return cls(path, new_document(stack_name), existed=False)
        except OSError as err:
            if err.errno == errno.ELOOP:
                raise _symlink_error(path, "state file") from None
            raise StateError(f"cannot read the state file {path}: {err.strerror}") from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise StateError(f"the state file {path} is not a regular file; it was left untouched")
        try:
            with os.fdopen(fd, "rb") as handle:
                raw = handle.read(MAX_STATE_BYTES + 1)
        except OSError as err:
            raise StateError(f"cannot read the state file {path}: {err.strerror}") from None
        if len(raw) > MAX_STATE_BYTES:
            raise StateError(f"the state file {path} is larger than {MAX_STATE_BYTES >> 20} MiB; it was left untouched")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise StateError(
                f"the state file {path} is not UTF-8 text; it was left untouched: fix it, or move it"
                " away to rebuild the state from the cloud's tags"
            ) from None
        try:
            data = json.loads(text)
        except ValueError as err:
            raise StateError(
                f"the state file {path} is not valid JSON ({err}); it was left untouched:"
                " fix it, or move it away to rebuild the state from the cloud's tags"
            ) from None
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
            # The stack file's name changed (or another stack's state was given): names and tags of every
            # resource derive from the name, so it cannot change in place (provisioner/diff.py).
            raise StackRenamed(
                f"the state file {path} belongs to stack {data.get('stack')!r}, not {stack_name!r}:"
                " a stack's name cannot change (every resource's names and tags derive from it);"
                " give the state file of this stack, or teardown and provision under the new name"
            )
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
        epoch: str = self.data["epoch"]
        return epoch

    def update(self, fn: Callable[[dict[str, Any]], object]) -> None:
        """Change the document under the lock with `fn(data)`, then save."""
        with self._lock:
            fn(self.data)
            self.save()

    @property
    def applied_stack(self) -> dict[str, Any] | None:
        """The stack (Stack.to_dict) the last converged provision applied; None before the first one."""
        with self._lock:
            applied = self.data.get("applied_stack")
            return json.loads(json.dumps(applied)) if isinstance(applied, dict) else None

    @property
    def spec_hash(self) -> str | None:
        """The hash of the stack file the last provision applied (or a rebuilt state file found)."""
        with self._lock:
            value = self.data.get("spec_hash")
            return value if isinstance(value, str) else None

    def set_applied_stack(self, stack: dict[str, Any], spec_hash: str) -> None:
        """Record the stack a provision converged to (with its hash), in one atomic write."""
        with self._lock:
            self.data["applied_stack"] = json.loads(json.dumps(stack))
            self.data["spec_hash"] = spec_hash
            self.save()

    def generation(self, key: str) -> int:
        with self._lock:
            return int(self.data["generations"].get(key, 0))

    def pending(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            entry = self.data["pending"].get(key)
            return dict(entry) if entry else None

    def all_pending(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            copy: dict[str, dict[str, Any]] = json.loads(json.dumps(self.data["pending"]))
            return copy

    def set_pending(self, key: str, entry: dict[str, Any]) -> None:
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

    # templates (provisioner/template.py) and the rollout under way (provisioner/replace.py) -------------
    def template_fields(self, digest: str) -> dict[str, str] | None:
        """The fields of a template recorded by an earlier run, by digest (None: never recorded)."""
        with self._lock:
            fields = (self.data.get("templates") or {}).get(digest)
            return dict(fields) if isinstance(fields, dict) else None

    def record_template(self, digest: str, fields: dict[str, str]) -> None:
        with self._lock:
            templates = self.data.setdefault("templates", {})
            if templates.get(digest) != fields:
                templates[digest] = dict(fields)
                self.save()

    def rollout(self) -> dict[str, Any] | None:
        """The rollout under way (replace.py writes it before each mutating step), or None."""
        with self._lock:
            entry = self.data.get("replacement")
            return json.loads(json.dumps(entry)) if isinstance(entry, dict) else None

    def set_rollout(self, entry: dict[str, Any] | None) -> None:
        with self._lock:
            if entry is None:
                self.data.pop("replacement", None)
            else:
                self.data["replacement"] = entry
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
            except OSError as err:
                raise StateError(f"cannot remove the state file {self.path}: {os_reason(err)}") from None
            self.existed = False


def atomic_write_json(path: str, data: dict[str, Any]) -> None:
    """Write JSON so that the file is always either the old or the new document, never half of one:
    a temporary file in the same directory (mode 0600), fsync, rename over, fsync the directory.
    An operating-system failure (read-only folder, disk full, permission denied) is a StateError that
    says which file and why; the old document stays."""
    try:
        _atomic_write_json(path, data)
    except OSError as err:
        raise StateError(f"cannot write the state file {path}: {os_reason(err)}; the previous state was kept") from None


def os_reason(err: OSError) -> str:
    """One line for an OSError: its text and its errno name (ENOSPC, EROFS, EACCES...)."""
    name = errno.errorcode.get(err.errno or 0, "")
    return f"{err.strerror or err}" + (f" ({name})" if name else "")


def _atomic_write_json(path: str, data: dict[str, Any]) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    make_state_dir(directory)
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        os.unlink(tmp)  # a leftover of a killed run of the same pid; never written through
    except FileNotFoundError:
        pass
    # O_EXCL with O_CREAT never follows a link; rename replaces a link at `path`, never its target.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
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
    over; the previous holder's details are logged. Whether the pid named in the file still runs is
    checked (on this host), so that messages say "gone" only of a dead process and "still running"
    only of a live one.
    """

    def __init__(self, path: str, command: str):
        self.path = path
        self.command = command
        self._handle: TextIO | None = None

    def acquire(self) -> None:
        make_state_dir(os.path.dirname(os.path.abspath(self.path)))
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | _NOFOLLOW, 0o600)
        except OSError as err:
            if err.errno == errno.ELOOP:
                raise _symlink_error(self.path, "lock file") from None
            raise StateError(f"cannot open the lock file {self.path}: {os_reason(err)}") from None
        handle = os.fdopen(fd, "r+", encoding="utf-8", errors="replace")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _read_holder(handle)
            handle.close()
            holder["alive"] = holder_alive(holder)
            raise LockHeld(self.path, holder) from None
        previous = _read_holder(handle)
        if previous.get("pid"):
            alive = holder_alive(previous)
            if alive is True:
                log.info(
                    "taking over the lock %s: pid %s (%s) named in it still runs but no longer holds it",
                    self.path,
                    previous.get("pid"),
                    previous.get("command", "?"),
                )
            elif alive is False:
                log.info(
                    "taking over the lock %s from pid %s (%s), which is gone",
                    self.path,
                    previous.get("pid"),
                    previous.get("command", "?"),
                )
            else:
                log.info(
                    "taking over the lock %s, no longer held by pid %s on host %s (%s)",
                    self.path,
                    previous.get("pid"),
                    previous.get("host", "?"),
                    previous.get("command", "?"),
                )
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "command": self.command, "started": _now_iso()}
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps(holder) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        except OSError as err:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()
            raise StateError(f"cannot write the lock file {self.path}: {os_reason(err)}") from None
        self._handle = handle

    def release(self) -> None:
        if self._handle is None:
            return
        try:
            self._handle.seek(0)
            self._handle.truncate()
            self._handle.flush()
        except OSError as err:  # a full or read-only disk: the flock goes anyway
            log.warning("could not clear the lock file %s: %s", self.path, os_reason(err))
        finally:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None

    def __enter__(self) -> StackLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def lock_path(state_path: str) -> str:
    base = state_path[:-5] if state_path.endswith(".json") else state_path
    return base + ".lock"


def holder_alive(holder: dict[str, Any]) -> bool | None:
    """Whether the pid a lock names runs now: True, False, or None when it cannot be told (another host,
    no pid)."""
    pid = holder.get("pid")
    if isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0:
        return None
    if holder.get("host") not in (None, socket.gethostname()):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, owned by another user
    except OSError:
        return None
    return True


def lock_advice(holder: dict[str, Any]) -> str:
    """What to tell the user about a held lock, from whether its named holder still runs."""
    alive = holder.get("alive")
    pid = holder.get("pid", "?")
    if alive is True:
        return f"pid {pid} is still running; try again when it is done"
    if alive is False:
        return (
            f"pid {pid} is gone, yet the lock is still held by a process that inherited it (one it started);"
            " stop that process, then try again"
        )
    return "try again when that run is done"


def _read_holder(handle: TextIO) -> dict[str, Any]:
    try:
        handle.seek(0)
        text = handle.read(4096).strip()
        holder = json.loads(text) if text else {}
        return holder if isinstance(holder, dict) else {}
    except (ValueError, OSError):
        return {}
