"""The properties that make briefgen fast, pinned by counts and equivalences, never by timings.

Timings live in benchmarks/run.py: these machines are shared, so a timed test would be noise.
"""

from __future__ import annotations

import cProfile
import dataclasses
import datetime
import pstats
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from briefgen.brief import analysis, selection
from briefgen.brief.audiences import load_audience
from briefgen.check import gate, staleness
from briefgen.check import rules as checks
from briefgen.common import parallel
from briefgen.factbase import anchoring, sources
from briefgen.factbase import loading as factbase
from briefgen.factbase.dates import parse_date
from briefgen.factbase.facts import Evidence, Fact, Quantity
from briefgen.factbase.relative import span_of
from briefgen.factbase.sources import Source
from tests.conftest import add_stale_case, run

REPO = Path(__file__).parent.parent


def generated(tmp_path: Path, facts: int, n_sources: int, metric_sets: int = 4) -> Path:
    """A synthetic fact base from the benchmark generator: every quote really in its source."""
    out = tmp_path / f"gen-{facts}-{n_sources}"
    cmd = [sys.executable, str(REPO / "benchmarks" / "generate.py"), f"--facts={facts}", f"--sources={n_sources}"]
    subprocess.run([*cmd, "--source-kb=4", f"--metric-sets={metric_sets}", str(out)], check=True, capture_output=True)
    return out


def doubled(tmp_path: Path) -> tuple[Path, Path]:
    """Two bases, the second with twice the facts, sources and metrics: as dense, twice the size."""
    return generated(tmp_path, 1000, 6, metric_sets=4), generated(tmp_path, 2000, 12, metric_sets=8)


def call_counts(work) -> dict[str, int]:
    """How many times each function was called while work() ran."""
    profile = cProfile.Profile()
    profile.runcall(work)
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    return {f"{file}:{line}({name})": calls[1] for (file, line, name), calls in stats.items()}


# --- no step grows with facts times sources ---------------------------------------------------


@pytest.fixture
def no_cache(monkeypatch):
    """Every load really reads: a cached fact base would hide the work being counted or compared."""
    monkeypatch.setenv("BRIEFGEN_CACHE_DIR", "off")


@pytest.mark.slow  # two generated bases checked under call counting
def test_no_step_grows_with_facts_times_sources(tmp_path, no_cache):
    # Doubling both facts and sources doubles the work of a linear pipeline (a little more where a
    # sort is involved); a step that pairs every fact with every source, or every figure with every
    # other, grows about four times (the pairwise disagreement scan this replaced: 3.9).
    small, large = doubled(tmp_path)
    day = datetime.date(2026, 1, 1)
    before = call_counts(lambda: gate.run_check(small, today=day))
    after = call_counts(lambda: gate.run_check(large, today=day))
    grown = {
        name: after.get(name, 0) / calls
        for name, calls in before.items()
        if calls >= 50 and after.get(name, 0) / calls > 3.2
    }
    assert not grown, f"calls grew faster than the fact base: {grown}"


@pytest.mark.slow  # two generated bases built under call counting
def test_no_step_of_a_markdown_build_grows_with_facts_times_sources(tmp_path, no_cache):
    small, large = doubled(tmp_path)
    builds = []
    for base in (small, large):
        out = tmp_path / f"out-{base.name}"
        builds.append(call_counts(lambda: run("--facts", base, "build", "-a", "economic", "-o", out)))  # noqa: B023
        assert (out / "economic-brief.md").is_file()
    before, after = builds
    grown = {n: after.get(n, 0) / c for n, c in before.items() if c >= 50 and after.get(n, 0) / c > 3.2}
    assert not grown, f"calls grew faster than the fact base: {grown}"


def test_each_source_is_normalised_once(tmp_path, monkeypatch, no_cache):
    base = generated(tmp_path, 400, 4)  # a hundred quotes per source
    calls = []
    real = sources.normalise_lines
    monkeypatch.setattr(sources, "normalise_lines", lambda text: calls.append(len(text)) or real(text))
    loaded, problems = factbase.load_fact_base(base)
    assert not [p for p in problems if p.severity == "error"]
    assert len(loaded.facts) == 400 and len(loaded.anchors) >= 400
    assert len(calls) == 4


