"""Local runtime: user data read as cloud-init reads it (encodings, MIME parts, write_files, the manifest)."""

from __future__ import annotations

import base64
import gzip
import json
import os
import stat
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

import pytest

from localcloud.runtime import userdata
from localcloud.runtime.testing import demo_cloud_config

MANIFEST = {"name": "x", "command": ["{python}", "-m", "http.server", "--bind", "{host}", "{port}"], "port": 8080}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_plain_cloud_config_yields_its_write_files(tmp_path):
    doc = userdata.cloud_config(userdata.decode(b64(demo_cloud_config().encode())))
    assert userdata.write_files(doc, str(tmp_path)) == ["/opt/demo/server.py", "/etc/fleet/workload.json"]
    assert userdata.read_manifest(str(tmp_path))["port"] == 8000


def test_gzip_compressed_user_data_is_decompressed():
    raw = userdata.decode(b64(gzip.compress(demo_cloud_config().encode())))
    assert raw.startswith(b"#cloud-config")


def test_mime_multipart_user_data_contributes_its_cloud_config_parts(tmp_path):
    message = MIMEMultipart()
    message.attach(MIMEText("#!/bin/sh\necho hi\n", "x-shellscript"))
    message.attach(MIMEText(demo_cloud_config(), "cloud-config"))
    doc = userdata.cloud_config(userdata.decode(b64(message.as_bytes())))
    assert [f["path"] for f in doc["write_files"]] == ["/opt/demo/server.py", "/etc/fleet/workload.json"]


def test_a_shell_script_is_not_a_cloud_config():
    assert userdata.cloud_config(b"#!/bin/bash\necho hello\n") is None


def test_write_files_decodes_gz_b64_appends_and_applies_permissions(tmp_path):
    doc = {
        "write_files": [
            {
                "path": "/etc/a.txt",
                "content": b64(gzip.compress(b"zipped")),
                "encoding": "gz+b64",
                "permissions": "0600",
            },
            {"path": "/etc/b.txt", "content": "one\n", "permissions": 0o640},  # YAML 0640 arrives as an int
            {"path": "/etc/b.txt", "content": "two\n", "append": True, "permissions": "0640"},
        ]
    }
    userdata.write_files(doc, str(tmp_path))
    assert Path(tmp_path / "etc/a.txt").read_bytes() == b"zipped"
    assert stat.S_IMODE(os.stat(tmp_path / "etc/a.txt").st_mode) == 0o600
    assert Path(tmp_path / "etc/b.txt").read_text() == "one\ntwo\n"
    assert stat.S_IMODE(os.stat(tmp_path / "etc/b.txt").st_mode) == 0o640


def test_write_files_keep_dot_dot_paths_inside_the_instance_root(tmp_path):
    root = tmp_path / "root"
    userdata.write_files({"write_files": [{"path": "/opt/../../../etc/escape", "content": "x"}]}, str(root))
    assert (root / "etc/escape").read_text() == "x"
    assert not (tmp_path / "etc").exists()


def test_write_files_needs_a_path(tmp_path):
    with pytest.raises(userdata.UserDataError, match="needs a path"):
        userdata.write_files({"write_files": [{"content": "x"}]}, str(tmp_path))


def test_invalid_yaml_is_reported():
    with pytest.raises(userdata.UserDataError, match="not valid YAML"):
        userdata.cloud_config(b"#cloud-config\nwrite_files: [\n")


def test_manifest_needs_a_command_and_a_port(tmp_path):
    path = tmp_path / "etc/fleet/workload.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({**MANIFEST, "port": 70000}))
    with pytest.raises(userdata.UserDataError, match="port must be an integer"):
        userdata.read_manifest(str(tmp_path))
    path.write_text(json.dumps({**MANIFEST, "command": "python -m http.server"}))
    with pytest.raises(userdata.UserDataError, match="command must be a non-empty list"):
        userdata.read_manifest(str(tmp_path))


def test_placeholders_expand_and_other_braces_stay():
    values = {"python": "/usr/bin/python3", "host": "127.77.0.1", "port": "8000", "model_dir": "/d", "root": "/r"}
    assert (
        userdata.expand("{root}/opt/x --bind {host}:{port} {json}", values) == "/r/opt/x --bind 127.77.0.1:8000 {json}"
    )
