"""Helpers of the security tests (fixtures live in conftest.py): raw HTTP exchanges with the emulator and its
answers parsed; the default stack as a dict, stack files, and the CLI run in-process against the shared emulator
with the API calls it made counted."""

from __future__ import annotations

import copy
import json
import os
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import yaml
from click.testing import CliRunner

from localcloud.credentials import TOKEN_HEADER
from provisioner.cli import cli
from tests.helpers import credentials_for


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    rest: bytes

    def json(self) -> dict:
        return json.loads(self.body)


def address(url: str) -> tuple[str, int]:
    split = urlsplit(url)
    return split.hostname, split.port


def exchange(url: str, data: bytes, timeout: float = 20.0, half_close: bool = True) -> bytes:
    """Send raw bytes on a fresh connection, then read until the server closes it."""
    with socket.create_connection(address(url), timeout=timeout) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def parse(raw: bytes, head_only: bool = False) -> Answer:
    """The first final (non-1xx) HTTP answer in `raw`."""
    while True:
        head, sep, rest = raw.partition(b"\r\n\r\n")
        assert sep, f"no complete HTTP head in {raw[:200]!r}"
        lines = head.decode("iso-8859-1").split("\r\n")
        version, status, _ = (lines[0] + " ").split(" ", 2)
        assert version in ("HTTP/1.0", "HTTP/1.1"), lines[0]
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if 100 <= int(status) < 200:
            raw = rest
            continue
        length = 0 if head_only else int(headers.get("content-length", "0"))
        return Answer(int(status), headers, rest[:length], rest[length:])


def request_bytes(url: str, method: str, path: str, body: bytes = b"", headers: dict | None = None) -> bytes:
    host, port = address(url)
    all_headers = {"Host": f"{host}:{port}", "Content-Length": str(len(body)), "Connection": "close"}
    all_headers.update(headers or {})
    head = "".join(f"{k}: {v}\r\n" for k, v in all_headers.items() if v is not None)
    return f"{method} {path} HTTP/1.1\r\n{head}\r\n".encode("latin-1") + body


def control_headers(url: str) -> dict:
    return {TOKEN_HEADER: credentials_for(url).control_token}


def is_api_error(doc: dict) -> bool:
    """The gateway's error document: what the SDKs parse (Code, Message) and a RequestId."""
    return {"RequestId", "Code", "Message"} <= set(doc) and all(isinstance(doc[k], str) for k in ("Code", "Message"))


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
