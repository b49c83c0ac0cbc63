"""RunInstances: validation in the real API's order, placement, private addresses, disks, names and tags."""
from __future__ import annotations

import base64
import binascii
import ipaddress
import re
import uuid

from ... import catalog
from ...core import new_id
from ...errors import DryRunOperation, InvalidParameter, MissingParameter
from ...params import Params
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
    InvalidPrivateIpAddress,
    InvalidPrivateIpAddressDuplicated,
    InvalidPrivateIpAddressMalformed,
    InvalidSecurityGroupIdMultiGroupType,
    InvalidSecurityGroupIdNotInSameVpc,
    InvalidSpotPrepaid,
    InvalidSpotStrategy,
    InvalidSystemDiskCategoryValueNotSupported,
    InvalidSystemDiskSizeLessThanImageSize,
    InvalidSystemDiskSizeLessThanMinSize,
    InvalidSystemDiskSizeMoreThanMaxSize,
    InvalidSystemDiskSizeValueNotSupported,
    InvalidUserDataBase64FormatInvalid,
    InvalidUserDataSizeExceeded,
    InvalidVSwitchIdNotFound,
    OperationDeniedNoStock,
    OperationDeniedZoneNotAllowed,
    QuotaExceedAfterpayInstance,
    QuotaExceededPrivateIpAddress,
    QuotaExceedPublicIp,
    SecurityGroupVSwitchMismatch,
    VSwitchZoneMismatch,
)
from . import disks, events, naming
from .common import (
    ALL_DISK_CATEGORIES,
    RESOURCE_GROUP,
    check_description,
    check_name,
    get_security_group,
    parse_tags,
    zone_of,
)

USER_DATA_MAX = 32 * 1024            # bytes before Base64 (current RunInstances docs; 16 KB in 2021, 64 KB in 2018)
DEFAULT_SYSTEM_CATEGORY = "cloud_efficiency"
PUBLIC_POOL = ipaddress.ip_network("198.18.0.0/15")   # our stand-in for public addresses (never routed)
_PASSWORD_SPECIALS = set("()`~!@#$%^&*-_+=|{}[]:;\"'<>,.?/")


def _security_groups(cloud, region: str, p: Params) -> list[dict]:
    single = p.text("SecurityGroupId")
    many = p.items("SecurityGroupIds")
    if single and many:
        raise ExclusiveParameters(first='SecurityGroupId', second='SecurityGroupIds.N')
    ids = [single] if single else many
    if not ids:
        raise MissingParameter(name="SecurityGroupId")
    groups = [get_security_group(cloud, gid, region) for gid in dict.fromkeys(ids)]
    if len({g["vpc_id"] for g in groups}) > 1:
        raise InvalidSecurityGroupIdNotInSameVpc()
    if len({g["group_type"] for g in groups}) > 1:
        raise InvalidSecurityGroupIdMultiGroupType()
    return groups


def _vswitch(cloud, region: str, p: Params, groups: list[dict]) -> dict:
    vsw_id = p.text("VSwitchId")
    if vsw_id is None:
        raise MissingParameter(name="VSwitchId")
    vsw = cloud.store.get("vswitch", vsw_id)
    if vsw is None or vsw.get("region") != region:
        raise InvalidVSwitchIdNotFound()
    zone = zone_of(region, p.text("ZoneId"))
    if zone is not None and zone != vsw["zone"]:
        raise VSwitchZoneMismatch()
    if vsw.get("status", "Available") != "Available":
        raise IncorrectVSwitchStatus()
    if groups[0]["vpc_id"] != vsw["vpc_id"]:
        raise SecurityGroupVSwitchMismatch()
    return vsw


def _system_disk(p: Params, image: dict) -> dict:
    spec = p.struct("SystemDisk")
    category = spec.get("Category") or DEFAULT_SYSTEM_CATEGORY
    if category not in ALL_DISK_CATEGORIES:
        raise InvalidSystemDiskCategoryValueNotSupported()
    level = disks.performance_level(spec.get("PerformanceLevel"), category)
    low, high = disks.size_range(category, level, system=True)
    size = max(40, image["size"])
    if spec.get("Size"):
        try:
            size = int(spec["Size"])
        except ValueError:
            raise InvalidSystemDiskSizeValueNotSupported() from None
        if size < image["size"]:
            raise InvalidSystemDiskSizeLessThanImageSize()
        if size < low:
            raise InvalidSystemDiskSizeLessThanMinSize()
        if size > high:
            raise InvalidSystemDiskSizeMoreThanMaxSize()
    check_name(spec.get("DiskName"), InvalidDiskNameMalformed, "SystemDisk.DiskName")
    check_description(spec.get("Description"), InvalidDiskDescriptionMalformed, "SystemDisk.Description")
    return {"category": category, "size": size, "level": level, "name": spec.get("DiskName", ""),
            "description": spec.get("Description", "")}


