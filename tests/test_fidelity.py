"""Statements never say more than their sources: hedges kept, their words quoted, claims credited, folds caught.

Built from the real fact base and the real sentences of the five sources, in both directions: every
fact as written passes, and undoing a hedge or a quotation in any of them fails, naming the fact.
"""

from __future__ import annotations

import dataclasses
import re
import shutil

import pytest

from briefgen.brief.selection import Citation, Note
from briefgen.check.fidelity import (
    dropped_hedges,
    fold_artefacts,
    hedges,
    misattributed,
    passage_of,
    uncorroborated_figure,
    unquoted_words,
)
from briefgen.check.gate import run_check
from briefgen.factbase.loading import FactBase
from briefgen.render.templates import corroboration
from tests.conftest import REPO, run


@pytest.fixture(scope="module")
def real() -> FactBase:
    """The repository's fact base, loaded once, uncached."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BRIEFGEN_CACHE_DIR", "off")
        base, problems = run_check(REPO / "facts")
    assert not [p for p in problems if p.severity == "error"], problems
    return base


def passages(base: FactBase, fact):
    return [passage_of(a.source, base.texts[a.source].normal, a.match) for a in base.anchors_of(fact)]


def fact(base: FactBase, fact_id: str):
    return next(f for f in base.facts if f.id == fact_id)


def test_every_fact_of_the_repository_keeps_its_sources_hedges_and_words(real):
    names = real.source_names
    for f in real.facts:
        found = passages(real, f)
        assert not dropped_hedges(f, found), f.id
        assert not unquoted_words(f, found), f.id
        assert not misattributed(f, names), f.id
        assert not fold_artefacts(f), f.id


def _hedged(base: FactBase):
    """(fact, kind) for every fact whose passages carry a hedge that its statement keeps."""
    vocabulary = hedges()
    for f in base.facts:
        if f.hedge:
            continue
        context = " ".join(p.frame for p in passages(base, f))
        kept = vocabulary.found(vocabulary.keep, f.statement)
        for kind in vocabulary.found(vocabulary.cues, context):
            if kind in kept:
                yield f, kind


def _without(statement: str, kind: str) -> str:
    """The statement with every word that keeps a hedge of this kind removed."""
    return hedges().keep.sub(lambda m: "" if m.lastgroup == kind else m.group(), statement)


def test_removing_the_hedge_from_any_hedged_fact_fails(real):
    hedged = list(_hedged(real))
    assert len(hedged) >= 5, "the real base has hedged facts to try"
    for f, kind in hedged:
        bare = dataclasses.replace(f, statement=_without(f.statement, kind))
        problems = dropped_hedges(bare, passages(real, f))
        assert any(f"({kind}, " in p for p in problems), (f.id, bare.statement)


def test_removing_quotation_marks_from_any_quoted_phrase_fails(real):
    def bare(f):
        return dataclasses.replace(f, statement=f.statement.replace('"', ""))

    quoted = [f for f in real.facts if unquoted_words(bare(f), passages(real, f))]
    assert len(quoted) >= 5
    for f in quoted:
        assert "puts in quotation marks" in unquoted_words(bare(f), passages(real, f))[0]


@pytest.mark.parametrize(
    ("fact_id", "old", "new", "message"),
    [
        # The satellite order: the sentence before says Japan "was also reported to be planning to sell" them.
        (
            "iseas-s-satellites-oda-delivery-2018",
            "The reported satellite order",
            "The satellite order",
            "statement drops the source's hedge 'was also reported to'",
        ),
        # The Vietcetera article puts 'rising assertiveness in regional waters' in quotation marks.
        (
            "vc-defence-equipment-transfer-agreement",
            '"rising\n    assertiveness in regional waters"',
            "rising\n    assertiveness in regional waters",
            'repeats the words "rising assertiveness in regional waters"',
        ),
        # The ISEAS study never mentions Article 9 or 1947: crediting it is a misattribution.
        (
            "orf-abe-constitution-article-9",
            "The ORF commentary reports that Abe's",
            "The ORF commentary and the ISEAS study report that Abe's",
            "statement names the ISEAS study, but none of its quotes is from iseas-2017-23",
        ),
        # YAML folding once turned "like-minded" into "like- minded".
        (
            "iseas-s-japan-ties-accelerate-network",
            "other\n    like-minded",
            "other like-\n    minded",
            "a hyphen and a space inside a word",
        ),
    ],
)
def test_check_names_the_fact_that_says_more_than_its_source(tmp_path, fact_id, old, new, message):
    facts = tmp_path / "facts"
    shutil.copytree(REPO / "facts", facts, ignore=shutil.ignore_patterns("candidates"))
    path = next(p for p in facts.glob("*.yaml") if f"- id: {fact_id}\n" in p.read_text(encoding="utf-8"))
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, "the fact reads as the test expects"
    path.write_text(text.replace(old, new), encoding="utf-8")
    result = run("--facts", facts, "check")
    assert result.exit_code == 1
    line = next(ln for ln in result.stdout.splitlines() if f": {fact_id}: " in ln)
    assert message in line and line.startswith(path.name + ":")


def test_a_hedge_field_explains_a_hedge_the_statement_need_not_carry(real):
    f = fact(real, "iseas-challenges-non-alignment-and-constitution")
    assert f.hedge and "Promising as it might be" in f.hedge
    assert "might" in dropped_hedges(dataclasses.replace(f, hedge=None), passages(real, f))[0]


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        ("Japan and other like- minded countries met.", "a hyphen and a space inside a word"),
        ("Japan  and Vietnam met.", "a doubled space"),
        ("Japan and Vietnam met , twice.", "a space before punctuation"),
        ('Japan called it "a turning point.', "unbalanced quotation marks"),
        ("Japan (and Vietnam met.", "unbalanced brackets ()"),
    ],
)
def test_fold_artefacts_are_caught(real, statement, problem):
    f = dataclasses.replace(real.facts[0], statement=statement)
    assert any(problem in p for p in fold_artefacts(f))


def test_suspended_hyphens_are_not_fold_artefacts(real):
    f = dataclasses.replace(real.facts[0], statement="Japan offers short- and long-term loans.")
    assert not fold_artefacts(f)


def test_a_figure_corroborated_by_another_value_is_refused(real):
    boats = fact(real, "iseas-s-six-patrol-boats-august-2014")
    assert not uncorroborated_figure(boats)  # "six patrol boats" in both sources
    other = dataclasses.replace(boats.evidence[1], quote="In 2014, Japan granted Vietnam seven patrol boats.")
    changed = dataclasses.replace(boats, evidence=(boats.evidence[0], other))
    assert "does not give the figure's value (6)" in uncorroborated_figure(changed)[0]


def _note(real: FactBase, fact_id: str, corroborating: bool = True) -> Note:
    f = fact(real, fact_id)
    cites = tuple(Citation(real.sources[e.source], "p. 1", e.quote, True) for e in f.evidence)
    return Note(1, f, cites, corroborating)


def test_corroboration_counts_sources_not_passages(real):
    # Two passages of the ORF commentary: not corroboration.
    assert corroboration(_note(real, "orf-cooperation-embryonic")) == " Two passages of one source."
    # Three passages, of which two from the ISEAS study and one from the Khmer Times: two sources.
    note = _note(real, "iseas-strategic-partnership-april-2009")
    assert len(note.citations) == 3 and note.independent_sources == 2
    assert corroboration(note) == " Corroborated by two sources."
    # A chart's note cites several values: never corroboration, and no source count in the JSON.
    chart = _note(real, "iseas-strategic-partnership-april-2009", corroborating=False)
    assert corroboration(chart) == "" and chart.independent_sources == 0


def test_briefs_claim_no_corroboration_from_one_source_or_from_different_values(tmp_path, real):
    result = run("--facts", REPO / "facts", "build", "--all", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    briefs = sorted((tmp_path / "out").glob("*-brief.md"))
    assert len(briefs) == 3
    names = {s.id: [n for n in (s.title, s.series, s.short_title) if n] for s in real.sources.values()}
    claims = 0
    for brief in briefs:
        for note in re.findall(r"^\[\^\d+\]: .*$", brief.read_text(encoding="utf-8"), re.M):
            if "Corroborated by" not in note:
                continue
            claims += 1
            citations = re.split(r"”\.?; ", note)
            cited = {sid for c in citations for sid, called in names.items() if any(n[:30] in c for n in called)}
            assert len(cited) >= 2, note
    assert claims >= 3
