"""VPC-family tags through the official SDK: TagResources, UnTagResources, ListTagResources."""

from __future__ import annotations

import pytest
from alibabacloud_vpc20160428 import models as m

from tests.helpers import REGION
from tests.localcloud.helpers import error_of, tag_rows


@pytest.fixture
def vpc_id(vpc):
    return vpc.create_vpc(m.CreateVpcRequest(region_id=REGION, cidr_block="10.0.0.0/16")).body.vpc_id


def tag(vpc, ids, pairs, rtype="VPC"):
    return vpc.tag_resources(
        m.TagResourcesRequest(
            region_id=REGION,
            resource_type=rtype,
            resource_id=list(ids),
            tag=[m.TagResourcesRequestTag(key=k, value=v) for k, v in pairs],
        )
    )


def listed(vpc, rtype="VPC", ids=None, filters=None, **kw):
    return vpc.list_tag_resources(
        m.ListTagResourcesRequest(
            region_id=REGION,
            resource_type=rtype,
            resource_id=ids,
            tag=[m.ListTagResourcesRequestTag(key=k, value=v) for k, v in (filters or [])] or None,
            **kw,
        )
    ).body


def vpc_tags(vpc, vpc_id):
    body = vpc.describe_vpc_attribute(m.DescribeVpcAttributeRequest(region_id=REGION, vpc_id=vpc_id)).body
    return {t.key: t.value for t in body.tags.tag}


def test_tag_resources_adds_tags_shown_as_key_value_by_describe(vpc, vpc_id):
    tag(vpc, [vpc_id], [("stack", "s1"), ("role", "")])
    assert vpc_tags(vpc, vpc_id) == {"stack": "s1", "role": ""}
    entry = vpc.describe_vpcs(m.DescribeVpcsRequest(region_id=REGION)).body.vpcs.vpc[0]
    assert {(t.key, t.value) for t in entry.tags.tag} == {("stack", "s1"), ("role", "")}


def test_tag_resources_overwrites_the_value_of_an_existing_key(vpc, vpc_id):
    tag(vpc, [vpc_id], [("stack", "s1")])
    tag(vpc, [vpc_id], [("stack", "s2")])
    assert vpc_tags(vpc, vpc_id) == {"stack": "s2"}


def test_resource_type_is_case_insensitive_and_covers_vswitches(vpc, vpc_id):
    vsw_id = vpc.create_vswitch(
        m.CreateVSwitchRequest(vpc_id=vpc_id, zone_id="cn-hangzhou-h", cidr_block="10.0.1.0/24")
    ).body.v_switch_id
    tag(vpc, [vsw_id], [("tier", "web")], rtype="vswitch")
    assert tag_rows(listed(vpc, "VSwitch", ids=[vsw_id])) == [(vsw_id, "VSWITCH", "tier", "web")]
    body = vpc.describe_vswitch_attributes(m.DescribeVSwitchAttributesRequest(v_switch_id=vsw_id)).body
    assert [(t.key, t.value) for t in body.tags.tag] == [("tier", "web")]


def test_the_21st_tag_on_a_resource_is_quota_exceeded_and_changes_nothing(vpc, vpc_id):
    tag(vpc, [vpc_id], [(f"k{i}", "v") for i in range(20)])
    err = error_of(tag, vpc, [vpc_id], [("one-more", "v")])
    assert (err.code, err.status_code) == ("QuotaExceeded.TagNum", 400)
    assert len(vpc_tags(vpc, vpc_id)) == 20


def test_more_than_20_tags_in_one_call_is_size_limit_exceeded(vpc, vpc_id):
    err = error_of(tag, vpc, [vpc_id], [(f"k{i}", "v") for i in range(21)])
    assert (err.code, err.status_code) == ("SizeLimitExceeded.TagNum", 400)


def test_create_vpc_with_21_tags_is_refused(vpc):
    err = error_of(
        vpc.create_vpc,
        m.CreateVpcRequest(region_id=REGION, tag=[m.CreateVpcRequestTag(key=f"k{i}", value="v") for i in range(21)]),
    )
    assert (err.code, err.status_code) == ("SizeLimitExceeded.TagNum", 400)


def test_more_than_50_resource_ids_is_size_limit_exceeded(vpc, vpc_id):
    err = error_of(tag, vpc, [vpc_id] * 51, [("k", "v")])
    assert (err.code, err.status_code) == ("SizeLimitExceeded.ResourceId", 400)


@pytest.mark.parametrize("key", ["aliyun-x", "acs:x", "has http://x", "k" * 129])
def test_a_reserved_or_long_tag_key_is_illegal(vpc, vpc_id, key):
    err = error_of(tag, vpc, [vpc_id], [(key, "v")])
    assert (err.code, err.status_code) == ("IllegalParam.TagKey", 400)


