"""The rollout policy as the fleet lives it (provisioner/replace.py): max_surge and max_unavailable bound what
serves and how many instances exist at every moment of a rollout (sampled after each API call, ServingSampler),
a max_unavailable rollout killed at any of its early stages converges with no surplus, and `data_disk.attach:
each` rolls out with a new disk per new instance and the old ones' disks deleted."""

from __future__ import annotations

import signal

import pytest

from provisioner.spec import load_stack
from provisioner.state import State
from provisioner.tags import TAG_TEMPLATE
from provisioner.template import template_of
from tests.provisioner.helpers import ServingSampler, problems

pytestmark = pytest.mark.timeout(120)
NEW_ENV = {"serving": {"server": {"env": {"MODEL_VERSION": "2"}}}}


def stacks(write_stack, rollout: dict, data_disk: dict | None = None, count: int = 3) -> tuple[str, str]:
    """(a stack of `count` instances, the same with a new server env: every instance outdated)."""
    base = {
        "instances": {"count": count},
        "rollout": rollout or None,
        "data_disk": data_disk,
        "load_balancer": {"drain_seconds": 0},
    }
    return write_stack("base.yaml", **base), write_stack("changed.yaml", **base, **NEW_ENV)


def new_template_only(control, stack: str) -> set[str]:
    instances = control.resources()["instance"]
    assert {i["tags"].get(TAG_TEMPLATE) for i in instances} == {template_of(load_stack(stack)).digest}
    return {i["id"] for i in instances}


@pytest.mark.parametrize(
    "rollout, data_disk, floor, ceiling",
    [
        ({"max_surge": 0, "max_unavailable": 1}, None, 2, 3),  # at the instance quota: old ones leave first
        ({"max_surge": 1, "max_unavailable": 1}, None, 2, 4),
        ({}, None, 3, 4),  # the default: surge 1, none unavailable
        ({"max_surge": 0, "max_unavailable": "34%"}, None, 2, 3),  # 34% of 3 rounds down to 1
        ({"max_surge": 0, "max_unavailable": 1}, {"attach": "first"}, 2, 3),  # the holder leaves first, alone
    ],
)
def test_healthy_backends_never_drop_below_count_minus_max_unavailable_nor_instances_exceed_count_plus_max_surge(
    run, control, slb, write_stack, monkeypatch, rollout, data_disk, floor, ceiling
):
    base, changed = stacks(write_stack, rollout, data_disk)
    assert run("provision", base).exit_code == 0
    old = {i["id"] for i in control.resources()["instance"]}
    sampler = ServingSampler(slb, control).install(monkeypatch)
    result = run("provision", changed)
    assert result.exit_code == 0, result.stderr
    assert set(result.doc["rollout"]["replaced"]) == old
    assert min(sampler.healthy) == floor, sampler.healthy  # reached: the policy is used, not only obeyed
    assert max(sampler.instances) == ceiling, sampler.instances
    assert problems(control, changed, run.state_path) == []
    assert not (new_template_only(control, changed) & old)


@pytest.mark.parametrize(
    "data_disk, k", [(None, 1), (None, 3), (None, 4), ({"attach": "first"}, 13), ({"attach": "first"}, 14)]
)
def test_a_max_unavailable_rollout_killed_while_its_old_one_leaves_first_converges_with_no_surplus(
    control, spawn, run, write_stack, data_disk, k
):
    """Killed after the early old instance's drain (weight 0), its DeleteInstances (the rerun's provision fills the
    gap, and the batch creates one instance less), and the batch's RunInstances; with
    attach: first, after the disk holder's DeleteInstances (its disk left Available) and its replacement's
    RunInstances (the disk not yet attached)."""
    base, changed = stacks(write_stack, {"max_surge": 0, "max_unavailable": 1}, data_disk)
    assert run("provision", base).exit_code == 0
    old = {i["id"] for i in control.resources()["instance"]}
    proc = spawn("provision", changed, run.state_path)
    control.request("PUT", "kill_after", {"pid": proc.pid, "mutating_calls": k})
    proc.wait(timeout=90)
    assert proc.returncode == -signal.SIGKILL
    State.load(run.state_path, "fleet-default")
    result = run("provision", changed)
    assert result.exit_code == 0, result.stderr
    assert problems(control, changed, run.state_path) == []  # exactly 3 instances: no surplus
    assert not (new_template_only(control, changed) & old)


