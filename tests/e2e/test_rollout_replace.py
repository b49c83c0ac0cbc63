"""Day 2 end to end: a changed stack reaches a serving fleet through a rolling replacement
(provisioner/replace.py), under a steady stream of inference requests through the real local balancer."""

from __future__ import annotations

import pytest
import yaml

from tests.e2e.helpers import Stream
from tests.helpers import eventually

pytestmark = pytest.mark.timeout(300)


def edit(path: str, change) -> str:
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    change(data)
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(data, handle, sort_keys=False)
    return path


def instances(c) -> dict[str, dict]:
    """The stack's instances as the runtime runs them, by id, once the runtime has caught up with the cloud's
    Running instances (it follows the store in the background, so right after a delete it may still list one)."""

    def settled() -> dict[str, dict] | None:
        running = {i["id"] for i in c.control.resources().get("instance", []) if i.get("status") == "Running"}
        runtime = {w["instance_id"]: w for w in c.control.request("GET", "runtime")["instances"]}
        return runtime if set(runtime) == running else None

    return eventually(settled, "the runtime to run exactly the cloud's Running instances")


def provisioned(c, count: int = 2, **rollout):
    stack = c.stack(count=count)
    if rollout:
        edit(stack, lambda d: d.__setitem__("rollout", rollout))
    first = c.cli("provision", stack)
    assert first.exit_code == 0, first.stderr[-3000:]
    return stack, first.doc


def planned_replacements(c, stack: str) -> dict[str, list[str]]:
    """`plan` before a change: exit 4 and only `replace` changes (besides the rollout policy's own change,
    which applies to the next rollout); instance id -> the fields it names."""
    plan = c.cli("plan", stack)
    assert plan.exit_code == 4, plan.stderr[-2000:]
    cloud_side = [ch for ch in plan.doc["changes"] if ch["role"] != "stack"]
    assert {ch["action"] for ch in cloud_side} == {"replace"}, plan.doc["lines"]
    return {ch["id"]: sorted(f["field"] for f in ch["fields"]) for ch in cloud_side}


def no_changes(c, stack: str) -> None:
    plan = c.cli("plan", stack)
    assert plan.exit_code == 0 and plan.doc["changes"] == [], plan.doc["lines"]


def failed(answers) -> list:
    return [a for a in answers if a.status != 200]


def test_new_type_and_env_roll_out_with_no_failed_request_and_only_new_instances_answer(cloud):
    stack, doc = provisioned(cloud, count=2)
    old = set(doc["instances"])

    def change(d):
        d["instances"]["type"] = "ecs.g7.xlarge"
        d["serving"]["server"] = {"env": {"MODEL_VERSION": "2"}}

    edit(stack, change)
    assert planned_replacements(cloud, stack) == {i: ["instances.type", "serving.server.env"] for i in old}
    with Stream(doc["endpoint"], threads=2) as stream:
        stream.wait_for(20)
        result = cloud.cli("provision", stack)
        assert result.exit_code == 0, result.stderr[-3000:]
        stream.wait_for(40)
        tail_start = stream.count()
        stream.wait_for(40)
        answers = stream.stop()
    assert failed(answers) == [], failed(answers)[:3]
    new = set(result.doc["instances"])
    assert len(new) == 2 and not (new & old)
    assert result.doc["rollout"]["replaced"] and set(result.doc["rollout"]["replaced"]) == old
    assert {a.instance for a in answers[tail_start:]} <= new
    assert set(instances(cloud)) & old == set()  # the old ones are gone from the cloud
    running = cloud.ecs.describe_instances(
        __import__("alibabacloud_ecs20140526.models", fromlist=["x"]).DescribeInstancesRequest(region_id="cn-hangzhou")
    ).body.instances.instance
    assert {i.instance_id for i in running} == new
    assert {i.instance_type for i in running} == {"ecs.g7.xlarge"}
    # The data disk (attach: first) moved to the replacement of its holder.
    [disk] = [d for d in cloud.control.resources()["disk"] if d["type"] == "data"]
    assert disk["status"] == "In_use" and disk["instance_id"] in new
    again = cloud.cli("provision", stack)
    assert again.exit_code == 0 and "rollout" not in again.doc
    no_changes(cloud, stack)