def test_a_markdown_build_loads_nothing_it_does_not_use(base, tmp_path):
    # WeasyPrint alone costs about 0.4 s of imports; pydantic (typer 0.29 and later) about 0.1 s.
    unwanted = ["weasyprint", "pypdf", "pydantic", "leather", "tomllib", "multiprocessing"]
    code = (
        "import sys; from briefgen.cli import app\n"
        "try:\n    app(['--facts', sys.argv[1], 'build', '-a', 'defence', '-o', sys.argv[2]])\n"
        "except SystemExit as exc:\n    assert not exc.code, exc.code\n"
        f"print(sorted(m for m in {unwanted!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(base), str(tmp_path / "out")], capture_output=True, text=True)
    assert (tmp_path / "out" / "defence-brief.md").is_file(), out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout


# --- sharing the work among cores gives what one process gives ---------------------------------


def _everything(base: Path, outline: bool = False):
    loaded, problems = gate.run_check(base, today=datetime.date(2026, 1, 1), outline=outline)
    return loaded, [str(p) for p in problems]


@pytest.mark.parametrize("outline", [False, True])
def test_parallel_reading_matches_one_process(tmp_path, monkeypatch, no_cache, outline):
    real = tmp_path / "facts"
    shutil.copytree(REPO / "facts", real, ignore=shutil.ignore_patterns("candidates"))
    # A defect in the second half of the files, so that a worker reports it.
    last = sorted(real.glob("v*.yaml"))[-1]
    last.write_text(last.read_text(encoding="utf-8").replace("salience: 3", "salience: 9", 1), encoding="utf-8")
    one, one_problems = _everything(real, outline)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "cores", lambda: 3)
    shared, shared_problems = _everything(real, outline)
    assert any("salience must be" in p for p in shared_problems)
    assert shared_problems == one_problems
    assert [(f.id, f.file, f.line, f.quantity, f.as_of) for f in shared.facts] == [
        (f.id, f.file, f.line, f.quantity, f.as_of) for f in one.facts
    ]
    if outline:  # facts from the workers came back as outlines: proof that workers did read them
        assert any(f.statement == "" for f in shared.facts)
    else:
        assert shared.facts == one.facts and shared.anchors == one.anchors


def test_a_parallel_check_encodes_each_outline_once_and_in_the_process_that_read_it(tmp_path, monkeypatch):
    """The file entries' outlines travel back from the workers encoded and make the base's entry:
    this process encodes only the facts it read itself, not every fact a second time."""
    monkeypatch.setenv("BRIEFGEN_CACHE_DIR", str(tmp_path / "cache"))
    real = tmp_path / "facts"
    shutil.copytree(REPO / "facts", real, ignore=shutil.ignore_patterns("candidates"))
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "cores", lambda: 3)
    got: dict = {}
    counts = call_counts(lambda: got.update(zip(("base", "problems"), _everything(real, outline=True), strict=True)))
    encoded = sum(n for name, n in counts.items() if name.endswith("(outline_of)"))
    assert 0 < encoded < len(got["base"].facts) / 2  # a third of the files are this process's share
    monkeypatch.setattr(factbase, "_read_files", lambda *a: pytest.fail("a warm check reads no fact file"))
    counted, counted_problems = _everything(real, outline=True)  # the rules across facts cached: facts counted
    assert counted_problems == got["problems"] and counted.facts == []
    assert counted.fact_count == len(got["base"].facts)
    for entry in (tmp_path / "cache" / gate.ACROSS).glob("*.json"):
        entry.unlink()
    warm, warm_problems = _everything(real, outline=True)  # from the base's entry, decoded for the rules
    assert warm_problems == got["problems"]
    assert [(f.id, f.file, f.line, f.quantity, f.as_of) for f in warm.facts] == [
        (f.id, f.file, f.line, f.quantity, f.as_of) for f in got["base"].facts
    ]


def test_split_keeps_order_and_balances_sizes():
    items = list(range(10))
    sizes = [1, 1, 1, 1, 6, 1, 1, 1, 1, 1]
    for weights in ([1, 1], [0.5, 1], [1, 1, 1], [1, 3]):
        shares = parallel.split(items, sizes, weights)
        assert [i for share in shares for i in share] == items
        assert len(shares) == len(weights)
    assert parallel.split(items, sizes, [1, 1]) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    assert parallel.split(items, [1] * 10, [1, 4]) == [[0, 1], [2, 3, 4, 5, 6, 7, 8, 9]]


