"""CLB billing through the official SDK: pay-by-specification is no longer sold, pay-by-LCU is reported
truthfully, and an old pay-by-specification instance can be converted (ModifyLoadBalancerInstanceChargeType)."""

from __future__ import annotations

import pytest
from alibabacloud_slb20140515 import models as m

from tests.helpers import REGION
from tests.localcloud.helpers import assert_error, error_of


def create(slb, **kw):
    return slb.create_load_balancer(m.CreateLoadBalancerRequest(region_id=REGION, **kw)).body


def attribute(slb, lb_id):
    return slb.describe_load_balancer_attribute(m.DescribeLoadBalancerAttributeRequest(load_balancer_id=lb_id)).body


def listed(slb, lb_id):
    body = slb.describe_load_balancers(m.DescribeLoadBalancersRequest(region_id=REGION, load_balancer_id=lb_id)).body
    return body.load_balancers.load_balancer[0]


def modify(slb, lb_id, **kw):
    return slb.modify_load_balancer_instance_charge_type(
        m.ModifyLoadBalancerInstanceChargeTypeRequest(region_id=REGION, load_balancer_id=lb_id, **kw)
    )


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"instance_charge_type": "PayBySpec"},
        {"instance_charge_type": "PayBySpec", "load_balancer_spec": "slb.s1.small"},
        {"load_balancer_spec": "slb.s2.small"},
    ],
)
def test_a_new_pay_by_spec_load_balancer_is_refused_naming_the_reason(slb, control, kw):
    err = error_of(create, slb, **kw)
    assert_error(err, "Operation.NotAllowed", 400, "no longer available for purchase")
    assert "PayByCLCU" in err.data["Message"]
    assert "load_balancer" not in control.resources()


def test_a_spec_with_pay_by_lcu_is_refused(slb):
    err = error_of(create, slb, instance_charge_type="PayByCLCU", load_balancer_spec="slb.s1.small")
    assert_error(err, "Operation.NotAllowed", 400, "LoadBalancerSpec slb.s1.small")


def test_pay_by_lcu_is_billed_by_traffic_only(slb):
    err = error_of(create, slb, instance_charge_type="PayByCLCU", internet_charge_type="paybybandwidth")
    assert_error(err, "Operation.NotAllowed", 400, "paybytraffic")


def test_a_pay_by_lcu_load_balancer_reports_its_charge_type_in_both_describes(slb):
    lb_id = create(slb, instance_charge_type="PayByCLCU").load_balancer_id
    for body in (attribute(slb, lb_id), listed(slb, lb_id)):
        assert (body.instance_charge_type, body.load_balancer_spec, body.internet_charge_type) == (
            "PayByCLCU",
            "slb.lcu.elastic",
            "paybytraffic",
        )


def test_a_legacy_pay_by_spec_load_balancer_reads_as_such(slb, control):
    lb_id = create(slb, instance_charge_type="PayByCLCU").load_balancer_id
    control.request("POST", "slb/pay_by_spec", {"load_balancer_id": lb_id, "spec": "slb.s2.small"})
    for body in (attribute(slb, lb_id), listed(slb, lb_id)):
        assert (body.instance_charge_type, body.load_balancer_spec) == ("PayBySpec", "slb.s2.small")


def test_modify_instance_charge_type_converts_a_legacy_load_balancer_to_pay_by_lcu(slb, control):
    lb_id = create(slb, instance_charge_type="PayByCLCU").load_balancer_id
    control.request("POST", "slb/pay_by_spec", {"load_balancer_id": lb_id})
    modify(slb, lb_id, instance_charge_type="PayByCLCU", internet_charge_type="paybytraffic")
    body = attribute(slb, lb_id)
    assert (body.instance_charge_type, body.load_balancer_spec, body.load_balancer_status) == (
        "PayByCLCU",
        "slb.lcu.elastic",
        "active",
    )
    modify(slb, lb_id, instance_charge_type="PayByCLCU")  # already pay-by-LCU: nothing to change
    assert attribute(slb, lb_id).instance_charge_type == "PayByCLCU"


def test_modify_back_to_pay_by_spec_is_refused(slb):
    lb_id = create(slb, instance_charge_type="PayByCLCU").load_balancer_id
    assert_error(
        error_of(modify, slb, lb_id, instance_charge_type="PayBySpec"),
        "Operation.NotAllowed",
        400,
        "cannot be changed from pay-by-LCU to pay-by-specification",
    )


@pytest.mark.parametrize(
    "kw, code, status",
    [
        ({}, "MissingParameter", 400),
        ({"instance_charge_type": "PayByWhatever"}, "InvalidParameter", 400),
        ({"instance_charge_type": "PayByCLCU", "internet_charge_type": "paybybandwidth"}, "InvalidParameter", 400),
    ],
)
def test_modify_instance_charge_type_checks_its_parameters(slb, kw, code, status):
    lb_id = create(slb, instance_charge_type="PayByCLCU").load_balancer_id
    err = error_of(modify, slb, lb_id, **kw)
    assert (err.code, err.status_code) == (code, status)


def test_modify_instance_charge_type_of_an_unknown_load_balancer_is_not_found(slb):
    err = error_of(modify, slb, "lb-nothere", instance_charge_type="PayByCLCU")
    assert (err.code, err.status_code) == ("InvalidLoadBalancerId.NotFound", 404)
