"""The static catalogue: regions, zones (what each sells), instance types (CPU and GPU) and public images.

Figures are the published ones for these families (vCPU, memory GiB, GPU model, count and memory).
Which types and disk categories each zone sells is our choice, made so that failover between zones and
the DescribeAvailableResource pre-check can be exercised (the real catalogue differs per zone too:
newer zones sell only ESSD, older types go offline zone by zone). Public images belong to a family
(`acs:<os>_<version>_<arch>`); dated versions are retired as newer ones are published.
"""

from __future__ import annotations

# instance type -> spec (DescribeInstanceTypes figures)
INSTANCE_TYPES: dict[str, dict] = {
    "ecs.g7.large": {"family": "ecs.g7", "cpu": 2, "memory": 8.0, "gpu": 0, "gpu_spec": "", "gpu_mem": 0.0},
    "ecs.g7.xlarge": {"family": "ecs.g7", "cpu": 4, "memory": 16.0, "gpu": 0, "gpu_spec": "", "gpu_mem": 0.0},
    "ecs.g7.2xlarge": {"family": "ecs.g7", "cpu": 8, "memory": 32.0, "gpu": 0, "gpu_spec": "", "gpu_mem": 0.0},
    "ecs.c7.large": {"family": "ecs.c7", "cpu": 2, "memory": 4.0, "gpu": 0, "gpu_spec": "", "gpu_mem": 0.0},
    "ecs.c7.xlarge": {"family": "ecs.c7", "cpu": 4, "memory": 8.0, "gpu": 0, "gpu_spec": "", "gpu_mem": 0.0},
    "ecs.g6.large": {"family": "ecs.g6", "cpu": 2, "memory": 8.0, "gpu": 0, "gpu_spec": "", "gpu_mem": 0.0},
    "ecs.gn6i-c4g1.xlarge": {
        "family": "ecs.gn6i",
        "cpu": 4,
        "memory": 15.0,
        "gpu": 1,
        "gpu_spec": "NVIDIA T4",
        "gpu_mem": 16.0,
    },
    "ecs.gn7i-c8g1.2xlarge": {
        "family": "ecs.gn7i",
        "cpu": 8,
        "memory": 30.0,
        "gpu": 1,
        "gpu_spec": "NVIDIA A10",
        "gpu_mem": 24.0,
    },
    "ecs.gn6v-c8g1.2xlarge": {
        "family": "ecs.gn6v",
        "cpu": 8,
        "memory": 32.0,
        "gpu": 1,
        "gpu_spec": "NVIDIA V100",
        "gpu_mem": 16.0,
    },
}

_CPU = ["ecs.g7.large", "ecs.g7.xlarge", "ecs.g7.2xlarge", "ecs.c7.large", "ecs.c7.xlarge", "ecs.g6.large"]
_GPU = ["ecs.gn6i-c4g1.xlarge", "ecs.gn7i-c8g1.2xlarge", "ecs.gn6v-c8g1.2xlarge"]

DISK_CATEGORIES = ["cloud_efficiency", "cloud_ssd", "cloud_essd"]  # every category some zone sells
_ESSD_ONLY = ["cloud_efficiency", "cloud_essd"]  # newer zones: no standard SSD

# region -> {local name, short id code used in resource ids, zones: zone -> instance types sold}
REGIONS: dict[str, dict] = {
    "cn-hangzhou": {
        "local_name": "华东1（杭州）",
        "name_en": "China (Hangzhou)",
        "id_code": "bp1",
        "endpoint": "ecs.cn-hangzhou.aliyuncs.com",
        "zones": {
            "cn-hangzhou-h": {
                "local_name": "杭州 可用区H",
                "name_en": "Hangzhou Zone H",
                "types": [*_CPU, "ecs.gn6i-c4g1.xlarge"],
            },
            "cn-hangzhou-i": {"local_name": "杭州 可用区I", "name_en": "Hangzhou Zone I", "types": _CPU + _GPU},
            "cn-hangzhou-j": {
                "local_name": "杭州 可用区J",
                "name_en": "Hangzhou Zone J",
                "types": [*_CPU, "ecs.gn7i-c8g1.2xlarge"],
            },
            # Zone K: no standard SSD (cloud_ssd) and the older g6 is offline there.
            "cn-hangzhou-k": {
                "local_name": "杭州 可用区K",
                "name_en": "Hangzhou Zone K",
                "types": [t for t in _CPU if t != "ecs.g6.large"],
                "offline": ["ecs.g6.large"],
                "disks": _ESSD_ONLY,
            },
        },
    },
    "cn-beijing": {
        "local_name": "华北2（北京）",
        "name_en": "China (Beijing)",
        "id_code": "2ze",
        "endpoint": "ecs.cn-beijing.aliyuncs.com",
        "zones": {
            "cn-beijing-h": {"local_name": "北京 可用区H", "name_en": "Beijing Zone H", "types": _CPU + _GPU},
            "cn-beijing-i": {
                "local_name": "北京 可用区I",
                "name_en": "Beijing Zone I",
                "types": _CPU,
                "disks": _ESSD_ONLY,
            },
            "cn-beijing-j": {
                "local_name": "北京 可用区J",
                "name_en": "Beijing Zone J",
                "types": [*_CPU, "ecs.gn6v-c8g1.2xlarge"],
            },
        },
    },
    "ap-southeast-1": {
        "local_name": "新加坡",
        "name_en": "Singapore",
        "id_code": "t4n",
        "endpoint": "ecs.ap-southeast-1.aliyuncs.com",
        "zones": {
            "ap-southeast-1a": {
                "local_name": "新加坡 可用区A",
                "name_en": "Singapore Zone A",
                "types": _CPU,
                "disks": _ESSD_ONLY,
            },
            "ap-southeast-1b": {
                "local_name": "新加坡 可用区B",
                "name_en": "Singapore Zone B",
                "types": [*_CPU, "ecs.gn6i-c4g1.xlarge"],
            },
            "ap-southeast-1c": {"local_name": "新加坡 可用区C", "name_en": "Singapore Zone C", "types": _CPU + _GPU},
        },
    },
}

