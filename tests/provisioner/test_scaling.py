"""Scaling changes the instance count and nothing else; zone failover on NoStock; per-instance disks."""

from __future__ import annotations

import pytest
from alibabacloud_ecs20140526 import models as ecs_models

from provisioner.cloud import Cloud
from tests.provisioner.helpers import DEFAULT_STACK, tagged

STACK = "fleet-default"


@pytest.fixture
def call_log(monkeypatch):
    """The provisioner's API calls in order: (action, resource)."""
    log: list[tuple[str, str]] = []
    original = Cloud._invoke

    def recording(self, step, resource, product, action, method, params):
        log.append((action, resource))
        return original(self, step, resource, product, action, method, params)

    monkeypatch.setattr(Cloud, "_invoke", recording)
    return log


def mutating(control) -> dict[str, int]:
    return {k.split(":", 1)[1]: v["calls"] for k, v in control.stats()["actions"].items() if v["mutating"]}


def instances_of(control, stack=STACK) -> list[dict]:
    return tagged(control, stack).get("instance", [])


def test_scale_up_adds_instances_in_one_call_and_changes_nothing_else(run, control, write_stack):
    assert run("provision", DEFAULT_STACK).exit_code == 0
    before = {i["id"] for i in instances_of(control)}
    control.request("POST", "stats/reset")
    result = run("provision", write_stack(instances={"count": 5}))
    assert result.exit_code == 0, result.stderr
    assert mutating(control) == {"RunInstances": 1, "AddBackendServers": 1}
    after = {i["id"] for i in instances_of(control)}
    assert before < after and len(after) == 5
    [lb] = tagged(control, STACK)["load_balancer"]
    assert {b["server_id"] for b in lb["backends"]} == after


def test_scale_down_drains_and_removes_from_the_slb_first_then_deletes_and_keeps_the_disk_holder(
    run, control, write_stack, call_log
):
    assert run("provision", write_stack(instances={"count": 4})).exit_code == 0
    [disk] = [d for d in tagged(control, STACK)["disk"] if d["type"] == "data"]
    instances_before = instances_of(control)
    control.request("POST", "stats/reset")
    call_log.clear()
    result = run("provision", write_stack(instances={"count": 2}))
    assert result.exit_code == 0, result.stderr
    assert mutating(control) == {"SetBackendServers": 1, "RemoveBackendServers": 1, "DeleteInstances": 1}
    actions = [a for a, _ in call_log]
    assert actions.index("SetBackendServers") < actions.index("RemoveBackendServers") < actions.index("DeleteInstances")
    drained = next(r for r in result.doc["resources"] if r.get("drained"))
    assert sorted(drained["drained"]) == sorted(
        i["id"] for i in instances_before if i["id"] not in {x["id"] for x in instances_of(control)}
    )
    left = {i["id"] for i in instances_of(control)}
    assert len(left) == 2 and disk["instance_id"] in left
    [lb] = tagged(control, STACK)["load_balancer"]
    assert {b["server_id"] for b in lb["backends"]} == left
    assert run("plan", write_stack(instances={"count": 2})).exit_code == 0


def test_each_mode_gives_every_instance_its_own_disk_in_its_zone(run, control, write_stack):
    path = write_stack(instances={"count": 3}, data_disk={"attach": "each", "size_gib": 50})
    assert run("provision", path).exit_code == 0
    inst = {i["id"]: i["zone"] for i in instances_of(control)}
    disks = [d for d in tagged(control, STACK)["disk"] if d["type"] == "data"]
    assert sorted(d["instance_id"] for d in disks) == sorted(inst)
    assert all(d["zone"] == inst[d["instance_id"]] and d["size"] == 50 for d in disks)


def test_each_mode_scale_down_deletes_the_removed_instances_disks(run, control, write_stack):
    assert run("provision", write_stack(instances={"count": 3}, data_disk={"attach": "each"})).exit_code == 0
    assert run("provision", write_stack(instances={"count": 1}, data_disk={"attach": "each"})).exit_code == 0
    [inst] = instances_of(control)
    disks = [d for d in tagged(control, STACK)["disk"] if d["type"] == "data"]
    assert [d["instance_id"] for d in disks] == [inst["id"]]


def test_no_stock_in_the_first_zone_is_skipped_by_the_precheck_and_the_next_zone_gets_everything(run, control):
    # Since the DescribeAvailableResource pre-check, the zone without stock is skipped before any create:
    # no vSwitch there and no refused RunInstances.
    control.config(no_stock=[["cn-hangzhou-i", "ecs.g7.large"]])
    result = run("provision", DEFAULT_STACK)
    assert result.exit_code == 0, result.stderr
    assert {i["zone"] for i in instances_of(control)} == {"cn-hangzhou-j"}
    vswitches = {v["zone"]: v["cidr"] for v in tagged(control, STACK)["vswitch"]}
    assert vswitches == {"cn-hangzhou-j": "10.0.0.0/24"}
    assert control.stats()["actions"]["ecs:RunInstances"]["errors"] == {}
    [disk] = [d for d in tagged(control, STACK)["disk"] if d["type"] == "data"]
    assert disk["zone"] == "cn-hangzhou-j"
    assert "skipping zone cn-hangzhou-i" in result.stderr and "no stock" in result.stderr
    assert result.doc["precheck"]["zones"] == ["cn-hangzhou-j"]
    assert set(result.doc["precheck"]["skipped"]) == {"cn-hangzhou-i", "cn-hangzhou-k"}
    assert run("plan", DEFAULT_STACK).exit_code == 0


