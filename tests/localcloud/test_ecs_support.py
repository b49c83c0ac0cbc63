"""Shared helpers and fixtures of the ECS tests (the test_ecs_* modules import them; this module has no tests)."""
from __future__ import annotations

import types

import pytest
from alibabacloud_ecs20140526 import models as em
from alibabacloud_ecs20140526.client import Client as EcsClient
from alibabacloud_vpc20160428.client import Client as VpcClient

from tests.conftest import REGION, Control, sdk_config
from tests.localcloud.support import ZONE, make_network

IMAGE = "ubuntu_22_04_x64_20G_alibase_20240130.vhd"
TYPE = "ecs.g7.large"


def run_request(net, amount: int = 1, **kwargs) -> em.RunInstancesRequest:
    args = {"region_id": REGION, "image_id": IMAGE, "instance_type": TYPE, "v_switch_id": net.vsw_id,
            "security_group_id": net.sg_id, "amount": amount}
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
    return ecs.create_disk(em.CreateDiskRequest(region_id=REGION, zone_id=zone, size=size, disk_category=category,
                                                **kwargs)).body.disk_id


@pytest.fixture
def net(ecs, vpc):
    return make_network(ecs, vpc)


@pytest.fixture
def timed(timed_server):
    timed_server.emulator.reset()
    control = Control(timed_server.url)
    ecs = EcsClient(sdk_config(timed_server.url))
    vpc = VpcClient(sdk_config(timed_server.url))
    network = make_network(ecs, vpc, control)
    return types.SimpleNamespace(ecs=ecs, vpc=vpc, control=control, net=network)
