"""Safe YAML loading that keeps `file:line` for every key and list item.

Parses with PyYAML's C loader when available (the pure-Python one otherwise), composes
the node graph and builds plain values from it: `YMap` (a dict) and `YList` (a list)
remember the line of every key and item. Only the safe YAML types are constructed.
Plain scalars are read by the YAML 1.2 core schema, as editors' YAML language servers read
them: only true/false (any case form of the spec) are booleans, yes/no/on/off are text,
dates and 1:30 are text, 017 is seventeen and 0o17 fifteen; `<<` merge keys still work.
Duplicate keys, unknown tags, anchors that multiply data (alias bombs), very deep
nesting, oversized files and bytes that are not UTF-8 are reported as `SiteError`s.
This module knows nothing of the site's schema.
"""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import SiteError, SourceLocation

try:
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - libyaml is in the PyPI wheels
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_VALUES = 500_000
MAX_DEPTH = 40

_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"

# YAML 1.2.2, 10.3.2 "Tag Resolution" of the core schema, plus the merge key.
# (tag, pattern, the characters a match can start with; "" is the empty scalar)
CORE_SCHEMA: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("tag:yaml.org,2002:null", r"~|null|Null|NULL|", ("~", "n", "N", "")),
    ("tag:yaml.org,2002:bool", r"true|True|TRUE|false|False|FALSE", tuple("tTfF")),
    (_INT_TAG, r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", tuple("-+0123456789")),
    (
        _FLOAT_TAG,
        r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?"
        r"|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)",
        tuple("-+.0123456789"),
    ),
    (_MERGE_TAG, r"<<", ("<",)),
)


class _Loader(_BaseLoader):
    """PyYAML's (C) safe loader with the YAML 1.2 core schema's implicit types."""

    yaml_implicit_resolvers: dict[Any, Any] = {}

    def construct_core_int(self, node: ScalarNode) -> int:
        text = str(self.construct_scalar(node))
        if text.startswith(("0o", "0x")):
            return int(text[2:], 8 if text[1] == "o" else 16)
        return int(text, 10)

    def construct_core_float(self, node: ScalarNode) -> float:
        text = str(self.construct_scalar(node)).lower()
        if text.endswith((".inf", ".nan")):
            return float(text.replace(".", ""))
        return float(text)


for _tag, _pattern, _first in CORE_SCHEMA:
    _Loader.add_implicit_resolver(_tag, re.compile(rf"(?:{_pattern})\Z"), list(_first))
_Loader.add_constructor(_INT_TAG, _Loader.construct_core_int)
_Loader.add_constructor(_FLOAT_TAG, _Loader.construct_core_float)


