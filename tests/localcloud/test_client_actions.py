"""Actions third-party clients call besides the provisioner's: CreateInstance, DescribeInstanceAttribute,
ModifyDiskAttribute, ModifySecurityGroupAttribute (ECS) and ModifyVpcAttribute (VPC), through the official SDKs."""

from __future__ import annotations

from alibabacloud_ecs20140526 import models as em
from alibabacloud_vpc20160428 import models as vm

from tests.helpers import REGION
from tests.localcloud.helpers import (
    IMAGE,
    TYPE,
    assert_complete,
    assert_error,
    create_disk,
    disk,
    error_of,
    instance,
    instances,
    run,
)


def create_instance(ecs, net, **kwargs) -> str:
    args = {
        "region_id": REGION,
        "image_id": IMAGE,
        "instance_type": TYPE,
        "v_switch_id": net.vsw_id,
        "security_group_id": net.sg_id,
    }
    args.update(kwargs)
    return ecs.create_instance(em.CreateInstanceRequest(**args)).body.instance_id


# CreateInstance ---------------------------------------------------------------------------------------------
def test_create_instance_makes_one_stopped_instance_without_a_public_ip(ecs, net):
    instance_id = create_instance(
        ecs,
        net,
        internet_max_bandwidth_out=5,
        instance_name="old-style",
        tag=[em.CreateInstanceRequestTag(key="app", value="web")],
    )
    found = instance(ecs, instance_id)
    assert found.status == "Stopped"
    assert found.public_ip_address.ip_address == []
    assert found.instance_name == "old-style"
    assert [(t.tag_key, t.tag_value) for t in found.tags.tag] == [("app", "web")]
    assert len(instances(ecs)) == 1


def test_create_instance_then_start_instance_runs_it(ecs, net):
    instance_id = create_instance(ecs, net)
    instance(ecs, instance_id)  # the instant emulator completes Pending -> Stopped at the next request
    ecs.start_instance(em.StartInstanceRequest(instance_id=instance_id))
    instance(ecs, instance_id)
    assert instance(ecs, instance_id).status == "Running"


def test_create_instance_twice_with_one_client_token_creates_once(ecs, net):
    first = create_instance(ecs, net, client_token="ci-token-1")
    second = create_instance(ecs, net, client_token="ci-token-1")
    assert first == second
    assert len(instances(ecs)) == 1


def test_create_instance_without_a_security_group_is_missing_parameter(ecs, net):
    err = error_of(create_instance, ecs, net, security_group_id=None)
    assert_error(err, "MissingParameter", 400, "SecurityGroupId")


def test_create_instance_with_an_unknown_image_is_not_found(ecs, net):
    assert_error(error_of(create_instance, ecs, net, image_id="nope.vhd"), "InvalidImageId.NotFound", 404)
    assert instances(ecs) == []


# DescribeInstanceAttribute -------------------------------------------------------------------------------------
def test_describe_instance_attribute_answers_every_model_field(ecs, net):
    instance_id = run(ecs, net)[0]
    body = ecs.describe_instance_attribute(em.DescribeInstanceAttributeRequest(instance_id=instance_id)).body
    assert_complete(body)
    assert (body.instance_id, body.vpc_attributes.vpc_id, body.vpc_attributes.v_switch_id) == (
        instance_id,
        net.vpc_id,
        net.vsw_id,
    )
    assert body.security_group_ids.security_group_id == [net.sg_id]
    assert body.vpc_attributes.private_ip_address.ip_address == [
        instance(ecs, instance_id).vpc_attributes.private_ip_address.ip_address[0]
    ]


def test_describe_instance_attribute_of_an_unknown_instance_is_not_found(ecs):
    err = error_of(ecs.describe_instance_attribute, em.DescribeInstanceAttributeRequest(instance_id="i-nope"))
    assert_error(err, "InvalidInstanceId.NotFound", 404)


# ModifyDiskAttribute -----------------------------------------------------------------------------------------
def modify_disk(ecs, **kwargs):
    return ecs.modify_disk_attribute(em.ModifyDiskAttributeRequest(region_id=REGION, **kwargs))


def test_modify_disk_attribute_renames_and_keeps_the_disk_on_release(ecs):
    disk_id = create_disk(ecs)
    modify_disk(
        ecs,
        disk_id=disk_id,
        disk_name="model-data",
        description="the model files",
        delete_with_instance=False,
        delete_auto_snapshot=False,
    )
    found = disk(ecs, disk_id)
    assert (found.disk_name, found.description, found.delete_with_instance, found.delete_auto_snapshot) == (
        "model-data",
        "the model files",
        False,
        False,
    )


def test_modify_disk_attribute_changes_several_disks_at_once(ecs):
    ids = [create_disk(ecs), create_disk(ecs)]
    modify_disk(ecs, disk_ids=ids, disk_name="shared")
    assert [disk(ecs, d).disk_name for d in ids] == ["shared", "shared"]


