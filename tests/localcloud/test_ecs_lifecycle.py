"""The instance status machine through the official SDK: timed transitions (clock moved by the control API,
never slept), status preconditions, batches, release and what it does to disks."""

from __future__ import annotations

from alibabacloud_ecs20140526 import models as em

from localcloud.profile import DURATIONS
from tests.helpers import REGION
from tests.localcloud.helpers import assert_error, disks, error_of, instances, run, status_of

PENDING, STARTING, STOPPING = (
    DURATIONS["instance.pending"],
    DURATIONS["instance.starting"],
    DURATIONS["instance.stopping"],
)
RELEASE = DURATIONS["instance.release"]


def running(t, **kwargs) -> str:
    """An instance of the timed emulator, moved on to Running."""
    iid = run(t.ecs, t.net, **kwargs)[0]
    t.control.advance(PENDING + STARTING)
    assert status_of(t.ecs, iid) == "Running"
    return iid


def stop(ecs, iid, **kwargs):
    return ecs.stop_instance(em.StopInstanceRequest(instance_id=iid, **kwargs))


def start(ecs, iid, **kwargs):
    return ecs.start_instance(em.StartInstanceRequest(instance_id=iid, **kwargs))


def delete(ecs, iid, **kwargs):
    return ecs.delete_instance(em.DeleteInstanceRequest(instance_id=iid, **kwargs))


# timed transitions ---------------------------------------------------------------------------------------
def test_run_instances_goes_pending_starting_running(timed):
    iid = run(timed.ecs, timed.net)[0]
    assert status_of(timed.ecs, iid) == "Pending"
    timed.control.advance(PENDING)
    assert status_of(timed.ecs, iid) == "Starting"
    timed.control.advance(STARTING - 1)
    assert status_of(timed.ecs, iid) == "Starting"
    timed.control.advance(1)
    assert status_of(timed.ecs, iid) == "Running"


def test_stop_goes_stopping_then_stopped(timed):
    iid = running(timed)
    stop(timed.ecs, iid)
    assert status_of(timed.ecs, iid) == "Stopping"
    timed.control.advance(STOPPING)
    assert status_of(timed.ecs, iid) == "Stopped"


def test_start_goes_starting_then_running(timed):
    iid = running(timed)
    stop(timed.ecs, iid, stopped_mode="StopCharging")
    timed.control.advance(STOPPING)
    found = instances(timed.ecs)[0]
    assert (found.status, found.stopped_mode) == ("Stopped", "StopCharging")
    start(timed.ecs, iid)
    assert status_of(timed.ecs, iid) == "Starting"
    timed.control.advance(STARTING)
    assert status_of(timed.ecs, iid) == "Running"


def test_reboot_goes_starting_then_running(timed):
    iid = running(timed)
    timed.ecs.reboot_instance(em.RebootInstanceRequest(instance_id=iid))
    assert status_of(timed.ecs, iid) == "Starting"
    timed.control.advance(STARTING)
    assert status_of(timed.ecs, iid) == "Running"


def test_forced_delete_of_a_running_instance_vanishes_after_the_release(timed):
    iid = running(timed)
    delete(timed.ecs, iid, force=True)
    assert status_of(timed.ecs, iid) == "Stopping"
    timed.control.advance(RELEASE)
    assert status_of(timed.ecs, iid) is None
    err = error_of(delete, timed.ecs, iid, force=True)
    assert_error(err, "InvalidInstanceId.NotFound", 404)


def test_deleting_twice_during_the_release_is_accepted(timed):
    iid = running(timed)
    delete(timed.ecs, iid, force=True)
    delete(timed.ecs, iid, force=True)
    timed.control.advance(RELEASE)
    assert instances(timed.ecs) == []


def test_delete_while_pending_is_initializing_even_with_force(timed):
    iid = run(timed.ecs, timed.net)[0]
    err = error_of(delete, timed.ecs, iid, force=True)
    assert_error(err, "IncorrectInstanceStatus.Initializing", 403)


def test_forced_delete_while_starting_is_initializing(timed):
    iid = run(timed.ecs, timed.net)[0]
    timed.control.advance(PENDING)
    assert_error(error_of(delete, timed.ecs, iid, force=True), "IncorrectInstanceStatus.Initializing", 403)


def test_stop_while_starting_is_incorrect_instance_status(timed):
    iid = run(timed.ecs, timed.net)[0]
    timed.control.advance(PENDING)
    assert_error(error_of(stop, timed.ecs, iid), "IncorrectInstanceStatus", 403, "Starting")


def test_start_while_stopping_is_incorrect_instance_status(timed):
    iid = running(timed)
    stop(timed.ecs, iid)
    assert_error(error_of(start, timed.ecs, iid), "IncorrectInstanceStatus", 403, "Stopping")


def test_release_takes_delete_with_instance_disks_and_frees_the_others(timed):
    iid = running(
        timed,
        data_disk=[
            em.RunInstancesRequestDataDisk(size=40, category="cloud_essd"),
            em.RunInstancesRequestDataDisk(size=40, category="cloud_essd", delete_with_instance=False),
        ],
    )
    kept = [d.disk_id for d in disks(timed.ecs, instance_id=iid) if not d.delete_with_instance]
    delete(timed.ecs, iid, force=True)
    timed.control.advance(RELEASE)
    remaining = disks(timed.ecs)
    assert [d.disk_id for d in remaining] == kept
    assert (remaining[0].status, remaining[0].instance_id, remaining[0].device) == ("Available", "", "")


