"""PDF briefs, checked from the PDF itself: notes on their call's page, metadata, bookmarks, fonts, safety."""

from __future__ import annotations

import datetime
import random
import re
from pathlib import Path

import pypdf
import pytest

from briefgen.errors import BuildError
from briefgen.publish.build import BuildRequest, build
from tests.conftest import append_fact, rehash, run
from tests.golden import FIXTURE


def request(facts: Path, out: Path, **kw) -> BuildRequest:
    options = dict(
        facts=facts,
        templates=None,
        output=out,
        audiences=("defence", "economic", "historical"),
        formats=("pdf",),
        prepared=datetime.date(2026, 1, 1),
        strict_pdf=True,
    )
    options.update(kw)
    return BuildRequest(**options)


def note_pages(pdf: Path) -> tuple[pypdf.PdfReader, dict[str, int]]:
    reader = pypdf.PdfReader(pdf)
    dests = {name: reader.get_destination_page_number(d) for name, d in reader.named_destinations.items()}
    return reader, dests


def assert_notes_on_call_pages(pdf: Path) -> int:
    reader, dests = note_pages(pdf)
    calls = sorted(int(n[5:]) for n in dests if n.startswith("call-"))
    assert calls == list(range(1, len(calls) + 1)), "footnote calls are numbered 1..n"
    texts = [re.sub(r"\s+", " ", page.extract_text()) for page in reader.pages]
    for n in calls:
        assert f"note-{n}" in dests, f"note {n} is missing from {pdf.name}"
        assert dests[f"note-{n}"] == dests[f"call-{n}"], f"note {n} is not on its call's page"
        assert re.search(rf"(^| ){n}\. ", texts[dests[f"note-{n}"]]), f"note {n}'s marker is not printed on its page"
    return len(calls)


@pytest.fixture
def built(fixture_briefs) -> Path:
    """The fixture's three PDFs, built once per session (conftest.fixture_briefs); read them only."""
    return fixture_briefs


@pytest.mark.parametrize("audience", ["defence", "economic", "historical"])
def test_every_note_on_its_calls_page(built, audience):
    assert assert_notes_on_call_pages(built / f"{audience}-brief.pdf") >= 3


def test_metadata_bookmarks_and_page_numbers(built):
    reader = pypdf.PdfReader(built / "economic-brief.pdf")
    meta = reader.metadata
    assert meta.title == "Vietnam–Japan Economic Relations"
    assert meta.author and meta.subject and "aid" in (meta["/Keywords"] or "")
    assert meta["/CreationDate"].startswith("D:20260101")
    titles = [item["/Title"] for item in reader.outline if isinstance(item, dict)]
    assert titles == ["Vietnam–Japan Economic Relations"]
    text = reader.pages[0].extract_text()
    assert "Page 1 of 1" in text and "UNCLASSIFIED" in text


def test_fonts_are_embedded(built):
    reader = pypdf.PdfReader(built / "defence-brief.pdf")
    fonts = reader.pages[0]["/Resources"]["/Font"]
    for ref in fonts.values():
        font = ref.get_object()
        descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        descriptor = descendant["/FontDescriptor"].get_object()
        assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font["/BaseFont"]


def test_two_builds_are_byte_identical(built, tmp_path):
    # One audience rebuilt (the one with the most features) against the session's build: determinism
    # does not need three more renders.
    build(request(FIXTURE, tmp_path, audiences=("economic",), marking="UNCLASSIFIED"))
    assert (tmp_path / "economic-brief.pdf").read_bytes() == (built / "economic-brief.pdf").read_bytes()


def test_check_pdf_passes_a_sound_pdf_and_names_a_missing_note(built):
    from briefgen.render.pdf import check_pdf

    pdf = (built / "defence-brief.pdf").read_bytes()
    _reader, dests = note_pages(built / "defence-brief.pdf")
    count = sum(n.startswith("call-") for n in dests)
    notes = tuple((n, f"fact-{n}") for n in range(1, count + 1))
    assert count >= 3 and check_pdf(pdf, notes) == []
    beyond = count + 1
    assert check_pdf(pdf, (*notes, (beyond, "ghost"))) == [f"footnote call {beyond} (ghost) is missing from the PDF"]


