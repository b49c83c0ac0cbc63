"""VPC and vSwitch status machines on a timed emulator (speed 1), moved by the control API, never by sleeping."""

from __future__ import annotations

import pytest
from alibabacloud_vpc20160428 import models as m

from tests.helpers import REGION
from tests.localcloud.helpers import error_of

ZONE = "cn-hangzhou-h"


def vpc_status(client, vpc_id):
    return client.describe_vpc_attribute(m.DescribeVpcAttributeRequest(region_id=REGION, vpc_id=vpc_id)).body.status


def vsw_status(client, vsw_id):
    return client.describe_vswitch_attributes(m.DescribeVSwitchAttributesRequest(v_switch_id=vsw_id)).body.status


def create_vswitch(client, vpc_id, cidr):
    return client.create_vswitch(m.CreateVSwitchRequest(vpc_id=vpc_id, zone_id=ZONE, cidr_block=cidr)).body.v_switch_id


@pytest.fixture
def ready_vpc(timed):
    client, control = timed.vpc, timed.control
    vpc_id = client.create_vpc(m.CreateVpcRequest(region_id=REGION, cidr_block="10.0.0.0/16")).body.vpc_id
    control.advance(5)
    return vpc_id


def test_a_new_vpc_is_pending_then_available(timed):
    client, control = timed.vpc, timed.control
    vpc_id = client.create_vpc(m.CreateVpcRequest(region_id=REGION, cidr_block="10.0.0.0/16")).body.vpc_id
    assert vpc_status(client, vpc_id) == "Pending"
    control.advance(5)
    assert vpc_status(client, vpc_id) == "Available"


def test_creating_a_vswitch_in_a_pending_vpc_is_incorrect_vpc_status(timed):
    client = timed.vpc
    vpc_id = client.create_vpc(m.CreateVpcRequest(region_id=REGION, cidr_block="10.0.0.0/16")).body.vpc_id
    err = error_of(create_vswitch, client, vpc_id, "10.0.1.0/24")
    assert (err.code, err.status_code) == ("IncorrectVpcStatus", 400)


def test_deleting_a_pending_vpc_is_incorrect_vpc_status(timed):
    client = timed.vpc
    vpc_id = client.create_vpc(m.CreateVpcRequest(region_id=REGION, cidr_block="10.0.0.0/16")).body.vpc_id
    err = error_of(client.delete_vpc, m.DeleteVpcRequest(region_id=REGION, vpc_id=vpc_id))
    assert (err.code, err.status_code) == ("IncorrectVpcStatus", 400)
    assert err.data["Message"] == "Current VPC status does not support this operation."


def test_a_new_vswitch_is_pending_then_available(timed, ready_vpc):
    client, control = timed.vpc, timed.control
    vsw_id = create_vswitch(client, ready_vpc, "10.0.1.0/24")
    assert vsw_status(client, vsw_id) == "Pending"
    control.advance(5)
    assert vsw_status(client, vsw_id) == "Available"


def test_creating_two_vswitches_in_one_vpc_at_the_same_moment_is_refused(timed, ready_vpc):
    client, control = timed.vpc, timed.control
    create_vswitch(client, ready_vpc, "10.0.1.0/24")
    err = error_of(create_vswitch, client, ready_vpc, "10.0.2.0/24")
    assert (err.code, err.status_code) == ("IncorrectVSwitchStatus", 400)
    assert err.data["Message"] == "VSwitch Creation simultaneously is not supported."
    control.advance(5)
    assert vsw_status(client, create_vswitch(client, ready_vpc, "10.0.2.0/24")) == "Pending"


def test_vswitches_in_different_vpcs_can_be_created_at_once(timed, ready_vpc):
    client, control = timed.vpc, timed.control
    other = client.create_vpc(m.CreateVpcRequest(region_id=REGION, cidr_block="10.1.0.0/16")).body.vpc_id
    control.advance(5)
    create_vswitch(client, ready_vpc, "10.0.1.0/24")
    assert create_vswitch(client, other, "10.1.1.0/24").startswith("vsw-")


def test_a_retried_create_with_its_token_returns_the_pending_vswitch(timed, ready_vpc):
    client = timed.vpc
    req = m.CreateVSwitchRequest(vpc_id=ready_vpc, zone_id=ZONE, cidr_block="10.0.1.0/24", client_token="t-1")
    first = client.create_vswitch(req).body.v_switch_id
    assert client.create_vswitch(req).body.v_switch_id == first


