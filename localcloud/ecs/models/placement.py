"""Addresses of new instances: private IPs in a vSwitch, stand-in public IPs and MAC addresses."""

from __future__ import annotations

import ipaddress
import uuid

from ..exceptions import (
    InvalidPrivateIpAddress,
    InvalidPrivateIpAddressDuplicated,
    InvalidPrivateIpAddressMalformed,
    QuotaExceededPrivateIpAddress,
    QuotaExceedPublicIp,
)

PUBLIC_POOL = ipaddress.ip_network("198.18.0.0/15")  # our stand-in for public addresses (never routed)


def _usable(vsw: dict) -> tuple[int, int]:
    """First and last assignable address: the first and the last three of a vSwitch are reserved."""
    net = ipaddress.ip_network(vsw["cidr"], strict=False)
    return int(net.network_address) + 1, int(net.broadcast_address) - 3


def private_ips(cloud, vsw: dict, amount: int, first: str | None) -> list[str]:
    low, high = _usable(vsw)
    used = {
        int(ipaddress.ip_address(i["private_ip"]))
        for i in cloud.store.all("instance")
        if i.get("vswitch_id") == vsw["id"] and i.get("private_ip")
    }
    if first is not None:
        try:
            start = int(ipaddress.IPv4Address(first))
        except ValueError:
            raise InvalidPrivateIpAddressMalformed() from None
        wanted = list(range(start, start + amount))  # Amount > 1: consecutive addresses (RunInstances docs)
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


def public_ip(cloud, taken: set[str]) -> str:
    used = {i.get("public_ip") for i in cloud.store.all("instance")} | taken
    for offset in range(1, PUBLIC_POOL.num_addresses - 1):
        address = str(PUBLIC_POOL.network_address + offset)
        if address not in used:
            return address
    raise QuotaExceedPublicIp()


def mac() -> str:
    octets = uuid.uuid4().bytes[:5]
    return "00:16:3e:" + ":".join(f"{b:02x}" for b in octets[:3])
