"""Fixtures shared by every test folder (helpers live in tests/helpers.py): an emulator on a free port
(instant transitions), reset before each test, and the real SDK clients pointed at it.
Loopback only: proxies unset, ECS metadata disabled."""

from __future__ import annotations

import os

for _var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_var, None)
os.environ["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"

import pytest  # noqa: E402

from localcloud.server import serve_in_thread, stop  # noqa: E402
from tests.helpers import Control, remember, sdk_config  # noqa: E402


@pytest.fixture(scope="session")
def emulator_server(tmp_path_factory):
    server, _ = serve_in_thread(str(tmp_path_factory.mktemp("localcloud")), instant=True, runtime=False)
    yield remember(server)
    stop(server)


@pytest.fixture(scope="module")
def runtime_server(tmp_path_factory, request):
    """An emulator with its local runtime on (real workload processes, loopback balancers), one per test module."""
    name = request.module.__name__.rsplit(".", 1)[-1]
    server, _ = serve_in_thread(str(tmp_path_factory.mktemp(name)), instant=True, runtime=True)
    yield remember(server)
    stop(server)


@pytest.fixture
def emulator(emulator_server):
    """The running emulator, reset (no resources, no faults, no stats) for this test."""
    emulator_server.emulator.reset()
    return emulator_server


@pytest.fixture
def control(emulator) -> Control:
    return Control(emulator.url)


@pytest.fixture
def ecs(emulator):
    from alibabacloud_ecs20140526.client import Client

    return Client(sdk_config(emulator.url))


@pytest.fixture
def vpc(emulator):
    from alibabacloud_vpc20160428.client import Client

    return Client(sdk_config(emulator.url))


@pytest.fixture
def slb(emulator):
    from alibabacloud_slb20140515.client import Client

    return Client(sdk_config(emulator.url))
