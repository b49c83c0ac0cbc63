"""SLB 2014-05-15 HTTP and TCP listeners through the official SDK: create, describe, change, start/stop, delete."""

from __future__ import annotations

import pytest
from alibabacloud_slb20140515 import models as m

from tests.helpers import REGION
from tests.localcloud.helpers import assert_complete, error_of


@pytest.fixture
def lb_id(slb):
    return slb.create_load_balancer(
        m.CreateLoadBalancerRequest(region_id=REGION, instance_charge_type="PayByCLCU")
    ).body.load_balancer_id


def http(slb, lb_id, port=80, **kw):
    kw.setdefault("backend_server_port", 8080)
    kw.setdefault("health_check", "on")
    return slb.create_load_balancer_httplistener(
        m.CreateLoadBalancerHTTPListenerRequest(load_balancer_id=lb_id, listener_port=port, **kw)
    )


def tcp(slb, lb_id, port=443, **kw):
    kw.setdefault("backend_server_port", 8443)
    kw.setdefault("bandwidth", -1)
    return slb.create_load_balancer_tcplistener(
        m.CreateLoadBalancerTCPListenerRequest(load_balancer_id=lb_id, listener_port=port, **kw)
    )


def http_attr(slb, lb_id, port=80):
    return slb.describe_load_balancer_httplistener_attribute(
        m.DescribeLoadBalancerHTTPListenerAttributeRequest(load_balancer_id=lb_id, listener_port=port)
    ).body


def tcp_attr(slb, lb_id, port=443):
    return slb.describe_load_balancer_tcplistener_attribute(
        m.DescribeLoadBalancerTCPListenerAttributeRequest(load_balancer_id=lb_id, listener_port=port)
    ).body


def start(slb, lb_id, port, protocol=None):
    return slb.start_load_balancer_listener(
        m.StartLoadBalancerListenerRequest(load_balancer_id=lb_id, listener_port=port, listener_protocol=protocol)
    )


def stop(slb, lb_id, port):
    return slb.stop_load_balancer_listener(
        m.StopLoadBalancerListenerRequest(load_balancer_id=lb_id, listener_port=port)
    )


def delete(slb, lb_id, port):
    return slb.delete_load_balancer_listener(
        m.DeleteLoadBalancerListenerRequest(load_balancer_id=lb_id, listener_port=port)
    )


def test_http_listener_attribute_fills_every_field_with_numbers_as_numbers(slb, lb_id):
    http(
        slb,
        lb_id,
        health_check_uri="/healthz",
        healthy_threshold=4,
        unhealthy_threshold=5,
        health_check_interval=10,
        health_check_timeout=8,
        health_check_http_code="http_2xx,http_3xx",
        health_check_connect_port=9000,
        sticky_session="on",
        sticky_session_type="insert",
        cookie_timeout=300,
        description="web",
        tag=[m.CreateLoadBalancerHTTPListenerRequestTag(key="k", value="v")],
    )
    body = http_attr(slb, lb_id)
    assert_complete(body)
    assert (body.listener_port, body.backend_server_port, body.bandwidth, body.status) == (80, 8080, -1, "stopped")
    assert (body.health_check, body.health_check_uri, body.health_check_connect_port) == ("on", "/healthz", 9000)
    assert (
        body.healthy_threshold,
        body.unhealthy_threshold,
        body.health_check_interval,
        body.health_check_timeout,
    ) == (4, 5, 10, 8)
    assert body.health_check_http_code == "http_2xx,http_3xx"
    assert (body.sticky_session, body.sticky_session_type, body.cookie_timeout) == ("on", "insert", 300)
    assert [(t.tag_key, t.tag_value) for t in body.tags.tag] == [("k", "v")]


def test_tcp_listener_attribute_fills_every_field(slb, lb_id):
    tcp(
        slb,
        lb_id,
        bandwidth=100,
        health_check_interval=7,
        persistence_timeout=60,
        health_check_type="http",
        health_check_uri="/ping",
        connection_drain="on",
        connection_drain_timeout=30,
    )
    body = tcp_attr(slb, lb_id)
    assert_complete(body)
    assert (body.listener_port, body.backend_server_port, body.bandwidth) == (443, 8443, 100)
    assert (body.health_check, body.health_check_type, body.health_check_interval) == ("on", "http", 7)
    assert (body.persistence_timeout, body.connection_drain_timeout, body.proxy_protocol_v2enabled) == (60, 30, False)


def test_load_balancer_attribute_lists_listener_ports_and_protocols(slb, lb_id):
    http(slb, lb_id, 80)
    tcp(slb, lb_id, 443)
    body = slb.describe_load_balancer_attribute(m.DescribeLoadBalancerAttributeRequest(load_balancer_id=lb_id)).body
    assert body.listener_ports.listener_port == [80, 443]
    pairs = body.listener_ports_and_protocol.listener_port_and_protocol
    assert [(x.listener_port, x.listener_protocol) for x in pairs] == [(80, "http"), (443, "tcp")]


