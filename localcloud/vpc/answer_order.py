"""Field order of VPC answers, copied from the documented sample answers (CHOICES.md, "answer field order")."""
from __future__ import annotations

from ..core import in_order

# DescribeVpcs' documented JSON sample (API reference, DescribeVpcs), then the fields it omits.
VPC = ("VpcName", "Description", "IsDefault", "ResourceGroupId", "UserCidrs", "NatGatewayIds", "RouterTableIds",
       "VpcId", "VRouterId", "CreationTime", "Status", "CidrBlock", "VSwitchIds", "RegionId", "Ipv6CidrBlock")
VPCS_PAGE = ("TotalCount", "PageNumber", "Vpcs", "PageSize")
# DescribeVSwitches' documented JSON sample (API reference, DescribeVSwitches).
VSWITCH = ("CreationTime", "Status", "CidrBlock", "Description", "AvailableIpAddressCount", "VSwitchName", "ZoneId",
           "VSwitchId", "VpcId")
VSWITCHES_PAGE = ("PageNumber", "VSwitches", "TotalCount", "PageSize")


def vpc(body: dict) -> dict:
    return in_order(body, VPC)


def vswitch(body: dict) -> dict:
    return in_order(body, VSWITCH)