def test_a_reserved_tag_value_is_illegal(vpc, vpc_id):
    err = error_of(tag, vpc, [vpc_id], [("k", "aliyun-v")])
    assert (err.code, err.status_code) == ("IllegalParam.TagValue", 400)


def test_tagging_an_unknown_resource_is_404_and_tags_nothing(vpc, vpc_id):
    err = error_of(tag, vpc, [vpc_id, "vpc-nothere"], [("k", "v")])
    assert (err.code, err.status_code) == ("ResourceNotFound.VPC", 404)
    assert "vpc-nothere" in err.data["Message"]
    assert vpc_tags(vpc, vpc_id) == {}


def test_an_unknown_resource_type_is_invalid_parameter(vpc, vpc_id):
    err = error_of(tag, vpc, [vpc_id], [("k", "v")], rtype="INSTANCE")
    assert (err.code, err.status_code) == ("InvalidParameter", 400)


def test_untag_resources_removes_the_named_keys(vpc, vpc_id):
    tag(vpc, [vpc_id], [("a", "1"), ("b", "2")])
    vpc.un_tag_resources(
        m.UnTagResourcesRequest(region_id=REGION, resource_type="VPC", resource_id=[vpc_id], tag_key=["a", "missing"])
    )
    assert vpc_tags(vpc, vpc_id) == {"b": "2"}


def test_untag_resources_with_all_removes_every_tag(vpc, vpc_id):
    tag(vpc, [vpc_id], [("a", "1"), ("b", "2")])
    vpc.un_tag_resources(m.UnTagResourcesRequest(region_id=REGION, resource_type="VPC", resource_id=[vpc_id], all=True))
    assert vpc_tags(vpc, vpc_id) == {}


def test_untag_resources_without_keys_or_all_keeps_the_tags(vpc, vpc_id):
    tag(vpc, [vpc_id], [("a", "1")])
    vpc.un_tag_resources(m.UnTagResourcesRequest(region_id=REGION, resource_type="VPC", resource_id=[vpc_id]))
    assert vpc_tags(vpc, vpc_id) == {"a": "1"}


def test_list_tag_resources_by_tag_finds_the_tagged_resources(vpc, vpc_id):
    other = vpc.create_vpc(m.CreateVpcRequest(region_id=REGION, cidr_block="10.1.0.0/16")).body.vpc_id
    tag(vpc, [vpc_id], [("stack", "s1"), ("role", "web")])
    tag(vpc, [other], [("stack", "s2")])
    assert tag_rows(listed(vpc, filters=[("stack", "s1")])) == [
        (vpc_id, "VPC", "role", "web"),
        (vpc_id, "VPC", "stack", "s1"),
    ]
    assert {r[0] for r in tag_rows(listed(vpc, filters=[("stack", None)]))} == {vpc_id, other}


def test_list_tag_resources_pages_with_next_token(vpc, vpc_id):
    tag(vpc, [vpc_id], [(f"k{i:02}", "v") for i in range(7)])
    first = listed(vpc, ids=[vpc_id], max_results=5)
    assert len(first.tag_resources.tag_resource) == 5 and first.next_token
    second = listed(vpc, ids=[vpc_id], max_results=5, next_token=first.next_token)
    assert len(second.tag_resources.tag_resource) == 2
    assert second.next_token == ""
    assert [r[2] for r in tag_rows(first) + tag_rows(second)] == [f"k{i:02}" for i in range(7)]


def test_list_tag_resources_rejects_more_than_50_results_per_page(vpc, vpc_id):
    err = error_of(listed, vpc, ids=[vpc_id], max_results=51)
    assert (err.code, err.status_code) == ("InvalidParameter", 400)


def test_list_tag_resources_without_ids_or_tags_is_refused(vpc):
    err = error_of(listed, vpc)
    assert (err.code, err.status_code) == ("BothEmpty.TagsAndResources", 403)


def test_list_tag_resources_with_a_value_but_no_key_is_missing_key(vpc):
    err = error_of(listed, vpc, filters=[("", "v")])
    assert (err.code, err.status_code) == ("MissingParam.TagKey", 400)


def test_tags_vanish_with_their_resource(vpc, vpc_id):
    tag(vpc, [vpc_id], [("stack", "s1")])
    vpc.delete_vpc(m.DeleteVpcRequest(region_id=REGION, vpc_id=vpc_id))
    assert tag_rows(listed(vpc, filters=[("stack", "s1")])) == []


def test_a_key_twice_in_one_call_is_duplicated(vpc, vpc_id):
    err = error_of(tag, vpc, [vpc_id], [("k", "1"), ("k", "2")])
    assert (err.code, err.status_code) == ("Forbidden.TagKey.Duplicated", 400)
