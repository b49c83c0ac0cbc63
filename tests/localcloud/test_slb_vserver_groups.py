"""CLB vServer groups through the official SDK: members on their own ports, listeners bound to a group, health."""

from __future__ import annotations

import json

import pytest
from alibabacloud_ecs20140526 import models as ecs_models
from alibabacloud_slb20140515 import models as m

from tests.helpers import REGION
from tests.localcloud.helpers import error_of, tag_rows
from tests.localcloud.helpers import run_running as run
from tests.localcloud.helpers import slb_network as network


@pytest.fixture
def net(vpc, ecs):
    return network(vpc, ecs)


@pytest.fixture
def lb_id(slb, net):
    return slb.create_load_balancer(
        m.CreateLoadBalancerRequest(region_id=REGION, instance_charge_type="PayByCLCU", v_switch_id=net.vsw_id)
    ).body.load_balancer_id


def members(*items) -> str:
    """(server, port, weight) triples as the BackendServers JSON."""
    return json.dumps([{"ServerId": s, "Port": str(p), "Weight": str(w), "Type": "ecs"} for s, p, w in items])


def create(slb, lb_id, payload=None, name="web", tags=None):
    return slb.create_vserver_group(
        m.CreateVServerGroupRequest(
            region_id=REGION,
            load_balancer_id=lb_id,
            vserver_group_name=name,
            backend_servers=payload,
            tag=[m.CreateVServerGroupRequestTag(key=k, value=v) for k, v in (tags or {}).items()] or None,
        )
    ).body


def group_members(slb, group_id) -> set[tuple]:
    body = slb.describe_vserver_group_attribute(
        m.DescribeVServerGroupAttributeRequest(region_id=REGION, vserver_group_id=group_id)
    ).body
    return {(b.server_id, b.port, b.weight) for b in body.backend_servers.backend_server}


def code(err) -> tuple[str, int]:
    return err.code, err.status_code


def listener_on_group(slb, lb_id, group_id, port=80):
    slb.create_load_balancer_httplistener(
        m.CreateLoadBalancerHTTPListenerRequest(
            region_id=REGION, load_balancer_id=lb_id, listener_port=port, health_check="on", vserver_group_id=group_id
        )
    )


def test_create_echoes_members_with_their_ports_and_describe_shows_them(slb, ecs, net, lb_id):
    a, b = run(ecs, net, 2)
    body = create(slb, lb_id, members((a, 8080, 100), (a, 8081, 0), (b, 8081, 50)), tags={"team": "ml"})
    assert body.vserver_group_id.startswith("rsp-")
    assert [(s.server_id, s.port, s.weight, s.type) for s in body.backend_servers.backend_server] == [
        (a, 8080, 100, "ecs"),
        (a, 8081, 0, "ecs"),
        (b, 8081, 50, "ecs"),
    ]
    attr = slb.describe_vserver_group_attribute(
        m.DescribeVServerGroupAttributeRequest(region_id=REGION, vserver_group_id=body.vserver_group_id)
    ).body
    assert (attr.vserver_group_name, attr.load_balancer_id) == ("web", lb_id)
    assert all(s.server_ip.startswith("10.0.1.") for s in attr.backend_servers.backend_server)
    listing = slb.describe_vserver_groups(
        m.DescribeVServerGroupsRequest(region_id=REGION, load_balancer_id=lb_id, include_listener=True)
    ).body.vserver_groups.vserver_group
    assert [(g.vserver_group_id, g.vserver_group_name, g.server_count) for g in listing] == [
        (body.vserver_group_id, "web", 3)
    ]
    assert [(t.tag_key, t.tag_value) for t in listing[0].tags.tag] == [("team", "ml")]
    assert listing[0].associated_objects.listeners.listener == []


def test_members_need_a_port_and_one_server_port_pair_appears_once(slb, ecs, net, lb_id):
    (a,) = run(ecs, net)
    err = error_of(create, slb, lb_id, json.dumps([{"ServerId": a, "Weight": "100"}]))
    assert code(err) == ("InvalidParameter", 400) and "Port" in err.data["Message"]
    err = error_of(create, slb, lb_id, members((a, 8080, 100), (a, 8080, 50)))
    assert code(err) == ("InvalidParameter", 400)
    group = create(slb, lb_id, members((a, 8080, 100))).vserver_group_id
    err = error_of(
        slb.add_vserver_group_backend_servers,
        m.AddVServerGroupBackendServersRequest(
            region_id=REGION, vserver_group_id=group, backend_servers=members((a, 8080, 10))
        ),
    )
    assert code(err) == ("BackendServer.configConflict", 400)
    assert group_members(slb, group) == {(a, 8080, 100)}


def test_members_must_be_running_instances_of_the_load_balancers_vpc(slb, ecs, vpc, net, lb_id):
    (a,) = run(ecs, net)
    ecs.stop_instance(ecs_models.StopInstanceRequest(instance_id=a))
    ecs.describe_instances(ecs_models.DescribeInstancesRequest(region_id=REGION))  # lets Stopping finish
    assert code(error_of(create, slb, lb_id, members((a, 8080, 100)))) == ("ObtainIpFail", 400)
    (b,) = run(ecs, network(vpc, ecs, "10.1.0.0/16"))
    assert code(error_of(create, slb, lb_id, members((b, 8080, 100)))) == ("InvalidBackendServers.Inconsistent", 400)
    assert code(error_of(create, slb, lb_id, members(("i-nothere", 8080, 100)))) == ("InvalidServerId.NotFound", 404)
    assert (
        slb.describe_vserver_groups(
            m.DescribeVServerGroupsRequest(region_id=REGION, load_balancer_id=lb_id)
        ).body.vserver_groups.vserver_group
        == []
    )


def test_add_set_modify_and_remove_members(slb, ecs, net, lb_id):
    a, b = run(ecs, net, 2)
    group = create(slb, lb_id, members((a, 8080, 100))).vserver_group_id
    body = slb.add_vserver_group_backend_servers(
        m.AddVServerGroupBackendServersRequest(
            region_id=REGION, vserver_group_id=group, backend_servers=members((b, 8081, 100))
        )
    ).body
    assert {(s.server_id, s.port) for s in body.backend_servers.backend_server} == {(a, 8080), (b, 8081)}
    slb.set_vserver_group_attribute(
        m.SetVServerGroupAttributeRequest(
            region_id=REGION,
            vserver_group_id=group,
            vserver_group_name="renamed",
            backend_servers=members((a, 8080, 0)),
        )
    )
    assert group_members(slb, group) == {(a, 8080, 0), (b, 8081, 100)}
    slb.modify_vserver_group_backend_servers(
        m.ModifyVServerGroupBackendServersRequest(
            region_id=REGION,
            vserver_group_id=group,
            old_backend_servers=members((a, 8080, 0)),
            new_backend_servers=members((a, 8081, 30)),
        )
    )
    assert group_members(slb, group) == {(a, 8081, 30), (b, 8081, 100)}
    slb.remove_vserver_group_backend_servers(
        m.RemoveVServerGroupBackendServersRequest(
            region_id=REGION, vserver_group_id=group, backend_servers=members((a, 8081, 30), (a, 9999, 1))
        )
    )
    assert group_members(slb, group) == {(b, 8081, 100)}
    attr = slb.describe_vserver_group_attribute(
        m.DescribeVServerGroupAttributeRequest(region_id=REGION, vserver_group_id=group)
    ).body
    assert attr.vserver_group_name == "renamed"


def test_weights_of_members_not_in_the_group_cannot_be_set(slb, ecs, net, lb_id):
    (a,) = run(ecs, net)
    group = create(slb, lb_id, members((a, 8080, 100))).vserver_group_id
    err = error_of(
        slb.set_vserver_group_attribute,
        m.SetVServerGroupAttributeRequest(
            region_id=REGION, vserver_group_id=group, backend_servers=members((a, 8081, 0))
        ),
    )
    assert code(err) == ("InvalidParameter", 400)
    err = error_of(
        slb.modify_vserver_group_backend_servers,
        m.ModifyVServerGroupBackendServersRequest(
            region_id=REGION,
            vserver_group_id=group,
            old_backend_servers=members((a, 8081, 0)),
            new_backend_servers=members((a, 8082, 0)),
        ),
    )
    assert code(err) == ("InvalidParameter", 400)
    assert group_members(slb, group) == {(a, 8080, 100)}


def test_an_unknown_group_is_404(slb):
    for call, request in (
        (slb.describe_vserver_group_attribute, m.DescribeVServerGroupAttributeRequest),
        (slb.delete_vserver_group, m.DeleteVServerGroupRequest),
    ):
        err = error_of(call, request(region_id=REGION, vserver_group_id="rsp-nothere"))
        assert code(err) == ("InvalidParameter", 404) and "VServerGroupId" in err.data["Message"]


def test_a_released_instance_leaves_the_group(slb, ecs, net, lb_id):
    a, b = run(ecs, net, 2)
    group = create(slb, lb_id, members((a, 8080, 100), (b, 8080, 100))).vserver_group_id
    ecs.delete_instance(ecs_models.DeleteInstanceRequest(instance_id=a, force=True))
    ecs.describe_instances(ecs_models.DescribeInstancesRequest(region_id=REGION))
    assert group_members(slb, group) == {(b, 8080, 100)}


