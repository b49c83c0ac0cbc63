"""`python -m localcloud serve`: readiness file, clean SIGTERM, state kept across restarts, one server per data dir."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
from alibabacloud_vpc20160428 import models as vpc_models
from alibabacloud_vpc20160428.client import Client

from tests.helpers import REGION, Control, eventually, sdk_config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def start(data_dir, *extra) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "localcloud",
            "serve",
            "--port",
            "0",
            "--data-dir",
            str(data_dir),
            "--instant",
            "--no-runtime",
            *extra,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_ready(proc, data_dir, timeout=20.0) -> dict:
    info_path = os.path.join(str(data_dir), "localcloud.json")

    def written() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"server exited early: {proc.stderr.read()}")
        return os.path.exists(info_path)

    eventually(written, "the server to write localcloud.json (ready)", timeout=timeout)
    with open(info_path) as handle:
        return json.load(handle)


def stop_gracefully(proc) -> int:
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=15)


def test_serve_writes_readiness_file_and_stops_cleanly_on_sigterm(tmp_path):
    proc = start(tmp_path)
    try:
        info = wait_ready(proc, tmp_path)
        assert info["pid"] == proc.pid
        assert Control(info["url"]).request("GET", "health")["ok"] is True
    finally:
        assert stop_gracefully(proc) == 0
    assert not os.path.exists(tmp_path / "localcloud.json")
    assert not os.path.exists(tmp_path / "localcloud.pid")


def test_resources_survive_a_restart(tmp_path):
    proc = start(tmp_path)
    try:
        info = wait_ready(proc, tmp_path)
        vpc_id = (
            Client(sdk_config(info["url"]))
            .create_vpc(vpc_models.CreateVpcRequest(region_id=REGION, cidr_block="10.1.0.0/16"))
            .body.vpc_id
        )
    finally:
        assert stop_gracefully(proc) == 0
    proc = start(tmp_path)
    try:
        info = wait_ready(proc, tmp_path)
        body = Client(sdk_config(info["url"])).describe_vpcs(vpc_models.DescribeVpcsRequest(region_id=REGION)).body
        assert [v.vpc_id for v in body.vpcs.vpc] == [vpc_id]
    finally:
        stop_gracefully(proc)


def test_second_server_on_the_same_data_dir_is_refused(tmp_path):
    first = start(tmp_path)
    try:
        wait_ready(first, tmp_path)
        second = start(tmp_path)
        _, err = second.communicate(timeout=20)
        assert second.returncode == 2
        assert "in use" in err
    finally:
        stop_gracefully(first)


@pytest.mark.parametrize("args", [["--speed", "0"], ["--speed", "2", "--instant"]])
def test_bad_serve_options_are_usage_errors(tmp_path, args):
    proc = subprocess.run(
        [sys.executable, "-m", "localcloud", "serve", "--data-dir", str(tmp_path), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert proc.returncode == 2
    assert "--speed" in proc.stderr or "--instant" in proc.stderr
