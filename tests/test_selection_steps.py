"""`select` is `choose` then `number`: a step between them (a length budget, say) can trim a brief."""

from __future__ import annotations

import dataclasses
import datetime
from pathlib import Path

from briefgen.brief.audiences import load_audience
from briefgen.brief.selection import choose, number, select
from briefgen.check.gate import run_check
from briefgen.render.templates import render
from briefgen.render.verification import verify_markdown

DAY = datetime.date(2026, 1, 1)
FACTS = Path(__file__).parent.parent / "facts"  # the shipped base: sections of many facts each


def test_select_is_choose_then_number():
    fact_base, _ = run_check(FACTS, today=DAY)
    audience = load_audience("defence", None)
    choice = choose(fact_base, audience)
    assert choice.key_points and any(s.prose for s in choice.sections)
    assert number(choice, fact_base, audience, DAY, {}) == select(fact_base, audience, DAY, {})


def test_a_choice_trimmed_before_numbering_gives_a_consistent_brief():
    fact_base, _ = run_check(FACTS, today=DAY)
    audience = load_audience("defence", None)
    choice = choose(fact_base, audience)
    full = number(choice, fact_base, audience, DAY, {})
    # Keep only the first prose fact of each section, as a length budget might.
    sections = tuple(dataclasses.replace(s, prose=s.prose[:1], judgements=()) for s in choice.sections)
    kept = {f.id for f in choice.key_points} | {f.id for s in sections for f in s.prose}
    dropped = [f for s in choice.sections for f in (*s.prose[1:], *s.judgements) if f.id not in kept]
    assert dropped, "the fixture must give a section more than one fact for this test to mean anything"
    facts = tuple(f for f in choice.facts if f.id in kept or f not in dropped)
    trimmed = number(dataclasses.replace(choice, sections=sections, facts=facts), fact_base, audience, DAY, {})
    assert len(trimmed.notes) < len(full.notes)
    assert [n.number for n in trimmed.notes] == list(range(1, len(trimmed.notes) + 1))
    assert {s.fact.id for s in trimmed.sentences}.isdisjoint(f.id for f in dropped)
    cited = {c.source.id for n in trimmed.notes for c in n.citations}
    assert {s.id for s in trimmed.sources} == cited  # only sources still cited are listed
    assert verify_markdown(render(trimmed, "md", None), trimmed) == []