# Public images, present in every region: id -> attributes, with the family (ImageFamily) each belongs to.
_UBUNTU_22 = {
    "name": "Ubuntu  22.04 64位",
    "os_type": "linux",
    "platform": "Ubuntu",
    "os_name": "Ubuntu  22.04 64位",
    "os_name_en": "Ubuntu  22.04 64 bit",
    "architecture": "x86_64",
    "size": 20,
    "family": "acs:ubuntu_22_04_x64",
}
IMAGES: dict[str, dict] = {
    "ubuntu_22_04_x64_20G_alibase_20240130.vhd": {**_UBUNTU_22, "creation_time": "2024-01-30T07:06:12Z"},
    "ubuntu_22_04_x64_20G_alibase_20250722.vhd": {**_UBUNTU_22, "creation_time": "2025-07-22T06:41:37Z"},
    "ubuntu_24_04_x64_20G_alibase_20240812.vhd": {
        "name": "Ubuntu  24.04 64位",
        "os_type": "linux",
        "platform": "Ubuntu",
        "os_name": "Ubuntu  24.04 64位",
        "os_name_en": "Ubuntu  24.04 64 bit",
        "architecture": "x86_64",
        "size": 20,
        "creation_time": "2024-08-12T06:55:40Z",
        "family": "acs:ubuntu_24_04_x64",
    },
    "aliyun_3_x64_20G_alibase_20240528.vhd": {
        "name": "Alibaba Cloud Linux  3.2104 LTS 64位",
        "os_type": "linux",
        "platform": "Aliyun",
        "os_name": "Alibaba Cloud Linux  3.2104 LTS 64位",
        "os_name_en": "Alibaba Cloud Linux  3.2104 LTS 64 bit",
        "architecture": "x86_64",
        "size": 40,
        "creation_time": "2024-05-28T03:12:01Z",
        "family": "acs:alibaba_cloud_linux_3_2104_lts_x64",
    },
    "debian_12_5_x64_20G_alibase_20240521.vhd": {
        "name": "Debian  12.5 64位",
        "os_type": "linux",
        "platform": "Debian",
        "os_name": "Debian  12.5 64位",
        "os_name_en": "Debian  12.5 64 bit",
        "architecture": "x86_64",
        "size": 20,
        "creation_time": "2024-05-21T09:40:22Z",
        "family": "acs:debian_12_x64",
    },
}

# Dated public images that were published once and have been retired since: RunInstances answers
# InvalidImageId.NotFound (404) and DescribeImages no longer lists them, as for any unknown id. More can be
# retired at run time (config `retired_images`).
RETIRED_IMAGES = (
    "ubuntu_22_04_x64_20G_alibase_20230208.vhd",
    "ubuntu_20_04_x64_20G_alibase_20230104.vhd",
    "aliyun_3_x64_20G_alibase_20230727.vhd",
)


def image(image_id: str, retired: list | tuple = ()) -> dict | None:
    """The public image with this id, or None when it does not exist (never did, or retired)."""
    if image_id in retired:
        return None
    return IMAGES.get(image_id)


def image_of_family(family: str, retired: list | tuple = ()) -> tuple[str, dict] | None:
    """The newest Available image of a family (ECS picks by creation time), or None."""
    members = [
        (img["creation_time"], iid) for iid, img in IMAGES.items() if img.get("family") == family and iid not in retired
    ]
    if not members:
        return None
    iid = max(members)[1]
    return iid, IMAGES[iid]


def zones(region: str) -> dict[str, dict]:
    return REGIONS[region]["zones"]


def zone_sells(region: str, zone: str, instance_type: str) -> bool:
    return instance_type in REGIONS.get(region, {}).get("zones", {}).get(zone, {}).get("types", [])


def zone_disks(region: str, zone: str) -> list[str]:
    """Disk categories a zone sells (system and data alike)."""
    return list(REGIONS.get(region, {}).get("zones", {}).get(zone, {}).get("disks", DISK_CATEGORIES))


def zone_offline(region: str, zone: str, instance_type: str) -> bool:
    """A type the zone sold once and no longer does (InstanceType.Offline rather than ZoneNotSupported)."""
    return instance_type in REGIONS.get(region, {}).get("zones", {}).get(zone, {}).get("offline", [])
