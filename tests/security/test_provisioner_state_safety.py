"""The state and the lock: never opened through a symlink, state/ created 0700, operating-system failures
(read-only folder, disk full, permission denied) end in exit 1 with one line and, with --json, one JSON
document; reconcile --log-json still writes its line; the lock messages tell a live holder from a dead one."""

from __future__ import annotations

import errno
import json
import logging
import os
import socket
import stat
import subprocess
import sys

import pytest
import yaml

from provisioner import state as state_module
from provisioner.errors import LockHeld, StateError
from provisioner.state import StackLock, State, atomic_write_json, lock_advice
from tests.security.helpers import run_cli, with_changes


@pytest.fixture
def stack_file(tmp_path):
    path = tmp_path / "stack.yaml"
    path.write_text(yaml.safe_dump(with_changes({"instances": {"count": 1}})))
    return str(path)


def test_a_lock_that_is_a_symlink_is_refused_and_its_target_untouched(tmp_path):
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me\n")
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "fleet.lock").symlink_to(victim)
    with pytest.raises(StateError) as caught:
        StackLock(str(tmp_path / "state" / "fleet.lock"), "provision").acquire()
    assert "symbolic link" in str(caught.value)
    assert victim.read_text() == "keep me\n"


def test_a_state_file_that_is_a_symlink_is_refused(tmp_path):
    real = tmp_path / "elsewhere.json"
    real.write_text(json.dumps(state_module.new_document("fleet")))
    (tmp_path / "fleet.json").symlink_to(real)
    with pytest.raises(StateError) as caught:
        State.load(str(tmp_path / "fleet.json"), "fleet")
    assert "symbolic link" in str(caught.value)


def test_provision_with_a_symlinked_lock_exits_1_and_truncates_nothing(emulator, tmp_path, stack_file):
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me\n")
    (tmp_path / "st").mkdir()
    (tmp_path / "st" / "s.lock").symlink_to(victim)
    result = run_cli(
        emulator, ["provision", "--stack", stack_file, "--state", str(tmp_path / "st" / "s.json"), "--json"]
    )
    assert result.exception is None
    assert result.exit_code == 1 and "symbolic link" in result.doc["error"]["message"]
    assert victim.read_text() == "keep me\n" and result.api_calls == 0


def test_the_state_folder_is_created_0700(tmp_path):
    atomic_write_json(str(tmp_path / "state" / "s.json"), {"n": 1})
    assert stat.S_IMODE(os.stat(tmp_path / "state").st_mode) == 0o700
    StackLock(str(tmp_path / "locks" / "s.lock"), "provision").acquire()
    assert stat.S_IMODE(os.stat(tmp_path / "locks").st_mode) == 0o700


