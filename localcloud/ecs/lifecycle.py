"""The instance status machine: start, stop, reboot, release and attribute changes, with their preconditions."""
from __future__ import annotations

from typing import Any, Mapping

from ..core import on_release
from ..errors import CloudError
from ..params import Params
from . import disk_models, instance_models, naming
from .common import check_description, get_security_group, incorrect_instance_status

STOPPED_MODES = ("StopCharging", "KeepCharging")


def _check(instance: dict, expected: tuple[str, ...]) -> None:
    if instance.get("_releasing") or instance["status"] not in expected:
        raise incorrect_instance_status(instance, expected)


def check_start(instance: dict) -> None:
    _check(instance, ("Stopped",))


def check_start_stock(cloud, instance: dict) -> None:
    """StartInstance(s): a Stopped instance, and for one stopped in economical mode (StopCharging, whose vCPUs
    and memory were given back) stock of its type in its zone: else OperationDenied.NoStock (403)."""
    check_start(instance)
    if instance.get("stopped_mode") == "StopCharging" and not cloud.config.has_stock(instance["zone"],
                                                                                     instance["instance_type"]):
        raise CloudError("OperationDenied.NoStock", "The resource is out of stock in the specified zone. Please try "
                         "other types, or choose other regions and zones.", 403)


def start(cloud, instance: dict) -> None:
    """StartInstance(s): Stopped -> Starting -> Running."""
    instance["started"] = cloud.clock.now()
    instance["stopped_mode"] = ""
    cloud.set_field("instance", instance, "status", "Starting")
    cloud.schedule("instance", instance, [("instance.starting", "status", "Running")])


def check_stop(instance: dict) -> None:
    _check(instance, ("Running",))


def stopped_mode(p: Params) -> str:
    mode = p.text("StoppedMode", default="KeepCharging")
    if mode not in STOPPED_MODES:
        raise CloudError("InvalidParameter", 'The specified parameter "StoppedMode" is not valid.', 400)
    return mode


def stop(cloud, instance: dict, mode: str) -> None:
    """StopInstance(s): Running -> Stopping -> Stopped."""
    instance["stopped_mode"] = mode
    cloud.set_field("instance", instance, "status", "Stopping")
    cloud.schedule("instance", instance, [("instance.stopping", "status", "Stopped")])


def reboot(cloud, instance: dict) -> None:
    """RebootInstance: Running -> Starting -> Running (reference §5.1); check_stop is its precondition too."""
    instance["started"] = cloud.clock.now()
    cloud.set_field("instance", instance, "status", "Starting")
    cloud.schedule("instance", instance, [("instance.starting", "status", "Running")])


def check_delete(instance: dict, force: bool) -> None:
    """DeleteInstance(s) preconditions, in the order the real API reports them."""
    if instance.get("_releasing"):
        return  # already being released: asking again changes nothing
    if instance.get("deletion_protection"):
        raise CloudError("InvalidOperation.DeletionProtection", "The instance is protected from release; disable "
                         "DeletionProtection first.", 403)
    if instance.get("charge_type") == "PrePaid":
        raise CloudError("ChargeTypeViolation", "The operation is not permitted due to charge type of the instance.",
                         403)
    # Just-created instances cannot be released yet; Force does not help (IncorrectInstanceStatus.Initializing).
    if instance["status"] == "Pending" or (force and instance["status"] == "Starting"):
        raise CloudError("IncorrectInstanceStatus.Initializing", "The specified instance status does not support "
                         "this operation.", 403)
    _check(instance, ("Running", "Stopped") if force else ("Stopped",))


def release(cloud, instance: dict) -> None:
    """Queue the release: a running instance powers off first; the instance then vanishes from Describe*."""
    if instance.get("_releasing"):
        return
    instance["_releasing"] = True
    if instance["status"] == "Running":
        cloud.set_field("instance", instance, "status", "Stopping")
    cloud.schedule("instance", instance, [("instance.release", "__release__", None)])


@on_release("instance")
def _on_instance_release(cloud, instance: dict) -> None:
    disk_models.release_with_instance(cloud, instance)
    _linger(cloud, instance)


LINGER_FIELD = "_dependency_until"


def _linger(cloud, instance: dict) -> None:
    """The instance is gone but its ENI is still being released: its security groups, vSwitch and VPC keep
    answering DependencyViolation for a while (real clients wait up to 10 min for those deletes)."""
    seconds = cloud.config.dependency_linger
    if seconds is None:
        seconds = cloud.clock.delay("dependency.linger")
    if not seconds or seconds <= 0:
        return
    until = cloud.clock.now() + float(seconds)
    targets = [("security_group", gid) for gid in instance.get("security_group_ids", [])]
    targets += [("vswitch", instance.get("vswitch_id")), ("vpc", instance.get("vpc_id"))]
    for kind, rid in targets:
        obj = cloud.store.get(kind, rid) if rid else None
        if obj is not None:
            obj[LINGER_FIELD] = max(float(obj.get(LINGER_FIELD) or 0.0), until)
            cloud.store.put(kind, obj)


def lingering(cloud, obj: Mapping[str, Any]) -> bool:
    """True while a released instance's network interface still holds `obj` (a group, vSwitch or VPC)."""
    return cloud.clock.now() < float(obj.get(LINGER_FIELD) or 0.0)


def modify_attribute(cloud, instance: dict, p: Params) -> None:
    """ModifyInstanceAttribute: validate every field first, then apply them together."""
    name = p.text("InstanceName")
    if name is not None and ("[" in name or "]" in name or "," in name):
        raise CloudError("InvalidInstanceName.Malformed", 'The specified parameter "InstanceName" is not valid.', 400)
    naming.check_instance_name(name)
    description = p.text("Description")
    check_description(description)
    host = p.text("HostName")
    naming.check_host_name(host)
    if host is not None and instance["status"] in ("Pending", "Starting"):
        raise incorrect_instance_status(instance, ("Running", "Stopping", "Stopped"))
    if p.text("Password") is not None:
        instance_models.check_password(p)
        if instance["status"] == "Starting":
            raise incorrect_instance_status(instance, ("Pending", "Running", "Stopping", "Stopped"))
    user_data = instance_models.parse_user_data(p) if "UserData" in p else None
    group_ids = p.items("SecurityGroupIds")
    groups = [get_security_group(cloud, gid, instance["region"]) for gid in dict.fromkeys(group_ids)]
    for group in groups:
        if group["vpc_id"] != instance["vpc_id"]:
            raise CloudError("InvalidParameter.Mismatch", "Specified security group and instance are not in the same "
                             "VPC.", 400)
    protection = p.flag("DeletionProtection")
    if name is not None:
        instance["instance_name"] = instance["name"] = name
    if description is not None:
        instance["description"] = description
    if host is not None:
        instance["host_name"] = host.replace(naming.PLACEHOLDER, instance["id"])
    if user_data is not None:
        instance["user_data"] = user_data
    if groups:
        instance["security_group_ids"] = [g["id"] for g in groups]
    if protection is not None:
        instance["deletion_protection"] = protection
    cloud.store.put("instance", instance)
