"""What the provisioner knows of each cloud resource, parsed once from the SDK's Describe items."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Protocol

from .steps.common import dig, read_tags


class Tagged(Protocol):
    """What every resource kind below has: its id and its tags (what identity and retagging read)."""

    id: str
    tags: dict[str, Any]


@dataclass
class Vpc:
    id: str
    cidr: str
    status: str
    tags: dict[str, Any]
    created: str = ""
    name: str = ""  # VpcName (the stack's name; changed by hand: restored)

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> Vpc:
        return cls(
            item.get("VpcId", ""),
            item.get("CidrBlock", ""),
            item.get("Status", ""),
            read_tags(item),
            item.get("CreationTime", ""),
            item.get("VpcName", "") or "",
        )


@dataclass
class VSwitch:
    id: str
    vpc_id: str
    zone: str
    cidr: str
    status: str
    tags: dict[str, Any]
    created: str = ""
    name: str = ""  # VSwitchName (stack-zone; changed by hand: restored)

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> VSwitch:
        return cls(
            item.get("VSwitchId", ""),
            item.get("VpcId", ""),
            item.get("ZoneId", ""),
            item.get("CidrBlock", ""),
            item.get("Status", ""),
            read_tags(item),
            item.get("CreationTime", ""),
            item.get("VSwitchName", "") or "",
        )


# The kinds of source an ingress rule can have, and the RevokeSecurityGroup/AuthorizeSecurityGroup
# parameter that carries each (Permissions.N.*).
SOURCE_PARAMS = {
    "cidr": "SourceCidrIp",
    "ipv6": "Ipv6SourceCidrIp",
    "group": "SourceGroupId",
    "prefix-list": "SourcePrefixListId",
}


@dataclass(frozen=True)
class Rule:
    """An ingress rule. Two rules are the same when protocol, ports, source (kind and value) and policy are.
    `rule_id` (SecurityGroupRuleId) is how a rule read from the cloud is revoked."""

    protocol: str
    port_range: str
    source: str
    policy: str = "accept"
    priority: int = 1
    description: str = ""
    rule_id: str = ""
    source_kind: str = "cidr"  # cidr | ipv6 | group | prefix-list (SOURCE_PARAMS)

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        return (self.protocol.upper(), self.port_range, self.source_kind, self.source, self.policy.lower())

    @property
    def source_label(self) -> str:
        return self.source if self.source_kind == "cidr" else f"{self.source_kind} {self.source}"

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> Rule:
        raw = item.get("Priority")
        try:
            priority = int(raw) if raw is not None else 1
        except (TypeError, ValueError):
            priority = 1
        # A rule has exactly one source: an IPv4 or IPv6 block, another group, or a prefix list.
        kind, source = "cidr", _normal_cidr(item.get("SourceCidrIp", "") or "")
        for name, param in (
            ("ipv6", "Ipv6SourceCidrIp"),
            ("group", "SourceGroupId"),
            ("prefix-list", "SourcePrefixListId"),
        ):
            if not source and item.get(param):
                kind, source = name, str(item[param])
                if name == "ipv6":
                    source = _normal_cidr(source)
        return cls(
            str(item.get("IpProtocol", "")).upper(),
            item.get("PortRange", ""),
            source,
            str(item.get("Policy", "accept")).lower(),
            priority,
            item.get("Description", "") or "",
            item.get("SecurityGroupRuleId", "") or "",
            kind,
        )


@dataclass
class SecurityGroup:
    id: str
    vpc_id: str
    tags: dict[str, Any]
    created: str = ""
    rules: list[Rule] | None = None  # ingress rules, when read (DescribeSecurityGroupAttribute)
    name: str = ""  # SecurityGroupName (stack-sg; changed by hand: restored)

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> SecurityGroup:
        return cls(
            item.get("SecurityGroupId", ""),
            item.get("VpcId", ""),
            read_tags(item),
            item.get("CreationTime", ""),
            name=item.get("SecurityGroupName", "") or "",
        )


@dataclass
class Instance:
    id: str
    zone: str
    status: str
    type: str
    image: str
    vpc_id: str
    vswitch_id: str
    private_ip: str
    security_group_ids: list[str]
    tags: dict[str, Any]
    created: str = ""
    started: str = ""  # StartTime: the last start or reboot (ISO 8601, UTC)
    deletion_protection: bool = False  # DeleteInstances answers InvalidOperation.DeletionProtection
    name: str = ""  # InstanceName (stack-node; changed by hand: restored)

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> Instance:
        vpc = item.get("VpcAttributes") or {}
        ips = dig(vpc, ("PrivateIpAddress", "IpAddress")) or []
        return cls(
            item.get("InstanceId", ""),
            item.get("ZoneId", ""),
            item.get("Status", ""),
            item.get("InstanceType", ""),
            item.get("ImageId", ""),
            vpc.get("VpcId", ""),
            vpc.get("VSwitchId", ""),
            ips[0] if ips else "",
            list(dig(item, ("SecurityGroupIds", "SecurityGroupId")) or []),
            read_tags(item),
            item.get("CreationTime", ""),
            item.get("StartTime", "") or "",
            bool(item.get("DeletionProtection")),
            item.get("InstanceName", "") or "",
        )

    @property
    def order(self) -> tuple[str, str]:
        """Oldest first; the "first instance" of a stack is the first in this order."""
        return (self.created, self.id)


@dataclass
class Disk:
    id: str
    zone: str
    status: str
    instance_id: str
    size: int
    category: str
    tags: dict[str, Any]
    created: str = ""

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> Disk:
        return cls(
            item.get("DiskId", ""),
            item.get("ZoneId", ""),
            item.get("Status", ""),
            item.get("InstanceId", "") or "",
            int(item.get("Size") or 0),
            item.get("Category", ""),
            read_tags(item),
            item.get("CreationTime", ""),
        )


@dataclass
class Backend:
    server_id: str
    weight: int
    port: int | None = None  # a vServer group member's own port (steps/server_group.py)

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> Backend:
        try:
            weight = int(item.get("Weight", 100))
        except (TypeError, ValueError):
            weight = 100
        return cls(item.get("ServerId", ""), weight)


@dataclass
class Listener:
    port: int
    protocol: str
    status: str
    backend_port: int | None
    health: dict[str, Any] = field(default_factory=dict)  # the HTTP listener's health-check settings (wire names)
    tags: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> Listener:
        config = item.get("HTTPListenerConfig") or {}
        health = {
            k: config.get(k)
            for k in (
                "HealthCheck",
                "HealthCheckURI",
                "HealthCheckInterval",
                "HealthCheckTimeout",
                "HealthyThreshold",
                "UnhealthyThreshold",
                "HealthCheckHttpCode",
                "HealthCheckConnectPort",
            )
            if k in config
        }
        return cls(
            int(item.get("ListenerPort") or 0),
            str(item.get("ListenerProtocol", "")).lower(),
            str(item.get("Status", "")).lower(),
            item.get("BackendServerPort"),
            health,
            read_tags(item),
        )


@dataclass
class LoadBalancer:
    id: str
    status: str
    address: str
    address_type: str
    spec: str
    vpc_id: str
    vswitch_id: str
    tags: dict[str, Any]
    created: str = ""
    backends: list[Backend] | None = None  # when read (DescribeLoadBalancerAttribute)
    charge_type: str = ""  # InstanceChargeType: PayByCLCU, or PayBySpec (no longer sold)
    delete_protection: str = ""  # DeleteProtection: on / off
    listeners: list[Listener] | None = None  # when read (DescribeLoadBalancerListeners)
    name: str = ""  # LoadBalancerName (the stack's name)

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> LoadBalancer:
        return cls(
            item.get("LoadBalancerId", ""),
            item.get("LoadBalancerStatus", ""),
            item.get("Address", ""),
            item.get("AddressType", ""),
            item.get("LoadBalancerSpec", "") or "",
            item.get("VpcId", "") or "",
            item.get("VSwitchId", "") or "",
            read_tags(item),
            item.get("CreateTime", ""),
            charge_type=item.get("InstanceChargeType", "") or "",
            delete_protection=item.get("DeleteProtection", "") or "",
            name=item.get("LoadBalancerName", "") or "",
        )

    def listener(self, port: int) -> Listener | None:
        for listener in self.listeners or []:
            if listener.port == port:
                return listener
        return None


def _normal_cidr(value: str) -> str:
    """ "10.0.0.1" and "10.0.0.1/32" are the same source."""
    try:
        return str(ipaddress.ip_network(value, strict=False))
    except ValueError:
        return value
