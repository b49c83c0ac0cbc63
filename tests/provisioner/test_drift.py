"""Drift matrix: each drift made through the ordinary API (as a person at the console would), then
`reconcile --check` reports it and changes nothing, one `reconcile` heals it, and a second reconcile
finds no drift and makes no mutating call."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.provisioner.helpers import DEFAULT_STACK, REGION, Console, problems

pytestmark = pytest.mark.timeout(60)


def untag(c: Console, product: str, rtype: str, rid: str, keys=("fleet:stack", "fleet:role", "managed-by")) -> None:
    action = "UnTagResources" if product == "vpc" else "UntagResources"
    c(product, action, RegionId=REGION, ResourceType=rtype, ResourceId=[rid], TagKey=list(keys))


def delete_network(c: Console, vpc_too: bool) -> None:
    """What a person must do to delete the vSwitch (or the VPC): release what sits in it first."""
    c.delete_instances([i["id"] for i in c.mine("instance")])
    if vpc_too:
        c("ecs", "DeleteSecurityGroup", RegionId=REGION, SecurityGroupId=c.one("security_group")["id"])
    c("vpc", "DeleteVSwitch", RegionId=REGION, VSwitchId=c.one("vswitch")["id"])
    if vpc_too:
        c("vpc", "DeleteVpc", RegionId=REGION, VpcId=c.one("vpc")["id"])


def lb(c: Console) -> str:
    return c.one("load_balancer")["id"]


DRIFTS = {
    "instance-deleted": (lambda c: c.delete_instances([c.non_holder()["id"]]), {"deleted"}),
    "disk-holder-deleted": (lambda c: c.delete_instances([c.holder()["id"]]), {"deleted", "detached"}),
    "instance-stopped": (
        lambda c: c("ecs", "StopInstances", RegionId=REGION, InstanceId=[c.non_holder()["id"]]),
        {"stopped"},
    ),
    "backend-removed": (
        lambda c: c(
            "slb",
            "RemoveBackendServers",
            RegionId=REGION,
            LoadBalancerId=lb(c),
            BackendServers=json.dumps([{"ServerId": c.non_holder()["id"]}]),
        ),
        {"backend-missing"},
    ),
    "backend-weight": (
        lambda c: c(
            "slb",
            "SetBackendServers",
            RegionId=REGION,
            LoadBalancerId=lb(c),
            BackendServers=json.dumps([{"ServerId": c.non_holder()["id"], "Weight": "10"}]),
        ),
        {"weight"},
    ),
    "listener-stopped": (
        lambda c: c("slb", "StopLoadBalancerListener", RegionId=REGION, LoadBalancerId=lb(c), ListenerPort=80),
        {"stopped"},
    ),
    "listener-changed": (
        lambda c: c(
            "slb",
            "SetLoadBalancerHTTPListenerAttribute",
            RegionId=REGION,
            LoadBalancerId=lb(c),
            ListenerPort=80,
            HealthCheckURI="/elsewhere",
            HealthyThreshold=7,
        ),
        {"changed"},
    ),
    # The SLB turns inactive when its last listener goes (SetLoadBalancerStatus docs).
    "listener-deleted": (
        lambda c: c("slb", "DeleteLoadBalancerListener", RegionId=REGION, LoadBalancerId=lb(c), ListenerPort=80),
        {"deleted", "inactive"},
    ),
    "slb-inactive": (
        lambda c: c(
            "slb", "SetLoadBalancerStatus", RegionId=REGION, LoadBalancerId=lb(c), LoadBalancerStatus="inactive"
        ),
        {"inactive"},
    ),
    "slb-deleted": (lambda c: c("slb", "DeleteLoadBalancer", RegionId=REGION, LoadBalancerId=lb(c)), {"deleted"}),
    "rule-revoked": (
        lambda c: c(
            "ecs",
            "RevokeSecurityGroup",
            RegionId=REGION,
            SecurityGroupId=c.one("security_group")["id"],
            IpProtocol="TCP",
            PortRange="8080/8080",
            SourceCidrIp="100.64.0.0/10",
        ),
        {"rule-revoked"},
    ),
    "rule-added": (
        lambda c: c(
            "ecs",
            "AuthorizeSecurityGroup",
            RegionId=REGION,
            SecurityGroupId=c.one("security_group")["id"],
            IpProtocol="TCP",
            PortRange="22/22",
            SourceCidrIp="0.0.0.0/0",
        ),
        {"rule-added"},
    ),
    "disk-detached": (
        lambda c: c("ecs", "DetachDisk", InstanceId=c.holder()["id"], DiskId=c.data_disk()["id"]),
        {"detached"},
    ),
    "instance-untagged": (lambda c: untag(c, "ecs", "instance", c.non_holder()["id"]), {"tags-removed"}),
    "holder-untagged": (
        lambda c: untag(c, "ecs", "instance", c.holder()["id"], ("fleet:stack", "fleet:data-disk")),
        {"tags-removed"},
    ),
    "disk-untagged": (lambda c: untag(c, "ecs", "disk", c.data_disk()["id"]), {"tags-removed"}),
    "group-untagged": (
        lambda c: untag(c, "ecs", "securitygroup", c.one("security_group")["id"], ("managed-by",)),
        {"tags-removed"},
    ),
    "vpc-untagged": (lambda c: untag(c, "vpc", "VPC", c.one("vpc")["id"]), {"tags-removed"}),
    "vswitch-untagged": (lambda c: untag(c, "vpc", "VSWITCH", c.one("vswitch")["id"]), {"tags-removed"}),
    "slb-untagged": (lambda c: untag(c, "slb", "instance", lb(c)), {"tags-removed"}),
    "vswitch-deleted": (lambda c: delete_network(c, vpc_too=False), {"deleted"}),
    "vpc-deleted": (lambda c: delete_network(c, vpc_too=True), {"deleted", "detached"}),
}


@pytest.fixture
def console(ecs, vpc, slb, control) -> Console:
    return Console(ecs, vpc, slb, control)


def _kinds(doc: dict) -> set[str]:
    return {d["kind"] for d in doc["drift"]}


@pytest.mark.parametrize("name", list(DRIFTS))
def test_one_reconcile_heals_the_drift_and_the_next_finds_none(name, run, control, console):
    make, kinds = DRIFTS[name]
    assert run("provision", DEFAULT_STACK).exit_code == 0
    make(console)
    assert problems(control, DEFAULT_STACK), "the drift did not change anything"

    control.request("POST", "stats/reset")
    check = run("reconcile", DEFAULT_STACK, "--check")
    assert check.exit_code == 3, check.stderr
    assert kinds <= _kinds(check.doc), check.doc["drift"]
    assert control.stats()["mutating"] == 0

    healed = run("reconcile", DEFAULT_STACK)
    assert healed.exit_code == 0, healed.stderr
    assert (healed.doc["outcome"], _kinds(healed.doc) >= kinds) == ("healed", True), healed.doc["drift"]
    assert problems(control, DEFAULT_STACK, run.state_path) == []

    control.request("POST", "stats/reset")
    again = run("reconcile", DEFAULT_STACK)
    assert (again.exit_code, again.doc["outcome"], again.doc["drift"]) == (0, "in-sync", [])
    stats = control.stats()
    assert (stats["mutating"], stats["total"] <= 10) == (0, True), stats["actions"]


def test_a_rule_added_outside_the_stack_is_revoked_and_reported_as_a_security_finding(run, control, console):
    assert run("provision", DEFAULT_STACK).exit_code == 0
    DRIFTS["rule-added"][0](console)
    result = run("reconcile", DEFAULT_STACK, as_json=False)
    assert result.exit_code == 0
    [line] = [x for x in result.stdout.splitlines() if "SECURITY" in x]
    assert "22/22 from 0.0.0.0/0" in line and "revoke" in line
    perms = console(
        "ecs", "DescribeSecurityGroupAttribute", RegionId=REGION, SecurityGroupId=console.one("security_group")["id"]
    )["Permissions"]["Permission"]
    assert "0.0.0.0/0" not in {p["SourceCidrIp"] for p in perms}


def test_a_lost_disk_holder_is_replaced_by_one_that_mounts_the_same_disk(run, control, console):
    assert run("provision", DEFAULT_STACK).exit_code == 0
    old, disk = console.holder()["id"], console.data_disk()["id"]
    console.delete_instances([old])
    assert run("reconcile", DEFAULT_STACK).exit_code == 0
    new = console.holder()
    assert new["id"] != old and len(console.mine("instance")) == 3
    kept = console.data_disk()
    assert (kept["id"], kept["instance_id"]) == (disk, new["id"])  # the model's disk, on the new holder


def test_each_mode_replacement_gets_the_lost_instances_disk_back(run, control, console, write_stack):
    path = write_stack(data_disk={"attach": "each"})
    assert run("provision", path).exit_code == 0
    victim = console.mine("instance")[1]["id"]
    [disk] = [d["id"] for d in console.mine("disk") if d["type"] == "data" and d["instance_id"] == victim]
    console.delete_instances([victim])
    result = run("reconcile", path)
    assert result.exit_code == 0, result.stderr
    assert problems(control, path, run.state_path) == []
    data = [d for d in console.mine("disk") if d["type"] == "data"]
    assert disk in {d["id"] for d in data} and len(data) == 3  # reattached, not a new disk
    control.request("POST", "stats/reset")
    assert run("reconcile", path).doc["outcome"] == "in-sync"
    assert control.stats()["mutating"] == 0


def test_a_stack_whose_state_knows_nothing_is_not_deployed_and_reconcile_creates_nothing(run, control):
    result = run("reconcile", DEFAULT_STACK)
    assert (result.exit_code, result.doc["outcome"]) == (0, "not-deployed")
    assert control.stats()["mutating"] == 0


def test_a_stack_deleted_under_its_state_file_is_recreated_whole(run, control, tmp_path):
    assert run("provision", DEFAULT_STACK).exit_code == 0
    kept = tmp_path / "kept.json"
    kept.write_text(Path(run.state_path).read_text())
    assert run("teardown", DEFAULT_STACK).exit_code == 0  # everything deleted; the state file goes too
    with open(run.state_path, "w") as handle:  # ... but this machine kept its copy
        handle.write(kept.read_text())
    result = run("reconcile", DEFAULT_STACK)
    assert (result.exit_code, result.doc["outcome"]) == (0, "healed"), result.stderr
    assert {"vpc", "load-balancer", "instance"} <= {d["role"] for d in result.doc["drift"] if d["kind"] == "deleted"}
    assert problems(control, DEFAULT_STACK, run.state_path) == []
