"""Request parameters: the flattened `Name.N.Field` wire form, typed getters that raise the real errors."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any, Literal, overload

from .errors import CloudError, InvalidParameter, MissingParameter

# Keys that belong to the signing protocol, never to the business call (sdk-wire-protocol.md §9).
PROTOCOL_KEYS = frozenset(
    {
        "Action",
        "Version",
        "Format",
        "Timestamp",
        "SignatureMethod",
        "SignatureVersion",
        "SignatureNonce",
        "SignatureType",
        "AccessKeyId",
        "Signature",
        "SecurityToken",
    }
)

_INDEX = re.compile(r"^(\d+)$")


class Params:
    """Business parameters of one call. Unknown extra parameters are ignored, as the real API does."""

    def __init__(self, raw: dict[str, str]):
        self.raw = {k: v for k, v in raw.items() if k not in PROTOCOL_KEYS}

    def __contains__(self, name: str) -> bool:
        return name in self.raw and self.raw[name] != ""

    # scalars -----------------------------------------------------------------------------
    @overload
    def text(
        self,
        name: str,
        required: Literal[True],
        default: str | None = None,
        max_len: int | None = None,
        choices: Iterable[str] | None = None,
    ) -> str: ...

    @overload
    def text(
        self,
        name: str,
        required: bool = False,
        *,
        default: str,
        max_len: int | None = None,
        choices: Iterable[str] | None = None,
    ) -> str: ...

    @overload
    def text(
        self,
        name: str,
        required: bool = False,
        default: None = None,
        max_len: int | None = None,
        choices: Iterable[str] | None = None,
    ) -> str | None: ...

    def text(
        self,
        name: str,
        required: bool = False,
        default: str | None = None,
        max_len: int | None = None,
        choices: Iterable[str] | None = None,
    ) -> str | None:
        value = self.raw.get(name)
        if value is None or value == "":
            if required:
                raise MissingParameter(name=name)
            return default
        if max_len is not None and len(value) > max_len:
            raise InvalidParameter(name, f"The length must not exceed {max_len} characters.")
        if choices is not None and value not in choices:
            raise InvalidParameter(name, f"Valid values: {', '.join(choices)}.")
        return value

    @overload
    def integer(
        self,
        name: str,
        required: Literal[True],
        default: int | None = None,
        min: int | None = None,
        max: int | None = None,
        code: str | None = None,
    ) -> int: ...

    @overload
    def integer(
        self,
        name: str,
        required: bool = False,
        *,
        default: int,
        min: int | None = None,
        max: int | None = None,
        code: str | None = None,
    ) -> int: ...

    @overload
    def integer(
        self,
        name: str,
        required: bool = False,
        default: None = None,
        min: int | None = None,
        max: int | None = None,
        code: str | None = None,
    ) -> int | None: ...

    def integer(
        self,
        name: str,
        required: bool = False,
        default: int | None = None,
        min: int | None = None,
        max: int | None = None,
        code: str | None = None,
    ) -> int | None:
        value = self.raw.get(name)
        if value is None or value == "":
            if required:
                raise MissingParameter(name=name)
            return default
        try:
            number = int(value)
        except ValueError:
            raise _bad(name, code, f"{value!r} is not an integer.") from None
        if (min is not None and number < min) or (max is not None and number > max):
            raise _bad(name, code, f"The value must be between {min} and {max}.")
        return number

    def flag(self, name: str, default: bool | None = None) -> bool | None:
        value = self.raw.get(name)
        if value is None or value == "":
            return default
        low = value.lower()
        if low == "true":
            return True
        if low == "false":
            return False
        raise InvalidParameter(name, "The value must be true or false.")

    def json(self, name: str, required: bool = False, default: Any = None) -> Any:
        value = self.raw.get(name)
        if value is None or value == "":
            if required:
                raise MissingParameter(name=name)
            return default
        try:
            return json.loads(value)
        except ValueError:
            raise InvalidParameter(name, "The value is not valid JSON.") from None

    def id_list(self, name: str, max_items: int | None = None) -> list[str] | None:
        """A list of ids given as a JSON array string (`InstanceIds`) or comma separated."""
        value = self.raw.get(name)
        if value is None or value == "":
            return None
        value = value.strip()
        if value.startswith("["):
            items = self.json(name)
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise InvalidParameter(name, "The value must be a JSON array of strings.")
        else:
            items = [i.strip() for i in value.split(",") if i.strip()]
        if max_items is not None and len(items) > max_items:
            raise InvalidParameter(name, f"At most {max_items} items are allowed.")
        return items

    # flattened lists and structs ----------------------------------------------------------
    def items(self, name: str) -> list[str]:
        """`Name.1`, `Name.2`, ... (1-based, sorted numerically)."""
        found: dict[int, str] = {}
        prefix = name + "."
        for key, value in self.raw.items():
            if key.startswith(prefix):
                rest = key[len(prefix) :]
                if _INDEX.match(rest):
                    found[int(rest)] = value
        return [found[i] for i in sorted(found)]

    def struct(self, name: str) -> dict[str, str]:
        """`Name.Field` -> {Field: value}."""
        prefix = name + "."
        return {
            k[len(prefix) :]: v for k, v in self.raw.items() if k.startswith(prefix) and "." not in k[len(prefix) :]
        }

    def struct_list(self, name: str) -> list[dict[str, str]]:
        """`Name.N.Field` -> [{Field: value}, ...] ordered by N."""
        found: dict[int, dict[str, str]] = {}
        prefix = name + "."
        for key, value in self.raw.items():
            if not key.startswith(prefix):
                continue
            index, _, field = key[len(prefix) :].partition(".")
            if _INDEX.match(index) and field:
                found.setdefault(int(index), {})[field] = value
        return [found[i] for i in sorted(found)]

    def fingerprint(self, ignore: Iterable[str] = ("ClientToken",)) -> str:
        """A stable hash of the business parameters, for ClientToken comparison."""
        skip = set(ignore)
        items = sorted((k, v) for k, v in self.raw.items() if k not in skip)
        return hashlib.sha256(json.dumps(items).encode()).hexdigest()


def _bad(name: str, code: str | None, detail: str) -> CloudError:
    """InvalidParameter, under the product's own code when the caller names one (VPC CidrMask:
    `InvalidCirdrBlock.MaskLength`)."""
    err = InvalidParameter(name, detail)
    if code:
        err.code = code
    return err
