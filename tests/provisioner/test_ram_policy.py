"""The RAM policy shipped in docs/ram-policy.json (docs/real-cloud.md) allows every API action the provisioner
calls: a provision, a scale up and down, in-place changes, a rollout, the repair of console edits, status, plan,
reconcile and a teardown run against localcloud, and every action the emulator saw is in the policy; and every
`"product", "Action"` call site in provisioner/ names an action of the policy, so a new call cannot ship without
its permission."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "docs" / "ram-policy.json"
CALL_SITE = re.compile(r'"(ecs|vpc|slb)",\s*"([A-Z][a-z]+[A-Z][A-Za-z]*)"')  # "ecs", "RunInstances"


def allowed() -> set[str]:
    doc = json.loads(POLICY.read_text())
    assert doc["Version"] == "1"
    actions: set[str] = set()
    for statement in doc["Statement"]:
        assert statement["Effect"] == "Allow" and statement["Resource"] == "*"
        actions.update(statement["Action"])
    return actions


def test_every_action_of_a_stack_lifecycle_is_in_the_shipped_policy(run, write_stack, control, vpc, slb):
    from alibabacloud_slb20140515 import models as slb_models
    from alibabacloud_vpc20160428 import models as vpc_models

    seen: set[str] = set()

    def collect() -> None:
        """The actions the provisioner called since the last reset (the console's own calls are not counted)."""
        seen.update(name for name, entry in control.stats()["actions"].items() if entry["calls"])
        control.request("POST", "stats/reset")

    def stack(filename: str, count: int = 2, disk_gib: int = 40, **changes) -> str:
        return write_stack(
            filename,
            instances={"count": count, **changes.pop("instances", {})},
            data_disk={"size_gib": disk_gib, "attach": "first"},
            **changes,
        )

    def ok(command: str, path: str) -> None:
        result = run(command, path)
        assert result.exit_code == 0, (command, path, result.stderr[-2000:])

    control.request("POST", "stats/reset")
    ok("provision", stack("base.yaml", count=3))
    ok("provision", stack("up.yaml", count=5))  # scale up
    ok("provision", stack("down.yaml", count=2))  # drain, scale down
    ok(
        "provision",
        stack(
            "inplace.yaml", disk_gib=60, load_balancer={"listener_port": 81}, access={"admin_cidrs": ["203.0.113.0/24"]}
        ),
    )  # resize, new listener, rule
    changed = {"disk_gib": 60, "load_balancer": {"listener_port": 81, "health_check": {"interval": 5}}}
    last = stack("rollout.yaml", instances={"type": "ecs.g7.xlarge"}, **changed)  # health check, rule revoked,
    ok("provision", last)  # every instance replaced
    collect()

    # The console: tags removed from the VPC and the SLB, both renamed; provision and reconcile put them back.
    ids = {r["role"]: r["id"] for r in run("status", last).doc["resources"] if r["role"] in ("vpc", "load-balancer")}
    keys = ["fleet:stack", "fleet:role", "managed-by"]
    vpc.un_tag_resources(
        vpc_models.UnTagResourcesRequest(
            region_id="cn-hangzhou", resource_type="VPC", resource_id=[ids["vpc"]], tag_key=keys
        )
    )
    vpc.modify_vpc_attribute(
        vpc_models.ModifyVpcAttributeRequest(region_id="cn-hangzhou", vpc_id=ids["vpc"], vpc_name="renamed-by-hand")
    )
    slb.untag_resources(
        slb_models.UntagResourcesRequest(
            region_id="cn-hangzhou", resource_type="instance", resource_id=[ids["load-balancer"]], tag_key=keys
        )
    )
    slb.set_load_balancer_name(
        slb_models.SetLoadBalancerNameRequest(
            region_id="cn-hangzhou", load_balancer_id=ids["load-balancer"], load_balancer_name="renamed-by-hand"
        )
    )
    control.request("POST", "stats/reset")
    ok("provision", last)
    ok("status", last)
    ok("plan", last)
    ok("reconcile", last)
    ok("teardown", last)
    collect()

    # The run did what it claims to (so the check below covers those calls).
    assert {
        "ecs:RunInstances",
        "ecs:DeleteInstances",
        "ecs:ResizeDisk",
        "ecs:RevokeSecurityGroup",
        "slb:CreateLoadBalancer",
        "slb:SetLoadBalancerHTTPListenerAttribute",
        "slb:SetLoadBalancerName",
        "slb:TagResources",
        "vpc:TagResources",
        "vpc:ModifyVpcAttribute",
        "vpc:DeleteVpc",
    } <= seen
    missing = sorted(seen - allowed())
    assert not missing, f"actions called but not in docs/ram-policy.json: {missing}"


def test_every_call_site_in_the_provisioner_names_an_action_of_the_policy():
    sites = {
        f"{product}:{action}"
        for path in (ROOT / "provisioner").rglob("*.py")
        for product, action in CALL_SITE.findall(path.read_text())
    }
    assert len(sites) > 20  # the pattern still finds the call sites
    missing = sorted(sites - allowed())
    assert not missing, f"called in provisioner/ but not in docs/ram-policy.json: {missing}"


def test_the_policy_lists_only_actions_localcloud_knows():
    """A typo in the policy would deny nothing and allow nothing: every entry is an action of the emulated APIs."""
    from localcloud import core, server

    server.load_products()  # the products register their actions on import
    known = {f"{product}:{action}" for product, action in core.ACTIONS}
    unknown = sorted(allowed() - known)
    assert not unknown, unknown
