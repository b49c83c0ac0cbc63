"""The provisioner survives what today's cloud does between calls: instances released by the system right after
RunInstances, a stopped instance that cannot start for stock, dependencies that linger after a release (busy
retries bounded by time per operation, not attempts)."""

from __future__ import annotations

import json
import threading

import pytest
from alibabacloud_ecs20140526 import models as em

from provisioner import retry
from tests.provisioner.helpers import DEFAULT_STACK, problems, tagged

pytestmark = pytest.mark.timeout(120)
STACK = "fleet-default"
REGION = "cn-hangzhou"


def instances_of(control) -> list[dict]:
    return tagged(control, STACK).get("instance", [])


def _state(path: str) -> dict:
    with open(path) as handle:
        return json.load(handle)


# instances lost at creation --------------------------------------------------------------------------------
def test_instances_the_system_releases_at_creation_are_recreated(run, control):
    control.faults(seed=1, rules=[{"action": "ecs:RunInstances", "lose": 0.4}])
    result = run("provision", DEFAULT_STACK)
    assert result.exit_code == 0, result.stderr
    lost = control.request("GET", "faults")["injected"].get("lose", 0)
    assert lost >= 1  # the seed makes some instances vanish
    assert "SystemFailure.Delete" in result.stderr
    assert control.stats()["actions"]["ecs:RunInstances"]["calls"] >= 3
    running = instances_of(control)
    assert len(running) == 3 and {i["status"] for i in running} == {"Running"}
    assert sorted(_state(run.state_path)["resources"]["instance"]) == sorted(i["id"] for i in running)
    assert sorted(result.doc["instances"]) == sorted(i["id"] for i in running)
    control.faults()
    assert problems(control, DEFAULT_STACK, run.state_path) == []
    again = run("provision", DEFAULT_STACK)
    assert again.exit_code == 0 and again.doc["api_calls"]["mutating"] == 0


def test_an_instance_invisible_without_a_system_event_is_kept_not_recreated(make_ctx, control, monkeypatch):
    """Only a SystemFailure.Delete event makes an id forgotten: a slow Describe must not double the fleet."""
    ctx = make_ctx()
    from provisioner.steps import instances as instance_step

    calls = []
    monkeypatch.setattr(instance_step, "describe_instances", lambda c, ids: calls.append(ids) or {})
    assert instance_step.drop_vanished(ctx, ["i-notlistedyet"]) == []
    assert len(calls) > 1  # it polled for the grace period (slept, not waited)
    assert control.stats()["actions"]["ecs:DescribeInstanceHistoryEvents"]["calls"] == 1


# a stopped instance without stock to start ---------------------------------------------------------------------
def _stop_economically(ecs, iid: str) -> None:
    ecs.stop_instances(em.StopInstancesRequest(region_id=REGION, instance_id=[iid], stopped_mode="StopCharging"))


@pytest.mark.parametrize("command", ["provision", "reconcile"])
def test_a_stopped_instance_that_cannot_start_for_stock_is_replaced(run, control, ecs, command):
    assert run("provision", DEFAULT_STACK).exit_code == 0
    victim = next(i for i in instances_of(control) if i["tags"].get("fleet:data-disk") != "yes")
    _stop_economically(ecs, victim["id"])
    control.config(no_stock=[[victim["zone"], "ecs.g7.large"]])
    result = run(command, DEFAULT_STACK)
    assert result.exit_code == 0, result.stderr
    assert "OperationDenied.NoStock" in json.dumps(control.stats()["actions"]["ecs:StartInstances"]["errors"])
    running = instances_of(control)
    assert victim["id"] not in {i["id"] for i in running}
    assert len(running) == 3 and {i["status"] for i in running} == {"Running"}
    assert {i["zone"] for i in running if i["id"] != victim["id"]} >= {"cn-hangzhou-j"}  # replacement: next zone
    assert victim["id"] not in _state(run.state_path)["resources"]["instance"]
    counts = {kind: len(items) for kind, items in control.resources().items()}
    # Nothing leaked: 3 instances with their system disks, the data disk, a second vSwitch for the replacement.
    assert counts == {
        "vpc": 1,
        "vswitch": 2,
        "security_group": 1,
        "load_balancer": 1,
        "listener": 1,
        "instance": 3,
        "disk": 4,
    }
    again = run(command, DEFAULT_STACK)
    assert again.exit_code == 0


# lingering dependencies ---------------------------------------------------------------------------------------
class _Slept(list):
    def __init__(self):
        super().__init__()
        self.by_thread: dict[str, float] = {}


@pytest.fixture
def virtual_sleep(monkeypatch, control):
    """Retry sleeps move the emulator's clock instead of waiting (tests never sleep). `slept.by_thread`: the
    same sleeps per thread (teardown deletes the security group and the vSwitches side by side)."""
    slept = _Slept()

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        name = threading.current_thread().name
        slept.by_thread[name] = slept.by_thread.get(name, 0.0) + seconds
        control.advance(seconds)

    monkeypatch.setattr(retry, "sleep", sleep)
    return slept


def test_teardown_waits_out_dependencies_that_linger_after_the_release(run, control, virtual_sleep):
    assert run("provision", DEFAULT_STACK).exit_code == 0
    control.config(dependency_linger=300)  # five minutes of DependencyViolation after the release
    result = run("teardown", DEFAULT_STACK)
    assert result.exit_code == 0, result.stderr
    assert control.resources() == {}
    errors = control.stats()["actions"]["ecs:DeleteSecurityGroup"]["errors"]
    assert errors.get("DependencyViolation", 0) > 10
    # The sleeps waited the linger out: 300 s of the emulator's clock, which also runs in real time, so the sleeps
    # add up to 300 s less the seconds the calls took (a loaded machine's), and stop well short of the 600 s budget.
    assert 270 <= sum(virtual_sleep) < 600


