"""Audience profiles: data files that say what a brief holds and in what order."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from briefgen.common.invisible import invisible_in
from briefgen.common.paths import SHIPPED_TEMPLATES, templates_problem
from briefgen.errors import Problem, TemplateError, UsageError
from briefgen.factbase import KINDS
from briefgen.factbase.readers import YamlProblem, key_lines, line_of, read_yaml

PROFILE_FIELDS = {
    "title",
    "audience",
    "key_points",
    "topic_weights",
    "sections",
    "template",
    "show_changes",
    "charts",
    "timeline",
    "length",
}
SECTION_FIELDS = {"title", "topics", "kinds", "require_any", "from", "until"}
KEY_POINT_FIELDS = {"count", "repeat_in_sections", "kinds"}


@dataclass(frozen=True)
class SectionSpec:
    """Which facts feed one section of a brief."""

    title: str
    topics: frozenset[str]
    kinds: tuple[str, ...] = KINDS
    require_any: frozenset[str] = frozenset()
    year_from: int | None = None
    year_until: int | None = None


@dataclass(frozen=True)
class Audience:
    """An audience profile, read from templates/audiences/<name>.yaml."""

    name: str
    title: str
    label: str
    sections: tuple[SectionSpec, ...]
    key_point_count: int = 4
    key_points_repeat: bool = False
    key_point_kinds: tuple[str, ...] = KINDS
    topic_weights: dict[str, int] = field(default_factory=dict)
    template: str = "brief"
    show_changes: bool = False  # a section on what changed since the previous edition
    charts: bool = False  # draw series of two or more numeric values as figures
    timeline_salience: int = 0  # with 1-5: a timeline of dated events of at least this salience
    pages: int | None = None  # length: {pages: N}: build this audience's brief to N pages unless told otherwise
    path: Path | None = None

    @property
    def topics(self) -> frozenset[str]:
        return frozenset().union(*(s.topics for s in self.sections))


def profile_dirs(user_templates: Path | None) -> list[Path]:
    problem = templates_problem(user_templates) if user_templates else None
    if problem:
        raise UsageError(problem)
    dirs = [user_templates / "audiences"] if user_templates else []
    return [d for d in [*dirs, SHIPPED_TEMPLATES / "audiences"] if d.is_dir()]


def available_audiences(user_templates: Path | None) -> dict[str, Path]:
    """Audience name to profile file; a user's profile overrides a shipped one of the same name."""
    found: dict[str, Path] = {}
    for directory in reversed(profile_dirs(user_templates)):
        for path in sorted(directory.glob("*.yaml")):
            found[path.stem] = path
    return dict(sorted(found.items()))


class _Bad(Exception):
    """One thing wrong in a profile, at a line; load_audience and profile_problems say where."""

    def __init__(self, line: int | None, message: str):
        super().__init__(message)
        self.line, self.message = line, message


def _text(raw: dict[str, Any], key: str, line: int | None, default: str) -> str:
    value = raw.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise _Bad(line, f"'{key}' must be text, not {type(value).__name__}")
    _refuse_invisible(value, f"'{key}'", line)
    return value


def _refuse_invisible(text: str, what: str, line: int | None) -> None:
    """A profile's titles are printed in the brief: the one class of hidden characters is refused here too."""
    hidden = invisible_in(text, what)
    if hidden:
        raise _Bad(line, hidden)


def _flag(raw: dict[str, Any], key: str, line: int | None) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise _Bad(line, f"'{key}' must be true or false, not '{value}'")
    return value


def _count(raw: dict[str, Any], key: str, line: int | None, default: int, top: int | None = None) -> int:
    value = raw.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0 or (top is not None and value > top):
        limit = f"from 0 to {top}" if top is not None else "0 or more"
        raise _Bad(line, f"'{key}' must be a whole number {limit}, not '{value}'")
    return value


def _words(raw: dict[str, Any], key: str, line: int | None) -> tuple[str, ...]:
    value = raw.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Bad(line, f"'{key}' must be a list of names, e.g. [{key.rstrip('s')}-a, {key.rstrip('s')}-b]")
    return tuple(value)


def _kinds(raw: dict[str, Any], key: str, line: int | None) -> tuple[str, ...]:
    kinds = _words(raw, key, line) or KINDS
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise _Bad(line, f"unknown kind '{unknown[0]}' in '{key}' (kinds: {', '.join(KINDS)})")
    return kinds


def _mapping(raw: dict[str, Any], key: str, line: int | None, fields: set[str] | None) -> dict[str, Any]:
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _Bad(line, f"'{key}' must be a mapping, not {type(value).__name__}")
    unknown = sorted(str(k) for k in value if fields is not None and k not in fields)
    if unknown:
        raise _Bad(
            line_of(value, line),
            f"unknown field(s) {', '.join(unknown)} in '{key}' (allowed: {', '.join(sorted(fields or ()))})",
        )
    return value


