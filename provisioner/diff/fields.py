"""The stack file's side of the diff: every field of the stack file has a class.

A field is one of four classes (FIELDS below, checked against the spec dataclasses by the tests):
- IN_PLACE: changed on the running resources with the API named (listener attributes, rules, disk growth);
- ROLLOUT: part of the instances' template: outdated instances are replaced (provisioner/replace.py);
- REFUSED: refused before any API call with exit 2, naming the field and why (a VPC's CIDR, ...);
- NEXT: changes nothing in the cloud now; applies to the next operation (drain time, rollout policy, target).
Refusals that depend on what was applied before compare with the last applied stack, which the state
records at the end of every provision (State.applied_stack; the template fields keep their old values
while outdated instances remain). diff.changes() turns the field changes into the list of changes.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import SpecError
from ..spec import Stack
from ..spec_rollout import Rollout

if TYPE_CHECKING:
    from ..resources import Instance
    from ..state import State

IN_PLACE, ROLLOUT, REFUSED, NEXT = "in place", "rolled out", "refused", "next operation"
# A vSwitch's first address and its last three are the system's (VPC CreateVSwitchCidrReservation notes).
VSWITCH_RESERVED = 4


@dataclass(frozen=True)
class Rule:
    """How one field of the stack file reaches the cloud when it changes."""

    kind: str
    api: str = ""  # the API that applies it (IN_PLACE, ROLLOUT), or ""
    why: str = ""  # REFUSED: why; NEXT: what it applies to
    refuse: Callable[[Any, Any], str] | None = None  # a conditional refusal: (old, new) -> reason or ""


def _smaller(what: str) -> Callable[[Any, Any], str]:
    return lambda old, new: (
        f"{what} cannot shrink ({old} -> {new} GiB): ECS disks only grow (ResizeDisk)" if new < old else ""
    )


def _zones_refusal(old: Any, new: Any) -> str:
    old, new = list(old or []), list(new or [])
    if new[: len(old)] != old:
        return (
            f"zones may only be appended to ({', '.join(old)} -> {', '.join(new)}): each zone's vSwitch CIDR"
            " follows its place in the list, and the instances and vSwitches of a removed zone would be left"
        )
    return ""


_REPLACE = "RunInstances for the new template, then DeleteInstances of the old (rolling replacement)"
_NAMED = "names and tags of every resource derive from it; a new name is a new stack (teardown, then provision)"

FIELDS: dict[str, Rule] = {
    "name": Rule(REFUSED, why=_NAMED),
    "region": Rule(REFUSED, why="resources cannot move between regions; a new region is a new stack"),
    "zones": Rule(
        NEXT, why="new instances and vSwitches may use an appended zone; existing ones stay", refuse=_zones_refusal
    ),
    "network.vpc_cidr": Rule(
        REFUSED,
        why="a VPC's primary CIDR block cannot be changed (ModifyVpcAttribute has no"
        " CidrBlock); a new CIDR is a new VPC and a new stack",
    ),
    "network.vswitch_cidr": Rule(REFUSED, why="a vSwitch's CIDR block cannot be changed once created"),
    "instances.count": Rule(IN_PLACE, "RunInstances / DeleteInstances (scale up or down)"),
    "instances.type": Rule(ROLLOUT, _REPLACE),
    "instances.image": Rule(ROLLOUT, _REPLACE),
    "instances.image_family": Rule(ROLLOUT, _REPLACE),
    "instances.system_disk.category": Rule(ROLLOUT, _REPLACE),
    "instances.system_disk.size_gib": Rule(ROLLOUT, _REPLACE, refuse=_smaller("instances.system_disk.size_gib")),
    "data_disk": Rule(
        REFUSED,
        why="adding or removing the data disk changes where the model lives; teardown and" " provision the stack again",
    ),
    "data_disk.size_gib": Rule(IN_PLACE, "ResizeDisk (online)", refuse=_smaller("data_disk.size_gib")),
    "data_disk.category": Rule(REFUSED, why="the model lives on the disk: a new category would be a new, empty disk"),
    "data_disk.attach": Rule(
        REFUSED,
        why="first <-> each changes which instances hold a disk and where the model"
        " is; teardown and provision again",
    ),
    "serving": Rule(ROLLOUT, _REPLACE),  # every serving field is rendered into the user data
    "load_balancer.listener_port": Rule(
        IN_PLACE, "CreateLoadBalancerHTTPListener on the new port, then" " DeleteLoadBalancerListener of the old one"
    ),
    "load_balancer.billing": Rule(IN_PLACE, "ModifyLoadBalancerInstanceChargeType"),
    "load_balancer.address_type": Rule(REFUSED, why="internet <-> intranet is a new SLB and a new endpoint"),
    "load_balancer.health_check": Rule(IN_PLACE, "SetLoadBalancerHTTPListenerAttribute"),
    "load_balancer.drain_seconds": Rule(NEXT, why="the next drain (scale-down or rollout) waits this long"),
    "access.admin_cidrs": Rule(IN_PLACE, "AuthorizeSecurityGroup / RevokeSecurityGroup"),
    "access.serving_cidrs": Rule(IN_PLACE, "AuthorizeSecurityGroup / RevokeSecurityGroup"),
    "access.key_pair": Rule(ROLLOUT, _REPLACE),
    "target": Rule(NEXT, why="where the next run sends its calls, not what the stack is"),
    "rollout": Rule(NEXT, why="how the next rollout proceeds"),
}


def rule_for(path: str) -> Rule | None:
    """The rule of a field path: its own, else its nearest section's (serving.server.env -> serving)."""
    parts = path.split(".")
    for n in range(len(parts), 0, -1):
        rule = FIELDS.get(".".join(parts[:n]))
        if rule is not None:
            return rule
    return None


