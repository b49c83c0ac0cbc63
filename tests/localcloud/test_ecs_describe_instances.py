"""DescribeInstances, DescribeInstanceStatus, DescribeUserData and ModifyInstanceAttribute through the official SDK."""

from __future__ import annotations

import json

import pytest
from alibabacloud_ecs20140526 import models as em

from tests.helpers import REGION
from tests.localcloud.helpers import assert_error, error_of, instance, make_network, run


def describe(ecs, **kwargs):
    return ecs.describe_instances(em.DescribeInstancesRequest(region_id=REGION, **kwargs)).body


def ids_of(found) -> list[str]:
    return [i.instance_id for i in found]


@pytest.fixture
def two_hundred(ecs, net):
    """200 instances from two RunInstances calls of 100 (the default quota is 200 per region)."""
    return run(ecs, net, amount=100) + run(ecs, net, amount=100)


# paging -------------------------------------------------------------------------------------------------
def test_page_number_paging_walks_200_instances(ecs, two_hundred):
    first = describe(ecs, page_size=100, page_number=1)
    second = describe(ecs, page_size=100, page_number=2)
    third = describe(ecs, page_size=100, page_number=3)
    assert (first.total_count, first.page_number, first.page_size) == (200, 1, 100)
    assert ids_of(first.instances.instance) + ids_of(second.instances.instance) == two_hundred
    assert third.instances.instance == []


def test_next_token_paging_walks_200_instances_and_ends_without_a_token(ecs, two_hundred):
    first = describe(ecs, max_results=100)
    second = describe(ecs, max_results=100, next_token=first.next_token)
    assert first.next_token and second.next_token == ""
    assert ids_of(first.instances.instance) + ids_of(second.instances.instance) == two_hundred


def test_max_results_is_clamped_into_10_to_100(ecs, two_hundred):
    assert len(describe(ecs, max_results=500).instances.instance) == 100
    assert len(describe(ecs, max_results=3).instances.instance) == 10


def test_default_page_is_ten_instances(ecs, net):
    run(ecs, net, amount=12)
    body = describe(ecs)
    assert (len(body.instances.instance), body.total_count, body.page_size) == (10, 12, 10)


def test_page_size_above_100_is_invalid(ecs):
    assert_error(error_of(describe, ecs, page_size=101), "InvalidParameter", 400, "PageSize")


def test_a_bad_next_token_is_invalid(ecs, net):
    run(ecs, net)
    assert_error(error_of(describe, ecs, next_token="not-a-token"), "InvalidNextToken", 400)


# filters ------------------------------------------------------------------------------------------------
def test_instance_ids_filter_takes_a_json_array(ecs, net):
    ids = run(ecs, net, amount=3)
    assert ids_of(describe(ecs, instance_ids=json.dumps(ids[1:])).instances.instance) == ids[1:]
    assert describe(ecs, instance_ids="[]").instances.instance == []
    assert describe(ecs, instance_ids='["i-unknown"]').total_count == 0


def test_more_than_100_instance_ids_are_invalid(ecs):
    err = error_of(describe, ecs, instance_ids=json.dumps([f"i-{n}" for n in range(101)]))
    assert_error(err, "InvalidParameter", 400, "InstanceIds")


def test_filters_by_vpc_vswitch_zone_and_security_group(ecs, vpc, net):
    here = run(ecs, net, amount=2)
    other = make_network(ecs, vpc, vpc_cidr="192.168.0.0/16", vsw_cidr="192.168.1.0/24", zone="cn-hangzhou-h")
    there = run(ecs, other)
    assert ids_of(describe(ecs, vpc_id=net.vpc_id).instances.instance) == here
    assert ids_of(describe(ecs, v_switch_id=other.vsw_id).instances.instance) == there
    assert ids_of(describe(ecs, zone_id="cn-hangzhou-h").instances.instance) == there
    assert ids_of(describe(ecs, security_group_id=net.sg_id).instances.instance) == here


def test_filters_by_name_with_a_wildcard(ecs, net):
    web = run(ecs, net, amount=2, instance_name="web-[1,2]")
    run(ecs, net, instance_name="db-01")
    assert ids_of(describe(ecs, instance_name="web-*").instances.instance) == web
    assert ids_of(describe(ecs, instance_name="web-01").instances.instance) == web[:1]


def test_filters_by_tag_key_and_value(ecs, net):
    blue = run(ecs, net, tag=[em.RunInstancesRequestTag(key="env", value="blue")])
    green = run(ecs, net, tag=[em.RunInstancesRequestTag(key="env", value="green")])
    run(ecs, net)
    by_key = describe(ecs, tag=[em.DescribeInstancesRequestTag(key="env")]).instances.instance
    assert ids_of(by_key) == blue + green
    by_value = describe(ecs, tag=[em.DescribeInstancesRequestTag(key="env", value="green")]).instances.instance
    assert ids_of(by_value) == green


