"""SLB tags through the official SDK: instances and listeners, {TagKey, TagValue}, limits, paging."""

from __future__ import annotations

import pytest
from alibabacloud_slb20140515 import models as m

from tests.helpers import REGION
from tests.localcloud.helpers import error_of, tag_rows


@pytest.fixture
def lb_id(slb):
    return slb.create_load_balancer(
        m.CreateLoadBalancerRequest(region_id=REGION, instance_charge_type="PayByCLCU")
    ).body.load_balancer_id


def tag(slb, ids, pairs, rtype="instance"):
    return slb.tag_resources(
        m.TagResourcesRequest(
            region_id=REGION,
            resource_type=rtype,
            resource_id=list(ids),
            tag=[m.TagResourcesRequestTag(key=k, value=v) for k, v in pairs],
        )
    )


def untag(slb, ids, keys=None, all_=None, rtype="instance"):
    return slb.untag_resources(
        m.UntagResourcesRequest(region_id=REGION, resource_type=rtype, resource_id=list(ids), tag_key=keys, all=all_)
    )


def listed(slb, rtype="instance", ids=None, filters=None, **kw):
    return slb.list_tag_resources(
        m.ListTagResourcesRequest(
            region_id=REGION,
            resource_type=rtype,
            resource_id=ids,
            tag=[m.ListTagResourcesRequestTag(key=k, value=v) for k, v in (filters or [])] or None,
            **kw,
        )
    ).body


def lb_tags(slb, lb_id):
    body = slb.describe_load_balancer_attribute(m.DescribeLoadBalancerAttributeRequest(load_balancer_id=lb_id)).body
    return {t.tag_key: t.tag_value for t in body.tags.tag}


def test_tags_on_a_load_balancer_show_as_tag_key_and_tag_value(slb, lb_id):
    tag(slb, [lb_id], [("stack", "s1"), ("role", "")])
    assert lb_tags(slb, lb_id) == {"stack": "s1", "role": ""}
    entry = slb.describe_load_balancers(m.DescribeLoadBalancersRequest(region_id=REGION)).body.load_balancers
    assert {(t.tag_key, t.tag_value) for t in entry.load_balancer[0].tags.tag} == {("stack", "s1"), ("role", "")}
    assert tag_rows(listed(slb, ids=[lb_id])) == [(lb_id, "instance", "role", ""), (lb_id, "instance", "stack", "s1")]


def test_a_listener_is_tagged_by_lb_protocol_and_port(slb, lb_id):
    slb.create_load_balancer_tcplistener(
        m.CreateLoadBalancerTCPListenerRequest(
            load_balancer_id=lb_id, listener_port=443, backend_server_port=443, bandwidth=-1
        )
    )
    resource = f"{lb_id}_tcp_443"
    tag(slb, [resource], [("tier", "edge")], rtype="listener")
    assert tag_rows(listed(slb, "listener", filters=[("tier", "edge")])) == [(resource, "listener", "tier", "edge")]
    body = slb.describe_load_balancer_tcplistener_attribute(
        m.DescribeLoadBalancerTCPListenerAttributeRequest(load_balancer_id=lb_id, listener_port=443)
    ).body
    assert [(t.tag_key, t.tag_value) for t in body.tags.tag] == [("tier", "edge")]
    listing = slb.describe_load_balancer_listeners(
        m.DescribeLoadBalancerListenersRequest(
            region_id=REGION, tag=[m.DescribeLoadBalancerListenersRequestTag(key="tier", value="edge")]
        )
    ).body
    assert [(x.listener_port, [(t.tag_key, t.tag_value) for t in x.tags]) for x in listing.listeners] == [
        (443, [("tier", "edge")])
    ]


def test_tagging_a_missing_listener_is_listener_not_found(slb, lb_id):
    err = error_of(tag, slb, [f"{lb_id}_http_80"], [("k", "v")], rtype="listener")
    assert (err.code, err.status_code) == ("ListenerNotFound", 404)


def test_tagging_an_unknown_load_balancer_is_404(slb, lb_id):
    err = error_of(tag, slb, [lb_id, "lb-nothere"], [("k", "v")])
    assert (err.code, err.status_code) == ("InvalidLoadBalancerId.NotFound", 404)
    assert lb_tags(slb, lb_id) == {}


