"""Local runtime: a Running instance runs the workload its user data declares; stop/reboot/delete follow."""

from __future__ import annotations

import functools
import json
import os
import stat
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from localcloud.runtime.testing import Stage, demo_user_data
from tests import helpers
from tests.helpers import Control, process_gone

pytestmark = pytest.mark.timeout(60)

eventually = functools.partial(helpers.eventually, timeout=10.0, interval=0.02)


@pytest.fixture
def emulator(runtime_server):
    runtime_server.emulator.reset()
    yield runtime_server.emulator
    runtime_server.emulator.reset()


@pytest.fixture
def stage(emulator):
    return Stage(emulator)


@pytest.fixture
def runtime(emulator):
    return emulator.cloud.runtime


def workload(runtime, iid: str) -> dict | None:
    return next((w for w in runtime.describe()["instances"] if w["instance_id"] == iid), None)


def serving(runtime, iid: str) -> dict:
    """Wait until the instance's workload answers on its address; returns its description."""

    def answers():
        info = workload(runtime, iid)
        if not info or info["state"] != "running":
            return None
        try:
            with urllib.request.urlopen(f"http://{info['address']}:{info['port']}/", timeout=2) as resp:
                return info if resp.status == 200 else None
        except OSError:
            return None

    return eventually(answers, f"{iid}'s workload to answer")


def test_running_instance_serves_its_workload_on_its_own_loopback_address(stage, runtime):
    stage.instance("i-one", demo_user_data(greeting="bonjour"))
    info = serving(runtime, "i-one")
    assert info["address"].startswith("127.77.")
    with urllib.request.urlopen(f"http://{info['address']}:8000/", timeout=5) as resp:
        body = json.loads(resp.read())
    assert body["instance"] == "i-one"  # FLEET_INSTANCE_ID
    assert body["greeting"] == "bonjour"  # env from the manifest
    assert info["state"] == "running" and info["pid"] > 0 and os.path.exists(info["log_path"])


def test_two_instances_get_different_addresses_on_the_same_port(stage, runtime):
    stage.instance("i-a", demo_user_data())
    stage.instance("i-b", demo_user_data())
    a, b = serving(runtime, "i-a"), serving(runtime, "i-b")
    assert a["address"] != b["address"] and a["port"] == b["port"] == 8000


def test_write_files_land_under_the_instance_root_with_their_permissions(stage, runtime):
    stage.instance("i-files", demo_user_data())
    info = serving(runtime, "i-files")
    script = os.path.join(info["root"], "opt/demo/server.py")
    manifest = os.path.join(info["root"], "etc/fleet/workload.json")
    assert stat.S_IMODE(os.stat(script).st_mode) == 0o755
    assert stat.S_IMODE(os.stat(manifest).st_mode) == 0o644
    with open(script) as handle:
        assert "ThreadingHTTPServer" in handle.read()  # b64 content decoded
    assert json.loads(Path(manifest).read_text())["port"] == 8000


def test_stopping_the_instance_stops_its_workload(stage, runtime):
    stage.instance("i-stop", demo_user_data())
    pid = serving(runtime, "i-stop")["pid"]
    stage.status("instance", "i-stop", "Stopping", "Stopped")
    eventually(lambda: process_gone(pid), "the workload process to end")
    assert workload(runtime, "i-stop")["state"] == "stopped"


def test_starting_a_stopped_instance_runs_its_workload_again(stage, runtime):
    stage.instance("i-restart", demo_user_data())
    first = serving(runtime, "i-restart")["pid"]
    stage.status("instance", "i-restart", "Stopping", "Stopped")
    eventually(lambda: process_gone(first), "the workload process to end")
    stage.status("instance", "i-restart", "Starting", "Running")
    assert serving(runtime, "i-restart")["pid"] != first


def test_reboot_restarts_the_workload_even_when_both_transitions_fire_at_once(stage, runtime):
    stage.instance("i-reboot", demo_user_data())
    first = serving(runtime, "i-reboot")["pid"]
    stage.status("instance", "i-reboot", "Starting", "Running")  # RebootInstance in instant mode
    eventually(lambda: process_gone(first), "the old process to end")
    info = serving(runtime, "i-reboot")
    assert info["pid"] != first and info["boot"] == 1


