"""Local runtime: a running SLB listener balances across healthy backends by weight, with health checks."""

from __future__ import annotations

import functools
import http.client
import json
import os
import random
import socket
import threading
import urllib.request
from collections import Counter

import pytest

from localcloud.runtime.testing import Stage, demo_user_data
from tests import helpers

pytestmark = pytest.mark.timeout(60)
LB = "lb-test"
# An address of its own, so that another emulator on this machine (a parallel test run) does not hold the port.
ADDRESS = f"127.88.{random.randint(100, 254)}.{random.randint(1, 254)}"

eventually = functools.partial(helpers.eventually, timeout=10.0, interval=0.02)


@pytest.fixture
def emulator(runtime_server):
    runtime_server.emulator.reset()
    runtime_server.emulator.cloud.runtime.config.update({"health_interval_scale": 0.05})
    yield runtime_server.emulator
    runtime_server.emulator.reset()


@pytest.fixture
def stage(emulator):
    return Stage(emulator)


@pytest.fixture
def runtime(emulator):
    return emulator.cloud.runtime


def fleet(stage, runtime, weights: dict[str, int], port: int = 80, **health) -> str:
    """Instances with the demo workload behind a started listener; returns the listener URL once all are normal."""
    for iid in weights:
        stage.instance(iid, demo_user_data())
    stage.load_balancer(LB, ADDRESS, weights)
    stage.listener(LB, port, 8000, **health)
    eventually(lambda: all(runtime.health(LB, port, iid) == "normal" for iid in weights), "every backend normal")
    return runtime.listener_url(LB, port)


def in_flight(runtime) -> dict[str, int]:
    """Requests the balancers are relaying now, by backend."""
    return {
        b["server_id"]: b["in_flight"]
        for lst in runtime.describe()["listeners"]
        for b in lst["backends"]
        if b["in_flight"]
    }


def get(url: str, timeout: float = 5.0) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def answers(url: str) -> bool:
    try:
        return get(url, timeout=2)[0] == 200
    except OSError:
        return False


def served_by(url: str, n: int) -> Counter:
    return Counter(json.loads(get(url + "/")[2])["instance"] for _ in range(n))


def test_listener_listens_on_the_load_balancer_address_and_port(stage, runtime):
    url = fleet(stage, runtime, {"i-1": 100})
    assert url == f"http://{ADDRESS}:80"


def test_requests_spread_across_backends_by_weight(stage, runtime):
    url = fleet(stage, runtime, {"i-1": 100, "i-2": 100, "i-3": 200})
    assert served_by(url, 40) == {"i-1": 10, "i-2": 10, "i-3": 20}


