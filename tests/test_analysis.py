"""Analyst-grade features: series, disagreements, charts, timeline, source descriptors and summary."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import pypdf
import pytest

from briefgen.brief.analysis import metric_groups, source_descriptor, source_summary
from briefgen.check.gate import run_check
from briefgen.publish.build import BuildRequest, build
from tests.conftest import rehash, run

FIGURES_TEXT = """\
Japan Invests

By April 2015, Japanese firms had registered capital of $37.7 billion in Vietnam.
By the end of 2016, Japanese firms had registered capital of $42.5 billion in Vietnam.
The two countries upgraded ties to an Extended Strategic Partnership in 2014.
Another report says ties became an extensive strategic partnership in 2014.
"""

FIGURE_FACTS = """\
- id: fdi-2015
  statement: By April 2015, Japanese firms had registered capital of $37.7 billion in Vietnam.
  kind: figure
  as_of: 2015-04
  quantity: {value: 37.7, unit: USD billion, metric: japan-fdi}
  topics: [investment]
  source: figs
  quote: By April 2015, Japanese firms had registered capital of $37.7 billion in Vietnam.
- id: fdi-2016
  statement: By the end of 2016, Japanese firms had registered capital of $42.5 billion in Vietnam.
  kind: figure
  as_of: 2016-12-31
  quantity: {value: 42.5, unit: USD billion, metric: japan-fdi}
  topics: [investment]
  source: figs
  quote: By the end of 2016, Japanese firms had registered capital of $42.5 billion in Vietnam.
- id: level-extended
  statement: In 2014, the two countries upgraded their ties to an Extended Strategic Partnership.
  kind: figure
  as_of: "2014"
  quantity: {value: Extended Strategic Partnership, metric: partnership-level}
  topics: [partnership-upgrades, investment]
  source: figs
  quote: The two countries upgraded ties to an Extended Strategic Partnership in 2014.
- id: level-extensive
  statement: Another report says that in 2014 the ties became an extensive strategic partnership.
  kind: figure
  as_of: "2014"
  quantity: {value: extensive strategic partnership, metric: partnership-level}
  topics: [partnership-upgrades, investment]
  source: figs
  quote: Another report says ties became an extensive strategic partnership in 2014.
- id: judged-likely
  statement: The Figures report judges that investment will keep growing.
  kind: assessment
  confidence: moderate
  likelihood: likely
  topics: [investment]
  source: figs
  quote: Japan Invests By April 2015, Japanese firms
