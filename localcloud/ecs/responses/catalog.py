"""DescribeRegions, DescribeZones, DescribeAvailableResource and DescribeImages, answered from the catalogue."""

from __future__ import annotations

import fnmatch
from typing import Any

from ... import catalog
from ...core import action, paginate
from ...errors import DryRunOperation, MissingParameter
from ...params import Params
from ..exceptions import (
    DestinationResourceRequired,
    InstanceTypeRequiredForSystemDisk,
    InvalidAcceptLanguageNotFound,
    InvalidArchitecture,
    InvalidDestinationResource,
    InvalidImageInstanceType,
    InvalidImageOwnerAliasValueNotSupported,
    InvalidInstanceChargeType,
    InvalidInstanceChargeTypeNotFound,
    InvalidIoOptimized,
    InvalidNetworkCategory,
    InvalidOSType,
    InvalidParamMemory,
    InvalidParamTypeAndCpuMemConflict,
    InvalidRegionId,
    InvalidSpotStrategy,
    InvalidSpotStrategyValue,
    InvalidUsage,
)
from .common import tag_filters

LANGUAGES = ("zh-CN", "en-US", "ja")
CHARGE_TYPES = ("PrePaid", "PostPaid")
SPOT_STRATEGIES = ("NoSpot", "SpotWithPriceLimit", "SpotAsPriceGo")
# (min, max) GiB per category, PL1 for ESSD (RunInstances SystemDisk.Size / CreateDisk Size docs).
SYSTEM_DISK_RANGE = {"cloud_efficiency": (20, 2048), "cloud_ssd": (20, 2048), "cloud_essd": (20, 2048)}
DATA_DISK_RANGE = {"cloud_efficiency": (20, 32768), "cloud_ssd": (20, 32768), "cloud_essd": (20, 65536)}


def _language(p: Params) -> str:
    lang = p.text("AcceptLanguage", default="zh-CN")
    if lang not in LANGUAGES:
        raise InvalidAcceptLanguageNotFound()
    return lang


def _local_name(entry: dict, lang: str) -> str:
    return entry["local_name"] if lang == "zh-CN" else entry.get("name_en", entry["local_name"])


@action("ecs", "DescribeRegions")
def describe_regions(cloud, p: Params) -> dict:
    lang = _language(p)
    p.text("InstanceChargeType", choices=(*CHARGE_TYPES, "SpotWithPriceLimit", "SpotAsPriceGo"))
    p.text("ResourceType", choices=("instance", "disk", "reservedinstance", "scu"))
    regions = [
        {"RegionId": rid, "LocalName": _local_name(r, lang), "RegionEndpoint": r["endpoint"], "Status": "available"}
        for rid, r in catalog.REGIONS.items()
    ]
    return {"Regions": {"Region": regions}}


def _types_of(region: str, zone: str) -> list[str]:
    return list(catalog.zones(region)[zone]["types"])


@action("ecs", "DescribeZones")
def describe_zones(cloud, p: Params) -> dict:
    region = cloud.region(p)
    lang = _language(p)
    if p.text("InstanceChargeType") not in (None, *CHARGE_TYPES):
        raise InvalidInstanceChargeTypeNotFound()
    if p.text("SpotStrategy") not in (None, *SPOT_STRATEGIES):
        raise InvalidSpotStrategy()
    verbose = p.flag("Verbose", default=True)
    zones = []
    for zid, zone in sorted(catalog.zones(region).items()):
        item: dict[str, Any] = {"ZoneId": zid, "LocalName": _local_name(zone, lang), "ZoneType": "AvailabilityZone"}
        if verbose:
            types = _types_of(region, zid)
            disks = catalog.zone_disks(region, zid)
            families = sorted({catalog.INSTANCE_TYPES[t]["family"] for t in types})
            item.update(
                {
                    "AvailableResourceCreation": {
                        "ResourceTypes": ["VSwitch", "IoOptimized", "Instance", "Disk", "DedicatedHost"]
                    },
                    "AvailableInstanceTypes": {"InstanceTypes": types},
                    "AvailableDiskCategories": {"DiskCategories": disks},
                    "AvailableVolumeCategories": {"VolumeCategories": []},
                    "AvailableDedicatedHostTypes": {"DedicatedHostType": []},
                    "DedicatedHostGenerations": {"DedicatedHostGeneration": []},
                    "AvailableResources": {
                        "ResourcesInfo": [
                            {
                                "IoOptimized": True,
                                "SystemDiskCategories": {"supportedSystemDiskCategory": disks},
                                "DataDiskCategories": {"supportedDataDiskCategory": list(disks)},
                                "InstanceTypes": {"supportedInstanceType": types},
                                "InstanceTypeFamilies": {"supportedInstanceTypeFamily": families},
                                "InstanceGenerations": {"supportedInstanceGeneration": ["ecs-3", "ecs-4"]},
                                "NetworkTypes": {"supportedNetworkCategory": ["vpc"]},
                            }
                        ]
                    },
                }
            )
        zones.append(item)
    return {"Zones": {"Zone": zones}}


