"""Fixtures of the emulator tests beyond tests/conftest.py: a test network, and a timed emulator whose clock
the tests move (helpers live in tests/localcloud/helpers.py)."""
from __future__ import annotations

import functools

import pytest
from alibabacloud_ecs20140526.client import Client as EcsClient
from alibabacloud_slb20140515.client import Client as SlbClient
from alibabacloud_vpc20160428.client import Client as VpcClient

from localcloud.server import serve_in_thread, stop
from tests.helpers import Control, remember, sdk_config
from tests.localcloud.helpers import make_network


@pytest.fixture(scope="module")
def timed_server():
    """An emulator at speed 1 (real durations) whose clock the tests move with POST /_localcloud/advance."""
    server, _ = serve_in_thread(None, speed=1.0, runtime=False)
    yield remember(server)
    stop(server)


class TimedCloud:
    """The timed emulator as the tests see it: SDK clients, its control API, and a ready network made on first use."""

    def __init__(self, url: str):
        self.control = Control(url)
        self.ecs = EcsClient(sdk_config(url))
        self.vpc = VpcClient(sdk_config(url))
        self.slb = SlbClient(sdk_config(url))

    @functools.cached_property
    def net(self):
        return make_network(self.ecs, self.vpc, self.control)


@pytest.fixture
def timed(timed_server) -> TimedCloud:
    """The timed emulator, reset for this test."""
    timed_server.emulator.reset()
    return TimedCloud(timed_server.url)


@pytest.fixture
def net(ecs, vpc):
    """A VPC with a vSwitch and a security group on the shared (instant) emulator."""
    return make_network(ecs, vpc)