"""


def add_figures(base: Path, metrics: str = "japan-fdi: Japanese registered investment\n") -> Path:
    """Add a source of figures, the facts drawn from it and their metric labels to a fixture base."""
    (base / "texts" / "figs.txt").write_text(FIGURES_TEXT, encoding="utf-8")
    with open(base / "sources.yaml", "a", encoding="utf-8") as handle:
        handle.write(
            '- id: figs\n  title: Japan Invests\n  publisher: Figures Weekly\n  published: "2017-02-01"\n'
            "  type: news report\n  path: texts/figs.txt\n  sha256: x\n"
        )
    rehash(base, "figs")
    (base / "figures.yaml").write_text(FIGURE_FACTS, encoding="utf-8")
    (base / "metrics.yaml").write_text(metrics, encoding="utf-8")
    return base


@pytest.fixture
def figures_base(base: Path) -> Path:
    return add_figures(base, "japan-fdi: Japanese registered investment\npartnership-level: Partnership level\n")


def test_series_and_disagreement_detection(figures_base):
    base, problems = run_check(figures_base, today=datetime.date(2026, 1, 1))
    groups = metric_groups(base.facts)
    assert groups["japan-fdi"].is_series and not groups["japan-fdi"].disagreements()
    clash = groups["partnership-level"].disagreements()
    assert [f.id for f in clash[0]] == ["level-extended", "level-extensive"]
    # Same date, same value, different unit spelling would be a disagreement too; the same value is not.
    oda = groups["japan-oda-cumulative"]
    assert oda.is_series and not oda.disagreements()
    # Both values are in the economic brief's table, marked "(sources differ)": told, so a note.
    notes = [p for p in problems if p.severity == "note"]
    assert any("sources disagree on partnership-level as of 2014" in p.message for p in notes)
    assert not [p for p in problems if p.severity == "error"]


def test_check_reports_a_disagreement_a_brief_shows_as_a_note(figures_base):
    """The economic table shows both values, marked (sources differ): told, so --strict need not fail."""
    result = run("--facts", figures_base, "check")
    assert result.exit_code == 0, result.stdout
    assert "note: sources disagree on partnership-level" in result.stdout
    assert "a brief shows the values side by side" in result.stdout and "0 warning(s)" in result.stdout


def test_likelihood_outside_vocabulary_is_rejected(figures_base):
    path = figures_base / "figures.yaml"
    path.write_text(path.read_text().replace("likelihood: likely", "likelihood: probable"))
    result = run("--facts", figures_base, "check")
    assert result.exit_code == 1 and "likelihood 'probable' is not one of" in result.stdout


def _build_economic(figures_base: Path, out: Path, formats: tuple[str, ...]) -> None:
    request = BuildRequest(
        facts=figures_base,
        templates=None,
        output=out,
        audiences=("economic",),
        formats=formats,
        prepared=datetime.date(2026, 1, 1),
        strict_pdf=True,
    )
    assert [o.status for o in build(request).outputs] == ["built"] * len(formats)


def test_economic_brief_charts_series_in_markdown(figures_base, tmp_path):
    _build_economic(figures_base, tmp_path, ("md",))
    text = (tmp_path / "economic-brief.md").read_text(encoding="utf-8")
    assert "![Figure 1: Japanese registered investment](economic-brief-figure-1.svg)" in text
    assert re.search(
        r"Figure 1 charts the values in the table above \(Japanese registered investment\), in USD billion\.\[\^\d+\]",
        text,
    )
    svg = (tmp_path / "economic-brief-figure-1.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and svg.count("<circle") >= 2


@pytest.mark.slow  # the chart in a PDF: a render of seconds, with the chart library loaded
def test_economic_brief_charts_series_in_pdf(figures_base, tmp_path):
    _build_economic(figures_base, tmp_path, ("pdf",))
    reader = pypdf.PdfReader(tmp_path / "economic-brief.pdf")
    images = [n for page in reader.pages for n in (page.get("/Resources", {}).get("/XObject") or {})]
    assert images, "the chart is drawn into the PDF"
    assert "Figure 1 charts" in " ".join(p.extract_text() for p in reader.pages)


def build_md(base: Path, out: Path, audience: str) -> str:
    """Build one Markdown brief, which must succeed; return its text."""
    result = run("--facts", base, "build", "-a", audience, "-o", out, "-f", "md")
    assert result.exit_code == 0, result.stderr
    return (out / f"{audience}-brief.md").read_text(encoding="utf-8")


def test_disagreements_shown_side_by_side(figures_base, tmp_path):
    build_md(figures_base, tmp_path, "economic")
    text = (tmp_path / "economic-brief.md").read_text(encoding="utf-8")
    section = text.split("## Where the sources disagree", 1)[1].split("## Sources", 1)[0]
    rows = [ln for ln in section.splitlines() if ln.startswith("| 2014")]
    assert len(rows) == 2
    assert "Extended Strategic Partnership" in rows[0] and "extensive strategic partnership" in rows[1]
    assert all(re.search(r"\[\^\d+\] \|$", r) for r in rows)


def test_confidence_and_likelihood_render_with_the_judgement(figures_base, tmp_path):
    text = build_md(figures_base, tmp_path, "economic")
    assert "investment will keep growing (likely; moderate confidence).[^" in text


def test_source_summary_counts_match_hand_count(figures_base, tmp_path):
    text = build_md(figures_base, tmp_path, "economic")
    summary = text.split("## Sources", 1)[1].split("\n\n")[1]
    # Hand count: sources cited are paper, news and figs: 2 news reports, 1 think-tank analysis,
    # published 2015 (news), 2017 (paper, figs); every note cites one source.
    notes = len(re.findall(r"^\[\^\d+\]:", text, re.M)) - 1  # less the figure caption's note
    assert summary.startswith(
        "<!-- uncited -->\nThis brief draws on 3 sources (2 news reports, 1 think-tank analysis), published 2015–2017."
    )
    assert f"{notes} of its {notes} cited statements rest on a single source and 0 on two or more." in summary
    assert "The sources disagree on 1 measure; the tables show their values side by side." in summary


def test_source_summary_function():
    from briefgen.factbase.dates import parse_date
    from briefgen.factbase.sources import Source

    sources = [
        Source("a", "news report", Path("a"), "", published=parse_date("2013")),
        Source("b", "commentary", Path("b"), ""),
        Source("c", "news report", Path("c"), "", published=parse_date("2021-09-15")),
    ]
    text = source_summary(sources, [1, 1, 2, 3], 0)
    assert text == (
        "This brief draws on 3 sources (2 news reports, 1 commentary), published 2013–2021, 1 undated. "
        "2 of its 4 cited statements rest on a single source and 2 on two or more. "
        "The sources do not disagree on any measure the brief reports."
    )


def test_source_descriptor_flags_what_is_not_known():
    from briefgen.factbase.dates import parse_date
    from briefgen.factbase.sources import Source

    source = Source(
        "x",
        "news report",
        Path("x"),
        "",
        publisher="Khmer Times",
        published=parse_date("2015-09-20"),
        notes="Republished from another outlet.",
    )
    assert source_descriptor(source, datetime.date(2026, 1, 1)) == (
        "News report by Khmer Times; author not named; published 20 September 2015, 11 years before this brief; "
        "Republished from another outlet."
    )


def test_historical_brief_has_timeline(base, tmp_path, fixture_briefs):
    text = build_md(base, tmp_path, "historical")
    timeline = text.split("## Timeline", 1)[1].split("##", 1)[0]
    rows = [ln for ln in timeline.splitlines() if ln.startswith("| ") and not ln.startswith("| Date")]
    assert rows[0].startswith("| 736 | In 736, a monk") and rows[-1].startswith("| 2009 |")
    assert all(re.search(r"\[\^\d+\] \|$", r) for r in rows)
    # The PDF of the same base (built once per session): the timeline is there too.
    pdf_text = " ".join(p.extract_text() for p in pypdf.PdfReader(fixture_briefs / "historical-brief.pdf").pages)
    assert "Timeline" in pdf_text and "In 736, a monk" in pdf_text


def test_json_format_reports_independent_sources(base, tmp_path):
    from briefgen.brief.audiences import load_audience
    from briefgen.brief.selection import select
    from briefgen.factbase.loading import load_fact_base
    from briefgen.render.pdf import brief_json

    fact_base, _ = load_fact_base(base)
    brief = select(fact_base, load_audience("defence", None), datetime.date(2026, 1, 1), {})
    data = json.loads(json.dumps(brief_json(brief)))
    by_fact = {n["fact"]: n["independent_sources"] for n in data["notes"]}
    assert by_fact["patrol-boats-2014"] == 2 and by_fact["partnership-2009"] == 1