def test_a_listener_on_a_group_needs_no_backend_port_and_reports_the_group(slb, ecs, net, lb_id):
    (a,) = run(ecs, net)
    group = create(slb, lb_id, members((a, 8081, 100))).vserver_group_id
    listener_on_group(slb, lb_id, group)
    attr = slb.describe_load_balancer_httplistener_attribute(
        m.DescribeLoadBalancerHTTPListenerAttributeRequest(region_id=REGION, load_balancer_id=lb_id, listener_port=80)
    ).body
    assert (attr.vserver_group_id, attr.backend_server_port) == (group, None)
    listed = slb.describe_load_balancer_listeners(
        m.DescribeLoadBalancerListenersRequest(region_id=REGION, load_balancer_id=[lb_id])
    ).body.listeners
    assert [x.vserver_group_id for x in listed] == [group]
    groups = slb.describe_vserver_groups(
        m.DescribeVServerGroupsRequest(region_id=REGION, load_balancer_id=lb_id, include_listener=True)
    ).body.vserver_groups.vserver_group
    assert [(x.port, x.protocol) for x in groups[0].associated_objects.listeners.listener] == [(80, "http")]
    err = error_of(
        slb.create_load_balancer_httplistener,
        m.CreateLoadBalancerHTTPListenerRequest(
            region_id=REGION, load_balancer_id=lb_id, listener_port=81, health_check="on"
        ),
    )
    assert code(err) == ("MissingParameter", 400) and "BackendServerPort" in err.data["Message"]


def test_health_status_lists_each_member_with_its_port(slb, ecs, net, lb_id):
    a, b = run(ecs, net, 2)
    group = create(slb, lb_id, members((a, 8080, 100), (b, 8081, 100))).vserver_group_id
    listener_on_group(slb, lb_id, group)
    slb.start_load_balancer_listener(m.StartLoadBalancerListenerRequest(load_balancer_id=lb_id, listener_port=80))
    rows = slb.describe_health_status(
        m.DescribeHealthStatusRequest(region_id=REGION, load_balancer_id=lb_id, listener_port=80)
    ).body.backend_servers.backend_server
    assert sorted((r.server_id, r.port, r.listener_port, r.server_health_status) for r in rows) == sorted(
        [(a, 8080, 80, "normal"), (b, 8081, 80, "normal")]
    )


def test_a_group_in_use_cannot_be_deleted_until_the_listener_leaves_it(slb, ecs, net, lb_id):
    (a,) = run(ecs, net)
    group = create(slb, lb_id, members((a, 8080, 100))).vserver_group_id
    slb.create_load_balancer_httplistener(
        m.CreateLoadBalancerHTTPListenerRequest(
            region_id=REGION,
            load_balancer_id=lb_id,
            listener_port=80,
            backend_server_port=8080,
            health_check="on",
            vserver_group_id=group,
        )
    )
    err = error_of(slb.delete_vserver_group, m.DeleteVServerGroupRequest(region_id=REGION, vserver_group_id=group))
    assert code(err) == ("RspoolVipExist", 400)
    slb.set_load_balancer_httplistener_attribute(
        m.SetLoadBalancerHTTPListenerAttributeRequest(
            region_id=REGION, load_balancer_id=lb_id, listener_port=80, vserver_group="off"
        )
    )
    attr = slb.describe_load_balancer_httplistener_attribute(
        m.DescribeLoadBalancerHTTPListenerAttributeRequest(region_id=REGION, load_balancer_id=lb_id, listener_port=80)
    ).body
    assert (attr.vserver_group_id, attr.backend_server_port) == ("", 8080)
    slb.delete_vserver_group(m.DeleteVServerGroupRequest(region_id=REGION, vserver_group_id=group))
    assert (
        slb.describe_vserver_groups(
            m.DescribeVServerGroupsRequest(region_id=REGION, load_balancer_id=lb_id)
        ).body.vserver_groups.vserver_group
        == []
    )


