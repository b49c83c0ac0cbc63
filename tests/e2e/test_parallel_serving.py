"""Parallel serving end to end on localcloud: the provisioner stands up the stack, real model server
processes answer through the real loopback balancer at the endpoint it prints, and the fleet survives
a crash, a scale-down and a scale-up under a steady stream of inference requests."""

from __future__ import annotations

import functools
import json
import shlex
import subprocess
import threading
import time
from collections import Counter

import pytest
from alibabacloud_slb20140515 import models as slb_models

from tests import helpers
from tests.e2e.helpers import Client, Oracle, Stream, iris_rows, pids_alive

pytestmark = pytest.mark.timeout(180)
REGION = "cn-hangzhou"
eventually = functools.partial(helpers.eventually, timeout=30.0)


@pytest.fixture(scope="module")
def oracle(tmp_path_factory):
    return Oracle(tmp_path_factory.mktemp("reference-model"))


def runtime(c) -> dict:
    return c.control.request("GET", "runtime")


def workloads(c) -> dict[str, dict]:
    return {w["instance_id"]: w for w in runtime(c)["instances"]}


def health(c, lb_id: str) -> dict[str, str]:
    rows = c.slb.describe_health_status(
        slb_models.DescribeHealthStatusRequest(region_id=REGION, load_balancer_id=lb_id, listener_port=80)
    ).body.backend_servers.backend_server
    return {r.server_id: r.server_health_status for r in rows}


def provisioned(c, count: int = 3) -> tuple[str, dict]:
    """Provision `count` instances; returns (stack path, the provision's JSON document)."""
    stack = c.stack(count=count)
    result = c.cli("provision", stack)
    assert result.exit_code == 0, result.stderr[-3000:]
    return stack, result.doc


def load_balancer_id(doc: dict) -> str:
    return next(r["id"] for r in doc["resources"] if r["role"] == "load-balancer")


def test_provision_prints_an_endpoint_whose_300_answers_are_correct_and_spread_over_three_instances(cloud, oracle):
    result = cloud.cli("provision", cloud.stack(count=3), as_json=False)
    assert result.exit_code == 0, result.stderr[-3000:]
    lines = {line.split(":", 1)[0]: line.split(":", 1)[1].strip() for line in result.stdout.splitlines() if ":" in line}
    endpoint, sample = lines["endpoint"], lines["try it"]
    # The endpoint is where the local balancer really listens, and it is healthy before provision returns.
    [listener] = runtime(cloud)["listeners"]
    assert endpoint == listener["url"] + "/"
    assert {b["health"] for b in listener["backends"]} == {"normal"} and len(listener["backends"]) == 3

    # The sample request works exactly as printed.
    printed = subprocess.run(shlex.split(sample), capture_output=True, text=True, timeout=30)
    assert printed.returncode == 0, printed.stderr
    outputs = {o["name"]: o["data"] for o in json.loads(printed.stdout)["outputs"]}
    assert outputs["predict"] == oracle.predict([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]) == [0, 2]

    status = cloud.cli("status", cloud.stack(count=3))
    assert status.doc["endpoint"] == endpoint
    assert {b["health"] for b in status.doc["backends"]} == {"normal"}

    model_dirs = {iid: w["model_dir"] for iid, w in workloads(cloud).items()}
    client, served, wrong = Client(endpoint), Counter(), []
    rows = iris_rows(600)
    for n in range(300):
        batch = rows[2 * n : 2 * n + 2]
        answer = client.infer(batch)
        served[answer.instance] += 1
        if answer.status != 200 or answer.predict != oracle.predict(batch, model_dirs.get(answer.instance)):
            wrong.append(answer)
    client.close()
    assert wrong == []
    assert set(served) == set(model_dirs) and len(served) == 3
    assert min(served.values()) >= 60, served  # each backend served at least 20 %


