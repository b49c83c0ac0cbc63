"""Serving figures: inference requests/s and p50/p99 latency through the local SLB with 1, 2 and 3
backends, beside straight to one backend (the balancer's overhead as a ratio), on this machine.

The fleet is the default stack (3 instances, the built-in iris model server) provisioned by the CLI on
localcloud with its runtime on; the load is a fixed number of requests at a fixed concurrency, from
keep-alive HTTP clients in LOAD_PROCESSES processes, loopback only. Fewer backends are in rotation by
SetBackendServers weight 0, as a drain does.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from urllib.parse import urlsplit

import yaml

from .common import REGION, ROOT, control, emulator_process, row, run_cli, sdk_config

REQUESTS = int(os.environ.get("BENCH_SERVING_REQUESTS", "2000"))  # per measurement
ROUNDS = 3  # interleaved; each row is the median
CONCURRENCY = int(os.environ.get("BENCH_SERVING_CONCURRENCY", "8"))  # requests in flight
LOAD_PROCESSES = 2  # the load generator's processes
WARMUP = 200
BODY = json.dumps(
    {
        "inputs": [
            {
                "name": "input-0",
                "shape": [2, 4],
                "datatype": "FP32",
                "data": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]],
            }
        ]
    }
).encode()
PATH = "/v2/models/iris/infer"


def _client_thread(host: str, port: int, count: int, out: list, errors: list) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    headers = {"Content-Type": "application/json"}
    for _ in range(count):
        started = time.perf_counter()
        try:
            conn.request("POST", PATH, body=BODY, headers=headers)
            resp = conn.getresponse()
            resp.read()
            ok = resp.status == 200
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=30)
            ok = False
        out.append(time.perf_counter() - started)
        if not ok:
            errors.append(1)
    conn.close()


def _load_process(url: str, count: int, threads: int) -> tuple[float, float, list[float], int]:
    """One load process: `threads` keep-alive clients sharing `count` requests; (start, end, latencies, errors)."""
    split = urlsplit(url)
    latencies: list[float] = []
    errors: list[int] = []
    shares = [count // threads + (1 if n < count % threads else 0) for n in range(threads)]
    workers = [
        threading.Thread(target=_client_thread, args=(split.hostname, split.port, share, latencies, errors))
        for share in shares
    ]
    start = time.time()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return start, time.time(), latencies, len(errors)


def measure(pool: ProcessPoolExecutor, url: str, count: int = REQUESTS, concurrency: int = CONCURRENCY) -> dict:
    """`count` requests, `concurrency` in flight, split over the load processes."""
    per_process = [count // LOAD_PROCESSES + (1 if n < count % LOAD_PROCESSES else 0) for n in range(LOAD_PROCESSES)]
    threads = max(1, concurrency // LOAD_PROCESSES)
    results = list(pool.map(_load_process, [url] * LOAD_PROCESSES, per_process, [threads] * LOAD_PROCESSES))
    wall = max(r[1] for r in results) - min(r[0] for r in results)
    latencies = sorted(x for r in results for x in r[2])
    return {
        "rps": len(latencies) / wall,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "errors": sum(r[3] for r in results),
        "n": len(latencies),
    }


def _stack(directory: str) -> str:
    with open(os.path.join(ROOT, "stacks", "default.yaml")) as handle:
        stack = yaml.safe_load(handle)
    stack["name"] = "bench-serving"
    stack["load_balancer"]["drain_seconds"] = 0
    stack["load_balancer"]["health_check"].update(interval=1, healthy_threshold=2, unhealthy_threshold=2)
    path = os.path.join(directory, "bench-serving.yaml")
    with open(path, "w") as handle:
        yaml.safe_dump(stack, handle)
    return path


def _cli(url: str, command: str, stack: str, state: str) -> dict:
    return run_cli(url, command, stack, state, timeout=600)[1]


def _set_weights(slb, lb_id: str, weights: dict[str, int]) -> None:
    from alibabacloud_slb20140515 import models as slb_models

    servers = json.dumps([{"ServerId": sid, "Weight": str(w), "Type": "ecs"} for sid, w in weights.items()])
    slb.set_backend_servers(
        slb_models.SetBackendServersRequest(region_id=REGION, load_balancer_id=lb_id, backend_servers=servers)
    )


def _median(runs: list[dict]) -> dict:
    """The round with the median requests/s (its latencies with it), errors summed over the rounds."""
    chosen = sorted(runs, key=lambda m: m["rps"])[len(runs) // 2]
    return {**chosen, "errors": sum(m["errors"] for m in runs)}


def _line(label: str, m: dict, extra: str = "") -> None:
    row(
        label,
        f"{m['rps']:7.0f} req/s   p50 {m['p50']:6.2f} ms   p99 {m['p99']:6.2f} ms"
        f"{'   ' + str(m['errors']) + ' errors' if m['errors'] else ''}{extra}",
    )


def main() -> None:
    from alibabacloud_slb20140515.client import Client as SlbClient

    print(
        f"inference (2 iris rows, OIP v2 JSON) on {os.cpu_count()} CPUs: "
        f"median of {ROUNDS} rounds of {REQUESTS} requests, "
        f"{CONCURRENCY} in flight from {LOAD_PROCESSES} load processes, keep-alive, loopback;\n"
        f"  the servers, the balancer (in the emulator) and the load share these {os.cpu_count()} CPUs, so more"
        " backends add no CPU: the rows show the balancer's cost, not scale-out"
    )
    with (
        tempfile.TemporaryDirectory() as tmp,
        emulator_process("--instant") as (url, _pid),
        ProcessPoolExecutor(max_workers=LOAD_PROCESSES) as pool,
    ):
        control(url, "PUT", "runtime/config", {"health_interval_scale": 0.2})
        stack, state = _stack(tmp), os.path.join(tmp, "state.json")
        started = time.monotonic()
        doc = _cli(url, "provision", stack, state)
        row("provision 3 instances until every backend is healthy", f"{time.monotonic() - started:.1f}", "s")
        lb_id = next(r["id"] for r in doc["resources"] if r["role"] == "load-balancer")
        ids = doc["instances"]
        workloads = {w["instance_id"]: w for w in control(url, "GET", "runtime")["instances"]}
        first = workloads[ids[0]]
        direct = f"http://{first['address']}:{first['port']}"
        endpoint = doc["endpoint"]
        slb = SlbClient(sdk_config(url))
        measure(pool, direct, WARMUP)
        measure(pool, endpoint, WARMUP)
        # ROUNDS interleaved rounds, each row the median round: a burst of other work on the machine
        # then spoils one round of every row rather than one row.
        rounds: dict[str, list[dict]] = {}
        for _ in range(ROUNDS):
            rounds.setdefault("direct", []).append(measure(pool, direct))
            for n in (1, 2, 3):
                _set_weights(slb, lb_id, {sid: (100 if k < n else 0) for k, sid in enumerate(ids)})
                time.sleep(0.3)
                rounds.setdefault(n, []).append(measure(pool, endpoint))
        base = _median(rounds["direct"])
        _line("straight to one backend (no balancer)", base)
        for n in (1, 2, 3):
            m = _median(rounds[n])
            _line(f"through the SLB, {n} backend{'s' if n > 1 else ''}", m, f"   {m['rps'] / base['rps']:.2f}x direct")
        _cli(url, "teardown", stack, state)
        left = control(url, "GET", "runtime")
        row("after teardown: workloads, balancers left", f"{len(left['instances'])}, {len(left['listeners'])}")


if __name__ == "__main__":
    main()
