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

from .common import ROOT, baseline, control, emulator_process, row, run_cli

SPEED = float(os.environ.get("BENCH_SPEED", "1"))


def critical_paths(speed: float) -> dict[str, float]:
    """The sum of the unavoidable waits along the longest dependency chain (profile durations / speed).

    provision: the VPC must be Available before its vSwitch is created, the vSwitch before RunInstances;
      the SLB (create until active) is settled before RunInstances too, beside the network; instances boot
      (Pending -> Starting -> Running), their data disk created with them (RunInstances DataDisk.1, so no
      attach waits for the boot). The listener's start overlaps the boot. Health checks pass at once with
      the emulator's runtime off (its fallback: Running = normal).
    teardown: the instances are released (their data disks come off with them, Available); their network
      interfaces linger (dependency.linger: the group, vSwitch and VPC answer DependencyViolation); then the
      vSwitch (with the disks and the security group meanwhile); the VPC once its vSwitch is gone. The
      SLB branch (listener stop, delete) runs meanwhile.
    """
    d = {k: v / speed for k, v in DURATIONS.items()}
    provision = max(
        max(d["vpc.create"] + d["vswitch.create"], d["slb.create"]) + d["instance.pending"] + d["instance.starting"],
        d["slb.create"] + d["listener.start"],
    )
    teardown = max(
        d["instance.release"] + d.get("dependency.linger", 0.0) + d["vswitch.delete"] + d["vpc.delete"],
        d["listener.stop"],
    )
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
    wall, doc = run_cli(url, command, stack, state)
    after = control(url, "GET", "stats")
    calls = {"total": after["total"] - before["total"], "mutating": after["mutating"] - before["mutating"]}
    return wall, calls, doc


def _figures(label: str, m: dict) -> str:
    path = m["critical_path"]
    ratio = f"{m['run'] / path:.2f}x" if path else "  -  "
    return (
        f"{label} wall {m['wall']:5.1f} s, {m['calls']:>4} calls ({m['mutating']:>2} mutating),"
        f" critical path {path:4.1f} s, run/path {ratio}"
    )


def main() -> None:
    paths = critical_paths(SPEED)
    before = baseline("provisioner") if SPEED == 1 else {}
    print(
        f"provisioner against localcloud --speed {SPEED:g} --no-runtime (realistic profile / {SPEED:g});"
        " wall = the whole CLI process, run = the command's own duration (no interpreter start)"
    )
    if before:
        print(f"  before: {before.get('note', '')}")
    startup = time.monotonic()
    subprocess.run(
        [sys.executable, "-c", "import provisioner.cli, alibabacloud_ecs20140526.client"], cwd=ROOT, check=True
    )
    row("interpreter start + SDK import", f"{time.monotonic() - startup:.2f}", "s")
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp, emulator_process("--speed", str(SPEED), "--no-runtime") as (url, _):
        for count in (3, 50):
            control(url, "PUT", "config", {"instance_quota": 1000})
            stack = _stack_file(tmp, count)
            state = os.path.join(tmp, f"bench-n{count}.json")
            print(f"  N = {count}")
            for label, command in (("provision", "provision"), ("noop", "provision"), ("teardown", "teardown")):
                wall, calls, doc = _run(url, command, stack, state)
                now = {
                    "wall": round(wall, 1),
                    "run": round(float(doc.get("duration_s", wall)), 1),
                    "calls": calls["total"],
                    "mutating": calls["mutating"],
                    "critical_path": round(paths[label], 1),
                }
                results[f"{count}:{label}"] = now
                old = before.get(f"{count}:{label}")
                print(f"    {label:<9} after  {_figures('', now)}", flush=True)
                if old:
                    print(
                        f"    {'':<9} before {_figures('', old)}   (wall {now['wall'] / old['wall']:.2f}x,"
                        f" calls {now['calls'] / old['calls']:.2f}x)"
                        if old["wall"]
                        else "",
                        flush=True,
                    )
    out = os.environ.get("BENCH_SAVE")
    if out:
        with open(out, "w") as handle:
            json.dump(results, handle, indent=1)


if __name__ == "__main__":
    main()