def test_a_crashed_server_costs_at_most_one_percent_then_none_and_reconcile_brings_it_back(cloud, oracle):
    stack, doc = provisioned(cloud)
    lb_id = load_balancer_id(doc)
    victim = doc["instances"][1]
    pids = [w["pid"] for w in workloads(cloud).values()]
    with Stream(doc["endpoint"]) as stream:
        stream.wait_for(100)
        cloud.control.request("POST", "runtime/kill", {"instance_id": victim, "signal": "KILL"})
        # Out within eventually()'s deadline (no wall-clock assertion: the machine is shared).
        out_at = eventually(
            lambda: health(cloud, lb_id)[victim] == "abnormal" and time.monotonic(),
            "the health check to take the dead backend out",
        )
        stream.wait_for(100)
        answers = stream.stop()
    failed = oracle.wrong(answers)
    assert len(answers) >= 200
    assert len(failed) <= len(answers) / 100, [(a.status, a.instance) for a in failed]
    assert [a for a in failed if a.started > out_at] == []
    assert not [a for a in answers if a.started > out_at and a.instance == victim]

    # The instance is still Running but its server is gone: reconcile reboots it and it serves again
    # (no grace: the instance booted a few seconds ago, which reconcile would otherwise leave to finish).
    healed = cloud.cli("reconcile", stack, "--unhealthy-grace", "0")
    assert healed.exit_code == 0, healed.stderr[-3000:]
    assert {"id": victim, "action": "rebooted"}.items() <= next(
        a for a in healed.doc["actions"] if a.get("id") == victim
    ).items()
    assert health(cloud, lb_id)[victim] == "normal"
    served = Counter(Client(doc["endpoint"]).infer(iris_rows(1, seed=n)).instance for n in range(30))
    assert served[victim] == 10

    # Teardown leaves no process behind: no workload, no balancer, and every server pid is gone.
    pids += [w["pid"] for w in workloads(cloud).values()]
    assert cloud.cli("teardown", stack).exit_code == 0
    # The runtime stops released workloads from its worker loop (SIGTERM, then SIGKILL after 5 s), a moment
    # after the API has released them, as a VM's processes end a moment after it is released.
    eventually(
        lambda: (lambda left: (left["instances"], left["listeners"]) == ([], []))(runtime(cloud)),
        "the runtime to stop every workload and balancer",
    )
    eventually(lambda: pids_alive(pids) == [], "every server process to exit")


def test_scaling_from_three_to_two_and_back_under_a_steady_stream_fails_no_request(cloud, oracle):
    stack, doc = provisioned(cloud)
    lb_id = load_balancer_id(doc)
    with Stream(doc["endpoint"]) as stream:
        stream.wait_for(50)
        down = cloud.cli("provision", cloud.stack(count=2))
        assert down.exit_code == 0, down.stderr[-3000:]
        stream.wait_for(50)
        after_down = stream.count()
        up_samples: list[dict] = []
        sampling = threading.Event()

        def sample_runtime():
            while not sampling.is_set():
                up_samples.extend(runtime(cloud)["listeners"][0]["backends"])
                time.sleep(0.02)

        sampler = threading.Thread(target=sample_runtime, daemon=True)
        sampler.start()
        up = cloud.cli("provision", cloud.stack(count=3))
        sampling.set()
        sampler.join(timeout=10)
        assert up.exit_code == 0, up.stderr[-3000:]
        stream.wait_for(50)
        answers = stream.stop()
    assert oracle.wrong(answers) == []
    [removed] = sorted(set(doc["instances"]) - set(down.doc["instances"]))
    drained = next(r for r in down.doc["resources"] if r.get("drained"))
    assert drained["drained"] == [removed]
    assert not [a for a in answers[after_down:] if a.instance == removed]
    [added] = sorted(set(up.doc["instances"]) - set(down.doc["instances"]))
    # The new instance got no request before its health check passed, and serves once it has.
    assert [s for s in up_samples if s["server_id"] == added and s["health"] != "normal" and s["served"]] == []
    assert any(s["server_id"] == added and s["health"] == "abnormal" for s in up_samples)
    assert health(cloud, lb_id) == {i: "normal" for i in up.doc["instances"]}
    served = Counter(Client(up.doc["endpoint"]).infer(iris_rows(1, seed=n)).instance for n in range(30))
    assert served[added] == 10
