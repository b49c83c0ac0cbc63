"""The security group: found by tag, created with a ClientToken, its ingress rules reconciled with the spec."""

from __future__ import annotations

import functools
import logging
from typing import Any

from ..errors import NotFound
from ..resources import SOURCE_PARAMS, Rule, SecurityGroup, Vpc
from ..spec import SLB_SOURCE_CIDR, Stack
from ..tokens import token_key
from .common import (
    SECURITY_GROUP,
    Context,
    Record,
    call_freed,
    describe_pages,
    owned,
    read_tags,
    require_owned,
    tag_filter,
    tags_for,
    wait_for,
)

log = logging.getLogger(__name__)
STEP = "security-group"
MAX_PERMISSIONS = 100  # AuthorizeSecurityGroup/RevokeSecurityGroup: 1-100 Permissions.N per call


def desired_rules(spec: Stack, ports: set[int] | None = None) -> list[Rule]:
    """Ingress the stack needs: each serving port from the SLB range and the VPC (plus any listed
    serving_cidrs), SSH only from the admin CIDRs. Never 0.0.0.0/0; egress is left as the default.
    `ports`: the serving ports of the templates present in the fleet (a port rollout keeps the old port
    open until its last instance left); default the stack's."""
    rules: list[Rule] = []
    for number in sorted(ports or {spec.serving.port}):
        port = f"{number}/{number}"
        rules += [
            Rule("TCP", port, SLB_SOURCE_CIDR, description="SLB health checks and traffic"),
            Rule("TCP", port, spec.network.vpc_cidr, description="inside the VPC"),
        ]
        rules += [Rule("TCP", port, cidr, description="serving_cidrs") for cidr in spec.access.serving_cidrs]
    rules += [Rule("TCP", "22/22", cidr, description="SSH from admin_cidrs") for cidr in spec.access.admin_cidrs]
    return rules


def rule_changes(spec: Stack, current: list[Rule], ports: set[int] | None = None) -> tuple[list[Rule], list[Rule]]:
    """(rules to authorize, rules to revoke) to make the group's ingress exactly the desired set."""
    want = {r.key: r for r in desired_rules(spec, ports)}
    have = {r.key: r for r in current}
    missing = [r for k, r in want.items() if k not in have]
    extra = [r for k, r in have.items() if k not in want]
    return missing, extra


def find_security_groups(ctx: Context) -> list[SecurityGroup]:
    """Every security group tagged for this stack, oldest first (one DescribeSecurityGroups call)."""
    items = describe_pages(
        ctx,
        STEP,
        "ecs",
        "DescribeSecurityGroups",
        {"RegionId": ctx.region, "Tag": tag_filter(ctx.spec, SECURITY_GROUP)},
        ("SecurityGroups", "SecurityGroup"),
        50,
    )
    found = [SecurityGroup.from_api(i) for i in items if owned(read_tags(i), ctx.spec, SECURITY_GROUP)]
    return sorted(found, key=lambda g: (g.created, g.id))


def read_rules(ctx: Context, group: SecurityGroup) -> list[Rule]:
    """The group's ingress rules (one DescribeSecurityGroupAttribute call)."""
    body = ctx.call(
        STEP,
        group.id,
        "ecs",
        "DescribeSecurityGroupAttribute",
        {"RegionId": ctx.region, "SecurityGroupId": group.id, "Direction": "ingress"},
    )
    perms = (body.get("Permissions") or {}).get("Permission") or []
    group.rules = [Rule.from_api(p) for p in perms if str(p.get("Direction", "ingress")).lower() == "ingress"]
    return group.rules


def pick(ctx: Context, groups: list[SecurityGroup], vpc_id: str) -> SecurityGroup | None:
    known = ctx.state.security_group_id()
    in_vpc = [g for g in groups if g.vpc_id == vpc_id]
    for group in in_vpc:
        if group.id == known:
            return group
    return in_vpc[0] if in_vpc else None


def ensure_security_group(
    ctx: Context,
    vpc: Vpc,
    found: list[SecurityGroup],
    ports: set[int] | None = None,
    planned: tuple[list[Rule], list[Rule]] | None = None,
) -> tuple[SecurityGroup, Record]:
    """The group, with ingress for `ports` (the serving ports of the templates present; default the stack's).
    `planned`: (rules to authorize, rules to revoke) as the diff found them on the group it saw; without it (or
    for a group this call creates) they are compared here."""
    group = pick(ctx, found, vpc.id)
    action = "existing"
    if group is None:
        params: dict[str, Any] = {
            "RegionId": ctx.region,
            "VpcId": vpc.id,
            "SecurityGroupName": f"{ctx.spec.name}-sg",  # 2-128 characters
            "SecurityGroupType": "normal",
            "Description": f"stack {ctx.spec.name}: serving and admin access",
            "Tag": tags_for(ctx.spec, SECURITY_GROUP),
        }
        body = ctx.create(
            STEP,
            ctx.spec.name,
            "ecs",
            "CreateSecurityGroup",
            token_key(SECURITY_GROUP),
            params,
            record=lambda b: ctx.state.set_security_group_id(b["SecurityGroupId"]),
        )
        group = SecurityGroup(body["SecurityGroupId"], vpc.id, {t["Key"]: t["Value"] for t in params["Tag"]}, rules=[])
        found.append(group)
        action = "created"
        log.info("security-group: created %s", group.id)
    ctx.state.set_security_group_id(group.id)
    if group.rules is None:
        read_rules(ctx, group)
    if action == "existing" and planned is not None:
        authorized, revoked = apply_rules(ctx, group, *planned)
    else:
        authorized, revoked = reconcile_rules(ctx, group, ports)
    if action == "existing" and (authorized or revoked):
        action = "changed"
    return group, Record(
        SECURITY_GROUP, group.id, action, detail={"rules_authorized": authorized, "rules_revoked": revoked}
    )


