"""Read the YAML files of a fact base: line numbers kept, duplicate keys refused, dates left as text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

try:  # The C parser is about ten times faster on large fact bases.
    _BaseLoader: type = yaml.CSafeLoader
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


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    # Dates such as 2014-08-01 stay text: briefgen has its own date grammar with precision.
    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
        for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
    }

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # An alias makes a node appear twice; fact files never need one, and refusing them
        # defuses "billion laughs" documents before anything walks them.
        if node in self.constructed_objects:
            raise YamlProblem(node.start_mark.line + 1, "YAML aliases (*name) are not allowed; write the value out")
        return super().construct_object(node, deep)

    def construct_line_mapping(self, node: yaml.MappingNode) -> LineDict:
        mapping = LineDict()
        mapping.line = node.start_mark.line + 1
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise YamlProblem(key_node.start_mark.line + 1, "a mapping key must be a plain value")
            if key in mapping:
                raise YamlProblem(key_node.start_mark.line + 1, f"duplicate key '{key}' in one mapping")
            mapping[key] = self.construct_object(value_node, deep=True)
        return mapping


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_line_mapping)


MAX_BYTES = 256 * 1024 * 1024  # a fact file larger than this is a mistake, not a fact base


def read_yaml(path: Path) -> Any:
    """Parse one YAML file; raise YamlProblem with a line number on any defect."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise YamlProblem(None, f"file is larger than {MAX_BYTES // 2**20} MiB; split it into several fact files")
        data = path.read_bytes()
    except OSError as exc:
        raise YamlProblem(None, f"cannot read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise YamlProblem(line, "not valid UTF-8 text; save the file as UTF-8") from None
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except YamlProblem:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise YamlProblem(line, f"YAML syntax error: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(None, f"YAML error: {exc}") from None


def line_of(value: Any, default: int | None = None) -> int | None:
    """Return the line a mapping read by read_yaml starts on."""
    return getattr(value, "line", default)
