"""Day 2 end to end: `serving.port` 8080 -> 8081 on a serving fleet rolls out through the stack's vServer group
(provisioner/steps/server_group.py) under a steady request stream through the real local balancer."""

from __future__ import annotations

import pytest
from alibabacloud_ecs20140526 import models as em

from tests.e2e.helpers import Stream
from tests.e2e.test_rollout_replace import edit, failed, instances, no_changes, provisioned

pytestmark = pytest.mark.timeout(300)
REGION = "cn-hangzhou"


def open_ports(c) -> set[str]:
    """The port ranges the stack's security group lets in (besides SSH and ICMP, whatever they are)."""
    groups = c.ecs.describe_security_groups(em.DescribeSecurityGroupsRequest(region_id=REGION)).body
    ports = set()
    for g in groups.security_groups.security_group:
        rules = c.ecs.describe_security_group_attribute(
            em.DescribeSecurityGroupAttributeRequest(
                region_id=REGION, security_group_id=g.security_group_id, direction="ingress"
            )
        ).body
        ports |= {p.port_range for p in rules.permissions.permission}
    return ports


def test_a_serving_port_change_rolls_out_with_no_failed_request(cloud):
    stack, doc = provisioned(cloud, count=2)
    old = set(doc["instances"])
    assert "8080/8080" in open_ports(cloud)
    edit(stack, lambda d: d["serving"].__setitem__("port", 8081))
    plan = cloud.cli("plan", stack)
    assert plan.exit_code == 4, plan.stderr[-2000:]
    replaced = {
        ch["id"]: sorted(f["field"] for f in ch["fields"]) for ch in plan.doc["changes"] if ch["action"] == "replace"
    }
    assert replaced == {i: ["serving.port"] for i in old}
    [group] = [ch for ch in plan.doc["changes"] if ch["role"] == "security-group"]
    assert "authorize 8081/8081" in group["detail"]
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
    assert {a.instance for a in answers[tail_start:]} <= new
    assert set(instances(cloud)) == new
    ports = open_ports(cloud)
    assert "8081/8081" in ports and "8080/8080" not in ports
    again = cloud.cli("provision", stack)
    assert again.exit_code == 0 and "rollout" not in again.doc, again.stderr[-2000:]
    no_changes(cloud, stack)
