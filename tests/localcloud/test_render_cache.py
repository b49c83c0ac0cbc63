"""Cached answers are byte for byte the answers built afresh: the Describe lists served from the store's
cache of encoded resources (and spliced into the body) equal, after every kind of change, the same
request answered with the cache off."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import re
import time
import uuid
from urllib.parse import quote, urlencode

import pytest
from alibabacloud_ecs20140526 import models as em
from alibabacloud_slb20140515 import models as sm

from bench.common import acs3_headers
from localcloud import encoding
from tests.helpers import REGION, credentials_for
from tests.localcloud.helpers import IMAGE, TYPE, make_network

ECS, VPC, SLB = "2014-05-26", "2016-04-28", "2014-05-15"
VIEWS = [
    (ECS, "DescribeInstances", {"PageSize": 100}),
    (ECS, "DescribeDisks", {"MaxResults": 500}),
    (ECS, "DescribeSecurityGroups", {}),
    (VPC, "DescribeVpcs", {}),
    (VPC, "DescribeVSwitches", {}),
    (SLB, "DescribeLoadBalancers", {}),
]
_REQUEST_ID = re.compile(rb'^\{"RequestId": "[0-9A-F-]+", ')


def raw_answer(url: str, version: str, action: str, params: dict) -> bytes:
    """The answer's bytes to an ACS3-HMAC-SHA256 signed request, without its (per-request) RequestId."""
    host = url.split("://", 1)[1]
    creds = credentials_for(url)
    params = {"RegionId": REGION, **params}
    headers = acs3_headers(host, version, action, params, creds.access_key_id, creds.access_key_secret)
    conn = http.client.HTTPConnection(host, timeout=10)
    try:
        conn.request("POST", "/?" + urlencode(params), body=b"", headers=headers)
        resp = conn.getresponse()
        body = resp.read()
    finally:
        conn.close()
    assert resp.status == 200, body
    stripped = _REQUEST_ID.sub(b"{", body)
    assert stripped != body
    return stripped


def answers(emulator) -> dict[str, tuple[bytes, bytes, bytes]]:
    """Per view: (first answer, the same again, the same with the cache off)."""
    store = emulator.emulator.store
    out = {}
    for version, action, params in VIEWS:
        first = raw_answer(emulator.url, version, action, params)
        again = raw_answer(emulator.url, version, action, params)
        store.render_cache = False
        try:
            fresh = raw_answer(emulator.url, version, action, params)
        finally:
            store.render_cache = True
        out[action] = (first, again, fresh)
    return out


def assert_cached_equals_fresh(emulator) -> dict[str, bytes]:
    seen = {}
    for action, (first, again, fresh) in answers(emulator).items():
        assert first == fresh, f"{action}: the cached answer differs from one built afresh"
        assert again == fresh, f"{action}: the answer served from the cache differs from one built afresh"
        seen[action] = fresh
    return seen


@pytest.fixture
def stack(emulator, ecs, vpc, slb, control):
    net = make_network(ecs, vpc, control)
    ids = ecs.run_instances(
        em.RunInstancesRequest(
            region_id=REGION,
            image_id=IMAGE,
            instance_type=TYPE,
            v_switch_id=net.vsw_id,
            security_group_id=net.sg_id,
            amount=3,
            instance_name="node",
            tag=[em.RunInstancesRequestTag(key="app", value="web")],
            data_disk=[em.RunInstancesRequestDataDisk(size=40, category="cloud_ssd", delete_with_instance=False)],
        )
    ).body.instance_id_sets.instance_id_set
    lb_id = slb.create_load_balancer(
        sm.CreateLoadBalancerRequest(
            region_id=REGION, address_type="intranet", instance_charge_type="PayByCLCU", v_switch_id=net.vsw_id
        )
    ).body.load_balancer_id
    control.advance(60)
    return net, ids, lb_id


def test_cached_answers_equal_fresh_ones_across_create_tag_stop_rename_and_delete(emulator, ecs, control, stack):
    net, ids, _ = stack
    created = assert_cached_equals_fresh(emulator)
    assert created["DescribeInstances"].count(b'"InstanceId"') == 3

    ecs.tag_resources(
        em.TagResourcesRequest(
            region_id=REGION,
            resource_type="instance",
            resource_id=ids[:2],
            tag=[em.TagResourcesRequestTag(key="tier", value="gold")],
        )
    )
    tagged = assert_cached_equals_fresh(emulator)
    assert tagged["DescribeInstances"].count(b'"tier"') == 2

    ecs.stop_instances(em.StopInstancesRequest(region_id=REGION, instance_id=[ids[0]]))
    control.advance(60)
    stopped = assert_cached_equals_fresh(emulator)
    assert stopped["DescribeInstances"].count(b'"Status": "Stopped"') == 1

    ecs.modify_instance_attribute(em.ModifyInstanceAttributeRequest(instance_id=ids[1], instance_name="renamed"))
    renamed = assert_cached_equals_fresh(emulator)
    assert b'"InstanceName": "renamed"' in renamed["DescribeInstances"]

    ecs.delete_instances(em.DeleteInstancesRequest(region_id=REGION, instance_id=[ids[2]], force=True))
    control.advance(60)
    deleted = assert_cached_equals_fresh(emulator)
    assert deleted["DescribeInstances"].count(b'"InstanceId"') == 2
    assert deleted["DescribeDisks"].count(b'"Status": "Available"') == 1  # its kept data disk
    assert deleted["DescribeSecurityGroups"] != renamed["DescribeSecurityGroups"]  # EcsCount 3 -> 2


def test_an_answer_depending_on_another_kind_is_rebuilt_when_that_kind_changes(emulator, vpc, control, stack):
    net, _, _ = stack
    before = assert_cached_equals_fresh(emulator)["DescribeVpcs"]
    from tests.localcloud.helpers import add_vswitch

    add_vswitch(vpc, net, "10.0.2.0/24", control=control)
    after = assert_cached_equals_fresh(emulator)["DescribeVpcs"]
    assert after != before and after.count(b"vsw-") == before.count(b"vsw-") + 1


def test_encoder_output_equals_the_standard_encoder_with_lists_spliced_in():
    items = [{"Name": "é ü \u2028 \x00", "Size": 1.5e16, "Tags": {"Tag": []}}, {"N": None, "B": True, "F": 0.1}]
    texts = encoding.EncodedList([encoding.dumps(i) for i in items])
    body = {"RequestId": "X", "Items": {"Item": texts}, "Empty": encoding.EncodedList([]), "Total": 2}
    plain = {"RequestId": "X", "Items": {"Item": items}, "Empty": [], "Total": 2}
    import json

    assert encoding.encode(body) == json.dumps(plain, ensure_ascii=False).encode()
