"""The RAM policy shipped in docs/ram-policy.json (docs/real-cloud.md) allows every API action the provisioner
calls: a provision, a scale up and down, in-place changes, a rollout, status, plan, reconcile and a teardown run
against localcloud, and every action the emulator saw is in the policy; and every `"product", "Action"` call site
in provisioner/ names an action of the policy, so a new call cannot ship without its permission."""
from __future__ import annotations

import json
import re
from pathlib import Path

from provisioner_support import ROOT

POLICY = Path(ROOT) / "docs" / "ram-policy.json"
CALL_SITE = re.compile(r'"(ecs|vpc|slb)",\s*"([A-Z][a-z]+[A-Z][A-Za-z]*)"')   # "ecs", "RunInstances"


def allowed() -> set[str]:
    doc = json.loads(POLICY.read_text())
    assert doc["Version"] == "1"
    actions: set[str] = set()
    for statement in doc["Statement"]:
        assert statement["Effect"] == "Allow" and statement["Resource"] == "*"
        actions.update(statement["Action"])
    return actions


def test_every_action_of_a_stack_lifecycle_is_in_the_shipped_policy(run, write_stack, control):
    base = write_stack("base.yaml", data_disk={"size_gib": 40, "attach": "first"})
    steps = [
        ("provision", base),
        ("provision", write_stack("up.yaml", instances={"count": 5}, data_disk={"size_gib": 40, "attach": "first"})),
        ("provision", write_stack("down.yaml", instances={"count": 2}, data_disk={"size_gib": 40, "attach": "first"})),
        ("provision", write_stack("inplace.yaml", instances={"count": 2}, data_disk={"size_gib": 60, "attach": "first"},
                                  load_balancer={"health_check": {"interval": 5}, "listener_port": 81},
                                  access={"admin_cidrs": ["203.0.113.0/24"]})),
        ("provision", write_stack("rollout.yaml", instances={"count": 2, "type": "ecs.g7.xlarge"},
                                  data_disk={"size_gib": 60, "attach": "first"},
                                  load_balancer={"health_check": {"interval": 5}, "listener_port": 81},
                                  access={"admin_cidrs": ["203.0.113.0/24"]})),
    ]
    for command, stack in steps:
        result = run(command, stack)
        assert result.exit_code == 0, (stack, result.stderr[-2000:])
    last = steps[-1][1]
    assert run("status", last).exit_code == 0
    assert run("plan", last).exit_code == 0
    assert run("reconcile", last).exit_code == 0
    assert run("teardown", last).exit_code == 0

    seen = {name for name, entry in control.stats()["actions"].items() if entry["calls"]}
    assert {"ecs:RunInstances", "ecs:DeleteInstances", "slb:CreateLoadBalancer", "vpc:DeleteVpc",
            "ecs:ResizeDisk"} <= seen      # the run did what it claims to
    missing = sorted(seen - allowed())
    assert not missing, f"actions called but not in docs/ram-policy.json: {missing}"


def test_every_call_site_in_the_provisioner_names_an_action_of_the_policy():
    sites = {f"{product}:{action}"
             for path in (Path(ROOT) / "provisioner").rglob("*.py")
             for product, action in CALL_SITE.findall(path.read_text())}
    assert len(sites) > 20                 # the pattern still finds the call sites
    missing = sorted(sites - allowed())
    assert not missing, f"called in provisioner/ but not in docs/ram-policy.json: {missing}"


def test_the_policy_lists_only_actions_localcloud_knows():
    """A typo in the policy would deny nothing and allow nothing: every entry is an action of the emulated APIs."""
    from localcloud import core, server

    server.load_products()                 # the products register their actions on import
    known = {f"{product}:{action}" for product, action in core.ACTIONS}
    unknown = sorted(allowed() - known)
    assert not unknown, unknown
