"""RunInstances and CreateInstance: the typed request (`RunRequest`, `DiskRequest`, read from the wire by
`responses/run_request.py`) and its checks, which `instances.run_instances` runs in the real API's order:
image, security groups, vSwitch, zone, disks, UserData, names, password, billing."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypedDict

from ... import catalog
from ...errors import InvalidParameter, MissingParameter
from ..exceptions import (
    ExclusiveParameters,
    IncorrectVSwitchStatus,
    InstanceDiskNumberLimitExceed,
    InstanceTypeOffline,
    InvalidDataDiskCategoryValueNotSupported,
    InvalidDataDiskSizeValueNotSupported,
    InvalidDataDiskSnapshotIdNotFound,
    InvalidDeviceMalformed,
    InvalidDiskDescriptionMalformed,
    InvalidDiskNameMalformed,
    InvalidImageFamilyNotFound,
    InvalidImageIdNotFound,
    InvalidInstanceChargeTypeNotFound,
    InvalidInstanceTypeZoneNotSupported,
    InvalidInternetChargeTypeValueNotSupported,
    InvalidInternetMaxBandwidthInMalformed,
    InvalidPasswordMalformed,
    InvalidPasswordParamMismatch,
    InvalidSecurityGroupIdMultiGroupType,
    InvalidSecurityGroupIdNotInSameVpc,
    InvalidSpotPrepaid,
    InvalidSpotStrategy,
    InvalidSystemDiskCategoryValueNotSupported,
    InvalidSystemDiskSizeLessThanImageSize,
    InvalidSystemDiskSizeLessThanMinSize,
    InvalidSystemDiskSizeMoreThanMaxSize,
    InvalidUserDataBase64FormatInvalid,
    InvalidUserDataSizeExceeded,
    InvalidVSwitchIdNotFound,
    OperationDeniedZoneNotAllowed,
    SecurityGroupVSwitchMismatch,
    VSwitchZoneMismatch,
)
from . import disks, naming
from .common import (
    ALL_DISK_CATEGORIES,
    RESOURCE_GROUP,
    check_description,
    check_name,
    get_security_group,
    zone_of,
)

if TYPE_CHECKING:
    from .security_groups import SecurityGroup

USER_DATA_MAX = 32 * 1024  # bytes before Base64 (current RunInstances docs; 16 KB in 2021, 64 KB in 2018)
DEFAULT_SYSTEM_CATEGORY = "cloud_efficiency"
_PASSWORD_SPECIALS = set("()`~!@#$%^&*-_+=|{}[]:;\"'<>,.?/")


class Billing(TypedDict):
    charge_type: str  # PostPaid | PrePaid
    spot_strategy: str
    internet_charge_type: str  # PayByTraffic | PayByBandwidth
    internet_max_bandwidth_out: int
    internet_max_bandwidth_in: int


@dataclass
class DiskRequest:
    """SystemDisk.* or one DataDisk.N.* of RunInstances, read from the wire (None: not given)."""

    category: str | None = None
    size: int | None = None
    performance_level: str | None = None
    name: str | None = None
    description: str | None = None
    snapshot_id: str | None = None
    device: str = ""
    delete_with_instance: bool = True
    encrypted: bool = False
    kms_key_id: str | None = None


@dataclass
class RunRequest:
    """RunInstances (and CreateInstance) as typed values; `run_instances` checks them in the real API's order."""

    instance_type: str | None
    amount: int = 1
    min_amount: int | None = None
    image_id: str | None = None
    image_family: str | None = None
    security_group_id: str | None = None
    security_group_ids: list[str] = field(default_factory=list)
    vswitch_id: str | None = None
    zone_id: str | None = None
    system_disk: DiskRequest = field(default_factory=DiskRequest)
    data_disks: list[DiskRequest] = field(default_factory=list)
    user_data: str = ""
    unique_suffix: bool = False
    instance_name: str | None = None
    host_name: str | None = None
    host_names: list[str] = field(default_factory=list)
    description: str | None = None
    password: str | None = None
    password_inherit: bool = False
    charge_type: str = "PostPaid"
    spot_strategy: str = "NoSpot"
    internet_charge_type: str = "PayByTraffic"
    internet_max_bandwidth_out: int = 0
    internet_max_bandwidth_in: int | None = None
    tags: dict[str, str] = field(default_factory=dict)
    deletion_protection: bool = False
    private_ip: str | None = None
    key_pair_name: str = ""
    resource_group_id: str = RESOURCE_GROUP
    hpc_cluster_id: str = ""
    deployment_set_id: str = ""
    credit_specification: str = ""
    dry_run: bool = False


