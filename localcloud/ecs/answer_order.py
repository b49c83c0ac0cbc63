"""Field order of ECS answers, copied from the documented sample answers (CHOICES.md, "answer field order")."""
from __future__ import annotations

from ..core import in_order

# DescribeInstances' documented JSON sample (Alibaba Cloud API reference, DescribeInstances, "JSON format"), then the
# fields the sample omits in the SDK model's order. EipAddress and InnerIpAddress come before PublicIpAddress.
INSTANCE = (
    "ImageId", "VlanId", "EipAddress", "ZoneId", "IoOptimized", "SerialNumber", "Cpu", "Memory", "DeviceAvailable",
    "SecurityGroupIds", "SaleCycle", "AutoReleaseTime", "ResourceGroupId", "OSType", "OSName", "InstanceNetworkType",
    "HostName", "CreationTime", "Tags", "EcsCapacityReservationAttr", "RegionId", "DeletionProtection",
    "OperationLocks", "ExpiredTime", "CpuOptions", "InnerIpAddress", "InstanceTypeFamily", "InstanceId",
    "InternetMaxBandwidthIn", "CreditSpecification", "InternetChargeType", "SpotStrategy", "StoppedMode",
    "InternetMaxBandwidthOut", "VpcAttributes", "SpotPriceLimit", "StartTime", "InstanceName", "Description",
    "OSNameEn", "PublicIpAddress", "InstanceType", "Status", "MetadataOptions", "Recyclable", "ClusterId", "GPUSpec",
    "InstanceChargeType", "GPUAmount", "DedicatedHostAttribute", "DedicatedInstanceAttribute", "DeploymentSetId",
)
INSTANCE_NESTED = {
    "EipAddress": ("IpAddress", "AllocationId", "InternetChargeType"),
    "EcsCapacityReservationAttr": ("CapacityReservationPreference", "CapacityReservationId"),
    "CpuOptions": ("Numa", "ThreadsPerCore", "CoreCount"),
    "VpcAttributes": ("NatIpAddress", "PrivateIpAddress", "VSwitchId", "VpcId"),
    "MetadataOptions": ("HttpTokens", "HttpEndpoint"),
    "DedicatedHostAttribute": ("DedicatedHostId", "DedicatedHostName"),
    "DedicatedInstanceAttribute": ("Affinity", "Tenancy"),
}
# The page's meta fields as the sample lists them.
PAGE = ("PageNumber", "TotalCount", "PageSize", "NextToken")


def instance(body: dict) -> dict:
    body = in_order(body, INSTANCE)
    for key, order in INSTANCE_NESTED.items():
        if isinstance(body.get(key), dict):
            body[key] = in_order(body[key], order)
    return body

# DescribeDisks' documented JSON sample (API reference, DescribeDisks).
DISK = (
    "DiskChargeType", "ImageId", "Device", "DetachedTime", "Type", "InstanceId", "Encrypted", "ZoneId",
    "EnableAutoSnapshot", "AttachedTime", "PerformanceLevel", "SerialNumber", "SourceSnapshotId", "DeleteAutoSnapshot",
    "KMSKeyId", "Size", "Description", "BdfId", "ProductCode", "Portable", "EnableAutomatedSnapshotPolicy",
    "ResourceGroupId", "DiskName", "StorageSetId", "AutoSnapshotPolicyId", "CreationTime", "MountInstances", "Status",
    "Tags", "Category", "RegionId", "DeleteWithInstance", "OperationLocks", "ExpiredTime", "DiskId",
)
# DescribeSecurityGroups' documented JSON sample (API reference, DescribeSecurityGroups).
SECURITY_GROUP = ("CreationTime", "Tags", "SecurityGroupId", "Description", "SecurityGroupName", "ResourceGroupId",
                  "SecurityGroupType", "VpcId")
SECURITY_GROUPS_PAGE = ("PageNumber", "TotalCount", "PageSize", "NextToken", "RegionId")
# DescribeSecurityGroupAttribute's documented JSON sample (API reference, DescribeSecurityGroupAttribute).
SECURITY_GROUP_ATTRIBUTE = ("SecurityGroupId", "InnerAccessPolicy", "SecurityGroupName", "Description", "RegionId",
                            "Permissions", "VpcId")
PERMISSION = ("SourceCidrIp", "Description", "DestCidrIp", "NicType", "DestGroupName", "PortRange", "DestGroupId",
              "Ipv6DestCidrIp", "DestPrefixListId", "DestPrefixListName", "Direction", "Priority", "IpProtocol",
              "SourcePortRange", "SourceGroupOwnerAccount", "Policy", "CreateTime", "SourceGroupId",
              "DestGroupOwnerAccount", "Ipv6SourceCidrIp", "SourceGroupName", "SourcePrefixListId",
              "SourcePrefixListName")


def disk(body: dict) -> dict:
    return in_order(body, DISK)


def security_group(body: dict) -> dict:
    return in_order(body, SECURITY_GROUP)


def security_group_attribute(body: dict) -> dict:
    body = in_order(body, SECURITY_GROUP_ATTRIBUTE)
    rules = (body.get("Permissions") or {}).get("Permission")
    if isinstance(rules, list):
        body["Permissions"] = {"Permission": [in_order(r, PERMISSION) for r in rules]}
    return body
