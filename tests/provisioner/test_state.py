"""The state file and the lock: atomic 0600 writes, invalid files kept, the holder named, dead holders
taken over; ClientTokens deterministic, written ahead and reused."""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from provisioner.errors import LockHeld, StateError
from provisioner.state import StackLock, State, atomic_write_json, new_document
from provisioner.tokens import MAX_TOKEN_LEN, TokenBook, derive, token_key
from tests.provisioner.helpers import subprocess_env


def test_state_is_written_with_mode_0600_and_no_temporary_file_left(tmp_path):
    state = State.load(str(tmp_path / "s.json"), "demo")
    state.set("vpc", "vpc-1")
    assert stat.S_IMODE(os.stat(state.path).st_mode) == 0o600
    assert os.listdir(tmp_path) == ["s.json"]
    assert json.loads(Path(state.path).read_text())["resources"] == {"vpc": "vpc-1"}


def test_a_write_that_fails_before_the_rename_leaves_the_old_document(tmp_path, monkeypatch):
    path = str(tmp_path / "s.json")
    atomic_write_json(path, {"n": 1})

    def crash(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(StateError) as caught:  # an operational failure: one clear line, exit 1
        atomic_write_json(path, {"n": 2, "big": "x" * 100_000})
    assert "No space left on device (ENOSPC)" in str(caught.value) and path in str(caught.value)
    assert json.loads(Path(path).read_text()) == {"n": 1}
    assert os.listdir(tmp_path) == ["s.json"]


def test_the_state_file_is_never_half_written_when_the_writer_is_killed(tmp_path):
    """A process rewrites a large state as fast as it can; SIGKILL at many moments; the file always parses."""
    path = tmp_path / "s.json"
    writer = (
        "import sys; from provisioner.state import atomic_write_json\n"
        "n = 0\n"
        "while True:\n"
        "    n += 1\n"
        "    atomic_write_json(sys.argv[1], {'n': n, 'pad': ['x' * 200] * 2000})\n"
    )
    for delay in (0.3, 0.45, 0.6, 0.75):
        proc = subprocess.Popen([sys.executable, "-c", writer, str(path)], env=subprocess_env())
        time.sleep(delay)
        proc.kill()
        proc.wait()
        if path.exists():
            doc = json.loads(path.read_text())
            assert len(doc["pad"]) == 2000
    assert path.exists()


def test_an_invalid_state_file_is_refused_and_kept(tmp_path):
    path = tmp_path / "s.json"
    path.write_text('{"schema_version": 1, "stack": "demo", ')
    with pytest.raises(StateError, match="not valid JSON"):
        State.load(str(path), "demo")
    assert path.read_text() == '{"schema_version": 1, "stack": "demo", '


def test_another_stacks_state_file_is_refused(tmp_path):
    path = tmp_path / "s.json"
    atomic_write_json(str(path), new_document("other"))
    with pytest.raises(StateError, match="belongs to stack 'other'"):
        State.load(str(path), "demo")


def test_a_state_from_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "s.json"
    doc = new_document("demo")
    doc["schema_version"] = 99
    atomic_write_json(str(path), doc)
    with pytest.raises(StateError, match="schema_version"):
        State.load(str(path), "demo")


def test_provision_refuses_an_invalid_state_file_with_exit_1_and_keeps_it(run, control):
    from tests.provisioner.helpers import DEFAULT_STACK

    os.makedirs(os.path.dirname(run.state_path), exist_ok=True)
    with open(run.state_path, "w") as handle:
        handle.write("not json")
    result = run("provision", DEFAULT_STACK)
    assert result.exit_code == 1
    assert "not valid JSON" in result.doc["error"]["message"]
    assert Path(run.state_path).read_text() == "not json"
    assert control.stats()["mutating"] == 0


def test_second_lock_holder_is_refused_naming_the_first(tmp_path):
    path = str(tmp_path / "demo.lock")
    with StackLock(path, "provision"), pytest.raises(LockHeld) as info:
        StackLock(path, "teardown").acquire()
    assert info.value.holder["pid"] == os.getpid()
    assert f"pid {os.getpid()}" in str(info.value) and "provision" in str(info.value)


def test_a_lock_left_by_a_killed_process_is_taken_over(tmp_path):
    path = str(tmp_path / "demo.lock")
    holder = (
        "import sys, time; from provisioner.state import StackLock\n"
        "lock = StackLock(sys.argv[1], 'provision'); lock.acquire(); print('held', flush=True); time.sleep(60)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", holder, path], env=subprocess_env(), stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "held"
    with pytest.raises(LockHeld) as info:
        StackLock(path, "provision").acquire()
    assert info.value.holder["pid"] == proc.pid
    proc.kill()
    proc.wait()
    lock = StackLock(path, "provision")
    lock.acquire()
    assert json.loads(Path(path).read_text())["pid"] == os.getpid()
    lock.release()


def test_tokens_are_deterministic_ascii_and_at_most_64_characters():
    key = token_key("instances", 0, "cn-hangzhou-i")
    one = derive("a-very-long-stack-name-of-forty-chars-xx", "ab12cd34", key, 0)
    assert one == derive("a-very-long-stack-name-of-forty-chars-xx", "ab12cd34", key, 0)
    assert len(one) <= MAX_TOKEN_LEN and one.isascii()
    assert one != derive("a-very-long-stack-name-of-forty-chars-xx", "ab12cd34", key, 1)
    assert one != derive("a-very-long-stack-name-of-forty-chars-xx", "ffff0000", key, 0)


def test_a_create_is_written_ahead_and_its_token_reused_until_it_succeeds(tmp_path):
    state = State.load(str(tmp_path / "s.json"), "demo")
    book = TokenBook(state, "demo")
    first = book.begin("vpc/0/", "CreateVpc", {"CidrBlock": "10.0.0.0/16"})
    on_disk = json.loads(Path(state.path).read_text())
    assert on_disk["pending"]["vpc/0/"]["token"] == first
    # The run dies here; the next run asks for the same create and gets the same token.
    again = TokenBook(State.load(state.path, "demo"), "demo").begin("vpc/0/", "CreateVpc", {"CidrBlock": "10.0.0.0/16"})
    assert again == first
    book = TokenBook(State.load(state.path, "demo"), "demo")
    book.done("vpc/0/")
    assert book.begin("vpc/0/", "CreateVpc", {"CidrBlock": "10.0.0.0/16"}) != first


def test_a_different_request_for_the_same_create_gets_a_new_token(tmp_path):
    state = State.load(str(tmp_path / "s.json"), "demo")
    book = TokenBook(state, "demo")
    first = book.begin("instances/0/z", "RunInstances", {"Amount": 3})
    assert book.begin("instances/0/z", "RunInstances", {"Amount": 2}) != first


def test_a_refused_create_never_reuses_its_token(tmp_path):
    state = State.load(str(tmp_path / "s.json"), "demo")
    book = TokenBook(state, "demo")
    first = book.begin("instances/0/z", "RunInstances", {"Amount": 3})
    book.refused("instances/0/z")
    assert book.begin("instances/0/z", "RunInstances", {"Amount": 3}) != first


def test_a_new_state_gets_a_new_epoch_so_old_tokens_never_come_back(tmp_path):
    one = State.load(str(tmp_path / "a.json"), "demo")
    two = State.load(str(tmp_path / "b.json"), "demo")
    assert one.epoch != two.epoch
    assert TokenBook(one, "demo").begin("vpc/0/", "CreateVpc", {}) != TokenBook(two, "demo").begin(
        "vpc/0/", "CreateVpc", {}
    )


def test_the_state_holds_no_secret(run, emulator, tmp_path):
    from tests.helpers import credentials_for
    from tests.provisioner.helpers import DEFAULT_STACK

    assert run("provision", DEFAULT_STACK).exit_code == 0
    text = Path(run.state_path).read_text()
    assert credentials_for(emulator.url).access_key_secret not in text and "LTAI" not in text
    doc = json.loads(text)
    assert doc["pending"] == {}
    assert set(doc["resources"]) >= {"vpc", "vswitch", "security-group", "instance", "data-disk", "load-balancer"}


def test_the_typed_accessors_write_the_state_files_json_shape_and_read_an_existing_file(tmp_path):
    path = str(tmp_path / "s.json")
    state = State.load(path, "demo")
    state.set_vpc_id("vpc-1")
    state.set_vswitch("cn-hangzhou-i", "vsw-1")
    state.set_vswitch("cn-hangzhou-k", "vsw-2")
    state.set_security_group_id("sg-1")
    state.add_instances(["i-2", "i-1"])
    state.add_instances(["i-3", "i-1"])
    state.set_data_disks({"d-1": "i-1"})
    state.set_data_disks({"d-2": ""})
    state.set_load_balancer_id("lb-1")
    state.set_listener({"load_balancer": "lb-1", "port": 80, "health_port": "backend"})
    state.set_awaiting_health(True)
    state.set_vserver_group({"id": "rsp-1", "load_balancer": "lb-1", "stage": "bound"})
    doc = json.loads(Path(path).read_text())
    assert doc["resources"] == {
        "vpc": "vpc-1",
        "vswitch": {"cn-hangzhou-i": "vsw-1", "cn-hangzhou-k": "vsw-2"},
        "security-group": "sg-1",
        "instance": ["i-1", "i-2", "i-3"],
        "data-disk": {"d-1": "i-1", "d-2": ""},
        "load-balancer": "lb-1",
        "listener": {"load_balancer": "lb-1", "port": 80, "health_port": "backend"},
    }
    assert (doc["rollout"], doc["vserver_group"]["id"]) == ("pending", "rsp-1")

    # A file written by an earlier version (the same shape) reads back through the accessors.
    again = State.load(path, "demo")
    assert (again.vpc_id(), again.security_group_id(), again.load_balancer_id()) == ("vpc-1", "sg-1", "lb-1")
    assert again.vswitch_ids() == {"cn-hangzhou-i": "vsw-1", "cn-hangzhou-k": "vsw-2"}
    assert again.instance_ids() == ["i-1", "i-2", "i-3"] and again.data_disks() == {"d-1": "i-1", "d-2": ""}
    assert again.listener()["port"] == 80 and again.awaiting_health()
    assert again.vserver_group() == {"id": "rsp-1", "load_balancer": "lb-1", "stage": "bound"}
    assert again.get("vswitch") == again.vswitch_ids()  # the untyped read stays for the readers that take a role

    # Removing: a role left empty is absent from the file; an SLB takes its listener with it.
    again.remove_instances(["i-2"])
    again.remove_vswitch("cn-hangzhou-k")
    again.remove_data_disks(["d-2"])
    again.forget_ids({"i-1", "vsw-1"})  # the disk on i-1 goes with it
    again.forget_load_balancer()
    again.set_awaiting_health(False)
    again.set_vserver_group(None)
    doc = json.loads(Path(path).read_text())
    assert doc["resources"] == {"vpc": "vpc-1", "security-group": "sg-1", "instance": ["i-3"]}
    assert "rollout" not in doc and "vserver_group" not in doc