def test_a_second_listener_on_a_port_is_listener_already_exists(slb, lb_id):
    http(slb, lb_id, 80)
    err = error_of(tcp, slb, lb_id, 80)
    assert (err.code, err.status_code) == ("ListenerAlreadyExists", 400)
    assert err.data["Message"] == "A listener with the specified port already exists."


@pytest.mark.parametrize("port", [0, 65536])
def test_a_listener_port_outside_1_to_65535_is_invalid(slb, lb_id, port):
    err = error_of(http, slb, lb_id, port)
    assert (err.code, err.status_code) == ("InvalidParameter", 400)
    assert err.data["Message"] == "The specified port is not valid."


@pytest.mark.parametrize("bandwidth", [0, 5121, -2])
def test_a_bandwidth_other_than_minus_one_or_1_to_5120_is_invalid(slb, lb_id, bandwidth):
    err = error_of(tcp, slb, lb_id, bandwidth=bandwidth)
    assert (err.code, err.status_code) == ("InvalidParameter", 400)
    assert err.data["Message"] == "The specified bandwidth is not valid."


@pytest.mark.parametrize(
    "kw",
    [
        {"healthy_threshold": 1},
        {"unhealthy_threshold": 11},
        {"health_check_interval": 51},
        {"health_check_timeout": 301},
        {"health_check_http_code": "http_200"},
        {"health_check_uri": "health"},
        {"health_check_uri": "/a b"},
        {"health_check_connect_port": 70000},
        {"scheduler": "sch"},
        {"idle_timeout": 61},
        {"request_timeout": 181},
        {"health_check": "yes"},
    ],
)
def test_http_health_check_and_timeout_limits_are_checked(slb, lb_id, kw):
    err = error_of(http, slb, lb_id, **kw)
    assert (err.code, err.status_code) == ("InvalidParameter", 400)


@pytest.mark.parametrize(
    "kw,param",
    [
        ({"health_check": None}, "HealthCheck"),
        ({"backend_server_port": None}, "BackendServerPort"),
        ({"sticky_session": "on"}, "StickySessionType"),
        ({"sticky_session": "on", "sticky_session_type": "insert"}, "CookieTimeout"),
        ({"sticky_session": "on", "sticky_session_type": "server"}, "Cookie"),
    ],
)
def test_http_listener_required_parameters_are_missing_parameter(slb, lb_id, kw, param):
    err = error_of(http, slb, lb_id, **kw)
    assert (err.code, err.status_code) == ("MissingParameter", 400)
    assert f'"{param}"' in err.data["Message"]


def test_tcp_listener_needs_a_bandwidth(slb, lb_id):
    err = error_of(tcp, slb, lb_id, bandwidth=None)
    assert (err.code, err.status_code) == ("MissingParameter", 400)


def test_a_vserver_group_that_does_not_exist_is_404(slb, lb_id):
    err = error_of(tcp, slb, lb_id, backend_server_port=None, vserver_group_id="rsp-nothere")
    assert (err.code, err.status_code) == ("InvalidParameter", 404)
    assert err.data["Message"] == "The specified VServerGroupId does not exist."


def test_a_listener_on_an_unknown_load_balancer_is_404(slb):
    err = error_of(http, slb, "lb-nothere")
    assert (err.code, err.status_code) == ("InvalidLoadBalancerId.NotFound", 404)


def test_the_31st_listener_exceeds_the_limit(slb, lb_id):
    for port in range(1, 31):
        tcp(slb, lb_id, port)
    err = error_of(tcp, slb, lb_id, 31)
    assert (err.code, err.status_code) == ("ListenerNumberOverLimit", 400)


def test_describing_a_missing_listener_is_the_documented_invalid_parameter(slb, lb_id):
    tcp(slb, lb_id, 80)
    for port, describe in ((81, http_attr), (80, http_attr)):  # no listener, or not an HTTP one
        err = error_of(describe, slb, lb_id, port)
        assert (err.code, err.status_code) == ("InvalidParameter", 400)
        assert err.data["Message"] == "The specified resource does not exist."


def test_set_http_listener_attribute_changes_only_the_given_fields(slb, lb_id):
    http(slb, lb_id, health_check_uri="/a", healthy_threshold=4)
    slb.set_load_balancer_httplistener_attribute(
        m.SetLoadBalancerHTTPListenerAttributeRequest(
            load_balancer_id=lb_id, listener_port=80, health_check_uri="/b", bandwidth=50
        )
    )
    body = http_attr(slb, lb_id)
    assert (body.health_check_uri, body.bandwidth, body.healthy_threshold) == ("/b", 50, 4)


def test_set_http_listener_attribute_with_a_bad_value_changes_nothing(slb, lb_id):
    http(slb, lb_id, health_check_uri="/a")
    err = error_of(
        slb.set_load_balancer_httplistener_attribute,
        m.SetLoadBalancerHTTPListenerAttributeRequest(
            load_balancer_id=lb_id, listener_port=80, health_check_uri="/b", healthy_threshold=11
        ),
    )
    assert (err.code, err.status_code) == ("InvalidParameter", 400)
    assert http_attr(slb, lb_id).health_check_uri == "/a"


