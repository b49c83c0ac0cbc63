"""Fixtures of the emulator tests beyond tests/conftest.py: a test network, and a timed emulator whose clock
the tests move (helpers live in tests/localcloud/helpers.py)."""

from __future__ import annotations

import pytest

from localcloud.server import serve_in_thread, stop
from tests.helpers import remember
from tests.localcloud.helpers import TimedCloud, make_network


@pytest.fixture(scope="module")
def timed_server():
    """An emulator at speed 1 (real durations) whose clock the tests move with POST /_localcloud/advance."""
    server, _ = serve_in_thread(None, speed=1.0, runtime=False)
    yield remember(server)
    stop(server)


@pytest.fixture
def timed(timed_server) -> TimedCloud:
    """The timed emulator, reset for this test."""
    timed_server.emulator.reset()
    return TimedCloud(timed_server.url)


@pytest.fixture
def net(ecs, vpc):
    """A VPC with a vSwitch and a security group on the shared (instant) emulator."""
    return make_network(ecs, vpc)
