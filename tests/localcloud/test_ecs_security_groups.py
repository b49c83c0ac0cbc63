"""ECS security groups through the official SDK: create/describe/delete, rules in and out, limits, idempotency."""

from __future__ import annotations

from alibabacloud_ecs20140526 import models as em
from alibabacloud_vpc20160428 import models as vm

from tests.helpers import REGION
from tests.localcloud.helpers import assert_complete, assert_error, error_of, make_network, run


def create_group(ecs, vpc_id, **kwargs):
    return ecs.create_security_group(
        em.CreateSecurityGroupRequest(region_id=REGION, vpc_id=vpc_id, **kwargs)
    ).body.security_group_id


def groups(ecs, **kwargs):
    return ecs.describe_security_groups(em.DescribeSecurityGroupsRequest(region_id=REGION, **kwargs)).body


def attribute(ecs, group_id, **kwargs):
    return ecs.describe_security_group_attribute(
        em.DescribeSecurityGroupAttributeRequest(region_id=REGION, security_group_id=group_id, **kwargs)
    ).body


def rules(ecs, group_id, **kwargs):
    return attribute(ecs, group_id, **kwargs).permissions.permission


def ingress(**kwargs):
    args = {"ip_protocol": "tcp", "port_range": "80/80", "source_cidr_ip": "0.0.0.0/0"}
    args.update(kwargs)
    return em.AuthorizeSecurityGroupRequestPermissions(**args)


def authorize(ecs, group_id, *permissions, **kwargs):
    return ecs.authorize_security_group(
        em.AuthorizeSecurityGroupRequest(
            region_id=REGION, security_group_id=group_id, permissions=list(permissions) or None, **kwargs
        )
    )


def authorize_error(ecs, group_id, **fields):
    return error_of(authorize, ecs, group_id, ingress(**fields))


# create / describe ------------------------------------------------------------------------------------
def test_create_security_group_is_described_with_its_tags(ecs, net):
    group_id = create_group(
        ecs,
        net.vpc_id,
        security_group_name="db",
        description="database tier",
        tag=[em.CreateSecurityGroupRequestTag(key="stack", value="s1")],
    )
    found = groups(ecs, security_group_ids=f'["{group_id}"]').security_groups.security_group
    assert len(found) == 1
    assert_complete(found[0], allow=("service_id",))  # ServiceID only describes service-managed groups
    group = found[0]
    assert (group.security_group_name, group.description, group.vpc_id, group.security_group_type) == (
        "db",
        "database tier",
        net.vpc_id,
        "normal",
    )
    assert [(t.tag_key, t.tag_value) for t in group.tags.tag] == [("stack", "s1")]
    assert group.creation_time.endswith("Z") and len(group.creation_time) == 20


def test_describe_security_groups_filters_by_vpc_and_tag(ecs, vpc, net):
    other = make_network(ecs, vpc, vpc_cidr="192.168.0.0/16", vsw_cidr="192.168.1.0/24")
    tagged = create_group(ecs, net.vpc_id, tag=[em.CreateSecurityGroupRequestTag(key="role", value="lb")])
    in_vpc = [g.security_group_id for g in groups(ecs, vpc_id=net.vpc_id).security_groups.security_group]
    assert sorted(in_vpc) == sorted([net.sg_id, tagged])
    by_tag = groups(ecs, tag=[em.DescribeSecurityGroupsRequestTag(key="role")]).security_groups.security_group
    assert [g.security_group_id for g in by_tag] == [tagged]
    assert other.sg_id not in in_vpc


def test_describe_security_groups_pages_with_next_token(ecs, net):
    for i in range(11):
        create_group(ecs, net.vpc_id, security_group_name=f"g{i}")
    first = groups(ecs, max_results=10)
    second = groups(ecs, max_results=10, next_token=first.next_token)
    assert len(first.security_groups.security_group) == 10 and first.next_token
    assert len(second.security_groups.security_group) == 2 and second.next_token == ""
    by_page = groups(ecs, page_size=5, page_number=3)
    assert (by_page.total_count, len(by_page.security_groups.security_group)) == (12, 2)


def test_create_security_group_in_an_unknown_vpc_is_invalid_vpc_id_not_found(ecs):
    err = error_of(create_group, ecs, "vpc-doesnotexist")
    assert_error(err, "InvalidVpcId.NotFound", 404)


