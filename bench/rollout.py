"""Rollout figures: a rolling replacement of every instance (a new server env: a new template) at N = 3
(max_surge 1: 3 batches) and N = 50 (max_surge 25%: 13 at a time), under the emulator's realistic latency
profile with its runtime off, beside the rollout's critical path."""

from __future__ import annotations

import math
import os
import tempfile

import yaml

from localcloud.profile import DURATIONS

from .common import ROOT, control, emulator_process, row
from .provisioner import SPEED, _run

DRAIN = 10


def critical_path(count: int, surge: int, speed: float) -> tuple[float, int]:
    """(seconds, batches): batches x (boot + the health threshold's checks + drain), plus the data disk's
    move (detach, attach) in the disk holder's batch and the last batch's release. The holder (attach:
    first) goes last, alone. With the runtime off a Running backend is `normal` at once, so the health
    checks add nothing here (on a VM: healthy_threshold x interval after the server answers)."""
    d = {k: v / speed for k, v in DURATIONS.items()}
    others = count - 1
    batches = math.ceil(others / surge) + 1
    boot = d["instance.pending"] + d["instance.starting"]
    return batches * (boot + 0.0 + DRAIN) + d["disk.detach"] + d["disk.attach"] + d["instance.release"], batches


def _stacks(directory: str, count: int, surge) -> tuple[str, str]:
    with open(os.path.join(ROOT, "stacks", "default.yaml")) as handle:
        stack = yaml.safe_load(handle)
    stack["name"] = f"bench-roll-n{count}"
    stack["instances"]["count"] = count
    stack["load_balancer"]["drain_seconds"] = DRAIN
    stack["rollout"] = {"max_surge": surge}
    paths = []
    for name, env in (("base", None), ("changed", {"MODEL_VERSION": "2"})):
        if env:
            stack["serving"]["server"] = {"env": env}
        path = os.path.join(directory, f"bench-roll-n{count}-{name}.yaml")
        with open(path, "w") as handle:
            yaml.safe_dump(stack, handle)
        paths.append(path)
    return paths[0], paths[1]


def main() -> None:
    print(f"rollout against localcloud --speed {SPEED:g} --no-runtime; drain_seconds {DRAIN}")
    with tempfile.TemporaryDirectory() as tmp, emulator_process("--speed", str(SPEED), "--no-runtime") as (url, _):
        control(url, "PUT", "config", {"instance_quota": 1000})
        for count, surge in ((3, 1), (50, "25%")):
            base, changed = _stacks(tmp, count, surge)
            state = os.path.join(tmp, f"bench-roll-n{count}.json")
            _run(url, "provision", base, state)
            wall, calls, doc = _run(url, "provision", changed, state)
            run_s = float(doc.get("duration_s", wall))
            n_surge = math.ceil(count * 0.25) if isinstance(surge, str) else surge
            path, batches = critical_path(count, n_surge, SPEED)
            roll = doc.get("rollout") or {}
            row(
                f"  N = {count:<3} max_surge {surge!s:<4} {calls['total']:>5} calls ({calls['mutating']} mutating)",
                f"{roll.get('batches')} batches (expected {batches}), {len(roll.get('replaced', []))} replaced,"
                f" run {run_s:6.1f} s, critical path {path:6.1f} s, {run_s / path:.2f}x",
            )
            _run(url, "teardown", changed, state)


if __name__ == "__main__":
    main()
