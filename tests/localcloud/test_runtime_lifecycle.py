"""Local runtime and the emulator's own life: workloads resume on start and never outlive the emulator."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import localcloud
from localcloud.runtime.testing import demo_user_data
from localcloud.store import Store
from tests.helpers import Control, eventually

pytestmark = pytest.mark.timeout(60)
REPO = os.path.dirname(os.path.dirname(os.path.abspath(localcloud.__file__)))


def alive(pid: int) -> bool:
    """A process that exists and is not a zombie (PID 1 in a container may not reap orphans)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def seed(data_dir: str, *instance_ids: str) -> None:
    """Leave Running instances in a data dir, as an emulator that was stopped would."""
    store = Store(os.path.join(data_dir, "localcloud.sqlite3"))
    for iid in instance_ids:
        store.put(
            "instance",
            {"id": iid, "region": "cn-hangzhou", "status": "Running", "user_data": demo_user_data(), "tags": {}},
        )
    store.commit()
    store.close()


def serve(data_dir: str, *extra: str) -> tuple[subprocess.Popen, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["PYTHONPATH"] = REPO + os.pathsep + env.get("PYTHONPATH", "")
    with open(os.path.join(data_dir, "serve.log"), "ab") as log:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [sys.executable, "-m", "localcloud", "serve", "--port", "0", "--data-dir", data_dir, "--instant", *extra],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    state = os.path.join(data_dir, "localcloud.json")
    url = eventually(
        lambda: os.path.exists(state) and json.loads(Path(state).read_text())["url"], "the emulator to listen"
    )
    return proc, url


def workloads(url: str) -> list[dict]:
    return Control(url).request("GET", "runtime")["instances"]


def running_pids(url: str, count: int) -> list[int]:
    return eventually(
        lambda: len([w for w in workloads(url) if w["state"] == "running"]) == count
        and [w["pid"] for w in workloads(url)],
        f"{count} workloads",
    )


def test_instances_running_at_start_get_their_workloads_back(tmp_path):
    seed(str(tmp_path), "i-resume1", "i-resume2")
    proc, url = serve(str(tmp_path))
    try:
        pids = running_pids(url, 2)
        assert all(alive(pid) for pid in pids)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_sigterm_on_the_emulator_stops_every_workload(tmp_path):
    seed(str(tmp_path), "i-term1", "i-term2")
    proc, url = serve(str(tmp_path))
    pids = running_pids(url, 2)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0
    assert not [pid for pid in pids if alive(pid)]


def test_a_sigkilled_emulator_leaves_no_workload_behind(tmp_path):
    seed(str(tmp_path), "i-orphan")
    proc, url = serve(str(tmp_path))
    pids = running_pids(url, 1)
    proc.kill()
    proc.wait(timeout=10)
    eventually(lambda: not [pid for pid in pids if alive(pid)], "the workload to die with the emulator", timeout=5)


def test_no_runtime_flag_runs_nothing(tmp_path):
    seed(str(tmp_path), "i-off")
    proc, url = serve(str(tmp_path), "--no-runtime")
    try:
        assert Control(url).request("GET", "runtime") == {"enabled": False, "instances": [], "listeners": []}
    finally:
        proc.terminate()
        proc.wait(timeout=20)
