"""The local runtime: runs Running instances' workloads and started SLB listeners, in step with the store."""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field

from . import sandbox
from .listener import ListenerRuntime, identity
from .workload import Addresses, Workload, stop_all

log = logging.getLogger(__name__)

SCALE_ENV = "LOCALCLOUD_HEALTH_INTERVAL_SCALE"
CONSOLE_LIMIT = 64 * 1024  # GetInstanceConsoleOutput: the last 64 KiB of the workload's output (CHOICES.md)


def _env_scale() -> float:
    try:
        value = float(os.environ.get(SCALE_ENV, "1"))
    except ValueError:
        return 1.0
    return value if value > 0 else 1.0


@dataclass
class RuntimeConfig:
    """Knobs of the runtime (GET/PUT /_localcloud/runtime/config); reset restores the defaults."""

    health_interval_scale: float = field(default_factory=_env_scale)  # multiplies listeners' intervals
    stop_timeout: float = 5.0  # SIGTERM -> SIGKILL bound, seconds

    def to_dict(self) -> dict:
        return {"health_interval_scale": self.health_interval_scale, "stop_timeout": self.stop_timeout}

    def update(self, data: dict) -> None:
        """Every key checked before any is set: a bad value is a ValueError naming it and changes nothing."""
        clean = {}
        for key, value in data.items():
            if key not in self.to_dict():
                raise ValueError(f"unknown runtime config key: {str(key)[:80]}")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 3600:
                raise ValueError(f"{key} must be a number > 0 and <= 3600")
            clean[key] = float(value)
        for key, value in clean.items():
            setattr(self, key, value)


@dataclass
class Snapshot:
    instances: dict = field(default_factory=dict)  # id -> {status, user_data}
    data_disks: dict = field(default_factory=dict)  # instance id -> [disk id, ...] in device order
    disk_ids: set = field(default_factory=set)
    lbs: dict = field(default_factory=dict)  # id -> {address, status, backends: [server ids]}
    listeners: dict = field(default_factory=dict)  # id -> listener dict (copy)
    boots: dict = field(default_factory=dict)  # instance id -> boot counter


