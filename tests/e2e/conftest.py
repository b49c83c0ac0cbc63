"""Fixtures for the end-to-end serving tests (helpers live in tests/e2e/helpers.py): an emulator with its
local runtime on (real model server processes, real loopback balancers) and the provisioner's CLI in-process."""

from __future__ import annotations

import types

import pytest

from tests.e2e.helpers import HEALTH_SCALE, run_cli, write_stack
from tests.helpers import fresh_runtime, sdk_config


@pytest.fixture
def cloud(runtime_server, tmp_path):
    """The runtime emulator, reset, with fast health checks; SDK clients; the CLI; the stack file."""
    from alibabacloud_ecs20140526.client import Client as EcsClient
    from alibabacloud_slb20140515.client import Client as SlbClient

    control = fresh_runtime(runtime_server, HEALTH_SCALE)
    config = sdk_config(runtime_server.url)
    c = types.SimpleNamespace(
        url=runtime_server.url,
        control=control,
        ecs=EcsClient(config),
        slb=SlbClient(config),
        tmp=tmp_path,
        state=str(tmp_path / "state.json"),
    )
    c.stack = lambda **changes: write_stack(tmp_path, **changes)
    c.cli = lambda *args, **kw: run_cli(c, *args, **kw)
    yield c
    runtime_server.emulator.reset()
