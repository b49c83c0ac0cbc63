"""Reading a stack file safely: bounded bytes, UTF-8 only, a YAML subset with no aliases, anchors, merge
keys or complex keys, bounded nesting, node count and integer size. Every problem is a SpecError
naming the line (exit 2), never a traceback or an unbounded allocation."""

from __future__ import annotations

import os
import stat
from typing import Any

import yaml
from yaml.error import Mark
from yaml.nodes import MappingNode, Node, ScalarNode

from .errors import SpecError

MAX_BYTES = 1024 * 1024  # a stack file is a few hundred bytes; 1 MiB leaves room for inline user data
MAX_DEPTH = 20  # the deepest stack field is 4 levels down
MAX_NODES = 20_000  # scalars, lists and mappings in the whole document
MAX_INT_DIGITS = 20  # any count, size or port fits in 20 digits
MAX_SHOWN = 80  # characters of a value or a YAML problem quoted in a message


def cut(text: str, limit: int = MAX_SHOWN) -> str:
    """Text for an error message: at most `limit` characters, with the length said when it was cut."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def read_text(path: str, limit: int = MAX_BYTES) -> str:
    """The file's text, reading at most `limit` + 1 bytes (so /dev/zero or an endless FIFO ends at once).
    A FIFO is opened without blocking: with no writer it reads as empty."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as err:
        raise SpecError("", f"cannot read the stack file {path}: {err.strerror or err}") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise SpecError("", f"the stack file {path} is a directory")
        if stat.S_ISFIFO(mode):
            os.set_blocking(fd, True)  # a writer that is there gets read to its end (or the limit)
        chunks, size = [], 0
        while size <= limit:
            try:
                chunk = os.read(fd, min(65536, limit + 1 - size))
            except BlockingIOError:
                break
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as err:
        raise SpecError("", f"cannot read the stack file {path}: {err.strerror or err}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise SpecError(
            "", f"the stack file {path} is larger than {limit // 1024} KiB; a stack file is a short YAML document"
        )
    return decode(data, path)


def decode(data: bytes, source: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise SpecError("", f"{source} is not UTF-8 text (byte {err.start + 1}, line {line})") from None
    return text[1:] if text.startswith("\ufeff") else text


class _Refused(yaml.YAMLError):
    """A construct this loader does not accept; turned into a SpecError naming the line."""

    def __init__(self, mark: Mark | None, message: str) -> None:
        super().__init__(message)
        self.problem_mark = mark
        self.problem = message


class BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases and anchors (no alias bombs), merge keys, non-scalar keys and a key
    given twice; bounds nesting depth, the node count and integer length."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]  # unannotated in types-PyYAML
            raise _Refused(
                event.start_mark, f"YAML aliases (*{cut(event.anchor, 40)}) are not accepted in a stack file"
            )
        event = self.peek_event()  # type: ignore[no-untyped-call]  # unannotated in types-PyYAML
        if getattr(event, "anchor", None) is not None:
            raise _Refused(
                event.start_mark, f"YAML anchors (&{cut(event.anchor, 40)}) are not accepted in a stack file"
            )
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise _Refused(event.start_mark, f"the document has more than {MAX_NODES} values")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(event.start_mark, f"nesting deeper than {MAX_DEPTH} levels")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, MappingNode):
            return super().construct_mapping(node, deep)
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _Refused(key_node.start_mark, "merge keys (<<) are not accepted in a stack file")
            if not isinstance(key_node, ScalarNode):
                raise _Refused(key_node.start_mark, "a key must be a plain value, not a list or a mapping")
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise SpecError(cut(str(key)), f"given twice (line {key_node.start_mark.line + 1})")
            seen.add(key)
        return super().construct_mapping(node, deep)

    def flatten_mapping(self, node: MappingNode) -> None:
        # SafeLoader would expand `<<` here, before construct_mapping sees it: refuse it first.
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _Refused(key_node.start_mark, "merge keys (<<) are not accepted in a stack file")
        return super().flatten_mapping(node)

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        # An explicit tag on a value it does not fit (`!!timestamp abc`, `!!bool maybe`, `!!int x`) makes
        # PyYAML's constructors raise plain Python errors: name the line instead.
        try:
            return super().construct_object(node, deep)
        except (ValueError, KeyError, AttributeError, TypeError, OverflowError, IndexError) as err:
            if isinstance(err, yaml.YAMLError):
                raise
            tag = str(node.tag).rsplit(":", 1)[-1]
            raise _Refused(node.start_mark, f"this value cannot be read as {cut(tag, 40)}") from None

    def construct_yaml_int(self, node: ScalarNode) -> int:
        digits = sum(ch.isalnum() for ch in str(node.value))
        if digits > MAX_INT_DIGITS:
            raise _Refused(node.start_mark, f"an integer of {digits} digits is too large")
        return super().construct_yaml_int(node)


BoundedLoader.add_constructor("tag:yaml.org,2002:int", BoundedLoader.construct_yaml_int)
# (types-PyYAML types a constructor's `self` as a whole Loader; construct_yaml_map is SafeConstructor's own)
BoundedLoader.add_constructor("tag:yaml.org,2002:map", BoundedLoader.construct_yaml_map)  # type: ignore[type-var]


def load_yaml(text: str, source: str) -> Any:
    """The document of `text`; SpecError (naming the line) for anything not valid or not accepted."""
    try:
        return yaml.load(text, Loader=BoundedLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        raise SpecError("", f"{source} is not an accepted YAML stack{where}: {cut(str(problem), 200)}") from None
    except RecursionError:
        raise SpecError("", f"{source} nests too deeply") from None
