"""Fixtures of the emulator tests beyond tests/conftest.py: a timed emulator whose clock the tests move."""
from __future__ import annotations

import pytest

from localcloud.server import serve_in_thread, stop
from tests.conftest import remember


@pytest.fixture(scope="module")
def timed_server():
    """An emulator at speed 1 (real durations) whose clock the tests move with POST /_localcloud/advance."""
    server, _ = serve_in_thread(None, speed=1.0, runtime=False)
    yield remember(server)
    stop(server)
