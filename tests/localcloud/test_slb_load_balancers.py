"""SLB 2014-05-15 instance actions through the official SDK: create, describe, delete, status, protection."""

from __future__ import annotations

import ipaddress

import pytest
from alibabacloud_slb20140515 import models as m
from alibabacloud_vpc20160428 import models as vpc_models

from tests.helpers import REGION
from tests.localcloud.helpers import assert_complete, error_of


@pytest.fixture
def vswitch(vpc):
    vpc_id = vpc.create_vpc(vpc_models.CreateVpcRequest(region_id=REGION, cidr_block="10.0.0.0/16")).body.vpc_id
    vsw_id = vpc.create_vswitch(
        vpc_models.CreateVSwitchRequest(vpc_id=vpc_id, zone_id="cn-hangzhou-i", cidr_block="10.0.1.0/24")
    ).body.v_switch_id
    return vpc_id, vsw_id


def create(slb, **kw):
    return slb.create_load_balancer(
        m.CreateLoadBalancerRequest(region_id=REGION, **{"instance_charge_type": "PayByCLCU", **kw})
    ).body


def attribute(slb, lb_id):
    return slb.describe_load_balancer_attribute(m.DescribeLoadBalancerAttributeRequest(load_balancer_id=lb_id)).body


def describe(slb, **kw):
    return slb.describe_load_balancers(m.DescribeLoadBalancersRequest(region_id=REGION, **kw)).body


def test_create_internet_load_balancer_gets_a_local_address(slb):
    body = create(slb, load_balancer_name="web")
    assert body.load_balancer_id.startswith("lb-") and body.load_balancer_name == "web"
    assert ipaddress.ip_address(body.address) in ipaddress.ip_network("127.88.0.0/16")
    assert (body.network_type, body.vpc_id, body.v_switch_id, body.address_ipversion) == ("classic", "", "", "ipv4")
    assert isinstance(body.order_id, int)


def test_create_in_a_vswitch_defaults_to_intranet_in_that_vpc(slb, vswitch):
    vpc_id, vsw_id = vswitch
    body = create(slb, v_switch_id=vsw_id)
    assert (body.network_type, body.vpc_id, body.v_switch_id) == ("vpc", vpc_id, vsw_id)
    attr = attribute(slb, body.load_balancer_id)
    assert (attr.address_type, attr.master_zone_id) == ("intranet", "cn-hangzhou-i")


def test_describe_load_balancer_attribute_fills_every_field(slb):
    lb_id = create(
        slb,
        load_balancer_name="web",
        tag=[m.CreateLoadBalancerRequestTag(key="stack", value="s1")],
        delete_protection="on",
    ).load_balancer_id
    body = attribute(slb, lb_id)
    assert_complete(body)
    assert (body.load_balancer_status, body.delete_protection, body.address_type) == ("active", "on", "internet")
    assert [(t.tag_key, t.tag_value) for t in body.tags.tag] == [("stack", "s1")]
    assert body.backend_servers.backend_server == [] and body.listener_ports.listener_port == []
    assert isinstance(body.bandwidth, int) and isinstance(body.create_time_stamp, int)


def test_describe_load_balancers_fills_every_field(slb):
    lb_id = create(slb).load_balancer_id
    body = describe(slb)
    assert_complete(body)
    assert [lb.load_balancer_id for lb in body.load_balancers.load_balancer] == [lb_id]
    assert body.load_balancers.load_balancer[0].load_balancer_spec == "slb.lcu.elastic"


def test_addresses_are_unique_and_a_released_one_is_not_handed_out_again_at_once(slb):
    first = create(slb)
    second = create(slb)
    assert first.address != second.address
    slb.delete_load_balancer(m.DeleteLoadBalancerRequest(load_balancer_id=first.load_balancer_id))
    assert create(slb).address not in (first.address, second.address)


def test_create_intranet_without_a_vswitch_is_refused(slb):
    err = error_of(create, slb, address_type="intranet")
    assert (err.code, err.status_code) == ("InvalidParameter", 400)
    assert "VSwitchId" in err.data["Message"]


def test_create_in_an_unknown_vswitch_is_the_documented_subnet_error(slb):
    err = error_of(create, slb, v_switch_id="vsw-nothere")
    assert (err.code, err.status_code) == ("ServiceUnavailable", 400)
    assert err.data["Message"] == "The vpc subnet is not exist."


