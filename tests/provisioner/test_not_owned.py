"""The one ownership guard (steps/common.py `require_owned`): every delete and retag refuses, before any call,
a resource that does not carry this stack's tags, with a NotOwnedError naming the role, the id and the tags it
has; the CLI reports it as one line (and one JSON document), exit 1, and the resource is left as it was."""

from __future__ import annotations

import os

import pytest

from provisioner import observe
from provisioner.errors import NotOwnedError
from provisioner.steps import disks as disk_step
from provisioner.steps import instances as instance_step
from provisioner.steps import load_balancer as lb_step
from provisioner.steps import security_group as sg_step
from provisioner.steps import vpc as vpc_step
from provisioner.steps import vswitch as vswitch_step
from tests.provisioner.helpers import DEFAULT_STACK, REGION, Console

pytestmark = pytest.mark.timeout(120)


def test_every_guarded_step_refuses_another_stacks_resources_and_calls_nothing(run, write_stack, make_ctx, control):
    # A neighbour stack's resources, read as the steps read them (with their tags), handed to the steps of
    # our stack (fleet-default), as a snapshot or state gone wrong would.
    neighbour = write_stack("neighbour.yaml", name="neighbour", instances={"count": 1})
    assert run("provision", neighbour, state_path=run.state_path + ".neighbour").exit_code == 0
    snap = observe.snapshot(make_ctx(neighbour))
    [vpc], [vsw], [group], [lb] = snap.vpcs, snap.vswitches, snap.security_groups, snap.load_balancers
    [disk] = snap.disks
    ours = make_ctx(DEFAULT_STACK)
    before = control.resources()
    control.request("POST", "stats/reset")

    guarded = [
        ("vpc", vpc.id, "delete", lambda: vpc_step.delete_vpc(ours, vpc)),
        ("vswitch", vsw.id, "delete", lambda: vswitch_step.delete_vswitch(ours, vsw)),
        ("security-group", group.id, "delete", lambda: sg_step.delete_security_group(ours, group)),
        ("instance", snap.instances[0].id, "delete", lambda: instance_step.delete_instances(ours, snap.instances)),
        ("load-balancer", lb.id, "delete", lambda: lb_step.delete_load_balancer(ours, lb)),
        ("data-disk", disk.id, "delete", lambda: disk_step.delete_disks(ours, [disk])),
        ("data-disk", disk.id, "tag", lambda: disk_step.adopt(ours, [disk])),
    ]
    for role, rid, verb, call in guarded:
        with pytest.raises(NotOwnedError) as caught:
            call()
        err = caught.value
        assert (err.role, err.resource, err.verb) == (role, rid, verb)
        assert err.tags["fleet:stack"] == "neighbour"
        message = str(err)
        assert message.startswith(f"refusing to {verb} {role} {rid}: it does not carry this stack's tags")
        assert "fleet:stack=fleet-default" in message and "it has fleet:stack=neighbour" in message
        assert "\n" not in message

    assert control.stats()["mutating"] == 0
    assert control.resources() == before
    assert not os.path.exists(ours.state.path)  # nothing was recorded either


def test_teardown_refuses_an_slb_another_stack_took_over_and_says_so_in_one_line(
    run, write_stack, control, ecs, vpc, slb, monkeypatch
):
    stack = write_stack()
    assert run("provision", stack).exit_code == 0
    console = Console(ecs, vpc, slb, control)
    lb_id = console.one("load_balancer")["id"]
    real_snapshot = observe.snapshot
    taken = []

    def snapshot_then_taken_over(ctx, details=True):
        snap = real_snapshot(ctx, details)
        if not taken:
            # Between the snapshot and the deletes, another stack's run takes the SLB over (it re-tags it).
            # The run does not read the tags again before each delete; the SLB's tags here are read again
            # as a read just before the delete would see them, so that the guard has them to check.
            console(
                "slb",
                "TagResources",
                RegionId=REGION,
                ResourceType="instance",
                ResourceId=[lb_id],
                Tag=[{"Key": "fleet:stack", "Value": "neighbour"}],
            )
            [lb] = snap.load_balancers
            lb.tags = lb_step.describe_load_balancer(ctx, lb_id).tags
            taken.append(lb_id)
        return snap

    monkeypatch.setattr(observe, "snapshot", snapshot_then_taken_over)
    result = run("teardown", stack)

    assert taken == [lb_id]
    assert result.exit_code == 1
    error = result.doc["error"]
    assert (error["type"], error["role"], error["resource"]) == ("NotOwnedError", "load-balancer", lb_id)
    assert error["message"].startswith(f"refusing to delete load-balancer {lb_id}: it does not carry this stack's")
    assert "it has fleet:stack=neighbour" in error["message"] and "run the command again" in error["message"]
    assert "Traceback" not in result.stderr
    assert [x for x in result.stderr.splitlines() if x.startswith("provisioner teardown:")] == [
        f"provisioner teardown: {error['message']}"
    ]
    # The SLB is still there, with its listener, tagged for the stack that took it; the state file is kept.
    [kept] = [o for o in control.resources()["load_balancer"] if o["id"] == lb_id]
    assert kept["tags"]["fleet:stack"] == "neighbour"
    assert [x["load_balancer_id"] for x in control.resources().get("listener", [])] == [lb_id]
    assert os.path.exists(run.state_path)


def test_a_rerun_after_the_refusal_leaves_the_taken_slb_alone_and_finishes(run, write_stack, control, ecs, vpc, slb):
    # What the message advises: a new run reads the tags afresh, sets the SLB apart as another stack's
    # (forgetting its id) and tears down the rest.
    stack = write_stack()
    assert run("provision", stack).exit_code == 0
    console = Console(ecs, vpc, slb, control)
    lb_id = console.one("load_balancer")["id"]
    tag = [{"Key": "fleet:stack", "Value": "neighbour"}]
    console("slb", "TagResources", RegionId=REGION, ResourceType="instance", ResourceId=[lb_id], Tag=tag)
    result = run("teardown", stack)
    assert result.exit_code == 0, result.stderr
    assert [o["id"] for o in control.resources().get("load_balancer", [])] == [lb_id]
