"""The provisioner against today's catalogue: image families resolved and shown by plan, and the
DescribeAvailableResource pre-check that skips zones not selling the type or disk categories before any
create; "not sold here" codes at create time fail over to the next zone."""

from __future__ import annotations

import pytest

from provisioner.errors import NoStock
from provisioner.steps import instances as instance_step
from provisioner.steps import security_group as sg_step
from provisioner.steps import vpc as vpc_step
from provisioner.steps import vswitch as vswitch_step
from tests.provisioner.helpers import DEFAULT_STACK, problems, tagged

pytestmark = pytest.mark.timeout(60)
STACK = "fleet-default"


def instances_of(control) -> list[dict]:
    return tagged(control, STACK).get("instance", [])


NEWEST = "ubuntu_22_04_x64_20G_alibase_20250722.vhd"


def test_plan_shows_the_image_the_family_resolves_to_and_changes_nothing(run, control):
    result = run("plan", DEFAULT_STACK)
    assert result.exit_code == 4
    assert f"image: acs:ubuntu_22_04_x64 -> {NEWEST}" in result.doc["notes"]
    assert "zone cn-hangzhou-k skipped: data disk category cloud_ssd is not sold there" in result.doc["notes"]
    assert control.stats()["mutating"] == 0


def test_instances_of_a_family_get_its_newest_image(run, control):
    result = run("provision", DEFAULT_STACK)
    assert result.exit_code == 0, result.stderr
    assert {i["image_id"] for i in instances_of(control)} == {NEWEST}
    assert result.doc["precheck"]["image_id"] == NEWEST
    # A steady stack makes no pre-check call.
    control.request("POST", "stats/reset")
    again = run("provision", DEFAULT_STACK)
    assert again.exit_code == 0 and again.doc["api_calls"]["mutating"] == 0
    assert "ecs:DescribeAvailableResource" not in control.stats()["actions"]


def test_a_zone_that_does_not_sell_the_data_disk_category_is_skipped_before_any_create(run, control, write_stack):
    # cn-hangzhou-k sells no cloud_ssd: with it first, everything goes to cn-hangzhou-i and nothing to k.
    path = write_stack(zones=["cn-hangzhou-k", "cn-hangzhou-i"])
    plan = run("plan", path)
    assert plan.exit_code == 4
    creates = {c["role"]: c["detail"] for c in plan.doc["changes"] if c["action"] == "create"}
    assert creates["vswitch"] == "cn-hangzhou-i 10.0.0.0/24"  # the second zone's block of the stack
    assert creates["instance"] == "ecs.g7.large in cn-hangzhou-i"
    result = run("provision", path)
    assert result.exit_code == 0, result.stderr
    assert "skipping zone cn-hangzhou-k: data disk category cloud_ssd is not sold there" in result.stderr
    assert {i["zone"] for i in instances_of(control)} == {"cn-hangzhou-i"}
    assert [v["zone"] for v in tagged(control, STACK)["vswitch"]] == ["cn-hangzhou-i"]
    assert all(not a["errors"] for a in control.stats()["actions"].values())
    assert problems(control, path, run.state_path) == []
    assert run("plan", path).exit_code == 0
    assert run("reconcile", path, "--check").exit_code == 0


def test_no_zone_selling_the_type_fails_before_any_create_naming_what_is_missing_where(run, control, write_stack):
    result = run("provision", write_stack(zones=["cn-hangzhou-k"], instances={"type": "ecs.g6.large"}, data_disk=None))
    assert result.exit_code == 1
    assert result.doc["error"]["message"] == (
        "zones: no zone of the stack can serve it (DescribeAvailableResource): "
        "cn-hangzhou-k: instance type ecs.g6.large is not sold there"
    )
    assert control.resources() == {} and control.stats()["mutating"] == 0