def test_create_security_group_in_a_vpc_still_pending_is_incorrect_vpc_status(timed):
    vpc_id = timed.vpc.create_vpc(vm.CreateVpcRequest(region_id=REGION, cidr_block="172.16.0.0/16")).body.vpc_id
    err = error_of(create_group, timed.ecs, vpc_id)
    assert_error(err, "IncorrectVpcStatus", 400)


def test_create_security_group_with_a_malformed_name_is_refused(ecs, net):
    err = error_of(create_group, ecs, net.vpc_id, security_group_name="1starts-with-digit")
    assert_error(err, "InvalidSecurityGroupName.Malformed", 400)


def test_create_security_group_with_duplicate_tag_keys_is_refused(ecs, net):
    tags = [em.CreateSecurityGroupRequestTag(key="k", value="1"), em.CreateSecurityGroupRequestTag(key="k", value="2")]
    err = error_of(create_group, ecs, net.vpc_id, tag=tags)
    assert_error(err, "Duplicate.TagKey", 400)


def test_create_security_group_twice_with_one_token_creates_once(ecs, net, control):
    first = create_group(ecs, net.vpc_id, client_token="sg-token-1", security_group_name="same")
    second = create_group(ecs, net.vpc_id, client_token="sg-token-1", security_group_name="same")
    assert first == second
    assert groups(ecs).total_count == 2  # the network's group and this one
    err = error_of(create_group, ecs, net.vpc_id, client_token="sg-token-1", security_group_name="other")
    assert_error(err, "IdempotentParameterMismatch", 400)


def test_security_groups_per_region_are_limited_to_100(ecs, net):
    for _ in range(99):
        create_group(ecs, net.vpc_id)
    err = error_of(create_group, ecs, net.vpc_id)
    assert_error(err, "QuotaExceed.SecurityGroup", 403)


def test_describe_attribute_of_an_unknown_group_is_not_found(ecs):
    err = error_of(attribute, ecs, "sg-doesnotexist")
    assert_error(err, "InvalidSecurityGroupId.NotFound", 404)


# rules --------------------------------------------------------------------------------------------------
def test_authorize_with_permissions_adds_ingress_rules_as_described(ecs, net):
    authorize(
        ecs,
        net.sg_id,
        ingress(),
        ingress(ip_protocol="udp", port_range="53/53", priority="5", policy="drop", description="dns"),
    )
    found = rules(ecs, net.sg_id)
    assert_complete(found[0])
    assert [(r.ip_protocol, r.port_range, r.policy, r.priority, r.direction, r.nic_type) for r in found] == [
        ("TCP", "80/80", "Accept", "1", "ingress", "intranet"),
        ("UDP", "53/53", "Drop", "5", "ingress", "intranet"),
    ]
    assert found[1].description == "dns" and found[0].security_group_rule_id.startswith("sgr-")


def test_authorize_with_the_deprecated_flat_parameters_adds_one_rule(ecs, net):
    ecs.authorize_security_group(
        em.AuthorizeSecurityGroupRequest(
            region_id=REGION,
            security_group_id=net.sg_id,
            ip_protocol="TCP",
            port_range="22/22",
            source_cidr_ip="10.0.0.0/8",
        )
    )
    found = rules(ecs, net.sg_id)
    assert [(r.port_range, r.source_cidr_ip) for r in found] == [("22/22", "10.0.0.0/8")]


def test_authorize_mixing_flat_and_permissions_is_refused(ecs, net):
    err = error_of(
        authorize, ecs, net.sg_id, ingress(), ip_protocol="TCP", port_range="22/22", source_cidr_ip="10.0.0.0/8"
    )
    assert_error(err, "InvalidParameter.Conflict", 400)


def test_authorize_a_duplicate_rule_succeeds_without_a_second_rule(ecs, net):
    authorize(ecs, net.sg_id, ingress())
    authorize(ecs, net.sg_id, ingress(ip_protocol="TCP"))
    assert len(rules(ecs, net.sg_id)) == 1


