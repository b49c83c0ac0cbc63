"""CLB and listener status machines on a timed emulator (speed 1), moved by the control API, never by sleeping."""

from __future__ import annotations

import pytest
from alibabacloud_slb20140515 import models as m
from alibabacloud_vpc20160428 import models as vpc_models
from alibabacloud_vpc20160428.client import Client as VpcClient

from tests.helpers import REGION, Control, sdk_config
from tests.localcloud.helpers import error_of


def lb_status(client, lb_id):
    return client.describe_load_balancer_attribute(
        m.DescribeLoadBalancerAttributeRequest(load_balancer_id=lb_id)
    ).body.load_balancer_status


def listener_status(client, lb_id, port=80):
    return client.describe_load_balancer_httplistener_attribute(
        m.DescribeLoadBalancerHTTPListenerAttributeRequest(load_balancer_id=lb_id, listener_port=port)
    ).body.status


@pytest.fixture
def lb_id(timed):
    client, control = timed.slb, timed.control
    lb = client.create_load_balancer(
        m.CreateLoadBalancerRequest(region_id=REGION, instance_charge_type="PayByCLCU")
    ).body.load_balancer_id
    control.advance(3)
    client.create_load_balancer_httplistener(
        m.CreateLoadBalancerHTTPListenerRequest(
            load_balancer_id=lb, listener_port=80, backend_server_port=8080, health_check="on"
        )
    )
    return lb


def start(client, lb_id):
    client.start_load_balancer_listener(m.StartLoadBalancerListenerRequest(load_balancer_id=lb_id, listener_port=80))


def stop_listener(client, lb_id):
    client.stop_load_balancer_listener(m.StopLoadBalancerListenerRequest(load_balancer_id=lb_id, listener_port=80))


def delete(client, lb_id):
    client.delete_load_balancer_listener(m.DeleteLoadBalancerListenerRequest(load_balancer_id=lb_id, listener_port=80))


def test_a_new_load_balancer_becomes_active(timed):
    client, control = timed.slb, timed.control
    lb = client.create_load_balancer(
        m.CreateLoadBalancerRequest(region_id=REGION, instance_charge_type="PayByCLCU")
    ).body.load_balancer_id
    assert lb_status(client, lb) == "inactive"
    control.advance(3)
    assert lb_status(client, lb) == "active"


def test_an_explicit_status_set_during_provisioning_is_kept(timed):
    client, control = timed.slb, timed.control
    lb = client.create_load_balancer(
        m.CreateLoadBalancerRequest(region_id=REGION, instance_charge_type="PayByCLCU")
    ).body.load_balancer_id
    client.set_load_balancer_status(
        m.SetLoadBalancerStatusRequest(load_balancer_id=lb, load_balancer_status="inactive")
    )
    control.advance(3)
    assert lb_status(client, lb) == "inactive"


def test_a_started_listener_is_starting_then_running(timed, lb_id):
    client, control = timed.slb, timed.control
    assert listener_status(client, lb_id) == "stopped"
    start(client, lb_id)
    assert listener_status(client, lb_id) == "starting"
    control.advance(3)
    assert listener_status(client, lb_id) == "running"


def test_a_stopped_listener_is_stopping_then_stopped(timed, lb_id):
    client, control = timed.slb, timed.control
    start(client, lb_id)
    control.advance(3)
    stop_listener(client, lb_id)
    assert listener_status(client, lb_id) == "stopping"
    control.advance(2)
    assert listener_status(client, lb_id) == "stopped"


def test_starting_a_starting_listener_is_denied(timed, lb_id):
    client = timed.slb
    start(client, lb_id)
    err = error_of(start, client, lb_id)
    assert (err.code, err.status_code) == ("Operation.Deny", 400)
    assert err.data["Message"] == "The specified listener is configuring, please try again later."


def test_deleting_a_starting_listener_is_service_is_configuring(timed, lb_id):
    client, control = timed.slb, timed.control
    start(client, lb_id)
    err = error_of(delete, client, lb_id)
    assert (err.code, err.status_code) == ("ServiceIsConfiguring", 400)
    control.advance(3)
    delete(client, lb_id)


def test_deleting_a_stopping_listener_is_service_is_stopping(timed, lb_id):
    client, control = timed.slb, timed.control
    start(client, lb_id)
    control.advance(3)
    stop_listener(client, lb_id)
    err = error_of(delete, client, lb_id)
    assert (err.code, err.status_code) == ("ServiceIsStopping", 409)
    assert err.data["Message"] == "The specified Listener is stopping, please retry later."


def test_changing_a_starting_listener_is_refused(timed, lb_id):
    client = timed.slb
    start(client, lb_id)
    err = error_of(
        client.set_load_balancer_httplistener_attribute,
        m.SetLoadBalancerHTTPListenerAttributeRequest(load_balancer_id=lb_id, listener_port=80, bandwidth=10),
    )
    assert (err.code, err.status_code) == ("ServiceIsConfiguring", 400)


def test_a_load_balancer_in_a_pending_vswitch_is_vpc_status_error(timed, timed_server):
    client = timed.slb
    vpc = VpcClient(sdk_config(timed_server.url))
    vpc_id = vpc.create_vpc(vpc_models.CreateVpcRequest(region_id=REGION, cidr_block="10.0.0.0/16")).body.vpc_id
    Control(timed_server.url).advance(5)
    vsw_id = vpc.create_vswitch(
        vpc_models.CreateVSwitchRequest(vpc_id=vpc_id, zone_id="cn-hangzhou-h", cidr_block="10.0.1.0/24")
    ).body.v_switch_id
    err = error_of(
        client.create_load_balancer,
        m.CreateLoadBalancerRequest(region_id=REGION, instance_charge_type="PayByCLCU", v_switch_id=vsw_id),
    )
    assert (err.code, err.status_code) == ("VpcStatusError", 400)
