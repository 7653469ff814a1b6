"""Tagged PDF/UA briefs, read from the PDF itself: structure, language, title, alternative text, notes, artifacts."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path
from typing import Any

import pypdf
import pytest

from briefgen.brief.audiences import load_audience
from briefgen.brief.selection import Brief, select
from briefgen.check.gate import load_checked
from briefgen.factbase.metrics import metric_labels
from briefgen.publish.build import BuildRequest, build
from briefgen.render.charts import chart_alt
from briefgen.render.pdf import PdfOptions, check_pdf, pdf_html
from tests.golden import AUDIENCES, DATE, FIXTURE
from tests.test_analysis import add_figures


def with_charts(root: Path) -> Path:
    """The fixture base and a series the economic brief draws as a chart (as in test_analysis)."""
    base = root / "facts"
    shutil.copytree(FIXTURE, base)
    return add_figures(base)


def brief_of(base: Path, audience: str) -> Brief:
    facts, _warnings = load_checked(base, today=DATE)
    return select(facts, load_audience(audience, None), DATE, metric_labels(base))


def charted(brief: Brief) -> list[Any]:
    return [s for section in brief.sections for s in section.series if s.caption]


def structure(reader: pypdf.PdfReader) -> list[Any]:
    """Every structure element, depth first: the order a screen reader reads them."""
    found: list[Any] = []

    def walk(element: Any) -> None:
        kids = element.get("/K")
        for kid in kids if isinstance(kids, list) else [kids]:
            kid = kid.get_object() if hasattr(kid, "get_object") else kid
            if isinstance(kid, dict) and "/S" in kid:
                found.append(kid)
                walk(kid)

    walk(reader.trailer["/Root"]["/StructTreeRoot"].get_object())
    return found


def of_type(reader: pypdf.PdfReader, kind: str) -> list[Any]:
    return [e for e in structure(reader) if e["/S"] == kind]


# The fast test: no render. A PDF without tags fails the check every render runs.
def test_an_untagged_pdf_fails_the_render_check():
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    assert check_pdf(out.getvalue(), ()) == ["the PDF is not tagged (no structure tree, /MarkInfo or /Lang)"]


def test_chart_alternative_text_is_made_from_its_data(tmp_path):
    drawn = charted(brief_of(with_charts(tmp_path), "economic"))
    assert drawn, "the economic brief draws the series as a chart"
    for series in drawn:
        alt = chart_alt(series)
        assert alt.startswith(f"Figure {series.figure}: line chart of ") and series.label in alt and series.unit in alt
        for row in series.rows:
            assert f"{row.when}: {row.figure}" in alt
            assert row.sentence.note.citations[0].source.short_name in alt


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return with_charts(tmp_path_factory.mktemp("base"))


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory, base) -> dict[str, Path]:
    """Each audience's PDF, and the economic one (with a chart) archival, rendered once for the module."""
    out = tmp_path_factory.mktemp("tagged")
    common = dict(facts=base, templates=None, formats=("pdf",), prepared=DATE)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BRIEFGEN_CACHE_DIR", str(out / ".cache"))
        build(BuildRequest(output=out / "plain", audiences=AUDIENCES, marking="UNCLASSIFIED", **common))
        build(BuildRequest(output=out / "archival", audiences=("economic",), archival=True, **common))
    found = {a: out / "plain" / f"{a}-brief.pdf" for a in AUDIENCES}
    found["archival"] = out / "archival" / "economic-brief.pdf"
    return found


VARIANTS = [*AUDIENCES, "archival"]


@pytest.mark.slow
@pytest.mark.parametrize("which", VARIANTS)
def test_tagged_marked_in_english_with_its_title_displayed(pdfs, base, which):
    reader = pypdf.PdfReader(pdfs[which])
    root = reader.trailer["/Root"]
    assert structure(reader), "the structure tree has elements"
    assert root["/MarkInfo"]["/Marked"].value is True
    assert root["/Lang"] == "en"
    assert root["/ViewerPreferences"]["/DisplayDocTitle"].value is True
    audience = "economic" if which == "archival" else which
    assert reader.metadata.title == brief_of(base, audience).audience.title
    xmp = root["/Metadata"].get_object().get_data()
    assert b'pdfuaid:part="1"' in xmp


@pytest.mark.slow
@pytest.mark.parametrize("audience", AUDIENCES)
def test_headings_in_the_structure_in_document_order(pdfs, base, audience):
    html = pdf_html(brief_of(base, audience), PdfOptions(marking="UNCLASSIFIED"))
    levels = [f"/H{n}" for n in re.findall(r"<h([1-6])[ >]", html)]
    tagged = [e["/S"] for e in structure(pypdf.PdfReader(pdfs[audience])) if re.fullmatch(r"/H\d", e["/S"])]
    assert tagged == levels and len(levels) >= 3


@pytest.mark.slow
@pytest.mark.parametrize("which", VARIANTS)
def test_one_note_element_per_footnote_with_its_id(pdfs, base, which):
    reader = pypdf.PdfReader(pdfs[which])
    footnotes = sorted(n for n in reader.named_destinations if n.startswith("note-"))
    brief = brief_of(base, "economic" if which == "archival" else which)
    assert len(footnotes) == len(brief.notes) >= 3
    ids = sorted(str(e["/ID"]) for e in of_type(reader, "/Note"))
    assert ids == footnotes


@pytest.mark.slow
@pytest.mark.parametrize("which", ["economic", "archival"])
def test_every_figure_has_its_alternative_text(pdfs, base, which):
    figures = of_type(pypdf.PdfReader(pdfs[which]), "/Figure")
    drawn = charted(brief_of(base, "economic"))
    assert len(figures) == len(drawn) >= 1
    assert sorted(str(f["/Alt"]) for f in figures) == sorted(chart_alt(s) for s in drawn)


@pytest.mark.slow
@pytest.mark.parametrize("which", VARIANTS)
def test_tables_have_header_cells_with_scope(pdfs, which):
    reader = pypdf.PdfReader(pdfs[which])
    cells = of_type(reader, "/TH")
    if which in ("economic", "archival"):
        assert cells, "the economic brief has tables"
    assert all(c["/A"]["/Scope"] == "/Column" and c["/A"]["/O"] == "/Table" for c in cells)
    assert len(of_type(reader, "/Table")) * 3 == len(cells)


@pytest.mark.slow
@pytest.mark.parametrize("which", VARIANTS)
def test_running_header_and_footer_are_artifacts(pdfs, which):
    reader = pypdf.PdfReader(pdfs[which])
    for number, page in enumerate(reader.pages, start=1):
        content = page.get_contents().get_data()
        # the footer on every page, the title from page 2 on (and the marking when there is one)
        expected = 1 if number == 1 and which == "archival" else 2
        assert len(re.findall(rb"/Artifact\s+BMC", content)) >= expected, f"page {number}"
        assert content.count(b"BMC") + content.count(b"BDC") == content.count(b"EMC"), f"page {number}"


@pytest.mark.slow
def test_archival_is_pdfa3u_with_its_attachments_and_tags(pdfs):
    reader = pypdf.PdfReader(pdfs["archival"])
    assert set(reader.attachments) == {"economic-brief.md", "economic-brief.json"}
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3"' in xmp and b'pdfaid:conformance="U"' in xmp
    assert b"<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>" in xmp
    assert reader.trailer["/Root"]["/OutputIntents"]
