"""Neighbours: another stack in the same region, and resources that are not ours inside our own VPC
(an untagged instance in our vSwitch and security group, serving behind our SLB; a security group
tagged for the other stack), survive our provision, reconcile and teardown untouched."""

from __future__ import annotations

import json

import pytest

from tests.provisioner.helpers import DEFAULT_STACK, REGION, Console, problems, tagged

pytestmark = pytest.mark.timeout(90)
IMAGE = "ubuntu_22_04_x64_20G_alibase_20240130.vhd"


def foreign_view(control, ours: str = "fleet-default") -> dict[str, dict]:
    """Every resource not tagged for our stack, by id, as the emulator holds it."""
    return {
        o["id"]: o
        for items in control.resources().values()
        for o in items
        if (o.get("tags") or {}).get("fleet:stack") != ours
    }


def test_a_neighbour_stack_and_untagged_resources_in_our_vpc_survive_reconcile_and_teardown(
    run, control, ecs, vpc, slb, write_stack
):
    c = Console(ecs, vpc, slb, control)
    neighbour = write_stack(
        "neighbour.yaml",
        name="neighbour",
        instances={"count": 1},
        data_disk=None,
        network={"vpc_cidr": "172.16.0.0/16", "vswitch_cidr": "172.16.1.0/24"},
    )
    neighbour_state = run.state_path + ".neighbour"
    assert run("provision", neighbour, state_path=neighbour_state).exit_code == 0
    assert run("provision", DEFAULT_STACK).exit_code == 0

    # Someone launches a VM into our vSwitch and security group, without tags, and puts it behind our
    # SLB; another stack's group is created in our VPC.
    [stray] = c(
        "ecs",
        "RunInstances",
        RegionId=REGION,
        ImageId=IMAGE,
        InstanceType="ecs.g7.large",
        VSwitchId=c.one("vswitch")["id"],
        SecurityGroupId=c.one("security_group")["id"],
        Amount=1,
    )["InstanceIdSets"]["InstanceIdSet"]
    c("ecs", "DescribeInstances", RegionId=REGION)
    c(
        "slb",
        "AddBackendServers",
        RegionId=REGION,
        LoadBalancerId=c.one("load_balancer")["id"],
        BackendServers=json.dumps([{"ServerId": stray, "Weight": "50"}]),
    )
    other_tags = [{"Key": "fleet:stack", "Value": "neighbour"}, {"Key": "team", "Value": "b"}]
    other_group = c("ecs", "CreateSecurityGroup", RegionId=REGION, VpcId=c.one("vpc")["id"], Tag=other_tags)[
        "SecurityGroupId"
    ]
    before = foreign_view(control)
    assert stray in before and other_group in before and len(tagged(control, "neighbour")["instance"]) == 1

    # Our stack drifts; reconcile heals it, and provision afterwards changes nothing.
    c.delete_instances([c.non_holder()["id"]])
    c(
        "ecs",
        "AuthorizeSecurityGroup",
        RegionId=REGION,
        SecurityGroupId=c.one("security_group")["id"],
        IpProtocol="TCP",
        PortRange="22/22",
        SourceCidrIp="0.0.0.0/0",
    )
    result = run("reconcile", DEFAULT_STACK)
    assert (result.exit_code, result.doc["outcome"]) == (0, "healed"), result.stderr
    assert stray not in {d["id"] for d in result.doc["drift"]}
    assert problems(control, DEFAULT_STACK, run.state_path, foreign=set(before)) == []
    control.request("POST", "stats/reset")
    assert run("provision", DEFAULT_STACK).exit_code == 0
    assert run("reconcile", DEFAULT_STACK).doc["outcome"] == "in-sync"
    assert control.stats()["mutating"] == 0
    assert foreign_view(control) == before
    backends = {b["server_id"]: b["weight"] for b in c.one("load_balancer")["backends"]}
    assert backends[stray] == 50

    # Teardown removes what is ours and keeps the group, vSwitch and VPC the stray instance still needs.
    result = run("teardown", DEFAULT_STACK)
    assert result.exit_code == 1
    message = result.doc["error"]["message"]
    assert f"instance {stray} (untagged)" in message and "left alone" in message
    assert f"security group {other_group} (stack 'neighbour')" in message
    assert {kind: len(v) for kind, v in tagged(control, "fleet-default").items()} == {
        "vpc": 1,
        "vswitch": 1,
        "security_group": 1,
    }
    after = foreign_view(control)
    assert {rid: after.get(rid) for rid in before} == before

    # Once the stray resources are gone, teardown finishes; the neighbour stack is still whole.
    c.delete_instances([stray])
    c("ecs", "DeleteSecurityGroup", RegionId=REGION, SecurityGroupId=other_group)
    result = run("teardown", DEFAULT_STACK)
    assert result.exit_code == 0, result.stderr
    assert tagged(control, "fleet-default") == {}
    assert problems(control, neighbour, neighbour_state) == []
