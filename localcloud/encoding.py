"""JSON answers: exactly the bytes of the standard encoder (`json.dumps(body, ensure_ascii=False)`),
with resources that were encoded once (the store keeps them until they change) spliced in as text."""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

# A hole in the encoded body is a JSON string holding this process's random nonce: no request can
# carry a value that looks like it, so only our own holes are replaced.
_NONCE = secrets.token_hex(12)
_HOLE = re.compile(r'"\\u0000' + _NONCE + r':(\d+)\\u0000"')


class EncodedList:
    """A JSON array whose items are JSON texts already encoded by `dumps`."""

    __slots__ = ("texts",)

    def __init__(self, texts: list[str]):
        self.texts = texts

    def __len__(self) -> int:
        return len(self.texts)

    def text(self) -> str:
        # json.dumps writes a list as "[" + ", ".join(items) + "]": the same bytes.
        return "[" + ", ".join(self.texts) + "]"

    def decoded(self) -> list[Any]:
        return [json.loads(t) for t in self.texts]


def dumps(value: Any) -> str:
    """One value as the answers encode it."""
    return json.dumps(value, ensure_ascii=False)


def encode(body: Any) -> bytes:
    """The answer's bytes: the standard encoder's output, the encoded lists spliced into their places."""
    holes: list[str] = []

    def hole(obj: Any) -> str:
        if not isinstance(obj, EncodedList):
            raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")
        holes.append(obj.text())
        return f"\x00{_NONCE}:{len(holes) - 1}\x00"

    text = json.dumps(body, ensure_ascii=False, default=hole)
    if holes:
        text = _HOLE.sub(lambda m: holes[int(m.group(1))], text)
    return text.encode()
