"""What the generated user data says: the manifest, the files, the unit, the commands, the limits."""

from __future__ import annotations

import base64
import dataclasses
import json

import pytest
import yaml

from provisioner.serving import userdata
from provisioner.serving.userdata import ServerSettings, ServingSettings, UserDataError

VLLM = {
    "port": 8000,
    "health_path": "/health",
    "model_dir": "/mnt/model",
    "server": {
        "image": "vllm/vllm-openai:v0.6.3",
        "gpus": "all",
        "args": ["--model", "/mnt/model/qwen2.5-0.5b", "--port", "{port}"],
        "env": {"HF_HUB_OFFLINE": "1", "HF_HOME": "{model_dir}/hf"},
    },
}


def document(serving=None, *, data_disk=True, role="model-server") -> dict:
    b64 = userdata.build_user_data(serving or {}, instance_role=role, data_disk=data_disk)
    return userdata.decode_user_data(b64)


def files(doc: dict) -> dict[str, dict]:
    return {f["path"]: f for f in doc["write_files"]}


def manifest(doc: dict) -> dict:
    return json.loads(files(doc)["/etc/fleet/workload.json"]["content"])


def install_config(doc: dict) -> dict:
    return json.loads(files(doc)["/etc/fleet/install.json"]["content"])


def test_user_data_is_the_base64_of_a_cloud_config_document():
    b64 = userdata.build_user_data({}, instance_role="model-server", data_disk=True)
    text = base64.b64decode(b64, validate=True).decode()
    assert text.startswith("#cloud-config\n")
    assert text == userdata.render_cloud_config({}, instance_role="model-server", data_disk=True)


def test_the_model_server_is_embedded_verbatim():
    entry = files(document())["/opt/fleet/modelserver.py"]
    assert entry["content"] == userdata.MODEL_SERVER_PATH.read_text()
    assert entry["permissions"] == "0644"


def test_the_default_manifest_follows_the_runtime_contract():
    m = manifest(document({"port": 8080}))
    assert set(m) == {"name", "command", "port", "health_path", "env", "model_dir", "data_disk"}
    assert m["data_disk"] == {"wait_seconds": userdata.DATA_DISK_WAIT_SECONDS}
    assert m["command"] == [
        "{python}",
        "{root}/opt/fleet/modelserver.py",
        "--host",
        "{host}",
        "--port",
        "{port}",
        "--model-dir",
        "{model_dir}",
    ]
    assert (m["name"], m["port"], m["health_path"], m["model_dir"]) == ("iris", 8080, "/v2/health/ready", "/mnt/model")
    assert m["env"] == {"FLEET_ROLE": "model-server"}


def test_without_a_data_disk_the_manifest_asks_for_no_disk_wait():
    m = manifest(document({"port": 8080}, data_disk=False))
    assert "data_disk" not in m


def test_the_disk_script_waits_as_long_as_the_manifest_says():
    doc = document()
    script = files(doc)["/opt/fleet/prepare-data-disk"]["content"]
    assert 'wait_seconds="${FLEET_DISK_WAIT:-$(setting disk_wait_seconds)}"' in script
    assert install_config(doc)["disk_wait_seconds"] == manifest(doc)["data_disk"]["wait_seconds"]


def test_the_default_server_installs_its_pinned_requirements():
    content = files(document())["/etc/fleet/requirements.txt"]["content"]
    assert content.splitlines() == list(userdata.SERVER_REQUIREMENTS)
    assert all(">=" in line and ",<" in line for line in content.splitlines())


def test_runcmd_prepares_the_disk_then_installs_then_starts_the_service():
    assert document()["runcmd"] == [
        ["/opt/fleet/prepare-data-disk"],
        ["/opt/fleet/install-server"],
        ["systemctl", "daemon-reload"],
        ["systemctl", "enable", "--now", "fleet-model.service"],
    ]


def test_the_disk_script_formats_only_a_blank_disk_with_a_label_and_mounts_by_uuid():
    script = files(document({"model_dir": "/srv/models"}))["/opt/fleet/prepare-data-disk"]
    text = script["content"]
    assert script["permissions"] == "0755"
    blank_case = text.index("    2)\n")
    assert text.index('mkfs.ext4 -q -L "$label" "$disk"') > blank_case > text.index('blkid -p "$disk"')
    assert text.count("mkfs") == 1
    assert 'model_dir="$(setting model_dir)"\nlabel="$(setting fs_label)"\n' in text
    config = install_config(document({"model_dir": "/srv/models"}))
    assert (config["model_dir"], config["fs_label"]) == ("/srv/models", "fleet-model")
    assert "printf 'UUID=%s %s %s defaults,nofail," in text


