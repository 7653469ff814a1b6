"""Briefs that are right about time (#16): plain dates with their basis, anchored spans, the newest value."""

import datetime
import re
import shutil
from pathlib import Path

import pytest

from briefgen.brief.analysis import metric_groups
from briefgen.brief.audiences import load_audience
from briefgen.brief.selection import choose, eligible_facts, stated_as_current
from briefgen.check.gate import run_check
from briefgen.factbase.dates import parse_date
from briefgen.factbase.relative import agrees, resolve
from tests.conftest import REPO, add_source, append_fact, run
from tests.test_analysis import figures_base  # noqa: F401  (a fixture)

D = datetime.date


@pytest.mark.parametrize(
    ("phrase", "written", "first", "last"),
    [
        ("this year", "2015-09-20", D(2015, 1, 1), D(2015, 12, 31)),
        ("Last year", "2013-09-05", D(2012, 1, 1), D(2012, 12, 31)),
        ("last month's", "2013-09-05", D(2013, 8, 1), D(2013, 8, 31)),
        ("Last month", "2021-01-10", D(2020, 12, 1), D(2020, 12, 31)),
        ("last week", "2015-09-20", D(2015, 9, 13), D(2015, 9, 19)),
        ("During the weekend", "2021-09-15", D(2021, 9, 11), D(2021, 9, 12)),  # a Wednesday
        ("in October last year", "2021-09-15", D(2020, 10, 1), D(2020, 10, 31)),
        ("As of April", "2015-09-20", D(2015, 4, 1), D(2015, 4, 30)),
        ("on 2 May", "2013-09-05", D(2013, 5, 2), D(2013, 5, 2)),
        ("on Monday", "2021-09-15", D(2021, 9, 13), D(2021, 9, 13)),
        ("over the last 20 years", "2015-09-20", D(2014, 1, 1), D(2015, 12, 31)),
        ("now", "2017", D(2016, 1, 1), D(2017, 12, 31)),
        ("The past few years", "2018-04-11", D(2017, 1, 1), D(2018, 12, 31)),
        ("in the coming years", "2017", D(2017, 1, 1), D(2027, 12, 31)),
    ],
)
def test_relative_phrases_resolve_against_their_date(phrase, written, first, last):
    assert resolve(phrase, parse_date(written)) == (first, last)


@pytest.mark.parametrize(
    ("phrase", "fact_date", "fits"),
    [
        ("last month", "2013-08", True),
        ("last month", "2013-07", False),
        ("over the past decade", "1991", True),  # a stretch up to 2017 may have begun long before
        ("over the past decade", "2019", False),  # but not after the writing
        ("in the coming years", "2020", True),
        ("in the coming years", "2010", False),
    ],
)
def test_a_fact_date_must_fit_what_the_phrase_names(phrase, fact_date, fits):
    written = "2013-09-05" if phrase == "last month" else "2017"
    assert agrees(parse_date(fact_date), resolve(phrase, parse_date(written)), phrase) is fits


def test_a_phrase_that_needs_a_finer_date_is_refused():
    with pytest.raises(ValueError, match="needs a basis date to the month"):
        resolve("last month", parse_date("2017"))
    with pytest.raises(ValueError, match="cannot resolve 'soon'"):
        resolve("soon", parse_date("2017-01-01"))


# --- check: the arithmetic, the number rule, dates named through a source, unanchored spans -------

WIRE_TEXT = (
    "This year, Japan pledged $1.7 billion of maritime security aid to Vietnam.\n"
    "Japan has been the largest provider of aid to Vietnam over the last 20 years.\n"
)


def pledge(statement: str, date: str = "2015", basis: str | None = '{phrase: "This year"}') -> str:
    line = f"  date_basis: {basis}\n" if basis else ""
    return (
        f'- id: wire-pledge\n  statement: {statement}\n  kind: event\n  date: "{date}"\n  topics: [aid]\n'
        f"  salience: 5\n{line}  source: wire\n"
        "  quote: This year, Japan pledged $1.7 billion of maritime security aid to Vietnam.\n"
    )


@pytest.fixture
def wire(base: Path) -> Path:
    add_source(base, "wire", WIRE_TEXT, "2015-09-20")
    return base


def check_lines(base: Path, fact_id: str) -> list[str]:
    result = run("--facts", base, "check")
    return [line for line in result.stdout.splitlines() if f" {fact_id}: " in line]


def test_a_plain_year_with_its_basis_passes(wire):
    append_fact(wire, pledge("In 2015, Japan pledged $1.7 billion of maritime security aid to Vietnam."))
    assert check_lines(wire, "wire-pledge") == []


