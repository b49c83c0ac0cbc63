"""RunInstances DataDisk.N through the official SDK: category, size, name, description, encryption and
DeleteWithInstance as documented; the disks carry the instance's tags (Tag.N) and outlive it when asked."""

from __future__ import annotations

from alibabacloud_ecs20140526 import models as em

from tests.helpers import REGION
from tests.localcloud.helpers import assert_error, disks, error_of, instance, run, run_request

TAGS = [em.RunInstancesRequestTag(key="fleet:stack", value="s1"), em.RunInstancesRequestTag(key="role", value="x")]


def data_disks(ecs, instance_id: str) -> list:
    return disks(ecs, instance_id=instance_id, disk_type="data")


def release(ecs, control, instance_id: str) -> None:
    ecs.delete_instances(em.DeleteInstancesRequest(region_id=REGION, instance_id=[instance_id], force=True))
    control.advance(60)


def test_data_disk_gets_its_name_description_category_and_size(ecs, net):
    iid = run(
        ecs,
        net,
        data_disk=[
            em.RunInstancesRequestDataDisk(
                size=40,
                category="cloud_ssd",
                disk_name="model-data",
                description="the model files",
                delete_with_instance=False,
            )
        ],
    )[0]
    [found] = data_disks(ecs, iid)
    assert (found.disk_name, found.description, found.category, found.size, found.portable) == (
        "model-data",
        "the model files",
        "cloud_ssd",
        40,
        True,
    )
    assert (found.status, found.instance_id, found.device, found.delete_with_instance) == (
        "In_use",
        iid,
        "/dev/xvdb",
        False,
    )
    assert (found.encrypted, found.kmskey_id) == (False, "")


def test_encrypted_data_disk_without_a_key_reports_the_default_key(ecs, net):
    iid = run(ecs, net, data_disk=[em.RunInstancesRequestDataDisk(size=40, category="cloud_essd", encrypted="true")])[0]
    [found] = data_disks(ecs, iid)
    assert found.encrypted is True and len(found.kmskey_id) == 36
    other = run(ecs, net, data_disk=[em.RunInstancesRequestDataDisk(size=40, category="cloud_essd", encrypted="true")])[
        0
    ]
    assert data_disks(ecs, other)[0].kmskey_id == found.kmskey_id  # one default key per region


def test_encrypted_data_disk_keeps_the_key_it_was_given(ecs, net):
    key = "0e478b7a-4262-4802-b8cb-00d3fb40826e"
    iid = run(
        ecs,
        net,
        data_disk=[em.RunInstancesRequestDataDisk(size=40, category="cloud_essd", encrypted="true", kmskey_id=key)],
    )[0]
    assert (data_disks(ecs, iid)[0].encrypted, data_disks(ecs, iid)[0].kmskey_id) == (True, key)


def test_encrypted_that_is_not_a_boolean_is_invalid_parameter_naming_it(ecs, net):
    err = error_of(
        ecs.run_instances,
        run_request(net, data_disk=[em.RunInstancesRequestDataDisk(size=40, category="cloud_essd", encrypted="maybe")]),
    )
    assert_error(err, "InvalidParameter", 400)
    assert "DataDisk.1.Encrypted" in err.message


def test_data_disks_carry_the_instance_tags_and_are_found_by_them(ecs, net):
    ids = run(
        ecs,
        net,
        amount=2,
        tag=TAGS,
        data_disk=[em.RunInstancesRequestDataDisk(size=40, category="cloud_ssd", delete_with_instance=False)],
    )
    found = disks(ecs, disk_type="data", tag=[em.DescribeDisksRequestTag(key="fleet:stack", value="s1")])
    assert sorted(d.instance_id for d in found) == sorted(ids)
    assert all([(t.tag_key, t.tag_value) for t in d.tags.tag] == [("fleet:stack", "s1"), ("role", "x")] for d in found)


def test_a_released_instance_keeps_a_data_disk_that_is_not_deleted_with_it(ecs, net, control):
    iid = run(
        ecs,
        net,
        tag=TAGS,
        data_disk=[
            em.RunInstancesRequestDataDisk(size=40, category="cloud_ssd", disk_name="kept", delete_with_instance=False),
            em.RunInstancesRequestDataDisk(size=40, category="cloud_ssd", disk_name="gone"),
        ],
    )
    [iid] = iid
    kept = {d.disk_name: d.disk_id for d in data_disks(ecs, iid)}["kept"]
    release(ecs, control, iid)
    assert instance(ecs, iid) is None
    left = disks(ecs, disk_type="data")
    assert [(d.disk_id, d.status, d.instance_id, d.portable) for d in left] == [(kept, "Available", "", True)]
    assert [(t.tag_key, t.tag_value) for t in left[0].tags.tag] == [("fleet:stack", "s1"), ("role", "x")]
    ecs.delete_disk(em.DeleteDiskRequest(disk_id=kept))  # Available: deletable without a detach
    assert disks(ecs, disk_type="data") == []