# DescribeAvailableResource ------------------------------------------------------------------------------
DESTINATIONS = ("Zone", "IoOptimized", "InstanceType", "Network", "ddh", "SystemDisk", "DataDisk")


def _stock(available: bool, low: bool = False) -> tuple[str, str]:
    """Status and StatusCategory: WithStock, ClosedWithStock (still sold, stock running low) or WithoutStock."""
    if not available:
        return "SoldOut", "WithoutStock"
    return ("Available", "ClosedWithStock") if low else ("Available", "WithStock")


def _resource(value: str, available: bool = True, low: bool = False, **extra) -> dict:
    status, category = _stock(available, low)
    return {"Value": value, "Status": status, "StatusCategory": category, **extra}


def _low(cloud, zone: str, instance_type: str) -> bool:
    return [zone, instance_type] in [list(x) for x in cloud.config.low_stock]


def _matching_types(region: str, zone: str, p: Params) -> list[str]:
    wanted = p.text("InstanceType")
    cores = p.integer("Cores", min=1, max=10**6)
    memory = p.text("Memory")
    out = []
    for name in _types_of(region, zone):
        spec = catalog.INSTANCE_TYPES[name]
        if wanted and name != wanted:
            continue
        if cores is not None and spec["cpu"] != cores:
            continue
        if memory is not None and float(spec["memory"]) != float(memory):
            continue
        out.append(name)
    return out


def _disk_resources(region: str, zone: str, ranges: dict, wanted: str | None) -> list[dict]:
    """The disk categories this zone sells (optionally only `wanted`), with their size limits."""
    sold = catalog.zone_disks(region, zone)
    return [
        _resource(cat, Min=lo, Max=hi, Unit="GiB")
        for cat, (lo, hi) in ranges.items()
        if cat in sold and wanted in (None, cat)
    ]


def _zone_entry(cloud, region: str, zone: str, destination: str, p: Params) -> dict | None:
    types = _matching_types(region, zone, p)
    filtered = any(k in p for k in ("InstanceType", "Cores", "Memory"))
    if filtered and not types:
        return None
    in_stock = [t for t in types if cloud.config.has_stock(zone, t)]
    zone_available = bool(in_stock) if (filtered or destination in ("Zone", "InstanceType")) else True
    kind = {
        "Zone": "Zone",
        "IoOptimized": "IoOptimized",
        "InstanceType": "InstanceType",
        "Network": "Network",
        "ddh": "DedicatedHost",
        "SystemDisk": "SystemDisk",
        "DataDisk": "DataDisk",
    }[destination]
    if destination == "Zone":
        supported = [_resource(zone, zone_available)]
    elif destination == "InstanceType":
        supported = [_resource(t, t in in_stock, _low(cloud, zone, t)) for t in types]
    elif destination == "SystemDisk":
        supported = _disk_resources(region, zone, SYSTEM_DISK_RANGE, p.text("SystemDiskCategory"))
    elif destination == "DataDisk":
        supported = _disk_resources(region, zone, DATA_DISK_RANGE, p.text("DataDiskCategory"))
    elif destination == "IoOptimized":
        supported = [_resource("optimized")]
    elif destination == "Network":
        supported = [_resource("vpc")]
    else:
        supported = []
    if destination in ("SystemDisk", "DataDisk") and not supported:
        return None  # the zone sells none of the asked categories: not listed, as for an unsold type
    status, category = _stock(zone_available)
    return {
        "ZoneId": zone,
        "RegionId": region,
        "Status": status,
        "StatusCategory": category,
        "AvailableResources": {
            "AvailableResource": [{"Type": kind, "SupportedResources": {"SupportedResource": supported}}]
        },
    }


@action("ecs", "DescribeAvailableResource")
def describe_available_resource(cloud, p: Params) -> dict:
    # This API documents its own codes: Invalid.RegionId (404), Invalid.Param (400), Invalid.DestinationResource.
    region = p.text("RegionId")
    if region is None:
        raise MissingParameter(name="RegionId")
    if region not in catalog.REGIONS:
        raise InvalidRegionId()
    destination = p.text("DestinationResource")
    if destination is None:
        raise DestinationResourceRequired()
    if destination not in DESTINATIONS:
        raise InvalidDestinationResource()
    if p.text("InstanceChargeType") not in (None, *CHARGE_TYPES):
        raise InvalidInstanceChargeType()
    if p.text("SpotStrategy") not in (None, *SPOT_STRATEGIES):
        raise InvalidSpotStrategyValue()
    if p.text("IoOptimized") not in (None, "none", "optimized"):
        raise InvalidIoOptimized()
    if p.text("NetworkCategory") not in (None, "vpc", "classic"):
        raise InvalidNetworkCategory()
    if "InstanceType" in p and ("Cores" in p or "Memory" in p):
        raise InvalidParamTypeAndCpuMemConflict()
    if destination == "SystemDisk" and "InstanceType" not in p:
        raise InstanceTypeRequiredForSystemDisk()
    if "Memory" in p:
        try:
            float(p.text("Memory") or "")  # "Memory" in p: never empty
        except ValueError:
            raise InvalidParamMemory() from None
    zone_filter = p.text("ZoneId")
    zones = [z for z in sorted(catalog.zones(region)) if zone_filter in (None, z)]
    entries = [e for z in zones if (e := _zone_entry(cloud, region, z, destination, p)) is not None]
    return {"AvailableZones": {"AvailableZone": entries}}