def test_small_work_stays_in_this_process(monkeypatch):
    monkeypatch.setattr(parallel, "cores", lambda: 8)
    pids = parallel.in_parallel([1, 2, 3], [10, 10, 10], lambda share: [__import__("os").getpid() for _ in share])
    assert set(pids) == {__import__("os").getpid()}


# --- the fast forms agree with the plain ones they replaced ------------------------------------

text_with_typography = st.text(alphabet="ab -\u2013\u2014’“”\u00a0\u00ad\t.,\u200b1é\u0301", max_size=60)


@settings(max_examples=300, deadline=None)
@given(text_with_typography)
def test_one_line_normalisation_is_the_whole_text_normalisation(text):
    assert anchoring.normalise(text.replace("\n", " ")) == anchoring.normalise_lines(text.replace("\n", " ")).text


def _contains_number(text: str, number: str) -> bool:
    """The rule standalone_numbers replaced: the number itself, not part of a longer one."""
    plain = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)
    return re.search(rf"(?<![\d.,]){re.escape(number)}(?![\d]|[.,]\d)", plain) is not None


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="0123456789.,- x$", max_size=30), st.text(alphabet="0123456789.,", min_size=1, max_size=6))
def test_standalone_numbers_keep_the_rule(text, number):
    numbers = checks.numbers_in(number)
    for n in numbers:
        assert (n in checks.standalone_numbers(text)) == _contains_number(text, n)


def _figure(i: int, raw: str, value: float) -> Fact:
    return Fact(
        id=f"f{i}",
        statement="s.",
        kind="figure",
        topics=(),
        evidence=(Evidence(f"src{i % 3}", "q"),),
        file="x.yaml",
        line=i,
        as_of=parse_date(raw),
        quantity=Quantity(value, "USD", "m"),
    )


def _pairwise(facts: tuple[Fact, ...]) -> list[tuple[Fact, ...]]:
    """The quadratic scan that grouping by year replaced."""
    found: list[tuple[Fact, ...]] = []
    for i, fact in enumerate(facts):
        rivals = [o for o in facts[i + 1 :] if analysis.same_date(fact, o) and analysis.differ(fact, o)]
        if rivals and not any(fact in group for group in found):
            found.append((fact, *rivals))
    return found


dates = st.sampled_from(
    ["2014", "2014-03", "2014-03-01", "2015", "early 2015", "2015-06", "2016", "2014/2015", "late 2010s", "2010"]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(dates, st.sampled_from([1.0, 2.0, 3.0])), max_size=12))
def test_disagreements_by_year_match_the_pairwise_scan(rows):
    facts = tuple(
        sorted(
            (_figure(i, raw, value) for i, (raw, value) in enumerate(rows)),
            key=lambda f: f.as_of.sort_key,  # type: ignore[union-attr]
        )
    )
    assert analysis.MetricGroup("m", facts).disagreements() == _pairwise(facts)


def test_compare_matches_rows_and_flags_a_slower_one(tmp_path):
    """benchmarks/compare.py: the 'nothing gets slower' verdict, per row of two run.py outputs."""
    table = "| command | median s | min–max s | runs | peak MB | note |\n|---|---:|---:|---:|---:|---|\n"
    before = (
        table + "| check, 1,000 facts | 0.500 | 0.4–0.6 | 5 | 37 |  |\n| floor: startup | 0.100 | — | 5 | 23 |  |\n"
    )
    after = table + "| check, 1,000 facts | 0.540 | 0.5–0.6 | 5 | 36 |  |\n| floor: startup | 0.120 | — | 5 | 23 |  |\n"
    after += "| md build skipped | — | — | — | — | skipped |\n| new row | 1.0 | — | 3 | 10 |  |\n"
    (tmp_path / "a.md").write_text(before)
    (tmp_path / "b.md").write_text(after)
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "compare.py"), str(tmp_path / "a.md"), str(tmp_path / "b.md")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    lines = {line.split("|")[1].strip(): line for line in done.stdout.splitlines() if line.startswith("| ")}
    assert "1.08x | yes" in lines["check, 1,000 facts"]
    assert "1.20x | NO" in lines["floor: startup"]
    assert "| new |" in lines["new row"]
    assert "md build skipped" not in lines


# --- rendering and self-checking: shortcuts that agree with the full forms --------------------------

markdown_text = st.text(alphabet="ab1. -+=:()/\\`*_[]<>|~$@&{}#^\n\t\u00a0\u2003iIvXx9", max_size=40)