def test_without_a_data_disk_nothing_is_formatted_or_required_to_be_mounted():
    doc = document(data_disk=False)
    assert "/opt/fleet/prepare-data-disk" not in files(doc)
    assert ["/opt/fleet/prepare-data-disk"] not in doc["runcmd"]
    assert "RequiresMountsFor" not in files(doc)["/etc/systemd/system/fleet-model.service"]["content"]


def test_the_unit_restarts_always_and_waits_for_the_model_mount():
    unit = files(document({"model_dir": "/srv/models"}))["/etc/systemd/system/fleet-model.service"]["content"]
    lines = unit.splitlines()
    for line in (
        "RequiresMountsFor=/srv/models",
        "Restart=always",
        "ExecStart=/opt/fleet/run-workload",
        "User=fleet",
        "WantedBy=multi-user.target",
        "StartLimitIntervalSec=0",
    ):
        assert line in lines


def test_a_custom_command_is_rendered_into_the_manifest_with_its_requirements():
    serving = {
        "port": 9000,
        "health_path": "/healthz",
        "name": "echo",
        "server": {
            "command": ["{python}", "-m", "http.server", "--bind", "{host}", "{port}"],
            "pip": ["uvicorn>=0.29,<1"],
            "env": {"MODE": "fast"},
        },
    }
    doc = document(serving)
    m = manifest(doc)
    assert m["command"] == ["{python}", "-m", "http.server", "--bind", "{host}", "{port}"]
    assert (m["name"], m["port"], m["health_path"]) == ("echo", 9000, "/healthz")
    assert m["env"] == {"FLEET_ROLE": "model-server", "MODE": "fast"}
    assert "/opt/fleet/modelserver.py" not in files(doc)
    assert files(doc)["/etc/fleet/requirements.txt"]["content"] == "uvicorn>=0.29,<1\n"


def test_a_container_image_becomes_the_docker_run_argv():
    doc = document(VLLM)
    m = manifest(doc)
    assert m["command"] == [
        "docker",
        "run",
        "--rm",
        "--name",
        "fleet-model",
        "--publish",
        "{host}:{port}:8000",
        "--volume",
        "{model_dir}:/mnt/model",
        "--env",
        "FLEET_INSTANCE_ID",
        "--env",
        "HF_HUB_OFFLINE",
        "--env",
        "HF_HOME",
        "--gpus",
        "all",
        "vllm/vllm-openai:v0.6.3",
        "--model",
        "/mnt/model/qwen2.5-0.5b",
        "--port",
        "{port}",
    ]
    assert m["env"]["HF_HOME"] == "{model_dir}/hf"
    assert m["health_path"] == "/health"


def test_a_container_server_runs_as_root_after_docker_and_installs_no_venv_requirements():
    doc = document(VLLM)
    unit = files(doc)["/etc/systemd/system/fleet-model.service"]["content"].splitlines()
    assert "User=root" in unit and "Requires=docker.service" in unit
    assert "ExecStartPre=-/usr/bin/env docker rm --force fleet-model" in unit
    assert "/etc/fleet/requirements.txt" not in files(doc)
    assert (install_config(doc)["mode"], install_config(doc)["image"]) == ("docker", "vllm/vllm-openai:v0.6.3")


def test_a_container_port_other_than_the_serving_port_is_published_to_it():
    serving = dict(VLLM, port=80, server=dict(VLLM["server"], container_port=8000))
    assert "{host}:{port}:8000" in manifest(document(serving))["command"]


def test_env_values_stay_out_of_the_docker_argv():
    serving = dict(VLLM, server=dict(VLLM["server"], env={"HF_TOKEN": "hf_secret_value"}))
    assert not any("hf_secret_value" in arg for arg in manifest(document(serving))["command"])


