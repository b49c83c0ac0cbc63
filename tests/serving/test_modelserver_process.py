"""The model server as the instance runs it: `python modelserver.py` under uvicorn on a loopback port."""

from __future__ import annotations

import concurrent.futures
import json
import signal
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from provisioner.serving import modelserver
from tests.helpers import eventually
from tests.serving.helpers import free_port

ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5], [6.3, 2.5, 4.9, 1.5]]


def get(url: str) -> tuple[int, dict, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, dict(r.headers), json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read())


def post(url: str, body: dict) -> tuple[int, dict, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, dict(r.headers), json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read())


def start(model_dir, port: int, instance: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            modelserver.__file__,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--model-dir",
            str(model_dir),
        ],
        env={"FLEET_INSTANCE_ID": instance, "PATH": "/usr/bin:/bin"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_ready(base: str, process: subprocess.Popen, deadline_s: float) -> None:
    """Until /v2/health/ready says 200; fails if the process dies or the deadline passes."""

    def ready() -> bool:
        assert process.poll() is None, process.stderr.read().decode()
        try:
            return get(base + "/v2/health/ready")[0] == 200
        except (urllib.error.URLError, ConnectionError):
            return False

    eventually(ready, f"the model server at {base} to be ready", timeout=deadline_s)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    model_dir = tmp_path_factory.mktemp("disk")
    port = free_port()
    process = start(model_dir, port, "i-proc")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, process, 30)
        yield base, model_dir, process
    finally:
        process.terminate()
        process.wait(10)


def test_a_restarted_server_loads_the_saved_model_instead_of_retraining(server, tmp_path):
    _, model_dir, _ = server  # the module's server already trained and saved the model there
    saved = model_dir / modelserver.MODEL_FILE
    before = (saved.read_bytes(), saved.stat().st_mtime_ns)
    port = free_port()
    process = start(model_dir, port, "i-restart")
    try:
        wait_ready(f"http://127.0.0.1:{port}", process, 30)
    finally:
        process.terminate()
        process.wait(10)
    log = process.stderr.read().decode()
    assert "ready from" in log and "training" not in log  # loaded, not trained (bench/modelserver.py times it)
    assert (saved.read_bytes(), saved.stat().st_mtime_ns) == before  # and the saved model was not rewritten


def test_concurrent_requests_all_get_the_models_answer(server):
    base, model_dir, _ = server
    expected = modelserver.predict(model_dir, ROWS)
    body = {"inputs": [{"name": "input-0", "shape": [4, 4], "datatype": "FP32", "data": ROWS}]}

    def one(i):
        status, headers, answer = post(f"{base}/v2/models/iris/infer", dict(body, id=str(i)))
        return status, headers.get("X-Fleet-Instance") or headers.get("x-fleet-instance"), answer

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        results = list(pool.map(one, range(160)))
    assert {r[0] for r in results} == {200}
    assert {r[1] for r in results} == {"i-proc"}
    assert all(r[2]["outputs"][0]["data"] == expected and r[2]["id"] == str(i) for i, r in enumerate(results))


def test_the_process_answers_v2_errors_as_json(server):
    base, _, _ = server
    status, _, body = post(f"{base}/v2/models/iris/infer", {"inputs": [{"name": "x"}]})
    assert status == 400
    assert "'inputs[0].name'" in body["error"]


def test_sigterm_stops_the_server_cleanly(tmp_path, trained_dir):
    port = free_port()
    process = start(trained_dir, port, "i-term")
    wait_ready(f"http://127.0.0.1:{port}", process, 30)
    process.send_signal(signal.SIGTERM)
    # uvicorn finishes in-flight requests, then re-raises the signal (systemd counts that as a clean stop).
    assert process.wait(15) in (0, -signal.SIGTERM)
    assert "Finished server process" in process.stderr.read().decode()
