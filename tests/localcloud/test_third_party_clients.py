"""Third-party clients read localcloud's answers: footmark (the Python library behind the Ansible alicloud
collection, on the legacy HMAC-SHA1 SDK) describes every resource a stack has, and answers keep the field
order of the documented sample answers, which footmark depends on."""

from __future__ import annotations

import json

import pytest
from alibabacloud_ecs20140526 import models as em
from alibabacloud_slb20140515 import models as sm

from localcloud.ecs.responses import answer_order
from localcloud.slb import answer_order as slb_order
from localcloud.vpc import answer_order as vpc_order
from tests.helpers import REGION, sdk_config
from tests.localcloud.helpers import create_disk, run


@pytest.fixture
def legacy(emulator):
    """The legacy SDK's endpoints of ECS, VPC and SLB in REGION point at the emulator; the keys come from it."""
    from aliyunsdkcore.endpoint.default_endpoint_resolver import DefaultEndpointResolver

    resolver = DefaultEndpointResolver.predefined_endpoint_resolver
    host = emulator.url.split("://", 1)[1]
    for product in ("ecs", "vpc", "slb"):
        resolver.put_endpoint_entry(REGION, product, host)
    cfg = sdk_config(emulator.url)
    yield {"acs_access_key_id": cfg.access_key_id, "acs_secret_access_key": cfg.access_key_secret, "region": REGION}
    resolver.reset()


@pytest.fixture
def stack(ecs, slb, net):
    instance_id = run(ecs, net)[0]
    disk_id = create_disk(ecs, zone=net.zone)
    lb_id = slb.create_load_balancer(
        sm.CreateLoadBalancerRequest(
            region_id=REGION, v_switch_id=net.vsw_id, address_type="intranet", instance_charge_type="PayByCLCU"
        )
    ).body.load_balancer_id
    slb.create_load_balancer_httplistener(
        sm.CreateLoadBalancerHTTPListenerRequest(
            load_balancer_id=lb_id, listener_port=80, backend_server_port=8080, bandwidth=-1, health_check="on"
        )
    )
    return {"net": net, "instance": instance_id, "disk": disk_id, "lb": lb_id}


def test_footmark_describes_instances_with_their_addresses(legacy, stack):
    from footmark.ecs.connection import ECSConnection

    found = ECSConnection(**legacy).describe_instances()
    # Before the answer kept the documented order, footmark's Instance.__setattr__ read `eip_address` while setting
    # `public_ip_address` (before `instance_id`), and its __getattr__/__repr__ recursed: RecursionError.
    assert [i.id for i in found] == [stack["instance"]]
    read = found[0].read()
    assert (read["vpc_id"], read["vswitch_id"]) == (stack["net"].vpc_id, stack["net"].vsw_id)
    assert found[0].private_ip_address.startswith("10.0.1.")
    assert found[0].public_ip_address == ""


def test_footmark_describes_disks_and_security_groups(legacy, stack):
    from footmark.ecs.connection import ECSConnection

    conn = ECSConnection(**legacy)
    assert stack["disk"] in [d.id for d in conn.describe_disks()]
    groups = conn.describe_security_groups()
    assert [g.read()["vpc_id"] for g in groups] == [stack["net"].vpc_id]
    attribute = conn.describe_security_group_attribute(security_group_id=stack["net"].sg_id).read()
    assert attribute["id"] == stack["net"].sg_id


def test_footmark_describes_vpcs_and_vswitches(legacy, stack):
    from footmark.vpc.connection import VPCConnection

    conn = VPCConnection(**legacy)
    assert [v.id for v in conn.describe_vpcs()] == [stack["net"].vpc_id]
    assert [v.read()["vpc_id"] for v in conn.describe_vswitches()] == [stack["net"].vpc_id]


def test_footmark_describes_load_balancers_listeners_and_health(legacy, stack):
    from footmark.slb.connection import SLBConnection

    conn = SLBConnection(**legacy)
    assert [lb.id for lb in conn.describe_load_balancers()] == [stack["lb"]]
    assert conn.describe_load_balancer_attribute(load_balancer_id=stack["lb"]).read()["address_type"] == "intranet"
    assert conn.describe_load_balancer_listener_attribute(stack["lb"], 80, "http") is not None
    assert conn.describe_backend_servers_health_status(load_balancer_id=stack["lb"]) == []


def _raw_describe_instances(legacy) -> dict:
    from aliyunsdkcore.client import AcsClient
    from aliyunsdkecs.request.v20140526.DescribeInstancesRequest import DescribeInstancesRequest

    client = AcsClient(legacy["acs_access_key_id"], legacy["acs_secret_access_key"], REGION)
    return json.loads(client.do_action_with_exception(DescribeInstancesRequest()))


def test_describe_instances_keeps_the_documented_field_order(legacy, stack):
    body = _raw_describe_instances(legacy)
    instance = body["Instances"]["Instance"][0]
    keys = [k for k in instance if k in answer_order.INSTANCE]
    assert keys == [k for k in answer_order.INSTANCE if k in instance]
    order = list(instance)
    assert order.index("EipAddress") < order.index("InnerIpAddress") < order.index("PublicIpAddress")
    assert order.index("EipAddress") < order.index("InstanceId")
    assert list(instance["VpcAttributes"])[:4] == ["NatIpAddress", "PrivateIpAddress", "VSwitchId", "VpcId"]
    assert [k for k in body if k != "RequestId"][:3] == ["PageNumber", "TotalCount", "PageSize"]