def test_no_stock_anywhere_fails_before_any_create_naming_what_is_missing_where(run, control):
    control.config(no_stock=[[z, "ecs.g7.large"] for z in ("cn-hangzhou-i", "cn-hangzhou-j", "cn-hangzhou-k")])
    result = run("provision", DEFAULT_STACK)
    assert result.exit_code == 1
    error = result.doc["error"]
    assert (error["type"], error["field"]) == ("PrecheckError", "zones")
    message = error["message"]
    assert message.startswith("zones: no zone of the stack can serve it")
    assert "cn-hangzhou-i: instance type ecs.g7.large has no stock" in message
    assert "cn-hangzhou-k: " in message and "data disk category cloud_ssd is not sold there" in message
    assert control.resources() == {}
    assert control.stats()["mutating"] == 0


def test_a_fatal_error_names_the_step_the_resource_the_code_and_the_request_id(run, control, write_stack):
    assert run("provision", DEFAULT_STACK).exit_code == 0
    control.config(instance_quota=3)  # a scale-up beyond the account's quota: refused, not retried
    control.request("POST", "stats/reset")
    result = run("provision", write_stack(instances={"count": 4}))
    assert result.exit_code == 1
    error = result.doc["error"]
    assert error["step"] == "instances" and error["code"] == "QuotaExceed.AfterpayInstance"
    assert error["request_id"] and error["request_id"] in error["message"]
    assert "RunInstances" in error["message"] and "cn-hangzhou-i" in error["message"]
    assert "Traceback" not in result.stderr
    # Nothing was retried: a refusal fails fast.
    assert control.stats()["actions"]["ecs:RunInstances"]["calls"] == 1


def test_an_image_id_that_no_longer_exists_fails_before_any_create_naming_the_field(run, control, write_stack):
    from localcloud import catalog

    retired = catalog.RETIRED_IMAGES[0]
    result = run("provision", write_stack(instances={"image": retired, "image_family": None}))
    assert result.exit_code == 1
    error = result.doc["error"]
    assert (error["type"], error["field"]) == ("PrecheckError", "instances.image")
    assert error["message"].startswith("instances.image: ")
    assert retired in error["message"] and "image_family" in error["message"]
    assert control.resources() == {} and control.stats()["mutating"] == 0
    assert "Traceback" not in result.stderr


def test_a_stopped_instance_is_started_again(run, control, ecs):
    assert run("provision", DEFAULT_STACK).exit_code == 0
    victim = instances_of(control)[0]["id"]
    ecs.stop_instance(ecs_models.StopInstanceRequest(instance_id=victim))
    assert run("plan", DEFAULT_STACK).exit_code == 4
    assert run("provision", DEFAULT_STACK).exit_code == 0
    assert {i["status"] for i in instances_of(control)} == {"Running"}


def test_intranet_stack_with_its_own_server_puts_the_slb_in_the_vswitch(run, control):
    from tests.provisioner.helpers import ROOT

    path = f"{ROOT}/stacks/intranet-custom-server.yaml"
    result = run("provision", path)
    assert result.exit_code == 0, result.stderr
    found = tagged(control, "internal-api")
    [lb] = found["load_balancer"]
    [vsw] = found["vswitch"]
    assert (lb["address_type"], lb["vswitch_id"]) == ("intranet", vsw["id"])
    assert "disk" not in found or all(d["type"] == "system" for d in found["disk"])
    assert run("teardown", path).exit_code == 0
    assert tagged(control, "internal-api") == {}


def test_a_large_fleet_is_created_100_per_runinstances_and_added_20_backends_per_call(run, control, write_stack):
    path = write_stack(instances={"count": 120})
    assert run("provision", path).exit_code == 0
    actions = {k: v["calls"] for k, v in control.stats()["actions"].items()}
    assert actions["ecs:RunInstances"] == 3  # the disk holder, then 100, then 19
    assert actions["slb:AddBackendServers"] == 6  # 120 backends, 20 per call
    assert len(instances_of(control)) == 120
    control.request("POST", "stats/reset")
    assert run("provision", path).exit_code == 0
    stats = control.stats()
    assert stats["mutating"] == 0 and stats["total"] == 10  # DescribeInstances needs a second page
