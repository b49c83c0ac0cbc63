"""One diff: one pure function of (stack, what the cloud has, state) returns the list of changes that `plan`
prints, `reconcile --check` reports, and `provision` and `reconcile` carry out.

- fields.py: every field of the stack file has a class (in place, rolled out, refused, next operation), and
  the refusals (exit 2 before any call);
- cloud.py: each resource of the snapshot against the stack (missing, deleted, renamed, stopped, surplus,
  rules, listener, backends, disks);
- change.py: the Change and Plan types.
`changes()` below joins them: the cloud's differences, the outdated instances (replace) and the stack file's
changes, each cloud-side change naming the stack fields behind it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .balancer import BACKENDS as BACKENDS
from .change import Change as Change
from .change import Plan as Plan
from .cloud import Inputs
from .cloud import compare as _compare
from .cloud import disk_holders as disk_holders
from .cloud import started_age as started_age
from .cloud import victims_for as victims_for
from .fields import FIELDS as FIELDS
from .fields import IN_PLACE as IN_PLACE
from .fields import NEXT as NEXT
from .fields import REFUSED as REFUSED
from .fields import ROLLOUT as ROLLOUT
from .fields import VSWITCH_RESERVED as VSWITCH_RESERVED
from .fields import FieldChange as FieldChange
from .fields import Rule as Rule
from .fields import _shown
from .fields import applied_after as applied_after
from .fields import capacity as capacity
from .fields import check as check
from .fields import field_changes as field_changes
from .fields import fleet_ports as fleet_ports
from .fields import reconcile_rolls_out as reconcile_rolls_out
from .fields import refusals as refusals
from .fields import rule_for as rule_for
from .fields import schema_fields as schema_fields
from .fields import surge as surge

if TYPE_CHECKING:
    from ..observe import Snapshot
    from ..state import State

_REPLACE = "RunInstances for the new template, then DeleteInstances of the old (rolling replacement)"
DEFAULT_GRACE = 300.0  # an instance failing its health check is rebooted once it has been up this long


def changes(
    spec: Any,
    snap: Snapshot,
    state: State,
    zones: list[str] | None = None,
    outdated: list[tuple[str, list[str]]] | None = None,
    health: dict[str, str] | None = None,
    grace: float = DEFAULT_GRACE,
    now: float | None = None,
) -> Plan:
    """The changes that bring the cloud to the stack, from the stack, the snapshot and the state. Pure: makes
    no call and writes nothing. Raises SpecError for a change that cannot be made (exit 2).

    `zones`: the zones the pre-check kept (stack order), when it ran. `outdated`: (instance id, differing
    template fields) per instance whose template tag is not the stack's (replace.changes); without it, the
    last applied stack says which instances are outdated. `health`: the backends' health (reconcile), which
    adds the reboot of instances failing it for longer than `grace` seconds."""
    fields = check(spec, state.applied_stack)
    if outdated is None:  # no template tags read: the last applied stack says what changed
        rolled = [c for c in fields if c.kind == ROLLOUT]
        outdated = [(i.id, [c.field for c in rolled]) for i in snap.instances] if rolled else []
    inputs = Inputs(
        spec,
        snap,
        state,
        list(zones or spec.zones),
        health,
        grace,
        time.time() if now is None else now,
        outdated,
    )
    plan = Plan()
    _compare(inputs, plan)
    _replace(plan, inputs)
    _stack_file(plan, fields)
    return plan


def _replace(plan: Plan, i: Inputs) -> None:
    """One `replace` per outdated instance, naming the template fields it differs in (old -> new)."""
    from ..steps.common import INSTANCE
    from ..template import instance_template, template_of

    new = template_of(i.spec).fields
    leaving = {c.id for c in plan.changes if c.role == INSTANCE and c.action == "delete"}
    tags = {x.id: x.tags for x in i.snap.instances}
    active = bool((i.state.rollout() or {}).get("active"))
    if active:
        heal = "replace it (rolling: the rollout under way goes on)"
    elif reconcile_rolls_out(i.spec):
        heal = "replace it (rolling)"
    else:
        heal = "left as it is by reconcile: rollout.on_reconcile is finish (provision starts the rollout)"
    for ident, names in i.outdated:
        if ident in leaving:
            continue
        old = i.state.template_fields(instance_template(tags.get(ident) or {}) or "") or {}
        fields: list[dict[str, Any]] = [
            {"field": n, "old": old.get(n), "new": new.get(n), "class": ROLLOUT, "api": _REPLACE} for n in names
        ]
        detail = "; ".join(
            f"{f['field']}: {_shown(f['old'])} -> {_shown(f['new'])}" if f["old"] is not None else f["field"]
            for f in fields
        )
        plan.changes.append(
            Change(
                "replace",
                INSTANCE,
                ident,
                detail or "template differs",
                fields=fields,
                api="RunInstances, then DeleteInstances (rolling, provisioner/replace.py)",
                kind="outdated",
                heal=heal,
            )
        )


# Where an in-place field lands: the role and the kinds of change it causes (the cloud comparison's).
_LANDS_ON: dict[str, tuple[str, tuple[str, ...]]] = {
    "instances.count": ("instance", ("missing", "surplus")),
    "data_disk.size_gib": ("data-disk", ("smaller",)),
    "load_balancer.listener_port": ("listener", ("missing", "surplus", "changed")),
    "load_balancer.health_check": ("listener", ("changed",)),
    "load_balancer.billing": ("load-balancer", ("changed",)),
    "access.admin_cidrs": ("security-group", ("rule-revoked", "rule-added")),
    "access.serving_cidrs": ("security-group", ("rule-revoked", "rule-added")),
}


def _lands_on(path: str, change: Change) -> bool:
    role, kinds = _LANDS_ON.get(".".join(path.split(".")[:2]), ("", ()))
    return change.role == role and change.kind in kinds


def _stack_file(plan: Plan, fields: list[FieldChange]) -> None:
    """The stack file's changes since the last applied stack: settings for the next operation, and the
    stack fields behind each cloud-side change (or, when the cloud has them already, one line saying so)."""
    add = plan.changes.append
    for change in fields:
        if change.kind == NEXT:
            add(
                Change(
                    "change",
                    "stack",
                    "",
                    f"{change.text()} (applies to the next operation: {change.rule.why})",
                    fields=[change.to_dict()],
                    kind="stack-changed",
                    heal=f"record it ({change.rule.why})",
                )
            )
    in_place = [c for c in fields if c.kind == IN_PLACE]
    for cloud_change in plan.changes:  # name the stack fields behind each cloud-side change
        if not cloud_change.fields:
            behind = [c.to_dict() for c in in_place if _lands_on(c.field, cloud_change)]
            if behind:
                cloud_change.fields = behind
                cloud_change.api = cloud_change.api or behind[0]["api"]
    if in_place and not any(c.action != "replace" and c.role != "stack" for c in plan.changes):
        # The file changed, the cloud has it already (changed by hand, or a run stopped after applying it).
        add(
            Change(
                "change",
                "stack",
                "",
                "; ".join(c.text() for c in in_place) + " (the cloud has it already; provision records it)",
                fields=[c.to_dict() for c in in_place],
                kind="stack-changed",
                heal="record it",
            )
        )
