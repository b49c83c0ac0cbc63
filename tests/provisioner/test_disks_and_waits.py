"""The data disk comes with RunInstances and gets its role once the instance runs; teardown releases the
instances without detaching their disks first; waits do not poll before a transition's typical end."""

from __future__ import annotations

import pytest

from provisioner.steps import common
from provisioner.target import time_scale
from tests.provisioner.helpers import DEFAULT_STACK, tagged

STACK = "fleet-default"


def mutating(control) -> dict[str, int]:
    return {k.split(":", 1)[1]: v["calls"] for k, v in control.stats()["actions"].items() if v["mutating"]}


def data_disks(control, stack=STACK) -> list[dict]:
    return [d for d in tagged(control, stack).get("disk", []) if d["type"] == "data"]


def test_provision_creates_the_data_disk_with_the_holder_and_gives_it_its_role(run, control):
    result = run("provision", DEFAULT_STACK)
    assert result.exit_code == 0, result.stderr
    calls = mutating(control)
    assert "CreateDisk" not in calls and "AttachDisk" not in calls
    assert calls["RunInstances"] == 2 and calls["TagResources"] == 1  # the holder alone, then the rest
    [disk] = data_disks(control)
    holder = [i["id"] for i in tagged(control, STACK)["instance"] if i["tags"].get("fleet:data-disk") == "yes"]
    assert [disk["instance_id"]] == holder
    assert (disk["status"], disk["size"], disk["category"], disk["delete_with_instance"]) == (
        "In_use",
        40,
        "cloud_ssd",
        False,
    )
    assert (disk["tags"]["fleet:role"], disk["name"]) == ("data-disk", "fleet-default-data")
    assert {
        "role": "data-disk",
        "id": disk["id"],
        "action": "created",
        "status": "In_use",
        "instance": holder[0],
        "zone": disk["zone"],
    } in result.doc["resources"]


def test_each_mode_instances_come_with_their_own_disks_in_one_runinstances(run, control, write_stack):
    stack = write_stack(data_disk={"size_gib": 20, "category": "cloud_essd", "attach": "each"})
    assert run("provision", stack).exit_code == 0
    calls = mutating(control)
    assert (calls["RunInstances"], calls["TagResources"]) == (1, 1) and "AttachDisk" not in calls
    disks = data_disks(control)
    ids = sorted(i["id"] for i in tagged(control, STACK)["instance"])
    assert sorted(d["instance_id"] for d in disks) == ids
    assert {(d["size"], d["tags"]["fleet:role"]) for d in disks} == {(20, "data-disk")}


def test_a_disk_left_with_the_instance_role_by_a_dead_run_is_adopted_not_duplicated(run, control, ecs):
    from alibabacloud_ecs20140526 import models as em

    assert run("provision", DEFAULT_STACK).exit_code == 0
    [disk] = data_disks(control)
    # What a run killed between RunInstances and the retag leaves: the instance's tags on the disk.
    ecs.tag_resources(
        em.TagResourcesRequest(
            region_id="cn-hangzhou",
            resource_type="disk",
            resource_id=[disk["id"]],
            tag=[em.TagResourcesRequestTag(key="fleet:role", value="instance")],
        )
    )
    control.request("POST", "stats/reset")
    assert run("provision", DEFAULT_STACK).exit_code == 0
    assert mutating(control) == {"TagResources": 1}
    assert [(d["id"], d["tags"]["fleet:role"]) for d in data_disks(control)] == [(disk["id"], "data-disk")]


def test_a_replacement_holder_gets_the_surviving_disk_by_attach(run, control, ecs):
    from alibabacloud_ecs20140526 import models as em

    assert run("provision", DEFAULT_STACK).exit_code == 0
    [disk] = data_disks(control)
    ecs.delete_instances(
        em.DeleteInstancesRequest(region_id="cn-hangzhou", instance_id=[disk["instance_id"]], force=True)
    )
    control.advance(60)
    control.request("POST", "stats/reset")
    assert run("provision", DEFAULT_STACK).exit_code == 0
    calls = mutating(control)
    assert calls["RunInstances"] == 1 and calls["AttachDisk"] == 1 and "CreateDisk" not in calls
    [again] = data_disks(control)
    assert again["id"] == disk["id"] and again["instance_id"] != disk["instance_id"]


