"""Logging for the CLI: plain lines on stderr; on a terminal, waits show as one rewritten spinner line."""

from __future__ import annotations

import logging
import sys
import time
from typing import TextIO

SPINNER = "|/-\\"


class ConsoleHandler(logging.StreamHandler[TextIO]):
    """Records flagged `progress` (the waits' polls) rewrite one status line on a terminal, and are
    thinned to one line per wait every 15 s elsewhere; every other record is a plain line."""

    fleet_console = True

    def __init__(self, stream: TextIO, tty: bool) -> None:
        super().__init__(stream)
        self.tty = tty
        self._status_shown = False
        self._spin = 0
        self._last_plain: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if getattr(record, "progress", False):
                self._progress(record)
                return
            self._clear_status()
            super().emit(record)
        except Exception:  # noqa: BLE001 - logging must never break the run
            self.handleError(record)

    def _progress(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if self.tty:
            self._spin = (self._spin + 1) % len(SPINNER)
            width = 100
            self.stream.write(f"\r{SPINNER[self._spin]} {text[:width]:<{width}}")
            self.stream.flush()
            self._status_shown = True
            return
        key = text.split(":", 1)[0]
        now = time.monotonic()
        if now - self._last_plain.get(key, 0.0) >= 15.0:
            self._last_plain[key] = now
            super().emit(record)

    def _clear_status(self) -> None:
        if self._status_shown:
            self.stream.write("\r" + " " * 104 + "\r")
            self._status_shown = False


def setup(verbose: bool = False, quiet: bool = False) -> None:
    """Configure the provisioner's logging once, for this process (the CLI calls it)."""
    logger = logging.getLogger("provisioner")
    for handler in list(logger.handlers):
        if getattr(handler, "fleet_console", False):
            logger.removeHandler(handler)
    stream = sys.stderr
    handler = ConsoleHandler(stream, tty=hasattr(stream, "isatty") and stream.isatty())
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)
    logger.propagate = False