# --- the schema ----------------------------------------------------------------------------------------


def _dataclass_of(hint: Any) -> Any:
    if dataclasses.is_dataclass(hint):
        return hint
    for arg in typing.get_args(hint):
        if dataclasses.is_dataclass(arg):
            return arg
    return None


def schema_fields(cls: Any = Stack, prefix: str = "") -> list[str]:
    """Every leaf field path of the stack schema, derived from the spec dataclasses recursively."""
    hints = typing.get_type_hints(cls)  # each dataclass's own module resolves its annotations
    out: list[str] = []
    for f in dataclasses.fields(cls):
        path = f"{prefix}{f.name}"
        inner = _dataclass_of(hints[f.name])
        out += schema_fields(inner, path + ".") if inner is not None else [path]
    return out


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key, value in data.items():
            out.update(_flatten(value, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): data}


def _same(a: Any, b: Any) -> bool:
    def norm(v: Any) -> Any:
        return [norm(x) for x in v] if isinstance(v, (list, tuple)) else v

    return bool(norm(a) == norm(b))


# --- field changes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    """One field the stack file changed since the last applied stack."""

    field: str
    old: Any
    new: Any
    rule: Rule

    @property
    def kind(self) -> str:
        return self.rule.kind

    def text(self) -> str:
        return f"{self.field}: {_shown(self.old)} -> {_shown(self.new)}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "old": self.old,
            "new": self.new,
            "class": self.kind,
            "api": self.rule.api,
            "why": self.rule.why,
        }


def _shown(value: Any) -> str:
    text = repr(list(value) if isinstance(value, tuple) else value)
    return text if len(text) <= 60 else text[:57] + "..."


def field_changes(applied: dict[str, Any] | None, spec: Stack) -> list[FieldChange]:
    """The fields that differ between the last applied stack (a Stack.to_dict) and this one."""
    if not applied:
        return []
    new = spec.to_dict()
    out: list[FieldChange] = []
    # A section present on one side only (data_disk: null) is a change of the section itself.
    for section in ("data_disk",):
        if (applied.get(section) is None) != (new.get(section) is None):
            out.append(FieldChange(section, applied.get(section), new.get(section), FIELDS[section]))
    old_flat, new_flat = _flatten(applied), _flatten(new)
    done = {c.field for c in out}
    for path in sorted(set(old_flat) | set(new_flat)):
        if any(path == d or path.startswith(d + ".") for d in done):
            continue
        old, now = old_flat.get(path), new_flat.get(path)
        if _same(old, now):
            continue
        rule = rule_for(path)
        if rule is None:
            rule = Rule(REFUSED, why="this version of the provisioner has no way to change it")
        out.append(FieldChange(path, old, now, rule))
    return out