def security_groups_of(cloud, region: str, req: RunRequest) -> list[SecurityGroup]:
    single, many = req.security_group_id, req.security_group_ids
    if single and many:
        raise ExclusiveParameters(first="SecurityGroupId", second="SecurityGroupIds.N")
    ids = [single] if single else many
    if not ids:
        raise MissingParameter(name="SecurityGroupId")
    groups = [get_security_group(cloud, gid, region) for gid in dict.fromkeys(ids)]
    if len({g["vpc_id"] for g in groups}) > 1:
        raise InvalidSecurityGroupIdNotInSameVpc()
    if len({g["group_type"] for g in groups}) > 1:
        raise InvalidSecurityGroupIdMultiGroupType()
    return groups


def vswitch_of(cloud, region: str, req: RunRequest, groups: list[SecurityGroup]) -> dict:
    if req.vswitch_id is None:
        raise MissingParameter(name="VSwitchId")
    vsw = cloud.store.get("vswitch", req.vswitch_id)
    if vsw is None or vsw.get("region") != region:
        raise InvalidVSwitchIdNotFound()
    zone = zone_of(region, req.zone_id)
    if zone is not None and zone != vsw["zone"]:
        raise VSwitchZoneMismatch()
    if vsw.get("status", "Available") != "Available":
        raise IncorrectVSwitchStatus()
    if groups[0]["vpc_id"] != vsw["vpc_id"]:
        raise SecurityGroupVSwitchMismatch()
    return vsw


def resolve_image(cloud, image_id: str | None, family: str | None) -> tuple[str, dict]:
    """ImageId, or the newest Available image of ImageFamily (RunInstances/CreateInstance; one of the two).
    A retired public image answers like one that never existed: InvalidImageId.NotFound (404)."""
    retired = cloud.config.retired_images
    if image_id is not None and family is not None:
        raise ExclusiveParameters(first="ImageId", second="ImageFamily")
    if family is not None:
        found = catalog.image_of_family(family, retired)
        if found is None:
            raise InvalidImageFamilyNotFound()
        return found
    if image_id is None:
        raise MissingParameter(name="ImageId")
    image = catalog.image(image_id, retired)
    if image is None:
        raise InvalidImageIdNotFound()
    return image_id, image


def check_zone_open(cloud, zone: str) -> None:
    """A zone closed to this account (config `closed_zones`): OperationDenied.ZoneNotAllowed (403). The catalogue
    (DescribeAvailableResource) still lists it, as the real one does not know the account's restrictions."""
    if zone in cloud.config.closed_zones:
        raise OperationDeniedZoneNotAllowed()


def check_zone_sells(region: str, zone: str, itype: str) -> None:
    """A type the zone no longer sells is InstanceType.Offline; one it never sold ZoneNotSupported (both 403)."""
    if catalog.zone_offline(region, zone, itype):
        raise InstanceTypeOffline()
    if not catalog.zone_sells(region, zone, itype):
        raise InvalidInstanceTypeZoneNotSupported()


def system_disk_of(spec: DiskRequest, image: dict) -> dict:
    category = spec.category or DEFAULT_SYSTEM_CATEGORY
    if category not in ALL_DISK_CATEGORIES:
        raise InvalidSystemDiskCategoryValueNotSupported()
    level = disks.performance_level(spec.performance_level, category)
    low, high = disks.size_range(category, level, system=True)
    size = max(40, image["size"])
    if spec.size is not None:
        size = spec.size
        if size < image["size"]:
            raise InvalidSystemDiskSizeLessThanImageSize()
        if size < low:
            raise InvalidSystemDiskSizeLessThanMinSize()
        if size > high:
            raise InvalidSystemDiskSizeMoreThanMaxSize()
    check_name(spec.name, InvalidDiskNameMalformed, "SystemDisk.DiskName")
    check_description(spec.description, InvalidDiskDescriptionMalformed, "SystemDisk.Description")
    return {
        "category": category,
        "size": size,
        "level": level,
        "name": spec.name or "",
        "description": spec.description or "",
    }


