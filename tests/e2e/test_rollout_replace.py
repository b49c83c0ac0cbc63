"""Day 2 end to end: a changed stack reaches a serving fleet through a rolling replacement
(provisioner/replace.py), under a steady stream of inference requests through the real local balancer."""
from __future__ import annotations

import yaml
import pytest

from e2e_support import Stream

pytestmark = pytest.mark.timeout(300)


def edit(path: str, change) -> str:
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    change(data)
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(data, handle, sort_keys=False)
    return path


def instances(c) -> dict[str, dict]:
    """The stack's instances as the runtime runs them, by id."""
    return {w["instance_id"]: w for w in c.control.request("GET", "runtime")["instances"]}


def provisioned(c, count: int = 2, **rollout):
    stack = c.stack(count=count)
    if rollout:
        edit(stack, lambda d: d.__setitem__("rollout", rollout))
    first = c.cli("provision", stack)
    assert first.exit_code == 0, first.stderr[-3000:]
    return stack, first.doc


def failed(answers) -> list:
    return [a for a in answers if a.status != 200]


def test_new_type_and_env_roll_out_with_no_failed_request_and_only_new_instances_answer(cloud):
    stack, doc = provisioned(cloud, count=2)
    old = set(doc["instances"])

    def change(d):
        d["instances"]["type"] = "ecs.g7.xlarge"
        d["serving"]["server"] = {"env": {"MODEL_VERSION": "2"}}

    edit(stack, change)
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
    assert set(instances(cloud)) & old == set()          # the old ones are gone from the cloud
    running = cloud.ecs.describe_instances(__import__("alibabacloud_ecs20140526.models", fromlist=["x"])
                                           .DescribeInstancesRequest(region_id="cn-hangzhou")).body.instances.instance
    assert {i.instance_id for i in running} == new
    assert {i.instance_type for i in running} == {"ecs.g7.xlarge"}
    again = cloud.cli("provision", stack)
    assert again.exit_code == 0 and "rollout" not in again.doc
