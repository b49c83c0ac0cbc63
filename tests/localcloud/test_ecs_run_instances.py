"""RunInstances through the official SDK: placement, addresses, disks, names, validation, quota, stock, tokens."""

from __future__ import annotations

import base64

from alibabacloud_ecs20140526 import models as em

from tests.helpers import REGION
from tests.localcloud.helpers import (
    ZONE,
    add_vswitch,
    assert_complete,
    assert_error,
    disks,
    error_of,
    instance,
    instances,
    make_network,
    run,
    run_request,
)


def run_error(ecs, net, amount=1, **kwargs):
    return error_of(ecs.run_instances, run_request(net, amount, **kwargs))


# happy path ----------------------------------------------------------------------------------------------
def test_run_instances_creates_amount_instances_in_the_vswitch_zone(ecs, net):
    ids = run(ecs, net, amount=3)
    assert len(ids) == len(set(ids)) == 3 and all(i.startswith("i-bp1") for i in ids)
    found = instances(ecs, vpc_id=net.vpc_id)
    assert [i.instance_id for i in found] == ids
    assert {i.zone_id for i in found} == {ZONE}
    assert [i.vpc_attributes.private_ip_address.ip_address for i in found] == [["10.0.1.1"], ["10.0.1.2"], ["10.0.1.3"]]


def test_described_instance_has_every_field_of_the_sdk_model(ecs, net):
    iid = run(ecs, net, tag=[em.RunInstancesRequestTag(key="app", value="web")])[0]
    found = instance(ecs, iid)
    assert_complete(found)
    assert (found.instance_type, found.cpu, found.memory, found.image_id, found.instance_network_type) == (
        "ecs.g7.large",
        2,
        8192,
        "ubuntu_22_04_x64_20G_alibase_20240130.vhd",
        "vpc",
    )
    assert found.security_group_ids.security_group_id == [net.sg_id]
    assert found.vpc_attributes.v_switch_id == net.vsw_id
    assert [(t.tag_key, t.tag_value) for t in found.tags.tag] == [("app", "web")]
    assert found.network_interfaces.network_interface[0].primary_ip_address == "10.0.1.1"
    assert found.operation_locks.lock_reason == [] and found.public_ip_address.ip_address == []
    assert len(found.creation_time) == len("2024-01-01T00:00Z") and found.creation_time.endswith("Z")
    assert (found.instance_charge_type, found.internet_charge_type) == ("PostPaid", "PayByTraffic")


def test_instance_with_outbound_bandwidth_gets_a_public_address(ecs, net):
    found = instance(ecs, run(ecs, net, internet_max_bandwidth_out=5)[0])
    assert len(found.public_ip_address.ip_address) == 1 and found.internet_max_bandwidth_out == 5


def test_instances_come_with_a_system_disk_and_their_data_disks(ecs, net):
    iid = run(
        ecs,
        net,
        tag=[em.RunInstancesRequestTag(key="app", value="web")],
        system_disk=em.RunInstancesRequestSystemDisk(category="cloud_essd", size=60),
        data_disk=[
            em.RunInstancesRequestDataDisk(size=100, category="cloud_essd"),
            em.RunInstancesRequestDataDisk(size=50, category="cloud_ssd", delete_with_instance=False),
        ],
    )[0]
    found = disks(ecs, instance_id=iid)
    assert [(d.type, d.category, d.size, d.device, d.status, d.delete_with_instance) for d in found] == [
        ("system", "cloud_essd", 60, "/dev/xvda", "In_use", True),
        ("data", "cloud_essd", 100, "/dev/xvdb", "In_use", True),
        ("data", "cloud_ssd", 50, "/dev/xvdc", "In_use", False),
    ]
    assert all([(t.tag_key, t.tag_value) for t in d.tags.tag] == [("app", "web")] for d in found)
    assert found[0].image_id == "ubuntu_22_04_x64_20G_alibase_20240130.vhd" and found[0].zone_id == ZONE


def test_system_disk_defaults_to_40_gib_cloud_efficiency(ecs, net):
    system = disks(ecs, instance_id=run(ecs, net)[0], disk_type="system")[0]
    assert (system.category, system.size) == ("cloud_efficiency", 40)


def test_sequential_instance_names_follow_the_bracket_pattern(ecs, net):
    ids = run(ecs, net, amount=3, instance_name="node-[99,4]-web", host_name="node-[,2]")
    found = instances(ecs, instance_ids=str(ids).replace("'", '"'))
    assert [i.instance_name for i in found] == ["node-0099-web", "node-0100-web", "node-0101-web"]
    assert [i.host_name for i in found] == ["node-00", "node-01", "node-02"]


