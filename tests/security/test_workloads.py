"""Workloads run with the least privilege: not as root, in a clean environment, owning only their
instance's directories, before and after an emulator restart; nothing the runtime writes as root
follows a link a workload planted; released loopback addresses are reused."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import stat
import subprocess
import urllib.request
from pathlib import Path

import pytest

from localcloud import credentials
from localcloud.runtime.testing import Stage, demo_user_data
from localcloud.runtime.workload import Addresses
from localcloud.server import serve_in_thread, stop
from tests import helpers

pytestmark = pytest.mark.timeout(120)
eventually = functools.partial(helpers.eventually, timeout=30.0, interval=0.05)
ROOT = os.geteuid() == 0
ALLOWED_ENV = {"PATH", "HOME", "LANG", "FLEET_INSTANCE_ID", "GREETING"}  # GREETING: the demo manifest's env


@pytest.fixture
def leaky_environment(monkeypatch):
    """Secrets in the emulator's own environment, which no workload may inherit."""
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "the-emulators-own-secret")
    monkeypatch.setenv("LOCALCLOUD_SOMETHING_PRIVATE", "do-not-pass-on")


@pytest.fixture
def emulator(runtime_server):
    runtime_server.emulator.reset()
    yield runtime_server.emulator
    runtime_server.emulator.reset()


def serving(runtime, iid: str) -> dict:
    def answers():
        info = next((w for w in runtime.describe()["instances"] if w["instance_id"] == iid), None)
        if not info or info["state"] != "running":
            return None
        try:
            with urllib.request.urlopen(f"http://{info['address']}:{info['port']}/", timeout=2) as resp:
                return info if resp.status == 200 else None
        except OSError:
            return None

    return eventually(answers, f"{iid}'s workload to answer")


def process_uid(pid: int) -> int:
    with open(f"/proc/{pid}/status") as handle:
        return int(next(line for line in handle if line.startswith("Uid:")).split()[1])


