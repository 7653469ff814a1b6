"""PDF briefs: HTML through WeasyPrint, fetching nothing outside the templates, verified note by note."""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import logging
import os
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from briefgen.brief.selection import Brief
from briefgen.common.paths import SHIPPED_TEMPLATES, weasyprint_release
from briefgen.errors import BuildError
from briefgen.render.formats import output_name
from briefgen.render.templates import render

PAPER_CSS = {"A4": "@page { size: A4; }", "Letter": "@page { size: letter; }"}


class FetchRefused(ValueError):
    """Raised by the URL fetcher for anything outside the allowed directories."""


def allowed_dirs(user_templates: Path | None) -> list[Path]:
    dirs = [SHIPPED_TEMPLATES.resolve()]
    if user_templates and user_templates.is_dir():
        dirs.insert(0, user_templates.resolve())
    return dirs


def make_fetcher(allowed: list[Path]) -> Callable[..., dict[str, Any]]:
    """A WeasyPrint URL fetcher that serves data: URLs and files under the allowed directories only."""
    import weasyprint

    def fetch(url: str, timeout: int = 10, ssl_context: Any = None) -> dict[str, Any]:
        if url.startswith("data:"):
            return weasyprint.default_url_fetcher(url)
        parsed = urllib.parse.urlparse(url)
        if parsed.scheme == "file":
            path = Path(urllib.parse.unquote(parsed.path)).resolve()
            if any(path.is_relative_to(d) for d in allowed) and path.is_file():
                return weasyprint.default_url_fetcher(path.as_uri())
        raise FetchRefused(f"briefgen fetches nothing outside the templates directory: {url}")

    return fetch


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def weasyprint_warnings() -> Iterator[list[str]]:
    """Collect what WeasyPrint logs (a refused fetch, CSS it ignores) instead of letting it scroll by."""
    logger = logging.getLogger("weasyprint")
    handler = _Collect()
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)


@contextmanager
def fixed_epoch(day: datetime.date) -> Iterator[None]:
    """Pin SOURCE_DATE_EPOCH to the brief's date, so font subsets carry no build-time timestamp."""
    old = os.environ.get("SOURCE_DATE_EPOCH")
    epoch = datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC).timestamp()
    os.environ["SOURCE_DATE_EPOCH"] = str(int(epoch))
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old


def base_url_for(user_templates: Path | None) -> str:
    if user_templates and (user_templates / "brief.css").is_file():
        return user_templates.resolve().as_uri() + "/"
    return SHIPPED_TEMPLATES.resolve().as_uri() + "/"


def keywords(brief: Brief) -> list[str]:
    topics = sorted({t for f in brief.facts for t in f.topics})
    return ["Vietnam", "Japan", brief.audience.name, *topics]


def check_pdf(pdf: bytes, notes: tuple[tuple[int, str], ...]) -> list[str]:
    """What is wrong with a rendered PDF: untagged, or a note lost or away from its call."""
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return check_tagged(reader) + check_notes(reader, notes)


def check_tagged(reader: Any) -> list[str]:
    """A screen reader needs the structure tree, the marked flag and the language."""
    root = reader.trailer["/Root"]
    marked = getattr(root.get("/MarkInfo", {}).get("/Marked"), "value", False)  # pypdf's BooleanObject
    if "/StructTreeRoot" not in root or marked is not True or not root.get("/Lang"):
        return ["the PDF is not tagged (no structure tree, /MarkInfo or /Lang)"]
    return []


def check_notes(reader: Any, notes: tuple[tuple[int, str], ...]) -> list[str]:
    """Every note of the brief is in the PDF, on the page of its call (read from the PDF's anchors)."""
    pages = {name: reader.get_destination_page_number(dest) for name, dest in reader.named_destinations.items()}
    problems = []
    for number, fact_id in notes:
        call, where = pages.get(f"call-{number}"), pages.get(f"note-{number}")
        if call is None:
            problems.append(f"footnote call {number} ({fact_id}) is missing from the PDF")
        elif where is None:
            problems.append(f"note {number} ({fact_id}) is missing from the PDF (called on page {call + 1})")
        elif where != call:
            problems.append(f"note {number} ({fact_id}) is on page {where + 1}, its call on page {call + 1}")
    return problems


def brief_json(brief: Brief) -> dict[str, Any]:
    """A machine-readable brief: facts, sources and notes, to travel inside an archival PDF."""
    return {
        "title": brief.audience.title,
        "audience": brief.audience.name,
        "prepared": brief.prepared.isoformat(),
        "information_as_of": brief.information_as_of.raw if brief.information_as_of else None,
        "sources": [
            {
                "id": s.id,
                "title": s.title,
                "series": s.series,
                "author": s.author,
                "publisher": s.publisher,
                "published": s.published.raw if s.published else None,
                "type": s.type,
                "sha256": s.sha256,
            }
            for s in brief.sources
        ],
        "notes": [
            {
                "number": n.number,
                "fact": n.fact.id,
                "statement": n.fact.statement,
                "kind": n.fact.kind,
                "independent_sources": n.independent_sources,
                "citations": [{"source": c.source.id, "locator": c.locator, "quote": c.quote} for c in n.citations],
            }
            for n in brief.notes
        ],
    }


