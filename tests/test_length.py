"""#18, fast: cutting a brief by weight (on Markdown), paragraphs of at most six sentences, names and settings.

The PDF fit itself (at most N pages, checked on the PDF) is in test_length_pdf.py (slow).
"""

from __future__ import annotations

import datetime
import re
import shutil
from pathlib import Path

import pytest

from briefgen.brief import length
from briefgen.brief.audiences import load_audience
from briefgen.brief.length import cut, ranked, units_of
from briefgen.brief.selection import choose, number, select
from briefgen.check.gate import run_check
from briefgen.errors import TemplateError
from briefgen.factbase.metrics import metric_labels
from briefgen.publish.build import BuildRequest, build, fingerprint
from briefgen.publish.fit import CHARS_PER_PAGE, estimate, largest
from briefgen.render.formats import output_name
from briefgen.render.templates import render
from briefgen.render.verification import verify_markdown
from tests.conftest import REPO, outputs, run

DAY = datetime.date(2026, 1, 1)
FACTS = REPO / "facts"  # the shipped base: an 18-page defence brief
AUDIENCES = ("defence", "economic", "historical")
CALL = re.compile(r"\[\^\d+\](?!:)")


@pytest.fixture(scope="module")
def shipped():
    base, _ = run_check(FACTS, today=DAY)
    return base, metric_labels(FACTS)


def short(shipped, name: str, keep: int, pages: int = 2):
    base, labels = shipped
    audience = load_audience(name, None)
    return number(cut(choose(base, audience), audience, keep, pages), base, audience, DAY, labels)


def paragraphs(markdown: str) -> list[str]:
    """The Markdown's prose paragraphs: blocks that are not headings, lists, tables, notes or comments."""
    blocks = [b.strip() for b in markdown.split("\n\n")]
    return [b for b in blocks if b and not b.startswith(("#", "-", "|", "[^", "<!--", "!", "---"))]


@pytest.mark.parametrize("name", AUDIENCES)
def test_full_briefs_have_no_paragraph_over_six_sentences(shipped, name):
    base, labels = shipped
    brief = select(base, load_audience(name, None), DAY, labels)
    text = render(brief, "md", None)
    found = paragraphs(text)
    assert found, "the brief must have prose paragraphs for this test to mean anything"
    longest = max(len(CALL.findall(p)) for p in found)
    assert 1 <= longest <= 6, f"{name}: a paragraph of {longest} footnoted sentences"
    assert verify_markdown(text, brief) == []


def test_judgements_stand_source_by_source_in_short_paragraphs(shipped):
    base, labels = shipped
    brief = select(base, load_audience("defence", None), DAY, labels)
    judged = [s for s in brief.sections if len(s.judgements) > 6]
    assert judged, "the shipped defence brief has a section of many judgements (26 before #18)"
    for section in judged:
        runs = section.judgement_paragraphs
        assert [s for p in runs for s in p] == list(section.judgements)  # the same sentences, in order
        assert all(1 <= len(p) <= 5 for p in runs)
        assert all(len({s.fact.evidence[0].source for s in p}) == 1 for p in runs)  # one source per paragraph


@pytest.mark.parametrize("name", AUDIENCES)
def test_a_cut_keeps_the_key_points_and_says_what_it_leaves_out(shipped, name):
    full = select(shipped[0], load_audience(name, None), DAY, shipped[1])
    cut_brief = short(shipped, name, keep=3)
    assert [s.fact.id for s in cut_brief.key_points] == [s.fact.id for s in full.key_points]
    assert cut_brief.timeline == ()
    assert all(not s.empty for s in cut_brief.sections)  # a section with nothing selected disappears
    assert cut_brief.length is not None
    assert cut_brief.length.left_out == len(full.facts) - len(cut_brief.facts) > 0
    text = render(cut_brief, "md", None)
    assert verify_markdown(text, cut_brief) == []  # every sentence footnoted, every note resolvable
    assert f"This two-page brief leaves out {cut_brief.length.left_out} further statements" in text
    assert f"the full brief: {name}-brief.md." in text
    headings = re.findall(r"^## (.+)$", text, re.M)
    assert headings == ["Key points", *(s.title for s in cut_brief.sections), "Sources"]


def test_more_units_mean_more_statements_and_a_longer_brief(shipped):
    sizes = [len(render(short(shipped, "defence", keep), "md", None)) for keep in (0, 2, 5, 10)]
    counts = [len(short(shipped, "defence", keep).sentences) for keep in (0, 2, 5, 10)]
    assert sizes == sorted(sizes) and len(set(sizes)) == 4
    assert counts == sorted(counts) and counts[0] == 5  # the defence profile's five key points alone