class Runtime:
    """Keeps local processes and balancers matching the emulated resources.

    Listeners on the cloud (which fire under cloud.lock) only record what happened and wake the
    worker thread; every process and socket operation happens in that thread, outside the lock.
    The worker is also the only thread that forks workloads, so PR_SET_PDEATHSIG (tied to the
    forking thread) lasts as long as the runtime.
    """

    def __init__(self, emulator):
        self.emulator = emulator
        self.cloud = emulator.cloud
        self._tmp = None
        self.identity = sandbox.identity()  # whom workloads run as, with which interpreter
        if emulator.data_dir:
            self.base_dir = sandbox.base_dir(os.path.abspath(emulator.data_dir), self.identity)
        else:
            self._tmp = self.base_dir = tempfile.mkdtemp(prefix="localcloud-runtime-")
        self._make_dirs()
        self.config = RuntimeConfig()
        self.addresses = Addresses(self.base_dir)
        self.workloads: dict[str, Workload] = {}
        self.listeners: dict[str, ListenerRuntime] = {}
        self._listener_errors: dict[str, str] = {}
        self._boots: dict[str, int] = {}
        self._mutex = threading.RLock()
        self._wake = threading.Event()
        self._closed = False
        self.passes = 0  # reconcile passes done: tests count them to show that nothing happened meanwhile
        self.cloud.listeners.append(self.on_change)
        self._worker = threading.Thread(target=self._run, name="localcloud-runtime", daemon=True)
        self._worker.start()
        atexit.register(self.close)

    def _make_dirs(self) -> None:
        """instances/ and disks/: the emulator's; traversable (0711) when workloads run as another user."""
        mode = 0o711 if self.identity.switches else 0o700
        for path in (self.base_dir, os.path.join(self.base_dir, "instances"), os.path.join(self.base_dir, "disks")):
            if path == self.base_dir and not self._tmp and not self.identity.switches:
                continue  # the data dir itself: 0700, made by the emulator
            os.makedirs(path, mode=mode, exist_ok=True)
            os.chmod(path, mode)

    # interface for the products (MODEL.md "Local runtime interface") --------------------------
    def health(self, lb_id: str, listener_port: int, server_id: str, port: int | None = None) -> str:
        """`port`: the member's port for a listener on a vServer group (None: the listener's backend port)."""
        listener = self.listeners.get(f"{lb_id}:{int(listener_port)}")
        return listener.health(server_id, port) if listener else "unavailable"

    def listener_url(self, lb_id: str, listener_port: int) -> str | None:
        listener = self.listeners.get(f"{lb_id}:{int(listener_port)}")
        return listener.balancer.url if listener else None

    def console_output(self, instance_id: str, limit: int = CONSOLE_LIMIT) -> tuple[bytes, float] | None:
        """The last `limit` bytes of the instance's workload output (stdout and stderr) and when it was
        last written, or None when the instance never ran a workload here (GetInstanceConsoleOutput)."""
        path = os.path.join(self.base_dir, "instances", instance_id, "workload.log")
        try:
            with open(path, "rb") as handle:
                handle.seek(0, os.SEEK_END)
                size = handle.tell()
                handle.seek(max(0, size - limit))
                data = handle.read()
                mtime = os.fstat(handle.fileno()).st_mtime
        except OSError:
            return None
        return data, mtime

    # emulator extension protocol -------------------------------------------------------------
    def tick(self) -> None:
        self._wake.set()

    def reset(self) -> None:
        """Stop every process and balancer and forget every instance's files (the store was cleared)."""
        with self._mutex:
            self._teardown()
            with self.cloud.lock:  # on_change writes it under the cloud's lock
                self._boots.clear()
            self._listener_errors.clear()
            for sub in ("instances", "disks"):
                shutil.rmtree(os.path.join(self.base_dir, sub), ignore_errors=True)
            self._make_dirs()
            self.addresses.clear()
            self.config = RuntimeConfig()

    def close(self) -> None:
        """Stop every process and balancer; the instance and disk directories stay for the next start."""
        if self._closed:
            return
        self._closed = True
        self._wake.set()
        if self._worker.is_alive() and self._worker is not threading.current_thread():
            self._worker.join(timeout=30)
        with self._mutex:
            self._teardown()
        try:
            self.cloud.listeners.remove(self.on_change)
        except ValueError:
            pass
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def _teardown(self) -> None:
        for key in list(self.listeners):
            self._close_listener(key)
        stop_all([w for w in self.workloads.values() if w.proc is not None], self.config.stop_timeout)
        self.workloads.clear()

    # events (called under cloud.lock: record and wake, nothing slow) --------------------------
    def on_change(self, kind: str, obj: dict, fld: str, old, new) -> None:
        if kind == "instance" and ((fld == "status" and old == "Running" and new != "Running") or fld == "__release__"):
            # Leaving Running ends this boot (Stop, Reboot's Running -> Starting -> Running, release):
            # counting boots lets the worker see a reboot even when both steps fired in one tick.
            self._boots[obj["id"]] = self._boots.get(obj["id"], 0) + 1
        self._wake.set()

    # the worker ------------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._closed:
            self._wake.wait(0.25)
            self._wake.clear()
            if self._closed:
                break
            try:
                with self._mutex:
                    if not self._closed:
                        self.reconcile()
                        self.passes += 1
            except Exception:
                log.exception("runtime reconcile failed")

    def snapshot(self) -> Snapshot:
        snap = Snapshot()
        store = self.cloud.store
        with self.cloud.lock:
            for inst in store.all("instance"):
                snap.instances[inst["id"]] = {"status": inst.get("status"), "user_data": inst.get("user_data")}
            disks = []
            for disk in store.all("disk"):
                snap.disk_ids.add(disk["id"])
                if disk.get("type") == "data" and disk.get("instance_id"):
                    disks.append((disk.get("device") or "", disk.get("created") or 0, disk["id"], disk["instance_id"]))
            for _, _, disk_id, instance_id in sorted(disks):
                snap.data_disks.setdefault(instance_id, []).append(disk_id)
            for lb in store.all("load_balancer"):
                snap.lbs[lb["id"]] = {
                    "address": lb.get("address"),
                    "status": lb.get("status"),
                    "backends": [
                        b.get("server_id")
                        for b in lb.get("backends") or []
                        if store.get("instance", b.get("server_id")) is not None
                    ],
                }
            for listener in store.all("listener"):
                copy = {k: v for k, v in listener.items() if not k.startswith("_")}
                copy["health_check"] = dict(listener.get("health_check") or {})
                snap.listeners[listener["id"]] = copy
            snap.boots = dict(self._boots)
        return snap

    def reconcile(self) -> None:
        snap = self.snapshot()
        self._reconcile_workloads(snap)
        self._reconcile_listeners(snap)
        self._collect_garbage(snap)

    def _reconcile_workloads(self, snap: Snapshot) -> None:
        to_stop = []
        for iid, workload in list(self.workloads.items()):
            workload.poll()
            inst = snap.instances.get(iid)
            ended = inst is None or inst["status"] != "Running" or snap.boots.get(iid, 0) != workload.generation
            if ended and workload.state in ("running", "stopping", "waiting"):
                to_stop.append(workload)
        if to_stop:
            for workload in to_stop:
                log.info("instance %s: stopping its workload (pid %s)", workload.instance_id, workload.pid)
            stop_all(to_stop, self.config.stop_timeout)
        for iid, inst in snap.instances.items():
            if inst["status"] != "Running":
                continue
            boot = snap.boots.get(iid, 0)
            current = self.workloads.get(iid)
            disks = snap.data_disks.get(iid) or []
            if current is not None and current.generation == boot:
                # This boot already ran (a crashed process stays dead until the next boot), or it waits
                # for its data disk: it starts once one is attached or the wait is over.
                if current.state == "waiting" and (disks or time.monotonic() >= (current.wait_until or 0.0)):
                    current.resume(self._model_dir(current, disks), bool(disks))
                continue
            home = os.path.join(self.base_dir, "instances", iid)
            workload = Workload(iid, boot, home, self.addresses.of(iid), self.identity)
            workload.start(inst["user_data"], self._model_dir(workload, disks), disk_attached=bool(disks))
            self.workloads[iid] = workload
        for iid in [i for i in self.workloads if i not in snap.instances]:
            del self.workloads[iid]

    def _model_dir(self, workload: Workload, disks: list[str]) -> str:
        """{model_dir}: the first data disk's directory, else the instance root's /mnt/model."""
        if disks:
            return os.path.join(self.base_dir, "disks", disks[0])
        return os.path.join(workload.root, "mnt", "model")

    def _reconcile_listeners(self, snap: Snapshot) -> None:
        desired = {}
        for lid, listener in snap.listeners.items():
            lb = snap.lbs.get(listener.get("load_balancer_id"))
            if lb is not None and listener.get("status") == "running" and lb.get("status") != "inactive":
                desired[lid] = (listener, lb)
        for key, running in list(self.listeners.items()):
            spec = desired.get(key)
            if spec is None or identity(*spec) != running.identity:
                self._close_listener(key)
        for key in [k for k in self._listener_errors if k not in desired]:
            del self._listener_errors[key]
        for key, (listener, lb) in desired.items():
            serving = self.listeners.get(key)
            if serving is None:
                if key in self._listener_errors:
                    continue
                try:
                    serving = ListenerRuntime(self, listener, lb)
                except Exception as err:
                    self._listener_errors[key] = f"{err.__class__.__name__}: {err}"
                    log.exception("SLB listener %s cannot start locally", key)
                    continue
                self.listeners[key] = serving
                log.info("SLB listener %s serves on %s", key, serving.balancer.url)
            serving.update(listener)
            serving.sync_backends()

    def _close_listener(self, key: str) -> None:
        running = self.listeners.get(key)
        if running is not None:
            running.close()  # before it leaves the table: listener_url() is None only once it is closed
            del self.listeners[key]
            log.info("SLB listener %s stopped locally", key)

    def _collect_garbage(self, snap: Snapshot) -> None:
        """A released instance loses its system disk, a released data disk its data."""
        for iid in _listdir(os.path.join(self.base_dir, "instances")):
            if iid not in snap.instances and iid not in self.workloads:
                shutil.rmtree(os.path.join(self.base_dir, "instances", iid), ignore_errors=True)
                self.addresses.release(iid)
        for disk_id in _listdir(os.path.join(self.base_dir, "disks")):
            if disk_id not in snap.disk_ids:
                shutil.rmtree(os.path.join(self.base_dir, "disks", disk_id), ignore_errors=True)

    # control API ---------------------------------------------------------------------------
    def describe(self) -> dict:
        with self._mutex:
            for workload in self.workloads.values():
                workload.poll()
            return {
                "enabled": True,
                "base_dir": self.base_dir,
                "config": self.config.to_dict(),
                "user": self.identity.name,
                "python": self.identity.python,
                "instances": [w.describe() for w in self.workloads.values()],
                "listeners": [lst.describe() for lst in self.listeners.values()],
                "listener_errors": dict(self._listener_errors),
                "passes": self.passes,
            }

    def kill(self, instance_id: str, signum: int) -> dict | None:
        with self._mutex:
            workload = self.workloads.get(instance_id)
            if workload is None or not workload.alive():
                return None
            workload.kill(signum)
            return workload.describe()


def _listdir(path: str) -> list[str]:
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []
