"""SLB backend servers and health through the official SDKs, with instances started by ECS RunInstances."""

from __future__ import annotations

import json

import pytest
from alibabacloud_ecs20140526 import models as ecs_models
from alibabacloud_slb20140515 import models as m

from tests.helpers import REGION
from tests.localcloud.helpers import error_of
from tests.localcloud.helpers import run_running as run
from tests.localcloud.helpers import slb_network as network


@pytest.fixture
def net(vpc, ecs):
    return network(vpc, ecs)


@pytest.fixture
def lb_id(slb, net):
    body = slb.create_load_balancer(
        m.CreateLoadBalancerRequest(region_id=REGION, instance_charge_type="PayByCLCU", v_switch_id=net.vsw_id)
    ).body
    return body.load_balancer_id


def servers(*items) -> str:
    return json.dumps([{"ServerId": s, "Weight": str(w), "Type": "ecs"} for s, w in items])


def add(slb, lb_id, payload):
    return slb.add_backend_servers(m.AddBackendServersRequest(load_balancer_id=lb_id, backend_servers=payload)).body


def attached(slb, lb_id):
    body = slb.describe_load_balancer_attribute(m.DescribeLoadBalancerAttributeRequest(load_balancer_id=lb_id)).body
    return {b.server_id: b.weight for b in body.backend_servers.backend_server}


def health(slb, lb_id, port=None):
    body = slb.describe_health_status(m.DescribeHealthStatusRequest(load_balancer_id=lb_id, listener_port=port)).body
    return [
        (b.server_id, b.listener_port, b.port, b.protocol, b.server_health_status)
        for b in body.backend_servers.backend_server
    ]


def test_add_backend_servers_echoes_the_full_list_with_string_weights(slb, ecs, net, lb_id):
    a, b = run(ecs, net, 2)
    add(slb, lb_id, servers((a, 50)))
    body = add(slb, lb_id, servers((b, 100)))
    assert body.load_balancer_id == lb_id
    assert [(s.server_id, s.weight, s.type) for s in body.backend_servers.backend_server] == [
        (a, "50", "ecs"),
        (b, "100", "ecs"),
    ]
    assert attached(slb, lb_id) == {a: 50, b: 100}


def test_describe_attribute_shows_backend_ips_and_integer_weights(slb, ecs, net, lb_id):
    (a,) = run(ecs, net)
    add(slb, lb_id, servers((a, 30)))
    body = slb.describe_load_balancer_attribute(m.DescribeLoadBalancerAttributeRequest(load_balancer_id=lb_id)).body
    entry = body.backend_servers.backend_server[0]
    assert (entry.server_id, entry.weight, entry.type) == (a, 30, "ecs") and entry.server_ip.startswith("10.0.1.")


def test_adding_an_attached_server_updates_it(slb, ecs, net, lb_id):
    (a,) = run(ecs, net)
    add(slb, lb_id, servers((a, 100)))
    add(slb, lb_id, servers((a, 10)))
    assert attached(slb, lb_id) == {a: 10}


def test_weight_defaults_to_100_and_single_quoted_json_is_accepted(slb, ecs, net, lb_id):
    (a,) = run(ecs, net)
    add(slb, lb_id, f"[{{'ServerId':'{a}', 'Type': 'ecs'}}]")
    assert attached(slb, lb_id) == {a: 100}


def test_more_than_20_servers_in_one_call_is_too_many(slb, lb_id):
    err = error_of(add, slb, lb_id, servers(*[(f"i-{n}", 100) for n in range(21)]))
    assert (err.code, err.status_code) == ("TooManyBackendServers", 400)
    assert "20" in err.data["Message"]


@pytest.mark.parametrize("weight", [101, -1, "heavy"])
def test_a_weight_outside_0_to_100_is_malformed(slb, ecs, net, lb_id, weight):
    (a,) = run(ecs, net)
    err = error_of(add, slb, lb_id, json.dumps([{"ServerId": a, "Weight": weight}]))
    assert (err.code, err.status_code) == ("InvalidWeight.Malformed", 400)