# DescribeImages -------------------------------------------------------------------------------------------
def render_image(image_id: str, img: dict) -> dict:
    return {
        "ImageId": image_id,
        "ImageName": image_id,
        "ImageFamily": img.get("family", ""),
        "ImageVersion": "",
        "ImageOwnerAlias": "system",
        "ImageOwnerId": 0,
        "OSType": img["os_type"],
        "OSName": img["os_name"],
        "OSNameEn": img["os_name_en"],
        "Platform": img["platform"],
        "Architecture": img["architecture"],
        "Size": img["size"],
        "Status": "Available",
        "CreationTime": img["creation_time"],
        "Description": img["name"],
        "IsPublic": True,
        "IsCopied": False,
        "IsSelfShared": "",
        "IsSubscribed": False,
        "IsSupportCloudinit": True,
        "IsSupportIoOptimized": True,
        "BootMode": "BIOS",
        "Usage": "instance",
        "Usable": True,
        "Progress": "100%",
        "ProductCode": "",
        "ResourceGroupId": "",
        "SupplierName": "",
        "LicenseType": "Auto",
        "LoginAsNonRootSupported": False,
        "DiskDeviceMappings": {
            "DiskDeviceMapping": [
                {
                    "Device": "/dev/xvda",
                    "Size": str(img["size"]),
                    "Type": "system",
                    "Format": "",
                    "SnapshotId": "",
                    "ImportOSSBucket": "",
                    "ImportOSSObject": "",
                    "Progress": "100%",
                    "RemainTime": 0,
                    "Encrypted": False,
                }
            ]
        },
        "Features": {
            "NvmeSupport": "supported",
            "ImdsSupport": "v2",
            "CpuOnlineUpgrade": "unsupported",
            "CpuOnlineDowngrade": "unsupported",
            "MemoryOnlineUpgrade": "unsupported",
            "MemoryOnlineDowngrade": "unsupported",
        },
        "SecureBootOptions": {"SecureBootSupport": "false"},
        "DetectionOptions": {"Status": "Pass", "Items": {"Item": []}},
        "Tags": {"Tag": []},
    }


@action("ecs", "DescribeImages")
def describe_images(cloud, p: Params) -> dict:
    region = cloud.region(p)
    if p.text("ImageOwnerAlias") not in (None, "system", "self", "others", "marketplace"):
        raise InvalidImageOwnerAliasValueNotSupported()
    os_type = p.text("OSType")
    if os_type not in (None, "windows", "linux"):
        raise InvalidOSType()
    arch = p.text("Architecture")
    if arch not in (None, "i386", "x86_64", "arm64"):
        raise InvalidArchitecture()
    if p.text("Usage") not in (None, "instance", "none"):
        raise InvalidUsage()
    itype = p.text("InstanceType")
    if itype is not None and itype not in catalog.INSTANCE_TYPES:
        raise InvalidImageInstanceType()
    # Status defaults to Available; "ALL" or a list including Available shows the public images.
    statuses = [s.strip() for s in (p.text("Status") or "Available").split(",")]
    ids = [i.strip() for i in (p.text("ImageId") or "").split(",") if i.strip()]
    name = p.text("ImageName")
    family = p.text("ImageFamily")
    retired = cloud.config.retired_images
    images = []
    if (
        p.text("ImageOwnerAlias") in (None, "system")
        and ("Available" in statuses or "ALL" in statuses)
        and not tag_filters(p)
        and p.text("Usage") != "none"
    ):
        # A retired image is gone: not listed even by its id. With ImageFamily, the family's images come
        # newest first (the one RunInstances with ImageFamily would use leads).
        listed = sorted(catalog.IMAGES.items(), key=lambda kv: kv[0])
        if family is not None:
            listed = sorted(
                ((i, img) for i, img in listed if img.get("family") == family),
                key=lambda kv: kv[1]["creation_time"],
                reverse=True,
            )
        for image_id, img in listed:
            if image_id in retired or (ids and image_id not in ids):
                continue
            if name and not fnmatch.fnmatchcase(image_id, name if "*" in name else f"*{name}*"):
                continue
            if (os_type and img["os_type"] != os_type) or (arch and img["architecture"] != arch):
                continue
            images.append(render_image(image_id, img))
    if p.flag("DryRun", default=False):
        raise DryRunOperation()
    page_items, meta = paginate(images, p, default_size=10, max_size=100)
    return {**meta, "RegionId": region, "Images": {"Image": page_items}}
