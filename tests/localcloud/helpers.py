"""Helpers of the emulator tests (fixtures live in conftest.py): API error capture and checks, SDK model
completeness, a test network, and the ECS and SLB tests' requests (instances, disks, running backends)."""

from __future__ import annotations

import functools
import json
import types

import pytest
from alibabacloud_ecs20140526 import models as em
from alibabacloud_ecs20140526.client import Client as EcsClient
from alibabacloud_slb20140515.client import Client as SlbClient
from alibabacloud_tea_openapi.exceptions._alibaba_cloud import AlibabaCloudException
from alibabacloud_vpc20160428 import models as vm
from alibabacloud_vpc20160428.client import Client as VpcClient

from tests.helpers import REGION, Control, sdk_config

ZONE = "cn-hangzhou-i"
IMAGE = "ubuntu_22_04_x64_20G_alibase_20240130.vhd"
TYPE = "ecs.g7.large"


def error_of(func, *args, **kwargs):
    """The API error a call raises (the SDK's exceptions carry .code, .status_code and .data)."""
    with pytest.raises(AlibabaCloudException) as info:
        func(*args, **kwargs)
    return info.value


def assert_error(err, code: str, status: int, text: str | None = None) -> None:
    assert (err.code, err.status_code) == (code, status), err
    if text is not None:
        assert text in err.data["Message"]


def assert_complete(model, allow: tuple[str, ...] = (), path: str = "body") -> None:
    """No field of the parsed SDK model is None: the emulator sent every key with the SDK's exact case."""
    for name, value in vars(model).items():
        if name in allow:
            continue
        assert value is not None, f"{path}.{name} is None"
        if isinstance(value, list):
            for i, item in enumerate(value):
                if hasattr(item, "to_map"):
                    assert_complete(item, allow, f"{path}.{name}[{i}]")
        elif hasattr(value, "to_map"):
            assert_complete(value, allow, f"{path}.{name}")


def tag_rows(body) -> list[tuple]:
    """ListTagResources rows as (ResourceId, ResourceType, TagKey, TagValue) (ECS, VPC and SLB alike)."""
    return [(r.resource_id, r.resource_type, r.tag_key, r.tag_value) for r in body.tag_resources.tag_resource]


def make_network(
    ecs,
    vpc,
    control: Control | None = None,
    vpc_cidr: str = "10.0.0.0/16",
    vsw_cidr: str = "10.0.1.0/24",
    zone: str = ZONE,
) -> types.SimpleNamespace:
    """A VPC, one vSwitch and one security group, through the VPC and ECS SDKs.

    With `control` (a timed emulator) the clock is moved past the VPC and vSwitch creation times.
    """
    vpc_id = vpc.create_vpc(vm.CreateVpcRequest(region_id=REGION, cidr_block=vpc_cidr)).body.vpc_id
    if control:
        control.advance(10)
    vsw_id = vpc.create_vswitch(
        vm.CreateVSwitchRequest(region_id=REGION, vpc_id=vpc_id, zone_id=zone, cidr_block=vsw_cidr)
    ).body.v_switch_id
    if control:
        control.advance(10)
    sg_id = ecs.create_security_group(
        em.CreateSecurityGroupRequest(region_id=REGION, vpc_id=vpc_id, security_group_name="web")
    ).body.security_group_id
    return types.SimpleNamespace(vpc_id=vpc_id, vsw_id=vsw_id, sg_id=sg_id, zone=zone)


def add_vswitch(vpc, net, cidr: str, zone: str = ZONE, control: Control | None = None) -> str:
    vsw_id = vpc.create_vswitch(
        vm.CreateVSwitchRequest(region_id=REGION, vpc_id=net.vpc_id, zone_id=zone, cidr_block=cidr)
    ).body.v_switch_id
    if control:
        control.advance(10)
    return vsw_id


def run_request(net, amount: int = 1, **kwargs) -> em.RunInstancesRequest:
    args = {
        "region_id": REGION,
        "image_id": IMAGE,
        "instance_type": TYPE,
        "v_switch_id": net.vsw_id,
        "security_group_id": net.sg_id,
        "amount": amount,
    }
    args.update(kwargs)
    return em.RunInstancesRequest(**args)


def run(ecs, net, amount: int = 1, **kwargs) -> list[str]:
    return ecs.run_instances(run_request(net, amount, **kwargs)).body.instance_id_sets.instance_id_set


def instances(ecs, **kwargs) -> list:
    return ecs.describe_instances(em.DescribeInstancesRequest(region_id=REGION, **kwargs)).body.instances.instance


def instance(ecs, instance_id: str):
    found = instances(ecs, instance_ids=f'["{instance_id}"]')
    return found[0] if found else None


def status_of(ecs, instance_id: str) -> str | None:
    found = instance(ecs, instance_id)
    return found.status if found else None


def disks(ecs, **kwargs) -> list:
    return ecs.describe_disks(em.DescribeDisksRequest(region_id=REGION, **kwargs)).body.disks.disk


def disk(ecs, disk_id: str):
    found = disks(ecs, disk_ids=f'["{disk_id}"]')
    return found[0] if found else None


def create_disk(ecs, zone: str = ZONE, size: int = 40, category: str = "cloud_essd", **kwargs) -> str:
    return ecs.create_disk(
        em.CreateDiskRequest(region_id=REGION, zone_id=zone, size=size, disk_category=category, **kwargs)
    ).body.disk_id


def slb_network(vpc, ecs, cidr="10.0.0.0/16"):
    """A VPC with one vSwitch (zone h) and a security group (the SLB backend tests' network)."""
    return make_network(ecs, vpc, vpc_cidr=cidr, vsw_cidr=cidr.replace("0.0/16", "1.0/24"), zone="cn-hangzhou-h")


def run_running(ecs, net, amount=1) -> list[str]:
    """Instances started by RunInstances on the instant emulator, checked Running (backends for the SLB tests)."""
    ids = ecs.run_instances(
        em.RunInstancesRequest(
            region_id=REGION,
            image_id=IMAGE,
            instance_type=TYPE,
            security_group_id=net.sg_id,
            v_switch_id=net.vsw_id,
            amount=amount,
        )
    ).body.instance_id_sets.instance_id_set
    statuses = {
        i.status
        for i in ecs.describe_instances(
            em.DescribeInstancesRequest(region_id=REGION, instance_ids=json.dumps(ids))
        ).body.instances.instance
    }
    assert statuses == {"Running"}
    return ids


class TimedCloud:
    """The timed emulator as the tests see it: SDK clients, its control API, and a ready network made on first use."""

    def __init__(self, url: str):
        self.control = Control(url)
        self.ecs = EcsClient(sdk_config(url))
        self.vpc = VpcClient(sdk_config(url))
        self.slb = SlbClient(sdk_config(url))

    @functools.cached_property
    def net(self):
        return make_network(self.ecs, self.vpc, self.control)