def _without_destination(pdf: Path, name: str) -> bytes:
    """The PDF with one named destination removed: as a WeasyPrint that drops a note would write it."""
    import io

    from pypdf.generic import ArrayObject, NameObject

    writer = pypdf.PdfWriter(clone_from=pdf)
    names = writer._root_object["/Names"]["/Dests"]["/Names"]  # flat [name, dest, name, dest, ...]
    pairs = [(names[i], names[i + 1]) for i in range(0, len(names), 2) if names[i] != name]
    assert len(pairs) * 2 == len(names) - 2, f"{name} is not a destination of {pdf.name}"
    writer._root_object["/Names"]["/Dests"][NameObject("/Names")] = ArrayObject(x for p in pairs for x in p)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_check_pdf_reports_a_note_the_pdf_lost(built):
    from briefgen.render.pdf import check_pdf

    pdf = _without_destination(built / "defence-brief.pdf", "note-2")
    problems = check_pdf(pdf, ((1, "a"), (2, "b"), (3, "c")))
    assert problems == ["note 2 (b) is missing from the PDF (called on page 1)"]


def test_vietnamese_text_survives(base, tmp_path):
    (base / "texts" / "vn.txt").write_text(
        "Nhật Bản cấp thêm 11 tỷ yên ODA cho Việt Nam trong năm 2016.\n", encoding="utf-8"
    )
    with open(base / "sources.yaml", "a", encoding="utf-8") as handle:
        handle.write(
            "- id: vn\n  title: Nhật Bản cấp thêm ODA cho Việt Nam\n  publisher: VnExpress\n"
            '  published: "2016-09-06"\n  type: news report\n  path: texts/vn.txt\n  sha256: x\n'
        )
    rehash(base, "vn")
    append_fact(
        base,
        """\
- id: vn-oda
  statement: In 2016, Japan provided Vietnam with an additional 11 billion yen in ODA, VnExpress reported.
  kind: event
  date: "2016"
  topics: [aid]
  source: vn
  quote: Nhật Bản cấp thêm 11 tỷ yên ODA cho Việt Nam trong năm 2016.
""",
    )
    build(request(base, tmp_path, audiences=("economic",)))
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(tmp_path / "economic-brief.pdf").pages)
    text = re.sub(r"\s+", " ", text)
    assert "Nhật Bản cấp thêm ODA cho Việt Nam" in text
    assert "Nhật Bản cấp thêm 11 tỷ yên ODA cho Việt Nam" in text


HOSTILE_HTML = """\
- id: hostile-html
  statement: "In 2009, <img src=\\"file:///etc/passwd\\"> <link rel=\\"attachment\\" href=\\"file:///etc/passwd\\"> <style>@import url(http://evil.example/x.css);</style> <b>bold</b>."
  kind: event
  date: "2009"
  topics: [partnership-upgrades, aid, defence-dialogue]
  salience: 5
  source: paper
  quote: In 2009 the two countries established a “strategic partnership”.
"""


def test_hostile_fact_text_fetches_nothing(base, tmp_path, monkeypatch):
    import briefgen.render.pdf as pdfmod

    append_fact(base, HOSTILE_HTML)
    fetched: list[str] = []
    real = pdfmod.make_fetcher

    def spy(allowed):
        inner = real(allowed)

        def fetch(url, *a, **k):
            fetched.append(url)
            return inner(url, *a, **k)

        return fetch

    monkeypatch.setattr(pdfmod, "make_fetcher", spy)
    build(request(base, tmp_path, audiences=("historical",)))
    reader = pypdf.PdfReader(tmp_path / "historical-brief.pdf")
    assert not reader.attachments
    text = "".join(p.extract_text() for p in reader.pages)
    assert '<img src="file:///etc/passwd">' in re.sub(r"\s+", " ", text).replace("< ", "<")
    assert "root:" not in text
    assert any(u.endswith("/brief.css") for u in fetched), "the spy saw the stylesheet fetched: it is wired in"
    assert all("/etc/passwd" not in u and "evil.example" not in u for u in fetched), fetched


