"""Build briefs: check the fact base once, select, render, verify, and only then write what changed."""

from __future__ import annotations

import datetime
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from briefgen import __version__
from briefgen.brief.audiences import Audience, available_audiences, load_audience
from briefgen.check import STALE_YEARS
from briefgen.common.collector import collector_paused
from briefgen.common.hashing import file_sha256, sha256_bytes, tree_digest
from briefgen.common.paths import MAX_TEMPLATE_FILES, SHIPPED_TEMPLATES, weasyprint_release
from briefgen.errors import BuildError, FactBaseError, PartlyPublished, Problem, UsageError
from briefgen.publish.output import (
    MANIFEST_NAME,
    build_lock,
    manifest_bytes,
    publish,
    read_manifest,
    terminate_as_exit,
)
from briefgen.render.formats import PAPERS, formats_problem, output_name, paper_named

if TYPE_CHECKING:  # loading, checking, selecting and PDF are imported when a build has work to do
    from briefgen.brief.selection import Brief
    from briefgen.factbase.loading import FactBase
    from briefgen.publish.fit import Fitted
    from briefgen.render.pdf import PdfJob, PdfOptions


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
    archival: bool = False  # PDF/A-3u (tagged) with the Markdown and JSON of the brief attached
    strict_pdf: bool = False  # a WeasyPrint warning fails the build
    strict: bool = False  # a fact-base warning fails the build
    force: bool = False  # rebuild even what is up to date
    changes: bool = False  # add a section on what changed since the previous edition
    lock_timeout: float = 600.0
    stale_years: float = STALE_YEARS
    jobs: int = 0  # processes for PDF rendering; 0: one per core
    pages: int | None = None  # at most N PDF pages per brief; None: each profile's length; 0: full briefs


@dataclass
class Output:
    audience: str
    format: str
    path: Path
    status: str  # built | up to date
    seconds: float = 0.0
    pages: int | None = None  # the page budget of a short brief
    renders: int = 0  # PDF renders the fit to the page budget took (0: not fitted)

    @property
    def edition(self) -> str:
        """The manifest's key for this brief's editions: a short brief's are not the full one's."""
        return f"{self.audience}-{self.pages}p" if self.pages else self.audience


@dataclass
class BuildResult:
    outputs: list[Output] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    changes: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    @property
    def up_to_date(self) -> bool:
        return all(o.status == "up to date" for o in self.outputs)


@dataclass
class Job:
    """One output to produce: its key (a hash of all it depends on) and what renders it."""

    output: Output
    key: str
    render: Callable[[], bytes] | None = None
    pdf: PdfJob | None = None  # rendered in a worker process
    facts: dict[str, str] = field(default_factory=dict)
    extras: dict[str, bytes] = field(default_factory=dict)  # files written beside the output (figures)
    warned: tuple[str, ...] = ()  # what WeasyPrint warned when the job was rendered while planning (a fit)


def brief_date(explicit: datetime.date | None = None) -> datetime.date:
    """The date a brief carries: given, else SOURCE_DATE_EPOCH (reproducible builds), else today."""
    if explicit is not None:
        return explicit
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return datetime.datetime.fromtimestamp(int(epoch), tz=datetime.UTC).date()
        except (ValueError, OverflowError):
            raise UsageError(f"SOURCE_DATE_EPOCH must be seconds since 1970, not '{epoch}'") from None
    return datetime.date.today()


FONT_SUFFIXES = (".ttf", ".otf", ".woff", ".woff2")


def pages_for(request: BuildRequest, audience: Audience) -> int | None:
    """The page budget of an audience's brief: the request's (0: none), else the profile's length, else none."""
    if request.pages is None:
        return audience.pages
    return request.pages or None