@settings(max_examples=400, deadline=None)
@given(st.one_of(markdown_text, st.from_regex(r"[0-9]{1,6}", fullmatch=True)))
def test_escaping_shortcuts_agree_with_the_full_escaping(text):
    from briefgen.render import templates

    assert templates.md_escape(text) == templates._md_escape(text)  # digits, and short texts remembered
    assert templates.md_escape(text) == templates.md_escape(text)  # the remembered answer, asked again


calls_text = st.lists(
    st.sampled_from(["[^", "]", "1", "-2", "a", " ", "\u00a0", "\n", "[^1]", "[", "^", ":", "x."]), max_size=14
).map("".join)


@settings(max_examples=400, deadline=None)
@given(calls_text)
def test_note_calls_ending_a_sentence_are_found_in_its_last_word(text):
    from briefgen.render.html_verification import _ENDS_CALLED
    from briefgen.render.verification import _ENDS_CITED, ending_calls

    for ending in (_ENDS_CITED, _ENDS_CALLED):
        found = ending.search(text.rstrip())
        assert ending_calls(text.rstrip(), ending) == (found.start() if found else None)


@settings(max_examples=400, deadline=None)
@given(calls_text)
def test_note_definitions_by_line_match_the_multiline_pattern(text):
    from briefgen.render.verification import _NOTE_DEF, _note_definitions

    assert _note_definitions(text) == (_NOTE_DEF.findall(text), _NOTE_DEF.sub("", text))


def test_the_self_check_does_not_reread_the_brief_when_every_fact_is_cited(base, monkeypatch):
    """Each selected fact is looked up among the cited sentences; the whole brief's text, normalised,
    is made only for one that is not there (none, in a brief of cited sentences)."""
    from briefgen.brief.audiences import load_audience
    from briefgen.brief.selection import select
    from briefgen.factbase.metrics import metric_labels
    from briefgen.render import verification
    from briefgen.render.templates import render

    prepared = datetime.date(2026, 1, 1)
    loaded, _ = gate.load_checked(base, today=prepared)
    brief = select(loaded, load_audience("defence", None), prepared, metric_labels(base))
    markdown = render(brief, "md", None)
    normalised: list[int] = []
    plain = verification.md_text
    monkeypatch.setattr(verification, "md_text", lambda text: normalised.append(len(text)) or plain(text))
    assert brief.facts and verification.verify_markdown(markdown, brief) == []
    assert max(normalised) < len(markdown) // 2  # sentences, never the brief


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(dates, st.sampled_from([1.0, 2.0])), min_size=2, max_size=8))
def test_a_groups_disagreements_are_worked_out_once(rows):
    facts = tuple(sorted((_figure(i, raw, v) for i, (raw, v) in enumerate(rows)), key=lambda f: f.as_of.sort_key))  # type: ignore[union-attr]
    group = analysis.MetricGroup("m", facts)
    compared = []
    real = analysis.same_date
    analysis.same_date = lambda a, b: compared.append(1) or real(a, b)  # type: ignore[assignment]
    try:
        first = group.disagreements()
        once = len(compared)
        group.disagreements().clear()  # each caller gets a list of its own
        again = group.disagreements()
    finally:
        analysis.same_date = real
    assert len(compared) == once
    assert again == first == _pairwise(facts)


# --- selection and the brief rules: linear in what they read --------------------------------


def test_sections_are_judged_once_per_kind_and_topics_not_per_fact(tmp_path, monkeypatch, no_cache):
    # The gate finds each audience's facts, then the build finds them again and places them in
    # sections: whether a section takes a fact depends on its kind and topics (and its year), so
    # each section judges each combination once, for the gate and the build together.
    loaded, _ = factbase.load_fact_base(generated(tmp_path, 400, 4))
    audiences = [load_audience(name, None) for name in ("defence", "economic", "historical")]
    selection.section_finder.cache_clear()
    judged = []
    takes, matches = selection.takes, selection.matches
    monkeypatch.setattr(selection, "takes", lambda spec, *fact: judged.append(fact) or takes(spec, *fact))
    monkeypatch.setattr(selection, "matches", lambda spec, fact: judged.append(fact) or matches(spec, fact))
    briefs = staleness.brief_facts(loaded, audiences)
    choices = [selection.choose(loaded, audience) for audience in audiences]
    combinations = {(f.kind, f.topics) for f in loaded.facts}
    assert 0 < len(judged) <= len(combinations) * sum(len(a.sections) for a in audiences)
    assert [{f.id for f in c.facts if f.quantity} for c in choices] == [brief.ids for brief in briefs]


