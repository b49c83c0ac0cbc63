"""Security group actions: Create/Describe/DescribeAttribute/Delete and Authorize/Revoke (ingress and egress)."""

from __future__ import annotations

from ... import tags
from ...core import action, iso_seconds, rendered_list
from ...errors import DryRunOperation, InvalidParameter, MissingParameter
from ...params import Params
from ..exceptions import (
    InvalidNicTypeValueNotSupported,
    InvalidParameterConflict,
)
from ..models import security_groups as sg_models
from ..models.common import RESOURCE_GROUP, creation_order, get_security_group
from ..models.security_groups import SecurityGroup, SecurityGroupRule
from . import answer_order
from .common import page, parse_tags, tag_filters, token_page

BASIC_GROUP_CAPACITY = 2000  # instances per basic group (Security group limits); enterprise: 65536
ENTERPRISE_GROUP_CAPACITY = 65536


@action("ecs", "CreateSecurityGroup")
def create_security_group(cloud, p: Params) -> dict:
    region = cloud.region(p)

    def create():
        group = sg_models.create_security_group(
            cloud,
            region,
            name=p.text("SecurityGroupName"),
            description=p.text("Description"),
            group_type=p.text("SecurityGroupType") or "normal",
            vpc_id=p.text("VpcId"),
            tags=parse_tags(p),
            resource_group_id=p.text("ResourceGroupId") or RESOURCE_GROUP,
        )
        return {"SecurityGroupId": group["id"]}

    return cloud.idempotent("ecs", "CreateSecurityGroup", p, create)


@answer_order.ordered(answer_order.SECURITY_GROUP)
def render_group(cloud, group: SecurityGroup) -> dict:
    ecs_count = len(sg_models.members(cloud, group["id"]))
    capacity = BASIC_GROUP_CAPACITY if group["group_type"] == "normal" else ENTERPRISE_GROUP_CAPACITY
    return {
        "SecurityGroupId": group["id"],
        "SecurityGroupName": group["name"],
        "Description": group["description"],
        "VpcId": group["vpc_id"],
        "SecurityGroupType": group["group_type"],
        "CreationTime": iso_seconds(group["created"]),
        "ResourceGroupId": group["resource_group_id"],
        "RuleCount": len(group["rules"]),
        "GroupToGroupRuleCount": sum(1 for r in group["rules"] if r.get("source_group_id") or r.get("dest_group_id")),
        "EcsCount": ecs_count,
        "AvailableInstanceAmount": max(0, capacity - ecs_count),
        "ServiceManaged": False,
        "Tags": tags.render(group),
    }


@action("ecs", "DescribeSecurityGroups")
def describe_security_groups(cloud, p: Params) -> dict:
    region = cloud.region(p)
    groups = [g for g in cloud.store.all("security_group") if g["region"] == region]
    ids = p.id_list("SecurityGroupIds", max_items=100)
    if ids is not None:
        groups = [g for g in groups if g["id"] in ids]
    for param, field in (
        ("SecurityGroupId", "id"),
        ("VpcId", "vpc_id"),
        ("SecurityGroupType", "group_type"),
        ("ResourceGroupId", "resource_group_id"),
    ):
        value = p.text(param)
        if value is not None:
            groups = [g for g in groups if g[field] == value]
    name = p.text("SecurityGroupName")
    if name is not None:
        fuzzy = p.flag("FuzzyQuery", default=False)
        groups = [g for g in groups if (name in g["name"] if fuzzy else g["name"] == name)]
    network = p.text("NetworkType", choices=("vpc", "classic"))
    if network is not None:
        groups = [g for g in groups if bool(g["vpc_id"]) == (network == "vpc")]
    filters = tag_filters(p)
    groups = [g for g in groups if tags.matches(g, filters)]
    if p.flag("DryRun", default=False):
        raise DryRunOperation()
    groups.sort(key=creation_order)
    # PageSize 1-50 (DOCS21); MaxResults up to 100; TotalCount is not returned with NextToken paging.
    chunk, meta = page(groups, p, page_max=50, token_min=1, token_max=100, total_with_token=False)
    # EcsCount reads the instances: an entry is rebuilt when any instance changes.
    entries = rendered_list(
        cloud,
        "security_group",
        chunk,
        "DescribeSecurityGroups",
        lambda g: render_group(cloud, g),
        depends=("instance",),
    )
    return {**meta, "RegionId": region, "SecurityGroups": {"SecurityGroup": entries}}


def render_rule(cloud, group: SecurityGroup, rule: SecurityGroupRule) -> dict:
    def group_name(group_id: str | None) -> str:
        other = cloud.store.get("security_group", group_id) if group_id else None
        return other["name"] if other else ""

    return {
        "SecurityGroupRuleId": rule["rule_id"],
        "Direction": rule["direction"],
        "IpProtocol": rule["ip_protocol"],
        "PortRange": rule["port_range"],
        "SourcePortRange": rule.get("source_port_range", ""),
        "Policy": rule["policy"].capitalize(),
        "Priority": str(rule["priority"]),
        "NicType": rule["nic_type"],
        "SourceCidrIp": rule.get("source_cidr", ""),
        "Ipv6SourceCidrIp": rule.get("ipv6_source_cidr", ""),
        "SourceGroupId": rule.get("source_group_id", ""),
        "SourceGroupName": group_name(rule.get("source_group_id")),
        "SourceGroupOwnerAccount": cloud.account_id if rule.get("source_group_id") else "",
        "SourcePrefixListId": rule.get("source_prefix_list_id", ""),
        "SourcePrefixListName": "",
        "DestCidrIp": rule.get("dest_cidr", ""),
        "Ipv6DestCidrIp": rule.get("ipv6_dest_cidr", ""),
        "DestGroupId": rule.get("dest_group_id", ""),
        "DestGroupName": group_name(rule.get("dest_group_id")),
        "DestGroupOwnerAccount": cloud.account_id if rule.get("dest_group_id") else "",
        "DestPrefixListId": rule.get("dest_prefix_list_id", ""),
        "DestPrefixListName": "",
        "PortRangeListId": rule.get("port_range_list_id", ""),
        "PortRangeListName": "",
        "Description": rule.get("description", ""),
        "CreateTime": iso_seconds(rule["created"]),
    }


