"""Helpers shared by the serving tests: tool lookup, free ports, a temporary VM root."""
from __future__ import annotations

import base64
import shutil
import socket
import sys
from pathlib import Path

import yaml


def tool(name: str) -> str | None:
    """A command from the venv (pip-installed tools such as shellcheck) or else from PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def materialise(user_data_b64: str, root: Path) -> dict:
    """Writes every write_files entry of the user data under root, as cloud-init (or localcloud) would."""
    document = yaml.safe_load(base64.b64decode(user_data_b64).decode())
    for entry in document["write_files"]:
        path = root / entry["path"].lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(entry["content"])
        path.chmod(int(entry["permissions"], 8))
    return document


def fake_venv_python(root: Path) -> Path:
    """{root}/opt/fleet/venv/bin/python standing in for the VM's venv: it runs this test interpreter."""
    python = root / "opt/fleet/venv/bin/python"
    python.parent.mkdir(parents=True, exist_ok=True)
    python.write_text(f'#!/bin/sh\nexec {sys.executable} "$@"\n')
    python.chmod(0o755)
    return python