def fingerprint(request: BuildRequest, prepared: datetime.date, short: bool = False) -> str:
    """A hash of every input file and option: when it matches the last build, nothing can have changed."""
    options = [
        __version__,
        prepared.isoformat(),
        request.marking or "",
        request.paper,
        request.author,
        str(request.archival),
        str(request.changes),
        ",".join(request.audiences),
        ",".join(request.formats),
        # What a build accepts: a --strict run after a lenient one must judge the warnings again.
        f"strict={request.strict},strict_pdf={request.strict_pdf},stale_years={request.stale_years!r}",
        f"pages={request.pages}",
    ]
    skip: tuple[str, ...] = FONT_SUFFIXES  # only a PDF reads fonts
    if "pdf" in request.formats or short:  # a short brief's selection is measured on its PDF, in any format
        options.append(weasyprint_release())
        skip = ()
    inputs = tree_digest([request.facts, SHIPPED_TEMPLATES], skip)
    if request.templates is not None:  # a user's directory: bounded, should it be the wrong one
        inputs += tree_digest([request.templates], skip, max_files=MAX_TEMPLATE_FILES)
    return sha256_bytes((inputs + "\0".join(options)).encode("utf-8"))


def _all_current(manifest: dict[str, Any], jobs: list[tuple[str, str, Path]]) -> bool:
    """Whether every expected output, and every file recorded beside one, is as the last build left it."""
    recorded = manifest.get("outputs", {})
    if any(path.name not in recorded for _a, _f, path in jobs):
        return False
    wanted = {(a, f) for a, f, _p in jobs}
    directory = jobs[0][2].parent if jobs else Path(".")
    return all(
        file_sha256(directory / name) == entry.get("sha256")
        for name, entry in recorded.items()
        if (entry.get("audience"), entry.get("format")) in wanted
    )


def _plan_markdown(brief: Brief, request: BuildRequest, out: Output) -> Job:
    from briefgen.render.templates import render
    from briefgen.render.verification import ensure_verified, verify_markdown

    text = render(brief, "md", request.templates)
    ensure_verified(verify_markdown(text, brief), out.path.name)
    data = text.encode("utf-8")
    extras = figure_files(brief)
    key = sha256_bytes(data + b"".join(name.encode() + svg for name, svg in sorted(extras.items())))
    return Job(out, key, render=lambda: data, extras=extras)


def _plan_html(brief: Brief, base: FactBase, request: BuildRequest, out: Output) -> Job:
    """The HTML brief, rendered and checked in memory like the Markdown: one file, passages and charts inside."""
    from briefgen.render.html_verification import verify_html
    from briefgen.render.passages import brief_passages
    from briefgen.render.templates import WebNotes, render
    from briefgen.render.verification import ensure_verified

    passages = brief_passages(brief, base)
    extra = {"passages": passages.items, "marking": request.marking}
    text = render(brief, "web", request.templates, extra, WebNotes(passages).filters())
    ensure_verified(verify_html(text, brief), out.path.name)
    data = text.encode("utf-8")
    return Job(out, sha256_bytes(data), render=lambda: data)


def figure_files(brief: Brief) -> dict[str, bytes]:
    """The SVG figures a Markdown brief refers to, written beside it."""
    if not brief.figures:
        return {}
    from briefgen.render.charts import figure_name, series_svg

    pages = brief.length.pages if brief.length else None
    return {figure_name(brief.audience.name, s.figure, pages): series_svg(s).encode("utf-8") for s in brief.figures}


def _plan_pdf(brief: Brief, request: BuildRequest, out: Output) -> Job:
    from briefgen.render.pdf import job_key, make_job

    job = make_job(brief, pdf_options(request))
    # A strict render fails on WeasyPrint's warnings, so a PDF rendered leniently is not one a
    # strict build may keep: strictness is part of the key.
    key = job_key(job) if not job.strict else sha256_bytes(f"{job_key(job)}\0strict".encode("ascii"))
    return Job(out, key, pdf=job)


def pdf_options(request: BuildRequest) -> PdfOptions:
    from briefgen.render.pdf import PdfOptions

    return PdfOptions(
        templates=request.templates,
        paper=request.paper,
        marking=request.marking,
        author=request.author,
        archival=request.archival,
        strict=request.strict_pdf,
    )


