"""No well-known keys: each data dir gets its own random pair and control token, in files only its owner
can read; `localcloud credentials` prints the pair; the provisioner finds it through the emulator."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from alibabacloud_vpc20160428 import models as vpc_models
from alibabacloud_vpc20160428.client import Client as VpcClient

from localcloud import credentials
from localcloud.server import serve_in_thread, stop
from provisioner import emulator as lc
from provisioner.errors import TargetError
from tests.helpers import REGION, sdk_config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def run_cli(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "localcloud", *args], cwd=ROOT, capture_output=True, text=True, timeout=60, env=env
    )


def test_two_data_dirs_get_two_random_key_pairs_only_their_owner_can_read(tmp_path, monkeypatch):
    monkeypatch.delenv("LOCALCLOUD_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("LOCALCLOUD_ACCESS_KEY_SECRET", raising=False)
    first, _ = serve_in_thread(str(tmp_path / "a"), instant=True, runtime=False)
    second, _ = serve_in_thread(str(tmp_path / "b"), instant=True, runtime=False)
    try:
        one, two = first.emulator.credentials, second.emulator.credentials
        assert one.access_key_id != two.access_key_id and one.access_key_secret != two.access_key_secret
        assert one.control_token != two.control_token
        assert "LTAIlocalcloudtest" not in (one.access_key_id, two.access_key_id)  # the old published pair
        assert one.access_key_id.startswith("LTAI") and len(one.access_key_secret) >= 30
        for data_dir in (tmp_path / "a", tmp_path / "b"):
            assert mode(data_dir) == 0o700
            assert mode(data_dir / credentials.KEY_FILE) == 0o600
    finally:
        stop(first)
        stop(second)


def test_a_restart_keeps_the_data_dirs_pair(tmp_path):
    server, _ = serve_in_thread(str(tmp_path), instant=True, runtime=False)
    before = server.emulator.credentials
    stop(server)
    server, _ = serve_in_thread(str(tmp_path), instant=True, runtime=False)
    try:
        assert server.emulator.credentials == before
    finally:
        stop(server)


def test_the_environment_pair_replaces_the_stored_one(tmp_path, monkeypatch):
    monkeypatch.setenv("LOCALCLOUD_ACCESS_KEY_ID", "LTAIfromtheenvironment")
    monkeypatch.setenv("LOCALCLOUD_ACCESS_KEY_SECRET", "a-secret-from-the-environment")
    server, _ = serve_in_thread(str(tmp_path), instant=True, runtime=False)
    try:
        stored = credentials.read(str(tmp_path))
        assert (stored.access_key_id, stored.access_key_secret) == (
            "LTAIfromtheenvironment",
            "a-secret-from-the-environment",
        )
        assert server.emulator.verifier.keys == {"LTAIfromtheenvironment": "a-secret-from-the-environment"}
    finally:
        stop(server)


def test_the_old_published_pair_is_refused(emulator):
    config = sdk_config(emulator.url)
    config.access_key_id, config.access_key_secret = "LTAIlocalcloudtest", "localcloud-secret"
    with pytest.raises(Exception) as info:
        VpcClient(config).describe_vpcs(vpc_models.DescribeVpcsRequest(region_id=REGION))
    assert info.value.code == "InvalidAccessKeyId.NotFound"


def test_every_file_of_a_served_data_dir_is_its_owners_only(tmp_path):
    data_dir = tmp_path / "lc"
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    proc = subprocess.Popen(
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
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        from tests.helpers import eventually

        eventually(lambda: (data_dir / "localcloud.json").exists(), "the emulator to listen", timeout=30)
        info = json.loads((data_dir / "localcloud.json").read_text())
        VpcClient(sdk_config(info["url"])).create_vpc(
            vpc_models.CreateVpcRequest(region_id=REGION, cidr_block="10.0.0.0/16")
        )
        names = sorted(os.listdir(data_dir))
        assert {"credentials.json", "localcloud.sqlite3", "localcloud.json", "localcloud.pid"} <= set(names)
        assert mode(data_dir) == 0o700
        assert {name: mode(data_dir / name) for name in names} == {name: 0o600 for name in names}
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_credentials_command_prints_export_lines_that_sign(emulator):
    out = run_cli("credentials", "--data-dir", emulator.emulator.data_dir)
    assert out.returncode == 0, out.stderr
    exported = dict(line.removeprefix("export ").split("=", 1) for line in out.stdout.splitlines())
    assert set(exported) == {"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"}
    config = sdk_config(emulator.url)
    config.access_key_id = exported["ALIBABA_CLOUD_ACCESS_KEY_ID"]
    config.access_key_secret = exported["ALIBABA_CLOUD_ACCESS_KEY_SECRET"]
    assert VpcClient(config).describe_vpcs(vpc_models.DescribeVpcsRequest(region_id=REGION)).status_code == 200


def test_credentials_command_without_a_key_file_says_so(tmp_path):
    out = run_cli("credentials", "--data-dir", str(tmp_path / "nothing"))
    assert out.returncode == 1
    assert "credentials.json does not exist" in out.stderr and out.stdout == ""


def test_a_key_file_others_can_read_is_refused(tmp_path):
    server, _ = serve_in_thread(str(tmp_path), instant=True, runtime=False)
    stop(server)
    os.chmod(tmp_path / credentials.KEY_FILE, 0o644)
    with pytest.raises(credentials.CredentialsError, match="only its owner can read"):
        credentials.read(str(tmp_path))


def test_the_provisioner_reads_the_keys_of_the_emulator_that_answers(emulator):
    keys = lc.keys_of(emulator.url)
    assert (keys.access_key_id, keys.access_key_secret, keys.control_token) == (
        emulator.emulator.credentials.access_key_id,
        emulator.emulator.credentials.access_key_secret,
        emulator.emulator.credentials.control_token,
    )
    assert keys.access_key_secret not in repr(keys)


def test_the_provisioner_refuses_an_impostor_naming_anothers_data_dir(emulator):
    """Something on a port that names a real data dir but cannot prove it holds its token gets nothing."""
    victim_dir = emulator.emulator.data_dir

    class Impostor(BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({"ok": True, "pid": 1, "data_dir": victim_dir, "proof": "0" * 64}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    impostor = ThreadingHTTPServer(("127.0.0.1", 0), Impostor)
    threading.Thread(target=impostor.serve_forever, daemon=True).start()
    try:
        with pytest.raises(TargetError, match="does not hold the keys"):
            lc.keys_of(f"http://127.0.0.1:{impostor.server_address[1]}")
    finally:
        impostor.shutdown()
        impostor.server_close()
