"""Settings: defaults, overridden by briefgen.toml, overridden by command-line options.

One model: the keys briefgen.toml knows are the fields of `Settings`; each value, from the file or
from an option, passes the same validator; a build request takes these fields as they are.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from briefgen.check import STALE_YEARS
from briefgen.common.invisible import invisible_in
from briefgen.errors import UsageError
from briefgen.render.formats import PAPERS, formats_problem, paper_named

if TYPE_CHECKING:
    from briefgen.publish.build import BuildRequest

CONFIG_NAME = "briefgen.toml"


@dataclass(frozen=True)
class Settings:
    """Where the fact base and templates are, and how briefs are built."""

    facts: Path = Path("facts")
    templates: Path = Path("templates")  # user templates; shipped ones serve where a name is missing
    output: Path = Path("build")
    formats: tuple[str, ...] = ("md",)
    marking: str | None = None  # handling marking printed in the PDF header, e.g. UNCLASSIFIED
    paper: str = "A4"
    author: str = "briefgen"  # PDF metadata author: who prepares the briefs
    archival: bool = False  # PDF/A-3u (tagged) with the brief's Markdown and JSON attached
    stale_years: float = STALE_YEARS  # a brief's current figure this much older than a newer value is stale
    pages: int | None = None  # briefs of at most this many PDF pages; 0: the full brief, whatever the profile says

    def merged(self, values: Mapping[str, Any], where: str = "option") -> Settings:
        """These settings with the given values (command-line options) over them; None means unset."""
        changes = {key: _valid(key, value, where) for key, value in values.items() if value is not None}
        return replace(self, **changes)

    def build_request(self, **build_only: Any) -> BuildRequest:
        """A build request carrying every setting, plus what only a build has (audiences, force...)."""
        from briefgen.publish.build import BuildRequest

        return BuildRequest(**{key: getattr(self, key) for key in KNOWN}, **build_only)


KNOWN = tuple(f.name for f in fields(Settings))  # the keys briefgen.toml may set


class _Invalid(Exception):
    """A value of the wrong type or out of range; the caller says where it came from."""


def _path(value: Any) -> Path:
    if isinstance(value, Path):
        return value
    if not isinstance(value, str) or not value:
        raise _Invalid("must be a path (text)")
    return Path(value)


def _formats(value: Any) -> tuple[str, ...]:
    problem = formats_problem(value)
    if problem:
        raise _Invalid(problem)
    return tuple(dict.fromkeys(value))


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid("must be text")
    # A marking or author printed in every PDF must read as it is: no hidden or reordered characters.
    hidden = invisible_in(value, "text")
    if hidden:
        raise _Invalid(hidden.removeprefix("text "))
    return value


def _marking(value: Any) -> str | None:
    return _text(value) or None  # an empty marking is none: `--marking ""` clears the config's


def _paper(value: Any) -> str:
    match = paper_named(value)
    if match is None:
        raise _Invalid(f"must be one of {', '.join(PAPERS)}, not '{value}'")
    return match


def _pages(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _Invalid(f"must be a whole number of pages (0 for the full brief), not '{value}'")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid("must be true or false")
    return value


def _years(value: Any) -> float:
    # NaN compares false with everything, so a NaN threshold would silently turn the warning off.
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) or value < 0:
        raise _Invalid(f"must be a finite number of years, 0 or more, not '{value}'")
    return float(value)


_VALIDATORS: dict[str, Callable[[Any], Any]] = {
    "facts": _path,
    "templates": _path,
    "output": _path,
    "formats": _formats,
    "marking": _marking,
    "paper": _paper,
    "author": _text,
    "archival": _flag,
    "stale_years": _years,
    "pages": _pages,
}
_PATHS = ("facts", "templates", "output")
_OPTIONS = {"formats": "--format"}  # the option that sets a key, where its name differs


def _valid(key: str, value: Any, where: str) -> Any:
    try:
        return _VALIDATORS[key](value)
    except _Invalid as exc:
        name = _OPTIONS.get(key, f"--{key.replace('_', '-')}") if where == "option" else f"{where}: '{key}'"
        raise UsageError(f"{name} {exc}") from None


def _apply(settings: Settings, table: Any, base: Path, where: str) -> Settings:
    if not isinstance(table, dict):
        raise UsageError(f"{where}: [briefgen] must be a table of settings, not {type(table).__name__}")
    unknown = sorted(table.keys() - set(KNOWN))
    if unknown:
        raise UsageError(f"{where}: unknown setting(s) {', '.join(unknown)} (known: {', '.join(sorted(KNOWN))})")
    changes = {key: _valid(key, value, where) for key, value in table.items()}
    for key in _PATHS:  # paths in the file are relative to the file
        if key in changes:
            changes[key] = base / changes[key]
    return replace(settings, **changes)


def load_settings(config: Path | None = None) -> Settings:
    """Read briefgen.toml (the given file, or one in the current directory if present)."""
    path = config or Path(CONFIG_NAME)
    if not path.is_file():
        if config is not None:
            raise UsageError(f"{config}: config file not found")
        return Settings()
    import tomllib  # only when there is a file to read: most runs have none

    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from None
    section = table.get("briefgen", table)
    return _apply(Settings(), section, path.parent, str(path))
