"""provision, plan, status and teardown end to end through the CLI, checked through the official SDKs
and the emulator's own counters (not through the provisioner's state)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from alibabacloud_ecs20140526 import models as ecs_models
from alibabacloud_slb20140515 import models as slb_models
from alibabacloud_vpc20160428 import models as vpc_models
from click.testing import CliRunner

from provisioner.cli import cli
from tests.provisioner.helpers import tagged

REGION = "cn-hangzhou"
STACK = "fleet-default"


def tag_filter(stack: str = STACK):
    return [{"Key": "fleet:stack", "Value": stack}]


def cloud_view(ecs, vpc, slb, stack: str = STACK) -> dict:
    """What a user sees of the stack through the SDKs, found by the stack tag."""
    vpcs = vpc.describe_vpcs(
        vpc_models.DescribeVpcsRequest().from_map({"RegionId": REGION, "Tag": tag_filter(stack), "PageSize": 50})
    ).body.vpcs.vpc
    vsws = vpc.describe_vswitches(
        vpc_models.DescribeVSwitchesRequest().from_map({"RegionId": REGION, "Tag": tag_filter(stack), "PageSize": 50})
    ).body.v_switches.v_switch
    groups = ecs.describe_security_groups(
        ecs_models.DescribeSecurityGroupsRequest().from_map({"RegionId": REGION, "Tag": tag_filter(stack)})
    ).body.security_groups.security_group
    instances = ecs.describe_instances(
        ecs_models.DescribeInstancesRequest().from_map({"RegionId": REGION, "Tag": tag_filter(stack), "PageSize": 100})
    ).body.instances.instance
    disks = ecs.describe_disks(
        ecs_models.DescribeDisksRequest().from_map(
            {"RegionId": REGION, "Tag": tag_filter(stack), "DiskType": "data", "PageSize": 100}
        )
    ).body.disks.disk
    lbs = slb.describe_load_balancers(
        slb_models.DescribeLoadBalancersRequest().from_map(
            {"RegionId": REGION, "Tag": tag_filter(stack), "PageNumber": 1, "PageSize": 100}
        )
    ).body.load_balancers.load_balancer
    return {"vpcs": vpcs, "vswitches": vsws, "groups": groups, "instances": instances, "disks": disks, "lbs": lbs}


def ingress(ecs, group_id: str) -> set[tuple]:
    perms = ecs.describe_security_group_attribute(
        ecs_models.DescribeSecurityGroupAttributeRequest(
            region_id=REGION, security_group_id=group_id, direction="ingress"
        )
    ).body.permissions.permission
    return {(p.ip_protocol.upper(), p.port_range, p.source_cidr_ip) for p in perms}


def test_provision_builds_the_default_stack(run, ecs, vpc, slb, control):
    result = run("provision", _default())
    assert result.exit_code == 0, result.stderr
    view = cloud_view(ecs, vpc, slb)
    assert [v.cidr_block for v in view["vpcs"]] == ["10.0.0.0/16"]
    assert [(s.zone_id, s.cidr_block) for s in view["vswitches"]] == [("cn-hangzhou-i", "10.0.1.0/24")]
    assert len(view["groups"]) == 1
    rules = ingress(ecs, view["groups"][0].security_group_id)
    assert rules == {("TCP", "8080/8080", "100.64.0.0/10"), ("TCP", "8080/8080", "10.0.0.0/16")}
    instances = view["instances"]
    assert len(instances) == 3
    assert {i.status for i in instances} == {"Running"}
    assert {i.instance_type for i in instances} == {"ecs.g7.large"}
    assert all({t.tag_key: t.tag_value for t in i.tags.tag}["managed-by"] == "fleet-provisioner" for i in instances)
    disks = view["disks"]
    assert [(d.size, d.category, d.status) for d in disks] == [(40, "cloud_ssd", "In_use")]
    assert disks[0].instance_id in {i.instance_id for i in instances}
    [lb] = view["lbs"]
    attr = slb.describe_load_balancer_attribute(
        slb_models.DescribeLoadBalancerAttributeRequest(region_id=REGION, load_balancer_id=lb.load_balancer_id)
    ).body
    assert {b.server_id for b in attr.backend_servers.backend_server} == {i.instance_id for i in instances}
    listener = slb.describe_load_balancer_httplistener_attribute(
        slb_models.DescribeLoadBalancerHTTPListenerAttributeRequest(
            region_id=REGION, load_balancer_id=lb.load_balancer_id, listener_port=80
        )
    ).body
    assert (listener.status, listener.backend_server_port, listener.health_check) == ("running", 8080, "on")
    assert listener.health_check_uri == "/v2/health/ready"
    assert result.doc["endpoint"] == f"http://{lb.address}:80/"
    assert lb.address.startswith("127.88.")


def test_the_data_disk_sits_on_the_instance_whose_user_data_mounts_it(run, ecs, vpc, slb):
    assert run("provision", _default()).exit_code == 0
    view = cloud_view(ecs, vpc, slb)
    holder = view["disks"][0].instance_id
    marked = [
        i.instance_id
        for i in view["instances"]
        if {t.tag_key: t.tag_value for t in i.tags.tag}.get("fleet:data-disk") == "yes"
    ]
    assert marked == [holder]


def test_second_provision_makes_no_mutating_call_and_at_most_ten_calls(run, control):
    assert run("provision", _default()).exit_code == 0
    control.request("POST", "stats/reset")
    result = run("provision", _default())
    assert result.exit_code == 0
    stats = control.stats()
    assert stats["mutating"] == 0, stats["actions"]
    assert stats["total"] <= 10, stats["actions"]
    assert result.doc["api_calls"]["total"] == stats["total"]
    assert set(result.doc["summary"]) == {"existing"}


def test_no_op_provision_stays_within_ten_calls_for_fifty_instances(run, control, write_stack):
    path = write_stack(instances={"count": 50}, data_disk={"attach": "each"})
    assert run("provision", path).exit_code == 0
    control.request("POST", "stats/reset")
    assert run("provision", path).exit_code == 0
    stats = control.stats()
    assert (stats["mutating"], stats["total"] <= 10) == (0, True), stats["actions"]


def test_plan_before_provision_lists_creations_and_exits_4_without_mutating(run, control):
    result = run("plan", _default())
    assert result.exit_code == 4
    assert result.doc["pending"] is True
    created = {c["role"]: c["count"] for c in result.doc["changes"] if c["action"] == "create"}
    assert created == {
        "vpc": 1,
        "vswitch": 1,
        "security-group": 1,
        "instance": 3,
        "data-disk": 1,
        "load-balancer": 1,
        "listener": 1,
    }
    assert control.stats()["mutating"] == 0
    assert not os.path.exists(run.state_path)


def test_plan_after_provision_has_nothing_to_do_and_exits_0(run, control):
    assert run("provision", _default()).exit_code == 0
    result = run("plan", _default())
    assert result.exit_code == 0, result.doc["changes"]
    assert result.doc["changes"] == []


def test_plan_shows_a_scale_change_as_pending(run, write_stack):
    assert run("provision", _default()).exit_code == 0
    result = run("plan", write_stack(instances={"count": 5}))
    assert result.exit_code == 4
    assert {(c["action"], c["role"], c["count"]) for c in result.doc["changes"]} >= {("create", "instance", 2)}


def test_status_shows_each_resource_the_backends_and_the_endpoint(run, ecs, vpc, slb):
    provisioned = run("provision", _default())
    result = run("status", _default())
    assert result.exit_code == 0
    roles = [r["role"] for r in result.doc["resources"]]
    for role in ("vpc", "vswitch", "security-group", "instance", "data-disk", "load-balancer", "listener"):
        assert role in roles
    assert all(r["id"] and r["status"] for r in result.doc["resources"])
    ids = {i.instance_id for i in cloud_view(ecs, vpc, slb)["instances"]}
    assert {b["server_id"] for b in result.doc["backends"]} == ids
    assert {b["health"] for b in result.doc["backends"]} == {"normal"}
    assert result.doc["endpoint"] == provisioned.doc["endpoint"]


def test_status_in_plain_text_prints_the_endpoint(run):
    run("provision", _default())
    result = run("status", _default(), as_json=False)
    assert result.exit_code == 0
    assert "endpoint: http://127.88." in result.stdout
    assert "backend" in result.stdout


def test_json_output_is_one_document_and_logs_go_to_stderr(run):
    result = run("provision", _default())
    json.loads(result.stdout)  # exactly one document, nothing else on stdout
    assert "RunInstances created" in result.stderr


def test_teardown_leaves_nothing_tagged_with_the_stack(run, control, ecs, vpc, slb):
    assert run("provision", _default()).exit_code == 0
    result = run("teardown", _default())
    assert result.exit_code == 0, result.stderr
    assert tagged(control, STACK) == {}
    assert all(not v for v in cloud_view(ecs, vpc, slb).values())
    assert not os.path.exists(run.state_path)
    assert run("plan", _default()).exit_code == 4


def test_teardown_twice_is_fine(run, control):
    assert run("provision", _default()).exit_code == 0
    assert run("teardown", _default()).exit_code == 0
    control.request("POST", "stats/reset")
    assert run("teardown", _default()).exit_code == 0
    assert control.stats()["mutating"] == 0


def test_teardown_without_yes_off_a_terminal_refuses_before_any_call(control):
    res = CliRunner().invoke(cli, ["teardown", "--stack", _default(), "--endpoint", control.url])
    assert res.exit_code == 2
    assert "--yes" in res.stderr
    assert control.stats()["total"] == 0


def test_teardown_spares_another_stacks_resources(run, write_stack, control):
    other = write_stack(
        "other.yaml",
        name="neighbour",
        network={"vpc_cidr": "172.16.0.0/16", "vswitch_cidr": "172.16.1.0/24"},
        instances={"count": 1},
        data_disk=None,
    )
    assert run("provision", other, state_path=run.state_path + ".other").exit_code == 0
    assert run("provision", _default()).exit_code == 0
    assert run("teardown", _default()).exit_code == 0
    left = tagged(control, "neighbour")
    assert len(left["vpc"]) == 1 and len(left["instance"]) == 1 and len(left["load_balancer"]) == 1


def _default() -> str:
    from tests.provisioner.helpers import DEFAULT_STACK

    return DEFAULT_STACK


def test_with_the_state_file_lost_provision_finds_everything_by_tag_and_creates_nothing(run, control):
    assert run("provision", _default()).exit_code == 0
    os.unlink(run.state_path)
    control.request("POST", "stats/reset")
    result = run("provision", _default())
    assert result.exit_code == 0
    assert control.stats()["mutating"] == 0
    assert json.loads(Path(run.state_path).read_text())["resources"]["instance"] == sorted(result.doc["instances"])
