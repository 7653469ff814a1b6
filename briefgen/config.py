"""Settings: defaults, overridden by briefgen.toml, overridden by command-line options."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from briefgen.check import STALE_YEARS
from briefgen.errors import UsageError
from briefgen.render.formats import FORMATS, PAPERS

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
    archival: bool = False  # PDF/A-3b with the brief's Markdown and JSON attached
    stale_years: float = STALE_YEARS  # check warns of a figure this much older than a newer value of its metric


def _path(value: Any, key: str, base: Path) -> Path:
    if not isinstance(value, str) or not value:
        raise UsageError(f"{CONFIG_NAME}: '{key}' must be a path")
    return base / value


def _apply(settings: Settings, table: dict[str, Any], base: Path, where: str) -> Settings:
    known = {"facts", "templates", "output", "formats", "marking", "paper", "author", "archival", "stale_years"}
    unknown = sorted(table.keys() - known)
    if unknown:
        raise UsageError(f"{where}: unknown setting(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    changes: dict[str, Any] = {}
    for key in ("facts", "templates", "output"):
        if key in table:
            changes[key] = _path(table[key], key, base)
    if "formats" in table:
        formats = table["formats"]
        if not isinstance(formats, list) or not formats or any(f not in FORMATS for f in formats):
            raise UsageError(f"{where}: 'formats' must be a list drawn from {', '.join(FORMATS)}")
        changes["formats"] = tuple(formats)
    if "marking" in table:
        changes["marking"] = str(table["marking"]) or None
    if "author" in table:
        changes["author"] = str(table["author"])
    if "archival" in table:
        if not isinstance(table["archival"], bool):
            raise UsageError(f"{where}: 'archival' must be true or false")
        changes["archival"] = table["archival"]
    if "stale_years" in table:
        if not isinstance(table["stale_years"], (int, float)) or isinstance(table["stale_years"], bool):
            raise UsageError(f"{where}: 'stale_years' must be a number")
        changes["stale_years"] = float(table["stale_years"])
    if "paper" in table:
        if table["paper"] not in PAPERS:
            raise UsageError(f"{where}: 'paper' must be one of {', '.join(PAPERS)}")
        changes["paper"] = table["paper"]
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
