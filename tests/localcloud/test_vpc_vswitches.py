"""VPC 2016-04-28 vSwitch actions through the official SDK: CIDR rules, zones, quota, dependencies, paging."""

from __future__ import annotations

import pytest
from alibabacloud_slb20140515 import models as slb_models
from alibabacloud_vpc20160428 import models as m

from tests.helpers import REGION
from tests.localcloud.helpers import assert_complete, error_of

ZONE = "cn-hangzhou-h"


@pytest.fixture
def vpc_id(vpc):
    return vpc.create_vpc(m.CreateVpcRequest(region_id=REGION, cidr_block="10.0.0.0/16")).body.vpc_id


def create(vpc, vpc_id, cidr="10.0.1.0/24", zone=ZONE, **kw):
    return vpc.create_vswitch(
        m.CreateVSwitchRequest(vpc_id=vpc_id, zone_id=zone, cidr_block=cidr, **kw)
    ).body.v_switch_id


def attributes(vpc, vsw_id, **kw):
    return vpc.describe_vswitch_attributes(m.DescribeVSwitchAttributesRequest(v_switch_id=vsw_id, **kw)).body


def describe(vpc, **kw):
    return vpc.describe_vswitches(m.DescribeVSwitchesRequest(**kw)).body


def put_instance(emulator, vsw_id, vpc_id, iid="i-bp1test"):
    """An instance as the ECS product stores it (MODEL.md), so the vSwitch has a dependant."""
    cloud = emulator.emulator.cloud
    with cloud.lock:
        cloud.store.put(
            "instance",
            {
                "id": iid,
                "region": REGION,
                "zone": ZONE,
                "status": "Running",
                "vpc_id": vpc_id,
                "vswitch_id": vsw_id,
                "private_ip": "10.0.1.10",
                "security_group_ids": [],
                "tags": {},
                "created": 0,
            },
        )
        cloud.store.commit()


def test_create_vswitch_and_describe_attributes_fill_every_field(vpc, vpc_id):
    vsw_id = create(
        vpc,
        vpc_id,
        v_switch_name="web",
        description="web tier",
        tag=[m.CreateVSwitchRequestTag(key="stack", value="s1")],
    )
    body = attributes(vpc, vsw_id)
    assert_complete(body)
    assert (body.v_switch_id, body.vpc_id, body.zone_id, body.cidr_block) == (vsw_id, vpc_id, ZONE, "10.0.1.0/24")
    assert (body.v_switch_name, body.description, body.status) == ("web", "web tier", "Available")
    assert body.route_table.route_table_type == "System"
    assert [(t.key, t.value) for t in body.tags.tag] == [("stack", "s1")]


def test_vpc_lists_its_vswitches(vpc, vpc_id):
    vsw_id = create(vpc, vpc_id)
    body = vpc.describe_vpc_attribute(m.DescribeVpcAttributeRequest(region_id=REGION, vpc_id=vpc_id)).body
    assert body.v_switch_ids.v_switch_id == [vsw_id]


def test_available_addresses_leave_out_the_four_reserved_ones_and_used_ones(vpc, vpc_id, emulator):
    vsw_id = create(vpc, vpc_id, "10.0.1.0/29")
    assert attributes(vpc, vsw_id).available_ip_address_count == 4
    put_instance(emulator, vsw_id, vpc_id)
    assert attributes(vpc, vsw_id).available_ip_address_count == 3


def test_create_vswitch_with_only_a_mask_takes_the_first_free_block(vpc, vpc_id):
    first = vpc.create_vswitch(m.CreateVSwitchRequest(vpc_id=vpc_id, zone_id=ZONE, cidr_mask=24)).body.v_switch_id
    second = vpc.create_vswitch(m.CreateVSwitchRequest(vpc_id=vpc_id, zone_id=ZONE, cidr_mask=24)).body.v_switch_id
    assert [attributes(vpc, v).cidr_block for v in (first, second)] == ["10.0.0.0/24", "10.0.1.0/24"]


def test_create_vswitch_without_cidr_block_or_mask_is_missing_parameter(vpc, vpc_id):
    err = error_of(vpc.create_vswitch, m.CreateVSwitchRequest(vpc_id=vpc_id, zone_id=ZONE))
    assert (err.code, err.status_code) == ("MissingParameter", 400)


def test_create_vswitch_outside_the_vpc_block_is_invalid_parameter(vpc, vpc_id):
    err = error_of(create, vpc, vpc_id, "192.168.1.0/24")
    assert (err.code, err.status_code) == ("InvalidParameter", 400)
    assert err.data["Message"] == "Specified CIDR block is not valid in VPC."