def test_deleting_the_instance_stops_its_workload_and_removes_its_root(stage, runtime):
    stage.instance("i-del", demo_user_data())
    info = serving(runtime, "i-del")
    stage.status("instance", "i-del", "Stopping", "Stopped")
    stage.release("instance", "i-del")
    eventually(lambda: process_gone(info["pid"]), "the workload process to end")
    eventually(lambda: not os.path.exists(info["root"]), "the instance directory to go")
    assert workload(runtime, "i-del") is None


def test_killed_workload_stays_dead_until_the_instance_reboots(stage, runtime, emulator):
    stage.instance("i-crash", demo_user_data())
    info = serving(runtime, "i-crash")
    assert runtime.kill("i-crash", 9)["pid"] == info["pid"]
    dead = eventually(
        lambda: (workload(runtime, "i-crash") or {}).get("state") == "exited" and workload(runtime, "i-crash"),
        "the crash to be noticed",
    )
    assert "exited with code -9" in dead["last_error"]
    helpers.after_passes(runtime)  # a few reconcile rounds: nothing restarts it
    assert workload(runtime, "i-crash")["state"] == "exited"
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://{info['address']}:8000/", timeout=2)
    stage.status("instance", "i-crash", "Starting", "Running")
    assert serving(runtime, "i-crash")["pid"] != info["pid"]


def test_instance_without_user_data_runs_nothing_and_says_why(stage, runtime):
    stage.instance("i-empty", None)
    info = eventually(lambda: workload(runtime, "i-empty"), "the instance to be seen")
    assert info["state"] == "none" and info["pid"] is None
    assert info["last_error"] == "the instance has no user data"


def test_user_data_without_a_manifest_runs_nothing_and_says_why(stage, runtime):
    import base64

    doc = "#cloud-config\nwrite_files:\n  - path: /etc/motd\n    content: hi\n"
    stage.instance("i-nomanifest", base64.b64encode(doc.encode()).decode())
    info = eventually(lambda: workload(runtime, "i-nomanifest"), "the instance to be seen")
    assert info["state"] == "none"
    assert "no /etc/fleet/workload.json" in info["last_error"]


def test_model_dir_is_the_first_data_disk_and_follows_it_to_another_instance(stage, runtime, emulator):
    stage.disk("d-model", "i-disk1")
    stage.instance("i-disk1", demo_user_data())
    info = serving(runtime, "i-disk1")
    disk_dir = os.path.join(emulator.cloud.runtime.base_dir, "disks", "d-model")
    assert os.path.samefile(info["model_dir"], disk_dir)
    stage.status("instance", "i-disk1", "Stopping", "Stopped")
    stage.attach("d-model", "")
    stage.attach("d-model", "i-disk2")
    stage.instance("i-disk2", demo_user_data())
    serving(runtime, "i-disk2")
    with open(os.path.join(disk_dir, "boots.log")) as handle:
        assert handle.read().split() == ["i-disk1", "i-disk2"]


def test_instance_without_a_data_disk_keeps_its_model_under_its_root(stage, runtime):
    stage.instance("i-nodisk", demo_user_data())
    info = serving(runtime, "i-nodisk")
    assert info["model_dir"] == os.path.join(info["root"], "mnt", "model")


def test_reset_leaves_no_child_process(stage, runtime, emulator):
    for n in range(3):
        stage.instance(f"i-r{n}", demo_user_data())
    pids = [serving(runtime, f"i-r{n}")["pid"] for n in range(3)]
    emulator.reset()
    assert all(process_gone(pid) for pid in pids)
    assert runtime.describe()["instances"] == []


def test_runtime_control_route_lists_workloads(stage, runtime, runtime_server):
    stage.instance("i-route", demo_user_data())
    serving(runtime, "i-route")
    body = Control(runtime_server.url).request("GET", "runtime")
    entry = next(w for w in body["instances"] if w["instance_id"] == "i-route")
    assert set(entry) >= {"address", "port", "pid", "state", "last_error", "log_path"}


def test_kill_route_for_an_instance_without_workload_is_404(runtime_server):
    with pytest.raises(urllib.error.HTTPError) as err:
        Control(runtime_server.url).request("POST", "runtime/kill", {"instance_id": "i-nothing"})
    assert err.value.code == 404
