"""RunInstances: validation in the real API's order, placement, private addresses, disks, names and tags."""

from __future__ import annotations

import base64
import binascii
import re
import sys
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypedDict

if sys.version_info >= (3, 11):
    from typing import NotRequired
else:  # python_requires >= 3.10
    from typing_extensions import NotRequired

from ... import catalog
from ...core import new_id
from ...errors import DryRunOperation, InvalidParameter, MissingParameter
from ..exceptions import (
    CategoryNotSupported,
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
    InvalidInstanceType,
    InvalidInstanceTypeZoneNotSupported,
    InvalidInternetChargeTypeValueNotSupported,
    InvalidInternetMaxBandwidthInMalformed,
    InvalidMinAmountMalformed,
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
    OperationDeniedNoStock,
    OperationDeniedZoneNotAllowed,
    QuotaExceedAfterpayInstance,
    SecurityGroupVSwitchMismatch,
    VSwitchZoneMismatch,
)
from . import disks, events, naming, placement
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


class _InstanceBookkeeping(TypedDict, total=False):
    _timeline: list  # pending status steps (localcloud.core.Cloud.schedule)
    _releasing: bool  # DeleteInstance(s) accepted; released when the timeline says so


class Instance(Billing, _InstanceBookkeeping):
    """An instance as kept in the store (kind "instance"); `render_instance` turns it into the API's shape."""

    id: str
    region: str
    zone: str
    instance_type: str
    image_id: str
    vpc_id: str
    vswitch_id: str
    security_group_ids: list[str]
    private_ip: str
    public_ip: str  # "" without one
    user_data: str  # Base64, as given
    host_name: str
    instance_name: str
    name: str
    description: str
    deletion_protection: bool
    status: str  # Pending | Starting | Running | Stopping | Stopped
    created: float
    started: float
    tags: dict[str, str]
    key_pair_name: str
    resource_group_id: str
    stopped_mode: str  # KeepCharging | StopCharging while Stopped, else ""
    eni_id: str
    mac: str
    serial: str
    _order: int
    hpc_cluster_id: str
    deployment_set_id: str
    credit_specification: str
    system_disk_id: NotRequired[str]  # set once the system disk exists


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


def _security_groups(cloud, region: str, req: RunRequest) -> list[SecurityGroup]:
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


def _vswitch(cloud, region: str, req: RunRequest, groups: list[SecurityGroup]) -> dict:
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


def _system_disk(spec: DiskRequest, image: dict) -> dict:
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


def _data_disks(entries: list[DiskRequest], region: str) -> list[dict]:
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


def _billing(req: RunRequest) -> Billing:
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


def _host_names(req: RunRequest) -> list[str | None]:
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


