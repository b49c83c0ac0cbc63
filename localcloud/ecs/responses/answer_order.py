"""Field order of ECS answers, copied from the documented sample answers (CHOICES.md, "answer field order")."""

from __future__ import annotations

from ...core import in_order, ordered  # noqa: F401  (ordered: the decorator the render functions use)

# DescribeInstances' documented JSON sample (Alibaba Cloud API reference, DescribeInstances, "JSON format"), then the
# fields the sample omits in our own order. EipAddress and InnerIpAddress come before PublicIpAddress.
INSTANCE = (
    "ImageId",
    "VlanId",
    "EipAddress",
    "ZoneId",
    "IoOptimized",
    "SerialNumber",
    "Cpu",
    "Memory",
    "DeviceAvailable",
    "SecurityGroupIds",
    "SaleCycle",
    "AutoReleaseTime",
    "ResourceGroupId",
    "OSType",
    "OSName",
    "InstanceNetworkType",
    "HostName",
    "CreationTime",
    "Tags",
    "EcsCapacityReservationAttr",
    "RegionId",
    "DeletionProtection",
    "OperationLocks",
    "ExpiredTime",
    "CpuOptions",
    "InnerIpAddress",
    "InstanceTypeFamily",
    "InstanceId",
    "InternetMaxBandwidthIn",
    "CreditSpecification",
    "InternetChargeType",
    "SpotStrategy",
    "StoppedMode",
    "InternetMaxBandwidthOut",
    "VpcAttributes",
    "SpotPriceLimit",
    "StartTime",
    "InstanceName",
    "Description",
    "OSNameEn",
    "PublicIpAddress",
    "InstanceType",
    "Status",
    "MetadataOptions",
    "Recyclable",
    "ClusterId",
    "GPUSpec",
    "InstanceChargeType",
    "GPUAmount",
    "DedicatedHostAttribute",
    "DedicatedInstanceAttribute",
    "DeploymentSetId",
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
# DescribeDisks' documented JSON sample (API reference, DescribeDisks).
DISK = (
    "DiskChargeType",
    "ImageId",
    "Device",
    "DetachedTime",
    "Type",
    "InstanceId",
    "Encrypted",
    "ZoneId",
    "EnableAutoSnapshot",
    "AttachedTime",
    "PerformanceLevel",
    "SerialNumber",
    "SourceSnapshotId",
    "DeleteAutoSnapshot",
    "KMSKeyId",
    "Size",
    "Description",
    "BdfId",
    "ProductCode",
    "Portable",
    "EnableAutomatedSnapshotPolicy",
    "ResourceGroupId",
    "DiskName",
    "StorageSetId",
    "AutoSnapshotPolicyId",
    "CreationTime",
    "MountInstances",
    "Status",
    "Tags",
    "Category",
    "RegionId",
    "DeleteWithInstance",
    "OperationLocks",
    "ExpiredTime",
    "DiskId",
)
# DescribeSecurityGroups' documented JSON sample (API reference, DescribeSecurityGroups).
SECURITY_GROUP = (
    "CreationTime",
    "Tags",
    "SecurityGroupId",
    "Description",
    "SecurityGroupName",
    "ResourceGroupId",
    "SecurityGroupType",
    "VpcId",
)
# DescribeSecurityGroupAttribute's documented JSON sample (API reference, DescribeSecurityGroupAttribute).
SECURITY_GROUP_ATTRIBUTE = (
    "SecurityGroupId",
    "InnerAccessPolicy",
    "SecurityGroupName",
    "Description",
    "RegionId",
    "Permissions",
    "VpcId",
)
PERMISSION = (
    "SourceCidrIp",
    "Description",
    "DestCidrIp",
    "NicType",
    "DestGroupName",
    "PortRange",
    "DestGroupId",
    "Ipv6DestCidrIp",
    "DestPrefixListId",
    "DestPrefixListName",
    "Direction",
    "Priority",
    "IpProtocol",
    "SourcePortRange",
    "SourceGroupOwnerAccount",
    "Policy",
    "CreateTime",
    "SourceGroupId",
    "DestGroupOwnerAccount",
    "Ipv6SourceCidrIp",
    "SourceGroupName",
    "SourcePrefixListId",
    "SourcePrefixListName",
)


def instance(body: dict) -> dict:
    """An instance's fields (DescribeInstances entry or DescribeInstanceAttribute answer) in the sample's order."""
    return in_order(body, INSTANCE, INSTANCE_NESTED)


def security_group_attribute(body: dict) -> dict:
    return in_order(body, SECURITY_GROUP_ATTRIBUTE, {"Permissions": ("Permission", PERMISSION)})
