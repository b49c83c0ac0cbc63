"""SLB fault injection and listener checks through the official SDK: busy answers on reads (and forced refusals),
a new listener that reads cannot see for a while after its create, the listener Description characters, and the
instance status when listeners go (the last one deleted: inactive until SetLoadBalancerStatus)."""

from __future__ import annotations

import urllib.error

import pytest
from alibabacloud_slb20140515 import models as m

from tests.helpers import REGION
from tests.localcloud.helpers import assert_error, error_of

BUSY = {"ServiceIsConfiguring": 400, "OperationBusy": 400, "BackendServer.configuring": 409, "ServiceIsStopping": 409}


@pytest.fixture
def lb_id(slb):
    return slb.create_load_balancer(
        m.CreateLoadBalancerRequest(region_id=REGION, instance_charge_type="PayByCLCU")
    ).body.load_balancer_id


def attribute(slb, lb_id):
    return slb.describe_load_balancer_attribute(m.DescribeLoadBalancerAttributeRequest(load_balancer_id=lb_id)).body


def create_listener(slb, lb_id, port=80):
    slb.create_load_balancer_httplistener(
        m.CreateLoadBalancerHTTPListenerRequest(
            load_balancer_id=lb_id,
            listener_port=port,
            backend_server_port=8080,
            bandwidth=-1,
            health_check="on",
            sticky_session="off",
        )
    )


def read_listener(slb, lb_id, port=80):
    return slb.describe_load_balancer_httplistener_attribute(
        m.DescribeLoadBalancerHTTPListenerAttributeRequest(load_balancer_id=lb_id, listener_port=port)
    ).body


def test_busy_reads_answer_the_documented_slb_busy_codes_and_statuses(slb, control, lb_id):
    control.faults(seed=3, rules=[{"action": "slb:DescribeLoadBalancerAttribute", "refuse": 1.0}])
    seen = {}
    for _ in range(40):
        err = error_of(attribute, slb, lb_id)
        seen[err.code] = err.status_code
    assert seen == BUSY
    assert control.request("GET", "faults")["injected"]["refuse"] == 40


def test_a_busy_rate_leaves_other_reads_answered(slb, control, lb_id):
    control.faults(seed=1, rules=[{"action": "slb:DescribeLoadBalancerAttribute", "refuse": 0.5}])
    outcomes = []
    for _ in range(30):
        try:
            attribute(slb, lb_id)
            outcomes.append("ok")
        except Exception as err:  # noqa: BLE001 - the SDK error carries the code
            outcomes.append(err.code)
    assert "ok" in outcomes and set(outcomes) - {"ok"} <= set(BUSY)


def test_a_forced_refusal_answers_the_given_code_and_creates_nothing(slb, control):
    control.faults(rules=[{"action": "slb:CreateLoadBalancer", "refuse": 1.0, "codes": ["OperationDenied.Test:403"]}])
    err = error_of(
        slb.create_load_balancer, m.CreateLoadBalancerRequest(region_id=REGION, instance_charge_type="PayByCLCU")
    )
    assert (err.code, err.status_code) == ("OperationDenied.Test", 403)
    assert "load_balancer" not in control.resources()


def test_a_bad_fault_code_is_refused(control):
    with pytest.raises(urllib.error.HTTPError) as info:
        control.faults(rules=[{"action": "*", "refuse": 1.0, "codes": ["Busy:abc"]}])
    assert info.value.code == 400


def test_a_new_listener_is_unreadable_for_the_read_lag(slb, control, lb_id):
    control.faults(read_lag={"listener": 5})
    create_listener(slb, lb_id)
    assert_error(error_of(read_listener, slb, lb_id), "InvalidParameter", 400, "does not exist")
    assert attribute(slb, lb_id).listener_ports.listener_port == []
    assert (
        slb.describe_load_balancer_listeners(
            m.DescribeLoadBalancerListenersRequest(region_id=REGION, load_balancer_id=[lb_id])
        ).body.listeners
        == []
    )
    err = error_of(
        slb.start_load_balancer_listener, m.StartLoadBalancerListenerRequest(load_balancer_id=lb_id, listener_port=80)
    )
    assert_error(err, "ListenerNotFound", 404)
    # The write side knows it: a second create is refused.
    assert_error(error_of(create_listener, slb, lb_id), "ListenerAlreadyExists", 400)
    control.advance(5)
    assert read_listener(slb, lb_id).status == "stopped"
    assert attribute(slb, lb_id).listener_ports.listener_port == [80]


def test_without_a_read_lag_a_new_listener_is_readable_at_once(slb, lb_id):
    create_listener(slb, lb_id)
    assert read_listener(slb, lb_id).status == "stopped"


@pytest.mark.parametrize("text, ok", [("stack-demo_1/a.b", True), ("stack demo", False), ("web;drop", False)])
def test_a_listener_description_keeps_to_the_documented_characters(slb, lb_id, text, ok):
    request = m.CreateLoadBalancerHTTPListenerRequest(
        load_balancer_id=lb_id,
        listener_port=80,
        backend_server_port=8080,
        bandwidth=-1,
        health_check="on",
        sticky_session="off",
        description=text,
    )
    if ok:
        slb.create_load_balancer_httplistener(request)
        assert read_listener(slb, lb_id).description == text
    else:
        assert_error(error_of(slb.create_load_balancer_httplistener, request), "InvalidParameter", 400, "Description")


def test_a_new_listener_after_the_last_was_deleted_leaves_the_instance_inactive(slb, lb_id):
    create_listener(slb, lb_id)
    slb.delete_load_balancer_listener(m.DeleteLoadBalancerListenerRequest(load_balancer_id=lb_id, listener_port=80))
    create_listener(slb, lb_id, port=81)
    assert attribute(slb, lb_id).load_balancer_status == "inactive"  # only SetLoadBalancerStatus turns it back
    slb.set_load_balancer_status(m.SetLoadBalancerStatusRequest(load_balancer_id=lb_id, load_balancer_status="active"))
    assert attribute(slb, lb_id).load_balancer_status == "active"


def test_deleting_one_of_two_listeners_keeps_the_instance_active(slb, lb_id):
    create_listener(slb, lb_id)
    create_listener(slb, lb_id, port=81)
    slb.delete_load_balancer_listener(m.DeleteLoadBalancerListenerRequest(load_balancer_id=lb_id, listener_port=80))
    assert attribute(slb, lb_id).load_balancer_status == "active"
