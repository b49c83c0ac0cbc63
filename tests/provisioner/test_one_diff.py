"""One diff: `plan`, `reconcile --check` and `provision` work from the same list of changes. Several drifts made
at the console and a changed stack file at once: plan lists them, reconcile --check reports the same ones,
provision reports that it carried out exactly that list, and afterwards plan and reconcile --check find
nothing. The function itself makes no call."""

from __future__ import annotations

import json

import pytest

from tests.provisioner.helpers import REGION, Console, problems

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def console(ecs, vpc, slb, control) -> Console:
    return Console(ecs, vpc, slb, control)


def _key(change: dict) -> tuple[str, str, str]:
    return (change["role"], change["id"] or change["was"], change["kind"])


def _drift(console: Console) -> None:
    """What a person at the console does: stop an instance, take another's weight down, revoke a serving rule,
    open SSH to the world, and set the SLB inactive."""
    lb = console.one("load_balancer")["id"]
    group = console.one("security_group")["id"]
    others = [i["id"] for i in console.mine("instance") if i["tags"].get("fleet:data-disk") != "yes"]
    console("ecs", "StopInstances", RegionId=REGION, InstanceId=[others[0]])
    console(
        "slb",
        "SetBackendServers",
        RegionId=REGION,
        LoadBalancerId=lb,
        BackendServers=json.dumps([{"ServerId": others[1], "Weight": "10"}]),
    )
    console(
        "ecs",
        "RevokeSecurityGroup",
        RegionId=REGION,
        SecurityGroupId=group,
        IpProtocol="TCP",
        PortRange="8080/8080",
        SourceCidrIp="100.64.0.0/10",
    )
    console(
        "ecs",
        "AuthorizeSecurityGroup",
        RegionId=REGION,
        SecurityGroupId=group,
        IpProtocol="TCP",
        PortRange="22/22",
        SourceCidrIp="0.0.0.0/0",
    )
    console("slb", "SetLoadBalancerStatus", RegionId=REGION, LoadBalancerId=lb, LoadBalancerStatus="inactive")


def test_plan_check_and_provision_share_one_change_list(run, write_stack, console, control):
    base = write_stack("base.yaml")
    assert run("provision", base).exit_code == 0
    _drift(console)
    # ... and the file changes too: one more instance, another health-check interval, a longer drain.
    path = write_stack(
        "changed.yaml",
        instances={"count": 4},
        load_balancer={"health_check": {"interval": 5}, "drain_seconds": 7},
    )

    control.request("POST", "stats/reset")
    plan = run("plan", path)
    check = run("reconcile", path, "--check")
    assert (plan.exit_code, check.exit_code) == (4, 3), (plan.stderr, check.stderr)
    assert control.stats()["mutating"] == 0

    planned = sorted(_key(c) for c in plan.doc["changes"])
    reported = sorted((d["role"], d["id"], d["kind"]) for d in check.doc["drift"])
    assert planned == reported
    kinds = {k for _, _, k in planned}
    assert {"stopped", "weight", "rule-revoked", "rule-added", "inactive", "missing", "changed", "stack-changed"} <= (
        kinds
    ), planned
    # The rule opened to the world is a security finding in both.
    assert [c["security"] for c in plan.doc["changes"] if c["kind"] == "rule-added"] == [True]

    result = run("provision", path)
    assert result.exit_code == 0, result.stderr
    # What provision set out to do is the plan, change for change (ids of what it creates are new).
    assert sorted(_key(c) for c in result.doc["changes"]) == planned

    again = run("plan", path, as_json=False)
    assert again.exit_code == 0 and "No changes" in again.stdout, again.stdout
    check = run("reconcile", path, "--check")
    assert (check.exit_code, check.doc["outcome"]) == (0, "in-sync"), check.doc["drift"]
    assert problems(control, path, run.state_path) == []
    assert console.one("load_balancer")["status"] == "active"


def test_the_diff_is_a_pure_function_of_stack_snapshot_and_state(run, make_ctx, write_stack, control, console):
    base = write_stack("base.yaml")
    assert run("provision", base).exit_code == 0
    _drift(console)
    from provisioner import diff, observe

    ctx = make_ctx(base)
    snap = observe.snapshot(ctx)
    state_before = json.dumps(ctx.state.data, sort_keys=True)
    control.request("POST", "stats/reset")
    first = diff.changes(ctx.spec, snap, ctx.state)
    second = diff.changes(ctx.spec, snap, ctx.state)
    assert control.stats()["total"] == 0  # no call of any kind
    assert json.dumps(ctx.state.data, sort_keys=True) == state_before  # nothing written
    assert [c.to_dict() for c in first.changes] == [c.to_dict() for c in second.changes]
    assert first.changes, "the drift made above is in the list"