def _year(raw: dict[str, Any], key: str, line: int | None) -> int | None:
    value = raw.get(key)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise _Bad(line, f"'{key}' must be a year (a whole number), not '{value}'")
    return value


def _section(raw: Any, line: int | None) -> SectionSpec:
    line = line_of(raw, line)
    if not isinstance(raw, dict) or not isinstance(raw.get("title"), str):
        raise _Bad(line, "each section must be a mapping with a 'title' (text)")
    _refuse_invisible(raw["title"], "section title", line)
    unknown = sorted(str(k) for k in raw.keys() - SECTION_FIELDS)
    if unknown:
        raise _Bad(
            line, f"unknown section field(s) {', '.join(unknown)} (allowed: {', '.join(sorted(SECTION_FIELDS))})"
        )
    return SectionSpec(
        title=raw["title"],
        topics=frozenset(_words(raw, "topics", line)),
        kinds=_kinds(raw, "kinds", line),
        require_any=frozenset(_words(raw, "require_any", line)),
        year_from=_year(raw, "from", line),
        year_until=_year(raw, "until", line),
    )


def _weights(raw: dict[str, Any], line: int | None) -> dict[str, int]:
    weights = _mapping(raw, "topic_weights", line, None)
    for topic, weight in weights.items():
        if not isinstance(weight, int) or isinstance(weight, bool):
            raise _Bad(line_of(weights, line), f"topic_weights: '{topic}' must be a whole number, not '{weight}'")
    return {str(k): v for k, v in weights.items()}


def _pages(length: dict[str, Any], line: int | None) -> int | None:
    """length: {pages: N}, a whole number of pages from 1 up."""
    value = length.get("pages")
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise _Bad(line, f"length: 'pages' must be a whole number of pages, 1 or more, not '{value}'")
    return value


def _profile(name: str, path: Path) -> Audience:
    """Read and validate one profile file; raise _Bad at the first thing wrong."""
    try:
        raw = read_yaml(path)
    except YamlProblem as exc:
        raise _Bad(exc.line, exc.message) from None
    lines = key_lines(path)  # a small file: each field's line, for messages
    if not isinstance(raw, dict):
        raise _Bad(lines.get(""), "an audience profile is a mapping of fields")
    unknown = sorted(str(k) for k in raw.keys() - PROFILE_FIELDS)
    if unknown:
        raise _Bad(
            lines.get(unknown[0]),
            f"unknown field(s) {', '.join(unknown)} (allowed: {', '.join(sorted(PROFILE_FIELDS))})",
        )
    sections = raw.get("sections")
    if not isinstance(sections, list) or not sections:
        raise _Bad(lines.get("sections", line_of(raw)), "a profile needs a list of 'sections'")
    key_points = _mapping(raw, "key_points", lines.get("key_points"), KEY_POINT_FIELDS)
    kp_line = line_of(key_points, lines.get("key_points"))
    timeline = _mapping(raw, "timeline", lines.get("timeline"), {"min_salience"})
    length = _mapping(raw, "length", lines.get("length"), {"pages"})
    return Audience(
        name=name,
        title=_text(raw, "title", lines.get("title"), name.title()),
        label=_text(raw, "audience", lines.get("audience"), name),
        sections=tuple(_section(s, lines.get("sections")) for s in sections),
        key_point_count=_count(key_points, "count", kp_line, 4),
        key_points_repeat=_flag(key_points, "repeat_in_sections", kp_line),
        key_point_kinds=_kinds(key_points, "kinds", kp_line),
        topic_weights=_weights(raw, lines.get("topic_weights")),
        template=_text(raw, "template", lines.get("template"), "brief"),
        show_changes=_flag(raw, "show_changes", lines.get("show_changes")),
        charts=_flag(raw, "charts", lines.get("charts")),
        timeline_salience=_count(timeline, "min_salience", line_of(timeline, lines.get("timeline")), 0, top=5),
        pages=_pages(length, line_of(length, lines.get("length"))),
        path=path,
    )


def load_audience(name: str, user_templates: Path | None) -> Audience:
    """Load one audience profile; an unknown name is a usage error listing the known ones."""
    known = available_audiences(user_templates)
    if name not in known:
        raise UsageError(f"unknown audience '{name}' (known: {', '.join(known) or 'none'})")
    path = known[name]
    try:
        return _profile(name, path)
    except _Bad as exc:
        raise TemplateError(str(Problem(str(path), exc.line, None, exc.message))) from None


def profile_problems(user_templates: Path | None) -> list[Problem]:
    """What is wrong with each available profile, shipped or the user's: what `check` reports."""
    problems = []
    for name, path in available_audiences(user_templates).items():
        try:
            _profile(name, path)
        except _Bad as exc:
            problems.append(Problem(str(path), exc.line, None, exc.message))
    return problems
