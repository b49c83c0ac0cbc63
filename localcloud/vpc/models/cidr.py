"""CIDR rules of VPCs and vSwitches (CreateVpc / CreateVSwitch), with the documented error codes."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from ..exceptions import (
    CidrBlockNotInVpc,
    InvalidCidrBlockMalformed,
    InvalidCidrBlockMaskLength,
    InvalidCidrBlockOverlapped,
    InvalidUserCidrFormat,
    InvalidUserCidrMalformed,
    InvalidUserCidrQuota,
    InvalidVpcCidrBlock,
)

# Ranges no VPC or vSwitch may use, "or their subnets" (CreateVpc / CreateVSwitch CidrBlock docstrings).
FORBIDDEN = [ipaddress.IPv4Network(n) for n in ("100.64.0.0/10", "224.0.0.0/4", "127.0.0.0/8", "169.254.0.0/16")]
DEFAULT_VPC_CIDR = "172.16.0.0/12"  # CreateVpc without CidrBlock (DOCS-VPC 2019)
VPC_MASKS = (8, 28)  # see CHOICES.md: the sources say 8-24, 8-28 and 16-28
VSWITCH_MASKS = (16, 29)
RESERVED_PER_VSWITCH = 4  # the first address and the last three (DOCS-VPC CreateVSwitch)


def parse(value: str) -> ipaddress.IPv4Network | None:
    """A strict IPv4 network (no host bits set), or None."""
    try:
        net = ipaddress.ip_network(value.strip(), strict=True)
    except ValueError:
        return None
    if not isinstance(net, ipaddress.IPv4Network) or "/" not in value:
        return None
    return net


def _forbidden(net: ipaddress.IPv4Network) -> bool:
    return any(net.overlaps(bad) for bad in FORBIDDEN)


def check_vpc_cidr(value: str) -> ipaddress.IPv4Network:
    """CreateVpc: a malformed or disallowed block is `InvalidParameter` "Specified CIDR block is not valid"."""
    net = parse(value)
    if net is None or not VPC_MASKS[0] <= net.prefixlen <= VPC_MASKS[1] or _forbidden(net):
        raise InvalidVpcCidrBlock()
    return net


def check_user_cidrs(value: str | None) -> list[str]:
    """CreateVpc UserCidr: up to 3 comma-separated blocks, none inside 100.64.0.0/10."""
    if not value:
        return []
    items = [v.strip() for v in value.split(",") if v.strip()]
    if len(items) > 3:
        raise InvalidUserCidrQuota()
    for item in items:
        net = parse(item)
        if net is None:
            raise InvalidUserCidrFormat()
        if net.overlaps(FORBIDDEN[0]):
            raise InvalidUserCidrMalformed()
    return items


def check_vswitch_cidr(value: str, vpc_net: ipaddress.IPv4Network, siblings: Iterable[str]) -> ipaddress.IPv4Network:
    """CreateVSwitch CidrBlock: well formed, mask 16-29, inside the VPC, no overlap with another vSwitch."""
    net = parse(value)
    if net is None or _forbidden(net):
        raise InvalidCidrBlockMalformed()
    if not VSWITCH_MASKS[0] <= net.prefixlen <= VSWITCH_MASKS[1]:
        raise InvalidCidrBlockMaskLength()
    if not net.subnet_of(vpc_net):
        raise CidrBlockNotInVpc()
    for other in siblings:
        if net.overlaps(ipaddress.IPv4Network(other)):
            raise InvalidCidrBlockOverlapped()
    return net


def allocate(mask: int, vpc_net: ipaddress.IPv4Network, siblings: Iterable[str]) -> ipaddress.IPv4Network:
    """CreateVSwitch with CidrMask only: the first free block of that size inside the VPC."""
    if not VSWITCH_MASKS[0] <= mask <= VSWITCH_MASKS[1] or mask < vpc_net.prefixlen:
        raise InvalidCidrBlockMaskLength()
    taken = [ipaddress.IPv4Network(s) for s in siblings]
    for candidate in vpc_net.subnets(new_prefix=mask):
        if not any(candidate.overlaps(t) for t in taken):
            return candidate
    raise InvalidCidrBlockOverlapped()


def usable_addresses(cidr: str) -> int:
    """Addresses a vSwitch can hand out: all but the reserved first one and last three."""
    return ipaddress.IPv4Network(cidr).num_addresses - RESERVED_PER_VSWITCH


def contains(cidr: str, address: str) -> bool:
    try:
        return ipaddress.IPv4Address(address) in ipaddress.IPv4Network(cidr)
    except ValueError:
        return False
