"""Crash matrix: a clean provision and a clean teardown are counted first (mutating calls that take
effect); then, for EVERY k, the provisioner process is SIGKILLed by the emulator right after its k-th
mutating call took effect (PUT /_localcloud/kill_after), before it sees the answer, and a rerun must
converge: exactly the stack (or nothing), no duplicate, nothing left over, the state file valid."""

from __future__ import annotations

import os
import signal
import tempfile

import pytest
from click.testing import CliRunner

from localcloud.server import serve_in_thread, stop
from provisioner.cli import cli
from provisioner.state import State
from tests.provisioner.helpers import DEFAULT_STACK, effective_mutations, problems

pytestmark = pytest.mark.timeout(120)
STACK = "fleet-default"
_COUNTS: dict[str, int] = {}


def clean_counts() -> dict[str, int]:
    """Mutating calls that take effect in a clean provision and teardown of the default stack, measured
    on an emulator of its own (instant transitions, as in the tests)."""
    if not _COUNTS:
        with tempfile.TemporaryDirectory() as tmp:
            server, _ = serve_in_thread(tmp, instant=True, runtime=False)
            try:
                for command in ("provision", "teardown"):
                    server.emulator.stats.reset()
                    args = [
                        command,
                        "--stack",
                        DEFAULT_STACK,
                        "--endpoint",
                        server.url,
                        "--state",
                        os.path.join(tmp, "state.json"),
                        "--json",
                    ]
                    result = CliRunner().invoke(cli, args + (["--yes"] if command == "teardown" else []))
                    assert result.exit_code == 0, result.output
                    _COUNTS[command] = effective_mutations(server.emulator.stats.snapshot())
            finally:
                stop(server)
    return _COUNTS


def pytest_generate_tests(metafunc):
    for command in ("provision", "teardown"):
        if f"{command}_k" in metafunc.fixturenames:
            metafunc.parametrize(f"{command}_k", range(1, clean_counts()[command] + 1))


def kill_at(control, spawn, command: str, state_path: str, k: int) -> None:
    """Start `command` as a process and have the emulator SIGKILL it right after mutating call k."""
    proc = spawn(command, DEFAULT_STACK, state_path, *(["--yes"] if command == "teardown" else []))
    control.request("PUT", "kill_after", {"pid": proc.pid, "mutating_calls": k})
    proc.wait(timeout=90)
    assert proc.returncode == -signal.SIGKILL, f"{command} ended by itself before its mutating call {k}"
    assert effective_mutations(control.stats()) >= k
    if os.path.exists(state_path):
        State.load(state_path, STACK)  # never half-written, whatever moment it died


def test_a_clean_run_is_counted_before_the_matrix_is_built():
    counts = clean_counts()
    assert counts["provision"] >= 10 and counts["teardown"] >= 8, counts


def test_provision_killed_after_each_mutating_call_then_rerun_converges(control, spawn, run, provision_k):
    kill_at(control, spawn, "provision", run.state_path, provision_k)
    control.request("POST", "stats/reset")
    result = run("provision", DEFAULT_STACK)
    assert result.exit_code == 0, result.stderr
    assert problems(control, DEFAULT_STACK, run.state_path) == []
    assert run("plan", DEFAULT_STACK).exit_code == 0  # nothing pending: no duplicate to remove


def test_teardown_killed_after_each_mutating_call_then_rerun_leaves_nothing(control, spawn, run, teardown_k):
    assert run("provision", DEFAULT_STACK).exit_code == 0
    control.request("POST", "stats/reset")
    kill_at(control, spawn, "teardown", run.state_path, teardown_k)
    result = run("teardown", DEFAULT_STACK)
    assert result.exit_code == 0, result.stderr
    assert control.resources() == {}
    assert not os.path.exists(run.state_path)
