"""VPC 2016-04-28 VPC actions through the official SDK: create, describe, delete, CIDR rules, tokens."""

from __future__ import annotations

import pytest
from alibabacloud_vpc20160428 import models as m

from tests.helpers import REGION
from tests.localcloud.helpers import assert_complete, error_of


def create_vpc(vpc, cidr="10.0.0.0/16", **kw):
    return vpc.create_vpc(m.CreateVpcRequest(region_id=REGION, cidr_block=cidr, **kw)).body.vpc_id


def attribute(vpc, vpc_id, region=REGION):
    return vpc.describe_vpc_attribute(m.DescribeVpcAttributeRequest(region_id=region, vpc_id=vpc_id)).body


def describe(vpc, **kw):
    return vpc.describe_vpcs(m.DescribeVpcsRequest(region_id=REGION, **kw)).body


def test_create_vpc_returns_its_router_and_route_table(vpc):
    body = vpc.create_vpc(m.CreateVpcRequest(region_id=REGION, cidr_block="10.0.0.0/16")).body
    assert body.vpc_id.startswith("vpc-") and body.vrouter_id.startswith("vrt-")
    assert body.route_table_id.startswith("vtb-") and body.resource_group_id


def test_describe_vpc_attribute_fills_every_field_of_the_model(vpc):
    vpc_id = create_vpc(
        vpc, vpc_name="main", description="the main one", tag=[m.CreateVpcRequestTag(key="stack", value="s1")]
    )
    body = attribute(vpc, vpc_id)
    assert_complete(body)
    assert (body.vpc_id, body.vpc_name, body.description, body.cidr_block) == (
        vpc_id,
        "main",
        "the main one",
        "10.0.0.0/16",
    )
    assert body.status == "Available" and body.region_id == REGION and body.is_default is False
    assert [(t.key, t.value) for t in body.tags.tag] == [("stack", "s1")]
    assert isinstance(body.owner_id, int)


def test_describe_vpcs_fills_every_field_of_the_model(vpc):
    vpc_id = create_vpc(vpc)
    body = describe(vpc)
    assert_complete(body)
    entry = body.vpcs.vpc[0]
    assert entry.vpc_id == vpc_id and entry.router_table_ids.router_table_ids
    assert (body.total_count, body.page_number, body.page_size) == (1, 1, 10)


def test_create_vpc_without_cidr_block_gets_172_16_0_0_12(vpc):
    vpc_id = vpc.create_vpc(m.CreateVpcRequest(region_id=REGION)).body.vpc_id
    assert attribute(vpc, vpc_id).cidr_block == "172.16.0.0/12"


@pytest.mark.parametrize("cidr", ["192.168.0.0/16", "172.16.0.0/12", "10.0.0.0/8", "10.1.2.0/28", "47.100.0.0/16"])
def test_create_vpc_accepts_private_ranges_and_allowed_custom_ranges(vpc, cidr):
    assert attribute(vpc, create_vpc(vpc, cidr)).cidr_block == cidr


@pytest.mark.parametrize(
    "cidr",
    [
        "10.0.0.0/29",
        "10.0.0.0/7",
        "100.64.0.0/16",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "224.0.0.0/8",
        "10.0.0.1/16",
        "10.0.0.0",
        "not-a-cidr",
    ],
)
def test_create_vpc_with_a_disallowed_cidr_block_is_invalid_parameter(vpc, cidr):
    err = error_of(create_vpc, vpc, cidr)
    assert (err.code, err.status_code) == ("InvalidParameter", 400)
    assert "CIDR block is not valid" in err.data["Message"]


def test_create_vpc_with_a_name_starting_with_http_is_malformed(vpc):
    err = error_of(create_vpc, vpc, "10.0.0.0/16", vpc_name="http://x")
    assert (err.code, err.status_code) == ("InvalidVpcName.Malformed", 400)
    assert err.data["Message"] == "Specified VPC name is not valid."


