"""The typed getters that validate a stack file's mappings: each names the dotted field of a problem,
cuts long values in messages, and refuses unknown keys (used by spec.py and spec_serving.py)."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any, Literal, overload

from .errors import SpecError
from .stackfile import cut


class Section:
    """A mapping being validated: typed getters that name the dotted field, and unknown-key rejection."""

    def __init__(self, data: dict[str, Any], path: str) -> None:
        self.data = data
        self.path = path
        self.used: list[str] = []

    def field(self, key: object) -> str:
        key = cut(str(key), 60)
        return f"{self.path}.{key}" if self.path else key

    def _get(self, key: str, required: bool) -> Any:
        self.used.append(key)
        value = self.data.get(key)
        if value is None and required:
            raise SpecError(self.field(key), "is required")
        return value

    # required (the default), or with a default: a str; optional without a default: str | None.
    @overload
    def text(
        self,
        key: str,
        required: Literal[True] = ...,
        default: str | None = ...,
        choices: Collection[str] | None = ...,
        pattern: re.Pattern[str] | None = ...,
        hint: str = ...,
    ) -> str: ...

    @overload
    def text(
        self,
        key: str,
        required: bool,
        default: str,
        choices: Collection[str] | None = ...,
        pattern: re.Pattern[str] | None = ...,
        hint: str = ...,
    ) -> str: ...

    @overload
    def text(
        self,
        key: str,
        required: bool,
        default: str | None = ...,
        choices: Collection[str] | None = ...,
        pattern: re.Pattern[str] | None = ...,
        hint: str = ...,
    ) -> str | None: ...

    def text(
        self,
        key: str,
        required: bool = True,
        default: str | None = None,
        choices: Collection[str] | None = None,
        pattern: re.Pattern[str] | None = None,
        hint: str = "",
    ) -> str | None:
        value = self._get(key, required and default is None)
        if value is None:
            return default
        if not isinstance(value, str) or not value.strip():
            raise SpecError(self.field(key), f"must be a non-empty string, not {kind(value)}")
        if choices is not None and value not in choices:
            raise SpecError(self.field(key), f"must be one of {', '.join(choices)} (got {shown(value)})")
        if pattern is not None and not pattern.fullmatch(value):
            raise SpecError(self.field(key), f"{hint} (got {shown(value)})")
        return value

    def integer(self, key: str, lo: int, hi: int, default: int | None = None) -> int:
        value = self._get(key, default is None)
        if value is None and default is not None:
            return default
        if isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi:
            return value
        raise SpecError(self.field(key), f"must be an integer between {lo} and {hi} (got {shown(value)})")

    @overload
    def section(self, key: str, required: Literal[True]) -> Section: ...

    @overload
    def section(self, key: str, required: bool = ...) -> Section | None: ...

    def section(self, key: str, required: bool = False) -> Section | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise SpecError(self.field(key), f"must be a mapping, not {kind(value)}")
        return Section(value, self.field(key))

    def items(self, key: str, default: list[Any] | None = None) -> list[Any]:
        value = self._get(key, default is None)
        if value is None:
            return list(default or [])
        if not isinstance(value, list):
            raise SpecError(self.field(key), f"must be a list, not {kind(value)}")
        return value

    def done(self) -> None:
        unknown = [k for k in self.data if k not in self.used]
        if unknown:
            key = unknown[0]
            raise SpecError(self.field(key), f"unknown key (allowed here: {', '.join(self.used)})")


def shown(value: Any) -> str:
    """repr() of a value for a message, cut (a 50 MB value must not come back in the error)."""
    return cut(repr(value))


def kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
    }.get(type(value), type(value).__name__)


def empty(path: str) -> Section:
    return Section({}, path)


def uri(sec: Section, key: str, default: str | None) -> str:
    from .serving.userdata import HEALTH_PATH

    value = sec.text(key, default=default)  # required when there is no default: never None here
    if value is None or not HEALTH_PATH.fullmatch(value):
        raise SpecError(
            sec.field(key),
            "must be a path of 2 to 80 characters starting with '/', of letters, digits"
            f" and - / . % ? # & (the SLB's HealthCheckURI rule) (got {shown(value)})",
        )
    return value