def data_disks_of(entries: list[DiskRequest], region: str) -> list[dict]:
    if len(entries) > disks.MAX_DATA_DISKS:
        raise InstanceDiskNumberLimitExceed()
    out = []
    for n, entry in enumerate(entries, 1):
        category = entry.category or DEFAULT_SYSTEM_CATEGORY
        if category not in ALL_DISK_CATEGORIES:
            raise InvalidDataDiskCategoryValueNotSupported(n=n)
        if entry.snapshot_id:
            raise InvalidDataDiskSnapshotIdNotFound(n=n)
        level = disks.performance_level(entry.performance_level, category)
        low, high = disks.size_range(category, level, system=False)
        if entry.size is None:
            raise MissingParameter(name=f"DataDisk.{n}.Size")
        if not low <= entry.size <= high:
            raise InvalidDataDiskSizeValueNotSupported(n=n)
        check_name(entry.name, InvalidDiskNameMalformed, f"DataDisk.{n}.DiskName")
        check_description(entry.description, InvalidDiskDescriptionMalformed, f"DataDisk.{n}.Description")
        if entry.device and not re.match(r"^/dev/xvd[b-z]$", entry.device):
            raise InvalidDeviceMalformed(param=f"DataDisk.{n}.Device")
        secret = disks.encryption(region, entry.encrypted, entry.kms_key_id)
        out.append(
            {
                "category": category,
                "size": entry.size,
                "level": level,
                "name": entry.name or "",
                "description": entry.description or "",
                "delete_with_instance": entry.delete_with_instance,
                "device": entry.device,
                "encryption": secret,
            }
        )
    return out


def check_user_data(value: str) -> str:
    """UserData: Base64 of at most USER_DATA_MAX bytes."""
    if not value:
        return ""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidUserDataBase64FormatInvalid() from None
    if len(raw) > USER_DATA_MAX:
        raise InvalidUserDataSizeExceeded()
    return value


def check_password(password: str | None, inherit: bool = False) -> None:
    if password is None:
        return
    if inherit:
        raise InvalidPasswordParamMismatch()
    kinds = [
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(c in _PASSWORD_SPECIALS for c in password),
    ]
    allowed = all(c.isascii() and (c.isalnum() or c in _PASSWORD_SPECIALS) for c in password)
    if not 8 <= len(password) <= 30 or sum(kinds) < 3 or not allowed:
        raise InvalidPasswordMalformed()


def billing_of(req: RunRequest) -> Billing:
    charge, spot, internet = req.charge_type, req.spot_strategy, req.internet_charge_type
    if charge not in ("PostPaid", "PrePaid"):
        raise InvalidInstanceChargeTypeNotFound()
    if spot not in ("NoSpot", "SpotWithPriceLimit", "SpotAsPriceGo"):
        raise InvalidSpotStrategy()
    if spot != "NoSpot" and charge == "PrePaid":
        raise InvalidSpotPrepaid()
    if internet not in ("PayByTraffic", "PayByBandwidth"):
        raise InvalidInternetChargeTypeValueNotSupported()
    out_bw = req.internet_max_bandwidth_out
    if not 0 <= out_bw <= 100:
        raise InvalidParameter("InternetMaxBandwidthOut")
    in_bw = req.internet_max_bandwidth_in
    if in_bw is None:
        in_bw = 10 if out_bw <= 10 else out_bw
    if not 1 <= in_bw <= max(10, out_bw):
        raise InvalidInternetMaxBandwidthInMalformed()
    return {
        "charge_type": charge,
        "spot_strategy": spot,
        "internet_charge_type": internet,
        "internet_max_bandwidth_out": out_bw,
        "internet_max_bandwidth_in": in_bw,
    }


def host_names_of(req: RunRequest) -> list[str | None]:
    many = req.host_names
    if many:
        if req.host_name is not None:
            raise ExclusiveParameters(first="HostName", second="HostNames.N")
        if len(many) != req.amount:
            raise InvalidParameter("HostNames.N", "The number of host names must equal Amount.")
        for name in many:
            naming.check_host_name(name, "HostNames.N")
        return list(many)
    naming.check_host_name(req.host_name)
    return naming.expand(req.host_name, req.amount, req.unique_suffix)