def test_a_not_sold_here_code_at_create_time_fails_over_to_the_next_zone(make_ctx, control, write_stack):
    """Without the pre-check (or when the catalogue changed since), InstanceType.Offline is like no stock."""
    ctx = make_ctx(
        write_stack(zones=["cn-hangzhou-k", "cn-hangzhou-i"], instances={"type": "ecs.g6.large"}, data_disk=None)
    )
    vpc, _ = vpc_step.ensure_vpc(ctx, [])
    group, _ = sg_step.ensure_security_group(ctx, vpc, [])
    switches = {}

    def vswitch_for(zone):
        if zone not in switches:
            switches[zone], _ = vswitch_step.ensure_vswitch(ctx, vpc, zone, list(switches.values()))
        return switches[zone]

    result = instance_step.ensure_instances(ctx, [], vswitch_for, group)
    assert result.zones_tried == ["cn-hangzhou-k", "cn-hangzhou-i"]
    assert {i["zone"] for i in instances_of(control)} == {"cn-hangzhou-i"}
    assert control.stats()["actions"]["ecs:RunInstances"]["errors"] == {"InstanceType.Offline": 1}


def test_not_sold_anywhere_at_create_time_is_no_stock_naming_every_zone(make_ctx, control, write_stack):
    ctx = make_ctx(write_stack(zones=["cn-hangzhou-k"], instances={"type": "ecs.g6.large"}, data_disk=None))
    vpc, _ = vpc_step.ensure_vpc(ctx, [])
    group, _ = sg_step.ensure_security_group(ctx, vpc, [])
    vsw, _ = vswitch_step.ensure_vswitch(ctx, vpc, "cn-hangzhou-k", [])
    with pytest.raises(NoStock) as info:
        instance_step.ensure_instances(ctx, [], lambda zone: vsw, group)
    assert "cn-hangzhou-k: InstanceType.Offline" in str(info.value)
    assert "instance" not in control.resources()


def test_a_zone_whose_stock_runs_low_still_serves_the_stack(run, control):
    control.config(low_stock=[["cn-hangzhou-i", "ecs.g7.large"]])
    result = run("provision", DEFAULT_STACK)
    assert result.exit_code == 0, result.stderr
    assert result.doc["precheck"]["zones"][0] == "cn-hangzhou-i"
    assert {i["zone"] for i in instances_of(control)} == {"cn-hangzhou-i"}


def test_a_zone_closed_to_the_account_fails_over_at_create_time(run, control):
    # The catalogue lists the zone (the pre-check keeps it); RunInstances refuses it: the next zone is used.
    control.config(closed_zones=["cn-hangzhou-i"])
    result = run("provision", DEFAULT_STACK)
    assert result.exit_code == 0, result.stderr
    assert {i["zone"] for i in instances_of(control)} == {"cn-hangzhou-j"}
    assert control.stats()["actions"]["ecs:RunInstances"]["errors"] == {"OperationDenied.ZoneNotAllowed": 1}
    [disk] = [d for d in tagged(control, STACK)["disk"] if d["type"] == "data"]
    assert disk["zone"] == "cn-hangzhou-j"
    again = run("provision", DEFAULT_STACK)
    assert again.exit_code == 0 and again.doc["api_calls"]["mutating"] == 0


@pytest.mark.parametrize(
    "instances,message",
    [
        ({"image": "ubuntu_22_04_x64_20G_alibase_20240130.vhd"}, "give exactly one of instances.image_family"),
        ({"image_family": None}, "give exactly one of instances.image_family"),
        ({"image_family": "9lives"}, "must be an image family name"),
    ],
)
def test_the_stack_names_exactly_one_image_or_family(run, control, write_stack, instances, message):
    result = run("plan", write_stack(instances=instances))
    assert result.exit_code == 2
    assert result.doc["error"]["field"] == "instances.image_family" and message in result.doc["error"]["message"]
    assert control.stats()["total"] == 0


def test_an_exact_image_id_that_exists_is_used_as_is(run, control, write_stack):
    image = "ubuntu_22_04_x64_20G_alibase_20240130.vhd"
    result = run("provision", write_stack(instances={"image": image, "image_family": None}))
    assert result.exit_code == 0, result.stderr
    assert {i["image_id"] for i in instances_of(control)} == {image}
    assert result.doc["precheck"] == {**result.doc["precheck"], "image_id": image, "image_family": None}
