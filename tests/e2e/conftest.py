"""Fixtures for the end-to-end serving tests: an emulator with its local runtime on (real model server
processes, real loopback balancers), the provisioner's CLI in-process, and a steady request stream."""
from __future__ import annotations

import json
import time
import types

import pytest
from click.testing import CliRunner

from e2e_support import write_stack
from provisioner.cli import cli
from tests.conftest import sdk_config
from tests.runtime_support import fresh_runtime

HEALTH_SCALE = 0.2          # the runtime's health checks run every interval x 0.2 real seconds


@pytest.fixture
def cloud(runtime_server, tmp_path):
    """The runtime emulator, reset, with fast health checks; SDK clients; the CLI; the stack file."""
    from alibabacloud_ecs20140526.client import Client as EcsClient
    from alibabacloud_slb20140515.client import Client as SlbClient

    control = fresh_runtime(runtime_server, HEALTH_SCALE)
    config = sdk_config(runtime_server.url)
    c = types.SimpleNamespace(url=runtime_server.url, control=control, ecs=EcsClient(config),
                              slb=SlbClient(config), tmp=tmp_path, state=str(tmp_path / "state.json"))
    c.stack = lambda **changes: write_stack(tmp_path, **changes)
    c.cli = lambda *args, **kw: run_cli(c, *args, **kw)
    yield c
    runtime_server.emulator.reset()


def run_cli(c, command: str, stack: str, *extra: str, as_json: bool = True):
    args = [command, "--stack", stack, "--endpoint", c.url, "--state", c.state, *extra]
    if as_json:
        args.append("--json")
    if command == "teardown":
        args.append("--yes")
    started = time.monotonic()
    res = CliRunner().invoke(cli, args, catch_exceptions=False)
    doc = json.loads(res.stdout) if as_json and res.stdout.strip() else None
    return types.SimpleNamespace(exit_code=res.exit_code, doc=doc, stdout=res.stdout, stderr=res.stderr,
                                 seconds=time.monotonic() - started)
