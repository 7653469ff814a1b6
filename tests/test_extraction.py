"""`briefgen extract` and `briefgen coverage`: candidates from source sentences, and what no fact covers yet."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml

from briefgen.authoring.coverage import coverage, guess_date
from briefgen.authoring.extraction import propose, write_candidates
from briefgen.errors import FactBaseError, UsageError
from briefgen.factbase.anchoring import anchor
from briefgen.factbase.loading import load_fact_base
from tests.conftest import append_fact, run

# A web page: a title and a dated byline (unfinished lines), prose with dates, figures and a named agreement,
# a judgement, a plain sentence, a repeated sentence, reference-like lines, comment-form boilerplate, a reference list.
BLOG = """\
Japan and Vietnam Sign a Defence Deal
Published on 12 March 2020 by the news desk
In March 2020, the two defence ministers signed a Joint Vision Statement in Hanoi.
Japan pledged $2 billion in maritime security aid to Vietnam in 2019.
Analysts argue that the new deal is likely to deepen defence ties.
The ministers then met for talks over lunch.
The deal was welcomed in Hanoi as a milestone for 2020.
The deal was welcomed in Hanoi as a milestone for 2020.
Lee, K. (2016). Vietnam bought 6 submarines from Russia in 2009.
Read the full 2019 agreement text at https://example.com/agreement about the 12 ships.
Leave a Reply
You are commenting using your account, which was created in 2020.
REFERENCES
The Japanese navy made 3 port calls at Cam Ranh Bay in 2016.
"""
BLOG_IMPORTANT = 4  # the Joint Vision Statement, the $2 billion, and the repeated 2020 sentence twice

# A paginated report: hard-wrapped lines, a word hyphenated across lines, a capitals heading, page numbers,
# a footnote call opening a sentence, and a footnote at the foot of page 1 running straight into page 2,
# whose first line ends a sentence begun on page 1.
REPORT = """\
 SUMMARY
In 2011, the two countries adopted an Action Plan and opened a formal Defence Policy Dia-
logue. China's moves in 2014 emboldened Vietnamese
7
Vietnam made the request in early 2012.
 leaders to deepen military ties with Japan.
In May 2013, Japan held a seminar on underwater medicine for the Vietnamese
Navy. 4 Training for navy divers followed in 2014.
No. 23
"""


def add_source(base: Path, source_id: str, text: str, page_starts: list[int] | None = None) -> None:
    """Register a further source text in the fixture base, with its sha256."""
    path = base / "texts" / f"{source_id}.txt"
    path.write_text(text, encoding="utf-8")
    entry = {
        "id": source_id,
        "type": "news report",
        "path": f"texts/{source_id}.txt",
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }
    if page_starts:
        entry["page_starts"] = page_starts
    with (base / "sources.yaml").open("a", encoding="utf-8") as registry:
        registry.write("\n" + yaml.safe_dump([entry], sort_keys=False))


@pytest.fixture
def blog(base: Path) -> Path:
    add_source(base, "blog", BLOG)
    return base


def load(base: Path):
    loaded, problems = load_fact_base(base)
    assert not [p for p in problems if p.severity == "error"], problems
    return loaded


def quotes_of(base: Path, source_id: str) -> list[str]:
    return [c.quote for c in propose(load(base), source_id)]


# --- extract --------------------------------------------------------------------------------------


def test_candidates_quote_their_sentence_and_anchor_to_it(blog):
    loaded = load(blog)
    cands = propose(loaded, "blog")
    assert [c.id for c in cands] == [f"cand-blog-{n}" for n in range(1, 6)]
    normal = loaded.texts["blog"].normal
    starts = set()
    for cand in cands:
        match = anchor(normal, cand.quote, cand.prefix)  # raises unless exactly one place
        starts.add(match.start)
        assert cand.unreviewed
        assert cand.statement == f"TODO: restate in our own words: {cand.quote}"
    assert len(starts) == len(cands)  # the repeated sentence is proposed twice, each anchored to its own place
    assert [c.prefix is not None for c in cands] == [False, False, False, True, True]


def test_candidates_guess_kind_date_locator_and_topics(blog):
    by_start = {c.quote.split()[0] + c.quote.split()[1]: c for c in propose(load(blog), "blog")}
    statement, figure, judgement = by_start["InMarch"], by_start["Japanpledged"], by_start["Analystsargue"]
    assert (statement.kind, statement.date, statement.locator) == ("event", "2020-03", "para. 1")
    assert (figure.kind, figure.date) == ("figure", "2019")
    assert "maritime-security" in figure.topics and "aid" in figure.topics
    assert (judgement.kind, judgement.date) == ("assessment", None)


def test_plain_sentences_references_and_boilerplate_are_not_proposed(blog):
    text = " ".join(quotes_of(blog, "blog"))
    left_out = ("met for talks", "Lee, K.", "example.com", "Leave a Reply", "commenting", "port calls", "Published")
    for words in left_out:
        assert words not in text


def pledge_fact(quote: str) -> str:
    """The 2019 pledge as a fact, quoting the given passage."""
    return f"""\