def test_fetcher_refuses_files_outside_templates_and_network(tmp_path):
    from briefgen.render.pdf import FetchRefused, make_fetcher

    fetch = make_fetcher([tmp_path.resolve()])
    (tmp_path / "ok.css").write_text("p{}")
    served = fetch((tmp_path / "ok.css").as_uri())
    body = served.get("string") or served["file_obj"].read()
    assert body == b"p{}"
    for url in (
        "file:///etc/passwd",
        "http://127.0.0.1:9/x.css",
        "https://example.org/",
        (tmp_path / ".." / "x").as_uri(),
    ):
        with pytest.raises(FetchRefused):
            fetch(url)
    assert fetch("data:text/plain,hello")


def test_user_template_cannot_embed_local_files(base, tmp_path):
    templates = tmp_path / "tpl"
    templates.mkdir()
    (templates / "brief.html.j2").write_text(
        '{% extends "!default/brief.html.j2" %}{% block title %}<h1>T</h1>'
        '<img src="file:///etc/passwd"><link rel="attachment" href="file:///etc/passwd">{% endblock %}'
    )
    with pytest.raises(BuildError, match="WeasyPrint warned"):
        build(request(base, tmp_path / "out", templates=templates, audiences=("defence",)))
    build(request(base, tmp_path / "out", templates=templates, audiences=("defence",), strict_pdf=False))
    assert not pypdf.PdfReader(tmp_path / "out" / "defence-brief.pdf").attachments


def test_archival_pdf_carries_markdown_and_json(tmp_path):
    build(request(FIXTURE, tmp_path, audiences=("economic",), archival=True))
    reader = pypdf.PdfReader(tmp_path / "economic-brief.pdf")
    assert set(reader.attachments) == {"economic-brief.md", "economic-brief.json"}
    import json

    data = json.loads(reader.attachments["economic-brief.json"][0])
    assert data["audience"] == "economic" and data["notes"][0]["citations"][0]["quote"]
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b"pdfaid:part" in xmp and b"3" in xmp.split(b"pdfaid:part", 1)[1][:8]


def test_cli_pdf_options(base, tmp_path):
    result = run("--facts", base, "build", "-a", "defence", "-f", "pdf", "-o", tmp_path, "--paper", "letter")
    assert result.exit_code == 0, result.stderr
    box = pypdf.PdfReader(tmp_path / "defence-brief.pdf").pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    result = run("--facts", base, "build", "-a", "defence", "-f", "pdf", "--paper", "A5")
    assert result.exit_code == 2 and "--paper must be one of A4, Letter, not 'A5'" in result.stderr


def _stress_base(root: Path, notes: int, rng: random.Random) -> Path:
    """A fact base whose brief has about `notes` notes of varied lengths."""
    import hashlib

    base = root / f"stress-{notes}"
    (base / "texts").mkdir(parents=True)
    (base / "topics.yaml").write_text((FIXTURE / "topics.yaml").read_text())
    words = "maritime cooperation patrol vessels training dialogue ministers agreement coast guard capacity".split()
    sentences = []
    for i in range(notes):
        length = rng.choice([6, 10, 18, 30, 55])
        sentences.append(f"Item{i} " + " ".join(rng.choice(words) for _ in range(length)) + ".")
    text = "\n".join(sentences) + "\n"
    (base / "texts" / "s.txt").write_text(text)
    digest = hashlib.sha256(text.encode()).hexdigest()
    (base / "sources.yaml").write_text(
        f"- id: s\n  title: Stress\n  publisher: Test\n  type: report\n  path: texts/s.txt\n  sha256: {digest}\n"
    )
    facts = []
    for i, sentence in enumerate(sentences):
        facts.append(
            f'- id: f{i}\n  statement: "{sentence}"\n  kind: assessment\n  topics: [maritime-security]\n'
            f'  source: s\n  quote: "{sentence}"\n'
        )
    (base / "facts.yaml").write_text("".join(facts))
    return base


@pytest.mark.slow
def test_stress_many_notes_none_dropped_or_misplaced(tmp_path):
    """Guards against WeasyPrint upgrades that drop notes (66.0-70.0 do): varied briefs, 30-300 notes."""
    rng = random.Random(7)
    total = 0
    for notes in (30, 45, 60, 80, 120, 160, 300):
        base = _stress_base(tmp_path, notes, rng)
        build(request(base, tmp_path / f"out{notes}", audiences=("defence",)))
        total += assert_notes_on_call_pages(tmp_path / f"out{notes}" / "defence-brief.pdf")
    assert total == 30 + 45 + 60 + 80 + 120 + 160 + 300