def test_create_vswitch_overlapping_another_is_overlapped(vpc, vpc_id):
    create(vpc, vpc_id, "10.0.0.0/20")
    err = error_of(create, vpc, vpc_id, "10.0.1.0/24")
    assert (err.code, err.status_code) == ("InvalidCidrBlock.Overlapped", 400)
    assert "overlapped" in err.data["Message"]


@pytest.mark.parametrize("cidr", ["10.0.0.0/15", "10.0.1.0/30", "10.0.0.0/8"])
def test_create_vswitch_with_a_mask_outside_16_to_29_is_mask_length_error(vpc, cidr):
    vpc_id = vpc.create_vpc(m.CreateVpcRequest(region_id=REGION, cidr_block="10.0.0.0/8")).body.vpc_id
    err = error_of(create, vpc, vpc_id, cidr)
    assert (err.code, err.status_code) == ("InvalidCirdrBlock.MaskLength", 400)


@pytest.mark.parametrize("cidr", ["10.0.1.1/24", "10.0.1.0", "ten/24"])
def test_create_vswitch_with_a_malformed_block_is_malformed(vpc, vpc_id, cidr):
    err = error_of(create, vpc, vpc_id, cidr)
    assert (err.code, err.status_code) == ("InvalidCidrBlock.Malformed", 400)


@pytest.mark.parametrize("zone", ["cn-hangzhou-z", "cn-beijing-h"])
def test_create_vswitch_in_a_zone_outside_the_region_is_404(vpc, vpc_id, zone):
    err = error_of(create, vpc, vpc_id, zone=zone)
    assert (err.code, err.status_code) == ("InvalidZoneId.NotFound", 404)
    assert err.data["Message"] == "Specified zone does not exist."


def test_create_vswitch_in_an_unknown_vpc_is_404(vpc):
    err = error_of(create, vpc, "vpc-nothere")
    assert (err.code, err.status_code) == ("InvalidVpcId.NotFound", 404)


def test_create_vswitch_with_a_long_name_is_malformed(vpc, vpc_id):
    err = error_of(create, vpc, vpc_id, v_switch_name="n" * 129)
    assert (err.code, err.status_code) == ("InvalidVSwitchName.Malformed", 400)


def test_the_25th_vswitch_of_a_vpc_exceeds_the_quota(vpc, vpc_id):
    for i in range(24):
        create(vpc, vpc_id, f"10.0.{i}.0/24")
    err = error_of(create, vpc, vpc_id, "10.0.100.0/24")
    assert (err.code, err.status_code) == ("QuotaExceeded.VSwitch", 400)


def test_create_vswitch_twice_with_one_client_token_creates_once(vpc, vpc_id):
    first = create(vpc, vpc_id, client_token="t1")
    assert create(vpc, vpc_id, client_token="t1") == first
    assert describe(vpc, vpc_id=vpc_id).total_count == 1


def test_create_vswitch_with_a_used_token_and_another_block_is_mismatch(vpc, vpc_id):
    create(vpc, vpc_id, client_token="t1")
    err = error_of(create, vpc, vpc_id, "10.0.2.0/24", client_token="t1")
    assert (err.code, err.status_code) == ("IdempotentParameterMismatch", 400)


def test_describe_vswitches_filters_by_vpc_zone_id_and_tag(vpc, vpc_id):
    other_vpc = vpc.create_vpc(m.CreateVpcRequest(region_id=REGION, cidr_block="10.1.0.0/16")).body.vpc_id
    a = create(vpc, vpc_id, "10.0.1.0/24", tag=[m.CreateVSwitchRequestTag(key="tier", value="web")])
    b = create(vpc, vpc_id, "10.0.2.0/24", zone="cn-hangzhou-i")
    c = create(vpc, other_vpc, "10.1.1.0/24")
    assert [s.v_switch_id for s in describe(vpc, vpc_id=vpc_id).v_switches.v_switch] == [a, b]
    assert [s.v_switch_id for s in describe(vpc, region_id=REGION).v_switches.v_switch] == [a, b, c]
    assert [s.v_switch_id for s in describe(vpc, region_id=REGION, zone_id="cn-hangzhou-i").v_switches.v_switch] == [b]
    assert [s.v_switch_id for s in describe(vpc, region_id=REGION, v_switch_id=c).v_switches.v_switch] == [c]
    tagged = describe(vpc, region_id=REGION, tag=[m.DescribeVSwitchesRequestTag(key="tier", value="web")])
    assert [s.v_switch_id for s in tagged.v_switches.v_switch] == [a]
    assert_complete(tagged)