def test_unique_suffix_numbers_plain_names(ecs, net):
    ids = run(ecs, net, amount=2, instance_name="web", unique_suffix=True)
    assert [instance(ecs, i).instance_name for i in ids] == ["web001", "web002"]


def test_host_name_placeholder_takes_the_instance_id(ecs, net):
    iid = run(ecs, net, host_name="k8s-${instance_id}")[0]
    assert instance(ecs, iid).host_name == f"k8s-{iid}"


def test_default_names_come_from_the_instance_id(ecs, net):
    iid = run(ecs, net)[0]
    found = instance(ecs, iid)
    assert found.instance_name == iid and found.host_name == f"iZ{iid[2:]}Z"


def test_explicit_private_ip_gives_consecutive_addresses(ecs, net):
    ids = run(ecs, net, amount=2, private_ip_address="10.0.1.50")
    assert [instance(ecs, i).vpc_attributes.private_ip_address.ip_address[0] for i in ids] == ["10.0.1.50", "10.0.1.51"]
    err = run_error(ecs, net, private_ip_address="10.0.1.51")
    assert_error(err, "InvalidPrivateIpAddress.Duplicated", 400)
    err = run_error(ecs, net, private_ip_address="10.0.2.5")
    assert_error(err, "InvalidPrivateIpAddress", 400, "CIDR")


def test_exhausted_vswitch_is_quota_exceeded_private_ip_address(ecs, vpc, net):
    # A /29 has 8 addresses; the first and the last three are reserved: 4 are assignable.
    net.vsw_id = add_vswitch(vpc, net, "10.0.9.0/29")
    err = run_error(ecs, net, amount=5)
    assert_error(err, "QuotaExceeded.PrivateIpAddress", 400)
    ids = run(ecs, net, amount=4)
    assert sorted(instance(ecs, i).vpc_attributes.private_ip_address.ip_address[0] for i in ids) == [
        "10.0.9.1",
        "10.0.9.2",
        "10.0.9.3",
        "10.0.9.4",
    ]
    assert_error(run_error(ecs, net), "QuotaExceeded.PrivateIpAddress", 400)


def test_user_data_of_exactly_32_kib_is_accepted(ecs, net):
    data = base64.b64encode(b"x" * 32 * 1024).decode()
    iid = run(ecs, net, user_data=data)[0]
    body = ecs.describe_user_data(em.DescribeUserDataRequest(region_id=REGION, instance_id=iid)).body
    assert (body.user_data, body.instance_id, body.region_id) == (data, iid, REGION)


# validation ------------------------------------------------------------------------------------------------
def test_user_data_over_32_kib_is_size_exceeded(ecs, net):
    err = run_error(ecs, net, user_data=base64.b64encode(b"x" * (32 * 1024 + 1)).decode())
    assert_error(err, "InvalidUserData.SizeExceeded", 400)


def test_user_data_not_in_base64_is_refused(ecs, net):
    assert_error(run_error(ecs, net, user_data="#!/bin/sh\necho hi"), "InvalidUserData.Base64FormatInvalid", 400)


def test_run_in_an_unknown_region_is_invalid_region_id_not_found(ecs, net):
    assert_error(run_error(ecs, net, region_id="mars-north-1"), "InvalidRegionId.NotFound", 404)


def test_run_with_an_unknown_instance_type_is_not_supported(ecs, net):
    assert_error(run_error(ecs, net, instance_type="ecs.z9.huge"), "InvalidInstanceType.ValueNotSupported", 400)


def test_run_with_an_unknown_image_is_not_found(ecs, net):
    assert_error(run_error(ecs, net, image_id="m-nothere"), "InvalidImageId.NotFound", 404)


def test_run_with_an_unknown_vswitch_is_not_found(ecs, net):
    assert_error(run_error(ecs, net, v_switch_id="vsw-nothere"), "InvalidVSwitchId.NotFound", 404)


def test_run_without_a_vswitch_is_missing_parameter(ecs, net):
    assert_error(run_error(ecs, net, v_switch_id=None), "MissingParameter", 400, "VSwitchId")


def test_run_with_an_unknown_security_group_is_not_found(ecs, net):
    assert_error(run_error(ecs, net, security_group_id="sg-nothere"), "InvalidSecurityGroupId.NotFound", 404)


