"""ECS disks through the official SDK: CreateDisk, DescribeDisks, Attach/Detach/Delete, statuses and errors."""

from __future__ import annotations

import json

from alibabacloud_ecs20140526 import models as em

from localcloud.profile import DURATIONS
from tests.helpers import REGION
from tests.localcloud.helpers import ZONE, assert_complete, assert_error, create_disk, disk, disks, error_of, run


def attach(ecs, instance_id, disk_id, **kwargs):
    return ecs.attach_disk(em.AttachDiskRequest(instance_id=instance_id, disk_id=disk_id, **kwargs))


def detach(ecs, instance_id, disk_id, **kwargs):
    return ecs.detach_disk(em.DetachDiskRequest(instance_id=instance_id, disk_id=disk_id, **kwargs))


def delete(ecs, disk_id):
    return ecs.delete_disk(em.DeleteDiskRequest(disk_id=disk_id))


# CreateDisk ------------------------------------------------------------------------------------------------
def test_create_disk_is_described_complete_and_available(ecs):
    disk_id = create_disk(ecs, size=100, disk_name="models", tag=[em.CreateDiskRequestTag(key="role", value="data")])
    found = disk(ecs, disk_id)
    assert_complete(found, allow=("data_source", "placement"))
    assert (found.zone_id, found.category, found.size, found.type, found.status, found.portable) == (
        ZONE,
        "cloud_essd",
        100,
        "data",
        "Available",
        True,
    )
    assert (found.instance_id, found.device, found.disk_name, found.performance_level) == ("", "", "models", "PL1")
    assert [(t.tag_key, t.tag_value) for t in found.tags.tag] == [("role", "data")]
    assert len(found.creation_time) == len("2024-01-01T00:00:00Z")


def test_create_disk_goes_creating_then_available(timed):
    disk_id = create_disk(timed.ecs)
    assert disk(timed.ecs, disk_id).status == "Creating"
    timed.control.advance(DURATIONS["disk.create"])
    assert disk(timed.ecs, disk_id).status == "Available"


def test_create_disk_twice_with_one_token_creates_once(ecs):
    first = create_disk(ecs, client_token="disk-token")
    assert create_disk(ecs, client_token="disk-token") == first and len(disks(ecs)) == 1
    err = error_of(create_disk, ecs, size=50, client_token="disk-token")
    assert_error(err, "IdempotentParameterMismatch", 400)


def test_create_disk_in_an_unknown_zone_is_invalid_zone_id_not_found(ecs):
    assert_error(error_of(create_disk, ecs, zone="cn-hangzhou-z"), "InvalidZoneId.NotFound", 404)


def test_create_disk_without_a_zone_is_missing_parameter(ecs):
    err = error_of(ecs.create_disk, em.CreateDiskRequest(region_id=REGION, size=40, disk_category="cloud_essd"))
    assert_error(err, "MissingParameter", 400, "ZoneId")


def test_create_disk_without_a_size_is_missing_parameter(ecs):
    err = error_of(ecs.create_disk, em.CreateDiskRequest(region_id=REGION, zone_id=ZONE, disk_category="cloud_essd"))
    assert_error(err, "MissingParameter", 400, "Size")


def test_create_disk_with_an_unknown_category_is_not_supported(ecs):
    assert_error(error_of(create_disk, ecs, category="floppy"), "InvalidDiskCategory.ValueNotSupported", 400)


def test_create_disk_of_a_category_the_zone_does_not_sell_is_refused(ecs):
    # DiskCategory defaults to the retired basic `cloud`, which no zone here sells.
    err = error_of(ecs.create_disk, em.CreateDiskRequest(region_id=REGION, zone_id=ZONE, size=40))
    assert_error(err, "InvalidDataDiskCategory.NotSupported", 403)


def test_create_disk_size_out_of_range_is_not_supported(ecs):
    assert_error(error_of(create_disk, ecs, category="cloud_ssd", size=10), "InvalidSize.ValueNotSupported", 400)
    assert_error(error_of(create_disk, ecs, size=65537), "InvalidSize.ValueNotSupported", 400)