def test_create_with_a_vpc_that_does_not_hold_the_vswitch_is_invalid(slb, vswitch, vpc):
    other = vpc.create_vpc(vpc_models.CreateVpcRequest(region_id=REGION, cidr_block="10.1.0.0/16")).body.vpc_id
    err = error_of(create, slb, v_switch_id=vswitch[1], vpc_id=other)
    assert (err.code, err.status_code) == ("InvalidParameter", 400)


def test_create_with_an_address_outside_the_vswitch_is_refused(slb, vswitch):
    err = error_of(create, slb, v_switch_id=vswitch[1], address="10.9.9.9")
    assert (err.code, err.status_code) == ("InvalidParameter", 400)
    assert err.data["Message"] == "Illegal parameter. The IP address is not in subnet."


@pytest.mark.parametrize(
    "kw",
    [
        {"load_balancer_spec": "slb.s9.huge"},
        {"address_type": "public"},
        {"load_balancer_name": "n" * 81},
        {"bandwidth": 5121},
        {"internet_charge_type": "PayByTraffic"},
        {"master_zone_id": "cn-beijing-h"},
    ],
)
def test_create_with_an_invalid_parameter_is_invalid_parameter(slb, kw):
    err = error_of(create, slb, **kw)
    assert (err.code, err.status_code) == ("InvalidParameter", 400)


def test_create_twice_with_one_client_token_creates_once(slb):
    first = create(slb, client_token="lb-1").load_balancer_id
    assert create(slb, client_token="lb-1").load_balancer_id == first
    assert describe(slb).total_count == 1


def test_create_with_a_used_token_and_another_name_is_mismatch(slb):
    create(slb, client_token="lb-1", load_balancer_name="a")
    err = error_of(create, slb, client_token="lb-1", load_balancer_name="b")
    assert (err.code, err.status_code) == ("IdempotentParameterMismatch", 400)


def test_describe_load_balancers_filters(slb, vswitch):
    a = create(slb, load_balancer_name="a", tag=[m.CreateLoadBalancerRequestTag(key="role", value="web")])
    b = create(slb, load_balancer_name="b", v_switch_id=vswitch[1])

    def ids(**kw):
        return [lb.load_balancer_id for lb in describe(slb, **kw).load_balancers.load_balancer]

    assert ids() == [a.load_balancer_id, b.load_balancer_id]
    assert ids(load_balancer_id=b.load_balancer_id) == [b.load_balancer_id]
    assert ids(load_balancer_name="a,b") == [a.load_balancer_id, b.load_balancer_id]
    assert ids(address_type="intranet") == [b.load_balancer_id]
    assert ids(vpc_id=vswitch[0]) == [b.load_balancer_id]
    assert ids(address=a.address) == [a.load_balancer_id]
    assert ids(tag=[m.DescribeLoadBalancersRequestTag(key="role", value="web")]) == [a.load_balancer_id]
    assert ids(tags='[{"TagKey":"role","TagValue":"web"}]') == [a.load_balancer_id]
    assert ids(load_balancer_status="inactive") == []


def test_describe_load_balancers_pages_with_at_most_100_per_page(slb):
    made = [create(slb).load_balancer_id for _ in range(5)]
    first = describe(slb, page_number=1, page_size=3)
    second = describe(slb, page_number=2, page_size=3)
    got = [lb.load_balancer_id for lb in first.load_balancers.load_balancer + second.load_balancers.load_balancer]
    assert got == made and (first.total_count, first.page_size, second.page_number) == (5, 3, 2)
    err = error_of(describe, slb, page_number=1, page_size=101)
    assert (err.code, err.status_code) == ("InvalidParameter", 400)


def test_describe_load_balancers_with_more_than_10_ids_is_invalid(slb):
    err = error_of(describe, slb, load_balancer_id=",".join(f"lb-{i}" for i in range(11)))
    assert (err.code, err.status_code) == ("InvalidParameter", 400)


def test_describe_attribute_of_an_unknown_load_balancer_is_404(slb):
    err = error_of(attribute, slb, "lb-nothere")
    assert (err.code, err.status_code) == ("InvalidLoadBalancerId.NotFound", 404)
    assert err.data["Message"] == "The specified LoadBalancerId does not exist."


