"""The shared polling helper: eventually() returns the first truthy value, or fails naming what it waited for."""

from __future__ import annotations

import pytest

from tests.helpers import eventually


def test_eventually_returns_the_first_truthy_value():
    values = iter([None, 0, "", "ready"])
    assert eventually(lambda: next(values), "the third poll", interval=0) == "ready"


def test_eventually_fails_naming_what_it_waited_for_and_the_last_value():
    with pytest.raises(AssertionError, match=r"after 0.05s waiting for the queue to drain \(last: 0\)"):
        eventually(lambda: 0, "the queue to drain", timeout=0.05, interval=0.01)