- id: pledge-2019
  statement: In 2019, Japan pledged $2 billion in maritime security aid to Vietnam.
  kind: figure
  as_of: "2019"
  quantity: {{value: 2, unit: USD billion, metric: maritime-aid}}
  topics: [aid]
  source: blog
  quote: {quote}
"""


def test_sentences_covered_by_a_fact_are_not_proposed(blog):
    before = quotes_of(blog, "blog")
    assert "Japan pledged $2 billion in maritime security aid to Vietnam in 2019." in before
    append_fact(blog, pledge_fact("Japan pledged $2 billion in maritime security aid"))
    after = quotes_of(blog, "blog")
    assert after == [q for q in before if not q.startswith("Japan pledged")]


def test_a_quote_across_two_sentences_covers_the_one_it_spans_half_of(blog):
    append_fact(
        blog, pledge_fact("Japan pledged $2 billion in maritime security aid to Vietnam in 2019. Analysts argue")
    )
    quotes = quotes_of(blog, "blog")
    assert not any(q.startswith("Japan pledged") for q in quotes)
    assert any(q.startswith("Analysts argue") for q in quotes)


def test_a_quote_under_half_the_sentence_leaves_it_proposed(blog):
    append_fact(
        blog,
        """\
- id: ministers-signed
  statement: The two defence ministers signed a statement.
  kind: event
  date: 2020-03
  topics: [defence-dialogue]
  source: blog
  quote: two defence ministers signed
""",
    )
    assert any(q.startswith("In March 2020") for q in quotes_of(blog, "blog"))


def test_a_fact_on_one_of_two_repeated_sentences_covers_both(blog):
    assert sum("milestone" in q for q in quotes_of(blog, "blog")) == 2
    append_fact(
        blog,
        """\
- id: milestone
  statement: Hanoi welcomed the deal as a milestone for 2020.
  kind: assessment
  topics: [defence-dialogue]
  source: blog
  quote: The deal was welcomed in Hanoi as a milestone for 2020.
  prefix: met for talks over lunch.
