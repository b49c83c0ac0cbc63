"""reconcile as cron runs it: the no-op cost, the summary and the JSON-lines log, --check, the lock
(a held lock skips with exit 75, a dead holder's lock is taken over, two runs at once), an instance
caught while stopping, and an invalid state file kept."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from provisioner.errors import StateError
from provisioner.state import StackLock, State, lock_path
from provisioner.steps import common
from tests.helpers import eventually
from tests.provisioner.helpers import DEFAULT_STACK, REGION, Console, problems

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def console(ecs, vpc, slb, control) -> Console:
    return Console(ecs, vpc, slb, control)


@pytest.mark.parametrize("count", [3, 100])
def test_a_no_op_reconcile_makes_at_most_ten_calls_none_mutating(run, control, write_stack, count):
    path = write_stack(instances={"count": count}, data_disk={"attach": "each"}) if count > 3 else DEFAULT_STACK
    assert run("provision", path).exit_code == 0
    control.request("POST", "stats/reset")
    result = run("reconcile", path)
    assert (result.exit_code, result.doc["outcome"], result.doc["drift"]) == (0, "in-sync", [])
    stats = control.stats()
    assert (stats["mutating"], stats["total"] <= 10) == (0, True), stats["actions"]
    assert result.doc["api_calls"]["total"] == stats["total"]


def test_each_run_prints_one_summary_and_appends_one_json_line(run, tmp_path, console):
    log = tmp_path / "logs" / "reconcile.jsonl"
    assert run("provision", DEFAULT_STACK).exit_code == 0
    quiet = run("reconcile", DEFAULT_STACK, "--log-json", str(log), as_json=False)
    assert quiet.exit_code == 0
    head = quiet.stdout.splitlines()[0]
    assert head.startswith("reconcile fleet-default: in sync, no drift (10 API calls, 0 mutating"), head
    console("ecs", "StopInstances", RegionId=REGION, InstanceId=[console.non_holder()["id"]])
    busy = run("reconcile", DEFAULT_STACK, "--log-json", str(log), as_json=False)
    assert busy.exit_code == 0
    head, *rest = busy.stdout.splitlines()
    assert "1 drift finding(s), 1 action(s) taken" in head, busy.stdout
    assert any("stopped" in line and "start it" in line for line in rest)
    first, second = [json.loads(line) for line in log.read_text().splitlines()]
    assert (first["outcome"], first["drift_found"], first["actions_taken"], first["exit_code"]) == ("in-sync", 0, 0, 0)
    assert (second["outcome"], second["drift_found"], second["actions_taken"]) == ("healed", 1, 1)
    assert second["api_calls"]["mutating"] >= 1 and second["duration_s"] >= 0 and second["time"].endswith("Z")


def test_check_changes_nothing_and_exits_3_only_when_there_is_drift(run, control, console):
    assert run("provision", DEFAULT_STACK).exit_code == 0
    assert run("reconcile", DEFAULT_STACK, "--check").exit_code == 0
    console("ecs", "StopInstances", RegionId=REGION, InstanceId=[console.non_holder()["id"]])
    before = Path(run.state_path).read_text()
    control.request("POST", "stats/reset")
    result = run("reconcile", DEFAULT_STACK, "--check", as_json=False)
    assert result.exit_code == 3
    assert "nothing changed" in result.stdout.splitlines()[0]
    assert control.stats()["mutating"] == 0
    assert Path(run.state_path).read_text() == before


def test_a_held_lock_skips_at_once_with_exit_75_and_says_so(run, control, tmp_path):
    log = tmp_path / "r.jsonl"
    assert run("provision", DEFAULT_STACK).exit_code == 0
    control.request("POST", "stats/reset")
    with StackLock(lock_path(run.state_path), "provision"):
        result = run("reconcile", DEFAULT_STACK, "--log-json", str(log))
        assert result.exit_code == 75  # while the lock is still held: it did not wait for it
        assert "skipped" in result.stderr and "lock" in result.stderr and "provision" in result.stderr
        assert result.doc["outcome"] == "skipped"
        assert run("reconcile", DEFAULT_STACK, "--check").exit_code == 0  # --check takes no lock
    assert control.stats()["mutating"] == 0
    assert json.loads(log.read_text())["exit_code"] == 75


def test_two_reconciles_at_once_one_heals_and_the_other_skips(emulator, run, spawn, control, console):
    assert run("provision", DEFAULT_STACK).exit_code == 0
    console.delete_instances([console.non_holder()["id"]])
    control.request("POST", "stats/reset")
    first = spawn("reconcile", DEFAULT_STACK, run.state_path)
    eventually(
        lambda: emulator.emulator.stats.total >= 1, "the first reconcile's first call", timeout=30, interval=0.002
    )
    first.send_signal(signal.SIGSTOP)  # the first holds the lock, mid-run
    try:
        second = spawn("reconcile", DEFAULT_STACK, run.state_path)
        out, err = second.communicate(timeout=30)
        assert second.returncode == 75, err
        assert json.loads(out)["outcome"] == "skipped" and f"pid {first.pid}" in err
    finally:
        first.send_signal(signal.SIGCONT)
    out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert json.loads(out)["outcome"] == "healed"
    State.load(run.state_path, "fleet-default")
    assert problems(control, DEFAULT_STACK, run.state_path) == []


def test_a_reconcile_killed_mid_heal_leaves_its_lock_to_the_next_run(run, spawn, control, console):
    assert run("provision", DEFAULT_STACK).exit_code == 0
    console.delete_instances([console.holder()["id"]])
    proc = spawn("reconcile", DEFAULT_STACK, run.state_path)
    control.request("PUT", "kill_after", {"pid": proc.pid, "mutating_calls": 1})
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    result = run("reconcile", DEFAULT_STACK)
    assert result.exit_code == 0, result.stderr
    assert f"from pid {proc.pid}" in result.stderr and "taking over the lock" in result.stderr
    assert problems(control, DEFAULT_STACK, run.state_path) == []


def test_an_instance_caught_while_stopping_is_waited_for_then_started(emulator, run, control, console, monkeypatch):
    assert run("provision", DEFAULT_STACK).exit_code == 0
    clock = emulator.emulator.clock
    monkeypatch.setattr(clock, "instant", False)  # this stop takes its realistic 10 s
    victim = console.non_holder()["id"]
    console("ecs", "StopInstances", RegionId=REGION, InstanceId=[victim])
    monkeypatch.setattr(clock, "instant", True)
    assert console.non_holder()["status"] == "Stopping"
    # The run's waits move the emulator's clock instead of sleeping.
    monkeypatch.setattr(common, "sleep", lambda seconds: control.advance(max(seconds, 1.0)))
    result = run("reconcile", DEFAULT_STACK)
    assert result.exit_code == 0, result.stderr
    assert "stopped" in {d["kind"] for d in result.doc["drift"]}
    assert problems(control, DEFAULT_STACK, run.state_path) == []


def test_an_invalid_state_file_stops_reconcile_and_is_kept(run, control, tmp_path):
    assert run("provision", DEFAULT_STACK).exit_code == 0
    with open(run.state_path, "w") as handle:
        handle.write('{"schema_version": 1, "stack": "fleet-default", "resour')
    control.request("POST", "stats/reset")
    log = tmp_path / "r.jsonl"
    for extra in ((), ("--check",)):
        result = run("reconcile", DEFAULT_STACK, "--log-json", str(log), *extra)
        assert result.exit_code == 1
        assert "not valid JSON" in result.doc["error"]["message"] and "left untouched" in result.stderr
    assert Path(run.state_path).read_text() == '{"schema_version": 1, "stack": "fleet-default", "resour'
    assert control.stats()["total"] == 0
    with pytest.raises(StateError):
        State.load(run.state_path, "fleet-default")
    assert [json.loads(x)["outcome"] for x in log.read_text().splitlines()] == ["failed", "failed"]