def test_a_dependency_lingering_past_ten_minutes_fails_teardown_after_ten_minutes_not_60_attempts(
    run, control, virtual_sleep
):
    assert run("provision", DEFAULT_STACK).exit_code == 0
    control.config(dependency_linger=3600)
    result = run("teardown", DEFAULT_STACK)
    assert result.exit_code == 1
    error = result.doc["error"]
    assert error["code"] == "DependencyViolation" and "DeleteSecurityGroup" in error["message"]
    calls = control.stats()["actions"]["ecs:DeleteSecurityGroup"]["calls"]
    assert calls > 60  # bounded by time, not by an attempt count
    # Each delete retried for its own 600 s (the group's and the vSwitch's side by side), not for 60 attempts (about
    # 300 s of sleeps). The deadline counts real time too, so the sleeps add up to 600 s less the time the calls took,
    # which is seconds on a loaded machine: the lower bound leaves room for that, far above an attempt count's 300 s.
    assert all(
        540 <= t <= 600 + retry.BUSY.max_wait_s + retry.BUSY.jitter_s for t in virtual_sleep.by_thread.values()
    ), virtual_sleep.by_thread
    # The state file is kept (the security group, vSwitch and VPC still exist), and a later teardown finishes.
    assert _state(run.state_path)["resources"]
    control.config(dependency_linger=0)
    control.advance(3600)
    assert run("teardown", DEFAULT_STACK).exit_code == 0
    assert control.resources() == {}


# busy answers on reads, and the codes real clients retry ---------------------------------------------------------
def test_a_read_answered_with_a_busy_code_is_retried(make_ctx, monkeypatch):
    from provisioner import errors

    ctx = make_ctx()
    real = ctx.cloud._invoke
    busy_left = [2]

    def flaky(step, resource, product, action, method, params):
        if busy_left[0] and action in ("DescribeVpcs", "DeleteVpc"):
            busy_left[0] -= 1
            raise errors.Busy(step, resource, action, "ServiceIsConfiguring", 400, "req-1", "configuring")
        return real(step, resource, product, action, method, params)

    monkeypatch.setattr(ctx.cloud, "_invoke", flaky)
    assert "Vpcs" in ctx.call("vpc", "", "vpc", "DescribeVpcs", {"RegionId": REGION})
    assert busy_left == [0]
    busy_left[0] = 1  # a change is retried on Busy only when its caller says the condition clears
    with pytest.raises(errors.Busy):
        ctx.call("vpc", "vpc-x", "vpc", "DeleteVpc", {"RegionId": REGION, "VpcId": "vpc-x"})


@pytest.mark.parametrize(
    "code",
    [
        "RspoolVipExist",
        "ObtainIpFail",
        "DisksDetachingOnEcsExceeded",
        "OperationFailed.DistibuteLock",
        "OperationFailed.NotifyCenCreate",
        "CreateVSwitch.IncorrectStatus.cbnStatus",
        "DeleteVSwitch.IncorrectStatus.cbnStatus",
        "InvalidStatus.RouteEntry",
        "ServiceIsConfiguring",
        "OperationBusy",
        "BackendServer.configuring",
        "ServiceIsStopping",
    ],
)
def test_codes_real_clients_retry_are_busy(code):
    from provisioner.errors import Busy, classify

    assert classify(code, 400) is Busy


@pytest.mark.parametrize(
    "code",
    [
        "InvalidInstanceType.NotSupported",
        "InstanceType.Offline",
        "OperationDenied.ZoneNotAllowed",
        "CategoryNotSupported",
        "InvalidDiskCategory.NotSupported",
        "InvalidDataDiskCategory.NotSupported",
        "InvalidSystemDiskCategory.ValueNotSupported",
    ],
)
def test_every_not_sold_here_code_fails_over_like_no_stock(code):
    from provisioner.errors import NoStock, classify

    assert classify(code, 403) is NoStock


def test_busy_budgets_are_per_operation_and_by_time():
    assert retry.BUSY.attempts is None
    assert retry.deadline_for("DeleteSecurityGroup", retry.BUSY) == 600.0
    assert retry.deadline_for("DeleteVSwitch", retry.BUSY) == retry.deadline_for("DeleteVpc", retry.BUSY) == 600.0
    assert retry.deadline_for("DeleteInstances", retry.BUSY) == 1200.0


def test_a_stopped_disk_holder_that_cannot_start_is_replaced_in_another_zone_with_a_new_disk(run, control, ecs):
    assert run("provision", DEFAULT_STACK).exit_code == 0
    holder = next(i for i in instances_of(control) if i["tags"].get("fleet:data-disk") == "yes")
    _stop_economically(ecs, holder["id"])
    control.config(no_stock=[[holder["zone"], "ecs.g7.large"]])
    result = run("reconcile", DEFAULT_STACK)
    assert result.exit_code == 0, result.stderr
    running = instances_of(control)
    new_holder = next(i for i in running if i["tags"].get("fleet:data-disk") == "yes")
    assert new_holder["id"] != holder["id"] and len(running) == 3 and new_holder["zone"] != holder["zone"]
    # A disk cannot change zones: the replacement holder gets a new disk in its zone. The old one, freed by the
    # release, is surplus for the next run, which deletes it: nothing is left over once converged.
    disks = [d for d in tagged(control, STACK)["disk"] if d["type"] == "data"]
    assert [d["zone"] for d in disks if d["instance_id"] == new_holder["id"]] == [new_holder["zone"]]
    assert run("reconcile", DEFAULT_STACK).exit_code == 0
    [kept] = [d for d in tagged(control, STACK)["disk"] if d["type"] == "data"]
    assert kept["instance_id"] == new_holder["id"]
