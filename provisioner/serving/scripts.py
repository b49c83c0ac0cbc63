"""The bash scripts and systemd unit that the instance user data carries (rendered by userdata.py).

Every script honours FLEET_ROOT (default "": the VM's own root) so that tests run them for real in a
temporary directory. The scripts are constant text: no stack value is ever pasted into them. What they
need from the stack (model_dir, the image, the mirrors...) they read at run time, as data, from
/etc/fleet/install.json (written by userdata.py with json.dumps), through the system python3 that
cloud-init itself runs on. A value can therefore hold any character without becoming shell code.
"""

from __future__ import annotations

import re

INSTALL_CONFIG = "/etc/fleet/install.json"

# Reads one key of install.json into a shell variable: the value crosses as data (stdout of python3,
# captured by "$(...)"), never as shell text. cloud-init runs on python3, so it is on every image.
_SETTING = r"""setting() {
    python3 -c 'import json, sys; sys.stdout.write(str(json.load(open(sys.argv[1]))[sys.argv[2]]))' \
        "${root}/etc/fleet/install.json" "$1"
}
"""

# Runs the workload that /etc/fleet/workload.json declares (the file localcloud's runtime reads too).
# Bash settles this VM's values; the system python3 (cloud-init's own interpreter, so present on
# every image that runs this) parses the JSON, expands the placeholders in one pass and execs.
RUN_WORKLOAD = r"""#!/bin/bash
# Starts the workload that /etc/fleet/workload.json declares, placeholders expanded for this VM.
# FLEET_ROOT, FLEET_HOST and FLEET_PYTHON override the VM's values (tests use a temporary root).
set -euo pipefail
root="${FLEET_ROOT:-}"
manifest="${root}/etc/fleet/workload.json"
host="${FLEET_HOST:-0.0.0.0}"
python="${FLEET_PYTHON:-${root}/opt/fleet/venv/bin/python}"
if [[ -z "${FLEET_INSTANCE_ID:-}" ]]; then
    # cloud-init keeps the id it read from the metadata service: no network call needed here.
    if [[ -s "${root}/var/lib/cloud/data/instance-id" ]]; then
        FLEET_INSTANCE_ID="$(<"${root}/var/lib/cloud/data/instance-id")"
    else
        FLEET_INSTANCE_ID="$(hostname)"
    fi
fi
export FLEET_INSTANCE_ID FLEET_ROOT="$root" FLEET_HOST="$host" FLEET_PYTHON="$python"
exec python3 -c '
import json, os, re, sys
with open(sys.argv[1]) as f:
    m = json.load(f)
root = os.environ["FLEET_ROOT"]
values = {"python": os.environ["FLEET_PYTHON"], "host": os.environ["FLEET_HOST"],
          "port": str(m["port"]), "model_dir": root + m["model_dir"], "root": root}
def expand(text):
    return re.sub(r"\{(python|host|port|model_dir|root)\}", lambda g: values[g.group(1)], str(text))
argv = [expand(a) for a in m["command"]]
env = dict(os.environ, **{k: expand(v) for k, v in m.get("env", {}).items()})
os.execvpe(argv[0], argv, env)
' "$manifest"
"""

PREPARE_DATA_DISK = r"""#!/bin/bash
# Formats the model data disk only when it is blank, then mounts it at the model directory by UUID.
# A disk holding anything blkid recognises (a filesystem or a partition table) is never formatted.
set -euo pipefail
root="${FLEET_ROOT:-}"
@SETTING@model_dir="$(setting model_dir)"
label="$(setting fs_label)"
device="${FLEET_DATA_DEVICE:-$(setting data_device)}"
wait_seconds="${FLEET_DISK_WAIT:-$(setting disk_wait_seconds)}"
if [[ -n "$device" ]]; then
    candidates=("$device")
else
    # The first data disk: virtio (vdb), NVMe instance families (nvme1n1), older Xen types (xvdb).
    candidates=(/dev/vdb /dev/nvme1n1 /dev/xvdb)
fi
disk=""
for ((waited = 0; waited < wait_seconds; waited++)); do
    for candidate in "${candidates[@]}"; do
        if [[ -e "$candidate" ]]; then
            disk="$candidate"
            break 2
        fi
    done
    sleep 1
done
if [[ -z "$disk" ]]; then
    echo "fleet: no data disk among ${candidates[*]} after ${wait_seconds} s" >&2
    exit 1
fi
# blkid -p probes the device itself (no cache): exit 0 found something, 2 found nothing.
probe=0
blkid -p "$disk" >/dev/null 2>&1 || probe=$?
case "$probe" in
    0)
        echo "fleet: $disk already holds data; mounting it as it is"
        ;;
    2)
        echo "fleet: $disk is blank; creating an ext4 filesystem labelled $label"
        mkfs.ext4 -q -L "$label" "$disk"
        ;;
    *)
        echo "fleet: blkid could not probe $disk (exit $probe); refusing to format it" >&2
        exit 1
        ;;
esac
uuid="$(blkid -p -s UUID -o value "$disk" || true)"
fstype="$(blkid -p -s TYPE -o value "$disk" || true)"
if [[ -z "$uuid" || -z "$fstype" ]]; then
    echo "fleet: $disk holds no filesystem to mount (a partition table?); leaving it alone" >&2
    exit 1
fi
fstab="${root}/etc/fstab"
if ! grep -qs "^UUID=${uuid}[[:space:]]" "$fstab"; then
    # nofail: a missing disk does not stop the boot; the unit's RequiresMountsFor keeps the server down.
    printf 'UUID=%s %s %s defaults,nofail,x-systemd.device-timeout=30s 0 2\n' \
        "$uuid" "$model_dir" "$fstype" >>"$fstab"
fi
mkdir -p "${root}${model_dir}"
if ! mountpoint -q "${root}${model_dir}"; then
    mount "${root}${model_dir}"
fi
# ResizeDisk (data_disk.size_gib grown) grows the device only: ext4 grows online to fill it (no-op if it does).
if [[ "$fstype" == ext4 ]]; then
    resize2fs "$disk" >/dev/null 2>&1 || echo "fleet: resize2fs $disk failed; the filesystem keeps its size" >&2
fi
"""