# preconditions (instant transitions) ---------------------------------------------------------------------
def test_start_of_a_running_instance_is_incorrect_instance_status(ecs, net):
    iid = run(ecs, net)[0]
    assert_error(error_of(start, ecs, iid), "IncorrectInstanceStatus", 403, "Running")


def test_stop_of_a_stopped_instance_is_incorrect_instance_status(ecs, net):
    iid = run(ecs, net)[0]
    stop(ecs, iid)
    assert_error(error_of(stop, ecs, iid), "IncorrectInstanceStatus", 403, "Stopped")


def test_reboot_of_a_stopped_instance_is_incorrect_instance_status(ecs, net):
    iid = run(ecs, net)[0]
    stop(ecs, iid)
    err = error_of(ecs.reboot_instance, em.RebootInstanceRequest(instance_id=iid))
    assert_error(err, "IncorrectInstanceStatus", 403)


def test_delete_of_a_running_instance_without_force_is_incorrect_instance_status(ecs, net):
    iid = run(ecs, net)[0]
    assert_error(error_of(delete, ecs, iid), "IncorrectInstanceStatus", 403, "Stopped")


def test_delete_of_a_stopped_instance_needs_no_force(ecs, net):
    iid = run(ecs, net)[0]
    stop(ecs, iid)
    delete(ecs, iid)
    assert instances(ecs) == []


def test_delete_of_a_protected_instance_is_refused(ecs, net):
    iid = run(ecs, net, deletion_protection=True)[0]
    assert_error(error_of(delete, ecs, iid, force=True), "InvalidOperation.DeletionProtection", 403)


def test_operations_on_an_unknown_instance_are_not_found(ecs):
    for call in (start, stop, delete):
        assert_error(error_of(call, ecs, "i-nothere"), "InvalidInstanceId.NotFound", 404)


def test_dry_run_of_stop_checks_without_stopping(ecs, net):
    iid = run(ecs, net)[0]
    assert_error(error_of(stop, ecs, iid, dry_run=True), "DryRunOperation", 400)
    assert status_of(ecs, iid) == "Running"


# batches ---------------------------------------------------------------------------------------------------
def test_stop_instances_all_together_stops_every_instance(ecs, net):
    ids = run(ecs, net, amount=3)
    body = ecs.stop_instances(em.StopInstancesRequest(region_id=REGION, instance_id=ids)).body
    answers = body.instance_responses.instance_response
    assert [(a.instance_id, a.code, a.previous_status, a.current_status) for a in answers] == [
        (i, "200", "Running", "Stopping") for i in ids
    ]
    assert {i.status for i in instances(ecs)} == {"Stopped"}


def test_start_instances_all_together_fails_whole_when_one_is_running(ecs, net):
    ids = run(ecs, net, amount=2)
    stop(ecs, ids[0])
    err = error_of(ecs.start_instances, em.StartInstancesRequest(region_id=REGION, instance_id=ids))
    assert_error(err, "IncorrectInstanceStatus", 403)
    assert status_of(ecs, ids[0]) == "Stopped"


def test_start_instances_success_first_reports_each_instance(ecs, net):
    ids = run(ecs, net, amount=2)
    stop(ecs, ids[0])
    body = ecs.start_instances(
        em.StartInstancesRequest(region_id=REGION, instance_id=ids, batch_optimization="SuccessFirst")
    ).body
    codes = {a.instance_id: a.code for a in body.instance_responses.instance_response}
    assert codes == {ids[0]: "200", ids[1]: "IncorrectInstanceStatus"}
    assert status_of(ecs, ids[0]) == "Running"


def test_batch_dry_run_answers_dryrun_success(ecs, net):
    ids = run(ecs, net)
    err = error_of(ecs.stop_instances, em.StopInstancesRequest(region_id=REGION, instance_id=ids, dry_run=True))
    assert_error(err, "DRYRUN.SUCCESS", 400)
    assert status_of(ecs, ids[0]) == "Running"


def test_delete_instances_releases_them_all(ecs, net):
    ids = run(ecs, net, amount=3)
    ecs.delete_instances(em.DeleteInstancesRequest(region_id=REGION, instance_id=ids, force=True))
    assert instances(ecs) == [] and disks(ecs) == []


def test_delete_instances_with_an_unknown_id_is_invalid_instance_ids_not_found(ecs, net):
    ids = run(ecs, net)
    err = error_of(
        ecs.delete_instances, em.DeleteInstancesRequest(region_id=REGION, instance_id=[*ids, "i-gone"], force=True)
    )
    assert_error(err, "InvalidInstanceIds.NotFound", 404)
    assert status_of(ecs, ids[0]) == "Running"


def test_delete_instances_dry_run_deletes_nothing(ecs, net):
    ids = run(ecs, net)
    err = error_of(
        ecs.delete_instances, em.DeleteInstancesRequest(region_id=REGION, instance_id=ids, force=True, dry_run=True)
    )
    assert_error(err, "DRYRUN.SUCCESS", 400)
    assert len(instances(ecs)) == 1


def test_delete_instances_with_a_client_token_replays_the_first_answer(ecs, net):
    ids = run(ecs, net)
    request = em.DeleteInstancesRequest(region_id=REGION, instance_id=ids, force=True, client_token="del-1")
    ecs.delete_instances(request)
    ecs.delete_instances(request)  # a retry after a lost answer: same token, same success
    assert instances(ecs) == []
