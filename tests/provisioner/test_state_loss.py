"""State loss: with the state file deleted after a provision, the next run (reconcile, provision or
teardown) rebuilds the state from the cloud's tags and creates nothing twice."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.provisioner.helpers import DEFAULT_STACK, Console, problems, state_problems, tagged

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def lost(run, control):
    """A provisioned default stack whose state file is gone; the emulator's counters reset."""
    assert run("provision", DEFAULT_STACK).exit_code == 0
    os.unlink(run.state_path)
    control.request("POST", "stats/reset")
    return run


def test_reconcile_rebuilds_a_lost_state_from_the_tags_and_creates_nothing(lost, control):
    result = lost("reconcile", DEFAULT_STACK)
    assert (result.exit_code, result.doc["outcome"]) == (0, "in-sync"), result.stderr
    assert "rebuilt from the resources tagged for the stack" in result.stderr
    assert control.stats()["mutating"] == 0
    assert problems(control, DEFAULT_STACK, lost.state_path) == []  # the state names exactly the cloud's ids


def test_check_with_a_lost_state_changes_nothing_and_writes_no_state(lost, control):
    result = lost("reconcile", DEFAULT_STACK, "--check")
    assert (result.exit_code, result.doc["drift"]) == (0, [])
    assert control.stats()["mutating"] == 0
    assert not os.path.exists(lost.state_path)


def test_provision_with_a_lost_state_creates_nothing_and_writes_a_complete_state(lost, control):
    assert lost("provision", DEFAULT_STACK).exit_code == 0
    assert control.stats()["mutating"] == 0
    assert problems(control, DEFAULT_STACK, lost.state_path) == []


def test_a_lost_state_and_a_lost_instance_make_exactly_one_new_instance(lost, control, ecs, vpc, slb):
    console = Console(ecs, vpc, slb, control)
    before = {i["id"] for i in console.mine("instance")}
    gone = console.non_holder()["id"]
    console.delete_instances([gone])
    result = lost("reconcile", DEFAULT_STACK)
    assert (result.exit_code, result.doc["outcome"]) == (0, "healed"), result.stderr
    after = {i["id"] for i in console.mine("instance")}
    assert len(after - before) == 1 and after >= before - {gone}
    assert control.stats()["actions"]["ecs:RunInstances"]["calls"] == 1
    assert problems(control, DEFAULT_STACK, lost.state_path) == []


def test_teardown_with_a_lost_state_finds_everything_by_tag(lost, control):
    assert lost("teardown", DEFAULT_STACK).exit_code == 0
    assert control.resources() == {}


def test_the_rebuilt_state_is_what_a_provision_would_have_written(lost, control, run):
    assert lost("reconcile", DEFAULT_STACK).exit_code == 0
    rebuilt = Path(lost.state_path).read_text()
    assert state_problems(lost.state_path, "fleet-default", tagged(control, "fleet-default")) == []
    control.request("POST", "stats/reset")
    assert run("reconcile", DEFAULT_STACK).doc["outcome"] == "in-sync"
    assert control.stats()["mutating"] == 0
    assert Path(lost.state_path).read_text() == rebuilt  # an in-sync run leaves the file alone
