"""Security groups: creation, rule validation, authorize/revoke (ingress and egress) and deletion rules."""

from __future__ import annotations

import ipaddress
import re
from typing import TypedDict

from ...core import new_id
from ...errors import ApiError, InvalidParameter, MissingParameter
from ..exceptions import (
    AuthorizationLimitExceed,
    IncorrectVpcStatus,
    InvalidDestCidrIpMalformed,
    InvalidDestGroupIdMismatch,
    InvalidDestGroupIdNotFound,
    InvalidIpProtocolMalformed,
    InvalidIpProtocolValueNotSupported,
    InvalidNicTypeValueNotSupported,
    InvalidParamIpv6DestCidrIp,
    InvalidParamIpv6SourceCidrIp,
    InvalidParamPrefixListId,
    InvalidParamSecurityGroupRuleId,
    InvalidParamterConflict,
    InvalidPolicyMalformed,
    InvalidPriorityMalformed,
    InvalidPriorityValueNotSupported,
    InvalidRuleDescription,
    InvalidSecurityGroupDescriptionMalformed,
    InvalidSecurityGroupNameMalformed,
    InvalidSecurityGroupTypeNotSupported,
    InvalidSourceCidrIpMalformed,
    InvalidSourceGroupIdMismatch,
    InvalidSourceGroupIdNotFound,
    InvalidSourcePortRangeMalformed,
    InvalidVpcIdNotFound,
    IpProtocolPortRangeMismatch,
    MissingParameterDest,
    MissingParameterSource,
    QuotaExceedSecurityGroup,
    SecurityGroupInUse,
    SecurityGroupReferenced,
)
from . import prefix_lists
from .common import RESOURCE_GROUP, check_description, check_name
from .lifecycle import lingering

MAX_GROUPS_PER_REGION = 100  # "100 security groups per region" (Security groups limits, DOCS21)
MAX_RULES_PER_GROUP = 200  # inbound + outbound rules per group (AuthorizeSecurityGroup, 2021-2024 docs)
MAX_PERMISSIONS_PER_CALL = 100  # Permissions.N, N 1-100
PROTOCOLS = {"TCP": "TCP", "UDP": "UDP", "ICMP": "ICMP", "GRE": "GRE", "ALL": "ALL", "ICMPV6": "ICMPv6"}
_PORTS = re.compile(r"^(-?\d+)/(-?\d+)$")

# Rule fields of Permissions.N (and of the deprecated flat parameters), per direction.
INGRESS_FIELDS = (
    "IpProtocol",
    "PortRange",
    "SourcePortRange",
    "Policy",
    "Priority",
    "NicType",
    "Description",
    "SourceCidrIp",
    "Ipv6SourceCidrIp",
    "SourceGroupId",
    "SourceGroupOwnerAccount",
    "SourceGroupOwnerId",
    "SourcePrefixListId",
    "DestCidrIp",
    "Ipv6DestCidrIp",
    "PortRangeListId",
)
EGRESS_FIELDS = (
    "IpProtocol",
    "PortRange",
    "SourcePortRange",
    "Policy",
    "Priority",
    "NicType",
    "Description",
    "DestCidrIp",
    "Ipv6DestCidrIp",
    "DestGroupId",
    "DestGroupOwnerAccount",
    "DestGroupOwnerId",
    "DestPrefixListId",
    "SourceCidrIp",
    "Ipv6SourceCidrIp",
    "PortRangeListId",
)

IDENTITY = (
    "direction",
    "ip_protocol",
    "port_range",
    "source_port_range",
    "nic_type",
    "policy",
    "priority",
    "source_cidr",
    "dest_cidr",
    "ipv6_source_cidr",
    "ipv6_dest_cidr",
    "source_group_id",
    "dest_group_id",
    "source_prefix_list_id",
    "dest_prefix_list_id",
)