""",
    )
    assert not any("milestone" in q for q in quotes_of(blog, "blog"))


def test_paginated_lines_are_joined_within_a_page_without_headings_or_page_numbers(base):
    add_source(base, "report", REPORT, page_starts=[1, 6])
    cands = propose(load(base), "report")
    assert [(c.quote, c.locator, c.date) for c in cands] == [
        (
            "In 2011, the two countries adopted an Action Plan and opened a formal Defence Policy Dia-logue.",
            "p. 1",
            "2011",
        ),
        ("China's moves in 2014 emboldened Vietnamese", "p. 1", "2014"),
        ("Vietnam made the request in early 2012.", "p. 1", "early 2012"),
        ("In May 2013, Japan held a seminar on underwater medicine for the Vietnamese Navy.", "p. 2", "2013-05"),
        ("Training for navy divers followed in 2014.", "p. 2", "2014"),
    ]


def test_covered_fixture_sentences_are_not_proposed(base):
    quotes = quotes_of(base, "paper")
    assert not any("736" in q or "2009" in q or "patrol boats" in q for q in quotes)
    (base / "facts.yaml").write_text(
        (base / "facts.yaml").read_text(encoding="utf-8").split("- id: partnership-2009")[0], encoding="utf-8"
    )  # keep only the first fact
    assert "In 2009 the two countries established a “strategic partnership”." in quotes_of(base, "paper")


@pytest.mark.parametrize(
    ("sentence", "date"),
    [
        ("Specifically, in early August 2014, Japan announced it.", "early 2014-08"),
        ("The visit from 28 February to 5 March 2017 was historic.", "2017-02-28/2017-03-05"),
        ("Trade flourished in the 16th and 17th centuries.", "16th century/17th century"),
        ("Restrictions were imposed in the 1630s.", "1630s"),
        ("Relations were constrained between the late 1970s and 1992.", "late 1970s"),
        ("A monk travelled to Japan in 736.", "736"),
        ("It was published Sep 15, 2021 online.", "2021-09-15"),
        ("Such funding mattered (VnExpress, 2016a).", None),
        ("Japan is Vietnam's fourth largest trading partner.", None),
    ],
)
def test_guess_date(sentence, date):
    assert guess_date(sentence) == date


# --- the review file ------------------------------------------------------------------------------


def test_extract_writes_a_review_file_that_is_not_loaded(blog):
    result = run("--facts", blog, "extract", "blog")
    assert result.exit_code == 0, result.stderr
    path = blog / "candidates" / "blog.yaml"
    assert f"5 candidate(s) from blog written to {path}" in result.stdout
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Candidate facts proposed by `briefgen extract`")
    entries = yaml.safe_load(text)
    assert [e["id"] for e in entries] == [f"cand-blog-{n}" for n in range(1, 6)]
    assert all(e["unreviewed"] is True and e["source"] == "blog" for e in entries)
    assert run("--facts", blog, "check").exit_code == 0  # candidates/ is not part of the fact base


def test_a_candidates_file_moved_in_unreviewed_is_rejected(blog):
    run("--facts", blog, "extract", "blog")
    (blog / "moved.yaml").write_text((blog / "candidates" / "blog.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    result = run("--facts", blog, "check")
    assert result.exit_code == 1
    assert "moved.yaml:" in result.stdout and "unknown field 'unreviewed'" in result.stdout


@pytest.mark.parametrize("name", ["facts.yaml", "new-facts.yaml", "sources.yaml", "texts/blog.txt"])
def test_candidates_never_overwrite_the_fact_base(blog, name):
    target = blog / name
    before = target.read_bytes() if target.exists() else None
    with pytest.raises(UsageError, match="refusing"):
        write_candidates(propose(load(blog), "blog"), target, fact_base=blog, force=True)
    assert (target.read_bytes() if target.exists() else None) == before
    result = run("--facts", blog, "extract", "blog", "--output", target, "--force")
    assert result.exit_code == 2 and "refusing" in result.stderr
    assert (target.read_bytes() if target.exists() else None) == before


def test_an_existing_candidates_file_needs_force(blog):
    path = blog / "candidates" / "blog.yaml"
    path.parent.mkdir()
    path.write_text("# half-way through a review\n", encoding="utf-8")
    result = run("--facts", blog, "extract", "blog")
    assert result.exit_code == 2 and "--force" in result.stderr
    assert path.read_text(encoding="utf-8") == "# half-way through a review\n"
    result = run("--facts", blog, "extract", "blog", "--force")
    assert result.exit_code == 0
    assert "cand-blog-1" in path.read_text(encoding="utf-8")


def test_extract_output_option(blog, tmp_path):
    result = run("--facts", blog, "extract", "blog", "--output", tmp_path / "review.yaml")
    assert result.exit_code == 0
    assert len(yaml.safe_load((tmp_path / "review.yaml").read_text(encoding="utf-8"))) == 5


def test_extract_unknown_source_lists_known_ones(base):
    result = run("--facts", base, "extract", "nowhere")
    assert result.exit_code == 2
    assert "unknown source 'nowhere' (known: news, paper)" in result.stderr


def test_extract_needs_a_sound_fact_base(base):
    append_fact(base, "- id: broken\n  statement: Nothing.\n")
    result = run("--facts", base, "extract", "paper")
    assert result.exit_code == 1
    assert "extra.yaml:1: broken:" in result.stderr
    assert not (base / "candidates").exists()


# --- coverage -------------------------------------------------------------------------------------


def test_coverage_counts(blog):
    report = {c.source: c for c in coverage(load(blog))}
    assert (report["paper"].covered, report["paper"].important) == (4, 4)
    assert (report["news"].covered, report["news"].important) == (2, 2)
    assert (report["blog"].covered, report["blog"].important, report["blog"].excluded) == (0, BLOG_IMPORTANT, 0)
    assert [s.locator for s in report["blog"].uncovered] == ["para. 1", "para. 2", "para. 5", "para. 6"]
    assert report["blog"].path == "texts/blog.txt"


def test_coverage_counts_a_newly_covered_sentence(blog):
    append_fact(
        blog,
        """\
