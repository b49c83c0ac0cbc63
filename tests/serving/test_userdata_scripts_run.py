"""The user data's scripts run for real under bash in a temporary root (FLEET_ROOT), as on the VM.

The disk script runs the real blkid and mkfs.ext4 on a disk image file; only `mount` and
`mountpoint`, which need privileges a test must not use, are stand-ins that record their calls.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from provisioner.serving import modelserver, userdata
from tests.helpers import eventually
from tests.serving.helpers import fake_venv_python, free_port, materialise

needs_e2fs = pytest.mark.skipif(
    not (shutil.which("blkid") and shutil.which("mkfs.ext4")),
    reason="blkid and mkfs.ext4 (util-linux, e2fsprogs) are not installed",
)


def vm_root(tmp_path: Path, serving=None, *, data_disk=True) -> Path:
    root = tmp_path / "vm"
    root.mkdir()
    materialise(userdata.build_user_data(serving or {}, instance_role="model-server", data_disk=data_disk), root)
    return root


def stub_bin(tmp_path: Path, **scripts: str) -> tuple[Path, Path]:
    """A bin directory of stand-in commands that log their argv to calls.log, then run the given body."""
    bin_dir, log = tmp_path / "bin", tmp_path / "calls.log"
    bin_dir.mkdir(exist_ok=True)
    for name, body in scripts.items():
        path = bin_dir / name
        path.write_text(f'#!/bin/bash\necho "{name} $*" >> {log}\n{body}\n')
        path.chmod(0o755)
    return bin_dir, log


def run_disk_script(root: Path, device: Path, bin_dir: Path, **env) -> subprocess.CompletedProcess:
    environment = dict(
        os.environ,
        FLEET_ROOT=str(root),
        FLEET_DATA_DEVICE=str(device),
        FLEET_DISK_WAIT="2",
        PATH=f"{bin_dir}:{os.environ['PATH']}:/usr/sbin:/sbin",
    )
    environment.update(env)
    return subprocess.run(
        ["bash", str(root / "opt/fleet/prepare-data-disk")], env=environment, capture_output=True, text=True, timeout=60
    )


def blank_disk(tmp_path: Path) -> Path:
    disk = tmp_path / "vdb.img"
    with open(disk, "wb") as f:
        f.truncate(16 * 1024 * 1024)
    return disk


def probe(disk: Path, tag: str) -> str:
    return subprocess.run(
        ["blkid", "-p", "-s", tag, "-o", "value", str(disk)], capture_output=True, text=True
    ).stdout.strip()


MOUNT_STUBS = {"mount": "exit 0", "mountpoint": "exit 1"}


@needs_e2fs
def test_a_blank_disk_is_formatted_with_the_label_and_mounted_by_uuid(tmp_path):
    root, disk = vm_root(tmp_path), blank_disk(tmp_path)
    bin_dir, log = stub_bin(tmp_path, **MOUNT_STUBS)
    result = run_disk_script(root, disk, bin_dir)
    assert result.returncode == 0, result.stderr
    assert (probe(disk, "TYPE"), probe(disk, "LABEL")) == ("ext4", "fleet-model")
    fstab = (root / "etc/fstab").read_text().splitlines()
    assert fstab == [f"UUID={probe(disk, 'UUID')} /mnt/model ext4 defaults,nofail,x-systemd.device-timeout=30s 0 2"]
    assert f"mount {root}/mnt/model" in log.read_text().splitlines()


@needs_e2fs
def test_running_the_disk_script_again_neither_reformats_nor_duplicates_the_fstab_line(tmp_path):
    root, disk = vm_root(tmp_path), blank_disk(tmp_path)
    bin_dir, _ = stub_bin(tmp_path, **MOUNT_STUBS)
    run_disk_script(root, disk, bin_dir)
    uuid = probe(disk, "UUID")
    second = run_disk_script(root, disk, bin_dir)
    assert second.returncode == 0, second.stderr
    assert "already holds data" in second.stdout
    assert probe(disk, "UUID") == uuid
    assert len((root / "etc/fstab").read_text().splitlines()) == 1


@needs_e2fs
def test_a_disk_that_already_holds_a_filesystem_keeps_it(tmp_path):
    root, disk = vm_root(tmp_path), blank_disk(tmp_path)
    subprocess.run(["mkfs.ext4", "-q", "-L", "old-models", str(disk)], check=True)
    uuid = probe(disk, "UUID")
    bin_dir, _ = stub_bin(tmp_path, **MOUNT_STUBS)
    result = run_disk_script(root, disk, bin_dir)
    assert result.returncode == 0, result.stderr
    assert (probe(disk, "UUID"), probe(disk, "LABEL")) == (uuid, "old-models")
    assert (root / "etc/fstab").read_text().startswith(f"UUID={uuid} /mnt/model ext4 ")


def test_a_disk_blkid_cannot_probe_is_never_formatted(tmp_path):
    root, disk = vm_root(tmp_path), blank_disk(tmp_path)
    bin_dir, log = stub_bin(tmp_path, blkid="exit 8", **{"mkfs.ext4": "exit 0"}, **MOUNT_STUBS)
    result = run_disk_script(root, disk, bin_dir)
    assert result.returncode == 1
    assert "refusing to format" in result.stderr
    assert not any(line.startswith("mkfs.ext4") for line in log.read_text().splitlines())


def test_a_missing_data_disk_fails_after_the_wait_without_formatting(tmp_path):
    root = vm_root(tmp_path)
    bin_dir, log = stub_bin(tmp_path, **{"mkfs.ext4": "exit 0"}, **MOUNT_STUBS)
    result = run_disk_script(root, tmp_path / "no-such-disk", bin_dir, FLEET_DISK_WAIT="1")
    assert result.returncode == 1
    assert "no data disk" in result.stderr
    assert not log.exists()


def run_workload(root: Path, **env) -> subprocess.Popen:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FLEET_")}
    environment.update(FLEET_ROOT=str(root), **env)
    return subprocess.Popen(
        ["bash", str(root / "opt/fleet/run-workload")],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_the_runner_expands_every_placeholder_for_the_vm(tmp_path):
    report = (
        "import json, os, sys; print(json.dumps({'argv': sys.argv[1:], 'exe': sys.executable,"
        " 'env': {k: v for k, v in os.environ.items() if k in ('FLEET_ROLE', 'DATA', 'FLEET_INSTANCE_ID')}}))"
    )
    serving = {
        "port": 9100,
        "model_dir": "/data/m",
        "server": {
            "command": ["{python}", "-c", report, "{host}", "{port}", "{model_dir}", "{root}/x", "{python}{port}"],
            "env": {"DATA": "{model_dir}/cache"},
        },
    }
    root = vm_root(tmp_path, serving)
    python = fake_venv_python(root)
    (root / "var/lib/cloud/data").mkdir(parents=True)
    (root / "var/lib/cloud/data/instance-id").write_text("i-abc123\n")
    process = run_workload(root)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    seen = json.loads(out)
    assert seen["argv"] == ["0.0.0.0", "9100", f"{root}/data/m", f"{root}/x", f"{python}9100"]
    assert seen["env"] == {
        "FLEET_ROLE": "model-server",
        "DATA": f"{root}/data/m/cache",
        "FLEET_INSTANCE_ID": "i-abc123",
    }


def test_the_runner_leaves_other_braces_in_arguments_alone(tmp_path):
    serving = {"server": {"command": ["{python}", "-c", "import sys; print(sys.argv[1])", '{"a": "{port}x"}']}}
    root = vm_root(tmp_path, serving)
    fake_venv_python(root)
    process = run_workload(root, FLEET_INSTANCE_ID="i-1")
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert out.strip() == '{"a": "8000x"}'


def test_the_runner_starts_the_default_model_server_from_the_user_data(tmp_path):
    port = free_port()
    root = vm_root(tmp_path, {"port": port})
    fake_venv_python(root)
    (root / "mnt/model").mkdir(parents=True)
    process = run_workload(root, FLEET_HOST="127.0.0.1", FLEET_INSTANCE_ID="i-vm1")
    base = f"http://127.0.0.1:{port}"
    try:

        def ready() -> bool:
            assert process.poll() is None, process.stderr.read()
            try:
                return urllib.request.urlopen(base + "/v2/health/ready", timeout=2).status == 200
            except (urllib.error.URLError, ConnectionError):
                return False

        eventually(ready, "the model server to become ready", timeout=30, interval=0.1)
        rows = [[5.0, 3.4, 1.5, 0.2], [6.9, 3.1, 5.4, 2.1]]
        body = json.dumps({"inputs": [{"name": "input-0", "shape": [2, 4], "datatype": "FP32", "data": rows}]})
        request = urllib.request.Request(
            base + "/v2/models/iris/infer", data=body.encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            answer, instance = json.loads(response.read()), response.headers["X-Fleet-Instance"]
        assert instance == "i-vm1"
        assert answer["outputs"][0]["data"] == modelserver.predict(root / "mnt/model", rows)
        assert (root / "mnt/model" / modelserver.META_FILE).exists()  # the model lives on the disk
    finally:
        process.terminate()
        process.wait(15)


def run_install_script(root: Path, bin_dir: Path) -> subprocess.CompletedProcess:
    environment = dict(os.environ, FLEET_ROOT=str(root), PATH=f"{bin_dir}:{os.environ['PATH']}")
    return subprocess.run(
        ["bash", str(root / "opt/fleet/install-server")], env=environment, capture_output=True, text=True, timeout=300
    )


def test_the_install_script_creates_the_service_account_and_a_venv(tmp_path):
    # A command server with no pip requirements: the script needs no network.
    root = vm_root(tmp_path, {"model_dir": "/srv/m", "server": {"command": ["{python}", "-m", "http.server"]}})
    bin_dir, log = stub_bin(tmp_path, id="exit 1", useradd="exit 0", chown="exit 0")
    result = run_install_script(root, bin_dir)
    assert result.returncode == 0, result.stderr
    calls = log.read_text().splitlines()
    assert "useradd --system --no-create-home --shell /usr/sbin/nologin fleet" in calls
    assert f"chown fleet: {root}/srv/m" in calls
    venv_python = root / "opt/fleet/venv/bin/python"
    assert subprocess.run([str(venv_python), "-c", "import sys; assert sys.prefix != sys.base_prefix"]).returncode == 0


def test_the_install_script_for_an_image_enables_docker_and_pulls_it(tmp_path):
    root = vm_root(tmp_path, {"server": {"image": "vllm/vllm-openai:v0.6.3"}})
    bin_dir, log = stub_bin(tmp_path, id="exit 0", chown="exit 0", docker="exit 0", systemctl="exit 0")
    result = run_install_script(root, bin_dir)
    assert result.returncode == 0, result.stderr
    calls = log.read_text().splitlines()
    assert calls[-2:] == ["systemctl enable --now docker", "docker pull vllm/vllm-openai:v0.6.3"]
    assert not (root / "opt/fleet/venv").exists()