def _data_disks(p: Params, region: str) -> list[dict]:
    entries = p.struct_list("DataDisk")
    if len(entries) > disks.MAX_DATA_DISKS:
        raise InstanceDiskNumberLimitExceed()
    out = []
    for n, entry in enumerate(entries, 1):
        category = entry.get("Category") or DEFAULT_SYSTEM_CATEGORY
        if category not in ALL_DISK_CATEGORIES:
            raise InvalidDataDiskCategoryValueNotSupported(n=n)
        if entry.get("SnapshotId"):
            raise InvalidDataDiskSnapshotIdNotFound(n=n)
        level = disks.performance_level(entry.get("PerformanceLevel"), category)
        low, high = disks.size_range(category, level, system=False)
        try:
            size = int(entry.get("Size", ""))
        except ValueError:
            raise MissingParameter(name=f"DataDisk.{n}.Size") from None
        if not low <= size <= high:
            raise InvalidDataDiskSizeValueNotSupported(n=n)
        check_name(entry.get("DiskName"), InvalidDiskNameMalformed, f"DataDisk.{n}.DiskName")
        check_description(entry.get("Description"), InvalidDiskDescriptionMalformed, f"DataDisk.{n}.Description")
        delete_with = entry.get("DeleteWithInstance", "true").lower()
        if delete_with not in ("true", "false"):
            raise InvalidParameter(f"DataDisk.{n}.DeleteWithInstance", "The value must be true or false.")
        device = entry.get("Device", "")
        if device and not re.match(r"^/dev/xvd[b-z]$", device):
            raise InvalidDeviceMalformed(param=f'DataDisk.{n}.Device')
        secret = disks.encryption(region, entry.get("Encrypted"), entry.get("KMSKeyId"),
                                        f"DataDisk.{n}.Encrypted")
        out.append({"category": category, "size": size, "level": level, "name": entry.get("DiskName", ""),
                    "description": entry.get("Description", ""), "delete_with_instance": delete_with == "true",
                    "device": device, "encryption": secret})
    return out


def parse_user_data(p: Params) -> str:
    value = p.text("UserData", default="")
    if not value:
        return ""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidUserDataBase64FormatInvalid() from None
    if len(raw) > USER_DATA_MAX:
        raise InvalidUserDataSizeExceeded()
    return value


def check_password(p: Params) -> None:
    password = p.text("Password")
    if password is None:
        return
    if p.flag("PasswordInherit", default=False):
        raise InvalidPasswordParamMismatch()
    kinds = [any(c.islower() for c in password), any(c.isupper() for c in password),
             any(c.isdigit() for c in password), any(c in _PASSWORD_SPECIALS for c in password)]
    allowed = all(c.isascii() and (c.isalnum() or c in _PASSWORD_SPECIALS) for c in password)
    if not 8 <= len(password) <= 30 or sum(kinds) < 3 or not allowed:
        raise InvalidPasswordMalformed()


def _billing(p: Params) -> dict:
    charge = p.text("InstanceChargeType", default="PostPaid")
    if charge not in ("PostPaid", "PrePaid"):
        raise InvalidInstanceChargeTypeNotFound()
    spot = p.text("SpotStrategy", default="NoSpot")
    if spot not in ("NoSpot", "SpotWithPriceLimit", "SpotAsPriceGo"):
        raise InvalidSpotStrategy()
    if spot != "NoSpot" and charge == "PrePaid":
        raise InvalidSpotPrepaid()
    internet = p.text("InternetChargeType", default="PayByTraffic")
    if internet not in ("PayByTraffic", "PayByBandwidth"):
        raise InvalidInternetChargeTypeValueNotSupported()
    out_bw = p.integer("InternetMaxBandwidthOut", default=0)
    if not 0 <= out_bw <= 100:
        raise InvalidParameter("InternetMaxBandwidthOut")
    in_default = 10 if out_bw <= 10 else out_bw
    in_bw = p.integer("InternetMaxBandwidthIn", default=in_default)
    if not 1 <= in_bw <= max(10, out_bw):
        raise InvalidInternetMaxBandwidthInMalformed()
    return {"charge_type": charge, "spot_strategy": spot, "internet_charge_type": internet,
            "internet_max_bandwidth_out": out_bw, "internet_max_bandwidth_in": in_bw}


