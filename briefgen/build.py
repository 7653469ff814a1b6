"""Build briefs: check the fact base once, select, render, verify, and only then write."""

from __future__ import annotations

import datetime
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from briefgen.audiences import available_audiences, load_audience
from briefgen.checks import run_check
from briefgen.errors import FactBaseError, Problem, UsageError
from briefgen.factbase import FactBase
from briefgen.output import write_atomic
from briefgen.readers import YamlProblem, read_yaml
from briefgen.selection import Brief, select


@dataclass(frozen=True)
class BuildRequest:
    """What to build: audiences by name, formats, where, and the date the briefs carry."""

    facts: Path
    templates: Path | None
    output: Path
    audiences: tuple[str, ...]
    formats: tuple[str, ...] = ("md",)
    prepared: datetime.date | None = None
    marking: str | None = None
    paper: str = "A4"
    author: str = "briefgen"
    archival: bool = False  # PDF/A-3b with the Markdown and JSON of the brief attached
    strict_pdf: bool = False  # a WeasyPrint warning fails the build (tests)


@dataclass
class Output:
    audience: str
    format: str
    path: Path
    status: str  # built | up to date
    seconds: float = 0.0


@dataclass
class BuildResult:
    outputs: list[Output] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def brief_date(explicit: datetime.date | None = None) -> datetime.date:
    """The date a brief carries: given, else SOURCE_DATE_EPOCH (reproducible builds), else today."""
    if explicit is not None:
        return explicit
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc).date()
        except (ValueError, OverflowError):
            raise UsageError(f"SOURCE_DATE_EPOCH must be seconds since 1970, not '{epoch}'") from None
    return datetime.date.today()


def output_name(audience: str, fmt: str) -> str:
    return f"{audience}-brief.{fmt}"


def metric_labels(root: Path) -> dict[str, str]:
    path = root / "metrics.yaml"
    if not path.is_file():
        return {}
    try:
        data = read_yaml(path)
    except YamlProblem as exc:
        raise FactBaseError([Problem("metrics.yaml", exc.line, None, exc.message)]) from None
    return {str(k): str(v) for k, v in (data or {}).items()}


def load_checked(root: Path) -> tuple[FactBase, list[Problem]]:
    """Load and check the fact base; raise with every error, return the warnings."""
    base, problems = run_check(root)
    if any(p.severity == "error" for p in problems):
        raise FactBaseError(problems)
    return base, problems


def render_format(brief: Brief, fmt: str, request: BuildRequest) -> bytes:
    """Render and verify one brief in one format; raise rather than return anything unsound."""
    if fmt == "md":
        from briefgen.render import render
        from briefgen.verification import ensure_verified, verify_markdown

        text = render(brief, "md", request.templates)
        ensure_verified(verify_markdown(text, brief), output_name(brief.audience.name, fmt))
        return text.encode("utf-8")
    if fmt == "pdf":
        from briefgen.pdf import render_pdf

        return render_pdf(brief, request)
    raise UsageError(f"unknown format '{fmt}' (known: md, pdf)")


def build(request: BuildRequest) -> BuildResult:
    """Build every requested brief; write nothing unless all of them pass their checks."""
    if not request.audiences:
        raise UsageError(f"name an audience with --audience, or use --all (known: {', '.join(available_audiences(request.templates))})")
    audiences = [load_audience(name, request.templates) for name in request.audiences]
    base, warnings = load_checked(request.facts)
    labels = metric_labels(request.facts)
    prepared = brief_date(request.prepared)
    pending: list[tuple[Output, bytes]] = []
    for audience in audiences:
        brief = select(base, audience, prepared, labels)
        for fmt in request.formats:
            started = time.perf_counter()
            data = render_format(brief, fmt, request)
            path = request.output / output_name(audience.name, fmt)
            pending.append((Output(audience.name, fmt, path, "built", time.perf_counter() - started), data))
    for out, data in pending:
        write_atomic(out.path, data)
    return BuildResult([out for out, _ in pending], warnings)
