"""The instance status machine: start, stop, reboot, release and attribute changes, with their preconditions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...core import on_release
from ...errors import InvalidParameter
from ..exceptions import (
    ChargeTypeViolation,
    IncorrectInstanceStatus,
    IncorrectInstanceStatusInitializing,
    InstanceSecurityGroupVpcMismatch,
    InvalidInstanceNameMalformed,
    InvalidOperationDeletionProtection,
    OperationDeniedNoStock,
)
from . import disks, naming, run_request
from .common import check_description, get_security_group
from .instances import Instance

STOPPED_MODES = ("StopCharging", "KeepCharging")


def _check(instance: Instance, expected: tuple[str, ...]) -> None:
    if instance.get("_releasing") or instance["status"] not in expected:
        raise IncorrectInstanceStatus(instance["status"], expected)


def check_start(instance: Instance) -> None:
    _check(instance, ("Stopped",))


def check_start_stock(cloud, instance: Instance) -> None:
    """StartInstance(s): a Stopped instance, and for one stopped in economical mode (StopCharging, whose vCPUs
    and memory were given back) stock of its type in its zone: else OperationDenied.NoStock (403)."""
    check_start(instance)
    if instance.get("stopped_mode") == "StopCharging" and not cloud.config.has_stock(
        instance["zone"], instance["instance_type"]
    ):
        raise OperationDeniedNoStock()


def start(cloud, instance: Instance) -> None:
    """StartInstance(s): Stopped -> Starting -> Running."""
    instance["started"] = cloud.clock.now()
    instance["stopped_mode"] = ""
    cloud.set_field("instance", instance, "status", "Starting")
    cloud.schedule("instance", instance, [("instance.starting", "status", "Running")])


def check_stop(instance: Instance) -> None:
    _check(instance, ("Running",))


def check_stopped_mode(mode: str) -> str:
    if mode not in STOPPED_MODES:
        raise InvalidParameter("StoppedMode")
    return mode


def stop(cloud, instance: Instance, mode: str) -> None:
    """StopInstance(s): Running -> Stopping -> Stopped."""
    instance["stopped_mode"] = mode
    cloud.set_field("instance", instance, "status", "Stopping")
    cloud.schedule("instance", instance, [("instance.stopping", "status", "Stopped")])


def reboot(cloud, instance: Instance) -> None:
    """RebootInstance: Running -> Starting -> Running (reference §5.1); check_stop is its precondition too."""
    instance["started"] = cloud.clock.now()
    cloud.set_field("instance", instance, "status", "Starting")
    cloud.schedule("instance", instance, [("instance.starting", "status", "Running")])


def check_delete(instance: Instance, force: bool) -> None:
    """DeleteInstance(s) preconditions, in the order the real API reports them."""
    if instance.get("_releasing"):
        return  # already being released: asking again changes nothing
    if instance.get("deletion_protection"):
        raise InvalidOperationDeletionProtection()
    if instance.get("charge_type") == "PrePaid":
        raise ChargeTypeViolation()
    # Just-created instances cannot be released yet; Force does not help (IncorrectInstanceStatus.Initializing).
    if instance["status"] == "Pending" or (force and instance["status"] == "Starting"):
        raise IncorrectInstanceStatusInitializing()
    _check(instance, ("Running", "Stopped") if force else ("Stopped",))


def release(cloud, instance: Instance) -> None:
    """Queue the release: a running instance powers off first; the instance then vanishes from Describe*."""
    if instance.get("_releasing"):
        return
    instance["_releasing"] = True
    if instance["status"] == "Running":
        cloud.set_field("instance", instance, "status", "Stopping")
    cloud.schedule("instance", instance, [("instance.release", "__release__", None)])


@on_release("instance")
def _on_instance_release(cloud, instance: Instance) -> None:
    disks.release_with_instance(cloud, instance)
    _linger(cloud, instance)


LINGER_FIELD = "_dependency_until"


def _linger(cloud, instance: Instance) -> None:
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


def modify_instance_attribute(
    cloud,
    instance: Instance,
    *,
    name: str | None = None,
    description: str | None = None,
    host_name: str | None = None,
    password: str | None = None,
    password_inherit: bool = False,
    user_data: str | None = None,
    security_group_ids: list[str] | None = None,
    deletion_protection: bool | None = None,
) -> None:
    """ModifyInstanceAttribute: validate every field first, then apply them together (None: unchanged)."""
    if name is not None and ("[" in name or "]" in name or "," in name):
        raise InvalidInstanceNameMalformed(param="InstanceName")
    naming.check_instance_name(name)
    check_description(description)
    naming.check_host_name(host_name)
    if host_name is not None and instance["status"] in ("Pending", "Starting"):
        raise IncorrectInstanceStatus(instance["status"], ("Running", "Stopping", "Stopped"))
    if password is not None:
        run_request.check_password(password, password_inherit)
        if instance["status"] == "Starting":
            raise IncorrectInstanceStatus(instance["status"], ("Pending", "Running", "Stopping", "Stopped"))
    if user_data is not None:
        user_data = run_request.check_user_data(user_data)
    groups = [get_security_group(cloud, gid, instance["region"]) for gid in dict.fromkeys(security_group_ids or [])]
    for group in groups:
        if group["vpc_id"] != instance["vpc_id"]:
            raise InstanceSecurityGroupVpcMismatch()
    if name is not None:
        instance["instance_name"] = instance["name"] = name
    if description is not None:
        instance["description"] = description
    if host_name is not None:
        instance["host_name"] = host_name.replace(naming.PLACEHOLDER, instance["id"])
    if user_data is not None:
        instance["user_data"] = user_data
    if groups:
        instance["security_group_ids"] = [g["id"] for g in groups]
    if deletion_protection is not None:
        instance["deletion_protection"] = deletion_protection
    cloud.store.put("instance", instance)
