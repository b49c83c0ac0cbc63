"""The change list's types: one Change per thing that differs between the stack and the cloud, and the Plan
that holds them. `plan` prints `Change.line()`, `reconcile --check` prints `Change.finding()`, and `provision`
reads the same objects to decide what to do."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..steps import rename as rename_step


@dataclass
class Change:
    """One difference and what is done about it.

    `action` is what provision does (create, change, delete, replace); `kind` names the difference as
    reconcile reports it (missing, deleted, stopped, surplus, detached, renamed, rule-added, outdated, ...);
    `heal` says in words what the run does; `was` is the id the state knew for a resource the cloud no
    longer has (its replacement has no id yet). `data` carries the objects provision acts on (an instance,
    a disk, a rule); it is not part of the printed or serialized change."""

    action: str
    role: str
    id: str = ""
    detail: str = ""
    count: int = 1
    fields: list[dict[str, Any]] = field(default_factory=list)  # the stack fields behind it: field, old, new, class
    api: str = ""  # the API that applies it
    kind: str = "changed"
    heal: str = ""
    security: bool = False
    was: str = ""
    data: Any = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "role": self.role,
            "id": self.id,
            "detail": self.detail,
            "count": self.count,
            "fields": self.fields,
            "api": self.api,
            "kind": self.kind,
            "heal": self.heal,
            "security": self.security,
            "was": self.was,
        }

    def line(self) -> str:
        """The change as `plan` prints it."""
        sign = {"create": "+", "delete": "-", "change": "~", "replace": "!"}.get(self.action, "?")
        what = f"{self.count} x {self.role}" if self.count != 1 else self.role
        fields = f" [{', '.join(f['field'] for f in self.fields)}]" if self.fields and self.role != "stack" else ""
        api = f" ({self.api})" if self.api else ""
        return (
            f"  {sign} {self.action:<7} {what}{' ' + self.id if self.id else ''}"
            f"{': ' + self.detail if self.detail else ''}{fields}{api}"
        )

    def finding(self) -> dict[str, Any]:
        """The change as `reconcile` reports it (a drift finding)."""
        return {
            "role": self.role,
            "id": self.id or self.was,
            "kind": self.kind,
            "detail": self.detail,
            "heal": self.heal or self.action,
            "security": self.security,
        }

    def finding_line(self) -> str:
        f = self.finding()
        what = f"{f['role']} {f['id']}".strip()
        return f"{'SECURITY ' if self.security else ''}{what}: {f['kind']}: {f['detail']} -> {f['heal']}"


@dataclass
class Plan:
    """The change list, and notes about what is left alone or waited for."""

    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def pending(self) -> bool:
        return bool(self.changes)

    def summary(self) -> dict[str, int]:
        out = {"create": 0, "change": 0, "delete": 0, "replace": 0}
        for c in self.changes:
            out[c.action] = out.get(c.action, 0) + c.count
        return out

    def of(self, role: str, *kinds: str) -> list[Change]:
        """The changes of a role (of these kinds, when given)."""
        return [c for c in self.changes if c.role == role and (not kinds or c.kind in kinds)]

    def has(self, role: str, *kinds: str) -> bool:
        return bool(self.of(role, *kinds))

    def of_kind(self, *kinds: str) -> list[Change]:
        """The changes of these kinds, whatever their role."""
        return [c for c in self.changes if c.kind in kinds]


def renamed(role: str, ident: str, name: str, want: str, add: Callable[[Change], None]) -> None:
    """A resource renamed outside the stack gets its name back in place (steps/rename.py)."""
    if name and name != want:
        api = rename_step.api_of(role)
        add(
            Change(
                "change",
                role,
                ident,
                f"name {name!r} -> {want!r} (renamed outside the stack)",
                api=api,
                kind="renamed",
                heal=f"{api} {want!r}",
                data=want,
            )
        )
