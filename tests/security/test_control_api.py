"""The control API: only for the holder of the data dir's token; kill_after signals only our own
processes; every input is checked and a bad one changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error

import pytest

from localcloud.server import serve_in_thread, stop
from tests.helpers import Control
from tests.security.helpers import control_headers, exchange, parse, request_bytes


def control_call(url, method, path, body=None, token=True):
    data = json.dumps(body).encode() if body is not None else b""
    headers = control_headers(url) if token else {}
    return parse(exchange(url, request_bytes(url, method, "/_localcloud/" + path, data, headers)))


def http_error(func, *args, **kwargs) -> urllib.error.HTTPError:
    with pytest.raises(urllib.error.HTTPError) as info:
        func(*args, **kwargs)
    return info.value


@pytest.mark.parametrize(
    "method,path,body",
    [
        ("POST", "reset", None),
        ("POST", "shutdown", None),
        ("GET", "resources", None),
        ("PUT", "kill_after", {"pid": 2, "mutating_calls": 1}),
        ("PUT", "config", {"instance_quota": 0}),
        ("PUT", "faults", {"rules": [{"drop": 1.0}]}),
        ("POST", "advance", {"seconds": 3600}),
        ("GET", "runtime", None),
    ],
)
def test_every_control_route_without_the_token_is_refused(url, control, method, path, body):
    control.config(instance_quota=7)
    answer = control_call(url, method, path, body, token=False)
    assert answer.status == 403
    assert "X-Localcloud-Token" in answer.json()["error"]
    assert control.request("GET", "config")["instance_quota"] == 7  # nothing changed
    assert control.request("GET", "faults")["rules"] == []
    assert control.request("GET", "health")["ok"] is True  # still serving


def test_a_wrong_token_is_refused(url):
    data = request_bytes(url, "POST", "/_localcloud/reset", headers={"X-Localcloud-Token": "guess"})
    assert parse(exchange(url, data)).status == 403


def test_the_readiness_probe_is_public_and_tells_no_secret(url, emulator):
    answer = control_call(url, "GET", "health", token=False)
    assert answer.status == 200
    text = answer.body.decode()
    creds = emulator.emulator.credentials
    assert creds.control_token not in text and creds.access_key_secret not in text


@pytest.mark.parametrize(
    "pid,reason",
    [
        (-1, "greater than 1"),
        (0, "greater than 1"),
        (1, "greater than 1"),
        ("12", "integer"),
        (True, "integer"),
        (2**31 + 5, "pid must be"),
    ],
)
def test_kill_after_refuses_pids_that_are_not_a_single_process(control, pid, reason):
    err = http_error(control.request, "PUT", "kill_after", {"pid": pid, "mutating_calls": 1})
    assert err.code == 400
    assert "pid" in (message := json.loads(err.read())["error"]) and reason in message


def test_kill_after_refuses_the_emulator_itself(control):
    err = http_error(control.request, "PUT", "kill_after", {"pid": os.getpid(), "mutating_calls": 1})
    assert err.code == 400 and "emulator itself" in json.loads(err.read())["error"]


def test_kill_after_refuses_a_process_of_another_user(control):
    if os.geteuid() != 0:
        pytest.skip("needs root to start a process as another user")
    other = subprocess.Popen(["sleep", "60"], user=65534, group=65534, extra_groups=[], cwd="/")
    try:
        err = http_error(control.request, "PUT", "kill_after", {"pid": other.pid, "mutating_calls": 1})
        assert err.code == 400 and "another user" in json.loads(err.read())["error"]
    finally:
        other.kill()
        other.wait()


def test_kill_after_accepts_a_child_of_the_emulators_user(control):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert control.request("PUT", "kill_after", {"pid": child.pid, "mutating_calls": 1}) == {"ok": True}
        control.request("PUT", "kill_after", {"pid": child.pid, "mutating_calls": 0})
    finally:
        child.kill()
        child.wait()


@pytest.mark.parametrize(
    "config,field",
    [
        ({"instance_quota": "lots"}, "instance_quota"),
        ({"instance_quota": -1}, "instance_quota"),
        ({"instance_quota": 2.5}, "instance_quota"),
        ({"token_ttl": 0}, "token_ttl"),
        ({"token_ttl": "1h"}, "token_ttl"),
        ({"runtime": "yes"}, "runtime"),
        ({"no_stock": "cn-hangzhou-i"}, "no_stock"),
        ({"no_stock": [["a", "b", "c"]]}, "no_stock"),
        ({"instance_quota": 5, "no_such_knob": 1}, "no_such_knob"),
    ],
)
def test_a_bad_config_value_is_a_400_naming_it_and_nothing_is_stored(control, emulator, config, field):
    before = control.request("GET", "config")
    err = http_error(control.config, **config)
    assert err.code == 400 and field in json.loads(err.read())["error"]
    assert control.request("GET", "config") == before
    assert emulator.emulator.store.meta("config") in (None, before)


def test_a_refused_config_is_not_there_after_a_restart(tmp_path):
    server, _ = serve_in_thread(str(tmp_path), instant=True, runtime=False)
    from tests.helpers import remember

    try:
        http_error(Control(remember(server).url).config, instance_quota="lots")
    finally:
        stop(server)
    server, _ = serve_in_thread(str(tmp_path), instant=True, runtime=False)
    try:
        assert server.emulator.cloud.config.instance_quota == 200
    finally:
        stop(server)


def test_a_bad_config_stored_by_an_older_version_is_replaced_by_the_defaults(tmp_path):
    from localcloud.store import Store

    store = Store(str(tmp_path / "localcloud.sqlite3"))
    store.set_meta("config", {"instance_quota": "lots", "no_stock": [], "token_ttl": 86400, "runtime": False})
    store.close()
    server, _ = serve_in_thread(str(tmp_path), instant=True, runtime=False)
    try:
        assert server.emulator.cloud.config.instance_quota == 200
    finally:
        stop(server)


@pytest.mark.parametrize(
    "faults,field",
    [
        ({"rules": [{"latency_ms": "slow"}]}, "latency_ms"),
        ({"rules": [{"throttle": 2}]}, "throttle"),
        ({"rules": [{"drop": -0.5}]}, "drop"),
        ({"rules": [{"action": 7}]}, "action"),
        ({"rules": [{"oops": 1}]}, "oops"),
        ({"rules": "all"}, "rules"),
        ({"seed": "x"}, "seed"),
    ],
)
def test_a_bad_fault_rule_is_a_400_naming_it_and_changes_nothing(control, faults, field):
    control.faults(rules=[{"action": "DescribeVpcs", "throttle": 0.5}])
    before = control.request("GET", "faults")
    err = http_error(control.faults, **faults)
    assert err.code == 400 and field in json.loads(err.read())["error"]
    assert control.request("GET", "faults") == before


@pytest.mark.parametrize("body", [{"seconds": "soon"}, {"seconds": -1}, {"seconds": 1e300}, {"minutes": 1}])
def test_a_bad_advance_is_a_400_and_the_clock_stays(control, emulator, body):
    offset = emulator.emulator.clock.offset
    err = http_error(control.request, "POST", "advance", body)
    assert err.code == 400
    assert emulator.emulator.clock.offset == offset


def test_a_body_that_is_not_a_json_object_is_a_400(url):
    for body in (b"[1]", b"\xff\xfe", b"{"):
        data = request_bytes(url, "PUT", "/_localcloud/config", body, control_headers(url))
        answer = parse(exchange(url, data))
        assert answer.status == 400 and "body" in answer.json()["error"]


@pytest.fixture
def runtime_control(runtime_server):
    runtime_server.emulator.reset()
    return Control(runtime_server.url)


@pytest.mark.parametrize(
    "body,field",
    [
        ({"stop_timeout": "long"}, "stop_timeout"),
        ({"health_interval_scale": 0.5, "stop_timeout": -1}, "stop_timeout"),
        ({"stop_timeout": True}, "stop_timeout"),
        ({"nap": 1}, "nap"),
    ],
)
def test_a_bad_runtime_config_is_a_400_and_changes_nothing(runtime_control, body, field):
    before = runtime_control.request("GET", "runtime/config")
    err = http_error(runtime_control.request, "PUT", "runtime/config", body)
    assert err.code == 400 and field in json.loads(err.read())["error"]
    assert runtime_control.request("GET", "runtime/config") == before


@pytest.mark.parametrize(
    "body,words",
    [
        ({"instance_id": "i-x", "signal": "99999"}, "not a signal"),
        ({"instance_id": "i-x", "signal": "NOPE"}, "unknown signal"),
        ({"instance_id": 5}, "instance_id"),
    ],
)
def test_a_bad_runtime_kill_is_a_400(runtime_control, body, words):
    err = http_error(runtime_control.request, "POST", "runtime/kill", body)
    assert err.code == 400 and words in json.loads(err.read())["error"]