def test_delete_load_balancer_removes_it_with_its_listeners(slb, emulator):
    lb_id = create(slb).load_balancer_id
    slb.create_load_balancer_tcplistener(
        m.CreateLoadBalancerTCPListenerRequest(
            load_balancer_id=lb_id, listener_port=80, backend_server_port=80, bandwidth=-1
        )
    )
    slb.delete_load_balancer(m.DeleteLoadBalancerRequest(load_balancer_id=lb_id))
    assert describe(slb).total_count == 0
    assert error_of(attribute, slb, lb_id).code == "InvalidLoadBalancerId.NotFound"
    assert emulator.emulator.cloud.store.all("listener") == []


def test_delete_an_unknown_load_balancer_is_404(slb):
    err = error_of(slb.delete_load_balancer, m.DeleteLoadBalancerRequest(load_balancer_id="lb-nothere"))
    assert (err.code, err.status_code) == ("InvalidLoadBalancerId.NotFound", 404)


def test_delete_a_protected_load_balancer_is_refused(slb):
    lb_id = create(slb, delete_protection="on").load_balancer_id
    err = error_of(slb.delete_load_balancer, m.DeleteLoadBalancerRequest(load_balancer_id=lb_id))
    assert (err.code, err.status_code) == ("OperationDenied.DeleteProtectionIsOn", 400)
    assert "DeleteProtection is enabled" in err.data["Message"]
    assert attribute(slb, lb_id).load_balancer_id == lb_id


def test_turning_protection_off_allows_the_delete(slb):
    lb_id = create(slb).load_balancer_id
    slb.set_load_balancer_delete_protection(
        m.SetLoadBalancerDeleteProtectionRequest(region_id=REGION, load_balancer_id=lb_id, delete_protection="on")
    )
    assert attribute(slb, lb_id).delete_protection == "on"
    slb.set_load_balancer_delete_protection(
        m.SetLoadBalancerDeleteProtectionRequest(region_id=REGION, load_balancer_id=lb_id, delete_protection="off")
    )
    slb.delete_load_balancer(m.DeleteLoadBalancerRequest(load_balancer_id=lb_id))
    assert describe(slb).total_count == 0


def test_set_delete_protection_needs_a_region_and_a_valid_value(slb):
    lb_id = create(slb).load_balancer_id
    err = error_of(
        slb.set_load_balancer_delete_protection,
        m.SetLoadBalancerDeleteProtectionRequest(load_balancer_id=lb_id, delete_protection="on"),
    )
    assert (err.code, err.status_code) == ("MissingParameter", 400)
    err = error_of(
        slb.set_load_balancer_delete_protection,
        m.SetLoadBalancerDeleteProtectionRequest(region_id=REGION, load_balancer_id=lb_id, delete_protection="yes"),
    )
    assert (err.code, err.status_code) == ("InvalidParameter", 400)


def test_set_load_balancer_status_toggles_active_and_inactive(slb):
    lb_id = create(slb).load_balancer_id
    slb.set_load_balancer_status(
        m.SetLoadBalancerStatusRequest(load_balancer_id=lb_id, load_balancer_status="inactive")
    )
    assert attribute(slb, lb_id).load_balancer_status == "inactive"
    slb.set_load_balancer_status(m.SetLoadBalancerStatusRequest(load_balancer_id=lb_id, load_balancer_status="active"))
    assert attribute(slb, lb_id).load_balancer_status == "active"
    err = error_of(
        slb.set_load_balancer_status,
        m.SetLoadBalancerStatusRequest(load_balancer_id=lb_id, load_balancer_status="locked"),
    )
    assert (err.code, err.status_code) == ("InvalidParameter", 400)


def test_set_load_balancer_name_renames_it(slb):
    lb_id = create(slb, load_balancer_name="old").load_balancer_id
    slb.set_load_balancer_name(m.SetLoadBalancerNameRequest(load_balancer_id=lb_id, load_balancer_name="new"))
    assert attribute(slb, lb_id).load_balancer_name == "new"
    err = error_of(slb.set_load_balancer_name, m.SetLoadBalancerNameRequest(load_balancer_id=lb_id))
    assert (err.code, err.status_code) == ("MissingParameter", 400)


def test_delete_protection_of_a_subscription_instance_is_unsupported(slb):
    lb_id = create(slb, pay_type="PrePay").load_balancer_id
    err = error_of(
        slb.set_load_balancer_delete_protection,
        m.SetLoadBalancerDeleteProtectionRequest(region_id=REGION, load_balancer_id=lb_id, delete_protection="on"),
    )
    assert (err.code, err.status_code) == ("OperationUnsupported.DeleteProtectionForPrePayInstance", 400)
