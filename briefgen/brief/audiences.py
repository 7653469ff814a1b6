"""Audience profiles: data files that say what a brief holds and in what order."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from briefgen.common.paths import SHIPPED_TEMPLATES
from briefgen.errors import UsageError
from briefgen.factbase.facts import KINDS
from briefgen.factbase.readers import YamlProblem, read_yaml

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
}
SECTION_FIELDS = {"title", "topics", "kinds", "require_any", "from", "until"}


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
    path: Path | None = None

    @property
    def topics(self) -> frozenset[str]:
        return frozenset().union(*(s.topics for s in self.sections))


def profile_dirs(user_templates: Path | None) -> list[Path]:
    dirs = [user_templates / "audiences"] if user_templates else []
    return [d for d in [*dirs, SHIPPED_TEMPLATES / "audiences"] if d.is_dir()]


def available_audiences(user_templates: Path | None) -> dict[str, Path]:
    """Audience name to profile file; a user's profile overrides a shipped one of the same name."""
    found: dict[str, Path] = {}
    for directory in reversed(profile_dirs(user_templates)):
        for path in sorted(directory.glob("*.yaml")):
            found[path.stem] = path
    return dict(sorted(found.items()))


def _fail(path: Path, line: int | None, message: str) -> UsageError:
    where = f"{path}:{line}" if line else str(path)
    return UsageError(f"{where}: {message}")


def _section(raw: Any, path: Path) -> SectionSpec:
    line = getattr(raw, "line", None)
    if not isinstance(raw, dict) or not isinstance(raw.get("title"), str):
        raise _fail(path, line, "each section needs a 'title'")
    unknown = sorted(raw.keys() - SECTION_FIELDS)
    if unknown:
        raise _fail(path, line, f"unknown section field(s) {', '.join(unknown)}")
    kinds = tuple(raw.get("kinds") or KINDS)
    if any(k not in KINDS for k in kinds):
        raise _fail(path, line, f"kinds must be drawn from {', '.join(KINDS)}")
    return SectionSpec(
        title=raw["title"],
        topics=frozenset(raw.get("topics") or ()),
        kinds=kinds,
        require_any=frozenset(raw.get("require_any") or ()),
        year_from=raw.get("from"),
        year_until=raw.get("until"),
    )


def load_audience(name: str, user_templates: Path | None) -> Audience:
    """Load one audience profile; an unknown name is a usage error listing the known ones."""
    known = available_audiences(user_templates)
    if name not in known:
        raise UsageError(f"unknown audience '{name}' (known: {', '.join(known) or 'none'})")
    path = known[name]
    try:
        raw = read_yaml(path)
    except YamlProblem as exc:
        raise _fail(path, exc.line, exc.message) from None
    if not isinstance(raw, dict):
        raise _fail(path, None, "an audience profile is a mapping")
    unknown = sorted(raw.keys() - PROFILE_FIELDS)
    if unknown:
        raise _fail(path, None, f"unknown field(s) {', '.join(unknown)} (allowed: {', '.join(sorted(PROFILE_FIELDS))})")
    sections = raw.get("sections")
    if not isinstance(sections, list) or not sections:
        raise _fail(path, None, "a profile needs a list of 'sections'")
    key_points = raw.get("key_points") or {}
    return Audience(
        name=name,
        title=str(raw.get("title") or name.title()),
        label=str(raw.get("audience") or name),
        sections=tuple(_section(s, path) for s in sections),
        key_point_count=int(key_points.get("count", 4)),
        key_points_repeat=bool(key_points.get("repeat_in_sections", False)),
        key_point_kinds=tuple(key_points.get("kinds") or KINDS),
        topic_weights={str(k): int(v) for k, v in (raw.get("topic_weights") or {}).items()},
        template=str(raw.get("template") or "brief"),
        show_changes=bool(raw.get("show_changes", False)),
        charts=bool(raw.get("charts", False)),
        timeline_salience=int((raw.get("timeline") or {}).get("min_salience", 0)),
        path=path,
    )
