"""Instances have no public IP and no NAT: the user data installs from Alibaba Cloud's mirrors inside the
VPC (or the stack's own), the install script really uses them, and a stack that would need the internet
is reported for the real cloud."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from provisioner.serving import userdata
from provisioner.serving.egress import image_registry, internet_needs
from provisioner.spec import ALIYUN_APT_MIRROR, ALIYUN_PIP_MIRROR, parse_stack
from tests.security.helpers import run_cli, with_changes


def spec_of(serving: dict):
    return parse_stack(yaml.safe_dump(with_changes({"serving": serving})))


def document(spec) -> dict:
    return userdata.decode_user_data(
        userdata.build_user_data(spec.serving, instance_role="model-server", data_disk=True)
    )


def install_config(doc: dict) -> dict:
    return json.loads({f["path"]: f["content"] for f in doc["write_files"]}["/etc/fleet/install.json"])


def test_by_default_apt_and_pip_use_alibaba_clouds_mirrors_inside_the_vpc():
    doc = document(spec_of({}))
    assert doc["apt"] == {
        "primary": [{"arches": ["default"], "uri": ALIYUN_APT_MIRROR}],
        "security": [{"arches": ["default"], "uri": ALIYUN_APT_MIRROR}],
    }
    config = install_config(doc)
    assert config["pip_index_url"] == "http://mirrors.cloud.aliyuncs.com/pypi/simple/" == ALIYUN_PIP_MIRROR
    assert config["pip_trusted_host"] == "mirrors.cloud.aliyuncs.com"  # plain http needs it


def test_the_stack_can_name_its_own_mirrors_or_none():
    doc = document(spec_of({"mirror": {"apt": "none", "pip": "https://pypi.internal.example/simple/"}}))
    assert "apt" not in doc
    config = install_config(doc)
    assert (config["pip_index_url"], config["pip_trusted_host"]) == ("https://pypi.internal.example/simple/", "")


def test_a_registry_mirror_becomes_dockers_registry_mirrors():
    doc = document(
        spec_of(
            {
                "mirror": {"registry": "https://abc.mirror.aliyuncs.com"},
                "server": {"container": "vllm/vllm-openai:v0.6.3"},
            }
        )
    )
    daemon = {f["path"]: f["content"] for f in doc["write_files"]}["/etc/docker/daemon.json"]
    assert json.loads(daemon) == {"registry-mirrors": ["https://abc.mirror.aliyuncs.com"]}


def test_a_mirror_that_is_not_a_plain_url_is_refused_naming_the_field():
    import pytest

    from provisioner.errors import SpecError

    for bad in ("http://x\n[global]\nindex-url=http://evil", "ftp://mirror", "http://a b/", "--index-url"):
        with pytest.raises(SpecError) as caught:
            spec_of({"mirror": {"pip": bad}})
        assert caught.value.field == "serving.mirror.pip"


def test_the_install_script_hands_the_mirror_to_pip(tmp_path):
    root = tmp_path / "vm"
    doc = document(spec_of({"server": {"command": ["{python}", "-m", "x"], "pip": ["numpy>=1.26,<2"]}}))
    for entry in doc["write_files"]:
        target = root / entry["path"].lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(entry["content"])
        target.chmod(int(entry["permissions"], 8))
    bin_dir, log = tmp_path / "bin", tmp_path / "pip.log"
    bin_dir.mkdir()
    # python3 -m venv makes a venv whose python logs what pip would be run with (no network here).
    (bin_dir / "python3").write_text(
        "#!/bin/bash\n"
        'if [[ "$1 $2" == "-m venv" ]]; then\n'
        '    mkdir -p "$3/bin"\n'
        "    printf '#!/bin/bash\\necho \"PIP_INDEX_URL=$PIP_INDEX_URL "
        f"PIP_TRUSTED_HOST=$PIP_TRUSTED_HOST $*\" >> {log}\\n'"
        ' > "$3/bin/python"\n'
        '    chmod +x "$3/bin/python"\n'
        "    exit 0\n"
        "fi\n"
        f'exec {sys.executable} "$@"\n'
    )
    for name, body in (("python3", None), ("id", "exit 0"), ("chown", "exit 0")):
        if body is not None:
            (bin_dir / name).write_text(f"#!/bin/bash\n{body}\n")
        (bin_dir / name).chmod(0o755)
    env = dict(os.environ, FLEET_ROOT=str(root), PATH=f"{bin_dir}:{os.environ['PATH']}")
    result = subprocess.run(
        ["bash", str(root / "opt/fleet/install-server")], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    lines = Path(log).read_text().splitlines()
    assert lines[-1] == (
        f"PIP_INDEX_URL={ALIYUN_PIP_MIRROR} PIP_TRUSTED_HOST=mirrors.cloud.aliyuncs.com "
        f"-m pip install --quiet --requirement {root}/etc/fleet/requirements.txt"
    )


def test_image_registries_are_read_from_the_reference():
    assert image_registry("vllm/vllm-openai:v0.6.3") == "docker.io"
    assert image_registry("nginx") == "docker.io"
    assert image_registry("registry-vpc.cn-hangzhou.aliyuncs.com/ns/img:1") == "registry-vpc.cn-hangzhou.aliyuncs.com"
    assert image_registry("ghcr.io/org/img") == "ghcr.io"


def test_a_public_image_without_a_registry_mirror_needs_the_internet():
    warnings = internet_needs(spec_of({"server": {"container": "vllm/vllm-openai:v0.6.3"}}).serving)
    assert len(warnings) == 1 and "docker.io, a public registry" in warnings[0]


def test_an_image_in_the_vpc_registry_or_behind_a_mirror_needs_nothing_more():
    in_vpc = spec_of({"server": {"container": "registry-vpc.cn-hangzhou.aliyuncs.com/ns/vllm:1"}})
    mirrored = spec_of(
        {"server": {"container": "vllm/vllm-openai:v0.6.3"}, "mirror": {"registry": "https://abc.mirror.aliyuncs.com"}}
    )
    assert internet_needs(in_vpc.serving) == [] and internet_needs(mirrored.serving) == []


def test_the_default_stack_needs_no_internet_but_without_a_pip_mirror_it_does():
    assert internet_needs(spec_of({}).serving) == []
    warnings = internet_needs(spec_of({"mirror": {"apt": "none", "pip": "none"}}).serving)
    assert len(warnings) == 1 and warnings[0].startswith("serving.mirror.pip is none")


def test_the_apt_mirror_follows_the_images_distribution():
    def mirrors(image: str) -> tuple:
        key, other = ("image_family", "image") if image.startswith("acs:") else ("image", "image_family")
        doc = document(parse_stack(yaml.safe_dump(with_changes({"instances": {key: image, other: None}}))))
        apt = doc.get("apt")
        return (apt["primary"][0]["uri"], apt["security"][0]["uri"]) if apt else None

    assert mirrors("ubuntu_22_04_x64_20G_alibase_20240130.vhd") == (ALIYUN_APT_MIRROR, ALIYUN_APT_MIRROR)
    assert mirrors("debian_12_5_x64_20G_alibase_20240521.vhd") == (
        "http://mirrors.cloud.aliyuncs.com/debian/",
        "http://mirrors.cloud.aliyuncs.com/debian-security/",
    )
    assert mirrors("aliyun_3_x64_20G_alibase_20240528.vhd") is None  # yum: the image's own repositories
    assert mirrors("acs:ubuntu_22_04_x64")[0] == ALIYUN_APT_MIRROR
    assert mirrors("acs:debian_12_x64")[1] == "http://mirrors.cloud.aliyuncs.com/debian-security/"


def test_plan_on_localcloud_prints_no_internet_warning(emulator, tmp_path):
    stack = tmp_path / "stack.yaml"
    stack.write_text(yaml.safe_dump(with_changes({"serving": {"server": {"container": "vllm/vllm-openai:v0.6.3"}}})))
    result = run_cli(emulator, ["plan", "--stack", str(stack), "--state", str(tmp_path / "s.json"), "--json"])
    assert result.exit_code == 4, result.stderr
    assert "warnings" not in result.doc and "public registry" not in result.stderr


def test_plan_for_the_real_cloud_warns_that_a_public_image_needs_the_internet(emulator, tmp_path, monkeypatch):
    # The real cloud, as far as the CLI can tell (kind "alibaba"); its API calls still go to localcloud.
    import dataclasses

    from provisioner import cli as cli_module

    real_resolve = cli_module.resolve

    def alibaba_like(*args, **kwargs):
        local = real_resolve(*args, **kwargs)

        class AlibabaLike(type(local)):
            def sdk_config(self, *a, **k):
                return local.sdk_config(*a, **k)

        fields = {f.name: getattr(local, f.name) for f in dataclasses.fields(local)}
        return AlibabaLike(**{**fields, "kind": "alibaba"})

    monkeypatch.setattr(cli_module, "resolve", alibaba_like)
    stack = tmp_path / "stack.yaml"
    stack.write_text(yaml.safe_dump(with_changes({"serving": {"server": {"container": "vllm/vllm-openai:v0.6.3"}}})))
    result = run_cli(emulator, ["plan", "--stack", str(stack), "--state", str(tmp_path / "s.json"), "--json"])
    assert result.exit_code == 4, result.stderr
    assert len(result.doc["warnings"]) == 1 and "public registry" in result.doc["warnings"][0]
    human = run_cli(emulator, ["plan", "--stack", str(stack), "--state", str(tmp_path / "s.json")])
    assert any(line.startswith("warning: serving.server.container") for line in human.stdout.splitlines())