def _host_names(p: Params, amount: int, unique: bool) -> list[str | None]:
    many = p.items("HostNames")
    host_name = p.text("HostName")
    if many:
        if host_name is not None:
            raise ExclusiveParameters(first='HostName', second='HostNames.N')
        if len(many) != amount:
            raise InvalidParameter("HostNames.N", "The number of host names must equal Amount.")
        for name in many:
            naming.check_host_name(name, "HostNames.N")
        return list(many)
    naming.check_host_name(host_name)
    return naming.expand(host_name, amount, unique)


# addresses ------------------------------------------------------------------------------------------------
def _usable(vsw: dict) -> tuple[int, int]:
    """First and last assignable address: the first and the last three of a vSwitch are reserved."""
    net = ipaddress.ip_network(vsw["cidr"], strict=False)
    return int(net.network_address) + 1, int(net.broadcast_address) - 3


def _private_ips(cloud, vsw: dict, amount: int, first: str | None) -> list[str]:
    low, high = _usable(vsw)
    used = {int(ipaddress.ip_address(i["private_ip"])) for i in cloud.store.all("instance")
            if i.get("vswitch_id") == vsw["id"] and i.get("private_ip")}
    if first is not None:
        try:
            start = int(ipaddress.IPv4Address(first))
        except ValueError:
            raise InvalidPrivateIpAddressMalformed() from None
        wanted = list(range(start, start + amount))   # Amount > 1: consecutive addresses (RunInstances docs)
        if any(not low <= a <= high for a in wanted):
            raise InvalidPrivateIpAddress()
        if any(a in used for a in wanted):
            raise InvalidPrivateIpAddressDuplicated()
        return [str(ipaddress.IPv4Address(a)) for a in wanted]
    # Internal load balancers in the vSwitch hold an address too (their Address is a loopback one here).
    balancers = sum(1 for lb in cloud.store.all("load_balancer") if lb.get("vswitch_id") == vsw["id"])
    if (high - low + 1) - len(used) - balancers < amount:
        raise QuotaExceededPrivateIpAddress()
    out: list[str] = []
    address = low
    while len(out) < amount and address <= high:
        if address not in used:
            out.append(str(ipaddress.IPv4Address(address)))
        address += 1
    return out


def _public_ip(cloud, taken: set[str]) -> str:
    used = {i.get("public_ip") for i in cloud.store.all("instance")} | taken
    for offset in range(1, PUBLIC_POOL.num_addresses - 1):
        address = str(PUBLIC_POOL.network_address + offset)
        if address not in used:
            return address
    raise QuotaExceedPublicIp()


def _mac() -> str:
    octets = uuid.uuid4().bytes[:5]
    return "00:16:3e:" + ":".join(f"{b:02x}" for b in octets[:3])