def test_teardown_releases_the_instances_without_detaching_their_disks(run, control):
    assert run("provision", DEFAULT_STACK).exit_code == 0
    control.request("POST", "stats/reset")
    result = run("teardown", DEFAULT_STACK)
    assert result.exit_code == 0, result.stderr
    calls = mutating(control)
    assert "DetachDisk" not in calls and calls["DeleteInstances"] == 1 and calls["DeleteDisk"] == 1
    assert control.resources() == {}


def test_a_clean_provision_and_teardown_cost_few_calls(run, control):
    assert run("provision", DEFAULT_STACK).exit_code == 0
    provision = control.stats()["total"]
    control.request("POST", "stats/reset")
    assert run("teardown", DEFAULT_STACK).exit_code == 0
    assert provision < 100 and control.stats()["total"] < 50, (provision, control.stats()["total"])


def test_a_wait_sleeps_through_the_typical_duration_before_its_first_poll(monkeypatch):
    clock = {"now": 1000.0}
    events: list[tuple[str, float]] = []

    def fake_sleep(seconds):
        events.append(("sleep", round(seconds, 3)))
        clock["now"] += seconds

    monkeypatch.setattr(common, "sleep", fake_sleep)
    monkeypatch.setattr(common, "clock", lambda: clock["now"])
    polls = iter([False, True])

    def probe():
        events.append(("poll", round(clock["now"] - 1000.0, 3)))
        return next(polls), "Pending"

    common.wait_for("a boot", probe, timeout=900, expect=33.0, since=997.0)
    # 3 s already went by since the call: 30 s more, then a poll; late, the next one a twentieth later.
    assert events == [("sleep", 30.0), ("poll", 30.0), ("sleep", 1.65), ("poll", 31.65)]


def test_a_wait_with_nothing_expected_polls_at_once():
    seen = []
    common.wait_for("x", lambda: (seen.append(1) or True, "ok"), timeout=5)
    assert seen == [1]


@pytest.mark.parametrize(
    "info, scale",
    [
        ({"speed": 1.0, "instant": False}, 1.0),
        ({"speed": 4.0, "instant": False}, 0.25),
        ({"speed": 1.0, "instant": True}, 0.0),
    ],
)
def test_localcloud_speed_scales_the_typical_durations(info, scale):
    assert time_scale(info) == scale


def test_the_instant_test_emulator_without_runtime_needs_no_initial_wait(make_ctx):
    ctx = make_ctx()
    assert common.typical(ctx, "instance.boot") == 0.0
    assert ctx.cloud.target.health_scale == 0.0  # no runtime: a Running backend is healthy at once


def test_teardown_tries_a_lingering_delete_again_only_when_the_network_interfaces_are_typically_gone(
    run, control, monkeypatch
):
    """Released instances keep their group and vSwitch busy (DependencyViolation) while their ENIs go: one
    attempt at once, the next when that typically ends (90 s), not a busy retry every few seconds."""
    from provisioner import retry, target

    assert run("provision", DEFAULT_STACK).exit_code == 0
    control.config(dependency_linger=60)
    monkeypatch.setattr(target, "time_scale", lambda info: 1.0)  # the real cloud's durations
    slept = []

    def virtual(seconds):  # sleeping moves the emulator's clock
        slept.append(seconds)
        control.advance(seconds)

    monkeypatch.setattr(common, "sleep", virtual)
    monkeypatch.setattr(retry, "sleep", virtual)
    control.request("POST", "stats/reset")
    assert run("teardown", DEFAULT_STACK).exit_code == 0
    assert control.resources() == {}
    actions = control.stats()["actions"]
    refused = sum(a["errors"].get("DependencyViolation", 0) for a in actions.values())
    assert 1 <= refused <= 3, actions  # at most the first attempt of each delete
    assert actions["ecs:DeleteSecurityGroup"]["calls"] <= 2 and actions["vpc:DeleteVSwitch"]["calls"] <= 2
    assert 90.0 in [round(s) for s in slept]