def test_weight_zero_is_accepted(slb, ecs, net, lb_id):
    (a,) = run(ecs, net)
    add(slb, lb_id, servers((a, 0)))
    assert attached(slb, lb_id) == {a: 0}


def test_backend_servers_that_are_not_json_are_malformed(slb, lb_id):
    err = error_of(add, slb, lb_id, "[{ServerId: i-1")
    assert (err.code, err.status_code) == ("BackendServersMalformed", 400)


def test_a_server_without_server_id_is_invalid(slb, lb_id):
    err = error_of(add, slb, lb_id, '[{"Weight": "100"}]')
    assert (err.code, err.status_code) == ("InvalidParameter", 400)


def test_an_unknown_instance_is_404_and_nothing_is_added(slb, ecs, net, lb_id):
    (a,) = run(ecs, net)
    err = error_of(add, slb, lb_id, servers((a, 100), ("i-nothere", 100)))
    assert (err.code, err.status_code) == ("InvalidServerId.NotFound", 404)
    assert attached(slb, lb_id) == {}


def test_a_stopped_instance_cannot_be_added(slb, ecs, net, lb_id):
    (a,) = run(ecs, net)
    ecs.stop_instance(ecs_models.StopInstanceRequest(instance_id=a))
    ecs.describe_instances(ecs_models.DescribeInstancesRequest(region_id=REGION))  # lets Stopping finish
    err = error_of(add, slb, lb_id, servers((a, 100)))
    assert (err.code, err.status_code) == ("ObtainIpFail", 400)


def test_an_instance_of_another_vpc_cannot_back_a_vpc_load_balancer(slb, ecs, vpc, lb_id):
    other = network(vpc, ecs, "10.1.0.0/16")
    (a,) = run(ecs, other)
    err = error_of(add, slb, lb_id, servers((a, 100)))
    assert (err.code, err.status_code) == ("InvalidBackendServers.Inconsistent", 400)


def test_an_internet_load_balancer_takes_servers_of_one_vpc(slb, ecs, vpc, net):
    lb_id = slb.create_load_balancer(
        m.CreateLoadBalancerRequest(region_id=REGION, instance_charge_type="PayByCLCU")
    ).body.load_balancer_id
    (a,) = run(ecs, net)
    (b,) = run(ecs, network(vpc, ecs, "10.1.0.0/16"))
    add(slb, lb_id, servers((a, 100)))
    err = error_of(add, slb, lb_id, servers((b, 100)))
    assert (err.code, err.status_code) == ("InvalidBackendServers.Inconsistent", 400)


def test_backends_of_an_unknown_load_balancer_is_404(slb):
    err = error_of(add, slb, "lb-nothere", servers(("i-1", 1)))
    assert (err.code, err.status_code) == ("InvalidLoadBalancerId.NotFound", 404)


def test_remove_backend_servers_echoes_the_rest_with_integer_weights(slb, ecs, net, lb_id):
    a, b = run(ecs, net, 2)
    add(slb, lb_id, servers((a, 50), (b, 60)))
    body = slb.remove_backend_servers(
        m.RemoveBackendServersRequest(
            load_balancer_id=lb_id, backend_servers=json.dumps([{"ServerId": a}, {"ServerId": "i-never-added"}])
        )
    ).body
    assert [(s.server_id, s.weight) for s in body.backend_servers.backend_server] == [(b, 60)]
    assert attached(slb, lb_id) == {b: 60}


def test_remove_backend_servers_needs_the_list(slb, lb_id):
    err = error_of(slb.remove_backend_servers, m.RemoveBackendServersRequest(load_balancer_id=lb_id))
    assert (err.code, err.status_code) == ("MissingParameter", 400)


def test_set_backend_servers_changes_weights_of_attached_servers(slb, ecs, net, lb_id):
    a, b = run(ecs, net, 2)
    add(slb, lb_id, servers((a, 50), (b, 60)))
    body = slb.set_backend_servers(
        m.SetBackendServersRequest(load_balancer_id=lb_id, backend_servers=servers((a, 5)))
    ).body
    assert [(s.server_id, s.weight) for s in body.backend_servers.backend_server] == [(a, "5"), (b, "60")]