def test_run_with_a_zone_other_than_the_vswitch_zone_is_a_mismatch(ecs, net):
    err = run_error(ecs, net, zone_id="cn-hangzhou-h")
    assert_error(err, "InvalidParameter.Mismatch", 400, "not in the specified zone")


def test_run_in_a_vswitch_still_pending_is_incorrect_vswitch_status(timed):
    timed.net.vsw_id = add_vswitch(timed.vpc, timed.net, "10.0.7.0/24")  # the clock is not moved: Pending
    err = run_error(timed.ecs, timed.net)
    assert_error(err, "IncorrectVSwitchStatus", 400)


def test_host_names_give_each_instance_its_own(ecs, net):
    ids = run(ecs, net, amount=2, host_names=["alpha", "beta"])
    assert [instance(ecs, i).host_name for i in ids] == ["alpha", "beta"]
    assert_error(run_error(ecs, net, amount=2, host_names=["only-one"]), "InvalidParameter", 400)


def test_run_with_an_unknown_zone_is_invalid_zone_id_not_found(ecs, net):
    assert_error(run_error(ecs, net, zone_id="cn-hangzhou-z"), "InvalidZoneId.NotFound", 404)


def test_run_with_a_security_group_of_another_vpc_is_a_mismatch(ecs, vpc, net):
    other = make_network(ecs, vpc, vpc_cidr="192.168.0.0/16", vsw_cidr="192.168.1.0/24")
    err = run_error(ecs, net, security_group_id=other.sg_id)
    assert_error(err, "InvalidParameter.Mismatch", 400, "not in the same VPC")


def test_run_a_type_the_zone_does_not_sell_is_zone_not_supported(ecs, vpc, net):
    net.vsw_id = add_vswitch(vpc, net, "10.0.5.0/24", zone="cn-hangzhou-k")  # zone k sells no GPU type
    err = run_error(ecs, net, instance_type="ecs.gn6i-c4g1.xlarge")
    assert_error(err, "InvalidInstanceType.ZoneNotSupported", 403)


def test_run_without_stock_is_operation_denied_no_stock_and_creates_nothing(ecs, net, control):
    control.config(no_stock=[[ZONE, "ecs.g7.large"]])
    err = run_error(ecs, net, amount=2)
    assert_error(err, "OperationDenied.NoStock", 403)
    assert instances(ecs) == [] and disks(ecs) == []
    assert run(ecs, net, instance_type="ecs.c7.large")


def test_instances_beyond_the_region_quota_are_refused(ecs, net, control):
    control.config(instance_quota=3)
    run(ecs, net, amount=2)
    err = run_error(ecs, net, amount=2)
    assert_error(err, "QuotaExceed.AfterpayInstance", 400)
    assert len(run(ecs, net)) == 1


def test_amount_must_be_between_1_and_100(ecs, net):
    assert_error(run_error(ecs, net, amount=101), "InvalidParameter", 400, "Amount")
    assert_error(run_error(ecs, net, amount=0), "InvalidParameter", 400, "Amount")


def test_min_amount_above_amount_is_malformed(ecs, net):
    assert_error(run_error(ecs, net, amount=2, min_amount=3), "InvalidMinAmount.Malformed", 400)


def test_malformed_host_name_is_refused(ecs, net):
    assert_error(run_error(ecs, net, host_name="bad..name"), "InvalidHostName.Malformed", 400)
    assert_error(run_error(ecs, net, host_name="-lead"), "InvalidHostName.Malformed", 400)


def test_malformed_name_pattern_is_custom_malformed(ecs, net):
    assert_error(run_error(ecs, net, instance_name="web-[a,b]"), "InvalidInstanceName.CustomMalformed", 400)


def test_system_disk_smaller_than_the_image_is_refused(ecs, net):
    err = run_error(
        ecs,
        net,
        image_id="aliyun_3_x64_20G_alibase_20240528.vhd",
        system_disk=em.RunInstancesRequestSystemDisk(size=30),
    )
    assert_error(err, "InvalidSystemDiskSize.LessThanImageSize", 404)


def test_data_disk_size_out_of_range_is_not_supported(ecs, net):
    err = run_error(ecs, net, data_disk=[em.RunInstancesRequestDataDisk(size=10, category="cloud_ssd")])
    assert_error(err, "InvalidDataDiskSize.ValueNotSupported", 400)


def test_data_disk_category_the_zone_does_not_offer_is_category_not_supported(ecs, net):
    err = run_error(ecs, net, data_disk=[em.RunInstancesRequestDataDisk(size=40, category="cloud")])
    assert_error(err, "CategoryNotSupported", 403)