def test_describe_vswitches_pages_with_at_most_50_per_page(vpc, vpc_id):
    ids = [create(vpc, vpc_id, f"10.0.{i}.0/24") for i in range(7)]
    first = describe(vpc, vpc_id=vpc_id, page_size=4)
    second = describe(vpc, vpc_id=vpc_id, page_size=4, page_number=2)
    assert [s.v_switch_id for s in first.v_switches.v_switch + second.v_switches.v_switch] == ids
    assert (first.total_count, second.page_number) == (7, 2)
    err = error_of(describe, vpc, vpc_id=vpc_id, page_size=51)
    assert (err.code, err.status_code) == ("InvalidParameter", 400)


def test_describe_vswitches_of_an_unknown_vpc_is_vpc_not_found(vpc):
    err = error_of(describe, vpc, vpc_id="vpc-nothere")
    assert (err.code, err.status_code) == ("Forbidden.VpcNotFound", 400)


def test_describe_vswitches_without_region_or_vpc_is_missing_parameter(vpc):
    err = error_of(describe, vpc)
    assert (err.code, err.status_code) == ("MissingParameter", 400)
    assert "RegionId" in err.data["Message"]


def test_describe_vswitch_attributes_of_an_unknown_vswitch_is_404(vpc):
    err = error_of(attributes, vpc, "vsw-nothere")
    assert (err.code, err.status_code) == ("InvalidVSwitchId.NotFound", 404)


def test_delete_vswitch_removes_it(vpc, vpc_id):
    vsw_id = create(vpc, vpc_id)
    vpc.delete_vswitch(m.DeleteVSwitchRequest(v_switch_id=vsw_id))
    assert describe(vpc, vpc_id=vpc_id).total_count == 0
    vpc.delete_vpc(m.DeleteVpcRequest(region_id=REGION, vpc_id=vpc_id))


def test_delete_vswitch_with_an_instance_is_dependency_violation(vpc, vpc_id, emulator):
    vsw_id = create(vpc, vpc_id)
    put_instance(emulator, vsw_id, vpc_id)
    err = error_of(vpc.delete_vswitch, m.DeleteVSwitchRequest(v_switch_id=vsw_id))
    assert (err.code, err.status_code) == ("DependencyViolation", 400)
    assert err.data["Message"] == "Specified object has dependent resources."


def test_delete_vswitch_with_a_load_balancer_is_dependency_violation(vpc, vpc_id, slb):
    vsw_id = create(vpc, vpc_id)
    slb.create_load_balancer(
        slb_models.CreateLoadBalancerRequest(
            region_id=REGION, instance_charge_type="PayByCLCU", v_switch_id=vsw_id, address_type="intranet"
        )
    )
    err = error_of(vpc.delete_vswitch, m.DeleteVSwitchRequest(v_switch_id=vsw_id))
    assert (err.code, err.status_code) == ("DependencyViolation", 400)


def test_delete_an_unknown_vswitch_is_404(vpc):
    err = error_of(vpc.delete_vswitch, m.DeleteVSwitchRequest(v_switch_id="vsw-nothere"))
    assert (err.code, err.status_code) == ("InvalidVSwitchId.NotFound", 404)
    assert err.data["Message"] == "VSwitch not exist."


def test_create_vswitch_with_a_description_starting_with_https_is_malformed(vpc, vpc_id):
    err = error_of(create, vpc, vpc_id, description="https://x")
    assert (err.code, err.status_code) == ("InvalidVSwitchDiscription.Malformed", 400)
    assert err.data["Message"] == "Specified virtual switch description is not valid."


def test_modify_vswitch_attribute_sets_the_name_and_description_and_checks_them(vpc, vpc_id):
    vsw_id = create(vpc, vpc_id, v_switch_name="web")
    vpc.modify_vswitch_attribute(m.ModifyVSwitchAttributeRequest(v_switch_id=vsw_id, description="the web tier"))
    assert (attributes(vpc, vsw_id).v_switch_name, attributes(vpc, vsw_id).description) == ("web", "the web tier")
    vpc.modify_vswitch_attribute(m.ModifyVSwitchAttributeRequest(v_switch_id=vsw_id, v_switch_name="api"))
    assert attributes(vpc, vsw_id).v_switch_name == "api"
    err = error_of(
        vpc.modify_vswitch_attribute, m.ModifyVSwitchAttributeRequest(v_switch_id=vsw_id, v_switch_name="x" * 129)
    )
    assert (err.code, err.status_code) == ("InvalidVSwitchName.Malformed", 400)
    err = error_of(
        vpc.modify_vswitch_attribute, m.ModifyVSwitchAttributeRequest(v_switch_id="vsw-nope", v_switch_name="y")
    )
    assert (err.code, err.status_code) == ("InvalidVSwitchId.NotFound", 404)
    assert attributes(vpc, vsw_id).v_switch_name == "api"  # a refused change changes nothing