def _information_date_fact_by_fact(facts: tuple[Fact, ...], cited: tuple[Source, ...]):
    """The information date as it was first written: every date's span worked out for every fact."""
    dates = [d for s in cited for d in (s.published, s.retrieved) if d is not None]
    by_id = {s.id: s for s in cited}
    for fact in facts:
        source = by_id.get(fact.evidence[0].source) if fact.evidence else None
        written = [d for d in (source.published, source.retrieved) if d is not None] if source else []
        cap = max((span_of(d)[1] for d in written), default=None)
        dates += [d for d in (fact.date, fact.as_of) if d is not None and (cap is None or span_of(d)[1] <= cap)]
    return max(dates, key=lambda d: (span_of(d)[1], d.sort_key)) if dates else None


def test_the_information_date_works_out_each_date_once(tmp_path, monkeypatch, no_cache):
    loaded, _ = factbase.load_fact_base(generated(tmp_path, 400, 4))
    facts, cited = tuple(loaded.facts), tuple(loaded.sources.values())
    expected = _information_date_fact_by_fact(facts, cited)
    worked = []
    monkeypatch.setattr(selection, "span_of", lambda d: worked.append(d) or span_of(d))
    assert selection.information_date(facts, cited) == expected is not None
    dated = [d for f in facts for d in (f.date, f.as_of) if d is not None]
    dated += [d for s in cited for d in (s.published, s.retrieved) if d is not None]
    assert len(worked) <= len({id(d) for d in dated})  # fact by fact: about four times as many


days = st.sampled_from([None, "2014", "2014-03", "2014-03-31", "early 2014", "late 2014", "2014/2015", "2010s", "2015"])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(days, days), min_size=0, max_size=3),
    st.lists(st.tuples(days, days, st.integers(0, 3)), max_size=8),
)
def test_the_information_date_is_the_one_found_fact_by_fact(sources, rows):
    # Source 3 is not cited: its facts have no cap. Ties between equal dates go to the first.
    cited = tuple(
        Source(f"s{i}", "report", Path(f"s{i}.txt"), "0", published=_day(p), retrieved=_day(r))
        for i, (p, r) in enumerate(sources)
    )
    facts = tuple(
        dataclasses.replace(_figure(i, "2014", 1.0), date=_day(d), as_of=_day(a), evidence=(Evidence(f"s{s}", "q"),))
        for i, (d, a, s) in enumerate(rows)
    )
    assert selection.information_date(facts, cited) == _information_date_fact_by_fact(facts, cited)


def _day(raw: str | None):
    return parse_date(raw) if raw else None


def test_the_gate_seeks_an_information_date_only_to_name_it_in_a_warning(base, monkeypatch):
    sought = []
    real = staleness.information_date
    monkeypatch.setattr(staleness, "information_date", lambda *brief: sought.append(brief) or real(*brief))
    gate.run_check(base)
    assert not sought  # no stale figure: no warning to name it in
    add_stale_case(base)
    stale = [str(p) for p in gate.run_check(base)[1] if "stale figure" in p.message]
    assert len(sought) == 1
    assert stale == [
        "facts.yaml:17: oda-2016: warning: stale figure: the economic brief (information as of 2017) states this "
        "fact's value of japan-oda-cumulative (as of September 2016) as current, in this fact's sentence; "
        "oda-2024-elsewhere gives a value 7 years newer (as of 2024), which that brief does not carry"
    ]


def test_the_brief_rules_read_only_the_figures(tmp_path, monkeypatch):
    """Stale figures and disagreements are about values: the gate finds which figures each brief
    carries, not every fact it carries (a sixth of a large base have a quantity)."""
    loaded, _ = factbase.load_fact_base(generated(tmp_path, 400, 4))
    audiences = [load_audience(name, None) for name in ("defence", "economic", "historical")]
    asked: list[str] = []
    finder = selection.section_finder

    def counting(sections):
        section_of = finder(sections)
        return lambda fact: asked.append(fact.id) or section_of(fact)

    monkeypatch.setattr(selection, "section_finder", counting)
    briefs = staleness.brief_facts(loaded, audiences)
    figures = {f.id for f in loaded.facts if f.quantity is not None}
    assert asked and set(asked) <= figures
    assert any(brief.ids for brief in briefs)