def test_authorize_egress_is_kept_apart_from_ingress(ecs, net):
    authorize(ecs, net.sg_id, ingress())
    ecs.authorize_security_group_egress(
        em.AuthorizeSecurityGroupEgressRequest(
            region_id=REGION,
            security_group_id=net.sg_id,
            permissions=[
                em.AuthorizeSecurityGroupEgressRequestPermissions(
                    ip_protocol="all", port_range="-1/-1", dest_cidr_ip="0.0.0.0/0"
                )
            ],
        )
    )
    egress = rules(ecs, net.sg_id, direction="egress")
    assert [(r.direction, r.ip_protocol, r.port_range, r.dest_cidr_ip) for r in egress] == [
        ("egress", "ALL", "-1/-1", "0.0.0.0/0")
    ]
    assert len(rules(ecs, net.sg_id)) == 2


def test_authorize_icmp_with_a_port_range_is_operation_denied(ecs, net):
    assert_error(authorize_error(ecs, net.sg_id, ip_protocol="icmp", port_range="80/80"), "OperationDenied", 400)


def test_authorize_tcp_with_a_bad_port_range_is_malformed(ecs, net):
    assert_error(authorize_error(ecs, net.sg_id, port_range="0/80"), "InvalidIpProtocol.Malformed", 400)
    assert_error(authorize_error(ecs, net.sg_id, port_range="90/80"), "InvalidIpProtocol.Malformed", 400)


def test_authorize_an_unknown_protocol_is_not_supported(ecs, net):
    assert_error(authorize_error(ecs, net.sg_id, ip_protocol="sctp"), "InvalidIpProtocol.ValueNotSupported", 400)


def test_authorize_a_priority_out_of_range_is_not_supported(ecs, net):
    assert_error(authorize_error(ecs, net.sg_id, priority="101"), "InvalidPriority.ValueNotSupported", 400)


def test_authorize_without_a_source_is_missing_source(ecs, net):
    assert_error(authorize_error(ecs, net.sg_id, source_cidr_ip=None), "MissingParameter.Source", 400)


def test_authorize_a_malformed_cidr_is_refused(ecs, net):
    assert_error(authorize_error(ecs, net.sg_id, source_cidr_ip="10.0.0.300/8"), "InvalidSourceCidrIp.Malformed", 400)


def test_authorize_a_bad_policy_is_malformed(ecs, net):
    assert_error(authorize_error(ecs, net.sg_id, policy="allow"), "InvalidPolicy.Malformed", 400)


def test_authorize_an_unknown_group_is_not_found(ecs, net):
    err = error_of(authorize, ecs, "sg-doesnotexist", ingress())
    assert_error(err, "InvalidSecurityGroupId.NotFound", 404)


def test_rules_per_group_are_limited_to_200(ecs, net):
    authorize(ecs, net.sg_id, *[ingress(port_range=f"{p}/{p}") for p in range(1, 101)])
    authorize(ecs, net.sg_id, *[ingress(port_range=f"{p}/{p}") for p in range(101, 201)])
    err = error_of(authorize, ecs, net.sg_id, ingress(port_range="201/201"))
    assert_error(err, "AuthorizationLimitExceed", 403)
    assert len(rules(ecs, net.sg_id)) == 200


def test_authorize_from_a_group_of_another_vpc_is_a_mismatch(ecs, vpc, net):
    other = make_network(ecs, vpc, vpc_cidr="192.168.0.0/16", vsw_cidr="192.168.1.0/24")
    err = error_of(authorize, ecs, net.sg_id, ingress(source_cidr_ip=None, source_group_id=other.sg_id))
    assert_error(err, "InvalidSourceGroupId.Mismatch", 400)


def test_authorize_from_an_unknown_group_is_not_found(ecs, net):
    err = error_of(authorize, ecs, net.sg_id, ingress(source_cidr_ip=None, source_group_id="sg-nothere"))
    assert_error(err, "InvalidSourceGroupId.NotFound", 404)


def test_authorize_from_the_group_itself_is_a_conflict(ecs, net):
    err = error_of(authorize, ecs, net.sg_id, ingress(source_cidr_ip=None, source_group_id=net.sg_id))
    assert_error(err, "InvalidParamter.Conflict", 403)


def test_authorize_with_one_client_token_applies_once(ecs, net):
    authorize(ecs, net.sg_id, ingress(), client_token="rule-token")
    authorize(ecs, net.sg_id, ingress(), client_token="rule-token")
    err = error_of(authorize, ecs, net.sg_id, ingress(port_range="81/81"), client_token="rule-token")
    assert_error(err, "IdempotentParameterMismatch", 400)
    assert len(rules(ecs, net.sg_id)) == 1


