"""Rollout rules of provision: when it waits for health checks (and for how long), where the endpoint
comes from, what the sample request is, and the drain period of a scale-down."""

from __future__ import annotations

import json
import time

import pytest
import yaml
from click.testing import CliRunner

from provisioner import engine
from provisioner.cli import cli
from provisioner.cloud import Cloud
from provisioner.errors import WaitTimeout
from provisioner.spec import load_stack
from provisioner.target import resolve
from tests.e2e.helpers import DEFAULT_STACK, ROOT, write_stack
from tests.helpers import Control

pytestmark = pytest.mark.timeout(120)


def provision(emulator, stack: str, state: str, command: str = "provision"):
    args = [command, "--stack", stack, "--endpoint", emulator.url, "--state", state, "--json"]
    result = CliRunner().invoke(cli, args + (["--yes"] if command == "teardown" else []), catch_exceptions=False)
    return result.exit_code, json.loads(result.stdout), result.stderr


def test_without_the_runtime_provision_ends_by_the_emulators_health_rule_and_says_nothing_serves(emulator, tmp_path):
    code, doc, err = provision(emulator, DEFAULT_STACK, str(tmp_path / "s.json"))
    assert code == 0, err
    lb = next(r for r in doc["resources"] if r["role"] == "load-balancer")
    assert doc["endpoint"] == f"http://{lb['address']}:80/"
    assert "--no-runtime" in doc["endpoint_note"]
    assert Control(emulator.url).stats()["actions"]["slb:DescribeHealthStatus"]["calls"] >= 1


def test_a_no_op_provision_skips_the_health_wait_unless_an_earlier_run_left_it_pending(emulator, tmp_path):
    state = str(tmp_path / "s.json")
    control = Control(emulator.url)
    assert provision(emulator, DEFAULT_STACK, state)[0] == 0
    control.request("POST", "stats/reset")
    assert provision(emulator, DEFAULT_STACK, state)[0] == 0
    assert "slb:DescribeHealthStatus" not in control.stats()["actions"]
    # A run that stopped after changing the backends but before they were seen healthy leaves the mark.
    with open(state) as handle:
        data = json.load(handle)
    data["rollout"] = "pending"
    with open(state, "w") as handle:
        json.dump(data, handle)
    control.request("POST", "stats/reset")
    assert provision(emulator, DEFAULT_STACK, state)[0] == 0
    assert control.stats()["actions"]["slb:DescribeHealthStatus"]["calls"] == 1
    with open(state) as handle:
        assert "rollout" not in json.load(handle)


def test_scale_down_waits_the_drain_period_between_weight_zero_and_removal(emulator, tmp_path, monkeypatch):
    state = str(tmp_path / "s.json")
    assert provision(emulator, write_stack(tmp_path, count=3, drain_seconds=2, name="three.yaml"), state)[0] == 0
    calls: list[tuple[str, float]] = []
    original = Cloud._invoke

    def recording(self, step, resource, product, action, method, params):
        calls.append((action, time.monotonic()))
        return original(self, step, resource, product, action, method, params)

    monkeypatch.setattr(Cloud, "_invoke", recording)
    code, doc, err = provision(emulator, write_stack(tmp_path, count=2, drain_seconds=2, name="two.yaml"), state)
    assert code == 0, err
    at = {action: t for action, t in calls if action in ("SetBackendServers", "RemoveBackendServers")}
    assert at["RemoveBackendServers"] - at["SetBackendServers"] >= 2.0


def test_drain_seconds_is_checked_in_the_stack_file(tmp_path):
    path = tmp_path / "bad.yaml"
    with open(DEFAULT_STACK) as handle:
        data = yaml.safe_load(handle)
    data["load_balancer"]["drain_seconds"] = 901
    path.write_text(yaml.safe_dump(data))
    result = CliRunner().invoke(cli, ["plan", "--stack", str(path), "--json"], catch_exceptions=False)
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["field"] == "load_balancer.drain_seconds" and "between 0 and 900" in error["message"]


def test_a_custom_servers_sample_request_asks_its_health_path_through_the_endpoint(emulator, tmp_path):
    code, doc, err = provision(emulator, f"{ROOT}/stacks/intranet-custom-server.yaml", str(tmp_path / "s.json"))
    assert code == 0, err
    assert doc["sample_request"] == f"curl -sS --noproxy '*' {doc['endpoint']}healthz"


def test_provision_fails_naming_the_backends_that_never_pass_the_health_check(cloud):
    path = cloud.tmp / "deaf.yaml"
    with open(DEFAULT_STACK) as handle:
        data = yaml.safe_load(handle)
    # A server that starts but never listens: its backend stays abnormal.
    data["instances"]["count"] = 1
    data["serving"]["server"] = {"command": ["{python}", "-c", "import time; time.sleep(600)"]}
    data["load_balancer"]["health_check"].update(interval=1, healthy_threshold=2, unhealthy_threshold=2)
    path.write_text(yaml.safe_dump(data))
    spec = load_stack(str(path))
    with engine.open_run(spec, resolve(spec.target, None, cloud.url), cloud.state, "provision") as ctx:
        ctx.timeouts.healthy = 3
        with pytest.raises(WaitTimeout, match=r"backend\(s\) .* to pass the health check.*0/1 normal; i-\w+ abnormal"):
            engine.provision(ctx)  # gives up after its health timeout (pytest-timeout bounds the run)
    with open(cloud.state) as handle:
        assert json.load(handle)["rollout"] == "pending"  # the next provision waits again