def data_disks(control) -> list[dict]:
    return [d for d in control.resources().get("disk", []) if d["type"] == "data"]


def test_an_attach_each_rollout_gives_every_new_instance_a_disk_of_its_own_and_deletes_the_old_ones(
    run, control, slb, write_stack, monkeypatch
):
    base, changed = stacks(write_stack, {"max_surge": 2}, {"attach": "each"})
    assert run("provision", base).exit_code == 0
    old_disks = {d["id"] for d in data_disks(control)}
    assert len(old_disks) == 3
    sampler = ServingSampler(slb, control).install(monkeypatch)
    result = run("provision", changed)
    assert result.exit_code == 0, result.stderr
    assert min(sampler.healthy) == 3  # no disk moves: the surge serves while the old ones leave
    new = new_template_only(control, changed)
    disks = data_disks(control)
    assert sorted(d["instance_id"] for d in disks) == sorted(new)  # one each, attached
    assert {d["status"] for d in disks} == {"In_use"}
    assert {d["tags"]["fleet:role"] for d in disks} == {"data-disk"}
    assert not ({d["id"] for d in disks} & old_disks)  # the old instances' disks are deleted
    assert problems(control, changed, run.state_path) == []


@pytest.mark.parametrize("k", [1, 6])
def test_an_attach_each_rollout_killed_around_its_disks_converges_with_no_disk_left_over(
    control, spawn, run, write_stack, k
):
    """Killed after the batch's RunInstances (its new disk still has the instance role) and after the old
    instance's DeleteInstances (its disk left Available)."""
    base, changed = stacks(write_stack, {}, {"attach": "each"}, count=2)
    assert run("provision", base).exit_code == 0
    proc = spawn("provision", changed, run.state_path)
    control.request("PUT", "kill_after", {"pid": proc.pid, "mutating_calls": k})
    proc.wait(timeout=90)
    assert proc.returncode == -signal.SIGKILL
    result = run("provision", changed)
    assert result.exit_code == 0, result.stderr
    assert problems(control, changed, run.state_path) == []  # a data disk on each instance, none Available
    assert sorted(d["instance_id"] for d in data_disks(control)) == sorted(new_template_only(control, changed))


def test_a_rolled_back_batch_deletes_its_new_disks_and_says_which_old_ones_left_first(
    run, control, write_stack, monkeypatch
):
    """attach: each, max_surge 0 / max_unavailable 1: the batch's old instance leaves first, its replacement never
    passes the health check (the gate's wait times out): the replacement and its new disk are deleted, the message
    names the old one that left, and the fleet serves with count - 1 until the next provision, which converges."""
    from provisioner import replace_steps
    from provisioner.errors import WaitTimeout

    base, changed = stacks(write_stack, {"max_surge": 0, "max_unavailable": 1}, {"attach": "each"}, count=2)
    assert run("provision", base).exit_code == 0
    old = {i["id"] for i in control.resources()["instance"]}

    def never_healthy(ctx, lb, ids, timeout):
        raise WaitTimeout(f"timed out after {timeout}s waiting for rollout batch {', '.join(ids)}; last seen: abnormal")

    with monkeypatch.context() as patch:
        patch.setattr(replace_steps, "wait_healthy", never_healthy)
        failed = run("provision", changed)
    assert failed.exit_code == 1
    message = failed.doc["error"]["message"]
    [left] = [i for i in old if i not in {x["id"] for x in control.resources()["instance"]}]
    assert "rolled back" in message and f"{left} had left first (max_unavailable)" in message
    [kept] = control.resources()["instance"]
    assert kept["id"] in old  # the new one is gone, the other old one serves
    assert [(d["instance_id"], d["status"]) for d in data_disks(control)] == [(kept["id"], "In_use")]
    again = run("provision", changed)
    assert again.exit_code == 0, again.stderr
    assert problems(control, changed, run.state_path) == []
    assert not (new_template_only(control, changed) & old)