def test_create_vpc_with_a_description_over_256_characters_is_malformed(vpc):
    err = error_of(create_vpc, vpc, "10.0.0.0/16", description="d" * 257)
    assert (err.code, err.status_code) == ("InvalidVpcDiscription.Malformed", 400)


def test_create_vpc_with_four_user_cidrs_is_refused(vpc):
    err = error_of(create_vpc, vpc, "10.0.0.0/16", user_cidr="1.0.0.0/24,2.0.0.0/24,3.0.0.0/24,4.0.0.0/24")
    assert (err.code, err.status_code) == ("InvalidUserCidr.Quota", 400)


def test_create_vpc_records_up_to_three_user_cidrs(vpc):
    vpc_id = create_vpc(vpc, user_cidr="1.0.0.0/24,2.0.0.0/24")
    assert attribute(vpc, vpc_id).user_cidrs.user_cidr == ["1.0.0.0/24", "2.0.0.0/24"]


def test_create_vpc_dry_run_passes_checks_and_creates_nothing(vpc):
    err = error_of(create_vpc, vpc, "10.0.0.0/16", dry_run=True)
    assert (err.code, err.status_code) == ("DryRunOperation", 400)
    assert describe(vpc).total_count == 0


def test_create_vpc_in_an_unknown_region_is_404(vpc):
    err = error_of(vpc.create_vpc, m.CreateVpcRequest(region_id="mars-1", cidr_block="10.0.0.0/16"))
    assert (err.code, err.status_code) == ("InvalidRegionId.NotFound", 404)


def test_create_vpc_without_region_is_missing_parameter(vpc):
    err = error_of(vpc.create_vpc, m.CreateVpcRequest(cidr_block="10.0.0.0/16"))
    assert (err.code, err.status_code) == ("MissingParameter", 400)
    assert "RegionId" in err.data["Message"]


def test_create_vpc_twice_with_one_client_token_creates_once(vpc):
    first = create_vpc(vpc, client_token="tok-1")
    assert create_vpc(vpc, client_token="tok-1") == first
    assert describe(vpc).total_count == 1


def test_create_vpc_with_a_used_token_and_other_parameters_is_idempotent_mismatch(vpc):
    create_vpc(vpc, client_token="tok-1")
    err = error_of(create_vpc, vpc, "192.168.0.0/16", client_token="tok-1")
    assert (err.code, err.status_code) == ("IdempotentParameterMismatch", 400)


def test_describe_vpcs_pages_and_caps_page_size_at_50(vpc):
    ids = [create_vpc(vpc, f"10.{i}.0.0/16") for i in range(12)]
    pages = [describe(vpc, page_number=n, page_size=5) for n in (1, 2, 3)]
    assert [len(p.vpcs.vpc) for p in pages] == [5, 5, 2]
    assert [v.vpc_id for p in pages for v in p.vpcs.vpc] == ids
    assert all(p.total_count == 12 for p in pages)
    err = error_of(describe, vpc, page_size=51)
    assert (err.code, err.status_code) == ("InvalidParameter", 400)


def test_describe_vpcs_filters_by_a_list_of_ids(vpc):
    a, b, _ = (create_vpc(vpc, f"10.{i}.0.0/16") for i in range(3))
    assert sorted(v.vpc_id for v in describe(vpc, vpc_id=f"{a},{b}").vpcs.vpc) == sorted([a, b])


def test_describe_vpcs_with_more_than_20_ids_is_invalid_parameter(vpc):
    err = error_of(describe, vpc, vpc_id=",".join(f"vpc-{i}" for i in range(21)))
    assert (err.code, err.status_code) == ("InvalidParameter", 400)


