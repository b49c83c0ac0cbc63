"""Runs as separate processes: one killed with SIGKILL mid-provision (or mid-teardown) and run again
converges with no duplicate and no leftover; two runs at once never interleave."""

from __future__ import annotations

import json
import signal

import pytest

from provisioner.state import State
from tests.helpers import eventually
from tests.provisioner.helpers import DEFAULT_STACK, tagged

STACK = "fleet-default"
# What the default stack is in the emulator: kind -> count (disks: 3 system + 1 data).
EXPECTED = {"vpc": 1, "vswitch": 1, "security_group": 1, "instance": 3, "disk": 4, "load_balancer": 1}


def counts(control) -> dict[str, int]:
    found = control.resources()
    return {kind: len(found.get(kind, [])) for kind in EXPECTED}


def kill_after_mutating_call(emulator, proc, k: int, timeout: float = 90.0) -> bool:
    """SIGKILL `proc` as soon as the emulator has carried out its k-th mutating call."""
    stats = emulator.emulator.stats

    def killed_or_exited() -> str | None:
        if stats.mutating >= k:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            return "killed"
        return "exited" if proc.poll() is not None else None

    return eventually(killed_or_exited, f"the run's mutating call {k}", timeout=timeout, interval=0.001) == "killed"


@pytest.mark.parametrize("k", [1, 4, 8, 11])
def test_provision_killed_after_mutating_call_k_then_rerun_converges(emulator, control, spawn, run, k):
    # A little latency so that the kill lands while the run is in flight.
    control.faults(rules=[{"action": "*", "latency_ms": 15}])
    proc = spawn("provision", DEFAULT_STACK, run.state_path)
    assert kill_after_mutating_call(emulator, proc, k), "the run finished before it could be killed"
    assert proc.returncode == -signal.SIGKILL
    State.load(run.state_path, STACK)  # whatever moment it died, the state file is whole
    control.faults()
    result = run("provision", DEFAULT_STACK)
    assert result.exit_code == 0, result.stderr
    assert counts(control) == EXPECTED
    [lb] = tagged(control, STACK)["load_balancer"]
    assert {b["server_id"] for b in lb["backends"]} == {i["id"] for i in tagged(control, STACK)["instance"]}
    assert run("plan", DEFAULT_STACK).exit_code == 0


@pytest.mark.parametrize("k", [2, 6])
def test_teardown_killed_after_mutating_call_k_then_rerun_leaves_nothing(emulator, control, spawn, run, k):
    assert run("provision", DEFAULT_STACK).exit_code == 0
    control.request("POST", "stats/reset")
    control.faults(rules=[{"action": "*", "latency_ms": 15}])
    proc = spawn("teardown", DEFAULT_STACK, run.state_path, "--yes")
    assert kill_after_mutating_call(emulator, proc, k)
    control.faults()
    result = run("teardown", DEFAULT_STACK)
    assert result.exit_code == 0, result.stderr
    assert tagged(control, STACK) == {}
    assert control.resources() == {}


def test_a_second_run_while_the_first_holds_the_lock_fails_naming_the_holder(emulator, control, spawn, run):
    first = spawn("provision", DEFAULT_STACK, run.state_path)
    stats = emulator.emulator.stats
    eventually(lambda: stats.mutating >= 1, "the first run's first mutating call", timeout=60, interval=0.002)
    first.send_signal(signal.SIGSTOP)  # freeze it while it holds the lock
    try:
        second = spawn("provision", DEFAULT_STACK, run.state_path)
        out, err = second.communicate(timeout=60)
        assert second.returncode == 1, err
        message = json.loads(out)["error"]["message"]
        assert f"pid {first.pid}" in message and "provision" in message
        assert "lock" in err
    finally:
        first.send_signal(signal.SIGCONT)
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert counts(control) == EXPECTED


def test_the_rerun_after_a_kill_takes_over_the_dead_runs_lock(emulator, control, spawn, run):
    control.faults(rules=[{"action": "*", "latency_ms": 15}])
    proc = spawn("provision", DEFAULT_STACK, run.state_path)
    assert kill_after_mutating_call(emulator, proc, 3)
    control.faults()
    result = run("provision", DEFAULT_STACK)
    assert result.exit_code == 0
    assert f"from pid {proc.pid}" in result.stderr and "taking over the lock" in result.stderr


def test_a_create_that_took_effect_but_is_not_visible_yet_is_replayed_not_repeated(make_ctx, control, monkeypatch):
    """The run dies after RunInstances took effect and before it recorded anything; the next run does
    not see the instances yet (eventual consistency) and sends the same request: the same ClientToken
    makes the cloud answer with the same instances instead of creating more."""
    from provisioner.steps import instances as instance_step
    from provisioner.steps import security_group as sg_step
    from provisioner.steps import vpc as vpc_step
    from provisioner.steps import vswitch as vswitch_step

    ctx = make_ctx()
    vpc, _ = vpc_step.ensure_vpc(ctx, [])
    vsw, _ = vswitch_step.ensure_vswitch(ctx, vpc, "cn-hangzhou-i", [])
    group, _ = sg_step.ensure_security_group(ctx, vpc, [])

    class Died(BaseException):
        pass

    def die(key):
        raise Died()

    monkeypatch.setattr(ctx.tokens, "done", die)
    with pytest.raises(Died):
        instance_step.ensure_instances(ctx, [], lambda zone: vsw, group)
    first = {i["id"] for i in control.resources()["instance"]}
    assert len(first) == 1  # the first RunInstances (the disk holder) took effect

    again = make_ctx()  # a new run, same state file
    result = instance_step.ensure_instances(again, [], lambda zone: vsw, group)
    assert len(result.ids) == 3
    assert {i["id"] for i in control.resources()["instance"]} == set(result.ids)
    assert first <= set(result.ids)
    assert control.stats()["actions"]["ecs:RunInstances"]["calls"] == 3  # 1 + the replay + the other 2
