"""Helpers of the provisioner security tests: the default stack as a dict, stack files, and the CLI run
in-process against the shared emulator with the API calls it made counted."""
from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass

import yaml
from click.testing import CliRunner

from provisioner.cli import cli

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def default_stack() -> dict:
    with open(os.path.join(ROOT, "stacks", "default.yaml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def with_changes(changes: dict, base: dict | None = None) -> dict:
    """A deep copy of the default stack (or `base`) with `changes` merged in (None deletes a key)."""
    out = copy.deepcopy(base if base is not None else default_stack())
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = with_changes(value, out[key])
        else:
            out[key] = value
    return out


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str
    api_calls: int
    exception: BaseException | None

    @property
    def doc(self) -> dict:
        return json.loads(self.stdout)


def run_cli(emulator, args: list[str], reset: bool = True) -> CliResult:
    """The CLI in-process against `emulator` (reset first unless `reset` is False): exit code, output,
    and the API calls it made. Exceptions are caught so that a traceback shows up as `exception`."""
    if reset:
        emulator.emulator.reset()
    emulator.emulator.stats.reset()
    res = CliRunner().invoke(cli, [*args, "--endpoint", emulator.url], catch_exceptions=True)
    exception = res.exception if not isinstance(res.exception, SystemExit) else None
    return CliResult(res.exit_code, res.stdout, res.stderr, emulator.emulator.stats.total, exception)
