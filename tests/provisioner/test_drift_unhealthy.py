"""The drift a console cannot show: an instance still Running whose model server died. With the local
runtime on, the SLB's health check marks its backend abnormal; reconcile reboots the instance (the
runtime restarts the workload on reboot, as a VM's boot restarts the unit), unless it started less
than the grace period ago; then a second reconcile finds nothing to do."""

from __future__ import annotations

import functools
import time

import pytest

from provisioner import retry
from provisioner.steps import common
from tests import helpers
from tests.helpers import fresh_runtime

pytestmark = pytest.mark.timeout(90)
eventually = functools.partial(helpers.eventually, timeout=20.0)


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    """Real workloads answer health checks in real time: waits sleep, briefly."""
    monkeypatch.setattr(retry, "sleep", lambda seconds: None)
    monkeypatch.setattr(common, "sleep", lambda seconds: time.sleep(min(seconds, 0.05)))


@pytest.fixture
def cloud(runtime_server, run, write_stack):
    control = fresh_runtime(runtime_server, 0.2)
    stack = write_stack(
        instances={"count": 2},
        load_balancer={"health_check": {"interval": 1, "healthy_threshold": 2, "unhealthy_threshold": 2}},
    )

    def cli(command: str, *extra: str):
        return run(command, stack, "--endpoint", runtime_server.url, *extra)

    yield control, cli
    runtime_server.emulator.reset()


def health(control) -> dict[str, str]:
    [listener] = control.request("GET", "runtime")["listeners"]
    return {b["server_id"]: b["health"] for b in listener["backends"]}


def test_a_dead_server_is_rebooted_by_reconcile_once_past_the_grace(cloud):
    control, cli = cloud
    provisioned = cli("provision")
    assert provisioned.exit_code == 0, provisioned.stderr[-2000:]
    victim = provisioned.doc["instances"][1]
    control.request("POST", "runtime/kill", {"instance_id": victim, "signal": "KILL"})
    eventually(lambda: health(control).get(victim) == "abnormal", "the SLB to mark the dead backend")

    control.request("POST", "stats/reset")
    young = cli("reconcile")  # default grace: it booted seconds ago, leave it
    assert (young.exit_code, young.doc["drift"]) == (0, [])
    assert any(victim in note and "grace" in note for note in young.doc["notes"])
    check = cli("reconcile", "--check", "--unhealthy-grace", "0")
    assert check.exit_code == 3
    assert [(d["id"], d["kind"]) for d in check.doc["drift"]] == [(victim, "unhealthy")]
    assert control.stats()["mutating"] == 0

    healed = cli("reconcile", "--unhealthy-grace", "0")
    assert healed.exit_code == 0, healed.stderr[-2000:]
    assert [(a["id"], a["action"]) for a in healed.doc["actions"]] == [(victim, "rebooted")]
    assert control.stats()["actions"]["ecs:RebootInstance"]["calls"] == 1
    assert health(control)[victim] == "normal"

    control.request("POST", "stats/reset")
    again = cli("reconcile", "--unhealthy-grace", "0")
    assert (again.exit_code, again.doc["outcome"], again.doc["drift"]) == (0, "in-sync", [])
    assert control.stats()["mutating"] == 0
