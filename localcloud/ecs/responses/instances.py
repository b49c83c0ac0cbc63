"""RunInstances, DescribeInstances, DescribeInstanceStatus, DescribeUserData and ModifyInstanceAttribute."""

from __future__ import annotations

import calendar
import re
import time

from ... import catalog, tags
from ...core import action, iso_minutes, paginate, rendered_list
from ...errors import DryRunOperation, InvalidParameter
from ...params import Params
from ..exceptions import (
    InvalidFilterKeyNotFound,
    InvalidFilterValue,
    InvalidInstanceChargeTypeNotFound,
    InvalidInternetChargeTypeFilter,
    InvalidLockReasonNotFound,
    InvalidNetworkTypeNotFound,
    InvalidStatusNotFound,
)
from ..models import instances as instance_models
from ..models import lifecycle
from ..models.common import INSTANCE_STATUSES, creation_order, get_instance
from ..models.instances import Instance
from . import answer_order
from .common import page, tag_filters
from .run_request import read_run_request

NEVER_EXPIRES = "2099-12-31T15:59Z"  # ExpiredTime of pay-as-you-go instances in real responses
LOCK_REASONS = ("financial", "security", "recycling", "dedicatedhostfinancial", "refunded")


@action("ecs", "RunInstances")
def run_instances(cloud, p: Params) -> dict:
    region = cloud.region(p)

    def create():
        ids = instance_models.run_instances(cloud, region, read_run_request(p))
        return {"InstanceIdSets": {"InstanceIdSet": ids}}

    return cloud.idempotent("ecs", "RunInstances", p, create)