def _previous_edition(
    manifest: dict[str, Any], audience: str, current: dict[str, str]
) -> tuple[dict[str, str], str] | None:
    """The facts of the edition to compare with: the last different one recorded in the manifest."""
    record = manifest.get("audiences", {}).get(audience)
    if not record:
        return None
    if record.get("facts") != current:
        return record.get("facts", {}), record.get("edition", "")
    baseline = record.get("baseline")
    return (baseline, record.get("baseline_edition", "")) if baseline is not None else None


def _brief_for(
    base: FactBase,
    audience: Audience,
    prepared: datetime.date,
    labels: dict[str, str],
    request: BuildRequest,
    manifest: dict[str, Any],
) -> Brief:
    from briefgen.brief.selection import select

    brief = select(base, audience, prepared, labels)
    if not (request.changes or audience.show_changes):
        return brief
    current = {f.id: f.statement for f in brief.facts}
    previous = _previous_edition(manifest, audience.name, current)
    if previous is None:
        return brief
    return select(base, audience, prepared, labels, previous=previous)


def plan(request: BuildRequest, base: FactBase, prepared: datetime.date, manifest: dict[str, Any]) -> list[Job]:
    from briefgen.factbase.metrics import metric_labels

    labels = metric_labels(request.facts)
    audiences = [load_audience(name, request.templates) for name in request.audiences]
    fits = _fits(request, base, prepared, labels, audiences)
    jobs = []
    for audience in audiences:
        name, pages, fitted = audience.name, pages_for(request, audience), fits.get(audience.name)
        if fitted is None:
            brief = _brief_for(base, audience, prepared, labels, request, manifest)
        else:
            brief = _short_brief(base, audience, prepared, labels, fitted.keep, pages)
        facts = {f.id: f.statement for f in brief.facts}
        for fmt in request.formats:
            out = Output(name, fmt, request.output / output_name(name, fmt, pages), "built", pages=pages)
            if fitted is not None:
                out.renders, out.seconds = fitted.renders, fitted.seconds if fmt == "pdf" else 0.0
            if fmt == "md":
                job = _plan_markdown(brief, request, out)
            elif fmt == "html":
                job = _plan_html(brief, base, request, out)
            elif fitted is None:
                job = _plan_pdf(brief, request, out)
            else:
                job = _fitted_pdf(brief, request, out, fitted.pdf, fitted.warnings)
            job.facts = facts
            jobs.append(job)
    return jobs


def _fits(
    request: BuildRequest, base: FactBase, prepared: datetime.date, labels: dict[str, str], audiences: list[Audience]
) -> dict[str, Fitted]:
    """Fit every audience with a page budget to it, on its PDF; in worker processes when there are several."""
    short = [(a, pages) for a in audiences if (pages := pages_for(request, a))]
    if not short:
        return {}
    import weasyprint  # noqa: F401 - imported once here, inherited by forked workers

    from briefgen.common.parallel import each_in_worker
    from briefgen.publish.fit import fit

    options = pdf_options(request)

    def fit_one(item: tuple[Audience, int]) -> Fitted:
        return fit(base, item[0], item[1], options, prepared, labels)

    found = each_in_worker(short, fit_one, request.jobs, name=lambda item: item[0].name)
    return {audience.name: fitted for (audience, _pages), fitted in found}


def _short_brief(
    base: FactBase, audience: Audience, prepared: datetime.date, labels: dict[str, str], keep: int, pages: int | None
) -> Brief:
    from briefgen.brief.selection import choose
    from briefgen.publish.fit import short_brief

    assert pages, "a short brief has a page budget"
    return short_brief(choose(base, audience), base, audience, keep, pages, prepared, labels)