INSTALL_SERVER = r"""#!/bin/bash
# Installs what the workload needs (a Python venv with pinned packages, or docker and the image)
# and the service account; cloud-init runs it once, before the service starts.
set -euo pipefail
root="${FLEET_ROOT:-}"
@SETTING@mode="$(setting mode)"
image="$(setting image)"
model_dir="$(setting model_dir)"
pip_index="$(setting pip_index_url)"
pip_trusted_host="$(setting pip_trusted_host)"
venv="${root}/opt/fleet/venv"
requirements="${root}/etc/fleet/requirements.txt"

install_packages() {
    if command -v apt-get >/dev/null 2>&1; then
        # First boot may find unattended-upgrades holding the dpkg lock: wait for it.
        apt-get -o DPkg::Lock::Timeout=600 update -q
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q "$@"
    elif command -v dnf >/dev/null 2>&1; then
        dnf install -y -q "$@"
    else
        yum install -y -q "$@"
    fi
}

usable_python() {
    "$1" -c 'import sys; sys.exit(sys.version_info < (3, 9))' >/dev/null 2>&1
}

find_python() {
    local candidate
    for candidate in python3 python3.12 python3.11 python3.10 python3.9; do
        if command -v "$candidate" >/dev/null 2>&1 && usable_python "$candidate"; then
            printf '%s\n' "$candidate"
            return 0
        fi
    done
    return 1
}

if ! id fleet >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin fleet
fi
mkdir -p "${root}${model_dir}"
chown fleet: "${root}${model_dir}"

if [[ "$mode" == docker ]]; then
    if ! command -v docker >/dev/null 2>&1; then
        if command -v apt-get >/dev/null 2>&1; then
            install_packages docker.io
        else
            install_packages docker
        fi
    fi
    systemctl enable --now docker
    docker pull "$image" || echo "fleet: pulling $image failed; the service pulls again on start" >&2
    exit 0
fi

python_bin="$(find_python || true)"
if [[ -z "$python_bin" ]] || ! "$python_bin" -m venv "$venv"; then
    # Debian and Ubuntu ship venv (ensurepip) apart; Alibaba Cloud Linux 3's python3 is 3.6.
    rm -rf "$venv"
    if command -v apt-get >/dev/null 2>&1; then
        install_packages python3-venv
    else
        install_packages python3.11
    fi
    python_bin="$(find_python)"
    "$python_bin" -m venv "$venv"
fi
if [[ -n "$pip_index" ]]; then
    # No public IP and no NAT: PyPI is reached through the mirror inside the VPC (serving.mirror.pip).
    export PIP_INDEX_URL="$pip_index"
    if [[ -n "$pip_trusted_host" ]]; then
        export PIP_TRUSTED_HOST="$pip_trusted_host"
    fi
fi
if grep -q '[^[:space:]]' "$requirements" 2>/dev/null; then
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet --requirement "$requirements"
fi
"""


PREPARE_DATA_DISK = PREPARE_DATA_DISK.replace("@SETTING@", _SETTING)
INSTALL_SERVER = INSTALL_SERVER.replace("@SETTING@", _SETTING)


def unit(*, data_disk: bool, model_dir: str, docker: bool, run_as: str) -> str:
    """The fleet-model.service unit: restarts forever, starts only once the model disk is mounted.
    `model_dir` has passed userdata.check_model_dir (plain characters only), checked again here because
    a unit file has no quoting that would keep a newline from adding a directive."""
    if not re.fullmatch(r"(/[A-Za-z0-9._-]+)+", model_dir) or run_as not in ("root", "fleet"):
        raise ValueError(f"unit: unsafe model_dir or user {model_dir!r} {run_as!r}")
    lines = [
        "[Unit]",
        "Description=Fleet model server (the workload in /etc/fleet/workload.json)",
        "Wants=network-online.target",
        "After=network-online.target",
    ]
    if data_disk:
        lines.append(f"RequiresMountsFor={model_dir}")
    if docker:
        lines += ["Requires=docker.service", "After=docker.service"]
    lines += ["StartLimitIntervalSec=0", "", "[Service]", "Type=simple", f"User={run_as}"]
    if docker:
        lines.append("ExecStartPre=-/usr/bin/env docker rm --force fleet-model")
    lines += [
        "ExecStart=/opt/fleet/run-workload",
        "Restart=always",
        "RestartSec=2",
        "TimeoutStopSec=30",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ]
    return "\n".join(lines)