# RunInstances ----------------------------------------------------------------------------------------------
def run_instances(cloud, region: str, p: Params) -> list[str]:
    """Validate everything (including quota and stock), then create Amount instances with their disks."""
    amount = p.integer("Amount", default=1)
    if not 1 <= amount <= 100:
        raise InvalidParameter("Amount")
    min_amount = p.integer("MinAmount", code="InvalidMinAmount.Malformed")
    if min_amount is not None and not 1 <= min_amount <= amount:
        raise InvalidMinAmountMalformed()
    itype = p.text("InstanceType", required=True)
    spec = catalog.INSTANCE_TYPES.get(itype)
    if spec is None:
        raise InvalidInstanceType()
    image_id, image = resolve_image(cloud, p)
    groups = _security_groups(cloud, region, p)
    vsw = _vswitch(cloud, region, p, groups)
    zone = vsw["zone"]
    check_zone_open(cloud, zone)
    check_zone_sells(region, zone, itype)
    system = _system_disk(p, image)
    data = _data_disks(p, region)
    sold = catalog.zone_disks(region, zone)
    if any(category not in sold for category in [system["category"]] + [d["category"] for d in data]):
        raise CategoryNotSupported()
    user_data = parse_user_data(p)
    unique = p.flag("UniqueSuffix", default=False)
    naming.check_instance_name(p.text("InstanceName"))
    names = naming.expand(p.text("InstanceName"), amount, unique)
    for name in names:
        naming.check_instance_name(name)
    hosts = _host_names(p, amount, unique)
    description = p.text("Description")
    check_description(description)
    check_password(p)
    billing = _billing(p)
    new_tags = parse_tags(p)
    deletion_protection = p.flag("DeletionProtection", default=False)
    living = sum(1 for i in cloud.store.all("instance") if i["region"] == region)
    if living + amount > cloud.config.instance_quota:
        raise QuotaExceedAfterpayInstance()
    if not cloud.config.has_stock(zone, itype):
        raise OperationDeniedNoStock()
    addresses = _private_ips(cloud, vsw, amount, p.text("PrivateIpAddress"))
    if p.flag("DryRun", default=False):
        raise DryRunOperation()

    now = cloud.clock.now()
    ids, publics = [], set()
    for index in range(amount):
        iid = new_id("i", region)
        public_ip = ""
        if billing["internet_max_bandwidth_out"] > 0:
            public_ip = _public_ip(cloud, publics)
            publics.add(public_ip)
        host = hosts[index].replace(naming.PLACEHOLDER, iid) if hosts[index] else naming.default_host_name(iid)
        instance = {
            "id": iid, "region": region, "zone": zone, "instance_type": itype, "image_id": image_id,
            "vpc_id": vsw["vpc_id"], "vswitch_id": vsw["id"], "security_group_ids": [g["id"] for g in groups],
            "private_ip": addresses[index], "public_ip": public_ip, "user_data": user_data, "host_name": host,
            "instance_name": names[index] or iid, "name": names[index] or iid, "description": description or "",
            "deletion_protection": deletion_protection, "status": "Pending", "created": now, "started": now,
            "tags": dict(new_tags), "key_pair_name": p.text("KeyPairName", default=""),
            "resource_group_id": p.text("ResourceGroupId", default=RESOURCE_GROUP), "stopped_mode": "",
            "eni_id": new_id("eni", region), "mac": _mac(), "serial": str(uuid.uuid4()), "_order": index,
            "hpc_cluster_id": p.text("HpcClusterId", default=""),
            "deployment_set_id": p.text("DeploymentSetId", default=""),
            "credit_specification": p.text("CreditSpecification", default=""), **billing,
        }
        system_disk = disks.new_disk(
            cloud, region, zone, category=system["category"], size=system["size"], disk_type="system",
            status="In_use", instance_id=iid, device="/dev/xvda", delete_with_instance=True, portable=False,
            level=system["level"], name=system["name"], description=system["description"], image_id=image_id,
            disk_tags=new_tags, order=index * 20)
        instance["system_disk_id"] = system_disk["id"]
        taken: set[str] = {"/dev/xvda"}
        for n, spec_disk in enumerate(data, 1):
            device = spec_disk["device"] if spec_disk["device"] not in ("", *taken) else ""
            device = device or disks.next_device(cloud, iid, taken)
            taken.add(device)
            disks.new_disk(
                cloud, region, zone, category=spec_disk["category"], size=spec_disk["size"], disk_type="data",
                status="In_use", instance_id=iid, device=device,
                delete_with_instance=spec_disk["delete_with_instance"], level=spec_disk["level"],
                name=spec_disk["name"], description=spec_disk["description"], disk_tags=new_tags,
                order=index * 20 + n, encryption=spec_disk["encryption"])
        cloud.store.put("instance", instance)
        ids.append(iid)
        if _lost(cloud):
            # The system could not create it and released it at once (SystemFailure.Delete): the id is in
            # the answer but never in DescribeInstances (Terraform's ecs_instance_set checks for this event).
            events.system_failure_delete(cloud, instance)
            for disk in disks.attached_disks(cloud, iid):
                cloud.release("disk", disk)      # made for a creation that failed: none is kept (CHOICES.md)
            cloud.release("instance", instance)
            continue
        # Instances start on their own: Pending -> Starting -> Running (RunInstances docs).
        cloud.schedule("instance", instance, [("instance.pending", "status", "Starting"),
                                              ("instance.starting", "status", "Running")])
    return ids


def _lost(cloud) -> bool:
    faults = getattr(cloud, "faults", None)
    if faults is None:
        return False
    rate = faults.rate("ecs", "RunInstances", "lose")
    if rate > 0 and faults.coin() < rate:
        faults.count("lose")
        return True
    return False


def resolve_image(cloud, p: Params) -> tuple[str, dict]:
    """ImageId, or the newest Available image of ImageFamily (RunInstances/CreateInstance; one of the two).
    A retired public image answers like one that never existed: InvalidImageId.NotFound (404)."""
    image_id = p.text("ImageId")
    family = p.text("ImageFamily")
    retired = cloud.config.retired_images
    if image_id is not None and family is not None:
        raise ExclusiveParameters(first='ImageId', second='ImageFamily')
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