def test_a_version_whose_server_exits_at_start_is_rolled_back_and_named_with_its_log(cloud):
    stack, doc = provisioned(cloud, count=2, health_timeout=10)
    old = set(doc["instances"])
    crash = "import sys; print('fatal: cannot load model v3', flush=True); sys.exit(3)"
    edit(stack, lambda d: d["serving"].__setitem__("server", {"command": ["{python}", "-c", crash]}))
    assert planned_replacements(cloud, stack) == {i: ["serving.server.command"] for i in old}
    with Stream(doc["endpoint"], threads=2) as stream:
        stream.wait_for(20)
        result = cloud.cli("provision", stack)
        stream.wait_for(20)
        answers = stream.stop()
    assert result.exit_code == 1
    message = result.doc["error"]["message"]
    assert "batch 0" in message and "rolled back" in message
    assert "fatal: cannot load model v3" in message
    assert failed(answers) == [], failed(answers)[:3]
    assert set(instances(cloud)) == old  # the new ones were deleted, the old ones serve
    assert {a.instance for a in answers} <= old
    named = {word.strip(",():'") for word in message.split() if word.startswith("i-")}
    assert named - old, "the failed batch's new instances are named"
    assert set(planned_replacements(cloud, stack)) == old  # still to do: the rollout was rolled back


def test_a_canary_at_ten_percent_gets_its_share_then_promote_finishes_the_rollout(cloud):
    stack, doc = provisioned(cloud, count=3)
    old = set(doc["instances"])
    edit(
        stack,
        lambda d: (
            d["serving"].__setitem__("server", {"env": {"MODEL_VERSION": "canary"}}),
            d.__setitem__("rollout", {"canary": {"instances": 1, "weight": 10, "hold": True}}),
        ),
    )
    assert planned_replacements(cloud, stack) == {i: ["serving.server.env"] for i in old}
    with Stream(doc["endpoint"], threads=2) as stream:
        stream.wait_for(10)
        held = cloud.cli("provision", stack)
        assert held.exit_code == 0, held.stderr[-3000:]
        assert held.doc["rollout"]["held"] is True
        [canary] = held.doc["rollout"]["canary"]
        status = cloud.cli("status", stack)
        roles = {g["role"]: g for g in status.doc["fleet"]}
        assert roles["canary"]["instances"] == [canary] and set(roles["old"]["instances"]) == old
        assert abs(roles["canary"]["traffic_percent"] - 10) <= 5
        start = stream.count()
        stream.wait_for(600)
        window = stream.answers[start : stream.count()]
        promoted = cloud.cli("promote", stack)
        assert promoted.exit_code == 0, promoted.stderr[-3000:]
        stream.wait_for(20)
        answers = stream.stop()
    share = 100 * sum(1 for a in window if a.instance == canary) / len(window)
    assert abs(share - 10) <= 5, share
    assert failed(answers) == [], failed(answers)[:3]
    new = set(promoted.doc["instances"])
    assert canary in new and len(new) == 3 and not (new & old)
    assert set(instances(cloud)) == new
    final = cloud.cli("status", stack)
    assert [g["role"] for g in final.doc["fleet"]] == ["new"]
    no_changes(cloud, stack)


def test_rollback_removes_a_held_canary_and_the_old_fleet_serves_alone(cloud):
    stack, doc = provisioned(cloud, count=2)
    old = set(doc["instances"])
    edit(
        stack,
        lambda d: (
            d["serving"].__setitem__("server", {"env": {"MODEL_VERSION": "canary"}}),
            d.__setitem__("rollout", {"canary": {"instances": 1, "weight": 20}}),
        ),
    )
    held = cloud.cli("provision", stack)
    assert held.exit_code == 0 and held.doc["rollout"]["held"], held.stderr[-3000:]
    with Stream(doc["endpoint"], threads=2) as stream:
        stream.wait_for(10)
        back = cloud.cli("rollback", stack)
        stream.wait_for(20)
        answers = stream.stop()
    assert back.exit_code == 0, back.stderr[-3000:]
    assert back.doc["rolled_back"] == held.doc["rollout"]["canary"]
    assert failed(answers) == []
    assert set(instances(cloud)) == old
    again = cloud.cli("provision", stack)  # the rejected template is not started again
    assert again.exit_code == 0 and set(again.doc["instances"]) == old
    assert cloud.cli("rollback", stack).exit_code == 1  # nothing left to roll back