class SecurityGroupRule(TypedDict, total=False):
    """One rule of a group; `rule_id` and `created` are set when AuthorizeSecurityGroup(Egress) adds it."""

    direction: str  # ingress | egress
    ip_protocol: str
    port_range: str
    source_port_range: str
    policy: str  # accept | drop
    priority: int
    nic_type: str
    description: str
    source_cidr: str
    dest_cidr: str
    ipv6_source_cidr: str
    ipv6_dest_cidr: str
    source_group_id: str
    dest_group_id: str
    source_prefix_list_id: str
    dest_prefix_list_id: str
    port_range_list_id: str
    rule_id: str
    created: float


class SecurityGroup(TypedDict, total=False):
    """A security group as kept in the store (kind "security_group")."""

    id: str
    region: str
    vpc_id: str
    group_type: str  # normal | enterprise
    name: str
    description: str
    created: float
    tags: dict[str, str]
    resource_group_id: str
    inner_access_policy: str
    rules: list[SecurityGroupRule]
    _dependency_until: float  # a released instance's interface still holds the group until then


# groups ---------------------------------------------------------------------------------------------------
def create_security_group(
    cloud,
    region: str,
    *,
    name: str | None = None,
    description: str | None = None,
    group_type: str = "normal",
    vpc_id: str | None = None,
    tags: dict[str, str] | None = None,
    resource_group_id: str = RESOURCE_GROUP,
) -> SecurityGroup:
    check_name(name, InvalidSecurityGroupNameMalformed, "SecurityGroupName")
    check_description(description)
    if group_type not in ("normal", "enterprise"):
        raise InvalidSecurityGroupTypeNotSupported()
    if vpc_id is not None:
        vpc = cloud.store.get("vpc", vpc_id)
        if vpc is None or vpc["region"] != region:
            raise InvalidVpcIdNotFound()
        if vpc.get("status") != "Available":
            raise IncorrectVpcStatus()
    new_tags = dict(tags or {})
    if sum(1 for g in cloud.store.all("security_group") if g["region"] == region) >= MAX_GROUPS_PER_REGION:
        raise QuotaExceedSecurityGroup()
    group: SecurityGroup = {
        "id": new_id("sg", region),
        "region": region,
        "vpc_id": vpc_id or "",
        "group_type": group_type,
        "name": name or "",
        "description": description or "",
        "created": cloud.clock.now(),
        "tags": new_tags,
        "resource_group_id": resource_group_id,
        "inner_access_policy": "Accept",
        "rules": [],
    }
    cloud.store.put("security_group", group)
    return group


def modify_security_group_attribute(cloud, group: SecurityGroup, name: str | None, description: str | None) -> None:
    """Name and description, both optional (ModifySecurityGroupAttribute docs)."""
    check_name(name, InvalidSecurityGroupNameMalformed, "SecurityGroupName")
    check_description(description, InvalidSecurityGroupDescriptionMalformed)
    if name is not None:
        group["name"] = name
    if description is not None:
        group["description"] = description
    cloud.store.put("security_group", group)


def members(cloud, group_id: str) -> list[dict]:
    return [i for i in cloud.store.all("instance") if group_id in i.get("security_group_ids", [])]


def delete_security_group(cloud, group: SecurityGroup) -> None:
    # DependencyViolation (403) while instances are members or another group's rule references this one.
    if members(cloud, group["id"]) or lingering(cloud, group):
        # Also for a while after the last member was released (its network interface is still going).
        raise SecurityGroupInUse()
    for other in cloud.store.all("security_group"):
        if other["id"] != group["id"] and any(
            group["id"] in (r.get("source_group_id"), r.get("dest_group_id")) for r in other["rules"]
        ):
            raise SecurityGroupReferenced()
    cloud.release("security_group", group)