def test_switching_a_listener_onto_a_group(slb, ecs, net, lb_id):
    (a,) = run(ecs, net)
    group = create(slb, lb_id, members((a, 8081, 100))).vserver_group_id
    slb.create_load_balancer_tcplistener(
        m.CreateLoadBalancerTCPListenerRequest(
            region_id=REGION, load_balancer_id=lb_id, listener_port=80, backend_server_port=8080, bandwidth=-1
        )
    )
    err = error_of(
        slb.set_load_balancer_tcplistener_attribute,
        m.SetLoadBalancerTCPListenerAttributeRequest(
            region_id=REGION, load_balancer_id=lb_id, listener_port=80, vserver_group="on"
        ),
    )
    assert code(err) == ("MissingParameter", 400)
    err = error_of(
        slb.set_load_balancer_tcplistener_attribute,
        m.SetLoadBalancerTCPListenerAttributeRequest(
            region_id=REGION, load_balancer_id=lb_id, listener_port=80, vserver_group="on", vserver_group_id="rsp-no"
        ),
    )
    assert code(err) == ("InvalidParameter", 404)
    slb.set_load_balancer_tcplistener_attribute(
        m.SetLoadBalancerTCPListenerAttributeRequest(
            region_id=REGION, load_balancer_id=lb_id, listener_port=80, vserver_group="on", vserver_group_id=group
        )
    )
    attr = slb.describe_load_balancer_tcplistener_attribute(
        m.DescribeLoadBalancerTCPListenerAttributeRequest(region_id=REGION, load_balancer_id=lb_id, listener_port=80)
    ).body
    assert attr.vserver_group_id == group


def test_a_listener_cannot_use_a_group_of_another_load_balancer(slb, ecs, net, lb_id):
    other = slb.create_load_balancer(
        m.CreateLoadBalancerRequest(region_id=REGION, instance_charge_type="PayByCLCU", v_switch_id=net.vsw_id)
    ).body
    group = create(slb, other.load_balancer_id).vserver_group_id
    err = error_of(listener_on_group, slb, lb_id, group)
    assert code(err) == ("VipNotMatchRspool", 400)


def test_groups_go_with_their_load_balancer(slb, lb_id):
    group = create(slb, lb_id).vserver_group_id
    slb.delete_load_balancer(m.DeleteLoadBalancerRequest(region_id=REGION, load_balancer_id=lb_id))
    err = error_of(
        slb.describe_vserver_group_attribute,
        m.DescribeVServerGroupAttributeRequest(region_id=REGION, vserver_group_id=group),
    )
    assert code(err) == ("InvalidParameter", 404)


def test_groups_can_be_tagged(slb, lb_id):
    group = create(slb, lb_id).vserver_group_id
    slb.tag_resources(
        m.TagResourcesRequest(
            region_id=REGION,
            resource_type="vservergroup",
            resource_id=[group],
            tag=[m.TagResourcesRequestTag(key="fleet", value="blue")],
        )
    )
    body = slb.list_tag_resources(
        m.ListTagResourcesRequest(region_id=REGION, resource_type="vservergroup", resource_id=[group])
    ).body
    assert tag_rows(body) == [(group, "vservergroup", "fleet", "blue")]


def test_internet_spec_changes_bandwidth_and_metering_in_place(slb):
    # Pay-by-specification instances (the only ones this API changes) are sold as subscriptions only.
    lb = slb.create_load_balancer(
        m.CreateLoadBalancerRequest(
            region_id=REGION, pay_type="PrePay", instance_charge_type="PayBySpec", load_balancer_spec="slb.s1.small"
        )
    )
    lb_id = lb.body.load_balancer_id

    def spec():
        body = slb.describe_load_balancer_attribute(
            m.DescribeLoadBalancerAttributeRequest(region_id=REGION, load_balancer_id=lb_id)
        ).body
        return body.internet_charge_type, body.bandwidth

    slb.modify_load_balancer_internet_spec(
        m.ModifyLoadBalancerInternetSpecRequest(
            region_id=REGION, load_balancer_id=lb_id, internet_charge_type="paybybandwidth", bandwidth=20
        )
    )
    assert spec() == ("paybybandwidth", 20)
    slb.modify_load_balancer_internet_spec(
        m.ModifyLoadBalancerInternetSpecRequest(region_id=REGION, load_balancer_id=lb_id, bandwidth=50)
    )
    assert spec() == ("paybybandwidth", 50)
    err = error_of(
        slb.modify_load_balancer_internet_spec,
        m.ModifyLoadBalancerInternetSpecRequest(region_id=REGION, load_balancer_id=lb_id, bandwidth=6000),
    )
    assert code(err) == ("InvalidParameter", 400)
    assert spec() == ("paybybandwidth", 50)


def test_a_pay_by_lcu_load_balancer_cannot_change_its_internet_spec(slb, lb_id):
    internet = slb.create_load_balancer(
        m.CreateLoadBalancerRequest(region_id=REGION, instance_charge_type="PayByCLCU")
    ).body.load_balancer_id
    for target in (lb_id, internet):
        err = error_of(
            slb.modify_load_balancer_internet_spec,
            m.ModifyLoadBalancerInternetSpecRequest(
                region_id=REGION, load_balancer_id=target, internet_charge_type="paybybandwidth", bandwidth=10
            ),
        )
        assert code(err) == ("Operation.NotAllowed", 400)