def test_a_plain_year_without_a_basis_breaks_the_number_rule(wire):
    append_fact(wire, pledge("In 2015, Japan pledged $1.7 billion of maritime security aid to Vietnam.", basis=None))
    assert any(
        "statement has '2015', which its quote does not contain" in line for line in check_lines(wire, "wire-pledge")
    )


def test_wrong_arithmetic_is_an_error(wire):
    append_fact(wire, pledge("In 2014, Japan pledged $1.7 billion of maritime security aid to Vietnam.", date="2014"))
    result = run("--facts", wire, "check")
    assert result.exit_code == 1
    assert (
        "wire-pledge: date_basis: 'This year' written on 20 September 2015 means 2015-01-01 to 2015-12-31, "
        "not the fact's date (2014)"
    ) in result.stdout


def test_the_phrase_must_be_in_the_quote(wire):
    basis = '{phrase: "last month"}'
    append_fact(wire, pledge("In 2015, Japan pledged $1.7 billion of maritime security aid to Vietnam.", basis=basis))
    assert any("the phrase 'last month' is not in the quote" in line for line in check_lines(wire, "wire-pledge"))


def test_a_date_named_through_a_source_is_an_error(wire):
    statement = "In the year of the Test Wire report, Japan pledged $1.7 billion of maritime security aid to Vietnam."
    append_fact(wire, pledge(statement))
    result = run("--facts", wire, "check")
    assert result.exit_code == 1
    assert "statement names a date through a source's publication ('year of the Test Wire report')" in result.stdout


SPAN = """\
- id: wire-largest
  statement: {statement}
  kind: figure
  as_of: "2015"
  quantity: {{value: largest, metric: japan-rank-among-donors}}
  topics: [aid]
  {basis}
  source: wire
  quote: Japan has been the largest provider of aid to Vietnam over the last 20 years.
"""


def test_an_unanchored_span_is_a_warning_and_its_anchor_clears_it(wire):
    plain = "Japan has been Vietnam's largest aid provider over the last 20 years."
    append_fact(wire, SPAN.format(statement=plain, basis=""))
    [line] = check_lines(wire, "wire-largest")
    assert "warning: unanchored relative span 'over the last 20 years'" in line
    other_year = "Japan, a donor since 1992, has been Vietnam's largest aid provider over the last 20 years."
    append_fact(wire, SPAN.format(statement=other_year, basis=""))  # a year, but not the span's anchor
    lines = check_lines(wire, "wire-largest")
    assert any("warning: unanchored relative span 'over the last 20 years'" in line for line in lines)
    anchored = "In the 20 years to 2015, Japan was Vietnam's largest aid provider."
    append_fact(wire, SPAN.format(statement=anchored, basis='date_basis: {phrase: "over the last 20 years"}'))
    assert check_lines(wire, "wire-largest") == []


def test_the_note_shows_the_basis(wire, tmp_path):
    append_fact(wire, pledge("In 2015, Japan pledged $1.7 billion of maritime security aid to Vietnam."))
    assert run("--facts", wire, "build", "-a", "economic", "-o", tmp_path / "out").exit_code == 0
    brief = (tmp_path / "out" / "economic-brief.md").read_text(encoding="utf-8")
    assert "In 2015, Japan pledged \\$1.7 billion of maritime security aid to Vietnam.[^" in brief
    assert "The source, dated 20 September 2015, says “This year”." in brief


# --- the repository's base -------------------------------------------------------------------------

THROUGH_SOURCE = re.compile(
    r"(?:year|month|week|weekend) (?:of|before|after) the|the year the|the previous year"
    r"|(?:report|commentary|article|study|analysis) appeared",
    re.IGNORECASE,
)


def test_the_repository_base_is_clean_under_strict(monkeypatch, tmp_path):
    """No error, no warning (what --strict fails on): no stale figure, no unanchored span."""
    monkeypatch.setenv("BRIEFGEN_CACHE_DIR", "off")
    base, problems = run_check(REPO / "facts")
    assert [str(p) for p in problems if p.severity != "note"] == []
    dated = [f for f in base.facts if f.date_basis is not None]
    assert len(dated) >= 15  # the relative dates the issue counted, now plain, each with its basis
    assert not [f.id for f in base.facts if THROUGH_SOURCE.search(f.statement)]


# --- the newest value speaks; history stays in the table -----------------------------------------