def reconcile_rules(ctx: Context, group: SecurityGroup, ports: set[int] | None = None) -> tuple[int, int]:
    """Authorize the missing ingress rules and revoke the ones the spec does not give (batched)."""
    return apply_rules(ctx, group, *rule_changes(ctx.spec, group.rules or [], ports))


def apply_rules(ctx: Context, group: SecurityGroup, missing: list[Rule], extra: list[Rule]) -> tuple[int, int]:
    """AuthorizeSecurityGroup for `missing`, RevokeSecurityGroup for `extra` (batched); (authorized, revoked)."""
    for i in range(0, len(missing), MAX_PERMISSIONS):
        batch = missing[i : i + MAX_PERMISSIONS]
        # Authorizing a rule that exists already succeeds without adding one (ECS docs), so a retry is safe.
        ctx.call(
            STEP,
            group.id,
            "ecs",
            "AuthorizeSecurityGroup",
            {"RegionId": ctx.region, "SecurityGroupId": group.id, "Permissions": [_permission(r) for r in batch]},
        )
        log.info(
            "security-group: %s allows %s", group.id, "; ".join(f"{r.port_range} from {r.source_label}" for r in batch)
        )
    for rule in extra:
        log.warning(
            "security-group: revoking a rule the stack does not give: %s %s from %s (%s)",
            rule.protocol,
            rule.port_range,
            rule.source_label,
            rule.policy,
        )
    # By SecurityGroupRuleId.N: exact whatever the rule's source (CIDR, IPv6, group, prefix list). Rules read
    # without an id (never from today's API) are revoked by their fields, with the source's own parameter.
    by_id = [r.rule_id for r in extra if r.rule_id]
    for i in range(0, len(by_id), MAX_PERMISSIONS):
        id_batch = by_id[i : i + MAX_PERMISSIONS]
        # A retry after a lost answer finds the ids gone: InvalidParam.SecurityGroupRuleId (since 2024-07-08);
        # the verify reads the rules again and makes that a success.
        ctx.call(
            STEP,
            group.id,
            "ecs",
            "RevokeSecurityGroup",
            {"RegionId": ctx.region, "SecurityGroupId": group.id, "SecurityGroupRuleId": id_batch},
            verify=functools.partial(_revoked, ctx, group, set(id_batch)),
        )
    by_fields = [r for r in extra if not r.rule_id]
    for i in range(0, len(by_fields), MAX_PERMISSIONS):
        ctx.call(
            STEP,
            group.id,
            "ecs",
            "RevokeSecurityGroup",
            {
                "RegionId": ctx.region,
                "SecurityGroupId": group.id,
                "Permissions": [_permission(r) for r in by_fields[i : i + MAX_PERMISSIONS]],
            },
        )
    group.rules = [r for r in (group.rules or []) if r not in extra] + missing
    return len(missing), len(extra)


def _permission(rule: Rule) -> dict[str, Any]:
    return {
        "IpProtocol": rule.protocol,
        "PortRange": rule.port_range,
        SOURCE_PARAMS[rule.source_kind]: rule.source,
        "Policy": rule.policy,
        "Priority": str(rule.priority),
        "NicType": "intranet",
        **({"Description": rule.description} if rule.description else {}),
    }


def _revoked(ctx: Context, group: SecurityGroup, rule_ids: set[str]) -> bool:
    """The verify of a revoke by id: none of these rule ids is listed any more."""
    return not rule_ids & {r.rule_id for r in _current_rules(ctx, group)}


def _current_rules(ctx: Context, group: SecurityGroup) -> list[Rule]:
    probe = SecurityGroup(group.id, group.vpc_id, group.tags)
    return read_rules(ctx, probe)


def delete_security_group(ctx: Context, group: SecurityGroup) -> Record:
    """Delete a group of this stack; DependencyViolation while released instances still count is waited out."""
    require_owned(ctx, SECURITY_GROUP, group, "delete")
    try:
        call_freed(
            ctx,
            STEP,
            group.id,
            "ecs",
            "DeleteSecurityGroup",
            {"RegionId": ctx.region, "SecurityGroupId": group.id},
            verify=lambda: not _exists(ctx, group.id),
        )
    except NotFound:
        pass
    wait_for(
        f"security group {group.id} to be deleted",
        lambda: (not _exists(ctx, group.id), "still listed"),
        ctx.timeouts.gone,
    )
    return Record(SECURITY_GROUP, group.id, "deleted")


def _exists(ctx: Context, group_id: str) -> bool:
    body = ctx.call(
        STEP, group_id, "ecs", "DescribeSecurityGroups", {"RegionId": ctx.region, "SecurityGroupIds": f'["{group_id}"]'}
    )
    return bool((body.get("SecurityGroups") or {}).get("SecurityGroup"))
