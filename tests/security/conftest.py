"""Fixtures of the security tests (helpers live in tests/security/helpers.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def url(emulator) -> str:
    return emulator.url