def test_a_deleted_vswitch_is_pending_then_gone(timed, ready_vpc):
    client, control = timed.vpc, timed.control
    vsw_id = create_vswitch(client, ready_vpc, "10.0.1.0/24")
    control.advance(5)
    client.delete_vswitch(m.DeleteVSwitchRequest(v_switch_id=vsw_id))
    assert vsw_status(client, vsw_id) == "Pending"
    err = error_of(create_vswitch, client, ready_vpc, "10.0.2.0/24")
    assert (err.code, err.status_code) == ("IncorrectVSwitchStatus", 400)
    assert err.data["Message"] == "Some virtual switch is modifying within the same VPC."
    control.advance(5)
    assert error_of(vsw_status, client, vsw_id).code == "InvalidVSwitchId.NotFound"


def test_deleting_a_pending_vswitch_is_incorrect_vswitch_status(timed, ready_vpc):
    client = timed.vpc
    vsw_id = create_vswitch(client, ready_vpc, "10.0.1.0/24")
    err = error_of(client.delete_vswitch, m.DeleteVSwitchRequest(v_switch_id=vsw_id))
    assert (err.code, err.status_code) == ("IncorrectVSwitchStatus", 400)


def test_deleting_a_vswitch_while_another_is_created_is_refused(timed, ready_vpc):
    client, control = timed.vpc, timed.control
    first = create_vswitch(client, ready_vpc, "10.0.1.0/24")
    control.advance(5)
    create_vswitch(client, ready_vpc, "10.0.2.0/24")
    err = error_of(client.delete_vswitch, m.DeleteVSwitchRequest(v_switch_id=first))
    assert (err.code, err.status_code) == ("OperationDenied.OtherSubnetProcessing", 400)


def test_a_deleted_vpc_is_pending_then_gone_and_a_token_retry_succeeds(timed, ready_vpc):
    client, control = timed.vpc, timed.control
    req = m.DeleteVpcRequest(region_id=REGION, vpc_id=ready_vpc, client_token="del-1")
    client.delete_vpc(req)
    assert vpc_status(client, ready_vpc) == "Pending"
    client.delete_vpc(req)  # the retry of a delete that went through is answered as the first
    err = error_of(client.delete_vpc, m.DeleteVpcRequest(region_id=REGION, vpc_id=ready_vpc))
    assert (err.code, err.status_code) == ("IncorrectVpcStatus", 400)
    control.advance(5)
    assert error_of(vpc_status, client, ready_vpc).code == "InvalidVpcId.NotFound"


def test_a_vpc_with_a_vswitch_being_deleted_still_has_a_dependency(timed, ready_vpc):
    client, control = timed.vpc, timed.control
    vsw_id = create_vswitch(client, ready_vpc, "10.0.1.0/24")
    control.advance(5)
    client.delete_vswitch(m.DeleteVSwitchRequest(v_switch_id=vsw_id))
    err = error_of(client.delete_vpc, m.DeleteVpcRequest(region_id=REGION, vpc_id=ready_vpc))
    assert (err.code, err.status_code) == ("DependencyViolation.VSwitch", 400)
    control.advance(5)
    client.delete_vpc(m.DeleteVpcRequest(region_id=REGION, vpc_id=ready_vpc))


def test_renaming_a_vswitch_makes_it_pending_and_a_second_change_meanwhile_is_refused(ready_vpc, timed):
    client, control = timed.vpc, timed.control
    vsw_id = create_vswitch(client, ready_vpc, "10.0.1.0/24")
    control.advance(5)
    client.modify_vswitch_attribute(m.ModifyVSwitchAttributeRequest(v_switch_id=vsw_id, v_switch_name="renamed"))
    assert vsw_status(client, vsw_id) == "Pending"  # ModifyVSwitchAttribute is asynchronous (docs)
    err = error_of(
        client.modify_vswitch_attribute, m.ModifyVSwitchAttributeRequest(v_switch_id=vsw_id, v_switch_name="again")
    )
    assert (err.code, err.status_code) == ("IncorrectVSwitchStatus", 400)
    control.advance(2)
    body = client.describe_vswitch_attributes(m.DescribeVSwitchAttributesRequest(v_switch_id=vsw_id)).body
    assert (body.status, body.v_switch_name) == ("Available", "renamed")
