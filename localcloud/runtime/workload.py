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

from . import userdata

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
            os.makedirs(home, exist_ok=True)
            with open(os.path.join(home, "address"), "w") as handle:
                handle.write(candidate + "\n")
            self._by_id[instance_id] = candidate
            self._used.add(candidate)
            return candidate

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

    def __init__(self, instance_id: str, generation: int, home: str, address: str):
        self.instance_id = instance_id
        self.generation = generation
        self.home = home
        self.root = os.path.join(home, "root")
        self.address = address
        self.log_path = os.path.join(home, "workload.log")
        self.state = "none"          # none | waiting | running | exited | stopping | stopped | failed
        self.last_error: str | None = None
        self.port: int | None = None
        self.name: str | None = None
        self.health_path: str | None = None
        self.model_dir: str | None = None
        self.proc: subprocess.Popen | None = None
        self.started_at: float | None = None
        self.returncode: int | None = None
        self.manifest: dict | None = None      # kept while waiting for a data disk
        self.wait_until: float | None = None   # time.monotonic() when the wait for a data disk ends

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
        userdata.write_files(doc, self.root)
        return userdata.read_manifest(self.root)

    def _launch(self, manifest: dict, model_dir: str) -> None:
        os.makedirs(model_dir, exist_ok=True)
        self.model_dir = model_dir
        self.port = manifest["port"]
        self.name = manifest.get("name")
        self.health_path = manifest.get("health_path")
        values = {"python": sys.executable, "host": self.address, "port": str(self.port),
                  "model_dir": model_dir, "root": self.root}
        argv = [userdata.expand(arg, values) for arg in manifest["command"]]
        env = dict(os.environ)
        env.update({key: userdata.expand(value, values) for key, value in manifest["env"].items()})
        env["FLEET_INSTANCE_ID"] = self.instance_id
        if shutil.which(argv[0], path=env.get("PATH")) is None:
            raise userdata.UserDataError(f"command not found: {argv[0]}")
        with open(self.log_path, "ab") as out:
            out.write(f"--- localcloud: start {self.instance_id} boot {self.generation} at "
                      f"{time.strftime('%Y-%m-%dT%H:%M:%S')}: {argv}\n".encode())
            out.flush()
            if sys.platform.startswith("linux"):
                argv = [sys.executable, "-I", "-S", "-c", _LAUNCHER, str(os.getpid()), *argv]
            self.proc = subprocess.Popen(argv, cwd=self.root, env=env, stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.state, self.last_error, self.started_at = "running", None, time.time()
        log.info("instance %s: workload %s started (pid %s) on %s:%s", self.instance_id,
                 self.name or "", self.proc.pid, self.address, self.port)

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
        _signal_group(self.proc.pid, signal.SIGKILL)   # also catches children left behind
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
        return {"instance_id": self.instance_id, "address": self.address, "port": self.port,
                "pid": self.pid, "state": self.state, "last_error": self.last_error,
                "log_path": self.log_path, "root": self.root, "model_dir": self.model_dir,
                "name": self.name, "health_path": self.health_path, "boot": self.generation,
                "started_at": self.started_at, "returncode": self.returncode}


def stop_all(workloads: list[Workload], grace: float) -> None:
    """Stop several workloads at once: SIGTERM all, then wait for all within one shared bound."""
    for workload in workloads:
        workload.terminate()
    deadline = time.monotonic() + grace
    for workload in workloads:
        workload.finish_stop(deadline)


def _signal_group(pid: int, signum: int) -> None:
    try:
        os.killpg(pid, signum)    # start_new_session: the workload leads its own group (pgid == pid)
    except (ProcessLookupError, PermissionError):
        pass
