"""Fault soak with today's cloud behaviours on: the usual faults (30% throttling, 10% 5xx, 5% commit-then-drop,
latency jitter) plus 30% of new instances released by the system at creation (SystemFailure.Delete) and
security groups, vSwitches and VPCs that stay busy (DependencyViolation) for 2 minutes after their instances
are released. Provision, a reconcile healing drift (a lost disk holder, a console rule from another group) and
teardown converge with no duplicate and nothing left over. Retry sleeps move the emulator's clock (no test
sleeps). The API calls each phase spent are printed."""

from __future__ import annotations

import pytest

from provisioner import retry
from tests.provisioner.helpers import DEFAULT_STACK, REGION, Console, effective_mutations, problems

pytestmark = pytest.mark.timeout(180)
BASE = {"throttle": 0.30, "error": 0.10, "commit_drop": 0.05, "latency_ms": 1, "jitter_ms": 15}
FAULTS = [{"action": "*", **BASE}, {"action": "ecs:RunInstances", **BASE, "lose": 0.3}]
LINGER_S = 120


@pytest.mark.parametrize("seed", [3, 7])
def test_provision_reconcile_and_teardown_converge_with_real_cloud_behaviours(
    seed, run, control, ecs, vpc, slb, capsys, monkeypatch
):
    console = Console(ecs, vpc, slb, control)
    monkeypatch.setattr(retry, "sleep", lambda seconds: control.advance(seconds))
    control.config(dependency_linger=LINGER_S)
    spent: list[str] = []
    lost = 0

    def phase(name: str, *args: str) -> dict:
        nonlocal lost
        control.request("POST", "stats/reset")
        control.faults(seed=seed, rules=FAULTS)
        result = run(name, DEFAULT_STACK, *args)
        stats, injected = control.stats(), control.request("GET", "faults")["injected"]
        control.faults()
        assert result.exit_code == 0, result.stderr[-3000:]
        lost += injected.get("lose", 0)
        busy = sum(
            n
            for a in stats["actions"].values()
            for code, n in a["errors"].items()
            if code.startswith("DependencyViolation")
        )
        label = f"{name} {' '.join(args)}".strip()
        spent.append(
            f"{label:<18} {stats['total']:>3} calls, {stats['mutating']:>2} mutating attempts"
            f" ({effective_mutations(stats):>2} took effect); faults {dict(sorted(injected.items()))},"
            f" DependencyViolation answers {busy}"
        )
        return result.doc

    phase("provision")
    assert problems(control, DEFAULT_STACK, run.state_path) == []
    console.delete_instances([console.holder()["id"]])
    other = console(
        "ecs", "CreateSecurityGroup", RegionId=REGION, VpcId=console.one("vpc")["id"], SecurityGroupName="bastion"
    )["SecurityGroupId"]
    console(
        "ecs",
        "AuthorizeSecurityGroup",
        RegionId=REGION,
        SecurityGroupId=console.one("security_group")["id"],
        Permissions=[{"IpProtocol": "TCP", "PortRange": "22/22", "SourceGroupId": other}],
    )
    healed = phase("reconcile")
    assert healed["outcome"] == "healed" and healed["security_findings"]
    assert problems(control, DEFAULT_STACK, run.state_path, foreign={other}) == []
    console("ecs", "DeleteSecurityGroup", RegionId=REGION, SecurityGroupId=other)  # no rule refers to it now
    assert phase("reconcile", "--check")["drift"] == []
    phase("teardown", "--yes")
    assert control.resources() == {}
    assert lost >= 1  # the seed does make the system lose instances
    with capsys.disabled():
        print(
            f"\n[real-cloud soak, seed {seed}] the usual faults + 30% of new instances lost at creation"
            f" ({lost} lost) + {LINGER_S} s of lingering dependencies"
        )
        for line in spent:
            print("  " + line)