def failing_os_open(monkeypatch, directory: str, code: int):
    """os.open fails with `code` for files created or written under `directory` (as a read-only or
    full file system would); everything else (the emulator in this process) is untouched."""
    real_open = os.open

    def fake(path, flags, mode=0o777, *args, **kwargs):
        if str(path).startswith(directory) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(code, os.strerror(code), str(path))
        return real_open(path, flags, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", fake)


@pytest.mark.parametrize("code, name", [(errno.EROFS, "EROFS"), (errno.EACCES, "EACCES")])
def test_a_read_only_or_forbidden_state_folder_is_exit_1_with_one_line_and_json(
    code, name, emulator, tmp_path, stack_file, monkeypatch
):
    folder = tmp_path / "st"
    folder.mkdir()
    failing_os_open(monkeypatch, str(folder), code)
    result = run_cli(emulator, ["provision", "--stack", stack_file, "--state", str(folder / "s.json"), "--json"])
    assert result.exception is None, result.exception
    assert result.exit_code == 1
    assert result.doc["ok"] is False and f"({name})" in result.doc["error"]["message"]
    errors = [line for line in result.stderr.splitlines() if line.startswith("provisioner provision:")]
    assert len(errors) == 1 and f"({name})" in errors[0] and "Traceback" not in result.stderr


def failing_fsync_of_temporary_files(monkeypatch):
    """fsync of the state's temporary file fails with ENOSPC, as on a full disk."""
    real_fsync = os.fsync

    def fake(fd):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            target = ""
        if target.endswith(".tmp"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fake)


def test_a_full_disk_during_provision_is_exit_1_with_one_json_document(emulator, tmp_path, stack_file, monkeypatch):
    failing_fsync_of_temporary_files(monkeypatch)
    state = tmp_path / "st" / "s.json"
    result = run_cli(emulator, ["provision", "--stack", stack_file, "--state", str(state), "--json"])
    assert result.exception is None, result.exception
    assert result.exit_code == 1
    assert "No space left on device (ENOSPC)" in result.doc["error"]["message"]
    assert result.doc["error"]["type"] == "StateError"
    assert "Traceback" not in result.stderr
    assert not state.exists() and not [p for p in state.parent.iterdir() if p.name.endswith(".tmp")]
    # the write-ahead save comes before each create: nothing was created without being recorded
    assert emulator.emulator.stats.mutating == 0


def test_reconcile_on_a_full_disk_still_writes_its_log_json_line(emulator, tmp_path, stack_file, monkeypatch):
    state = tmp_path / "st" / "s.json"
    first = run_cli(emulator, ["provision", "--stack", stack_file, "--state", str(state), "--json"])
    assert first.exit_code == 0, first.stderr
    state.unlink()  # reconcile rebuilds it from the tags: it must write the state
    failing_fsync_of_temporary_files(monkeypatch)
    log = tmp_path / "reconcile.jsonl"
    result = run_cli(
        emulator,
        ["reconcile", "--stack", stack_file, "--state", str(state), "--json", "--log-json", str(log)],
        reset=False,
    )
    assert result.exception is None, result.exception
    assert result.exit_code == 1 and result.doc["outcome"] == "failed"
    line = json.loads(log.read_text().splitlines()[-1])
    assert line["exit_code"] == 1 and "ENOSPC" in line["error"]["message"]
    assert "Traceback" not in result.stderr


def holder_process(lock_path: str, named_pid: int | None = None) -> subprocess.Popen:
    """A process that holds the flock on lock_path and writes `named_pid` (default: its own) in it."""
    code = (
        "import fcntl, json, os, socket, sys, time\n"
        "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "pid = int(sys.argv[2]) if len(sys.argv) > 2 else os.getpid()\n"
        "os.write(fd, json.dumps({'pid': pid, 'host': socket.gethostname(), 'command': 'provision'}).encode())\n"
        "print('held', flush=True)\n"
        "sys.stdin.read()\n"
    )
    args = [sys.executable, "-c", code, lock_path] + ([str(named_pid)] if named_pid else [])
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_held_lock_whose_holder_runs_is_called_still_running(tmp_path):
    path = str(tmp_path / "s.lock")
    holder = holder_process(path)
    try:
        with pytest.raises(LockHeld) as caught:
            StackLock(path, "provision").acquire()
    finally:
        holder.stdin.close()
        holder.wait(10)
    advice = lock_advice(caught.value.holder)
    assert caught.value.holder["alive"] is True
    assert f"pid {holder.pid} is still running" in advice and "gone" not in advice


def test_a_held_lock_naming_a_dead_pid_is_not_called_still_running(tmp_path):
    path = str(tmp_path / "s.lock")
    gone = dead_pid()
    holder = holder_process(path, named_pid=gone)  # e.g. a child that inherited its parent's lock
    try:
        with pytest.raises(LockHeld) as caught:
            StackLock(path, "provision").acquire()
    finally:
        holder.stdin.close()
        holder.wait(10)
    advice = lock_advice(caught.value.holder)
    assert caught.value.holder["alive"] is False
    assert f"pid {gone} is gone" in advice and "still running" not in advice


def test_taking_over_a_lock_that_names_a_live_pid_does_not_call_it_gone(tmp_path, caplog):
    path = tmp_path / "s.lock"
    live = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        path.write_text(json.dumps({"pid": live.pid, "host": socket.gethostname(), "command": "provision"}))
        with caplog.at_level(logging.INFO, logger="provisioner.state"):
            lock = StackLock(str(path), "provision")
            lock.acquire()
            lock.release()
    finally:
        live.stdin.close()
        live.wait(10)
    text = caplog.text
    assert f"pid {live.pid}" in text and "still runs but no longer holds it" in text and "which is gone" not in text


def test_taking_over_a_lock_left_by_a_dead_pid_calls_it_gone(tmp_path, caplog):
    path = tmp_path / "s.lock"
    gone = dead_pid()
    path.write_text(json.dumps({"pid": gone, "host": socket.gethostname(), "command": "provision"}))
    with caplog.at_level(logging.INFO, logger="provisioner.state"):
        lock = StackLock(str(path), "provision")
        lock.acquire()
        lock.release()
    assert f"from pid {gone} (provision), which is gone" in caplog.text


def test_the_cli_says_still_running_only_for_a_live_holder(emulator, tmp_path, stack_file):
    state = tmp_path / "st" / "s.json"
    state.parent.mkdir()
    holder = holder_process(str(tmp_path / "st" / "s.lock"))
    try:
        result = run_cli(emulator, ["provision", "--stack", stack_file, "--state", str(state)])
    finally:
        holder.stdin.close()
        holder.wait(10)
    assert result.exit_code == 1 and f"pid {holder.pid} is still running" in result.stderr
    assert result.api_calls == 0


def test_a_state_file_that_is_a_fifo_is_refused_without_hanging(tmp_path):
    os.mkfifo(tmp_path / "fleet.json")
    with pytest.raises(StateError) as caught:
        State.load(str(tmp_path / "fleet.json"), "fleet")
    assert "not a regular file" in str(caught.value)


def test_the_default_state_folder_shipped_open_is_made_private_but_a_given_one_is_left(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "state").mkdir(mode=0o755)
    os.chmod(tmp_path / "state", 0o755)  # as a checkout leaves it (state/.gitkeep)
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    atomic_write_json(state_module.default_path("fleet"), {"n": 1})
    atomic_write_json(str(shared / "fleet.json"), {"n": 1})
    assert stat.S_IMODE(os.stat(tmp_path / "state").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(shared).st_mode) == 0o777


def test_an_unexpected_error_still_gives_exit_1_one_json_document_and_the_log_json_line(
    emulator, tmp_path, stack_file, monkeypatch
):
    from provisioner import engine, reconcile

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(engine, "plan", broken)
    monkeypatch.setattr(reconcile, "reconcile", broken)
    result = run_cli(emulator, ["plan", "--stack", stack_file, "--state", str(tmp_path / "s.json"), "--json"])
    assert result.exception is None and result.exit_code == 1
    assert result.doc["error"]["message"].startswith("internal error: RuntimeError: a bug")
    log = tmp_path / "r.jsonl"
    result = run_cli(
        emulator,
        ["reconcile", "--stack", stack_file, "--state", str(tmp_path / "s.json"), "--json", "--log-json", str(log)],
    )
    assert result.exception is None and result.exit_code == 1 and result.doc["outcome"] == "failed"
    assert json.loads(log.read_text())["error"]["type"] == "RuntimeError"
