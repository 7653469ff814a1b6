"""Every guard is load-bearing: switched off, the bad outcome it prevents happens, so its tests would notice.

Each test runs one real scenario twice: with the guard, the build or check refuses it with its specific
message; with the guard monkeypatched away, the untrustworthy output is written (or the secret read).
A guard whose removal changed nothing here would be a guard no test depends on.
"""

from __future__ import annotations

import datetime
import errno
import io
import re
import resource
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pypdf
import pytest

from briefgen.errors import BuildError
from briefgen.publish.build import BuildRequest, build
from tests.conftest import append_fact, outputs, run
from tests.test_check import GOOD


@pytest.fixture(autouse=True)
def _no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """No cache: a result cached with the guard on would be served with it off, and hide the difference."""
    monkeypatch.setenv("BRIEFGEN_CACHE_DIR", "off")


def build_md(base: Path, out: Path, *args: str):
    return run("--facts", base, *args, "build", "-a", "historical", "-f", "md", "-o", out)


def brief_text(out: Path) -> str:
    return (out / "historical-brief.md").read_text(encoding="utf-8")


# --- the fact base: numbers and quotes --------------------------------------------------------------


def test_number_rule_keeps_a_number_its_quote_lacks_out_of_the_brief(base, tmp_path, monkeypatch):
    from briefgen.check import rules

    append_fact(base, GOOD.replace("In 2009, Japan", "In 2010, Japan"))
    refused = build_md(base, tmp_path / "out")
    assert refused.exit_code == 1
    assert "extra.yaml:1: extra-fact: statement has '2010', which its quote does not contain" in refused.stderr
    assert not (tmp_path / "out" / "historical-brief.md").exists()

    monkeypatch.setattr(rules, "check_numbers", lambda fact, basis=None: [])
    result = build_md(base, tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    assert 'In 2010, Japan and Vietnam set up a "strategic partnership".' in brief_text(tmp_path / "out")


FABRICATED = GOOD.replace(
    "quote: In 2009 the two countries established a “strategic partnership”.",
    "quote: In 2009 Japan promised Vietnam a fleet of submarines.",
)


def test_anchoring_keeps_a_quote_its_source_lacks_out_of_the_brief(base, tmp_path, monkeypatch):
    from briefgen.factbase import loading
    from briefgen.factbase.anchoring import Match

    append_fact(base, FABRICATED)
    refused = build_md(base, tmp_path / "out")
    assert refused.exit_code == 1
    assert "extra.yaml:1: extra-fact: quote: quote not found; closest passage:" in refused.stderr
    assert not (tmp_path / "out" / "historical-brief.md").exists()

    # Anchoring switched off: every quote is taken to sit at the start of its source.
    monkeypatch.setattr(loading, "anchor", lambda source, quote, prefix=None, suffix=None: Match(0, 12, 1, 1))
    result = build_md(base, tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    assert "Japan promised Vietnam a fleet of submarines" in brief_text(tmp_path / "out")  # cited as if real


# --- the rendered brief: self-verification and the sandbox -------------------------------------------


def uncited_template(tmp_path: Path) -> Path:
    templates = tmp_path / "tpl"
    templates.mkdir()
    (templates / "brief.md.j2").write_text(
        '{% extends "!default/brief.md.j2" %}{% block key_points %}## Key points\n\n'
        "Vietnam will surely buy Japanese submarines next year.\n{% endblock %}",
        encoding="utf-8",
    )
    return templates


@pytest.mark.parametrize("guard", ["verify_markdown", "ensure_verified"])
def test_self_verification_keeps_an_uncited_sentence_out(base, tmp_path, monkeypatch, guard):
    from briefgen.render import verification

    templates = uncited_template(tmp_path)
    refused = build_md(base, tmp_path / "out", "--templates", str(templates))
    assert refused.exit_code == 1
    assert "historical-brief.md fails its own checks; nothing written:" in refused.stderr
    assert 'sentence without a footnote: "Vietnam will surely buy Japanese submarines next year."' in refused.stderr
    assert not (tmp_path / "out" / "historical-brief.md").exists()

    off = {"verify_markdown": lambda markdown, brief: [], "ensure_verified": lambda problems, name: None}
    monkeypatch.setattr(verification, guard, off[guard])
    result = build_md(base, tmp_path / "out", "--templates", str(templates))
    assert result.exit_code == 0, result.stderr
    assert "Vietnam will surely buy Japanese submarines next year.\n" in brief_text(tmp_path / "out")


def test_sandbox_keeps_python_internals_out_of_templates(base, tmp_path, monkeypatch):
    import jinja2

    from briefgen.render import sandbox

    templates = tmp_path / "tpl"
    templates.mkdir()
    (templates / "brief.md.j2").write_text(
        '{% extends "!default/brief.md.j2" %}{% block title %}# T\n\n'
        "<!-- uncited -->\nleaked {{ brief.__class__.__mro__[-1].__subclasses__() | length }} classes\n"
        "<!-- /uncited -->\n{% endblock %}",
        encoding="utf-8",
    )
    refused = build_md(base, tmp_path / "out", "--templates", str(templates))
    assert refused.exit_code == 1
    assert "brief.md.j2:4: access to attribute '__class__' of 'Brief' object is unsafe" in refused.stderr
    assert not (tmp_path / "out" / "historical-brief.md").exists()

    class Unsandboxed(jinja2.Environment):  # the sandbox's bookkeeping, none of its refusals
        def finish_filters(self) -> None:
            pass

        def render(self, template, context, seconds):
            return template.render(context)

    monkeypatch.setattr(sandbox, "BriefSandbox", Unsandboxed)
    result = build_md(base, tmp_path / "out", "--templates", str(templates))
    assert result.exit_code == 0, result.stderr
    leaked = re.search(r"leaked (\d+) classes", brief_text(tmp_path / "out"))
    assert leaked and int(leaked.group(1)) > 100  # every class in the process, reached from a record


# --- atomic writes -----------------------------------------------------------------------------------


@contextmanager
def file_size_limit(limit: int) -> Iterator[None]:
    """Files this process writes stop at limit bytes (EFBIG), as on a disk that fills mid-write."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an error, not a killed process
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


def test_atomic_writes_keep_the_previous_brief_whole_when_a_write_fails(base, tmp_path, monkeypatch):
    from briefgen.publish import build as building
    from briefgen.publish import output

    out = tmp_path / "out"
    assert build_md(base, out).exit_code == 0
    (brief,) = outputs(out, "*.md", 1)
    previous = brief.read_bytes()
    append_fact(base, GOOD)  # a new edition to write
    limit = len(previous) // 2

    with file_size_limit(limit):
        refused = build_md(base, out)
    assert refused.exit_code == 1
    assert f"cannot write {brief}: File too large" in refused.stderr
    assert brief.read_bytes() == previous and not list(out.glob(".*.tmp"))

    def naive(directory: Path, files: dict[str, bytes]) -> None:  # what publish replaces: writing in place
        for name, data in files.items():
            (directory / name).write_bytes(data)

    monkeypatch.setattr(building, "publish", naive)
    monkeypatch.setattr(output, "publish", naive)
    request = BuildRequest(facts=base, templates=None, output=out, audiences=("historical",))
    with file_size_limit(limit), pytest.raises(OSError) as failed:
        build(request)
    assert failed.value.errno == errno.EFBIG
    assert len(brief.read_bytes()) == limit  # the previous brief is lost, half of the new one in its place


# --- PDFs: the footnote check and the fetcher ---------------------------------------------------------


def pdf_job(html: str, notes: tuple[tuple[int, str], ...] = (), templates: Path | None = None, strict: bool = False):
    from briefgen.render.pdf import PdfJob

    page = f"<html lang='en'><head><title>t</title></head><body>{html}</body></html>"  # tagged needs a language
    return PdfJob("t", page, notes, "A4", datetime.date(2026, 1, 1), templates, strict=strict)


# A sentence whose note a stylesheet hides: WeasyPrint lays out no box for it, so the note never reaches the page.
LOST_NOTE = (
    "<p>Japan gave Vietnam six patrol boats.<a class='call' id='call-1'></a>"
    "<span class='footnote' id='note-1' style='display: none'>Test Times, para. 2.</span></p>"
)


def test_footnote_check_keeps_a_pdf_that_lost_a_note_unwritten(monkeypatch):
    from briefgen.render import pdf

    with pytest.raises(BuildError) as refused:
        pdf.render_job(pdf_job(LOST_NOTE, ((1, "patrol-boats"),)))
    assert str(refused.value) == (
        "t: the PDF failed its checks; nothing written:\n"
        "  note 1 (patrol-boats) is missing from the PDF (called on page 1)"
    )

    monkeypatch.setattr(pdf, "check_notes", lambda reader, notes: [])
    data = pdf.render_job(pdf_job(LOST_NOTE, ((1, "patrol-boats"),)))
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert "call-1" in reader.named_destinations and "note-1" not in reader.named_destinations


def test_fetcher_keeps_local_files_out_of_a_pdf(tmp_path, monkeypatch):
    import weasyprint

    from briefgen.render import pdf

    secret = tmp_path / "secret.txt"
    secret.write_text("the analyst's password", encoding="utf-8")
    templates = tmp_path / "tpl"
    templates.mkdir()
    html = f"<link rel='attachment' href='{secret.as_uri()}'><p>A brief.</p>"

    with pytest.raises(BuildError, match=f"t: WeasyPrint warned: .*{secret.as_uri()}"):
        pdf.render_job(pdf_job(html, templates=templates, strict=True))
    assert not pypdf.PdfReader(io.BytesIO(pdf.render_job(pdf_job(html, templates=templates)))).attachments

    monkeypatch.setattr(pdf, "make_fetcher", lambda allowed: weasyprint.default_url_fetcher)
    data = pdf.render_job(pdf_job(html, templates=templates, strict=True))
    attachments = pypdf.PdfReader(io.BytesIO(data)).attachments
    assert attachments == {"secret.txt": [b"the analyst's password"]}


@pytest.mark.slow  # a whole brief rendered as PDF
def test_footnote_check_on_a_whole_brief_whose_stylesheet_hides_notes(base, tmp_path, monkeypatch):
    from briefgen.render import pdf

    templates = tmp_path / "tpl"
    templates.mkdir()
    (templates / "brief.html.j2").write_text(
        '{% extends "!default/brief.html.j2" %}{% block title %}<style>.footnote { display: none }</style>'
        "<h1>{{ brief.audience.title }}</h1>{% endblock %}",
        encoding="utf-8",
    )
    real_check = pdf.check_notes
    checked: list[list[str]] = []
    monkeypatch.setattr(pdf, "check_notes", lambda reader, notes: checked.append(real_check(reader, notes)) or [])
    args = ("--facts", base, "--templates", templates, "build", "-a", "defence", "-f", "pdf", "-o", tmp_path / "out")
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    (written,) = outputs(tmp_path / "out", "*.pdf", 1)
    (problems,) = checked  # what the real check says of the PDF that was written without it
    assert problems and all(p.startswith("note ") and "is missing from the PDF" in p for p in problems)
    assert not [n for n in pypdf.PdfReader(written).named_destinations if n.startswith("note-")]