# rules ----------------------------------------------------------------------------------------------------
def _cidr(value: str | None, error: type[ApiError], param: str, version: int) -> str:
    if not value:
        return ""
    try:
        net = ipaddress.ip_network(value, strict=False)
    except ValueError:
        net = None
    if net is None or net.version != version:
        raise error(param=param)
    return value


def _port_range(value: str | None, protocol: str, param: str, error: type[ApiError]) -> str:
    """TCP/UDP take `start/end` in 1-65535; ICMP, GRE and ALL only `-1/-1` (OperationDenied otherwise)."""
    if protocol in ("TCP", "UDP"):
        if value is None:
            if param == "SourcePortRange":
                return ""
            raise MissingParameter(name="PortRange")
        match = _PORTS.match(value)
        if match and value == "-1/-1":
            raise IpProtocolPortRangeMismatch()
        if not match or not 1 <= int(match.group(1)) <= int(match.group(2)) <= 65535:
            raise error(param=param)
        return value
    if value is None or value == "-1/-1":
        return "-1/-1" if param == "PortRange" else ""
    raise IpProtocolPortRangeMismatch()


def parse_rule(
    cloud, group: SecurityGroup, entry: dict[str, str], direction: str, revoke: bool = False
) -> SecurityGroupRule:
    """One Permissions.N entry (or the flat parameters) -> a validated rule dict (MODEL.md field names)."""
    raw_protocol = entry.get("IpProtocol") or None
    if raw_protocol is None:
        raise MissingParameter(name="IpProtocol")
    protocol = PROTOCOLS.get(raw_protocol.upper())
    if protocol is None:
        raise InvalidIpProtocolValueNotSupported()
    port_range = _port_range(entry.get("PortRange") or None, protocol, "PortRange", InvalidIpProtocolMalformed)
    source_ports = _port_range(
        entry.get("SourcePortRange") or None, protocol, "SourcePortRange", InvalidSourcePortRangeMalformed
    )
    policy = (entry.get("Policy") or "accept").lower()
    if policy not in ("accept", "drop"):
        raise InvalidPolicyMalformed()
    try:
        priority = int(entry.get("Priority") or 1)
    except ValueError:
        raise InvalidPriorityMalformed() from None
    if not 1 <= priority <= 100:
        raise InvalidPriorityValueNotSupported()
    nic_type = entry.get("NicType") or "intranet"
    if nic_type not in ("internet", "intranet"):
        raise InvalidNicTypeValueNotSupported()
    if group["vpc_id"]:
        nic_type = "intranet"  # VPC groups only have intranet rules; other values are rewritten (SDK doc)
    description = entry.get("Description") or ""
    if len(description) > 512 or description.lower().startswith(("http://", "https://")):
        raise InvalidRuleDescription()
    rule: SecurityGroupRule = {
        "direction": direction,
        "ip_protocol": protocol,
        "port_range": port_range,
        "source_port_range": source_ports,
        "policy": policy,
        "priority": priority,
        "nic_type": nic_type,
        "description": description,
        "source_cidr": _cidr(entry.get("SourceCidrIp"), InvalidSourceCidrIpMalformed, "SourceCidrIp", 4),
        "dest_cidr": _cidr(entry.get("DestCidrIp"), InvalidDestCidrIpMalformed, "DestCidrIp", 4),
        "ipv6_source_cidr": _cidr(entry.get("Ipv6SourceCidrIp"), InvalidParamIpv6SourceCidrIp, "Ipv6SourceCidrIp", 6),
        "ipv6_dest_cidr": _cidr(entry.get("Ipv6DestCidrIp"), InvalidParamIpv6DestCidrIp, "Ipv6DestCidrIp", 6),
        "source_group_id": entry.get("SourceGroupId", "") if direction == "ingress" else "",
        "dest_group_id": entry.get("DestGroupId", "") if direction == "egress" else "",
        "source_prefix_list_id": entry.get("SourcePrefixListId", "") if direction == "ingress" else "",
        "dest_prefix_list_id": entry.get("DestPrefixListId", "") if direction == "egress" else "",
        "port_range_list_id": entry.get("PortRangeListId", ""),
    }
    if direction == "ingress":
        if not (
            rule["source_cidr"] or rule["ipv6_source_cidr"] or rule["source_group_id"] or rule["source_prefix_list_id"]
        ):
            raise MissingParameterSource()
    elif not (rule["dest_cidr"] or rule["ipv6_dest_cidr"] or rule["dest_group_id"] or rule["dest_prefix_list_id"]):
        raise MissingParameterDest()
    if not revoke:
        _check_references(cloud, group, rule, direction)
    return rule