def _fitted_pdf(brief: Brief, request: BuildRequest, out: Output, pdf: bytes, warned: tuple[str, ...]) -> Job:
    """The PDF a fit rendered (and checked) is the output: its key is the key of the job that made it."""
    job = _plan_pdf(brief, request, out)
    return Job(out, job.key, render=lambda: pdf, warned=warned)


def _needs_build(job: Job, manifest: dict[str, Any], force: bool) -> bool:
    recorded = manifest.get("outputs", {})
    entry = recorded.get(job.output.path.name)
    if force or not entry or entry.get("key") != job.key:
        return True
    directory = job.output.path.parent
    return any(
        file_sha256(directory / name) != recorded.get(name, {}).get("sha256")
        for name in [job.output.path.name, *job.extras]
    )


def _render_all(
    jobs: list[Job], workers: int, progress: Callable[[str], None]
) -> tuple[dict[str, bytes], list[Problem]]:
    """Render every job; PDFs in parallel worker processes when there are several.

    Returns the bytes by output name and WeasyPrint's warnings (a strict PDF job fails on them).
    """
    rendered: dict[str, bytes] = {}
    warnings: list[Problem] = []
    pdf_jobs = [j for j in jobs if j.pdf is not None]
    for job in jobs:
        if job.render is not None:
            rendered[job.output.path.name] = job.render()
            warnings += [Problem(job.output.path.name, None, None, f"WeasyPrint: {w}", "warning") for w in job.warned]
    if not pdf_jobs:
        return rendered, warnings
    import weasyprint  # noqa: F401 - imported once here, inherited by forked workers

    from briefgen.common.parallel import each_in_worker
    from briefgen.render.pdf import render_job_warned

    started = time.perf_counter()

    def render(job: Job) -> tuple[bytes, tuple[str, ...]]:
        assert job.pdf is not None, "only PDF jobs render in workers"
        return render_job_warned(job.pdf)

    for job, (pdf, warned) in each_in_worker(pdf_jobs, render, workers, name=lambda j: j.output.path.name):
        progress(f"rendered {job.output.path.name}")
        rendered[job.output.path.name] = pdf
        warnings += [Problem(job.output.path.name, None, None, f"WeasyPrint: {w}", "warning") for w in warned]
        job.output.seconds = time.perf_counter() - started
    return rendered, warnings


def _record(
    manifest: dict[str, Any], jobs: list[Job], data: dict[str, bytes], fp: str, prepared: datetime.date
) -> dict[str, Any]:
    outputs = dict(manifest.get("outputs", {}))
    audiences = dict(manifest.get("audiences", {}))
    for job in jobs:
        for name in [job.output.path.name, *job.extras]:
            if name in data:
                outputs[name] = {
                    "audience": job.output.audience,
                    "format": job.output.format,
                    "key": job.key,
                    "sha256": sha256_bytes(data[name]),
                }
        previous = audiences.get(job.output.edition)
        if previous and previous.get("facts") == job.facts:
            continue
        audiences[job.output.edition] = {
            "edition": prepared.isoformat(),
            "facts": job.facts,
            "baseline": previous.get("facts") if previous else None,
            "baseline_edition": previous.get("edition") if previous else None,
        }
    return {"version": 1, "fingerprint": fp, "briefgen": __version__, "outputs": outputs, "audiences": audiences}


