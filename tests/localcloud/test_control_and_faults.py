"""The control API (/_localcloud/), call statistics, and deterministic fault injection."""

from __future__ import annotations

import time
import urllib.error

import pytest
from alibabacloud_vpc20160428 import models as vpc_models

from localcloud.server import serve_in_thread, stop
from tests.helpers import REGION, Control


def create_vpc(client, token=None, name="v"):
    return client.create_vpc(
        vpc_models.CreateVpcRequest(region_id=REGION, cidr_block="10.0.0.0/16", vpc_name=name, client_token=token)
    ).body.vpc_id


def describe_vpcs(client):
    return client.describe_vpcs(vpc_models.DescribeVpcsRequest(region_id=REGION)).body


def outcome(func):
    try:
        func()
        return "ok"
    except Exception as err:  # noqa: BLE001 - the SDK's exception tree is what we classify here
        return getattr(err, "code", None) or "network"


def test_stats_count_calls_per_action_and_errors_per_code(vpc, control):
    create_vpc(vpc)
    describe_vpcs(vpc)
    outcome(lambda: vpc.describe_vpcs(vpc_models.DescribeVpcsRequest(region_id="nowhere")))
    stats = control.stats()
    assert stats["total"] == 3
    assert stats["mutating"] == 1
    assert stats["actions"]["vpc:CreateVpc"]["calls"] == 1
    assert stats["actions"]["vpc:DescribeVpcs"] == {
        "calls": 2,
        "errors": {"InvalidRegionId.NotFound": 1},
        "mutating": False,
    }


def test_stats_reset_starts_counting_again(vpc, control):
    describe_vpcs(vpc)
    control.request("POST", "stats/reset")
    assert control.stats()["total"] == 0


def test_reset_removes_every_resource(vpc, control):
    create_vpc(vpc)
    assert control.resources()["vpc"]
    control.reset()
    assert control.resources() == {}
    assert describe_vpcs(vpc).total_count == 0


def test_unknown_config_key_is_refused_with_400(control):
    with pytest.raises(urllib.error.HTTPError) as info:
        control.config(no_such_knob=1)
    assert info.value.code == 400


def test_unknown_control_route_is_404(control):
    with pytest.raises(urllib.error.HTTPError) as info:
        control.request("GET", "nothing-here")
    assert info.value.code == 404


def test_throttling_fault_answers_throttling_user_400(vpc, control):
    control.faults(rules=[{"action": "DescribeVpcs", "throttle": 1.0}])
    with pytest.raises(Exception) as info:
        describe_vpcs(vpc)
    assert info.value.code == "Throttling.User"
    assert info.value.status_code == 400


def test_server_error_fault_answers_5xx_with_a_code(vpc, control):
    control.faults(seed=3, rules=[{"throttle": 0.0, "error": 1.0}])
    seen = set()
    for _ in range(8):
        with pytest.raises(Exception) as info:
            describe_vpcs(vpc)
        seen.add((info.value.code, info.value.status_code))
    assert seen <= {("ServiceUnavailable", 503), ("InternalError", 500)}
    assert len(seen) == 2


def test_fault_rule_for_one_action_leaves_others_alone(vpc, control):
    control.faults(rules=[{"action": "vpc:CreateVpc", "throttle": 1.0}])
    assert describe_vpcs(vpc).total_count == 0
    assert outcome(lambda: create_vpc(vpc)) == "Throttling.User"


def test_dropped_connection_reaches_the_sdk_as_a_network_error_and_changes_nothing(vpc, control):
    control.faults(rules=[{"action": "CreateVpc", "drop": 1.0}])
    with pytest.raises(Exception) as info:
        create_vpc(vpc, token="drop-1")
    assert getattr(info.value, "code", None) is None
    control.faults()
    assert describe_vpcs(vpc).total_count == 0


def test_commit_then_drop_creates_the_resource_and_a_retry_with_the_same_token_returns_it(vpc, control):
    control.faults(rules=[{"action": "CreateVpc", "commit_drop": 1.0}])
    with pytest.raises(Exception) as info:  # the connection closed unanswered: a network error, no API code
        create_vpc(vpc, token="commit-drop-1")
    assert getattr(info.value, "code", None) is None
    control.faults()
    existing = describe_vpcs(vpc)
    assert existing.total_count == 1
    assert create_vpc(vpc, token="commit-drop-1") == existing.vpcs.vpc[0].vpc_id
    assert describe_vpcs(vpc).total_count == 1
    assert control.request("GET", "faults")["injected"] == {}


def test_faults_are_deterministic_under_a_seed(vpc, control):
    def run():
        control.faults(seed=42, rules=[{"throttle": 0.3, "error": 0.2}])
        return [outcome(lambda: describe_vpcs(vpc)) for _ in range(30)]

    first, second = run(), run()
    assert first == second
    assert {"ok", "Throttling.User"} <= set(first)


def test_added_latency_delays_the_answer(vpc, control, monkeypatch):
    from localcloud import server as server_module

    delays = []

    class Clock:
        """The server's time module, noting how long it holds an answer back."""

        def __getattr__(self, name):
            return getattr(time, name)

        def sleep(self, seconds):
            delays.append(seconds)
            time.sleep(seconds)

    monkeypatch.setattr(server_module, "time", Clock())
    control.faults(rules=[{"action": "DescribeVpcs", "latency_ms": 300}])
    describe_vpcs(vpc)
    assert delays == [0.3]  # the answer was held back 300 ms (observed, not timed)


def test_fault_rates_outside_zero_to_one_are_refused(control):
    with pytest.raises(urllib.error.HTTPError) as info:
        control.faults(rules=[{"throttle": 2}])
    assert info.value.code == 400


def test_vpc_becomes_available_only_when_the_clock_reaches_its_creation_time(tmp_path):
    from alibabacloud_vpc20160428.client import Client

    from tests.helpers import sdk_config

    server, _ = serve_in_thread(str(tmp_path), speed=1.0, runtime=False)
    try:
        client = Client(sdk_config(server.url))
        create_vpc(client)
        assert describe_vpcs(client).vpcs.vpc[0].status == "Pending"
        Control(server.url).advance(60)
        assert describe_vpcs(client).vpcs.vpc[0].status == "Available"
    finally:
        stop(server)


def test_kill_after_sigkills_the_process_right_after_the_kth_mutating_call_took_effect(vpc, control):
    import signal
    import subprocess

    victim = subprocess.Popen(["sleep", "30"])
    try:
        control.request("PUT", "kill_after", {"pid": victim.pid, "mutating_calls": 2})
        describe_vpcs(vpc)
        create_vpc(vpc, name="first")
        assert victim.poll() is None
        create_vpc(vpc, name="second")
        assert victim.wait(timeout=5) == -signal.SIGKILL
        assert describe_vpcs(vpc).total_count == 2
    finally:
        victim.kill()
