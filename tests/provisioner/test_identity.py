"""Identity by id first, tags second: resources whose tags were removed at the console are still found by
the ids in the state file (provision, plan, status, teardown), get their tags back, and are never
duplicated or left billing; teardown stops before any delete when deletion protection is on."""

from __future__ import annotations

import os

import pytest

from tests.provisioner.helpers import REGION, Console, problems

pytestmark = pytest.mark.timeout(120)
KEYS = ("fleet:stack", "fleet:role", "managed-by")


@pytest.fixture
def console(ecs, vpc, slb, control) -> Console:
    return Console(ecs, vpc, slb, control)


def untag(c: Console, product: str, rtype: str, rid: str) -> None:
    action = "UnTagResources" if product == "vpc" else "UntagResources"
    c(product, action, RegionId=REGION, ResourceType=rtype, ResourceId=[rid], TagKey=list(KEYS))


def strip_network_and_slb(c: Console) -> dict[str, str]:
    ids = {
        "vpc": c.one("vpc")["id"],
        "security_group": c.one("security_group")["id"],
        "load_balancer": c.one("load_balancer")["id"],
    }
    untag(c, "vpc", "VPC", ids["vpc"])
    untag(c, "ecs", "securitygroup", ids["security_group"])
    untag(c, "slb", "instance", ids["load_balancer"])
    return ids


def test_provision_after_tags_were_stripped_restores_them_and_creates_nothing(run, write_stack, control, console):
    stack = write_stack()
    assert run("provision", stack).exit_code == 0
    ids = strip_network_and_slb(console)
    control.request("POST", "stats/reset")
    res = run("provision", stack)
    assert res.exit_code == 0, res.stderr
    found = control.resources()
    for kind, ident in ids.items():
        assert [o["id"] for o in found[kind]] == [ident]  # no second VPC, group or SLB
        assert {k: v for k, v in found[kind][0]["tags"].items() if k in KEYS}["fleet:stack"] == "fleet-default"
    actions = control.stats()["actions"]
    assert not any(actions.get(a) for a in ("vpc:CreateVpc", "ecs:CreateSecurityGroup", "slb:CreateLoadBalancer"))
    assert {r["id"] for r in res.doc["resources"] if r["action"] == "retagged"} == set(ids.values())
    assert problems(control, stack, run.state_path) == []


def test_plan_and_status_see_the_stripped_resources_by_id(run, write_stack, console):
    stack = write_stack()
    assert run("provision", stack).exit_code == 0
    ids = strip_network_and_slb(console)
    plan = run("plan", stack)
    assert plan.exit_code == 4
    retag = {c["id"] for c in plan.doc["changes"] if "restore the stack's tags" in c["detail"]}
    assert retag == set(ids.values())
    assert not [c for c in plan.doc["changes"] if c["action"] == "create"]
    status = run("status", stack)
    assert status.exit_code == 0
    stripped = {r["id"] for r in status.doc["resources"] if "tags" in r}
    assert stripped == set(ids.values())


def test_teardown_of_an_slb_whose_tags_were_stripped_deletes_it(run, write_stack, control, console):
    stack = write_stack()
    assert run("provision", stack).exit_code == 0
    untag(console, "slb", "instance", console.one("load_balancer")["id"])
    res = run("teardown", stack)
    assert res.exit_code == 0, res.stderr
    assert control.resources() == {}
    assert not os.path.exists(run.state_path)


def test_teardown_stops_before_any_delete_when_the_slb_is_protected(run, write_stack, control, console):
    stack = write_stack()
    assert run("provision", stack).exit_code == 0
    lb_id = console.one("load_balancer")["id"]
    console("slb", "SetLoadBalancerDeleteProtection", RegionId=REGION, LoadBalancerId=lb_id, DeleteProtection="on")
    control.request("POST", "stats/reset")
    res = run("teardown", stack)
    assert res.exit_code == 1
    assert lb_id in res.stderr and "DeleteProtection" in res.stderr
    assert control.stats()["mutating"] == 0
    assert os.path.exists(run.state_path)
    assert problems(control, stack, run.state_path) == []


def test_teardown_stops_before_any_delete_when_an_instance_is_protected(run, write_stack, control, console):
    stack = write_stack()
    assert run("provision", stack).exit_code == 0
    inst = console.non_holder()["id"]
    console("ecs", "ModifyInstanceAttribute", InstanceId=inst, DeletionProtection=True)
    control.request("POST", "stats/reset")
    res = run("teardown", stack)
    assert res.exit_code == 1 and inst in res.stderr and "DeletionProtection" in res.stderr
    assert control.stats()["mutating"] == 0 and os.path.exists(run.state_path)


def test_teardown_keeps_the_state_file_while_a_listed_id_still_exists(run, write_stack, control, console, monkeypatch):
    from provisioner.steps import load_balancer as lb_step

    stack = write_stack()
    assert run("provision", stack).exit_code == 0
    lb_id = console.one("load_balancer")["id"]
    untag(console, "slb", "instance", lb_id)
    # The SLB's delete is skipped (as if it had failed silently): its id is still in the state file.
    monkeypatch.setattr(lb_step, "delete_load_balancer", lambda ctx, lb: [])
    res = run("teardown", stack)
    assert res.exit_code == 1 and lb_id in res.stderr
    assert os.path.exists(run.state_path)
    with open(run.state_path, encoding="utf-8") as handle:
        assert lb_id in handle.read()