- id: pledge-2019
  statement: In 2019, Japan pledged $2 billion in maritime security aid to Vietnam.
  kind: figure
  as_of: "2019"
  quantity: {value: 2, unit: USD billion, metric: maritime-aid}
  topics: [aid]
  source: blog
  quote: Japan pledged $2 billion in maritime security aid to Vietnam in 2019.
""",
    )
    (blog_report,) = coverage(load(blog), ["blog"])
    assert (blog_report.covered, blog_report.important) == (1, BLOG_IMPORTANT)


def test_exclusions_leave_sentences_out_of_the_count(blog):
    (blog / "exclusions.yaml").write_text(
        '- source: blog\n  quote: "In March 2020, the two defence"\n  reason: the statement is not published\n',
        encoding="utf-8",
    )
    (report,) = coverage(load(blog), ["blog"])
    assert (report.covered, report.important, report.excluded) == (0, BLOG_IMPORTANT - 1, 1)
    assert not any(s.text.startswith("In March 2020") for s in report.uncovered)


def test_an_exclusion_that_does_not_anchor_is_an_error(blog):
    (blog / "exclusions.yaml").write_text(
        "- source: blog\n  quote: In March 2020, the defence chiefs\n  reason: not published\n"
        "- source: blog\n  quote: Japan pledged $2 billion\n",
        encoding="utf-8",
    )
    with pytest.raises(FactBaseError) as info:
        coverage(load(blog))
    problems = [str(p) for p in info.value.problems]
    assert problems[0].startswith("exclusions.yaml:1: blog: exclusion quote: quote not found")
    assert problems[1].startswith("exclusions.yaml:4: blog: an exclusion needs 'source', 'quote' and 'reason'")
    result = run("--facts", blog, "coverage")
    assert result.exit_code == 1
    assert "exclusions.yaml:1: blog:" in result.stderr


def test_coverage_cli_all_covered_exits_0(base):
    result = run("--facts", base, "coverage")
    assert result.exit_code == 0, result.stdout
    assert result.stdout.splitlines() == [
        "paper: 4/4 important sentences covered",
        "news: 2/2 important sentences covered",
    ]


def test_coverage_cli_uncovered_exits_1_and_lists_them(blog):
    result = run("--facts", blog, "coverage", "--source", "blog")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"blog: 0/{BLOG_IMPORTANT} important sentences covered"
    sentence = "In March 2020, the two defence ministers signed a Joint Vision Statement in Hanoi."
    assert lines[1] == f'texts/blog.txt para. 1: "{sentence}"'
    assert len(lines) == 1 + BLOG_IMPORTANT


def test_coverage_cli_passes_once_every_uncovered_sentence_is_excluded(blog):
    reasons = "".join(
        f'- source: blog\n  quote: "{q}"\n  reason: not for briefs\n'
        for q in ("In March 2020, the two defence", "Japan pledged $2 billion", "The deal was welcomed in Hanoi")
    )
    (blog / "exclusions.yaml").write_text(reasons, encoding="utf-8")
    result = run("--facts", blog, "coverage")
    assert result.exit_code == 1
    assert "exclusions.yaml:7: blog: exclusion quote: quote occurs 2 times" in result.stderr
    repeated = "".join(  # a sentence the source repeats is told apart by a prefix, as in a fact
        f'- source: blog\n  quote: The deal was welcomed in Hanoi\n  prefix: "{p}"\n  reason: not for briefs\n'
        for p in ("over lunch.", "milestone for 2020.")
    )
    (blog / "exclusions.yaml").write_text(reasons.rsplit("- source", 1)[0] + repeated, encoding="utf-8")
    result = run("--facts", blog, "coverage")
    assert result.exit_code == 0, result.stderr
    assert f"blog: 0/0 important sentences covered ({BLOG_IMPORTANT} excluded)" in result.stdout


def test_coverage_cli_json_and_unknown_source(blog):
    result = run("--facts", blog, "coverage", "--json", "--source", "blog")
    assert result.exit_code == 1
    (report,) = json.loads(result.stdout)
    assert report["important"] == BLOG_IMPORTANT and len(report["uncovered"]) == BLOG_IMPORTANT
    assert report["uncovered"][0]["locator"] == "para. 1"
    result = run("--facts", blog, "coverage", "--source", "nowhere")
    assert result.exit_code == 2
    assert "unknown source 'nowhere' (known: blog, news, paper)" in result.stderr
