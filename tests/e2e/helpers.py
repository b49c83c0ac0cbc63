"""Helpers of the end-to-end tests (fixtures live in conftest.py): stack files, the CLI in-process, and a
bounded inference load: keep-alive clients in threads, every answer checked."""

from __future__ import annotations

import http.client
import json
import os
import random
import threading
import time
import types
from dataclasses import dataclass
from urllib.parse import urlsplit

import yaml
from click.testing import CliRunner

from provisioner.cli import cli
from provisioner.serving import modelserver
from tests.helpers import DEFAULT_STACK, ROOT, eventually

HEALTH_SCALE = 0.2  # the runtime's health checks run every interval x 0.2 real seconds


def write_stack(directory, count: int = 3, drain_seconds: int = 1, name: str = "stack.yaml") -> str:
    """stacks/default.yaml with `count` instances and the shortest health check the SLB takes."""
    with open(DEFAULT_STACK, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    data["instances"]["count"] = count
    data["load_balancer"]["drain_seconds"] = drain_seconds
    data["load_balancer"]["health_check"].update(interval=1, healthy_threshold=2, unhealthy_threshold=2)
    path = os.path.join(str(directory), name)
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(data, handle, sort_keys=False)
    return path


def iris_rows(n: int, seed: int = 5) -> list[list[float]]:
    """n flowers: rows of scikit-learn's iris data with a little noise (so answers are not memorised)."""
    from sklearn.datasets import load_iris

    data = load_iris().data.tolist()
    rng = random.Random(seed)
    return [[round(v + rng.uniform(-0.2, 0.2), 2) for v in rng.choice(data)] for _ in range(n)]


def infer_body(rows) -> bytes:
    return json.dumps(
        {"inputs": [{"name": "input-0", "shape": [len(rows), 4], "datatype": "FP32", "data": rows}]}
    ).encode()


@dataclass
class Answer:
    started: float
    ended: float
    status: int  # 0: no HTTP answer at all
    instance: str | None
    predict: list | None
    rows: list


class Client:
    """One keep-alive connection to the endpoint; reconnects after a failure."""

    def __init__(self, url: str, timeout: float = 10.0):
        split = urlsplit(url)
        self.host, self.port, self.timeout = split.hostname, split.port or 80, timeout
        self.conn: http.client.HTTPConnection | None = None

    def infer(self, rows) -> Answer:
        started = time.monotonic()
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            self.conn.request(
                "POST", "/v2/models/iris/infer", body=infer_body(rows), headers={"Content-Type": "application/json"}
            )
            resp = self.conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException):
            self.close()
            return Answer(started, time.monotonic(), 0, None, None, rows)
        predict = None
        if resp.status == 200:
            outputs = json.loads(data)["outputs"]
            predict = next(o["data"] for o in outputs if o["name"] == "predict")
        return Answer(started, time.monotonic(), resp.status, resp.getheader("X-Fleet-Instance"), predict, rows)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Stream:
    """`threads` clients sending inference requests back to back until stop(); answers are kept in order."""

    def __init__(self, url: str, threads: int = 3, rows_per_request: int = 2):
        self.url, self.threads_n, self.rows_per_request = url, threads, rows_per_request
        self.answers: list[Answer] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.rows = iris_rows(400, seed=11)

    def __enter__(self) -> Stream:
        for n in range(self.threads_n):
            thread = threading.Thread(target=self._run, args=(n,), daemon=True, name=f"stream-{n}")
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> list[Answer]:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
        return self.answers

    def _run(self, n: int) -> None:
        client = Client(self.url)
        i = n
        while not self._stop.is_set():
            rows = [self.rows[(i + k) % len(self.rows)] for k in range(self.rows_per_request)]
            answer = client.infer(rows)
            with self._lock:
                self.answers.append(answer)
            i += self.threads_n
        client.close()

    def count(self) -> int:
        with self._lock:
            return len(self.answers)

    def wait_for(self, n: int, timeout: float = 30.0) -> None:
        """Until at least n more answers arrived (the stream is really flowing)."""
        target = self.count() + n
        eventually(
            lambda: self.count() >= target,
            f"{n} more answers of the stream (it stalls?)",
            timeout=timeout,
            interval=0.02,
        )


class Oracle:
    """The model's own predictions: each instance's saved model, loaded from its model dir, or a
    reference model trained the same way (the recipe is deterministic)."""

    def __init__(self, reference_dir):
        self.reference = modelserver.load_or_train(reference_dir)
        self._by_dir: dict[str, object] = {}

    def predict(self, rows, model_dir: str | None = None) -> list[int]:
        estimator = self.reference
        if model_dir is not None:
            if model_dir not in self._by_dir:
                self._by_dir[model_dir] = modelserver.load_or_train(model_dir)
            estimator = self._by_dir[model_dir]
        return modelserver.run_model(estimator, rows)["predict"]

    def wrong(self, answers: list[Answer]) -> list[Answer]:
        """Answers that failed or that disagree with the model."""
        return [a for a in answers if a.status != 200 or a.predict != self.predict(a.rows)]


def pids_alive(pids) -> list[int]:
    """The pids of the list that still name a process."""
    alive = []
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        alive.append(pid)
    return alive


def run_cli(c, command: str, stack: str, *extra: str, as_json: bool = True):
    args = [command, "--stack", stack, "--endpoint", c.url, "--state", c.state, *extra]
    if as_json:
        args.append("--json")
    if command == "teardown":
        args.append("--yes")
    started = time.monotonic()
    res = CliRunner().invoke(cli, args, catch_exceptions=False)
    doc = json.loads(res.stdout) if as_json and res.stdout.strip() else None
    return types.SimpleNamespace(
        exit_code=res.exit_code, doc=doc, stdout=res.stdout, stderr=res.stderr, seconds=time.monotonic() - started
    )