def test_set_tcp_listener_attribute_switches_the_health_check_off(slb, lb_id):
    tcp(slb, lb_id)
    slb.set_load_balancer_tcplistener_attribute(
        m.SetLoadBalancerTCPListenerAttributeRequest(
            load_balancer_id=lb_id,
            listener_port=443,
            health_check_switch="off",
            health_check_interval=9,
            syn_proxy="enable",
        )
    )
    body = tcp_attr(slb, lb_id)
    assert (body.health_check, body.health_check_interval, body.syn_proxy) == ("off", 9, "enable")


def test_set_on_a_missing_listener_is_invalid_parameter(slb, lb_id):
    err = error_of(
        slb.set_load_balancer_tcplistener_attribute,
        m.SetLoadBalancerTCPListenerAttributeRequest(load_balancer_id=lb_id, listener_port=443, bandwidth=1),
    )
    assert (err.code, err.status_code) == ("InvalidParameter", 400)


def test_a_listener_starts_and_stops(slb, lb_id):
    http(slb, lb_id)
    start(slb, lb_id, 80)
    assert http_attr(slb, lb_id).status == "running"
    stop(slb, lb_id, 80)
    assert http_attr(slb, lb_id).status == "stopped"
    stop(slb, lb_id, 80)  # stopping a stopped listener changes nothing
    assert http_attr(slb, lb_id).status == "stopped"


def test_starting_a_running_listener_is_not_allowed(slb, lb_id):
    http(slb, lb_id)
    start(slb, lb_id, 80)
    http_attr(slb, lb_id)
    err = error_of(start, slb, lb_id, 80)
    assert (err.code, err.status_code) == ("Operation.NotAllowed", 400)


def test_start_stop_and_delete_of_a_missing_listener_are_listener_not_found(slb, lb_id):
    http(slb, lb_id)
    for call, port in ((start, 81), (stop, 81), (delete, 81)):
        err = error_of(call, slb, lb_id, port)
        assert (err.code, err.status_code) == ("ListenerNotFound", 404)
    err = error_of(start, slb, lb_id, 80, "tcp")  # the port has an HTTP listener, not a TCP one
    assert (err.code, err.status_code) == ("ListenerNotFound", 404)


def test_deleting_a_listener_removes_it(slb, lb_id):
    http(slb, lb_id, 80)
    tcp(slb, lb_id, 443)
    delete(slb, lb_id, 80)
    assert error_of(http_attr, slb, lb_id).code == "InvalidParameter"
    attr = slb.describe_load_balancer_attribute(m.DescribeLoadBalancerAttributeRequest(load_balancer_id=lb_id)).body
    assert attr.listener_ports.listener_port == [443] and attr.load_balancer_status == "active"


def test_deleting_the_last_listener_makes_the_instance_inactive(slb, lb_id):
    http(slb, lb_id, 80)
    start(slb, lb_id, 80)
    delete(slb, lb_id, 80)
    attr = slb.describe_load_balancer_attribute(m.DescribeLoadBalancerAttributeRequest(load_balancer_id=lb_id)).body
    assert attr.load_balancer_status == "inactive"


def test_describe_load_balancer_listeners_pages_with_next_token(slb, lb_id):
    other = slb.create_load_balancer(
        m.CreateLoadBalancerRequest(region_id=REGION, instance_charge_type="PayByCLCU")
    ).body.load_balancer_id
    for port in (80, 81, 82):
        http(slb, lb_id, port)
    tcp(slb, other, 443)

    def listing(**kw):
        return slb.describe_load_balancer_listeners(m.DescribeLoadBalancerListenersRequest(region_id=REGION, **kw)).body

    first = listing(max_results=2)
    assert_complete(first.listeners[0].httplistener_config)
    assert [x.listener_port for x in first.listeners] == [80, 81] and first.next_token
    second = listing(max_results=2, next_token=first.next_token)
    assert [x.listener_port for x in second.listeners] == [82, 443] and second.next_token == ""
    assert second.listeners[1].tcplistener_config.proxy_protocol_v2enabled == "false"
    assert (first.total_count, first.max_results) == (4, 2)
    assert [x.listener_port for x in listing(load_balancer_id=[other]).listeners] == [443]
    assert [x.listener_port for x in listing(listener_protocol="http", listener_port=81).listeners] == [81]
    err = error_of(listing, max_results=101)
    assert (err.code, err.status_code) == ("InvalidParameter", 400)


def test_set_listener_attribute_dry_run_changes_nothing(slb, lb_id):
    tcp(slb, lb_id, bandwidth=10)
    err = error_of(
        slb.set_load_balancer_tcplistener_attribute,
        m.SetLoadBalancerTCPListenerAttributeRequest(
            load_balancer_id=lb_id, listener_port=443, bandwidth=20, dry_run=True
        ),
    )
    assert (err.code, err.status_code) == ("DryRunOperation", 400)
    assert tcp_attr(slb, lb_id).bandwidth == 10