def test_essd_minimum_size_follows_the_performance_level(ecs):
    assert create_disk(ecs, size=1, performance_level="PL0")
    err = error_of(create_disk, ecs, size=100, performance_level="PL2")
    assert_error(err, "InvalidSize.ValueNotSupported", 400)


# attach / detach / delete ---------------------------------------------------------------------------------
def test_attach_goes_attaching_then_in_use(timed):
    iid = run(timed.ecs, timed.net)[0]
    timed.control.advance(DURATIONS["instance.pending"] + DURATIONS["instance.starting"])
    disk_id = create_disk(timed.ecs)
    timed.control.advance(DURATIONS["disk.create"])
    attach(timed.ecs, iid, disk_id)
    found = disk(timed.ecs, disk_id)
    assert (found.status, found.instance_id, found.device) == ("Attaching", iid, "/dev/xvdb")
    timed.control.advance(DURATIONS["disk.attach"])
    found = disk(timed.ecs, disk_id)
    assert found.status == "In_use" and found.attachments.attachment[0].instance_id == iid


def test_detach_goes_detaching_then_available(timed):
    iid = run(timed.ecs, timed.net)[0]
    timed.control.advance(DURATIONS["instance.pending"] + DURATIONS["instance.starting"])
    disk_id = create_disk(timed.ecs)
    timed.control.advance(DURATIONS["disk.create"])
    attach(timed.ecs, iid, disk_id, delete_with_instance=True)
    timed.control.advance(DURATIONS["disk.attach"])
    detach(timed.ecs, iid, disk_id)
    found = disk(timed.ecs, disk_id)
    assert (found.status, found.instance_id) == ("Detaching", iid)
    timed.control.advance(DURATIONS["disk.detach"])
    found = disk(timed.ecs, disk_id)
    assert (found.status, found.instance_id, found.device, found.delete_with_instance) == ("Available", "", "", False)


def test_attach_a_disk_of_another_zone_is_resources_not_in_same_zone(ecs, net):
    iid = run(ecs, net)[0]
    disk_id = create_disk(ecs, zone="cn-hangzhou-h")
    assert_error(error_of(attach, ecs, iid, disk_id), "ResourcesNotInSameZone", 403)


def test_attach_a_disk_in_use_is_incorrect_disk_status(ecs, net):
    first, second = run(ecs, net, amount=2)
    disk_id = create_disk(ecs)
    attach(ecs, first, disk_id)
    assert_error(error_of(attach, ecs, second, disk_id), "IncorrectDiskStatus", 403)


def test_attach_to_a_pending_instance_is_incorrect_instance_status(timed):
    iid = run(timed.ecs, timed.net)[0]
    disk_id = create_disk(timed.ecs)
    timed.control.advance(DURATIONS["disk.create"])
    assert_error(error_of(attach, timed.ecs, iid, disk_id), "IncorrectInstanceStatus", 400)


def test_attach_a_disk_that_is_still_creating_is_incorrect_disk_status(timed):
    iid = run(timed.ecs, timed.net)[0]
    timed.control.advance(DURATIONS["instance.pending"] + DURATIONS["instance.starting"])
    disk_id = create_disk(timed.ecs)
    assert_error(error_of(attach, timed.ecs, iid, disk_id), "IncorrectDiskStatus", 403)


def test_attach_unknown_ids_are_not_found(ecs, net):
    iid = run(ecs, net)[0]
    disk_id = create_disk(ecs)
    assert_error(error_of(attach, ecs, "i-nothere", disk_id), "InvalidInstanceId.NotFound", 404)
    assert_error(error_of(attach, ecs, iid, "d-nothere"), "InvalidDiskId.NotFound", 404)


def test_detach_the_system_disk_is_disk_not_portable(ecs, net):
    iid = run(ecs, net)[0]
    system = disks(ecs, instance_id=iid, disk_type="system")[0]
    assert system.portable is False
    assert_error(error_of(detach, ecs, iid, system.disk_id), "DiskNotPortable", 403)


def test_detach_from_an_unknown_instance_is_not_found(ecs):
    disk_id = create_disk(ecs)
    assert_error(error_of(detach, ecs, "i-any", disk_id), "InvalidInstanceId.NotFound", 404)