def _changes_of(jobs: list[Job], manifest: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    found = {}
    for job in jobs:
        before = manifest.get("audiences", {}).get(job.output.edition, {}).get("facts")
        if before is None or job.output.edition in found:
            continue
        found[job.output.edition] = {
            "added": sorted(set(job.facts) - set(before)),
            "removed": sorted(set(before) - set(job.facts)),
            "changed": sorted(k for k in set(job.facts) & set(before) if job.facts[k] != before[k]),
        }
    return found


# A PDF's fonts carry the brief date as seconds since 1904-01-01 (OpenType's epoch).
EARLIEST_PDF_DATE = datetime.date(1904, 1, 1)


def _check_date(prepared: datetime.date, formats: tuple[str, ...]) -> None:
    if "pdf" in formats and prepared < EARLIEST_PDF_DATE:
        raise UsageError(
            f"a PDF cannot carry the date {prepared.isoformat()}: its fonts count time from "
            f"{EARLIEST_PDF_DATE.isoformat()}; give a later --date or build Markdown only"
        )


def _publish(directory: Path, jobs: list[Job], data: dict[str, bytes], previous: dict[str, Any], record: Any) -> None:
    """Write every new output, the files beside them and then the manifest together, or none of them."""
    files: dict[str, bytes] = {}
    for job in jobs:
        if job.output.path.name in data:
            for name, extra in job.extras.items():
                files[name] = data[name] = extra
            files[job.output.path.name] = data[job.output.path.name]
        else:
            job.output.status = "up to date"
    new = record(data)
    files[MANIFEST_NAME] = manifest_bytes(new)
    try:
        publish(directory, files)
    except PartlyPublished as exc:
        _record_partial(directory, previous, new, exc.new)
        raise


def _record_partial(directory: Path, previous: dict[str, Any], new: dict[str, Any], names: list[str]) -> None:
    """After a publish that could not be undone, a manifest that says which files are new."""
    outputs = dict(previous.get("outputs", {}))
    outputs.update({name: new["outputs"][name] for name in names if name in new.get("outputs", {})})
    partial = {**previous, "version": 1, "fingerprint": "", "outputs": outputs, "incomplete": names}
    try:
        publish(directory, {MANIFEST_NAME: manifest_bytes(partial)})
    except BuildError:
        pass  # the error already names the new files


def build(request: BuildRequest, progress: Callable[[str], None] = lambda _msg: None) -> BuildResult:
    """Build every requested brief; write nothing unless all of them pass their checks."""
    if not request.audiences:
        known = ", ".join(available_audiences(request.templates))
        raise UsageError(f"name an audience with --audience, or use --all (known: {known})")
    problem = formats_problem(request.formats)
    if problem:
        raise UsageError(f"the formats {problem}")
    if paper_named(request.paper) != request.paper:
        raise UsageError(f"the paper must be one of {', '.join(PAPERS)}, not '{request.paper}'")
    budgets = {name: pages_for(request, load_audience(name, request.templates)) for name in request.audiences}
    prepared = brief_date(request.prepared)
    _check_date(prepared, request.formats)
    with terminate_as_exit(), build_lock(request.output, request.lock_timeout):
        manifest = read_manifest(request.output)
        fp = fingerprint(request, prepared, short=any(budgets.values()))
        expected = [
            (a, f, request.output / output_name(a, f, budgets[a])) for a in request.audiences for f in request.formats
        ]
        if not request.force and manifest.get("fingerprint") == fp and _all_current(manifest, expected):
            return BuildResult([Output(a, f, p, "up to date") for a, f, p in expected])
        from briefgen.check.gate import load_checked

        base, warnings = load_checked(request.facts, request.stale_years, prepared, request.templates)
        if request.strict and warnings:
            raise FactBaseError([replace_severity(w) for w in warnings])
        with collector_paused():  # selecting and rendering make objects by the million, and no cycles
            jobs = plan(request, base, prepared, manifest)
        todo = [j for j in jobs if _needs_build(j, manifest, request.force)]
        data, pdf_warnings = _render_all(todo, request.jobs, progress)
        warnings = [*warnings, *pdf_warnings]
        _publish(request.output, jobs, data, manifest, lambda done: _record(manifest, jobs, done, fp, prepared))
        return BuildResult([j.output for j in jobs], warnings, _changes_of(jobs, manifest))


def replace_severity(problem: Problem) -> Problem:
    """A warning promoted to an error by --strict."""
    return Problem(problem.file, problem.line, problem.subject, f"{problem.message} (--strict)", severity="error")


__all__ = ["BuildError", "BuildRequest", "BuildResult", "Output", "brief_date", "build"]