@action("ecs", "DescribeSecurityGroupAttribute")
def describe_security_group_attribute(cloud, p: Params) -> dict:
    region = cloud.region(p)
    group = _find(cloud, p, region)
    direction = p.text("Direction", default="all")
    if direction not in ("all", "ingress", "egress"):
        raise InvalidParameter("Direction")
    nic_type = p.text("NicType")
    if nic_type not in (None, "internet", "intranet"):
        raise InvalidNicTypeValueNotSupported()
    if group["vpc_id"]:
        nic_type = None  # VPC groups: internet or empty both mean intranet, which every rule is
    rules = [r for r in group["rules"] if direction in ("all", r["direction"]) and nic_type in (None, r["nic_type"])]
    chunk, meta = token_page(rules, p, default=500, low=10, high=1000)
    body = {
        **meta,
        "SecurityGroupId": group["id"],
        "SecurityGroupName": group["name"],
        "Description": group["description"],
        "VpcId": group["vpc_id"],
        "RegionId": region,
        "InnerAccessPolicy": group.get("inner_access_policy", "Accept"),
        "Permissions": {"Permission": [render_rule(cloud, group, r) for r in chunk]},
    }
    return answer_order.security_group_attribute(body)


@action("ecs", "DeleteSecurityGroup")
def delete_security_group(cloud, p: Params) -> dict:
    region = cloud.region(p)
    sg_models.delete_security_group(cloud, _find(cloud, p, region))
    return {}


def _find(cloud, p: Params, region: str) -> SecurityGroup:
    return get_security_group(cloud, p.text("SecurityGroupId", required=True), region)


def _permissions(p: Params, direction: str, required: bool = True) -> list[dict[str, str]]:
    """Permissions.N.* entries, or one entry built from the deprecated flat parameters (never both)."""
    fields = sg_models.INGRESS_FIELDS if direction == "ingress" else sg_models.EGRESS_FIELDS
    entries = p.struct_list("Permissions")
    flat = {f: p.raw[f] for f in fields if p.raw.get(f, "") != ""}
    if entries and flat:
        raise InvalidParameterConflict()
    if len(entries) > sg_models.MAX_PERMISSIONS_PER_CALL:
        limit = sg_models.MAX_PERMISSIONS_PER_CALL
        raise InvalidParameter("Permissions", f"At most {limit} rules are allowed in one call.")
    if flat:
        entries = [flat]
    if not entries and required:
        raise MissingParameter(name="Permissions.1.IpProtocol")
    return entries


def _authorize(cloud, p: Params, name: str, direction: str) -> dict:
    region = cloud.region(p)
    group = _find(cloud, p, region)

    def apply():
        sg_models.authorize_security_group(cloud, group, _permissions(p, direction), direction)
        return {}

    return cloud.idempotent("ecs", name, p, apply)


def _revoke(cloud, p: Params, name: str, direction: str) -> dict:
    region = cloud.region(p)
    group = _find(cloud, p, region)

    def apply():
        rule_ids = set(p.items("SecurityGroupRuleId"))
        sg_models.revoke_security_group(
            cloud, group, rule_ids, _permissions(p, direction, required=not rule_ids), direction
        )
        return {}

    return cloud.idempotent("ecs", name, p, apply)


@action("ecs", "AuthorizeSecurityGroup")
def authorize_security_group(cloud, p: Params) -> dict:
    return _authorize(cloud, p, "AuthorizeSecurityGroup", "ingress")


@action("ecs", "AuthorizeSecurityGroupEgress")
def authorize_security_group_egress(cloud, p: Params) -> dict:
    return _authorize(cloud, p, "AuthorizeSecurityGroupEgress", "egress")


@action("ecs", "RevokeSecurityGroup")
def revoke_security_group(cloud, p: Params) -> dict:
    return _revoke(cloud, p, "RevokeSecurityGroup", "ingress")


@action("ecs", "RevokeSecurityGroupEgress")
def revoke_security_group_egress(cloud, p: Params) -> dict:
    return _revoke(cloud, p, "RevokeSecurityGroupEgress", "egress")


@action("ecs", "ModifySecurityGroupAttribute")
def modify_security_group_attribute(cloud, p: Params) -> dict:
    """A security group's name and description (ModifySecurityGroupAttribute docs: both optional; the codes
    `InvalidSecurityGroupName.Malformed` and `InvalidSecurityGroupDiscription.Malformed`, typo included)."""
    region = cloud.region(p)
    group = get_security_group(cloud, p.text("SecurityGroupId", required=True), region)
    sg_models.modify_security_group_attribute(cloud, group, p.text("SecurityGroupName"), p.text("Description"))
    return {}