# RunInstances ----------------------------------------------------------------------------------------------
def run_instances(cloud, region: str, req: RunRequest) -> list[str]:
    """Validate everything (including quota and stock), then create Amount instances with their disks."""
    amount = req.amount
    if not 1 <= amount <= 100:
        raise InvalidParameter("Amount")
    if req.min_amount is not None and not 1 <= req.min_amount <= amount:
        raise InvalidMinAmountMalformed()
    itype = req.instance_type
    if itype is None:
        raise MissingParameter(name="InstanceType")
    if catalog.INSTANCE_TYPES.get(itype) is None:
        raise InvalidInstanceType()
    image_id, image = resolve_image(cloud, req.image_id, req.image_family)
    groups = _security_groups(cloud, region, req)
    vsw = _vswitch(cloud, region, req, groups)
    zone = vsw["zone"]
    check_zone_open(cloud, zone)
    check_zone_sells(region, zone, itype)
    system = _system_disk(req.system_disk, image)
    data = _data_disks(req.data_disks, region)
    sold = catalog.zone_disks(region, zone)
    if any(category not in sold for category in [system["category"]] + [d["category"] for d in data]):
        raise CategoryNotSupported()
    user_data = check_user_data(req.user_data)
    naming.check_instance_name(req.instance_name)
    names = naming.expand(req.instance_name, amount, req.unique_suffix)
    for name in names:
        naming.check_instance_name(name)
    hosts = _host_names(req)
    check_description(req.description)
    check_password(req.password, req.password_inherit)
    billing = _billing(req)
    living = sum(1 for i in cloud.store.all("instance") if i["region"] == region)
    if living + amount > cloud.config.instance_quota:
        raise QuotaExceedAfterpayInstance()
    if not cloud.config.has_stock(zone, itype):
        raise OperationDeniedNoStock()
    addresses = placement.private_ips(cloud, vsw, amount, req.private_ip)
    if req.dry_run:
        raise DryRunOperation()

    now = cloud.clock.now()
    ids: list[str] = []
    publics: set[str] = set()
    for index in range(amount):
        iid = new_id("i", region)
        public_ip = ""
        if billing["internet_max_bandwidth_out"] > 0:
            public_ip = placement.public_ip(cloud, publics)
            publics.add(public_ip)
        host_name = hosts[index]
        host = host_name.replace(naming.PLACEHOLDER, iid) if host_name else naming.default_host_name(iid)
        instance: Instance = {
            "id": iid,
            "region": region,
            "zone": zone,
            "instance_type": itype,
            "image_id": image_id,
            "vpc_id": vsw["vpc_id"],
            "vswitch_id": vsw["id"],
            "security_group_ids": [g["id"] for g in groups],
            "private_ip": addresses[index],
            "public_ip": public_ip,
            "user_data": user_data,
            "host_name": host,
            "instance_name": names[index] or iid,
            "name": names[index] or iid,
            "description": req.description or "",
            "deletion_protection": req.deletion_protection,
            "status": "Pending",
            "created": now,
            "started": now,
            "tags": dict(req.tags),
            "key_pair_name": req.key_pair_name,
            "resource_group_id": req.resource_group_id,
            "stopped_mode": "",
            "eni_id": new_id("eni", region),
            "mac": placement.mac(),
            "serial": str(uuid.uuid4()),
            "_order": index,
            "hpc_cluster_id": req.hpc_cluster_id,
            "deployment_set_id": req.deployment_set_id,
            "credit_specification": req.credit_specification,
            **billing,
        }
        system_disk = disks.new_disk(
            cloud,
            region,
            zone,
            category=system["category"],
            size=system["size"],
            disk_type="system",
            status="In_use",
            instance_id=iid,
            device="/dev/xvda",
            delete_with_instance=True,
            portable=False,
            level=system["level"],
            name=system["name"],
            description=system["description"],
            image_id=image_id,
            disk_tags=req.tags,
            order=index * 20,
        )
        instance["system_disk_id"] = system_disk["id"]
        taken: set[str] = {"/dev/xvda"}
        for n, spec_disk in enumerate(data, 1):
            device = spec_disk["device"] if spec_disk["device"] not in ("", *taken) else ""
            device = device or disks.next_device(cloud, iid, taken)
            taken.add(device)
            disks.new_disk(
                cloud,
                region,
                zone,
                category=spec_disk["category"],
                size=spec_disk["size"],
                disk_type="data",
                status="In_use",
                instance_id=iid,
                device=device,
                delete_with_instance=spec_disk["delete_with_instance"],
                level=spec_disk["level"],
                name=spec_disk["name"],
                description=spec_disk["description"],
                disk_tags=req.tags,
                order=index * 20 + n,
                encryption=spec_disk["encryption"],
            )
        cloud.store.put("instance", instance)
        ids.append(iid)
        if _lost(cloud):
            # The system could not create it and released it at once (SystemFailure.Delete): the id is in
            # the answer but never in DescribeInstances (Terraform's ecs_instance_set checks for this event).
            events.system_failure_delete(cloud, instance)
            for disk in disks.attached_disks(cloud, iid):
                cloud.release("disk", disk)  # made for a creation that failed: none is kept (CHOICES.md)
            cloud.release("instance", instance)
            continue
        # Instances start on their own: Pending -> Starting -> Running (RunInstances docs).
        cloud.schedule(
            "instance",
            instance,
            [("instance.pending", "status", "Starting"), ("instance.starting", "status", "Running")],
        )
    return ids


def create_instance(cloud, region: str, req: RunRequest) -> str:
    """CreateInstance: one instance as RunInstances makes it, but Stopped once created (StartInstance starts it)
    and without a public IP even with InternetMaxBandwidthOut > 0 (CreateInstance docs)."""
    instance_id = run_instances(cloud, region, req)[0]
    instance = cloud.store.get("instance", instance_id)
    instance["public_ip"] = ""
    instance["stopped_mode"] = "KeepCharging"
    cloud.schedule("instance", instance, [("instance.pending", "status", "Stopped")])
    return instance_id


def _lost(cloud) -> bool:
    faults = getattr(cloud, "faults", None)
    if faults is None:
        return False
    rate = faults.rate("ecs", "RunInstances", "lose")
    if rate > 0 and faults.coin() < rate:
        faults.count("lose")
        return True
    return False


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