def test_set_backend_servers_on_a_server_not_attached_is_invalid(slb, ecs, net, lb_id):
    (a,) = run(ecs, net)
    err = error_of(
        slb.set_backend_servers, m.SetBackendServersRequest(load_balancer_id=lb_id, backend_servers=servers((a, 5)))
    )
    assert (err.code, err.status_code) == ("InvalidParameter", 400)


def test_a_released_instance_leaves_the_backend_list(slb, ecs, net, lb_id):
    a, b = run(ecs, net, 2)
    add(slb, lb_id, servers((a, 50), (b, 60)))
    ecs.delete_instance(ecs_models.DeleteInstanceRequest(instance_id=a, force=True))
    ecs.describe_instances(ecs_models.DescribeInstancesRequest(region_id=REGION))  # the release completes
    assert attached(slb, lb_id) == {b: 60}


def http_listener(slb, lb_id, port=80, health_check="on"):
    slb.create_load_balancer_httplistener(
        m.CreateLoadBalancerHTTPListenerRequest(
            load_balancer_id=lb_id, listener_port=port, backend_server_port=8080, health_check=health_check
        )
    )


def test_health_is_unavailable_while_the_listener_is_stopped(slb, ecs, net, lb_id):
    (a,) = run(ecs, net)
    add(slb, lb_id, servers((a, 100)))
    http_listener(slb, lb_id)
    assert health(slb, lb_id) == [(a, 80, 8080, "http", "unavailable")]


def test_health_is_normal_for_a_running_instance_behind_a_running_listener(slb, ecs, net, lb_id):
    (a,) = run(ecs, net)
    add(slb, lb_id, servers((a, 100)))
    http_listener(slb, lb_id)
    slb.start_load_balancer_listener(m.StartLoadBalancerListenerRequest(load_balancer_id=lb_id, listener_port=80))
    assert health(slb, lb_id, 80) == [(a, 80, 8080, "http", "normal")]


def test_health_is_abnormal_for_a_stopped_instance(slb, ecs, net, lb_id):
    (a,) = run(ecs, net)
    add(slb, lb_id, servers((a, 100)))
    http_listener(slb, lb_id)
    slb.start_load_balancer_listener(m.StartLoadBalancerListenerRequest(load_balancer_id=lb_id, listener_port=80))
    ecs.stop_instance(ecs_models.StopInstanceRequest(instance_id=a))
    ecs.describe_instances(ecs_models.DescribeInstancesRequest(region_id=REGION))
    assert health(slb, lb_id) == [(a, 80, 8080, "http", "abnormal")]


def test_health_is_unavailable_when_the_health_check_is_off(slb, ecs, net, lb_id):
    (a,) = run(ecs, net)
    add(slb, lb_id, servers((a, 100)))
    http_listener(slb, lb_id, health_check="off")
    slb.start_load_balancer_listener(m.StartLoadBalancerListenerRequest(load_balancer_id=lb_id, listener_port=80))
    assert health(slb, lb_id) == [(a, 80, 8080, "http", "unavailable")]


def test_health_comes_from_the_local_runtime_when_one_runs(slb, ecs, net, lb_id, emulator):
    (a,) = run(ecs, net)
    add(slb, lb_id, servers((a, 100)))
    http_listener(slb, lb_id)
    calls = []

    class Runtime:
        def health(self, lb, port, server):
            calls.append((lb, port, server))
            return "abnormal"

    cloud = emulator.emulator.cloud
    previous = getattr(cloud, "runtime", None)
    cloud.runtime = Runtime()
    try:
        assert health(slb, lb_id) == [(a, 80, 8080, "http", "abnormal")]
    finally:
        cloud.runtime = previous
    assert calls == [(lb_id, 80, a)]


def test_health_of_a_port_without_a_listener_is_404(slb, lb_id):
    err = error_of(health, slb, lb_id, 81)
    assert (err.code, err.status_code) == ("CheckedListenerNotFound", 404)