def refusals(changes: list[FieldChange]) -> list[tuple[str, str]]:
    """(field, why) for each change that cannot be made."""
    out = []
    for change in changes:
        if change.kind == REFUSED:
            out.append((change.field, change.rule.why))
        elif change.rule.refuse is not None:
            reason = change.rule.refuse(change.old, change.new)
            if reason:
                out.append((change.field, reason))
    return out


def surge(spec: Stack) -> int:
    """How many instances a rollout may add on top of the count (rollout.max_surge, or the canary's size)."""
    policy: Rollout | None = getattr(spec, "rollout", None)
    if policy is None:
        return 1
    canary = policy.canary.instances if policy.canary is not None else 0
    return max(policy.surge(spec.instances.count), canary)


def capacity(spec: Stack) -> int:
    """Instances the stack's vSwitch can hold: its block less the 4 reserved addresses, less one for an
    intranet SLB (it holds an address there). Instances go to the first usable zone; the others take them
    only when it is out of stock (not when it is out of addresses), so one block is what counts."""
    block = ipaddress.ip_network(spec.vswitch_cidr(spec.zones[0])).num_addresses
    return block - VSWITCH_RESERVED - (1 if spec.load_balancer.address_type == "intranet" else 0)


def check(spec: Stack, applied: dict[str, Any] | None) -> list[FieldChange]:
    """Raise SpecError (exit 2, before any API call) for the first change that cannot be made; else the
    field changes since the last applied stack."""
    changes = field_changes(applied, spec)
    refused = refusals(changes)
    if refused:
        field, why = refused[0]
        change = next(c for c in changes if c.field == field)
        raise SpecError(field, f"cannot change ({change.text()}): {why}")
    room, need = capacity(spec), spec.instances.count + surge(spec)
    if need > room:
        raise SpecError(
            "instances.count",
            f"{spec.instances.count} instances and a rollout's surge of {surge(spec)}"
            f" need {need} private addresses, but network.vswitch_cidr"
            f" {spec.network.vswitch_cidr} holds {room} (its block less the {VSWITCH_RESERVED} addresses"
            " the cloud reserves in every vSwitch); lower the count, or use a larger block for a new stack",
        )
    return changes


def fleet_ports(spec: Stack, instances: list[Instance], state: State) -> set[int]:
    """The serving ports of the templates present in the fleet (by each instance's template tag and the
    fields the state recorded for it), and the stack's: a port rollout keeps the old port open until its
    last instance left. An instance without a known template counts with the last applied port."""
    from ..template import instance_template

    ports = {spec.serving.port}
    applied = ((state.applied_stack or {}).get("serving") or {}).get("port")
    for inst in instances:
        fields = state.template_fields(instance_template(inst.tags) or "") or {}
        port = fields.get("serving.port")
        if port is not None and str(port).isdigit():
            ports.add(int(port))
        elif isinstance(applied, int):
            ports.add(applied)
    return ports


def applied_after(applied: dict[str, Any] | None, spec: Stack, rolled_out: bool) -> dict[str, Any]:
    """What to record as applied after a provision: the stack, except that the template fields keep their
    old values while outdated instances remain (so plan keeps listing their replacement)."""
    new = spec.to_dict()
    if rolled_out or not applied:
        return new
    for change in field_changes(applied, spec):
        if change.kind == ROLLOUT:
            _put(new, change.field, change.old)
    return new


def _put(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for key in parents:
        data = data.setdefault(key, {})
    data[last] = value


def reconcile_rolls_out(spec: Stack) -> bool:
    """Whether reconcile starts a rollout for a changed stack file (rollout.on_reconcile: start); a rollout
    under way is always finished."""
    policy: Rollout | None = getattr(spec, "rollout", None)
    return getattr(policy, "on_reconcile", "finish") == "start"
