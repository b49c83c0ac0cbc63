"""Fault soak: with 30% throttling, 10% 5xx, 5% commit-then-drop (the call takes effect, its answer is
lost) and latency jitter on every API call, provision, reconcile (healing drift) and teardown converge
with no duplicate and nothing left over. The API calls each phase spent are printed."""

from __future__ import annotations

import pytest

from tests.provisioner.helpers import DEFAULT_STACK, REGION, Console, effective_mutations, problems

pytestmark = pytest.mark.timeout(120)
FAULTS = [{"action": "*", "throttle": 0.30, "error": 0.10, "commit_drop": 0.05, "latency_ms": 1, "jitter_ms": 15}]


def test_the_soak_injects_what_it_says(control):
    control.faults(seed=1, rules=FAULTS)
    rule = control.request("GET", "faults")["rules"][0]
    assert (rule["throttle"], rule["error"], rule["commit_drop"], rule["jitter_ms"] > 0) == (0.3, 0.1, 0.05, True)


@pytest.mark.parametrize("seed", [11, 22, 33])
def test_provision_reconcile_and_teardown_converge_under_faults(seed, run, control, ecs, vpc, slb, capsys):
    console = Console(ecs, vpc, slb, control)
    spent: list[str] = []

    def phase(name: str, *args: str) -> dict:
        control.request("POST", "stats/reset")
        control.faults(seed=seed, rules=FAULTS)
        result = run(name, DEFAULT_STACK, *args)
        stats, injected = control.stats(), control.request("GET", "faults")["injected"]
        control.faults()
        assert result.exit_code == 0, result.stderr[-3000:]
        label = f"{name} {' '.join(args)}".strip()
        spent.append(
            f"{label:<18} {stats['total']:>3} calls, {stats['mutating']:>2} mutating attempts"
            f" ({effective_mutations(stats):>2} took effect); faults {dict(sorted(injected.items()))}"
        )
        return result.doc

    phase("provision")
    assert problems(control, DEFAULT_STACK, run.state_path) == []
    # Drift, made at the console without faults: a deleted instance, a stopped one, an opened port.
    console.delete_instances([console.holder()["id"]])
    console("ecs", "StopInstances", RegionId=REGION, InstanceId=[console.non_holder()["id"]])
    console(
        "ecs",
        "AuthorizeSecurityGroup",
        RegionId=REGION,
        SecurityGroupId=console.one("security_group")["id"],
        IpProtocol="TCP",
        PortRange="22/22",
        SourceCidrIp="0.0.0.0/0",
    )
    healed = phase("reconcile")
    assert healed["outcome"] == "healed"
    assert problems(control, DEFAULT_STACK, run.state_path) == []
    again = phase("reconcile", "--check")
    assert again["drift"] == []
    phase("teardown", "--yes")
    assert control.resources() == {}
    with capsys.disabled():
        print(f"\n[fault soak, seed {seed}] 30% throttling, 10% 5xx, 5% commit-then-drop, 1-16 ms latency")
        for line in spent:
            print("  " + line)
