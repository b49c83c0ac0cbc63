"""Start/Stop/Reboot/Delete of instances, one at a time and in batches (InstanceId.N, BatchOptimization)."""

from __future__ import annotations

from collections.abc import Callable

from ...core import action
from ...errors import CloudError, DryRunOperation, InvalidParameter, MissingParameter
from ...params import Params
from ..exceptions import DryRunSuccess, InvalidInstanceIdNotFound, InvalidInstanceIdsNotFound, TooManyInstanceIds
from ..models import lifecycle
from ..models.common import get_instance
from ..models.instances import Instance


def _single(cloud, p: Params, check: Callable[[Instance], None], apply: Callable[[Instance], None]) -> dict:
    instance = get_instance(cloud, p.text("InstanceId", required=True))
    check(instance)
    if p.flag("DryRun", default=False):
        raise DryRunOperation()
    apply(instance)
    return {}


@action("ecs", "StartInstance")
def start_instance(cloud, p: Params) -> dict:
    return _single(cloud, p, lambda i: lifecycle.check_start_stock(cloud, i), lambda i: lifecycle.start(cloud, i))


@action("ecs", "StopInstance")
def stop_instance(cloud, p: Params) -> dict:
    mode = lifecycle.check_stopped_mode(p.text("StoppedMode") or "KeepCharging")
    return _single(cloud, p, lifecycle.check_stop, lambda i: lifecycle.stop(cloud, i, mode))


@action("ecs", "RebootInstance")
def reboot_instance(cloud, p: Params) -> dict:
    return _single(cloud, p, lifecycle.check_stop, lambda i: lifecycle.reboot(cloud, i))


@action("ecs", "DeleteInstance")
def delete_instance(cloud, p: Params) -> dict:
    force = bool(p.flag("Force", default=False))
    return _single(cloud, p, lambda i: lifecycle.check_delete(i, force), lambda i: lifecycle.release(cloud, i))


def _ids(p: Params) -> list[str]:
    ids = list(dict.fromkeys(p.items("InstanceId")))
    if not ids:
        raise MissingParameter(name="InstanceId")
    if len(ids) > 100:
        raise TooManyInstanceIds()
    return ids


def _response(instance: Instance, previous: str, code: str = "200", message: str = "success") -> dict:
    return {
        "InstanceId": instance["id"],
        "Code": code,
        "Message": message,
        "PreviousStatus": previous,
        "CurrentStatus": instance["status"],
    }


def _batch(cloud, p: Params, check: Callable[[Instance], None], apply: Callable[[Instance], None]) -> dict:
    """AllTogether (default): any failed check fails the whole call; SuccessFirst: one result per instance."""
    region = cloud.region(p)
    ids = _ids(p)
    mode = p.text("BatchOptimization", default="AllTogether")
    if mode not in ("AllTogether", "SuccessFirst"):
        raise InvalidParameter("BatchOptimization")
    dry_run = p.flag("DryRun", default=False)
    results = []
    if mode == "SuccessFirst":
        if dry_run:
            raise DryRunSuccess()  # SuccessFirst dry runs always answer DRYRUN.SUCCESS (SDK docs)
        for iid in ids:
            instance = cloud.store.get("instance", iid)
            if instance is None or instance["region"] != region:
                absent = InvalidInstanceIdNotFound()
                results.append(
                    {
                        "InstanceId": iid,
                        "Code": absent.code,
                        "Message": absent.message,
                        "PreviousStatus": "",
                        "CurrentStatus": "",
                    }
                )
                continue
            previous = instance["status"]
            try:
                check(instance)
            except CloudError as err:
                results.append(_response(instance, previous, err.code, err.message))
                continue
            apply(instance)
            results.append(_response(instance, previous))
        return {"InstanceResponses": {"InstanceResponse": results}}
    instances = [get_instance(cloud, iid, region) for iid in ids]
    for instance in instances:
        check(instance)
    if dry_run:
        raise DryRunSuccess()
    for instance in instances:
        previous = instance["status"]
        apply(instance)
        results.append(_response(instance, previous))
    return {"InstanceResponses": {"InstanceResponse": results}}


@action("ecs", "StartInstances")
def start_instances(cloud, p: Params) -> dict:
    return _batch(cloud, p, lambda i: lifecycle.check_start_stock(cloud, i), lambda i: lifecycle.start(cloud, i))


@action("ecs", "StopInstances")
def stop_instances(cloud, p: Params) -> dict:
    mode = lifecycle.check_stopped_mode(p.text("StoppedMode") or "KeepCharging")
    return _batch(cloud, p, lifecycle.check_stop, lambda i: lifecycle.stop(cloud, i, mode))


@action("ecs", "DeleteInstances")
def delete_instances(cloud, p: Params) -> dict:
    region = cloud.region(p)
    ids = _ids(p)
    force = p.flag("Force", default=False)

    def delete():
        instances = [cloud.store.get("instance", iid) for iid in ids]
        if any(i is None or i["region"] != region for i in instances):
            raise InvalidInstanceIdsNotFound()
        for instance in instances:
            lifecycle.check_delete(instance, force)
        if p.flag("DryRun", default=False):
            raise DryRunSuccess()
        for instance in instances:
            lifecycle.release(cloud, instance)
        return {}

    return cloud.idempotent("ecs", "DeleteInstances", p, delete)
