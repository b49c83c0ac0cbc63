"""Console rules of every source kind (another security group, a prefix list, IPv6) are revoked by their
SecurityGroupRuleId and reported as security findings; the stack's own rules are kept."""

from __future__ import annotations

import pytest

from tests.provisioner.helpers import DEFAULT_STACK, REGION, Console, problems

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def console(ecs, vpc, slb, control) -> Console:
    return Console(ecs, vpc, slb, control)


def _group(c: Console) -> str:
    return c.one("security_group")["id"]


def _foreign_group(c: Console) -> str:
    vpc = c.one("vpc")["id"]
    return c("ecs", "CreateSecurityGroup", RegionId=REGION, VpcId=vpc, SecurityGroupName="bastion")["SecurityGroupId"]


def _prefix_list(c: Console) -> str:
    return c(
        "ecs",
        "CreatePrefixList",
        RegionId=REGION,
        AddressFamily="IPv4",
        PrefixListName="office",
        MaxEntries=5,
        Entry=[{"Cidr": "203.0.113.0/24"}],
    )["PrefixListId"]


def _ingress(c: Console) -> list[dict]:
    return c("ecs", "DescribeSecurityGroupAttribute", RegionId=REGION, SecurityGroupId=_group(c), Direction="ingress")[
        "Permissions"
    ]["Permission"]


def test_a_console_rule_from_another_group_is_revoked_and_reported(run, control, console):
    assert run("provision", DEFAULT_STACK).exit_code == 0
    other = _foreign_group(console)
    console(
        "ecs",
        "AuthorizeSecurityGroup",
        RegionId=REGION,
        SecurityGroupId=_group(console),
        Permissions=[{"IpProtocol": "TCP", "PortRange": "22/22", "SourceGroupId": other}],
    )
    own = {p["SecurityGroupRuleId"] for p in _ingress(console) if not p["SourceGroupId"]}

    result = run("reconcile", DEFAULT_STACK, as_json=False)
    assert result.exit_code == 0, result.stderr
    [line] = [x for x in result.stdout.splitlines() if "SECURITY" in x]
    assert f"22/22 from group {other}" in line and "revoke" in line
    left = _ingress(console)
    assert not any(p["SourceGroupId"] for p in left)
    assert {p["SecurityGroupRuleId"] for p in left} == own  # the stack's rules were not touched
    assert problems(control, DEFAULT_STACK, run.state_path, foreign={other}) == []
    again = run("reconcile", DEFAULT_STACK)
    assert (again.exit_code, again.doc["drift"]) == (0, [])


@pytest.mark.parametrize("kind", ["prefix-list", "ipv6"])
def test_console_rules_from_a_prefix_list_or_ipv6_are_revoked_by_rule_id(run, control, console, kind):
    assert run("provision", DEFAULT_STACK).exit_code == 0
    foreign: set[str] = set()
    if kind == "prefix-list":
        source = {"SourcePrefixListId": _prefix_list(console)}
        foreign.add(source["SourcePrefixListId"])
    else:
        source = {"Ipv6SourceCidrIp": "2001:db8::/32"}
    console(
        "ecs",
        "AuthorizeSecurityGroup",
        RegionId=REGION,
        SecurityGroupId=_group(console),
        Permissions=[{"IpProtocol": "TCP", "PortRange": "8080/8080", **source}],
    )
    assert len(_ingress(console)) == 3

    check = run("reconcile", DEFAULT_STACK, "--check")
    assert check.exit_code == 3
    assert [d["kind"] for d in check.doc["drift"]] == ["rule-added"]
    result = run("reconcile", DEFAULT_STACK)
    assert result.exit_code == 0, result.stderr
    assert len(_ingress(console)) == 2
    revokes = control.stats()["actions"]["ecs:RevokeSecurityGroup"]
    assert (revokes["calls"], revokes["errors"]) == (1, {})
    assert problems(control, DEFAULT_STACK, run.state_path, foreign=foreign) == []


def test_provision_also_revokes_a_rule_from_another_group(run, control, console):
    assert run("provision", DEFAULT_STACK).exit_code == 0
    other = _foreign_group(console)
    console(
        "ecs",
        "AuthorizeSecurityGroup",
        RegionId=REGION,
        SecurityGroupId=_group(console),
        Permissions=[{"IpProtocol": "TCP", "PortRange": "8080/8080", "SourceGroupId": other}],
    )
    result = run("provision", DEFAULT_STACK)
    assert result.exit_code == 0, result.stderr
    assert not any(p["SourceGroupId"] for p in _ingress(console))
    # The group is no longer referenced, so the person can delete it again.
    console("ecs", "DeleteSecurityGroup", RegionId=REGION, SecurityGroupId=other)