def test_describe_vpcs_filters_by_name_and_tag(vpc):
    create_vpc(vpc, vpc_name="a", tag=[m.CreateVpcRequestTag(key="role", value="web")])
    wanted = create_vpc(vpc, "10.1.0.0/16", vpc_name="b", tag=[m.CreateVpcRequestTag(key="role", value="db")])
    by_tag = describe(vpc, tag=[m.DescribeVpcsRequestTag(key="role", value="db")])
    assert [v.vpc_id for v in by_tag.vpcs.vpc] == [wanted]
    assert [v.vpc_id for v in describe(vpc, vpc_name="b").vpcs.vpc] == [wanted]
    assert describe(vpc, tag=[m.DescribeVpcsRequestTag(key="role")]).total_count == 2


def test_describe_vpcs_lists_only_the_requested_region(vpc):
    create_vpc(vpc)
    body = vpc.describe_vpcs(m.DescribeVpcsRequest(region_id="cn-beijing")).body
    assert body.total_count == 0 and body.vpcs.vpc == []


def test_describe_vpc_attribute_of_an_unknown_vpc_is_404(vpc):
    err = error_of(attribute, vpc, "vpc-nothere")
    assert (err.code, err.status_code) == ("InvalidVpcId.NotFound", 404)
    assert err.data["Message"] == "Specified VPC does not exist."


def test_describe_vpc_attribute_in_another_region_is_404(vpc):
    vpc_id = create_vpc(vpc)
    err = error_of(attribute, vpc, vpc_id, "cn-beijing")
    assert (err.code, err.status_code) == ("InvalidVpcId.NotFound", 404)


def test_delete_vpc_removes_it(vpc):
    vpc_id = create_vpc(vpc)
    vpc.delete_vpc(m.DeleteVpcRequest(region_id=REGION, vpc_id=vpc_id))
    assert describe(vpc).total_count == 0
    assert error_of(attribute, vpc, vpc_id).code == "InvalidVpcId.NotFound"


def test_delete_vpc_with_vswitch_is_dependency_violation(vpc):
    vpc_id = create_vpc(vpc)
    vpc.create_vswitch(m.CreateVSwitchRequest(vpc_id=vpc_id, zone_id="cn-hangzhou-h", cidr_block="10.0.1.0/24"))
    err = error_of(vpc.delete_vpc, m.DeleteVpcRequest(region_id=REGION, vpc_id=vpc_id))
    assert (err.code, err.status_code) == ("DependencyViolation.VSwitch", 400)
    assert err.data["Message"] == "Specified object has dependent resources."
    assert attribute(vpc, vpc_id).status == "Available"


def test_delete_vpc_with_security_group_is_dependency_violation(vpc, emulator):
    vpc_id = create_vpc(vpc)
    cloud = emulator.emulator.cloud
    with cloud.lock:  # a security group as the ECS product stores it (MODEL.md)
        cloud.store.put(
            "security_group",
            {
                "id": "sg-bp1test",
                "region": REGION,
                "vpc_id": vpc_id,
                "rules": [],
                "group_type": "normal",
                "tags": {},
                "created": 0,
                "name": "",
                "description": "",
            },
        )
        cloud.store.commit()
    err = error_of(vpc.delete_vpc, m.DeleteVpcRequest(region_id=REGION, vpc_id=vpc_id))
    assert (err.code, err.status_code) == ("DependencyViolation.SecurityGroup", 400)


def test_delete_an_unknown_vpc_is_404(vpc):
    err = error_of(vpc.delete_vpc, m.DeleteVpcRequest(region_id=REGION, vpc_id="vpc-nothere"))
    assert (err.code, err.status_code) == ("InvalidVpcId.NotFound", 404)


def test_delete_vpc_without_vpc_id_is_missing_parameter(vpc):
    err = error_of(vpc.delete_vpc, m.DeleteVpcRequest(region_id=REGION))
    assert (err.code, err.status_code) == ("MissingParameter", 400)


def test_delete_vpc_dry_run_keeps_the_vpc(vpc):
    vpc_id = create_vpc(vpc)
    err = error_of(vpc.delete_vpc, m.DeleteVpcRequest(region_id=REGION, vpc_id=vpc_id, dry_run=True))
    assert err.code == "DryRunOperation"
    assert attribute(vpc, vpc_id).status == "Available"
