"""RunInstances and CreateInstance parameters read into a typed `RunRequest` (the model checks their values)."""

from __future__ import annotations

from ...errors import InvalidParameter
from ...params import Params
from ..exceptions import InvalidMinAmountMalformed, InvalidSystemDiskSizeValueNotSupported
from ..models.common import RESOURCE_GROUP
from ..models.run_request import DiskRequest, RunRequest
from .common import parse_tags
from .disks import encrypted_flag


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None


def _system_disk(p: Params) -> DiskRequest:
    spec = p.struct("SystemDisk")
    size = None
    if spec.get("Size"):
        size = _int_or_none(spec["Size"])
        if size is None:
            raise InvalidSystemDiskSizeValueNotSupported()
    return DiskRequest(
        category=spec.get("Category") or None,
        size=size,
        performance_level=spec.get("PerformanceLevel"),
        name=spec.get("DiskName"),
        description=spec.get("Description"),
    )


def _data_disk(n: int, entry: dict[str, str]) -> DiskRequest:
    delete_with = entry.get("DeleteWithInstance", "true").lower()
    if delete_with not in ("true", "false"):
        raise InvalidParameter(f"DataDisk.{n}.DeleteWithInstance", "The value must be true or false.")
    return DiskRequest(
        category=entry.get("Category") or None,
        size=_int_or_none(entry.get("Size")),  # None: MissingParameter
        performance_level=entry.get("PerformanceLevel"),
        name=entry.get("DiskName"),
        description=entry.get("Description"),
        snapshot_id=entry.get("SnapshotId") or None,
        device=entry.get("Device", ""),
        delete_with_instance=delete_with == "true",
        encrypted=encrypted_flag(entry.get("Encrypted"), f"DataDisk.{n}.Encrypted"),
        kms_key_id=entry.get("KMSKeyId"),
    )


def read_run_request(p: Params) -> RunRequest:
    """The wire parameters of RunInstances as typed values; a value that is not a number or a boolean fails here,
    every other check is the model's, in the real API's order."""
    return RunRequest(
        instance_type=p.text("InstanceType"),
        amount=p.integer("Amount", default=1) or 0,
        min_amount=p.integer("MinAmount", code=InvalidMinAmountMalformed.code),
        image_id=p.text("ImageId"),
        image_family=p.text("ImageFamily"),
        security_group_id=p.text("SecurityGroupId"),
        security_group_ids=p.items("SecurityGroupIds"),
        vswitch_id=p.text("VSwitchId"),
        zone_id=p.text("ZoneId"),
        system_disk=_system_disk(p),
        data_disks=[_data_disk(n, entry) for n, entry in enumerate(p.struct_list("DataDisk"), 1)],
        user_data=p.text("UserData", default="") or "",
        unique_suffix=bool(p.flag("UniqueSuffix", default=False)),
        instance_name=p.text("InstanceName"),
        host_name=p.text("HostName"),
        host_names=p.items("HostNames"),
        description=p.text("Description"),
        password=p.text("Password"),
        password_inherit=bool(p.flag("PasswordInherit", default=False)),
        charge_type=p.text("InstanceChargeType") or "PostPaid",
        spot_strategy=p.text("SpotStrategy") or "NoSpot",
        internet_charge_type=p.text("InternetChargeType") or "PayByTraffic",
        internet_max_bandwidth_out=p.integer("InternetMaxBandwidthOut", default=0) or 0,
        internet_max_bandwidth_in=p.integer("InternetMaxBandwidthIn"),
        tags=parse_tags(p),
        deletion_protection=bool(p.flag("DeletionProtection", default=False)),
        private_ip=p.text("PrivateIpAddress"),
        key_pair_name=p.text("KeyPairName") or "",
        resource_group_id=p.text("ResourceGroupId") or RESOURCE_GROUP,
        hpc_cluster_id=p.text("HpcClusterId") or "",
        deployment_set_id=p.text("DeploymentSetId") or "",
        credit_specification=p.text("CreditSpecification") or "",
        dry_run=bool(p.flag("DryRun", default=False)),
    )
