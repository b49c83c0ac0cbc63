"""The names and descriptions the provisioner gives cloud resources, and the cloud's rules for each.

Every name is derived from the stack name (and a zone); `check(spec)` holds each one to the character
rules of the API that receives it, so that a stack the cloud would refuse is a spec error (exit 2)
before any call, not an `InvalidXxxName.Malformed` after eight creates. Rules from the SDK request
models' docstrings (CreateVpc, CreateVSwitch, CreateSecurityGroup, RunInstances, CreateDisk,
CreateLoadBalancer, CreateLoadBalancerHTTPListener) and ecs-api.md.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .errors import SpecError

if TYPE_CHECKING:
    from .spec import Stack

# Names of security groups, instances and disks: 2-128 characters, a letter first, then letters, digits
# and : _ . -, never http:// or https://.
ECS_NAME = re.compile(r"[A-Za-z][A-Za-z0-9:_.-]{1,127}")
# VpcName and VSwitchName: 1-128 characters, not starting with http:// or https:// (we keep to the same
# characters as the others).
VPC_NAME = re.compile(r"[A-Za-z][A-Za-z0-9:_.-]{0,127}")
# CreateLoadBalancer LoadBalancerName: 1-80 characters, a letter first, digits, letters, . _ -.
SLB_NAME = re.compile(r"[A-Za-z][A-Za-z0-9._-]{0,79}")
# CreateLoadBalancerHTTPListener Description: 1-256 letters, digits, - / . _ (no space).
LISTENER_DESCRIPTION = re.compile(r"[A-Za-z0-9/._-]{1,256}")
# Descriptions of the other resources: 2-256 characters, not starting with http:// or https://; we keep
# them to printable ASCII.
DESCRIPTION = re.compile(r"[ -~]{2,256}")
# RunInstances HostName (Linux): 2-64 characters; segments between dots of letters, digits and -, none
# starting or ending with - (we give no HostName today; the rule is here for when we do).
HOSTNAME = re.compile(r"(?=.{2,64}\Z)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*")


def vswitch_name(stack_name: str, zone: str) -> str:
    return f"{stack_name}-{zone}"


def security_group_name(stack_name: str) -> str:
    return f"{stack_name}-sg"


def instance_name(stack_name: str) -> str:
    return f"{stack_name}-node"


def disk_name(stack_name: str) -> str:
    return f"{stack_name}-data"


def listener_description(stack_name: str) -> str:
    """The listener's Description: no space (the API allows only letters, digits, - / . _)."""
    return f"stack-{stack_name}"


def derived(spec: Stack) -> list[tuple[str, str, re.Pattern[str]]]:
    """(what, value, rule) for every name and description the steps send for this stack."""
    name = spec.name
    out = [
        ("VpcName", name, VPC_NAME),
        ("SecurityGroupName", security_group_name(name), ECS_NAME),
        ("InstanceName", instance_name(name), ECS_NAME),
        ("DiskName", disk_name(name), ECS_NAME),
        ("LoadBalancerName", name, SLB_NAME),
        ("listener Description", listener_description(name), LISTENER_DESCRIPTION),
        ("Description", f"stack {name}", DESCRIPTION),
    ]
    out += [(f"VSwitchName ({zone})", vswitch_name(name, zone), VPC_NAME) for zone in spec.zones]
    return out


def check(spec: Stack) -> None:
    """SpecError naming the stack field when a derived name breaks the cloud's rule for it."""
    for what, value, rule in derived(spec):
        if not rule.fullmatch(value) or value.lower().startswith(("http://", "https://")):
            field = "zones" if what.startswith("VSwitchName") else "name"
            raise SpecError(
                field, f"gives the {what} {value[:80]!r}, which the cloud refuses (allowed: {rule.pattern[:80]})"
            )