def process_env(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/environ", "rb") as handle:
        items = [item.decode() for item in handle.read().split(b"\0") if item]
    return dict(item.split("=", 1) for item in items)


def assert_least_privilege(info: dict) -> None:
    uid = process_uid(info["pid"])
    if ROOT:
        assert uid != 0
    else:
        assert uid == os.geteuid()
    env = process_env(info["pid"])
    assert not [k for k in env if k.startswith(("ALIBABA_CLOUD_", "LOCALCLOUD_"))], env
    assert set(env) <= ALLOWED_ENV, set(env) - ALLOWED_ENV
    assert env["FLEET_INSTANCE_ID"] == info["instance_id"] and env["GREETING"] == "hello"


def test_a_workload_runs_unprivileged_with_a_clean_environment(leaky_environment, emulator):
    Stage(emulator).instance("i-least", demo_user_data())
    assert_least_privilege(serving(emulator.cloud.runtime, "i-least"))


def test_after_a_restart_the_workload_comes_back_under_the_same_rules(leaky_environment, tmp_path):
    server, _ = serve_in_thread(str(tmp_path), instant=True, runtime=True)
    try:
        Stage(server.emulator).instance("i-again", demo_user_data())
        first = serving(server.emulator.cloud.runtime, "i-again")
        assert_least_privilege(first)
    finally:
        stop(server)
    server, _ = serve_in_thread(str(tmp_path), instant=True, runtime=True)
    try:
        again = serving(server.emulator.cloud.runtime, "i-again")
        assert again["pid"] != first["pid"]
        assert_least_privilege(again)
    finally:
        server.emulator.reset()
        stop(server)


def test_the_workload_owns_only_its_instance_root_and_the_runtime_keeps_the_rest(emulator):
    Stage(emulator).instance("i-dirs", demo_user_data())
    info = serving(emulator.cloud.runtime, "i-dirs")
    uid = process_uid(info["pid"])
    root = os.stat(info["root"], follow_symlinks=False)
    assert (root.st_uid, stat.S_IMODE(root.st_mode)) == (uid, 0o700)
    home = os.path.dirname(info["root"])
    for name in ("address", "workload.log"):  # what the runtime trusts stays the emulator's
        st = os.stat(os.path.join(home, name))
        assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (os.geteuid(), 0o600)
    assert os.stat(home).st_uid == os.geteuid()
    if ROOT:
        assert not info["root"].startswith(emulator.data_dir)  # the 0700 data dir is out of its reach


def test_the_data_dir_key_file_and_control_api_are_out_of_a_workloads_reach(emulator, runtime_server):
    data_dir = emulator.data_dir
    assert stat.S_IMODE(os.stat(data_dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(os.path.join(data_dir, credentials.KEY_FILE)).st_mode) == 0o600
    identity = emulator.cloud.runtime.identity
    if not identity.switches:
        pytest.skip("workloads run as the emulator's own user here (not root): the modes above are the proof")
    probe = (
        "import json, sys, urllib.request, urllib.error\n"
        "out = {}\n"
        "try:\n    open(sys.argv[1]).read(); out['key_file'] = 'read'\n"
        "except PermissionError:\n    out['key_file'] = 'denied'\n"
        "req = urllib.request.Request(sys.argv[2] + '/_localcloud/reset', method='POST', data=b'')\n"
        "try:\n    urllib.request.build_opener(urllib.request.ProxyHandler({})).open(req); out['reset'] = 200\n"
        "except urllib.error.HTTPError as err:\n    out['reset'] = err.code\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run(
        [identity.python, "-c", probe, os.path.join(data_dir, credentials.KEY_FILE), runtime_server.url],
        user=identity.uid,
        group=identity.gid,
        extra_groups=[],
        capture_output=True,
        text=True,
        timeout=60,
        cwd="/",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"key_file": "denied", "reset": 403}


def reboot(stage: Stage, iid: str) -> None:
    stage.status("instance", iid, "Stopping", "Stopped")
    stage.status("instance", iid, "Starting", "Running")


def test_a_symlink_planted_in_the_instance_root_is_not_followed_at_the_next_boot(emulator, tmp_path):
    stage = Stage(emulator)
    stage.instance("i-link", demo_user_data())
    info = serving(emulator.cloud.runtime, "i-link")
    victim = tmp_path / "victim"
    victim.write_text("precious")
    manifest = os.path.join(info["root"], "etc", "fleet", "workload.json")
    os.unlink(manifest)
    os.symlink(victim, manifest)
    reboot(stage, "i-link")
    eventually(
        lambda: (w := serving(emulator.cloud.runtime, "i-link")) and w["boot"] == info["boot"] + 1, "the second boot"
    )
    assert victim.read_text() == "precious"
    assert not os.path.islink(manifest)


def test_a_symlinked_directory_in_the_instance_root_stops_the_boot_and_writes_nothing(emulator, tmp_path):
    stage = Stage(emulator)
    stage.instance("i-dirlink", demo_user_data())
    info = serving(emulator.cloud.runtime, "i-dirlink")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    fleet = os.path.join(info["root"], "etc", "fleet")
    for name in os.listdir(fleet):
        os.unlink(os.path.join(fleet, name))
    os.rmdir(fleet)
    os.symlink(elsewhere, fleet)
    reboot(stage, "i-dirlink")

    def refused():
        w = next((w for w in emulator.cloud.runtime.describe()["instances"] if w["instance_id"] == "i-dirlink"), None)
        return w if w and w["boot"] == info["boot"] + 1 and w["state"] == "none" else None

    assert "symlink" in eventually(refused, "the boot to be refused")["last_error"]
    assert os.listdir(elsewhere) == []


def test_a_hard_link_planted_in_the_instance_root_is_replaced_not_written_through(emulator, tmp_path):
    stage = Stage(emulator)
    stage.instance("i-hard", demo_user_data())
    info = serving(emulator.cloud.runtime, "i-hard")
    manifest = os.path.join(info["root"], "etc", "fleet", "workload.json")
    victim = os.path.join(os.path.dirname(info["root"]), "victim")  # same file system as the root
    with open(victim, "w") as handle:
        handle.write("precious")
    os.unlink(manifest)
    os.link(victim, manifest)
    reboot(stage, "i-hard")
    eventually(
        lambda: (w := serving(emulator.cloud.runtime, "i-hard")) and w["boot"] == info["boot"] + 1, "the second boot"
    )
    assert Path(victim).read_text() == "precious"
    assert os.stat(manifest).st_nlink == 1


def same_address_id(instance_id: str) -> str:
    """Another instance id whose address seed is the same as `instance_id`'s (found by search)."""

    def seed(iid):
        return int.from_bytes(hashlib.sha256(iid.encode()).digest()[:4], "big") % (256 * 254)

    target = seed(instance_id)
    return next(f"i-probe{n}" for n in range(10**7) if seed(f"i-probe{n}") == target)


def test_a_released_address_is_given_to_the_next_instance_that_wants_it(tmp_path):
    addresses = Addresses(str(tmp_path))
    first = addresses.of("i-first")
    twin = same_address_id("i-first")
    assert addresses.of(twin) != first  # taken: the twin steps to the next free address
    addresses = Addresses(str(tmp_path))  # as after a restart
    addresses.release("i-first")
    addresses.release(twin)
    assert addresses.of(twin) == first  # free again: reused


def test_releasing_an_instance_frees_its_address_in_the_runtime(emulator):
    stage = Stage(emulator)
    stage.instance("i-gone", demo_user_data())
    serving(emulator.cloud.runtime, "i-gone")
    runtime = emulator.cloud.runtime
    assert runtime.addresses.known("i-gone")
    stage.release("instance", "i-gone")
    eventually(lambda: runtime.addresses.known("i-gone") is None, "the address to be released")


def test_workload_dirs_of_a_deleted_data_dir_are_removed_at_the_next_start(tmp_path):
    import shutil

    if not ROOT:
        pytest.skip("workload dirs live apart from the data dir only when workloads switch user (root)")
    server, _ = serve_in_thread(str(tmp_path / "gone"), instant=True, runtime=True)
    base = server.emulator.cloud.runtime.base_dir
    stop(server)
    assert os.path.isdir(base)
    shutil.rmtree(tmp_path / "gone")
    server, _ = serve_in_thread(str(tmp_path / "other"), instant=True, runtime=True)
    try:
        assert not os.path.exists(base)
    finally:
        stop(server)


def test_runtime_describes_whom_workloads_run_as(emulator):
    described = emulator.cloud.runtime.describe()
    assert described["user"] and described["python"]
    if ROOT:
        assert described["user"] != "root"


def test_packages_the_workload_user_cannot_read_are_mirrored_into_its_venv(tmp_path):
    """A checkout under /root (mode 700): the workload venv gets hard links of its packages."""
    import shutil
    import tempfile

    from localcloud.runtime import sandbox

    if not ROOT:
        pytest.skip("only root switches workloads to another user")
    hidden = tmp_path / "hidden"  # under pytest's 0700 temp dir: others cannot enter
    (hidden / "site").mkdir(parents=True)
    (hidden / "site" / "probe_pkg.py").write_text("ANSWER = 42\n")
    user = sandbox.identity()
    shared = tempfile.mkdtemp(dir="/var/tmp", prefix="lc-shared-")
    try:
        os.chmod(shared, 0o711)
        python = sandbox.workload_venv(user.uid, user.gid, [str(hidden / "site")], shared)
        assert python.startswith(shared)
        done = subprocess.run(
            [python, "-c", "import probe_pkg; print(probe_pkg.ANSWER)"],
            user=user.uid,
            group=user.gid,
            extra_groups=[],
            capture_output=True,
            text=True,
            timeout=60,
            cwd="/",
        )
        assert (done.returncode, done.stdout.strip()) == (0, "42"), done.stderr
    finally:
        shutil.rmtree(shared, ignore_errors=True)
