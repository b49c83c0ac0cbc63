"""Fixtures for the provisioner tests (helpers live in tests/provisioner/helpers.py): stack files, the CLI
in-process (click's CliRunner) or as a subprocess pointed at the shared emulator, a step context, and the
cloud as the SDK and control API see it."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from provisioner import retry
from provisioner.steps import common
from tests.provisioner.helpers import ROOT, cli_invoker, load_default, merged, subprocess_env


@pytest.fixture
def write_stack(tmp_path):
    """write_stack(name="x", instances={"count": 5}) -> path of a stack file based on stacks/default.yaml."""

    def write(filename: str = "stack.yaml", **changes) -> str:
        data = merged(load_default(), changes)
        path = tmp_path / filename
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return str(path)

    return write


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    """Retries and waits never really sleep in these tests (the emulator runs in instant mode)."""
    monkeypatch.setattr(retry, "sleep", lambda seconds: None)
    monkeypatch.setattr(common, "sleep", lambda seconds: None)


@pytest.fixture
def run(emulator, tmp_path):
    """run("provision", stack_path, *extra) -> Result: the CLI in-process with --json, against the emulator."""
    return cli_invoker(emulator.url, str(tmp_path / "state" / "stack.json"))


@pytest.fixture
def spawn(emulator, tmp_path):
    """spawn("provision", stack_path, state_path) -> Popen of `python -m provisioner ...` (for kill tests)."""
    procs = []

    def start(command: str, stack: str, state_path: str, *extra: str) -> subprocess.Popen:
        args = [
            sys.executable,
            "-m",
            "provisioner",
            command,
            "--stack",
            stack,
            "--endpoint",
            emulator.url,
            "--state",
            state_path,
            "--json",
            *extra,
        ]
        proc = subprocess.Popen(
            args, cwd=ROOT, env=subprocess_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


@pytest.fixture
def make_ctx(emulator, tmp_path):
    """make_ctx(stack_path=DEFAULT_STACK) -> a step Context against the emulator (library-level tests)."""
    from provisioner.cloud import Cloud
    from provisioner.spec import load_stack
    from provisioner.state import State
    from provisioner.steps.common import Context
    from provisioner.target import resolve
    from provisioner.tokens import TokenBook
    from tests.provisioner.helpers import DEFAULT_STACK

    def make(stack_path: str = DEFAULT_STACK, endpoint: str | None = None) -> Context:
        spec = load_stack(stack_path)
        target = resolve(spec.target, None, endpoint or emulator.url)
        state = State.load(str(tmp_path / "ctx-state.json"), spec.name)
        return Context(spec, Cloud(target, spec.region), state, TokenBook(state, spec.name))

    return make
