"""The crash matrix extended to a rollout (provisioner/replace.py): the default stack is provisioned, its
server env changes (every instance is outdated), and the rollout's provision is SIGKILLed by the emulator
right after EACH of its mutating calls (PUT /_localcloud/kill_after); the rerun must finish the rollout:
exactly the stack, every instance of the new template, no duplicate, nothing leaked, the state valid."""

from __future__ import annotations

import os
import signal
import tempfile

import pytest
import yaml
from click.testing import CliRunner

from localcloud.server import serve_in_thread, stop
from provisioner.cli import cli
from provisioner.spec import load_stack
from provisioner.state import State
from provisioner.tags import TAG_TEMPLATE
from provisioner.template import template_of
from tests.provisioner.helpers import DEFAULT_STACK, effective_mutations, problems

pytestmark = pytest.mark.timeout(120)
STACK = "fleet-default"
_COUNT: list[int] = []


def stacks(directory: str) -> tuple[str, str]:
    """(the default stack with no drain wait, the same with a new server env: a new template)."""
    with open(DEFAULT_STACK, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    data["load_balancer"]["drain_seconds"] = 0
    paths = []
    for name, env in (("base.yaml", None), ("changed.yaml", {"MODEL_VERSION": "2"})):
        if env:
            data["serving"]["server"] = {"env": env}
        path = os.path.join(directory, name)
        with open(path, "w", encoding="utf-8") as handle:
            yaml.safe_dump(data, handle, sort_keys=False)
        paths.append(path)
    return paths[0], paths[1]


def invoke(url: str, command: str, stack: str, state: str):
    return CliRunner().invoke(cli, [command, "--stack", stack, "--endpoint", url, "--state", state, "--json"])


def rollout_count() -> int:
    """Mutating calls that take effect in a clean rollout of the default stack's 3 instances."""
    if not _COUNT:
        with tempfile.TemporaryDirectory() as tmp:
            base, changed = stacks(tmp)
            server, _ = serve_in_thread(tmp, instant=True, runtime=False)
            try:
                state = os.path.join(tmp, "state.json")
                assert invoke(server.url, "provision", base, state).exit_code == 0
                server.emulator.stats.reset()
                result = invoke(server.url, "provision", changed, state)
                assert result.exit_code == 0, result.output
                _COUNT.append(effective_mutations(server.emulator.stats.snapshot()))
            finally:
                stop(server)
    return _COUNT[0]


def pytest_generate_tests(metafunc):
    if "rollout_k" in metafunc.fixturenames:
        metafunc.parametrize("rollout_k", range(1, rollout_count() + 1))


def test_a_clean_rollout_replaces_three_instances_in_batches():
    # per batch at least RunInstances, AddBackendServers, SetBackendServers (drain), Remove, DeleteInstances
    assert rollout_count() >= 15


def test_rollout_killed_after_each_mutating_call_then_rerun_finishes_it(control, spawn, run, tmp_path, rollout_k):
    base, changed = stacks(str(tmp_path))
    assert run("provision", base).exit_code == 0
    old = {r["id"] for r in run("status", base).doc["resources"] if r["role"] == "instance"}
    assert len(old) == 3
    control.request("POST", "stats/reset")
    proc = spawn("provision", changed, run.state_path)
    control.request("PUT", "kill_after", {"pid": proc.pid, "mutating_calls": rollout_k})
    proc.wait(timeout=90)
    assert proc.returncode == -signal.SIGKILL, "the rollout ended by itself before its mutating call"
    State.load(run.state_path, STACK)  # never half-written
    result = run("provision", changed)
    assert result.exit_code == 0, result.stderr
    assert problems(control, changed, run.state_path) == []
    digest = template_of(load_stack(changed)).digest
    instances = [i for i in control.resources().get("instance", [])]
    assert len(instances) == 3 and {i["tags"].get(TAG_TEMPLATE) for i in instances} == {digest}
    assert not ({i["id"] for i in instances} & old)
    assert State.load(run.state_path, STACK).rollout() is None  # the rollout is finished


@pytest.mark.parametrize("k", [1, 6])
def test_reconcile_finishes_a_rollout_a_killed_provision_left(control, spawn, run, tmp_path, k):
    base, changed = stacks(str(tmp_path))
    assert run("provision", base).exit_code == 0
    proc = spawn("provision", changed, run.state_path)
    control.request("PUT", "kill_after", {"pid": proc.pid, "mutating_calls": k})
    proc.wait(timeout=90)
    assert proc.returncode == -signal.SIGKILL
    assert State.load(run.state_path, STACK).rollout()["active"] is True
    result = run("reconcile", changed)  # rollout.on_reconcile is "finish" by default
    assert result.exit_code == 0, result.stderr
    assert problems(control, changed, run.state_path) == []
    digest = template_of(load_stack(changed)).digest
    assert {i["tags"].get(TAG_TEMPLATE) for i in control.resources()["instance"]} == {digest}


def test_reconcile_does_not_start_a_rollout_by_default(control, run, tmp_path):
    base, changed = stacks(str(tmp_path))
    assert run("provision", base).exit_code == 0
    before = {i["id"] for i in control.resources()["instance"]}
    result = run("reconcile", changed)
    assert {i["id"] for i in control.resources()["instance"]} == before
    assert result.exit_code == 0, result.stderr
    outdated = [d for d in result.doc["drift"] if d["kind"] == "outdated"]
    assert {d["id"] for d in outdated} == before
    assert all("on_reconcile is finish" in d["heal"] for d in outdated)


@pytest.mark.parametrize("k", [2, 3, 4, 5])
def test_a_port_change_killed_around_the_vserver_group_move_converges_with_one_group(control, spawn, run, tmp_path, k):
    """serving.port 8080 -> 8081: the run is killed after its k-th mutating call (the security group's new rules,
    CreateVServerGroup, the listener's switch to the group, the first RunInstances); the rerun finishes with one
    vServer group, every member on the new port (problems() checks the group and its members)."""
    base, _ = stacks(str(tmp_path))
    with open(base, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    data["serving"]["port"] = 8081
    moved = os.path.join(str(tmp_path), "moved.yaml")
    with open(moved, "w", encoding="utf-8") as handle:
        yaml.safe_dump(data, handle, sort_keys=False)
    assert run("provision", base).exit_code == 0
    proc = spawn("provision", moved, run.state_path)
    control.request("PUT", "kill_after", {"pid": proc.pid, "mutating_calls": k})
    proc.wait(timeout=90)
    assert proc.returncode == -signal.SIGKILL
    State.load(run.state_path, STACK)
    result = run("provision", moved)
    assert result.exit_code == 0, result.stderr
    assert problems(control, moved, run.state_path) == []
    assert len(control.resources().get("vserver_group", [])) == 1
    listener = control.resources()["listener"][0]
    assert listener["vserver_group_id"] == control.resources()["vserver_group"][0]["id"]