def test_footmark_modifies_vpc_group_and_disk_attributes(legacy, stack, ecs, vpc):
    from alibabacloud_vpc20160428 import models as vm
    from footmark.ecs.connection import ECSConnection
    from footmark.vpc.connection import VPCConnection

    assert VPCConnection(**legacy).modify_vpc_attribute(vpc_id=stack["net"].vpc_id, vpc_name="fleet-renamed")
    conn = ECSConnection(**legacy)
    assert conn.modify_security_group_attribute(security_group_id=stack["net"].sg_id, security_group_name="web-2")
    assert conn.modify_disk_attribute(disk_id=stack["disk"], disk_name="model-data")
    assert (
        vpc.describe_vpc_attribute(
            vm.DescribeVpcAttributeRequest(region_id=REGION, vpc_id=stack["net"].vpc_id)
        ).body.vpc_name
        == "fleet-renamed"
    )
    group = ecs.describe_security_group_attribute(
        em.DescribeSecurityGroupAttributeRequest(region_id=REGION, security_group_id=stack["net"].sg_id)
    ).body
    assert group.security_group_name == "web-2"
    disks = ecs.describe_disks(em.DescribeDisksRequest(region_id=REGION, disk_ids=json.dumps([stack["disk"]])))
    assert disks.body.disks.disk[0].disk_name == "model-data"


def test_footmark_reads_one_instance_with_describe_instance_attribute(legacy, stack):
    from footmark.ecs.connection import ECSConnection

    found = ECSConnection(**legacy).get_instance_details(stack["instance"])
    assert (found.id, found.vpc_id) == (stack["instance"], stack["net"].vpc_id)
    assert found.public_ip_address == ""


PRODUCTS = {"2014-05-26": "Ecs", "2016-04-28": "Vpc", "2014-05-15": "Slb"}


def _raw(legacy, version: str, action: str, **params) -> dict:
    """An answer as the wire JSON, key order kept (the legacy SDK's CommonRequest)."""
    from aliyunsdkcore.client import AcsClient
    from aliyunsdkcore.request import CommonRequest

    client = AcsClient(legacy["acs_access_key_id"], legacy["acs_secret_access_key"], REGION)
    request = CommonRequest(version=version, action_name=action, product=PRODUCTS[version])
    request.set_method("POST")
    for key, value in {"RegionId": REGION, **params}.items():
        request.add_query_param(key, value)
    return json.loads(client.do_action_with_exception(request))


def _in_sample_order(obj: dict, order: tuple[str, ...]) -> None:
    """The keys the documented sample names come first, in the sample's order."""
    keys = list(obj)
    named = [k for k in order if k in obj]
    assert keys[: len(named)] == named, keys


@pytest.mark.parametrize(
    "version, action, path, order",
    [
        ("2014-05-26", "DescribeDisks", ("Disks", "Disk"), answer_order.DISK),
        ("2014-05-26", "DescribeSecurityGroups", ("SecurityGroups", "SecurityGroup"), answer_order.SECURITY_GROUP),
        ("2016-04-28", "DescribeVpcs", ("Vpcs", "Vpc"), vpc_order.VPC),
        ("2016-04-28", "DescribeVSwitches", ("VSwitches", "VSwitch"), vpc_order.VSWITCH),
        ("2014-05-15", "DescribeLoadBalancers", ("LoadBalancers", "LoadBalancer"), slb_order.LOAD_BALANCER),
    ],
)
def test_describe_lists_keep_the_documented_field_order(legacy, stack, version, action, path, order):
    body = _raw(legacy, version, action)
    items = body[path[0]][path[1]]
    assert items
    for item in items:
        _in_sample_order(item, order)


def test_load_balancer_listener_and_health_answers_keep_the_documented_field_order(legacy, stack, slb):
    slb.add_backend_servers(
        sm.AddBackendServersRequest(
            load_balancer_id=stack["lb"], backend_servers=json.dumps([{"ServerId": stack["instance"], "Weight": "100"}])
        )
    )
    attribute = _raw(legacy, "2014-05-15", "DescribeLoadBalancerAttribute", LoadBalancerId=stack["lb"])
    _in_sample_order({k: v for k, v in attribute.items() if k != "RequestId"}, slb_order.LOAD_BALANCER_ATTRIBUTE)
    assert list(attribute["BackendServers"]["BackendServer"][0])[:4] == ["Type", "Description", "ServerId", "Weight"]
    listener = _raw(
        legacy, "2014-05-15", "DescribeLoadBalancerHTTPListenerAttribute", LoadBalancerId=stack["lb"], ListenerPort="80"
    )
    _in_sample_order({k: v for k, v in listener.items() if k != "RequestId"}, slb_order.HTTP_LISTENER)
    health = _raw(legacy, "2014-05-15", "DescribeHealthStatus", LoadBalancerId=stack["lb"])
    row = health["BackendServers"]["BackendServer"][0]
    _in_sample_order(row, slb_order.HEALTH_ROW)


def test_describe_security_group_attribute_keeps_the_documented_field_order(legacy, stack, ecs):
    ecs.authorize_security_group(
        em.AuthorizeSecurityGroupRequest(
            region_id=REGION,
            security_group_id=stack["net"].sg_id,
            ip_protocol="TCP",
            port_range="80/80",
            source_cidr_ip="0.0.0.0/0",
        )
    )
    body = _raw(legacy, "2014-05-26", "DescribeSecurityGroupAttribute", SecurityGroupId=stack["net"].sg_id)
    _in_sample_order(
        {k: v for k, v in body.items() if k not in ("RequestId", "NextToken")}, answer_order.SECURITY_GROUP_ATTRIBUTE
    )
    _in_sample_order(body["Permissions"]["Permission"][0], answer_order.PERMISSION)