# The economic brief's key point states Japan's rank among Vietnam's trading partners as of 2016.
LATE_2023 = "As of late 2023, Japan was Vietnam's third largest trading partner.\n"
RANK_2023 = """\
- id: wire-japan-third-largest-trading-partner-2023
  statement: As of late 2023, Japan was Vietnam's third largest trading partner.
  kind: figure
  as_of: late 2023
  quantity: {value: "third largest", metric: japan-rank-among-vietnam-trading-partners}
  topics: [trade]
  salience: 5
  source: wire-2023
  quote: As of late 2023, Japan was Vietnam's third largest trading partner.
"""


def economic_with_newer_rank(tmp_path: Path, published: str | None) -> str:
    facts = tmp_path / "facts"
    shutil.copytree(REPO / "facts", facts, ignore=shutil.ignore_patterns("candidates"))
    add_source(facts, "wire-2023", LATE_2023, published)
    append_fact(facts, RANK_2023, "wire-2023.yaml")
    result = run("--facts", facts, "build", "-a", "economic", "--strict", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    return (tmp_path / "out" / "economic-brief.md").read_text(encoding="utf-8")


def test_the_newest_value_speaks_and_the_table_keeps_both(tmp_path):
    brief = economic_with_newer_rank(tmp_path, "2023-12-15")
    key_points = brief.split("## Key points", 1)[1].split("\n## ", 1)[0]
    assert "As of late 2023, Japan was Vietnam's third largest trading partner." in key_points
    assert "fourth largest" not in key_points
    prose = "\n".join(line for line in brief.splitlines() if not line.startswith(("|", "[^")))
    assert "fourth largest trading partner" not in prose  # the 2015 and 2016 values are history now
    rows = [line for line in brief.splitlines() if line.startswith("| ") and "largest" in line]
    assert any(row.startswith("| 2016 | fourth largest |") for row in rows)
    assert any(row.startswith("| late 2023 | third largest |") for row in rows)
    assert "**Information as of:** 15 December 2023" in brief


def test_an_undated_newest_source_still_moves_the_information_date(tmp_path):
    brief = economic_with_newer_rank(tmp_path, None)
    assert "**Information as of:** late 2023" in brief


# --- an event that is also a figure: in prose, in its series, in the timeline ----------------------

UPGRADES_TEXT = (
    "In 2009 the two countries agreed a strategic partnership.\n"
    "In 2014 they upgraded it to an extensive strategic partnership.\n"
)
UPGRADES = """\
- id: upgrade-2009
  statement: In 2009, Japan and Vietnam agreed a strategic partnership.
  kind: event
  date: "2009"
  as_of: "2009"
  quantity: {value: strategic partnership, metric: partnership-level}
  topics: [partnership-upgrades]
  salience: 5
  source: upgrades
  quote: In 2009 the two countries agreed a strategic partnership.
- id: upgrade-2014
  statement: In 2014, Japan and Vietnam upgraded their ties to an extensive strategic partnership.
  kind: event
  date: "2014"
  as_of: "2014"
  quantity: {value: extensive strategic partnership, metric: partnership-level}
  topics: [partnership-upgrades]
  salience: 5
  source: upgrades
  quote: In 2014 they upgraded it to an extensive strategic partnership.
"""


def test_an_event_that_changes_a_level_is_told_and_tabled(base, tmp_path):
    add_source(base, "upgrades", UPGRADES_TEXT, "2016-01-01")
    append_fact(base, UPGRADES, "upgrades.yaml")
    assert run("--facts", base, "build", "-a", "historical", "-o", tmp_path / "out").exit_code == 0
    brief = (tmp_path / "out" / "historical-brief.md").read_text(encoding="utf-8")
    statement = "In 2014, Japan and Vietnam upgraded their ties to an extensive strategic partnership."
    lines = brief.splitlines()
    assert any(statement in line for line in lines if not line.startswith(("|", "[^", "-")))  # prose
    assert any(line.startswith("| 2014 | extensive strategic partnership |") for line in lines)  # its series
    assert any(line.startswith("| 2014 |") and statement in line for line in lines)  # the timeline


@pytest.mark.parametrize(
    ("basis", "message"),
    [
        ('"this year"', "date_basis must be a mapping: {phrase, against, doubt}"),
        ('{phrase: "This year", basis: x}', "date_basis: unknown field 'basis'"),
        ("{against: 2015}", "date_basis: 'phrase' must be the quote's relative words"),
        ('{phrase: "This year", against: "2015-13"}', "date_basis: against: '2015-13' has no month 13"),
        ('{phrase: "This year", doubt: 5}', "date_basis: 'doubt' must be non-empty text"),
    ],
)
def test_a_malformed_date_basis_is_refused(wire, basis, message):
    append_fact(wire, pledge("In 2015, Japan pledged $1.7 billion of maritime security aid to Vietnam.", basis=basis))
    result = run("--facts", wire, "check")
    assert result.exit_code == 1
    assert message in result.stdout


def test_a_basis_phrase_that_cannot_be_read_is_an_error(wire):
    """The phrase is in the quote, but it names no date."""
    statement = "In 2015, Japan pledged $1.7 billion of maritime security aid to Vietnam."
    append_fact(wire, pledge(statement, basis='{phrase: "Japan pledged"}'))
    assert any("date_basis: cannot resolve 'Japan pledged'" in line for line in check_lines(wire, "wire-pledge"))


def test_a_key_point_never_states_one_side_of_a_disagreement(figures_base, tmp_path):  # noqa: F811
    """Both 2014 partnership levels are salient enough; the key points state neither, the brief both."""
    facts = figures_base / "figures.yaml"
    facts.write_text(facts.read_text(encoding="utf-8").replace('as_of: "2014"', 'as_of: "2014"\n  salience: 5'))
    assert run("--facts", figures_base, "build", "-a", "economic", "-o", tmp_path / "out").exit_code == 0
    brief = (tmp_path / "out" / "economic-brief.md").read_text(encoding="utf-8")
    key_points = brief.split("## Key points", 1)[1].split("\n## ", 1)[0]
    assert "partnership" not in key_points.lower()
    disagreement = brief.split("## Where the sources disagree", 1)[1]
    assert "| 2014 | Extended Strategic Partnership |" in disagreement
    assert "| 2014 | extensive strategic partnership |" in disagreement


def test_an_outdated_value_is_never_stated_as_current(tmp_path):
    """However salient, the 2016 rank cannot be a key point once a newer one is carried."""
    facts = tmp_path / "facts"
    shutil.copytree(REPO / "facts", facts, ignore=shutil.ignore_patterns("candidates"))
    add_source(facts, "wire-2023", LATE_2023, "2023-12-15")
    append_fact(facts, RANK_2023.replace("salience: 5", "salience: 1"), "wire-2023.yaml")
    base, _ = run_check(facts)
    audience = load_audience("economic", None)
    eligible = eligible_facts(base, audience)
    stated = {f.id for f in stated_as_current(eligible, metric_groups(eligible))}
    assert "wire-japan-third-largest-trading-partner-2023" in stated
    assert not {"iseas-japan-fourth-largest-trading-partner", "kt-trading-partner-rank"} & stated
    key_points = {f.id for f in choose(base, audience).key_points}
    assert not {"iseas-japan-fourth-largest-trading-partner", "kt-trading-partner-rank"} & key_points


# --- the one search for every relative phrase: a shortcut that must agree with the phrases ---------

PHRASE_CASES = [
    "Over the last 20 years, trade grew.",
    "Trade grew within the last decade and within recent years.",
    "Ties deepened in recent months; more is expected in the coming years.",
    "The upcoming visit was recent news, so far unconfirmed.",
    "Currently the current plan, at present, holds to date.",
    "What is now clear: exports now rise.",
    "Talks this week followed last weekend's summit.",
    "In the year of the Khmer Times report, the month the commentary appeared, after the piece was published.",
    "It fell in the previous month, in October of the previous year.",
    "Nowhere, presently, thisyear, lastly, recentness, sofar: no phrase here.",
    "RECENTLY, NOW, THIS YEAR.",
    "",
]


def _each_phrase(statement: str) -> bool:
    from briefgen.check.timing import relative_patterns

    patterns = relative_patterns()
    return any(p.search(statement) for p in (*patterns.spans, *patterns.through_source))


def test_the_one_search_finds_a_phrase_exactly_when_one_phrase_does():
    from briefgen.check.timing import relative_patterns
    from briefgen.factbase.loading import load_fact_base

    shortcut = relative_patterns().any_phrase
    assert shortcut is not None, "every shipped phrase starts at a word start: the shortcut must be on"
    statements = PHRASE_CASES + [f.statement for f in load_fact_base(REPO / "facts")[0].facts]
    found = [s for s in statements if _each_phrase(s)]
    assert len(found) >= 10  # the cases above name phrases of every kind
    for statement in statements:
        assert bool(shortcut.search(statement)) == _each_phrase(statement), statement


def test_a_phrase_not_at_a_word_start_turns_the_shortcut_off():
    from briefgen.check.timing import any_phrase

    assert any_phrase([r"\brecent\b", r"\bnow\b"]) is not None
    assert any_phrase([r"\brecent\b", r"in recent years"]) is None  # could match inside "within"
    assert any_phrase([r"\brecent\b", r"\b-now"]) is None  # starts with a non-word character
