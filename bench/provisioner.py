"""Provisioner figures: API calls and wall time for provision, no-op provision and teardown at N = 3 and
N = 50, under the emulator's realistic latency profile, beside each run's critical path."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

import yaml

from localcloud.profile import DURATIONS

from .common import ROOT, control, emulator_process, row

SPEED = float(os.environ.get("BENCH_SPEED", "1"))


def critical_paths(speed: float) -> dict[str, float]:
    """The sum of the unavoidable waits along the longest dependency chain (profile durations / speed).

    provision: the VPC must be Available before its vSwitch is created, the vSwitch before RunInstances;
      the SLB (create until active) is settled before RunInstances too, beside the network; instances boot
      (Pending -> Starting -> Running); the data disk is attached once its instance runs (AttachDisk needs
      Running). The listener's start overlaps the boot.
      Health checks pass at once with the emulator's runtime off (its fallback: Running = normal).
    teardown: the data disk is detached (then deleted) before the instances are released; the security
      group and vSwitch go once the instances are gone; the VPC once its vSwitch is gone. The SLB branch
      (listener stop, delete) runs meanwhile.
    """
    d = {k: v / speed for k, v in DURATIONS.items()}
    provision = max(max(d["vpc.create"] + d["vswitch.create"], d["slb.create"]) + d["instance.pending"]
                    + d["instance.starting"] + d["disk.attach"],
                    d["slb.create"] + d["listener.start"])
    teardown = max(d["disk.detach"] + d["instance.release"] + d["vswitch.delete"] + d["vpc.delete"],
                   d["listener.stop"])
    return {"provision": provision, "noop": 0.0, "teardown": teardown}


def _stack_file(directory: str, count: int) -> str:
    with open(os.path.join(ROOT, "stacks", "default.yaml")) as handle:
        stack = yaml.safe_load(handle)
    stack["name"] = f"bench-n{count}"
    stack["instances"]["count"] = count
    stack["network"]["vpc_cidr"] = "10.0.0.0/16"
    path = os.path.join(directory, f"bench-n{count}.yaml")
    with open(path, "w") as handle:
        yaml.safe_dump(stack, handle)
    return path


def _run(url: str, command: str, stack: str, state: str) -> tuple[float, dict, dict]:
    before = control(url, "GET", "stats")
    args = [sys.executable, "-m", "provisioner", command, "--stack", stack, "--state", state, "--endpoint", url,
            "--json"] + (["--yes"] if command == "teardown" else [])
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    start = time.monotonic()
    proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    wall = time.monotonic() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{command} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    after = control(url, "GET", "stats")
    calls = {"total": after["total"] - before["total"], "mutating": after["mutating"] - before["mutating"]}
    return wall, calls, json.loads(proc.stdout)


def main() -> None:
    paths = critical_paths(SPEED)
    print(f"provisioner against localcloud --speed {SPEED:g} --no-runtime (realistic profile / {SPEED:g});"
          " wall = the whole CLI process, run = the command's own duration (no interpreter start)")
    startup = time.monotonic()
    subprocess.run([sys.executable, "-c", "import provisioner.cli, alibabacloud_ecs20140526.client"], cwd=ROOT,
                   check=True)
    row("interpreter start + SDK import", f"{time.monotonic() - startup:.2f}", "s")
    with tempfile.TemporaryDirectory() as tmp, emulator_process("--speed", str(SPEED), "--no-runtime") as (url, _):
        for count in (3, 50):
            control(url, "PUT", "config", {"instance_quota": 1000})
            stack = _stack_file(tmp, count)
            state = os.path.join(tmp, f"bench-n{count}.json")
            print(f"  N = {count}")
            for label, command in (("provision", "provision"), ("noop", "provision"), ("teardown", "teardown")):
                wall, calls, doc = _run(url, command, stack, state)
                run_s = float(doc.get("duration_s", wall))
                path = paths[label]
                ratio = f"{run_s / path:.2f}x critical path" if path else "no waits"
                row(f"    {label:<9} {calls['total']:>4} calls ({calls['mutating']} mutating)",
                    f"wall {wall:6.1f} s, run {run_s:6.1f} s, critical path {path:5.1f} s, {ratio}")


if __name__ == "__main__":
    main()