def test_more_than_16_data_disks_is_refused(ecs, net):
    err = run_error(ecs, net, data_disk=[em.RunInstancesRequestDataDisk(size=20) for _ in range(17)])
    assert_error(err, "InstanceDiskNumber.LimitExceed", 400)


def test_more_than_20_tags_is_invalid_tag_count(ecs, net):
    tags = [em.RunInstancesRequestTag(key=f"k{i}", value="v") for i in range(21)]
    assert_error(run_error(ecs, net, tag=tags), "InvalidTagCount", 400)


def test_duplicate_tag_keys_are_refused(ecs, net):
    tags = [em.RunInstancesRequestTag(key="k", value="a"), em.RunInstancesRequestTag(key="k", value="b")]
    assert_error(run_error(ecs, net, tag=tags), "Duplicate.TagKey", 400)


def test_security_group_id_and_ids_together_are_refused(ecs, net):
    err = run_error(ecs, net, security_group_ids=[net.sg_id])
    assert_error(err, "InvalidParameter", 400, "SecurityGroupIds")


# dry run and idempotency ----------------------------------------------------------------------------------
def test_dry_run_checks_everything_and_creates_nothing(ecs, net, control):
    assert_error(run_error(ecs, net, dry_run=True), "DryRunOperation", 400)
    assert instances(ecs) == []
    control.config(no_stock=[[ZONE, "ecs.g7.large"]])
    assert_error(run_error(ecs, net, dry_run=True), "OperationDenied.NoStock", 403)


def test_same_client_token_returns_the_same_instances(ecs, net, control):
    first = run(ecs, net, amount=2, client_token="run-token-1")
    second = run(ecs, net, amount=2, client_token="run-token-1")
    assert first == second and len(instances(ecs)) == 2
    assert control.stats()["actions"]["ecs:RunInstances"]["calls"] == 2


def test_same_client_token_with_other_parameters_is_a_mismatch(ecs, net):
    run(ecs, net, client_token="run-token-2")
    err = run_error(ecs, net, amount=2, client_token="run-token-2")
    assert_error(err, "IdempotentParameterMismatch", 400)
    assert len(instances(ecs)) == 1


def test_a_token_whose_first_call_failed_can_be_used_again(ecs, net, control):
    control.config(no_stock=[[ZONE, "ecs.g7.large"]])
    assert_error(run_error(ecs, net, client_token="run-token-3"), "OperationDenied.NoStock", 403)
    control.config(no_stock=[])
    assert len(run(ecs, net, client_token="run-token-3")) == 1


def test_legacy_sdk_runs_and_describes_instances_with_hmac_sha1(emulator, ecs, net):
    import json

    from aliyunsdkcore.client import AcsClient
    from aliyunsdkecs.request.v20140526.DescribeInstancesRequest import DescribeInstancesRequest
    from aliyunsdkecs.request.v20140526.RunInstancesRequest import RunInstancesRequest

    from tests.helpers import credentials_for

    creds = credentials_for(emulator.url)
    client = AcsClient(creds.access_key_id, creds.access_key_secret, REGION)
    endpoint = emulator.url.split("://")[1]
    req = RunInstancesRequest()
    req.set_endpoint(endpoint)
    req.set_ImageId("ubuntu_22_04_x64_20G_alibase_20240130.vhd")
    req.set_InstanceType("ecs.g7.large")
    req.set_VSwitchId(net.vsw_id)
    req.set_SecurityGroupId(net.sg_id)
    req.set_Amount(2)
    req.set_SystemDiskCategory("cloud_essd")
    req.set_DataDisks([{"Size": 40, "Category": "cloud_essd", "DeleteWithInstance": False}])
    req.set_Tags([{"Key": "via", "Value": "legacy"}])
    ids = json.loads(client.do_action_with_exception(req))["InstanceIdSets"]["InstanceIdSet"]
    describe = DescribeInstancesRequest()
    describe.set_endpoint(endpoint)
    describe.set_InstanceIds(json.dumps(ids))
    found = json.loads(client.do_action_with_exception(describe))["Instances"]["Instance"]
    assert [i["InstanceId"] for i in found] == ids
    assert found[0]["Tags"]["Tag"] == [{"TagKey": "via", "TagValue": "legacy"}]
    data = [d for d in disks(ecs, instance_id=ids[0]) if d.type == "data"]
    assert [(d.category, d.delete_with_instance) for d in data] == [("cloud_essd", False)]