class YMap(dict[Any, Any]):
    """A mapping that knows its own line and the line of each key."""

    line: int
    key_lines: dict[Any, int]

    def key_line(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class YList(list[Any]):
    """A sequence that knows its own line and the line of each item."""

    line: int
    item_lines: list[int]

    def item_line(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


def line_of(value: Any, default: int = 0) -> int:
    """The line a composed value starts on, or `default` for plain scalars."""
    return getattr(value, "line", default)


_HINTS = (
    ("mapping values are not allowed", "quote a value that contains ': '"),
    ("expected <block end>", "check the indentation of this line against the lines above"),
    ("could not find expected ':'", "a key needs a ':' after it, or quote the whole value"),
    ("found undefined alias", "define the anchor (&name) before using *name"),
    ("expected a single document", "remove the extra '---' document marker"),
    ("found character '%'", "quote values that start with '%' or '@'"),
    ("found character '@'", "quote values that start with '%' or '@'"),
    ("found character '`'", "quote values that start with a backtick"),
)


def _syntax_error(exc: yaml.YAMLError, text: str, display: str, line_offset: int) -> SiteError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    index = mark.line if mark is not None else -1
    lines = text.splitlines()
    source = lines[index] if 0 <= index < len(lines) else None
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    message = f"YAML syntax error: {problem}"
    if context and context_mark is not None and context_mark.line < index and "flow" in context:
        # an unclosed [ or {: point at where it opens, which is where the fix goes
        noticed = index + 1 + line_offset
        index = context_mark.line
        source = lines[index] if index < len(lines) else None
        message += f" ({context} that starts here; noticed on line {noticed})"
    elif context:
        started = ""
        if context_mark is not None and context_mark.line != index:
            started = f" that starts on line {context_mark.line + 1 + line_offset}"
        message += f" ({context}{started})"
    if source is not None and "\t" in source[: len(source) - len(source.lstrip())]:
        hint: str | None = "indent with spaces; YAML does not allow tabs"
    else:
        hint = next((h for needle, h in _HINTS if needle in message), None)
    line = index + 1 + line_offset if index >= 0 else 0
    return SiteError(message, SourceLocation(display, line), hint, source)


def decode_utf8(data: bytes, display: str) -> str:
    """Decode source bytes as UTF-8 (a UTF-8 byte-order mark is dropped)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SiteError(
            "file is encoded as UTF-16",
            SourceLocation(display, 1),
            "save it as UTF-8 (without BOM)",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SiteError(
            f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            SourceLocation(display, line),
            "save the file as UTF-8",
        ) from None
    return text.removeprefix("\ufeff")


def read_source(path: Path, display: str, max_bytes: int = MAX_FILE_BYTES) -> str:
    """Read a source file as UTF-8 text, refusing files over the size cap."""
    try:
        status = path.stat()
        if not stat.S_ISREG(status.st_mode):  # a FIFO would hang the read
            raise SiteError("is not a regular file", SourceLocation(display), "remove it")
        size = status.st_size
        if size > max_bytes:
            raise SiteError(
                f"file is {size:,} bytes, over the {max_bytes:,}-byte limit for a source file",
                SourceLocation(display, 0),
                "split it, or check that it is the file you meant",
            )
        data = path.read_bytes()
    except OSError as exc:
        raise SiteError(f"cannot read file: {exc.strerror}", SourceLocation(display)) from None
    return decode_utf8(data, display)


def load_yaml_file(path: Path, display: str, max_bytes: int = MAX_FILE_BYTES) -> Any:
    """Load one YAML file; an empty file loads as None."""
    return parse_yaml(read_source(path, display, max_bytes), display)


def parse_yaml(text: str, display: str, line_offset: int = 0) -> Any:
    """Parse YAML text into located values; `line_offset` shifts reported lines."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        return _Builder(loader, display, line_offset).build(node, 0)
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, text, display, line_offset) from None
    except RecursionError:
        raise SiteError(
            "YAML is nested too deeply", SourceLocation(display, 1 + line_offset)
        ) from None
    finally:
        loader.dispose()


class _Builder:
    """Turns a composed node graph into YMap/YList/scalars, within budgets."""

    def __init__(self, loader: Any, display: str, line_offset: int) -> None:
        self.loader = loader
        self.display = display
        self.offset = line_offset
        self.values = 0

    def line(self, node: Node) -> int:
        return int(node.start_mark.line) + 1 + self.offset

    def fail(self, node: Node, message: str, hint: str | None = None) -> SiteError:
        return SiteError(message, SourceLocation(self.display, self.line(node)), hint)

    def build(self, node: Node, depth: int) -> Any:
        self.values += 1
        if self.values > MAX_VALUES:
            raise self.fail(
                node,
                f"YAML expands to more than {MAX_VALUES:,} values",
                "anchors (&) and aliases (*) must not multiply data; write the values out",
            )
        if depth > MAX_DEPTH:
            raise self.fail(node, f"YAML is nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        if isinstance(node, SequenceNode):
            if node.tag != _SEQ_TAG:
                raise self.fail(node, f"unsupported YAML tag {node.tag!r}", "remove the tag")
            items = YList(self.build(child, depth + 1) for child in node.value)
            items.line = self.line(node)
            items.item_lines = [self.line(child) for child in node.value]
            return items
        if isinstance(node, MappingNode):
            return self.mapping(node, depth)
        raise self.fail(node, "unsupported YAML node")  # pragma: no cover

    def scalar(self, node: ScalarNode) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            raise self.fail(node, f"cannot read value: {exc.problem}", "quote it") from None
        except ValueError as exc:
            raise self.fail(node, f"cannot read value {node.value!r}: {exc}", "quote it") from None

    def mapping(self, node: MappingNode, depth: int) -> YMap:
        if node.tag != _MAP_TAG:
            raise self.fail(node, f"unsupported YAML tag {node.tag!r}", "remove the tag")
        result = YMap()
        result.line = self.line(node)
        result.key_lines = {}
        merged: list[YMap] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.extend(self.merge_sources(value_node, depth))
                continue
            if not isinstance(key_node, ScalarNode):
                raise self.fail(key_node, "a key must be a plain value, not a list or mapping")
            key = self.scalar(key_node)
            try:
                first = result.key_lines.get(key)
            except TypeError:
                raise self.fail(key_node, f"unusable key {key!r}") from None
            if first is not None:
                raise self.fail(
                    key_node,
                    f"duplicate key {key!r} (first defined on line {first})",
                    "keep one of them",
                )
            result.key_lines[key] = self.line(key_node)
            result[key] = self.build(value_node, depth + 1)
        for source in merged:
            for key, value in source.items():
                if key not in result:
                    result[key] = value
                    result.key_lines[key] = source.key_line(key)
        return result

    def merge_sources(self, node: Node, depth: int) -> list[YMap]:
        value = self.build(node, depth + 1)
        sources = value if isinstance(value, list) else [value]
        if not all(isinstance(source, YMap) for source in sources):
            raise self.fail(node, "'<<' must merge a mapping or a list of mappings")
        return list(sources)
