"""Helpers of the serving tests (fixtures live in conftest.py): tool lookup, the cloud-config schema and its
scripts, free ports, a VM root."""

from __future__ import annotations

import base64
import shlex
import shutil
import socket
import sys
from pathlib import Path

import yaml

# cloud-init's schema ships only in the distribution package (Debian: apt-get install cloud-init).
SCHEMA = Path("/usr/lib/python3/dist-packages/cloudinit/config/schemas/schema-cloud-config-v1.json")


def tool(name: str) -> str | None:
    """A command from the venv (pip-installed tools such as shellcheck) or else from PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


def shell_snippets(text: str) -> dict[str, tuple[str, str]]:
    """Every shell script a cloud-config carries: write_files scripts and each runcmd line, as (shell, text)."""
    doc = yaml.safe_load(text)
    found = {}
    for entry in doc.get("write_files", []):
        if entry["content"].startswith("#!"):
            shell = "bash" if entry["content"].split("\n", 1)[0].endswith("bash") else "sh"
            found[entry["path"]] = (shell, entry["content"])
    for i, line in enumerate(doc.get("runcmd", [])):
        command = line if isinstance(line, str) else shlex.join(line)
        found[f"runcmd[{i}]"] = ("sh", f"#!/bin/sh\n{command}\n")  # cloud-init runs runcmd with sh
    return found


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