def test_a_mapping_a_dataclass_and_the_provisioner_spec_give_the_same_user_data():
    spec = pytest.importorskip("provisioner.spec")
    Server, Serving = spec.Server, spec.Serving
    mirror = spec.Mirror()  # the spec's default: Alibaba Cloud's mirrors inside the VPC
    as_dict = {
        "port": 8000,
        "health_path": "/health",
        "mirror": {"apt": mirror.apt, "pip": mirror.pip},
        "server": {"image": "vllm/vllm-openai:v0.6.3", "env": {"A": "1"}},
    }
    as_dataclass = ServingSettings(
        port=8000,
        health_path="/health",
        pip_index_url=mirror.pip,
        apt_mirror=mirror.apt,
        server=ServerSettings(image="vllm/vllm-openai:v0.6.3", env={"A": "1"}),
    )
    as_spec = Serving(8000, "/health", None, Server(None, "vllm/vllm-openai:v0.6.3", (("A", "1"),)))
    rendered = {
        userdata.build_user_data(s, instance_role="r", data_disk=True) for s in (as_dict, as_dataclass, as_spec)
    }
    assert len(rendered) == 1


def test_the_document_round_trips_through_yaml_exactly():
    text = userdata.render_cloud_config(VLLM, instance_role="model-server", data_disk=True)
    doc = yaml.safe_load(text)
    assert yaml.safe_load(yaml.safe_dump(doc)) == doc
    assert files(doc)["/opt/fleet/run-workload"]["content"].startswith("#!/bin/bash\n")


def padded(extra: int) -> dict:
    return {"server": {"command": ["{python}", "-m", "server"], "env": {"PAD": "x" * extra}}}


def test_user_data_over_32_kib_before_base64_is_refused_naming_the_field():
    base = len(userdata.render_cloud_config(padded(0), instance_role="r", data_disk=True).encode())
    fits = padded(userdata.MAX_USER_DATA_BYTES - base)
    assert len(base64.b64decode(userdata.build_user_data(fits, instance_role="r", data_disk=True))) == 32768
    with pytest.raises(UserDataError) as caught:
        userdata.build_user_data(padded(userdata.MAX_USER_DATA_BYTES - base + 1), instance_role="r", data_disk=True)
    assert caught.value.field == "serving"
    assert "32769 bytes" in str(caught.value) and "UserData" in str(caught.value)


BAD = [
    ({"server": {"command": ["x"], "image": "y"}}, "serving.server", "either command or image"),
    ({"port": 0}, "serving.port", "1-65535"),
    ({"port": "80"}, "serving.port", "1-65535"),
    ({"model_dir": "models"}, "serving.model_dir", "absolute path"),
    ({"model_dir": "/mnt/my models"}, "serving.model_dir", "absolute path"),
    ({"model_dir": "/"}, "serving.model_dir", "absolute path"),
    ({"health_path": "health"}, "serving.health_path", "starting with /"),
    ({"server": {"command": "python -m server"}}, "serving.server.command", "list of strings"),
    ({"server": {"command": ["{python}", 3]}}, "serving.server.command[1]", "must be a string"),
    ({"server": {"command": ["{pyhton}", "-m", "x"]}}, "serving.server.command", "unknown placeholder"),
    ({"server": {"image": "bad image"}}, "serving.server.image", "container image"),
    ({"server": {"env": {"1BAD": "x"}}}, "serving.server.env", "environment variable name"),
    ({"server": {"env": {"GOOD": ["x"]}}}, "serving.server.env.GOOD", "string or a number"),
    ({"server": {"args": ["--x"]}}, "serving.server", "only with image"),
    ({"server": {"image": "img", "pip": ["x"]}}, "serving.server.pip", "only with command"),
    ({"server": {"image": "img", "container_port": 70000}}, "serving.server.container_port", "1-65535"),
    ({"fs_label": "a-label-far-too-long"}, "serving.fs_label", "ext4 label"),
    ({"data_device": "vdb"}, "serving.data_device", "/dev path"),
]


@pytest.mark.parametrize("serving, field, text", BAD, ids=[b[1] + ":" + b[2] for b in BAD])
def test_bad_serving_settings_are_refused_naming_the_field(serving, field, text):
    with pytest.raises(UserDataError) as caught:
        userdata.build_user_data(serving, instance_role="model-server", data_disk=True)
    assert caught.value.field == field
    assert text in str(caught.value)


def test_the_role_must_be_a_string():
    with pytest.raises(UserDataError) as caught:
        userdata.build_user_data({}, instance_role=None, data_disk=True)
    assert caught.value.field == "instance_role"


def test_settings_objects_are_plain_frozen_dataclasses():
    settings = userdata.settings_from(VLLM)
    assert dataclasses.is_dataclass(settings) and settings.server.gpus == "all"
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.port = 1
