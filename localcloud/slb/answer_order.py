"""Field order of SLB answers, copied from the documented sample answers (CHOICES.md, "answer field order")."""

from __future__ import annotations

from ..core import in_order, ordered  # noqa: F401  (ordered: the decorator the render functions use)

# DescribeLoadBalancers' documented JSON sample (CLB API reference, DescribeLoadBalancers).
LOAD_BALANCER = (
    "CreateTimeStamp",
    "LoadBalancerName",
    "RegionIdAlias",
    "ResourceGroupId",
    "AddressIPVersion",
    "LoadBalancerId",
    "VSwitchId",
    "InternetChargeType",
    "VpcId",
    "SlaveZoneId",
    "NetworkType",
    "MasterZoneId",
    "CreateTime",
    "Address",
    "RegionId",
    "AddressType",
    "PayType",
    "LoadBalancerStatus",
)
# DescribeLoadBalancerAttribute's documented JSON sample (CLB API reference).
LOAD_BALANCER_ATTRIBUTE = (
    "RenewalDuration",
    "EndTime",
    "Address",
    "ResourceGroupId",
    "ListenerPortsAndProtocal",
    "AddressIPVersion",
    "LoadBalancerId",
    "ListenerPortsAndProtocol",
    "BackendServers",
    "ModificationProtectionStatus",
    "LoadBalancerSpec",
    "NetworkType",
    "Bandwidth",
    "ModificationProtectionReason",
    "MasterZoneId",
    "ListenerPorts",
    "CreateTime",
    "VSwitchId",
    "RenewalStatus",
    "RenewalCycUnit",
    "PayType",
    "SlaveZoneId",
    "InternetChargeType",
    "RegionIdAlias",
    "LoadBalancerName",
    "DeleteProtection",
    "VpcId",
    "EndTimeStamp",
    "RegionId",
    "AddressType",
    "LoadBalancerStatus",
    "CreateTimeStamp",
    "AutoReleaseTime",
)
LOAD_BALANCER_LISTS = {  # list container -> (item key, item field order)
    "ListenerPortsAndProtocal": ("ListenerPortAndProtocal", ("ListenerPort", "ListenerProtocal")),
    "ListenerPortsAndProtocol": (
        "ListenerPortAndProtocol",
        ("ListenerForward", "ListenerPort", "Description", "ForwardPort", "ListenerProtocol"),
    ),
    "BackendServers": ("BackendServer", ("Type", "Description", "ServerId", "Weight")),
}
# Describe{TCP,HTTP}ListenerAttribute's documented JSON samples.
TCP_LISTENER = (
    "HealthCheckHttpCode",
    "PersistenceTimeout",
    "HealthCheckType",
    "HealthyThreshold",
    "Scheduler",
    "UnhealthyThreshold",
    "Bandwidth",
    "Description",
    "AclStatus",
    "HealthCheckURI",
    "HealthCheck",
    "HealthCheckConnectTimeout",
    "ListenerPort",
    "Status",
    "EstablishedTimeout",
    "HealthCheckDomain",
    "HealthCheckInterval",
    "BackendServerPort",
)
HTTP_LISTENER = (
    "HealthCheckHttpCode",
    "CookieTimeout",
    "HealthCheckTimeout",
    "Gzip",
    "Scheduler",
    "StickySession",
    "UnhealthyThreshold",
    "Bandwidth",
    "HealthCheckURI",
    "VServerGroupId",
    "HealthCheck",
    "ListenerPort",
    "Status",
    "XForwardedFor",
    "HealthCheckInterval",
    "StickySessionType",
)
# DescribeHealthStatus' documented JSON sample.
HEALTH_ROW = ("ListenerPort", "ServerId", "Port", "ServerIp", "ServerHealthStatus", "Protocol")


def listener(body: dict, protocol: str) -> dict:
    return in_order(body, HTTP_LISTENER if protocol == "http" else TCP_LISTENER)


def health_row(body: dict) -> dict:
    return in_order(body, HEALTH_ROW)
