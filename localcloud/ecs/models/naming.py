"""RunInstances naming: InstanceName/HostName rules, `prefix[begin,bits]suffix` sequences and UniqueSuffix."""

from __future__ import annotations

import re

from ..exceptions import InvalidHostNameMalformed, InvalidInstanceNameCustomMalformed, InvalidInstanceNameMalformed
from .common import check_name

_PATTERN = re.compile(r"^(?P<prefix>.+?)\[(?P<body>[^\[\]]*)\](?P<suffix>.*)$")
_BODY = re.compile(r"^(?P<begin>\d*)(?:,(?P<bits>\d*))?$")
_SEGMENT = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$")
PLACEHOLDER = "${instance_id}"


def expand(pattern: str | None, amount: int, unique_suffix: bool) -> list[str | None]:
    """One name per instance, following the sequential-name rules of the RunInstances docs.

    `k8s-[99,4]-x` -> k8s-0099-x, k8s-0100-x...; begin 0-999999 (default 0), bits 1-6 (default 6; back to 6 when
    begin has more digits); values stop at 999999. UniqueSuffix appends 001... to plain names and to patterns
    that have a suffix, not to `prefix[begin,bits]` patterns.
    """
    if pattern is None:
        return [None] * amount
    match = _PATTERN.match(pattern)
    if match is None:
        if unique_suffix:
            return [f"{pattern}{i + 1:03d}" for i in range(amount)]
        return [pattern] * amount
    body = _BODY.match(match.group("body"))
    if body is None:
        raise InvalidInstanceNameCustomMalformed()
    begin = int(body.group("begin") or 0)
    bits = int(body.group("bits") or 6)
    if begin > 999999 or not 1 <= bits <= 6:
        raise InvalidInstanceNameCustomMalformed()
    if len(str(begin)) > bits:
        bits = 6
    names: list[str | None] = []
    for i in range(amount):
        number = min(begin + i, 999999)
        name = f"{match.group('prefix')}{number:0{bits}d}{match.group('suffix')}"
        if unique_suffix and match.group("suffix"):
            name += f"{i + 1:03d}"
        names.append(name)
    return names


def check_instance_name(name: str | None) -> None:
    """2-128 chars: Unicode letters, digits, `: _ . -` (plus `[ ] ,` only inside a sequence pattern)."""
    if name is None:
        return
    match = _PATTERN.match(name)
    probe = f"{match.group('prefix')}0{match.group('suffix')}" if match else name
    check_name(probe, InvalidInstanceNameMalformed, "InstanceName", leading_letter=False)
    if len(name) > 128:
        raise InvalidInstanceNameMalformed(param="InstanceName")


def check_host_name(name: str | None, param: str = "HostName") -> None:
    """Linux rule: 2-64 chars, dot-separated segments of letters, digits and hyphens; no leading, trailing or
    consecutive `.`/`-`. `${instance_id}` may appear anywhere."""
    if name is None:
        return
    match = _PATTERN.match(name)
    probe = f"{match.group('prefix')}0{match.group('suffix')}" if match else name
    probe = probe.replace(PLACEHOLDER, "i-bp1abcdefghijklmnopq")
    ok = 2 <= len(probe) <= 64 and "--" not in probe and all(_SEGMENT.match(s) for s in probe.split("."))
    if not ok:
        raise InvalidHostNameMalformed(param=param)


def default_host_name(instance_id: str) -> str:
    """The real default host name is `iZ<id without the i- prefix>Z`."""
    return f"iZ{instance_id[2:]}Z"