def test_the_21st_tag_on_a_load_balancer_is_tag_count_limit(slb, lb_id):
    tag(slb, [lb_id], [(f"k{i}", "v") for i in range(20)])
    err = error_of(tag, slb, [lb_id], [("more", "v")])
    assert (err.code, err.status_code) == ("TagCountLimit", 400)
    assert len(lb_tags(slb, lb_id)) == 20


def test_more_than_20_tags_in_one_call_is_refused(slb, lb_id):
    err = error_of(tag, slb, [lb_id], [(f"k{i}", "v") for i in range(21)])
    assert (err.code, err.status_code) == ("TagCreateCountLimit", 400)


def test_more_than_20_resources_in_one_call_is_invalid(slb, lb_id):
    err = error_of(tag, slb, [lb_id] * 21, [("k", "v")])
    assert (err.code, err.status_code) == ("InvalidParameter", 400)


@pytest.mark.parametrize("key", ["k" * 65, "aliyun-x", "acs:x"])
def test_a_long_or_reserved_key_is_invalid(slb, lb_id, key):
    err = error_of(tag, slb, [lb_id], [(key, "v")])
    assert (err.code, err.status_code) == ("InvalidParameter", 400)


def test_an_unknown_resource_type_is_invalid(slb, lb_id):
    err = error_of(tag, slb, [lb_id], [("k", "v")], rtype="loadbalancer")
    assert (err.code, err.status_code) == ("InvalidParameter", 400)


def test_create_load_balancer_with_21_tags_is_refused(slb):
    err = error_of(
        slb.create_load_balancer,
        m.CreateLoadBalancerRequest(
            region_id=REGION,
            instance_charge_type="PayByCLCU",
            tag=[m.CreateLoadBalancerRequestTag(key=f"k{i}", value="v") for i in range(21)],
        ),
    )
    assert (err.code, err.status_code) == ("TagCreateCountLimit", 400)


def test_untag_removes_named_keys_or_all(slb, lb_id):
    tag(slb, [lb_id], [("a", "1"), ("b", "2"), ("c", "3")])
    untag(slb, [lb_id], keys=["a"])
    assert lb_tags(slb, lb_id) == {"b": "2", "c": "3"}
    untag(slb, [lb_id])  # neither TagKey.N nor All: nothing is removed
    assert lb_tags(slb, lb_id) == {"b": "2", "c": "3"}
    untag(slb, [lb_id], all_=True)
    assert lb_tags(slb, lb_id) == {}


def test_list_tag_resources_filters_by_tag(slb, lb_id):
    other = slb.create_load_balancer(
        m.CreateLoadBalancerRequest(region_id=REGION, instance_charge_type="PayByCLCU")
    ).body.load_balancer_id
    tag(slb, [lb_id], [("stack", "s1"), ("role", "web")])
    tag(slb, [other], [("stack", "s2")])
    assert tag_rows(listed(slb, filters=[("stack", "s1")])) == [
        (lb_id, "instance", "role", "web"),
        (lb_id, "instance", "stack", "s1"),
    ]
    assert {r[0] for r in tag_rows(listed(slb, filters=[("stack", None)]))} == {lb_id, other}


def test_list_tag_resources_pages_50_rows_at_a_time(slb):
    made = [
        slb.create_load_balancer(
            m.CreateLoadBalancerRequest(region_id=REGION, instance_charge_type="PayByCLCU")
        ).body.load_balancer_id
        for _ in range(3)
    ]
    tag(slb, made, [(f"k{i:02}", "v") for i in range(20)])
    first = listed(slb, ids=made)
    assert len(first.tag_resources.tag_resource) == 50 and first.next_token
    second = listed(slb, ids=made, next_token=first.next_token)
    assert len(second.tag_resources.tag_resource) == 10 and second.next_token == ""


def test_tags_go_with_the_deleted_load_balancer(slb, lb_id):
    tag(slb, [lb_id], [("stack", "s1")])
    slb.delete_load_balancer(m.DeleteLoadBalancerRequest(load_balancer_id=lb_id))
    assert tag_rows(listed(slb, filters=[("stack", "s1")])) == []