def test_modify_disk_attribute_without_an_attribute_is_no_attribute_to_modify(ecs):
    assert_error(error_of(modify_disk, ecs, disk_id=create_disk(ecs)), "NoAttributeToModify", 400)


def test_modify_disk_attribute_with_a_bad_name_is_malformed_and_changes_nothing(ecs):
    ids = [create_disk(ecs, disk_name="kept")]
    assert_error(error_of(modify_disk, ecs, disk_id=ids[0], disk_name="http://x"), "InvalidDiskName.Malformed", 400)
    assert disk(ecs, ids[0]).disk_name == "kept"


def test_modify_disk_attribute_of_an_unknown_disk_is_not_found_and_changes_no_other(ecs):
    known = create_disk(ecs, disk_name="kept")
    err = error_of(modify_disk, ecs, disk_ids=[known, "d-nope"], disk_name="changed")
    assert_error(err, "InvalidDiskId.NotFound", 404)
    assert disk(ecs, known).disk_name == "kept"


def test_modify_disk_attribute_without_a_disk_is_missing_parameter(ecs):
    assert_error(error_of(modify_disk, ecs, disk_name="x1"), "MissingParameter", 400, "DiskId")


# ModifySecurityGroupAttribute ---------------------------------------------------------------------------------
def modify_group(ecs, group_id, **kwargs):
    return ecs.modify_security_group_attribute(
        em.ModifySecurityGroupAttributeRequest(region_id=REGION, security_group_id=group_id, **kwargs)
    )


def test_modify_security_group_attribute_renames_the_group(ecs, net):
    modify_group(ecs, net.sg_id, security_group_name="web-2", description="only HTTP in")
    body = ecs.describe_security_group_attribute(
        em.DescribeSecurityGroupAttributeRequest(region_id=REGION, security_group_id=net.sg_id)
    ).body
    assert (body.security_group_name, body.description) == ("web-2", "only HTTP in")


def test_modify_security_group_attribute_with_a_bad_name_is_malformed(ecs, net):
    err = error_of(modify_group, ecs, net.sg_id, security_group_name="1starts-with-a-digit")
    assert_error(err, "InvalidSecurityGroupName.Malformed", 400)


def test_modify_security_group_attribute_with_a_bad_description_is_malformed(ecs, net):
    err = error_of(modify_group, ecs, net.sg_id, description="https://example.com")
    assert_error(err, "InvalidSecurityGroupDiscription.Malformed", 400)


def test_modify_security_group_attribute_of_an_unknown_group_is_not_found(ecs):
    assert_error(
        error_of(modify_group, ecs, "sg-nope", security_group_name="web"), "InvalidSecurityGroupId.NotFound", 404
    )


# ModifyVpcAttribute -------------------------------------------------------------------------------------------
def modify_vpc(vpc, vpc_id, **kwargs):
    return vpc.modify_vpc_attribute(vm.ModifyVpcAttributeRequest(region_id=REGION, vpc_id=vpc_id, **kwargs))


def vpc_attribute(vpc, vpc_id):
    return vpc.describe_vpc_attribute(vm.DescribeVpcAttributeRequest(region_id=REGION, vpc_id=vpc_id)).body


def test_modify_vpc_attribute_renames_the_vpc(vpc, net):
    modify_vpc(vpc, net.vpc_id, vpc_name="fleet", description="model servers")
    body = vpc_attribute(vpc, net.vpc_id)
    assert (body.vpc_name, body.description) == ("fleet", "model servers")


def test_modify_vpc_attribute_grows_the_cidr_block_around_its_vswitches(vpc, net):
    modify_vpc(vpc, net.vpc_id, cidr_block="10.0.0.0/8")
    assert vpc_attribute(vpc, net.vpc_id).cidr_block == "10.0.0.0/8"


def test_modify_vpc_attribute_to_a_block_without_its_vswitch_is_invalid(vpc, net):
    err = error_of(modify_vpc, vpc, net.vpc_id, cidr_block="192.168.0.0/16")
    assert_error(err, "InvalidCidrBlock.Malformed", 400, "CIDR")
    assert vpc_attribute(vpc, net.vpc_id).cidr_block == "10.0.0.0/16"


def test_modify_vpc_attribute_with_a_bad_name_is_malformed(vpc, net):
    assert_error(error_of(modify_vpc, vpc, net.vpc_id, vpc_name="http://fleet"), "InvalidVpcName.Malformed", 400)


def test_modify_vpc_attribute_to_a_malformed_block_is_malformed(vpc, net):
    assert_error(error_of(modify_vpc, vpc, net.vpc_id, cidr_block="10.0.0.1/16"), "InvalidCidrBlock.Malformed", 400)


def test_modify_vpc_attribute_of_an_unknown_vpc_is_not_found(vpc):
    assert_error(error_of(modify_vpc, vpc, "vpc-nope", vpc_name="fleet"), "InvalidVpcId.NotFound", 404)