def test_units_are_kept_heaviest_first_and_related_facts_together(shipped):
    base, _ = shipped
    audience = load_audience("defence", None)
    choice = choose(base, audience)
    order = ranked(units_of(choice, audience))
    assert order[0].weight == max(u.weight for u in order)
    assert order[0].weight > order[-1].weight
    together = next(u for u in order if len(u.facts) > 1)
    kept = {f.id for f in cut(choice, audience, order.index(together) + 1, 2).facts}
    assert {f.id for f in together.facts} <= kept
    dropped = {f.id for f in cut(choice, audience, order.index(together), 2).facts}
    assert not {f.id for f in together.facts} & dropped


def test_a_short_series_shows_its_newest_rows_and_says_what_was_cut(shipped, monkeypatch):
    monkeypatch.setattr(length, "SERIES_ROWS", 1)  # the shipped series have 2-3 rows; the rule is the same
    base, labels = shipped
    audience = load_audience("economic", None)
    units = ranked(units_of(choose(base, audience), audience))
    long_series = next(u for u in units if u.place[1] == "series" and len(u.facts) > 1)
    brief = short(shipped, "economic", keep=units.index(long_series) + 1)
    metric = long_series.facts[0].quantity.metric
    series = next(s for sec in brief.sections for s in sec.series if s.metric == metric)
    assert [r.sentence.fact.id for r in series.rows] == [long_series.facts[-1].id]  # the newest
    assert series.omitted == len(long_series.facts) - 1
    text = render(brief, "md", None)
    total = len(long_series.facts)
    assert f"This short brief shows the newest 1 of {total} values; the others are in the full brief." in text
    assert verify_markdown(text, brief) == []


def test_short_notes_cite_short_references_with_the_quote_and_the_list_gives_full_ones(shipped):
    brief = short(shipped, "defence", keep=2)
    assert all(not c.first for n in brief.notes for c in n.citations)
    assert all(c.quote and c.locator for n in brief.notes for c in n.citations)
    text = render(brief, "md", None)
    for source in brief.sources:
        assert (source.title or source.series) in text.split("## Sources", 1)[1]


def test_the_estimate_takes_the_most_units_within_the_budget(shipped):
    sizes = {k: len(render(short(shipped, "historical", k), "md", None)) for k in range(0, 12)}
    keep = estimate(lambda k: sizes[k], 2 * CHARS_PER_PAGE, 11)
    assert sizes[keep] <= 2 * CHARS_PER_PAGE and (keep == 11 or sizes[keep + 1] > 2 * CHARS_PER_PAGE)
    assert largest(lambda k: k <= 4, 10) == 4 and largest(lambda _k: False, 10) == -1


def test_short_and_full_briefs_have_their_own_names_and_fingerprints():
    assert output_name("defence", "pdf", 2) == "defence-brief-2p.pdf"
    assert output_name("defence", "md") == "defence-brief.md"
    request = BuildRequest(facts=FACTS, templates=None, output=Path("out"), audiences=("defence",))
    two = BuildRequest(facts=FACTS, templates=None, output=Path("out"), audiences=("defence",), pages=2)
    assert fingerprint(request, DAY) != fingerprint(two, DAY, short=True)


def profile_dir(tmp_path: Path, length: str) -> Path:
    templates = tmp_path / "templates"
    (templates / "audiences").mkdir(parents=True)
    text = (REPO / "templates" / "audiences" / "economic.yaml").read_text(encoding="utf-8")
    (templates / "audiences" / "economic.yaml").write_text(text + length, encoding="utf-8")
    return templates


def test_a_profile_length_is_read_and_validated(tmp_path):
    assert load_audience("economic", profile_dir(tmp_path, "length:\n  pages: 2\n")).pages == 2
    shutil.rmtree(tmp_path / "templates")
    with pytest.raises(TemplateError, match="length: 'pages' must be a whole number of pages, 1 or more, not '0'"):
        load_audience("economic", profile_dir(tmp_path, "length:\n  pages: 0\n"))


def test_pages_zero_overrides_a_profile_length_and_builds_the_full_brief(tmp_path):
    templates = profile_dir(tmp_path, "length:\n  pages: 2\n")
    request = BuildRequest(
        facts=REPO / "tests" / "fixtures" / "base",
        templates=templates,
        output=tmp_path / "out",
        audiences=("economic",),
        prepared=DAY,
        pages=0,
    )
    result = build(request)
    assert [o.path.name for o in result.outputs] == ["economic-brief.md"]
    assert "leaves out" not in outputs(tmp_path / "out", "economic-brief*.md", 1)[0].read_text(encoding="utf-8")


def test_pages_must_be_a_whole_number(tmp_path):
    result = run("build", "--audience", "defence", "--pages", "-1")
    assert result.exit_code == 2
    assert "--pages must be a whole number of pages (0 for the full brief), not '-1'" in result.stderr
    assert "Traceback" not in result.output
    config = tmp_path / "briefgen.toml"
    config.write_text('pages = "two"\n', encoding="utf-8")
    result = run("--config", config, "build", "--audience", "defence")
    assert result.exit_code == 2 and "'pages' must be a whole number of pages" in result.stderr


def test_build_help_shows_pages():
    result = run("build", "--help")
    assert result.exit_code == 0 and "--pages" in result.stdout