@dataclass(frozen=True)
class PdfOptions:
    """What a PDF needs beyond the brief: its paper, marking and metadata, and how strict to be."""

    templates: Path | None = None
    paper: str = "A4"
    marking: str | None = None
    author: str = "briefgen"
    archival: bool = False  # PDF/A-3u with the Markdown and JSON of the brief attached, tagged as always
    strict: bool = False  # a WeasyPrint warning fails the build


@dataclass(frozen=True)
class PdfJob:
    """Everything needed to render one PDF, in a form that can go to another process."""

    name: str
    html: str
    notes: tuple[tuple[int, str], ...]  # note number, fact id
    paper: str
    prepared: datetime.date
    templates: Path | None
    attachments: tuple[tuple[str, str, str], ...] = ()  # file name, description, text
    strict: bool = False


def pdf_html(brief: Brief, options: PdfOptions) -> str:
    extra = {"marking": options.marking, "author": options.author, "keywords": keywords(brief)}
    return render(brief, "html", options.templates, extra)


def make_job(brief: Brief, options: PdfOptions) -> PdfJob:
    attachments: tuple[tuple[str, str, str], ...] = ()
    pages = brief.length.pages if brief.length else None
    if options.archival:
        markdown = render(brief, "md", options.templates)
        data = json.dumps(brief_json(brief), indent=2, ensure_ascii=False)
        attachments = (
            (output_name(brief.audience.name, "md", pages), "The brief in Markdown", markdown),
            (output_name(brief.audience.name, "json", pages), "The brief's facts, sources and notes", data),
        )
    return PdfJob(
        name=brief.audience.name,
        html=pdf_html(brief, options),
        notes=tuple((n.number, n.fact.id) for n in brief.notes),
        paper=options.paper,
        prepared=brief.prepared,
        templates=options.templates,
        attachments=attachments,
        strict=options.strict,
    )


# How briefgen tags its PDFs (render.tagging): a change here must not reuse a PDF tagged the old way.
TAGGING = "pdf/ua-1 with briefgen roles, artifacts and alternative text, 1"


def job_key(job: PdfJob) -> str:
    """What the PDF depends on beyond the templates: its HTML, paper, attachments, tagging and WeasyPrint's version."""
    digest = hashlib.sha256(job.html.encode("utf-8"))
    for part in (job.paper, weasyprint_release(), TAGGING, *(t for a in job.attachments for t in a)):
        digest.update(b"\0" + part.encode("utf-8"))
    return digest.hexdigest()


def render_job(job: PdfJob) -> bytes:
    """Render tagged (PDF/UA-1, and PDF/A-3u when archival), then verify every footnote and the tags."""
    return render_job_warned(job)[0]


def render_job_warned(job: PdfJob) -> tuple[bytes, tuple[str, ...]]:
    """render_job, with what WeasyPrint warned (errors under job.strict) for the build to report."""
    import weasyprint

    from briefgen.render import tagging

    identifier = hashlib.sha256(job.html.encode("utf-8")).hexdigest()[:32].encode("ascii")
    options: dict[str, Any] = {"pdf_identifier": identifier, "pdf_variant": tagging.ACCESSIBLE}
    if job.attachments:
        options["pdf_variant"] = tagging.ARCHIVAL
        options["attachments"] = [
            weasyprint.Attachment(
                string=text,
                name=name,
                description=description,
                relationship="Source" if name.endswith(".md") else "Data",
            )
            for name, description, text in job.attachments
        ]
    with weasyprint_warnings() as warnings, fixed_epoch(job.prepared), tagging.tagged_streams():
        document = weasyprint.HTML(
            string=job.html, base_url=base_url_for(job.templates), url_fetcher=make_fetcher(allowed_dirs(job.templates))
        ).render(stylesheets=[weasyprint.CSS(string=PAPER_CSS[job.paper])])
        pdf = document.write_pdf(**options)
    problems = check_pdf(pdf, job.notes)
    if problems:
        listing = "\n".join(f"  {p}" for p in problems[:20])
        raise BuildError(f"{job.name}: the PDF failed its checks; nothing written:\n{listing}")
    if job.strict and warnings:
        raise BuildError(f"{job.name}: WeasyPrint warned: " + "; ".join(warnings[:5]))
    return pdf, tuple(warnings)
