"""ECS ResizeDisk (grow a disk in place) and GetInstanceConsoleOutput through the official SDK (runtime off)."""

from __future__ import annotations

import base64

from alibabacloud_ecs20140526 import models as em

from tests.helpers import REGION
from tests.localcloud.helpers import assert_error, create_disk, disk, disks, error_of, run


def resize(ecs, disk_id, new_size, **kwargs):
    return ecs.resize_disk(em.ResizeDiskRequest(disk_id=disk_id, new_size=new_size, **kwargs))


def test_a_detached_data_disk_grows(ecs):
    disk_id = create_disk(ecs, size=40)
    resize(ecs, disk_id, 100)
    assert disk(ecs, disk_id).size == 100


def test_an_attached_data_disk_grows_online_and_stays_attached(ecs, net):
    (iid,) = run(ecs, net, data_disk=[em.RunInstancesRequestDataDisk(size=20, category="cloud_essd")])
    (data,) = disks(ecs, instance_id=iid, disk_type="data")
    resize(ecs, data.disk_id, 64, type="online")
    found = disk(ecs, data.disk_id)
    assert (found.size, found.status, found.instance_id) == (64, "In_use", iid)


def test_the_system_disk_grows_too(ecs, net):
    (iid,) = run(ecs, net)
    (system,) = disks(ecs, instance_id=iid, disk_type="system")
    resize(ecs, system.disk_id, system.size + 20)
    assert disk(ecs, system.disk_id).size == system.size + 20


def test_a_disk_never_shrinks(ecs):
    disk_id = create_disk(ecs, size=40)
    for smaller in (39, 40):
        err = error_of(resize, ecs, disk_id, smaller)
        assert_error(err, "InvalidDiskSize.TooSmall", 403)
    assert disk(ecs, disk_id).size == 40


def test_the_category_bounds_the_new_size(ecs):
    disk_id = create_disk(ecs, size=40, category="cloud_efficiency")
    assert_error(error_of(resize, ecs, disk_id, 32769), "InvalidParameter", 403, "NewSize")
    resize(ecs, disk_id, 32768)
    assert disk(ecs, disk_id).size == 32768


def test_resize_of_an_unknown_disk_is_404_and_a_bad_type_is_refused(ecs):
    assert_error(error_of(resize, ecs, "d-nothere", 100), "InvalidDiskId.NotFound", 404)
    disk_id = create_disk(ecs, size=40)
    err = error_of(resize, ecs, disk_id, 50, type="sideways")
    assert err.status_code == 400 and "Type" in err.data["Message"]


def test_a_creating_disk_cannot_be_resized(timed):
    disk_id = create_disk(timed.ecs, size=40)
    assert_error(error_of(resize, timed.ecs, disk_id, 50), "OperationDenied", 403)


def test_resize_with_a_client_token_is_idempotent(ecs):
    disk_id = create_disk(ecs, size=40)
    resize(ecs, disk_id, 60, client_token="grow-1")
    resize(ecs, disk_id, 60, client_token="grow-1")  # the retry answers as the first call did
    assert disk(ecs, disk_id).size == 60
    assert_error(error_of(resize, ecs, disk_id, 80, client_token="grow-1"), "IdempotentParameterMismatch", 400)


def console(ecs, iid, **kwargs):
    return ecs.get_instance_console_output(
        em.GetInstanceConsoleOutputRequest(region_id=REGION, instance_id=iid, **kwargs)
    ).body


def test_console_output_without_a_local_runtime_is_empty(ecs, net):
    (iid,) = run(ecs, net)
    body = console(ecs, iid)
    assert (body.instance_id, base64.b64decode(body.console_output)) == (iid, b"")
    assert len(body.last_update_time) == len("2018-03-22 10:04:57")


def test_console_output_of_an_unknown_instance_is_404(ecs):
    assert_error(error_of(console, ecs, "i-nothere"), "InvalidInstanceId.NotFound", 404)