@answer_order.ordered(answer_order.INSTANCE, answer_order.INSTANCE_NESTED)
def render_instance(cloud, obj: Instance) -> dict:
    spec = catalog.INSTANCE_TYPES[obj["instance_type"]]
    image = catalog.IMAGES.get(obj["image_id"], {})
    public = [obj["public_ip"]] if obj.get("public_ip") else []
    status = obj["status"]
    return {
        "InstanceId": obj["id"],
        "InstanceName": obj["instance_name"],
        "Description": obj.get("description", ""),
        "HostName": obj["host_name"],
        "Status": status,
        "RegionId": obj["region"],
        "ZoneId": obj["zone"],
        "InstanceType": obj["instance_type"],
        "InstanceTypeFamily": spec["family"],
        "Cpu": spec["cpu"],
        "Memory": int(spec["memory"] * 1024),
        "GPUAmount": spec["gpu"],
        "GPUSpec": spec["gpu_spec"],
        "ImageId": obj["image_id"],
        "OSName": image.get("os_name", ""),
        "OSNameEn": image.get("os_name_en", ""),
        "OSType": image.get("os_type", "linux"),
        "InstanceChargeType": obj.get("charge_type", "PostPaid"),
        "InternetChargeType": obj.get("internet_charge_type", "PayByTraffic"),
        "InternetMaxBandwidthIn": obj.get("internet_max_bandwidth_in", 10),
        "InternetMaxBandwidthOut": obj.get("internet_max_bandwidth_out", 0),
        "InstanceNetworkType": "vpc",
        "IoOptimized": True,
        "KeyPairName": obj.get("key_pair_name", ""),
        "CreationTime": iso_minutes(obj["created"]),
        "StartTime": iso_minutes(obj.get("started", obj["created"])),
        "ExpiredTime": NEVER_EXPIRES,
        "AutoReleaseTime": "",
        "StoppedMode": (obj.get("stopped_mode") or "KeepCharging") if status == "Stopped" else "Not-applicable",
        "SpotStrategy": obj.get("spot_strategy", "NoSpot"),
        "SpotPriceLimit": 0.0,
        "SpotDuration": 0,
        "SpotInterruptionBehavior": "Terminate",
        "DeletionProtection": bool(obj.get("deletion_protection")),
        "DeploymentSetId": obj.get("deployment_set_id", ""),
        "DeploymentSetGroupNo": 0,
        "ResourceGroupId": obj.get("resource_group_id", ""),
        "SerialNumber": obj.get("serial", ""),
        "CreditSpecification": obj.get("credit_specification", ""),
        "Recyclable": False,
        "SaleCycle": "",
        "VlanId": "",
        "ClusterId": "",
        "HpcClusterId": obj.get("hpc_cluster_id", ""),
        "ISP": "",
        "DeviceAvailable": True,
        "LocalStorageAmount": 0,
        "LocalStorageCapacity": 0,
        "EnableNVS": False,
        "VpcAttributes": {
            "VpcId": obj["vpc_id"],
            "VSwitchId": obj["vswitch_id"],
            "NatIpAddress": "",
            "PrivateIpAddress": {"IpAddress": [obj["private_ip"]]},
        },
        "PublicIpAddress": {"IpAddress": public},
        "InnerIpAddress": {"IpAddress": []},
        "RdmaIpAddress": {"IpAddress": []},
        "EipAddress": {
            "AllocationId": "",
            "IpAddress": "",
            "Bandwidth": 0,
            "InternetChargeType": "",
            "IsSupportUnassociate": True,
        },
        "SecurityGroupIds": {"SecurityGroupId": list(obj["security_group_ids"])},
        "Tags": tags.render(obj),
        "OperationLocks": {"LockReason": []},
        "NetworkInterfaces": {
            "NetworkInterface": [
                {
                    "NetworkInterfaceId": obj.get("eni_id", ""),
                    "Type": "Primary",
                    "MacAddress": obj.get("mac", ""),
                    "PrimaryIpAddress": obj["private_ip"],
                    "PrivateIpSets": {
                        "PrivateIpSet": [{"PrivateIpAddress": obj["private_ip"], "Primary": True, "PrivateDnsName": ""}]
                    },
                    "Ipv6Sets": {"Ipv6Set": []},
                    "Ipv4PrefixSets": {"Ipv4PrefixSet": []},
                    "Ipv6PrefixSets": {"Ipv6PrefixSet": []},
                }
            ]
        },
        "MetadataOptions": {
            "HttpEndpoint": "enabled",
            "HttpTokens": "optional",
            "HttpPutResponseHopLimit": 1,
            "InstanceMetadataTags": "disabled",
        },
        "CpuOptions": {
            "CoreCount": max(1, spec["cpu"] // 2),
            "ThreadsPerCore": 2 if spec["cpu"] > 1 else 1,
            "Numa": "",
            "TopologyType": "",
            "EnableVISST": False,
            "EnableVRDT": False,
            "NestedVirtualization": "",
            "TurboMode": "",
        },
        "DedicatedHostAttribute": {"DedicatedHostId": "", "DedicatedHostName": "", "DedicatedHostClusterId": ""},
        "DedicatedInstanceAttribute": {"Tenancy": "", "Affinity": ""},
        "EcsCapacityReservationAttr": {"CapacityReservationId": "", "CapacityReservationPreference": ""},
        "HibernationOptions": {"Configured": False},
        "ImageOptions": {"LoginAsNonRoot": False, "CurrentOSNVMeSupported": True},
        "SecurityOptions": {"EnableSecureBoot": False},
        "PrivateDnsNameOptions": {
            "HostnameType": "Custom",
            "EnableInstanceIdDnsARecord": False,
            "EnableInstanceIdDnsAAAARecord": False,
            "EnableIpDnsARecord": False,
            "EnableIpDnsPtrRecord": False,
        },
        "AdditionalInfo": {"EnableHighDensityMode": False, "ManagedHostId": "", "NodeSerialNumber": ""},
        "ClockOptions": {"PtpStatus": "disabled"},
    }


def _name_matcher(pattern: str):
    """InstanceName supports the `*` wildcard (DescribeInstances docs); everything else matches literally."""
    regex = re.compile("^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$")
    return regex.match


def _creation_filter(p: Params) -> tuple[float | None, float | None]:
    start = end = None
    for entry in p.struct_list("Filter"):
        key, value = entry.get("Key", ""), entry.get("Value", "")
        if key not in ("CreationStartTime", "CreationEndTime"):
            raise InvalidFilterKeyNotFound()
        try:
            stamp = float(calendar.timegm(time.strptime(value, "%Y-%m-%dT%H:%MZ")))
        except ValueError:
            raise InvalidFilterValue(value=value) from None
        if key == "CreationStartTime":
            start = stamp
        else:
            end = stamp
    return start, end


def _json_ips(p: Params, name: str) -> list[str] | None:
    return p.id_list(name, max_items=100)


@action("ecs", "DescribeInstances")
def describe_instances(cloud, p: Params) -> dict:
    region = cloud.region(p)
    found = [i for i in cloud.store.all("instance") if i["region"] == region]
    ids = p.id_list("InstanceIds", max_items=100)
    if ids is not None:  # `[]` is a valid filter that matches nothing (DescribeInstances docs)
        wanted = set(ids)
        found = [i for i in found if i["id"] in wanted]
    status = p.text("Status")
    if status is not None and status not in INSTANCE_STATUSES:
        raise InvalidStatusNotFound()
    if p.text("InstanceChargeType") not in (None, "PostPaid", "PrePaid"):
        raise InvalidInstanceChargeTypeNotFound()
    if p.text("InternetChargeType") not in (None, "PayByTraffic", "PayByBandwidth"):
        raise InvalidInternetChargeTypeFilter()
    if p.text("InstanceNetworkType") not in (None, "vpc", "classic"):
        raise InvalidNetworkTypeNotFound()
    lock = p.text("LockReason")
    if lock is not None and lock.lower() not in LOCK_REASONS:
        raise InvalidLockReasonNotFound()
    exact = {
        "VpcId": "vpc_id",
        "VSwitchId": "vswitch_id",
        "ZoneId": "zone",
        "Status": "status",
        "InstanceType": "instance_type",
        "ImageId": "image_id",
        "KeyPairName": "key_pair_name",
        "ResourceGroupId": "resource_group_id",
        "InstanceChargeType": "charge_type",
        "InternetChargeType": "internet_charge_type",
        "HpcClusterId": "hpc_cluster_id",
    }
    for param, field in exact.items():
        value = p.text(param)
        if value is not None:
            found = [i for i in found if i.get(field) == value]
    family = p.text("InstanceTypeFamily")
    if family is not None:
        found = [i for i in found if catalog.INSTANCE_TYPES[i["instance_type"]]["family"] == family]
    group = p.text("SecurityGroupId")
    if group is not None:
        found = [i for i in found if group in i["security_group_ids"]]
    name = p.text("InstanceName")
    if name is not None:
        match = _name_matcher(name)
        found = [i for i in found if match(i["instance_name"])]
    for param, field in (("PrivateIpAddresses", "private_ip"), ("PublicIpAddresses", "public_ip")):
        values = _json_ips(p, param)
        if values is not None:
            found = [i for i in found if i.get(field) in values]
    for param in ("InnerIpAddresses", "EipAddresses", "RdmaIpAddresses"):
        if _json_ips(p, param):
            found = []  # no instance here has classic, EIP or RDMA addresses
    if lock is not None:
        found = []  # no instance here is ever locked
    start, end = _creation_filter(p)
    if start is not None:
        found = [i for i in found if i["created"] >= start]
    if end is not None:
        found = [i for i in found if i["created"] <= end + 59]
    filters = tag_filters(p)
    found = [i for i in found if tags.matches(i, filters)]
    if p.flag("DryRun", default=False):
        raise DryRunOperation()
    found.sort(key=creation_order)
    chunk, meta = page(found, p)
    # Each instance's entry is encoded once and kept until the instance changes (the store drops it).
    return {
        **meta,
        "Instances": {
            "Instance": rendered_list(
                cloud, "instance", chunk, "DescribeInstances", lambda i: render_instance(cloud, i)
            )
        },
    }


@action("ecs", "DescribeInstanceStatus")
def describe_instance_status(cloud, p: Params) -> dict:
    region = cloud.region(p)
    ids = p.items("InstanceId")
    if len(ids) > 100:
        raise InvalidParameter("InstanceId.N")
    found = [i for i in cloud.store.all("instance") if i["region"] == region]
    if ids:
        found = [i for i in found if i["id"] in set(ids)]
    zone = p.text("ZoneId")
    if zone is not None:
        found = [i for i in found if i["zone"] == zone]
    found.sort(key=creation_order)
    chunk, meta = paginate(found, p, default_size=10, max_size=50)  # PageSize 1-50
    return {
        **meta,
        "InstanceStatuses": {"InstanceStatus": [{"InstanceId": i["id"], "Status": i["status"]} for i in chunk]},
    }


@action("ecs", "DescribeUserData")
def describe_user_data(cloud, p: Params) -> dict:
    region = cloud.region(p)
    instance = get_instance(cloud, p.text("InstanceId", required=True), region)
    return {"InstanceId": instance["id"], "RegionId": region, "UserData": instance.get("user_data", "")}


@action("ecs", "ModifyInstanceAttribute")
def modify_instance_attribute(cloud, p: Params) -> dict:
    instance = get_instance(cloud, p.text("InstanceId", required=True))
    password = p.text("Password")
    lifecycle.modify_instance_attribute(
        cloud,
        instance,
        name=p.text("InstanceName"),
        description=p.text("Description"),
        host_name=p.text("HostName"),
        password=password,
        password_inherit=bool(password is not None and p.flag("PasswordInherit", default=False)),
        user_data=(p.text("UserData") or "") if "UserData" in p else None,
        security_group_ids=p.items("SecurityGroupIds"),
        deletion_protection=p.flag("DeletionProtection"),
    )
    return {}


# CreateInstance (the single-instance create that predates RunInstances) ---------------------------------------
# Parameters of RunInstances that CreateInstance does not have: the real API ignores unknown parameters.
_RUN_ONLY = (
    "Amount",
    "MinAmount",
    "SecurityGroupIds",
    "HostNames",
    "UniqueSuffix",
    "AutoReleaseTime",
    "NetworkInterface",
    "LaunchTemplateId",
    "LaunchTemplateName",
    "LaunchTemplateVersion",
)


@action("ecs", "CreateInstance")
def create_instance(cloud, p: Params) -> dict:
    """One instance, created Stopped (StartInstance starts it) and without a public IP even with
    InternetMaxBandwidthOut > 0 (AllocatePublicIpAddress gives one): CreateInstance docs. SecurityGroupId is
    required; the validation and error codes are RunInstances' (the docs list the same catalogue)."""
    region = cloud.region(p)

    def create():
        p.text("SecurityGroupId", required=True)
        raw = {k: v for k, v in p.raw.items() if k.split(".", 1)[0] not in _RUN_ONLY}
        instance_id = instance_models.create_instance(cloud, region, read_run_request(Params(raw)))
        return {"InstanceId": instance_id, "OrderId": "", "TradePrice": 0.0}

    return cloud.idempotent("ecs", "CreateInstance", p, create)


@action("ecs", "DescribeInstanceAttribute")
def describe_instance_attribute(cloud, p: Params) -> dict:
    """One instance's attributes (`InvalidInstanceId.NotFound`, 404, for an unknown id), in the SDK model's shape."""
    instance = get_instance(cloud, p.text("InstanceId", required=True))
    full = render_instance(cloud, instance)
    fields = (
        "InstanceId",
        "InstanceName",
        "Description",
        "HostName",
        "Status",
        "RegionId",
        "ZoneId",
        "InstanceType",
        "Cpu",
        "Memory",
        "ImageId",
        "InstanceChargeType",
        "InternetChargeType",
        "InternetMaxBandwidthIn",
        "InternetMaxBandwidthOut",
        "InstanceNetworkType",
        "IoOptimized",
        "CreationTime",
        "ExpiredTime",
        "StoppedMode",
        "SerialNumber",
        "CreditSpecification",
        "VlanId",
        "ClusterId",
        "VpcAttributes",
        "PublicIpAddress",
        "InnerIpAddress",
        "EipAddress",
        "SecurityGroupIds",
        "OperationLocks",
        "DedicatedHostAttribute",
        "SecurityOptions",
    )
    body = {key: full[key] for key in fields}
    body["EnableJumboFrame"] = False
    body["EnableNetworkEncryption"] = False
    body["NetworkOptions"] = {"BandwidthWeighting": "", "EnableJumboFrame": False, "EnableNetworkEncryption": False}
    body["OperationLocks"] = {"LockReason": []}
    return answer_order.instance(body)
