"""Local runtime: a workload whose manifest expects a data disk waits for one, as the VM's boot does."""

from __future__ import annotations

import os

import pytest

from localcloud.runtime.testing import Stage, demo_user_data
from tests.helpers import after_passes, eventually

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def emulator(runtime_server):
    runtime_server.emulator.reset()
    yield runtime_server.emulator
    runtime_server.emulator.reset()


def workload(emulator, iid: str) -> dict | None:
    runtime = emulator.cloud.runtime
    return next((w for w in runtime.describe()["instances"] if w["instance_id"] == iid), None)


def wait_for_state(emulator, iid: str, state: str, timeout: float = 10.0) -> dict:
    def reached():
        info = workload(emulator, iid)
        return info if info and info["state"] == state else None

    return eventually(
        reached, f"{iid} to reach {state} (now: {workload(emulator, iid)})", timeout=timeout, interval=0.02
    )


def test_a_workload_that_expects_a_data_disk_waits_and_then_uses_the_disk(emulator):
    stage = Stage(emulator)
    stage.instance("i-late", demo_user_data(disk_wait=30))
    waiting = wait_for_state(emulator, "i-late", "waiting")
    assert waiting["pid"] is None
    after_passes(emulator.cloud.runtime)
    assert workload(emulator, "i-late")["state"] == "waiting"  # still nothing runs without the disk
    stage.disk("d-late", "i-late")
    running = wait_for_state(emulator, "i-late", "running")
    disk_dir = os.path.join(emulator.cloud.runtime.base_dir, "disks", "d-late")
    assert running["model_dir"] == disk_dir
    boots = os.path.join(disk_dir, "boots.log")

    def logged() -> str:  # the server wrote to the disk, not the root (created, then written: read until whole)
        if not os.path.exists(boots):
            return ""
        with open(boots) as handle:
            return handle.read()

    assert eventually(lambda: logged().endswith("\n") and logged(), "the server's boots.log on the disk") == "i-late\n"


def test_without_a_disk_the_workload_starts_on_the_root_once_the_wait_is_over(emulator):
    stage = Stage(emulator)
    stage.instance("i-nodisk", demo_user_data(disk_wait=1))
    assert wait_for_state(emulator, "i-nodisk", "waiting")["pid"] is None  # it waited for the disk first
    running = wait_for_state(emulator, "i-nodisk", "running")
    assert running["model_dir"] == os.path.join(running["root"], "mnt", "model")


def test_a_workload_without_the_disk_field_starts_at_once_without_a_disk(emulator):
    Stage(emulator).instance("i-plain", demo_user_data())
    running = wait_for_state(emulator, "i-plain", "running", timeout=2)
    assert running["model_dir"] == os.path.join(running["root"], "mnt", "model")


def test_stopping_an_instance_that_waits_for_its_disk_ends_the_wait(emulator):
    stage = Stage(emulator)
    stage.instance("i-stop", demo_user_data(disk_wait=30))
    wait_for_state(emulator, "i-stop", "waiting")
    stage.status("instance", "i-stop", "Stopping", "Stopped")
    wait_for_state(emulator, "i-stop", "stopped")
    stage.disk("d-stop", "i-stop")
    after_passes(emulator.cloud.runtime)
    assert workload(emulator, "i-stop")["state"] == "stopped"  # a stopped instance runs nothing
    stage.status("instance", "i-stop", "Starting", "Running")
    assert wait_for_state(emulator, "i-stop", "running")["model_dir"].endswith(os.path.join("disks", "d-stop"))


def test_a_malformed_disk_wait_is_reported_and_nothing_runs(emulator):
    import base64

    import yaml

    doc = yaml.safe_load(base64.b64decode(demo_user_data()).decode().removeprefix("#cloud-config\n"))
    manifest_entry = next(f for f in doc["write_files"] if f["path"] == "/etc/fleet/workload.json")
    manifest_entry["content"] = manifest_entry["content"].rstrip("}") + ', "data_disk": {"wait_seconds": "soon"}}'
    user_data = base64.b64encode(("#cloud-config\n" + yaml.safe_dump(doc)).encode()).decode()
    Stage(emulator).instance("i-bad", user_data)
    info = wait_for_state(emulator, "i-bad", "none")
    assert "data_disk" in info["last_error"]
