"""Helpers shared by the provisioner tests: stack files derived from stacks/default.yaml, the
environment of a subprocess run, and the emulator's resources tagged for a stack."""
from __future__ import annotations

import copy
import os

import yaml

from provisioner import TOOL

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_STACK = os.path.join(ROOT, "stacks", "default.yaml")


def load_default() -> dict:
    with open(DEFAULT_STACK, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def merged(base: dict, changes: dict) -> dict:
    """Deep-merge `changes` into a copy of `base`; a value of None deletes the key."""
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


def subprocess_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"
    return env


def tagged(control, stack_name: str) -> dict[str, list[dict]]:
    """Every resource the emulator holds with this stack's tags, by kind (GET /_localcloud/resources)."""
    out: dict[str, list[dict]] = {}
    for kind, items in control.resources().items():
        mine = [o for o in items if (o.get("tags") or {}).get("fleet:stack") == stack_name
                and (o.get("tags") or {}).get("managed-by") == TOOL]
        if mine:
            out[kind] = mine
    return out
