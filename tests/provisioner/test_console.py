"""Progress on stderr: one rewritten line on a terminal, thinned plain lines elsewhere."""

from __future__ import annotations

import io
import logging

from provisioner.console import ConsoleHandler


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def record(message: str, progress: bool) -> logging.LogRecord:
    rec = logging.LogRecord("provisioner.steps", logging.INFO, __file__, 1, message, None, None)
    if progress:
        rec.progress = True
    return rec


def test_on_a_terminal_waits_rewrite_one_status_line():
    stream = Terminal()
    handler = ConsoleHandler(stream, tty=True)
    for n in range(3):
        handler.emit(record(f"waiting for 3 instance(s) to be Running: {n}/3 Running", True))
    handler.emit(record("instances: done", False))
    text = stream.getvalue()
    assert text.count("\r") >= 4 and text.count("\n") == 1
    assert text.rstrip().endswith("instances: done")


def test_without_a_terminal_waits_are_plain_lines_thinned_out():
    stream = io.StringIO()
    handler = ConsoleHandler(stream, tty=False)
    for n in range(20):
        handler.emit(record(f"waiting for 3 instance(s) to be Running: {n}/3 Running", True))
    handler.emit(record("instances: done", False))
    lines = stream.getvalue().splitlines()
    assert lines == ["waiting for 3 instance(s) to be Running: 0/3 Running", "instances: done"]
    assert "\r" not in stream.getvalue()