def test_detach_an_available_disk_from_an_instance_is_already_detached(ecs, net):
    iid = run(ecs, net)[0]
    disk_id = create_disk(ecs)
    assert_error(error_of(detach, ecs, iid, disk_id), "InvalidDisk.AlreadyDetached", 404)


def test_detach_from_another_instance_is_dependency_violation(ecs, net):
    first, second = run(ecs, net, amount=2)
    disk_id = create_disk(ecs)
    attach(ecs, first, disk_id)
    assert_error(error_of(detach, ecs, second, disk_id), "DependencyViolation", 403)


def test_delete_an_in_use_disk_is_incorrect_disk_status(ecs, net):
    iid = run(ecs, net)[0]
    disk_id = create_disk(ecs)
    attach(ecs, iid, disk_id)
    assert_error(error_of(delete, ecs, disk_id), "IncorrectDiskStatus", 403)


def test_delete_a_creating_disk_is_initializing(timed):
    disk_id = create_disk(timed.ecs)
    assert_error(error_of(delete, timed.ecs, disk_id), "IncorrectDiskStatus.Initializing", 403)


def test_delete_an_available_disk_removes_it_and_an_unknown_id_is_ignored(ecs):
    disk_id = create_disk(ecs)
    delete(ecs, disk_id)
    assert disk(ecs, disk_id) is None
    delete(ecs, disk_id)


def test_attached_disk_released_with_its_instance_when_asked(ecs, net):
    iid = run(ecs, net)[0]
    keep, drop = create_disk(ecs), create_disk(ecs)
    attach(ecs, iid, keep)
    attach(ecs, iid, drop, delete_with_instance=True)
    ecs.delete_instance(em.DeleteInstanceRequest(instance_id=iid, force=True))
    assert [d.disk_id for d in disks(ecs)] == [keep] and disk(ecs, keep).status == "Available"


# DescribeDisks ----------------------------------------------------------------------------------------------
def test_describe_disks_filters(ecs, net):
    iid = run(ecs, net, data_disk=[em.RunInstancesRequestDataDisk(size=40, category="cloud_ssd")])[0]
    loose = create_disk(ecs, zone="cn-hangzhou-h", tag=[em.CreateDiskRequestTag(key="spare", value="yes")])
    assert len(disks(ecs, instance_id=iid)) == 2
    assert [d.disk_id for d in disks(ecs, zone_id="cn-hangzhou-h")] == [loose]
    assert [d.type for d in disks(ecs, disk_type="system")] == ["system"]
    assert [d.category for d in disks(ecs, category="cloud_ssd")] == ["cloud_ssd"]
    assert [d.disk_id for d in disks(ecs, status="Available")] == [loose]
    assert [d.disk_id for d in disks(ecs, disk_ids=json.dumps([loose]))] == [loose]
    assert [d.disk_id for d in disks(ecs, tag=[em.DescribeDisksRequestTag(key="spare", value="yes")])] == [loose]
    assert [d.disk_id for d in disks(ecs, portable=False)] == [d.disk_id for d in disks(ecs, disk_type="system")]


def test_describe_disks_with_a_bad_disk_type_is_not_supported(ecs):
    assert_error(error_of(disks, ecs, disk_type="scratch"), "InvalidDiskType.ValueNotSupported", 400)


def test_describe_disks_with_more_than_100_ids_is_malformed(ecs):
    err = error_of(disks, ecs, disk_ids=json.dumps([f"d-{n}" for n in range(101)]))
    assert_error(err, "InvalidDiskIds.Malformed", 403)


def test_describe_disks_pages_with_next_token(ecs):
    created = [create_disk(ecs) for _ in range(12)]
    first = ecs.describe_disks(em.DescribeDisksRequest(region_id=REGION, max_results=10)).body
    second = ecs.describe_disks(
        em.DescribeDisksRequest(region_id=REGION, max_results=10, next_token=first.next_token)
    ).body
    assert [d.disk_id for d in first.disks.disk + second.disks.disk] == created
    assert second.next_token == ""
