"""Field order of VPC answers, copied from the documented sample answers (CHOICES.md, "answer field order")."""

from __future__ import annotations

from ..core import ordered  # noqa: F401  (the decorator the render functions use)

# DescribeVpcs' documented JSON sample (API reference, DescribeVpcs), then the fields it omits.
VPC = (
    "VpcName",
    "Description",
    "IsDefault",
    "ResourceGroupId",
    "UserCidrs",
    "NatGatewayIds",
    "RouterTableIds",
    "VpcId",
    "VRouterId",
    "CreationTime",
    "Status",
    "CidrBlock",
    "VSwitchIds",
    "RegionId",
    "Ipv6CidrBlock",
)
# DescribeVSwitches' documented JSON sample (API reference, DescribeVSwitches).
VSWITCH = (
    "CreationTime",
    "Status",
    "CidrBlock",
    "Description",
    "AvailableIpAddressCount",
    "VSwitchName",
    "ZoneId",
    "VSwitchId",
    "VpcId",
)
