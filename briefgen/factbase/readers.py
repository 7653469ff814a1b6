"""Read the YAML files of a fact base: line numbers kept, duplicate keys refused, dates left as text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from briefgen.common.files import FileRefused, read_regular, reason

try:  # The C parser is about ten times faster on large fact bases.
    _BaseLoader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _BaseLoader = yaml.SafeLoader

_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class LineDict(dict):
    """A mapping from YAML that remembers the 1-based line it starts on."""

    line: int = 0


class YamlProblem(Exception):
    """Raised inside the loader; turned into a Problem by the caller."""

    def __init__(self, line: int | None, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


MAX_DEPTH = 64  # levels of lists and mappings; a fact file has four, the stack gives out at a few hundred
_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_SCALARS = frozenset(f"tag:yaml.org,2002:{name}" for name in ("int", "float", "bool", "null"))
_IMPLICIT = "\x00implicit"  # no tag written; a YAML file cannot contain this text
# The plain scalars that may be something other than text start with one of these.
_SPECIAL_FIRST = frozenset(first for first in _BaseLoader.yaml_implicit_resolvers if first)


class _Loader(_BaseLoader):
    # Dates such as 2014-08-01 stay text: briefgen has its own date grammar with precision.
    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
        for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
    }
    # libyaml asks Python for every node's type, and to descend and ascend path resolvers, which
    # fact files do not use. C-level calls that ignore their arguments answer instead: the type is
    # "implicit", decided in build() (a Python call per node saved three times over).
    resolve = _IMPLICIT.format
    descend_resolver = "".format
    ascend_resolver = "".format

    def __init__(self, text: str):
        super().__init__(text)
        self.plain_tags: dict[str, str] = {}  # plain scalar -> its resolved tag, for short values
        # Nodes seen, to refuse aliases: a document without '*' has none, so needs no bookkeeping.
        self.seen: set[int] | None = set() if "*" in text else None
        self.depth = 0  # lists and mappings open around the node being built

    def plain_tag(self, value: str) -> str:
        """The type of a plain (unquoted) scalar that may be a number, boolean or null."""
        tag = self.plain_tags.get(value)
        if tag is None:
            tag = yaml.resolver.BaseResolver.resolve(self, yaml.ScalarNode, value, (True, False))
            if len(value) <= 32:
                self.plain_tags[value] = tag
        return tag

    def build(self, node: yaml.Node) -> Any:
        """The value of a node: text, numbers, booleans and nulls, lists, and LineDicts."""
        if self.seen is not None:
            if id(node) in self.seen:
                # An alias makes a node appear twice; fact files never need one, and refusing them
                # defuses "billion laughs" documents before anything walks them.
                line = node.start_mark.line + 1
                raise YamlProblem(line, "YAML aliases (*name) are not allowed; write the value out")
            self.seen.add(id(node))
        kind, tag = type(node), node.tag
        if kind is yaml.ScalarNode:
            if tag == _IMPLICIT:
                value = node.value
                if node.style or (value and value[0] not in _SPECIAL_FIRST):
                    return value  # quoted, a block, or plain text that cannot be anything else
                tag = self.plain_tag(value)
            if tag == _STR:
                return node.value
            if tag in _SCALARS:
                return self.scalar(tag, node)
        elif kind is yaml.MappingNode and (tag == _IMPLICIT or tag == _MAP):
            return self.build_mapping(node)
        elif kind is yaml.SequenceNode and (tag == _IMPLICIT or tag == _SEQ):
            self.enter(node)
            items = [self.build(item) for item in node.value]
            self.depth -= 1
            return items
        raise YamlProblem(node.start_mark.line + 1, f"YAML tag '{tag}' is not allowed; write plain text or numbers")

    def scalar(self, tag: str, node: yaml.ScalarNode) -> Any:
        """A number, boolean or null; a plain value that looks like a number but is none ('0b_') is refused."""
        try:
            return self.yaml_constructors[tag](self, node)
        except ValueError:
            line = node.start_mark.line + 1
            shown = node.value if len(node.value) <= 40 else f"{node.value[:40]}…"  # 5,000 digits: one short line
            raise YamlProblem(line, f"'{shown}' is not a valid number; put it in quotes if it is text") from None

    def enter(self, node: yaml.Node) -> None:
        """Count one more level of nesting; refuse documents deeper than any fact file needs, which
        would otherwise exhaust Python's stack (a RecursionError, not a message) a few hundred levels down."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            line = node.start_mark.line + 1
            raise YamlProblem(line, f"lists and mappings nested more than {MAX_DEPTH} levels deep; a fact needs a few")

    def build_mapping(self, node: yaml.MappingNode) -> LineDict:
        self.enter(node)
        mapping = LineDict()
        mapping.line = node.start_mark.line + 1
        for key_node, value_node in node.value:
            key = self.build(key_node)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise YamlProblem(key_node.start_mark.line + 1, "a mapping key must be a plain value")
            if key in mapping:
                raise YamlProblem(key_node.start_mark.line + 1, f"duplicate key '{key}' in one mapping")
            mapping[key] = self.build(value_node)
        self.depth -= 1
        return mapping


MAX_BYTES = 256 * 1024 * 1024  # a fact file larger than this is a mistake, not a fact base


def read_yaml(path: Path) -> Any:
    """Parse one YAML file; raise YamlProblem with a line number on any defect."""
    try:
        # Size and kind come from the opened file, before any byte is read: a named pipe is refused, not waited on.
        data = read_regular(path, MAX_BYTES)
    except FileRefused as exc:
        if exc.size is not None:
            limit = f"{MAX_BYTES // 2**20} MiB" if MAX_BYTES >= 2**20 else f"{MAX_BYTES} bytes"
            raise YamlProblem(None, f"file is larger than {limit}; split it into several fact files") from None
        raise YamlProblem(None, f"cannot read: {reason(exc)}") from None
    except OSError as exc:
        raise YamlProblem(None, f"cannot read: {reason(exc)}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad_line = data[: exc.start].count(b"\n") + 1
        raise YamlProblem(bad_line, "not valid UTF-8 text; save the file as UTF-8") from None
    try:
        return _load(text)
    except YamlProblem:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise YamlProblem(line, f"YAML syntax error: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(None, f"YAML error: {exc}") from None


def _load(text: str) -> Any:
    """Compose the document with libyaml, then build plain values from its nodes in one walk."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        return None if node is None else loader.build(node)
    finally:
        loader.dispose()


def line_of(value: Any, default: int | None = None) -> int | None:
    """Return the line a mapping read by read_yaml starts on."""
    return getattr(value, "line", default)


def key_lines(path: Path) -> dict[str, int]:
    """The 1-based line of each key (as text) of a small YAML file's top-level mapping; "" gives the
    line the document starts on. For reporting one entry of metrics.yaml or a profile: read_yaml keeps
    only each mapping's first line, and none for a list.
    """
    try:
        node = yaml.compose(path.read_text(encoding="utf-8-sig"), Loader=_BaseLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    if node is None:
        return {}
    lines = {"": node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, _value in node.value:
            if isinstance(key, yaml.ScalarNode):
                lines.setdefault(key.value, key.start_mark.line + 1)
    return lines