def _check_references(cloud, group: SecurityGroup, rule: SecurityGroupRule, direction: str) -> None:
    side = "Source" if direction == "ingress" else "Dest"
    other_id = rule["source_group_id"] or rule["dest_group_id"]
    if other_id:
        if other_id == group["id"]:
            raise InvalidParamterConflict(side=side)
        other = cloud.store.get("security_group", other_id)
        if other is None or other["region"] != group["region"]:
            raise (InvalidSourceGroupIdNotFound if side == "Source" else InvalidDestGroupIdNotFound)()
        if other["vpc_id"] != group["vpc_id"]:
            raise (InvalidSourceGroupIdMismatch if side == "Source" else InvalidDestGroupIdMismatch)()
    pl_id = rule["source_prefix_list_id"] or rule["dest_prefix_list_id"]
    if pl_id:
        prefix_lists.get_prefix_list(cloud, pl_id, group["region"])
        if rule["source_cidr"] or rule["dest_cidr"] or rule["ipv6_source_cidr"] or rule["ipv6_dest_cidr"]:
            raise InvalidParamPrefixListId()


def identity(rule: SecurityGroupRule) -> tuple:
    return tuple(rule.get(k, "") for k in IDENTITY)


def authorize_security_group(cloud, group: SecurityGroup, entries: list[dict[str, str]], direction: str) -> None:
    """AuthorizeSecurityGroup(Egress): add rules, each a Permissions.N entry by its API field names. A rule
    identical to an existing one succeeds without being added again (ECS docs)."""
    rules = [parse_rule(cloud, group, e, direction) for e in entries]
    seen = {identity(r) for r in group["rules"]}
    added = []
    for rule in rules:
        key = identity(rule)
        if key not in seen:
            seen.add(key)
            added.append(rule)
    if len(group["rules"]) + len(added) > MAX_RULES_PER_GROUP:
        raise AuthorizationLimitExceed()
    now = cloud.clock.now()
    for rule in added:
        rule["rule_id"] = new_id("sgr", group["region"])
        rule["created"] = now
    group["rules"].extend(added)
    cloud.store.put("security_group", group)


def revoke_security_group(
    cloud, group: SecurityGroup, rule_ids: set[str], entries: list[dict[str, str]], direction: str
) -> None:
    """Remove rules by SecurityGroupRuleId.N or by their fields. A rule given by its fields that does not
    exist is ignored; a rule id that does not exist (in this direction) fails the call with
    InvalidParam.SecurityGroupRuleId (the rule the API has followed since 2024-07-08)."""
    if len(rule_ids) > MAX_PERMISSIONS_PER_CALL:
        raise InvalidParameter("SecurityGroupRuleId")
    known = {r["rule_id"] for r in group["rules"] if r["direction"] == direction}
    unknown = sorted(rule_ids - known)
    if unknown:
        raise InvalidParamSecurityGroupRuleId(rule_id=unknown[0])
    targets = {identity(parse_rule(cloud, group, e, direction, revoke=True)) for e in entries}
    kept = [
        r
        for r in group["rules"]
        if r["direction"] != direction or (r["rule_id"] not in rule_ids and identity(r) not in targets)
    ]
    if len(kept) != len(group["rules"]):
        group["rules"] = kept
        cloud.store.put("security_group", group)