def test_revoke_by_permission_removes_the_matching_rule(ecs, net):
    authorize(ecs, net.sg_id, ingress(), ingress(port_range="443/443"))
    ecs.revoke_security_group(
        em.RevokeSecurityGroupRequest(
            region_id=REGION,
            security_group_id=net.sg_id,
            permissions=[
                em.RevokeSecurityGroupRequestPermissions(
                    ip_protocol="TCP", port_range="80/80", source_cidr_ip="0.0.0.0/0"
                )
            ],
        )
    )
    assert [r.port_range for r in rules(ecs, net.sg_id)] == ["443/443"]


def test_revoke_by_rule_id_removes_that_rule(ecs, net):
    authorize(ecs, net.sg_id, ingress(), ingress(port_range="443/443"))
    first = rules(ecs, net.sg_id)[0].security_group_rule_id
    ecs.revoke_security_group(
        em.RevokeSecurityGroupRequest(region_id=REGION, security_group_id=net.sg_id, security_group_rule_id=[first])
    )
    assert [r.port_range for r in rules(ecs, net.sg_id)] == ["443/443"]


def test_revoke_a_rule_that_does_not_exist_succeeds_and_removes_nothing(ecs, net):
    authorize(ecs, net.sg_id, ingress())
    ecs.revoke_security_group(
        em.RevokeSecurityGroupRequest(
            region_id=REGION,
            security_group_id=net.sg_id,
            permissions=[
                em.RevokeSecurityGroupRequestPermissions(
                    ip_protocol="TCP", port_range="8080/8080", source_cidr_ip="0.0.0.0/0"
                )
            ],
        )
    )
    assert len(rules(ecs, net.sg_id)) == 1


def test_revoke_egress_leaves_ingress_rules(ecs, net):
    authorize(ecs, net.sg_id, ingress(source_cidr_ip="0.0.0.0/0"))
    ecs.authorize_security_group_egress(
        em.AuthorizeSecurityGroupEgressRequest(
            region_id=REGION,
            security_group_id=net.sg_id,
            ip_protocol="tcp",
            port_range="80/80",
            dest_cidr_ip="0.0.0.0/0",
        )
    )
    ecs.revoke_security_group_egress(
        em.RevokeSecurityGroupEgressRequest(
            region_id=REGION,
            security_group_id=net.sg_id,
            ip_protocol="tcp",
            port_range="80/80",
            dest_cidr_ip="0.0.0.0/0",
        )
    )
    assert [r.direction for r in rules(ecs, net.sg_id)] == ["ingress"]


# delete ---------------------------------------------------------------------------------------------------
def test_delete_security_group_removes_it(ecs, net):
    group_id = create_group(ecs, net.vpc_id)
    ecs.delete_security_group(em.DeleteSecurityGroupRequest(region_id=REGION, security_group_id=group_id))
    assert groups(ecs, security_group_id=group_id).security_groups.security_group == []
    err = error_of(attribute, ecs, group_id)
    assert_error(err, "InvalidSecurityGroupId.NotFound", 404)


def test_delete_security_group_with_instances_is_dependency_violation(ecs, net):
    run(ecs, net)
    err = error_of(
        ecs.delete_security_group, em.DeleteSecurityGroupRequest(region_id=REGION, security_group_id=net.sg_id)
    )
    assert_error(err, "DependencyViolation", 403, "instance")


def test_delete_security_group_referenced_by_another_is_dependency_violation(ecs, net):
    other = create_group(ecs, net.vpc_id)
    authorize(ecs, other, ingress(source_cidr_ip=None, source_group_id=net.sg_id))
    err = error_of(
        ecs.delete_security_group, em.DeleteSecurityGroupRequest(region_id=REGION, security_group_id=net.sg_id)
    )
    assert_error(err, "DependencyViolation", 403, "authorized in another")


def test_delete_an_unknown_security_group_is_not_found(ecs):
    err = error_of(
        ecs.delete_security_group, em.DeleteSecurityGroupRequest(region_id=REGION, security_group_id="sg-nothere")
    )
    assert_error(err, "InvalidSecurityGroupId.NotFound", 404)


def test_instance_count_of_a_group_follows_its_members(ecs, net):
    run(ecs, net, amount=3)
    group = groups(ecs, security_group_id=net.sg_id).security_groups.security_group[0]
    assert (group.ecs_count, group.available_instance_amount) == (3, 1997)