def test_status_codes_headers_and_bodies_pass_through_on_one_keep_alive_connection(stage, runtime):
    fleet(stage, runtime, {"i-1": 100})
    conn = http.client.HTTPConnection(ADDRESS, 80, timeout=5)
    conn.request("GET", "/missing")
    resp = conn.getresponse()
    assert (resp.status, json.loads(resp.read())) == (404, {"error": "not here"})
    assert resp.getheader("X-Served-By") == "i-1"
    conn.request("POST", "/echo", body=b'{"x": [1, 2]}', headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    assert (resp.status, resp.getheader("Content-Type"), resp.read()) == (201, "application/json", b'{"x": [1, 2]}')
    sock = conn.sock
    conn.request("GET", "/")
    assert conn.getresponse().read() and conn.sock is sock  # still the same client connection
    conn.close()


def test_concurrent_requests_are_served_in_parallel(stage, runtime):
    url = fleet(stage, runtime, {"i-1": 100, "i-2": 100})
    results = []
    threads = [threading.Thread(target=lambda: results.append(get(url + "/slow?s=1")[0])) for _ in range(8)]
    for thread in threads:
        thread.start()
    # In parallel: the balancer relays several at once (relaying one at a time, at most one would be in flight).
    eventually(lambda: sum(in_flight(runtime).values()) >= 3, "three or more requests in flight at once", interval=0.01)
    for thread in threads:
        thread.join()
    assert results == [200] * 8


def test_weight_zero_drains_at_once_and_in_flight_requests_finish(stage, runtime):
    url = fleet(stage, runtime, {"i-1": 100, "i-2": 100})
    slow = {}
    thread = threading.Thread(
        target=lambda: slow.update(zip(("status", "headers", "body"), get(url + "/slow?s=1"), strict=False))
    )
    thread.start()
    eventually(lambda: in_flight(runtime), "the slow request in flight at a backend")
    draining = "i-1" if served_by(url, 1) == {"i-2": 1} else "i-2"  # WRR alternates: the slow one went elsewhere
    stage.set_weights(LB, {"i-1": 0 if draining == "i-1" else 100, "i-2": 0 if draining == "i-2" else 100})
    assert set(served_by(url, 10)) == {"i-1", "i-2"} - {draining}
    thread.join()
    assert slow["status"] == 200 and slow["headers"]["X-Served-By"] == draining


def test_killed_backend_is_taken_out_by_the_health_check(stage, runtime):
    url = fleet(stage, runtime, {"i-1": 100, "i-2": 100})
    runtime.kill("i-2", 9)
    eventually(lambda: runtime.health(LB, 80, "i-2") == "abnormal", "the health check to notice")
    assert runtime.health(LB, 80, "i-1") == "normal"
    assert served_by(url, 6) == {"i-1": 6}


def test_requests_to_a_dead_backend_still_in_rotation_fail_over(stage, runtime, emulator):
    url = fleet(stage, runtime, {"i-1": 100, "i-2": 100})
    emulator.cloud.runtime.config.update({"health_interval_scale": 10})  # the check will not notice for a while
    runtime.kill("i-2", 9)
    statuses = [get(url + "/")[0] for _ in range(20)]
    assert runtime.health(LB, 80, "i-2") == "normal"  # still in rotation ...
    assert statuses == [200] * 20  # ... but every request was retried on i-1


def test_failing_health_code_marks_the_backend_abnormal(stage, runtime):
    url = fleet(stage, runtime, {"i-1": 100, "i-2": 100})
    model_dir = next(w["model_dir"] for w in runtime.describe()["instances"] if w["instance_id"] == "i-1")
    open(os.path.join(model_dir, "sick"), "w").close()  # the demo's /health now answers 500
    eventually(lambda: runtime.health(LB, 80, "i-1") == "abnormal", "a 500 to fail the check")
    assert served_by(url, 4) == {"i-2": 4}


def test_no_healthy_backend_answers_503(stage, runtime):
    url = fleet(stage, runtime, {"i-1": 100})
    runtime.kill("i-1", 9)
    eventually(lambda: runtime.health(LB, 80, "i-1") == "abnormal", "the backend to turn abnormal")
    status, _, body = get(url + "/")
    assert status == 503 and b"503 Service Unavailable" in body


def test_health_check_off_reports_unavailable_and_keeps_every_backend(stage, runtime):
    for iid in ("i-1", "i-2"):
        stage.instance(iid, demo_user_data())
    stage.load_balancer(LB, ADDRESS, {"i-1": 100, "i-2": 100})
    stage.listener(LB, 80, 8000, enabled=False)
    url = eventually(lambda: runtime.listener_url(LB, 80), "the listener")
    eventually(
        lambda: len(runtime.describe()["instances"]) == 2
        and all(answers(f"http://{w['address']}:8000/") for w in runtime.describe()["instances"]),
        "both workloads",
    )
    assert runtime.health(LB, 80, "i-1") == "unavailable"
    assert served_by(url, 4) == {"i-1": 2, "i-2": 2}


def test_stopped_listener_stops_its_balancer_and_reports_unavailable(stage, runtime):
    url = fleet(stage, runtime, {"i-1": 100})
    stage.status("listener", f"{LB}:80", "stopped")
    eventually(lambda: runtime.listener_url(LB, 80) is None, "the balancer to stop")
    assert runtime.health(LB, 80, "i-1") == "unavailable"
    with pytest.raises(OSError):
        urllib.request.urlopen(url + "/", timeout=2)


def test_deleted_load_balancer_stops_its_balancer(stage, runtime):
    fleet(stage, runtime, {"i-1": 100})
    stage.release("listener", f"{LB}:80")
    stage.release("load_balancer", LB)
    eventually(lambda: runtime.listener_url(LB, 80) is None, "the balancer to stop")


def test_taken_port_falls_back_to_a_free_port_on_the_same_address(stage, runtime):
    blocker = socket.socket()
    blocker.bind((ADDRESS, 8081))
    blocker.listen()
    try:
        url = fleet(stage, runtime, {"i-1": 100}, port=8081)
        host, port = url.removeprefix("http://").split(":")
        assert host == ADDRESS and int(port) != 8081
        listener = runtime.describe()["listeners"][0]
        assert listener["bound_port"] == int(port) and "cannot bind" in listener["note"]
        assert get(url + "/")[0] == 200
    finally:
        blocker.close()


def test_tcp_listener_relays_bytes_to_a_healthy_backend(stage, runtime):
    for iid in ("i-1", "i-2"):
        stage.instance(iid, demo_user_data())
    stage.load_balancer(LB, ADDRESS, {"i-1": 100, "i-2": 100})
    stage.listener(LB, 9000, 8000, protocol="tcp")
    eventually(lambda: all(runtime.health(LB, 9000, i) == "normal" for i in ("i-1", "i-2")), "tcp checks")
    url = runtime.listener_url(LB, 9000)
    assert url == f"tcp://{ADDRESS}:9000"
    seen = Counter(json.loads(get(f"http://{ADDRESS}:9000/")[2])["instance"] for _ in range(4))
    assert seen == {"i-1": 2, "i-2": 2}