def test_filters_by_status(ecs, net):
    ids = run(ecs, net, amount=2)
    ecs.stop_instance(em.StopInstanceRequest(instance_id=ids[0]))
    assert ids_of(describe(ecs, status="Stopped").instances.instance) == ids[:1]
    assert ids_of(describe(ecs, status="Running").instances.instance) == ids[1:]


def test_an_unknown_status_filter_is_not_found(ecs):
    assert_error(error_of(describe, ecs, status="Sleeping"), "InvalidStatus.NotFound", 404)


def test_filters_by_private_ip(ecs, net):
    ids = run(ecs, net, amount=2)
    assert ids_of(describe(ecs, private_ip_addresses='["10.0.1.2"]').instances.instance) == ids[1:]


def test_describe_in_an_unknown_region_is_invalid_region_id_not_found(ecs):
    err = error_of(ecs.describe_instances, em.DescribeInstancesRequest(region_id="mars-north-1"))
    assert_error(err, "InvalidRegionId.NotFound", 404)


def test_describe_dry_run_answers_dry_run_operation(ecs):
    assert_error(error_of(describe, ecs, dry_run=True), "DryRunOperation", 400)


# DescribeInstanceStatus ----------------------------------------------------------------------------------
def test_describe_instance_status_pages_by_at_most_50(ecs, net):
    ids = run(ecs, net, amount=60)
    body = ecs.describe_instance_status(em.DescribeInstanceStatusRequest(region_id=REGION, page_size=50)).body
    assert (body.total_count, len(body.instance_statuses.instance_status)) == (60, 50)
    assert {s.status for s in body.instance_statuses.instance_status} == {"Running"}
    err = error_of(ecs.describe_instance_status, em.DescribeInstanceStatusRequest(region_id=REGION, page_size=51))
    assert_error(err, "InvalidParameter", 400)
    some = ecs.describe_instance_status(em.DescribeInstanceStatusRequest(region_id=REGION, instance_id=ids[:2])).body
    assert [s.instance_id for s in some.instance_statuses.instance_status] == ids[:2]


# DescribeUserData -----------------------------------------------------------------------------------------
def test_describe_user_data_is_empty_without_user_data(ecs, net):
    iid = run(ecs, net)[0]
    body = ecs.describe_user_data(em.DescribeUserDataRequest(region_id=REGION, instance_id=iid)).body
    assert body.user_data == ""


def test_describe_user_data_of_an_unknown_instance_is_not_found(ecs):
    err = error_of(ecs.describe_user_data, em.DescribeUserDataRequest(region_id=REGION, instance_id="i-nothere"))
    assert_error(err, "InvalidInstanceId.NotFound", 404)


# ModifyInstanceAttribute ----------------------------------------------------------------------------------
def modify(ecs, iid, **kwargs):
    return ecs.modify_instance_attribute(em.ModifyInstanceAttributeRequest(instance_id=iid, **kwargs))


def test_modify_instance_attribute_changes_name_description_and_protection(ecs, net):
    iid = run(ecs, net)[0]
    modify(ecs, iid, instance_name="renamed", description="the web tier", deletion_protection=True, host_name="web-1")
    found = instance(ecs, iid)
    assert (found.instance_name, found.description, found.deletion_protection, found.host_name) == (
        "renamed",
        "the web tier",
        True,
        "web-1",
    )


def test_modify_instance_attribute_replaces_the_security_groups(ecs, net):
    iid = run(ecs, net)[0]
    other = ecs.create_security_group(em.CreateSecurityGroupRequest(region_id=REGION, vpc_id=net.vpc_id)).body
    modify(ecs, iid, security_group_ids=[other.security_group_id])
    assert instance(ecs, iid).security_group_ids.security_group_id == [other.security_group_id]


def test_modify_instance_attribute_with_a_group_of_another_vpc_is_a_mismatch(ecs, vpc, net):
    iid = run(ecs, net)[0]
    other = make_network(ecs, vpc, vpc_cidr="192.168.0.0/16", vsw_cidr="192.168.1.0/24")
    assert_error(error_of(modify, ecs, iid, security_group_ids=[other.sg_id]), "InvalidParameter.Mismatch", 400)


def test_modify_instance_attribute_with_a_bad_name_is_malformed(ecs, net):
    iid = run(ecs, net)[0]
    assert_error(error_of(modify, ecs, iid, instance_name="x"), "InvalidInstanceName.Malformed", 400)


def test_modify_an_unknown_instance_is_not_found(ecs):
    assert_error(error_of(modify, ecs, "i-nothere", instance_name="abc"), "InvalidInstanceId.NotFound", 404)
