"""Where the calls go: a given emulator, the default one (reused or started in the background, never
through a proxy), and credentials that never come from or go to the state."""

from __future__ import annotations

import os
import socket

import pytest

from provisioner import emulator as lc
from provisioner import target
from provisioner.errors import TargetError
from provisioner.spec import Target
from tests.helpers import credentials_for
from tests.provisioner.helpers import DEFAULT_STACK


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_given_endpoint_that_does_not_answer_is_refused():
    with pytest.raises(TargetError, match="no localcloud emulator answers at http://127.0.0.1:9"):
        target.resolve(Target("localcloud", None), None, "http://127.0.0.1:9")


def test_cli_with_a_dead_endpoint_fails_with_exit_1(run):
    from click.testing import CliRunner

    from provisioner.cli import cli

    res = CliRunner().invoke(cli, ["plan", "--stack", DEFAULT_STACK, "--endpoint", "http://127.0.0.1:9", "--json"])
    assert res.exit_code == 1
    assert "no localcloud emulator answers" in res.stdout


def test_endpoint_and_the_alibaba_target_do_not_mix(emulator):
    with pytest.raises(TargetError, match="cannot be combined"):
        target.resolve(Target("localcloud", None), "alibaba", emulator.url)


def test_a_given_endpoint_uses_the_environments_keys_else_localclouds_pair(emulator, monkeypatch):
    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", raising=False)
    creds = credentials_for(emulator.url)
    assert target.resolve(None, None, emulator.url)._access_key == (creds.access_key_id, creds.access_key_secret)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIfromenv")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "secret-from-env")
    resolved = target.resolve(None, None, emulator.url)
    assert resolved._access_key == ("LTAIfromenv", "secret-from-env")
    assert "secret-from-env" not in repr(resolved) and "secret" not in str(resolved.to_dict())


def test_the_alibaba_target_uses_the_default_credential_chain():
    resolved = target.resolve(Target("alibaba", None), None, None)
    config = resolved.sdk_config("cn-hangzhou", 1000, 1000)
    assert config.credential is not None and config.access_key_id is None and config.endpoint is None


def test_the_default_emulator_is_started_in_the_background_then_reused(tmp_path, monkeypatch):
    port = free_port()
    monkeypatch.setattr(target, "DEFAULT_PORT", port)
    monkeypatch.setattr(target, "DEFAULT_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # must not be used for loopback
    data_dir = str(tmp_path / "lc")
    started = target.resolve(None, None, None, data_dir=data_dir)
    try:
        assert started.how == "started in the background"
        assert "log" in started.note and os.path.exists(os.path.join(data_dir, "localcloud.log"))
        pid = target.health(started.endpoint)["pid"]
        with open(f"/proc/{pid}/environ", "rb") as handle:
            env = handle.read().split(b"\0")
        assert not any(item.lower().startswith(b"http_proxy=") for item in env)
        again = target.resolve(None, None, None, data_dir=data_dir)
        assert again.how == "reused a running emulator"
        assert "reused" in again.describe()
    finally:
        lc.control(f"http://127.0.0.1:{port}", lc.keys_of(f"http://127.0.0.1:{port}"), "POST", "shutdown")


def test_the_cli_ignores_proxies_for_the_local_emulator(run, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:9")
    result = run("plan", DEFAULT_STACK)
    assert result.exit_code == 4, result.stderr
    assert "not using" in result.stderr
