"""One instance's workload: its loopback address, root directory, and the local process its user data declares."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

from . import sandbox, userdata

log = logging.getLogger(__name__)

# Runs in the child before the workload: dies with the emulator (PR_SET_PDEATHSIG is per forking thread,
# so the runtime forks from one long-lived thread), then execs the workload keeping the pid.
_LAUNCHER = (
    "import ctypes,os,signal,sys\n"
    "try:\n"
    "    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)\n"
    "except Exception:\n"
    "    pass\n"
    "if os.getppid() != int(sys.argv[1]):\n"
    "    os._exit(1)\n"
    "try:\n"
    "    os.execvp(sys.argv[2], sys.argv[2:])\n"
    "except OSError as err:\n"
    "    print(f'localcloud: cannot run {sys.argv[2]}: {err}', file=sys.stderr, flush=True)\n"
    "    os._exit(127)\n"
)


class Addresses:
    """Each instance's own loopback address in 127.77.0.0/16: derived from its id, unique, kept on disk."""

    def __init__(self, base_dir: str):
        self.base_dir = base_dir
        self._lock = threading.Lock()
        self._by_id: dict[str, str] = {}
        self._used: set[str] = set()
        for iid in _listdir(os.path.join(base_dir, "instances")):
            try:
                with open(os.path.join(base_dir, "instances", iid, "address")) as handle:
                    address = handle.read().strip()
            except OSError:
                continue
            self._by_id[iid] = address
            self._used.add(address)

    def of(self, instance_id: str) -> str:
        with self._lock:
            address = self._by_id.get(instance_id)
            if address:
                return address
            seed = int.from_bytes(hashlib.sha256(instance_id.encode()).digest()[:4], "big")
            for step in range(256 * 254):
                n = (seed + step) % (256 * 254)
                candidate = f"127.77.{n // 254}.{n % 254 + 1}"
                if candidate not in self._used:
                    break
            else:
                raise RuntimeError("127.77.0.0/16 is exhausted")
            home = os.path.join(self.base_dir, "instances", instance_id)
            os.makedirs(home, mode=0o711, exist_ok=True)  # the emulator's: its root/ is the workload's
            os.chmod(home, 0o711)
            fd = os.open(os.path.join(home, "address"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(candidate + "\n")
            self._by_id[instance_id] = candidate
            self._used.add(candidate)
            return candidate

    def release(self, instance_id: str) -> None:
        """A released instance's address may serve another instance (127.77.0.0/16 is finite)."""
        with self._lock:
            address = self._by_id.pop(instance_id, None)
            if address is not None:
                self._used.discard(address)

    def known(self, instance_id: str) -> str | None:
        with self._lock:
            return self._by_id.get(instance_id)

    def clear(self) -> None:
        with self._lock:
            self._by_id.clear()
            self._used.clear()


def _listdir(path: str) -> list[str]:
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []


class Workload:
    """The process of one boot of one instance (`generation` counts the instance's reboots)."""

    def __init__(
        self, instance_id: str, generation: int, home: str, address: str, identity: sandbox.Identity | None = None
    ):
        self.identity = identity or sandbox.Identity(None, None, "", sys.executable)
        self.instance_id = instance_id
        self.generation = generation
        self.home = home
        self.root = os.path.join(home, "root")
        self.address = address
        self.log_path = os.path.join(home, "workload.log")
        self.state = "none"  # none | waiting | running | exited | stopping | stopped | failed
        self.last_error: str | None = None
        self.port: int | None = None
        self.name: str | None = None
        self.health_path: str | None = None
        self.model_dir: str | None = None
        self.proc: subprocess.Popen | None = None
        self.started_at: float | None = None
        self.returncode: int | None = None
        self.manifest: dict | None = None  # kept while waiting for a data disk
        self.wait_until: float | None = None  # time.monotonic() when the wait for a data disk ends

    # start -----------------------------------------------------------------------------------
    def start(self, user_data_b64: str | None, model_dir: str, disk_attached: bool = True) -> None:
        """Boot: materialise write_files, read the manifest, run its command. Never raises.

        A manifest with `data_disk.wait_seconds` waits (state "waiting") while no data disk is attached,
        as the VM's prepare-data-disk waits for the device before the service starts: the runtime then
        calls resume() with the disk, or with the root's model dir once `wait_until` has passed.
        """
        try:
            manifest = self._prepare(user_data_b64)
            wait = float((manifest.get("data_disk") or {}).get("wait_seconds") or 0)
            if wait > 0 and not disk_attached:
                self.state, self.manifest = "waiting", manifest
                self.wait_until = time.monotonic() + wait
                self.last_error = f"waiting up to {wait:g} s for a data disk"
                log.info("instance %s: waiting up to %g s for a data disk", self.instance_id, wait)
                return
            self._launch(manifest, model_dir)
        except userdata.UserDataError as err:
            self.state, self.last_error = "none", str(err)
            log.info("instance %s runs no workload: %s", self.instance_id, err)
        except OSError as err:
            self.state, self.last_error = "failed", f"cannot start the workload: {err}"
            log.warning("instance %s: %s", self.instance_id, self.last_error)

    def resume(self, model_dir: str, disk_attached: bool) -> None:
        """Start a waiting workload: with the data disk that arrived, or without one once the wait expired."""
        manifest, self.manifest = self.manifest, None
        if manifest is None:
            return  # not waiting (a second resume of the same boot)
        if not disk_attached:
            log.warning("instance %s: no data disk after the wait; starting without one", self.instance_id)
        try:
            self._launch(manifest, model_dir)
        except userdata.UserDataError as err:
            self.state, self.last_error = "none", str(err)
        except OSError as err:
            self.state, self.last_error = "failed", f"cannot start the workload: {err}"
            log.warning("instance %s: %s", self.instance_id, self.last_error)

    def _prepare(self, user_data_b64: str | None) -> dict:
        raw = userdata.decode(user_data_b64)
        if not raw:
            raise userdata.UserDataError("the instance has no user data")
        doc = userdata.cloud_config(raw)
        if doc is None:
            raise userdata.UserDataError("the user data has no #cloud-config document")
        os.makedirs(self.root, exist_ok=True)
        if os.path.islink(self.root):
            raise OSError(f"{self.root} is a symlink")
        self.identity.own(self.root)  # the instance's filesystem: its workload user's, 0700
        userdata.write_files(doc, self.root, owner=self._own_fd)
        return userdata.read_manifest(self.root)

    def _own_fd(self, fd: int) -> None:
        if self.identity.uid is not None and self.identity.gid is not None:
            os.fchown(fd, self.identity.uid, self.identity.gid)

    def _make_model_dir(self, model_dir: str) -> None:
        """Inside the instance root: walked without following symlinks; a data disk: ours, then given."""
        inside = os.path.relpath(model_dir, self.root)
        if not inside.startswith(".."):
            os.close(userdata.open_dirs(self.root, inside.split(os.sep), create=True, owner=self._own_fd))
            return
        os.makedirs(model_dir, exist_ok=True)
        if os.path.islink(model_dir):
            raise OSError(f"{model_dir} is a symlink")
        self.identity.own(model_dir)

    def _launch(self, manifest: dict, model_dir: str) -> None:
        self._make_model_dir(model_dir)
        self.model_dir = model_dir
        self.port = manifest["port"]
        self.name = manifest.get("name")
        self.health_path = manifest.get("health_path")
        python = self.identity.python
        values = {
            "python": python,
            "host": self.address,
            "port": str(self.port),
            "model_dir": model_dir,
            "root": self.root,
        }
        argv = [userdata.expand(arg, values) for arg in manifest["command"]]
        # A clean environment: the manifest's env and a minimal PATH/HOME/LANG, never the emulator's.
        env = sandbox.environment(
            self.identity,
            {key: userdata.expand(value, values) for key, value in manifest["env"].items()},
            self.instance_id,
            home=self.root,
        )
        if shutil.which(argv[0], path=env.get("PATH")) is None:
            raise userdata.UserDataError(f"command not found: {argv[0]}")
        log_fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        with os.fdopen(log_fd, "ab") as out:
            out.write(
                f"--- localcloud: start {self.instance_id} boot {self.generation} at "
                f"{time.strftime('%Y-%m-%dT%H:%M:%S')} as {self.identity.name or 'the emulator user'}: "
                f"{argv}\n".encode()
            )
            out.flush()
            if sys.platform.startswith("linux"):
                argv = [python, "-I", "-S", "-c", _LAUNCHER, str(os.getpid()), *argv]
            self.proc = subprocess.Popen(
                argv,
                cwd=self.root,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **self.identity.popen_args(),
            )
        self.state, self.last_error, self.started_at = "running", None, time.time()
        log.info(
            "instance %s: workload %s started (pid %s) on %s:%s",
            self.instance_id,
            self.name or "",
            self.proc.pid,
            self.address,
            self.port,
        )

    # watch and stop --------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def poll(self) -> None:
        """Notice a process that died on its own: it stays dead, as a crashed service on a VM without restarts."""
        if self.state == "running" and self.proc is not None and self.proc.poll() is not None:
            self.returncode = self.proc.returncode
            self.state = "exited"
            self.last_error = f"the workload exited with code {self.returncode} (see {self.log_path})"
            log.warning("instance %s: %s", self.instance_id, self.last_error)
            # As systemd does when a unit's main process dies: nothing of the service lingers.
            _signal_group(self.proc.pid, signal.SIGKILL)

    def terminate(self) -> None:
        """First half of a stop: SIGTERM to the whole process group."""
        if self.proc is None:
            return
        if self.state == "running":
            self.state = "stopping"
        _signal_group(self.proc.pid, signal.SIGTERM)

    def finish_stop(self, deadline: float) -> None:
        """Second half: wait until `deadline`, then SIGKILL the group; reap the process."""
        if self.proc is None:
            if self.state in ("running", "stopping", "waiting"):
                self.state, self.manifest = "stopped", None
            return
        try:
            self.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("instance %s: workload ignored SIGTERM, killing it", self.instance_id)
        _signal_group(self.proc.pid, signal.SIGKILL)  # also catches children left behind
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            log.error("instance %s: pid %s survived SIGKILL", self.instance_id, self.proc.pid)
        self.returncode = self.proc.returncode
        if self.state in ("running", "stopping"):
            self.state = "stopped"

    def kill(self, signum: int) -> None:
        """Send `signum` to the process group (control API: simulate a crashed service)."""
        if self.proc is not None and self.proc.poll() is None:
            _signal_group(self.proc.pid, signum)

    def describe(self) -> dict:
        return {
            "instance_id": self.instance_id,
            "address": self.address,
            "port": self.port,
            "pid": self.pid,
            "state": self.state,
            "last_error": self.last_error,
            "log_path": self.log_path,
            "root": self.root,
            "model_dir": self.model_dir,
            "name": self.name,
            "health_path": self.health_path,
            "boot": self.generation,
            "started_at": self.started_at,
            "returncode": self.returncode,
        }


def stop_all(workloads: list[Workload], grace: float) -> None:
    """Stop several workloads at once: SIGTERM all, then wait for all within one shared bound."""
    for workload in workloads:
        workload.terminate()
    deadline = time.monotonic() + grace
    for workload in workloads:
        workload.finish_stop(deadline)


def _signal_group(pid: int, signum: int) -> None:
    try:
        os.killpg(pid, signum)  # start_new_session: the workload leads its own group (pgid == pid)
    except (ProcessLookupError, PermissionError):
        pass
