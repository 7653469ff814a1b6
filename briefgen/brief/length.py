"""Length: cut a chosen brief to what matters most, for a page budget (`build --pages N`).

A `Choice` is cut into units (facts that go together: one event or measure told in several facts,
a series, a disagreement), each weighed for the audience; `cut(choice, keep)` keeps the key points
and the `keep` heaviest units. How many units fit N pages is found by the build: an estimate from
the Markdown's length, then the rendered PDF's page count (publish.fit).

The rule, written down: key points always (a budget that cannot hold them is an error); then units
by weight, where a fact weighs its salience (1-5) plus the audience's weight for its best topic,
plus one when it is the newest value of its measure; a unit weighs its heaviest fact; among units
of equal weight, one from a source used less so far comes first (variety of sources).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass

from briefgen.brief.analysis import MetricGroup, current_values
from briefgen.brief.audiences import Audience
from briefgen.brief.selection import Choice, Length, SectionChoice, key_point_score, same_story, source_of
from briefgen.factbase.facts import Fact

SERIES_ROWS = 3  # a short brief's table of a series shows its newest rows only
SOURCE_VARIETY = 0.5  # weight a unit loses for each unit already kept from its least-used source


@dataclass(frozen=True)
class Unit:
    """Facts kept or dropped together, where they stand in the brief, and what they weigh."""

    facts: tuple[Fact, ...]
    weight: int
    place: tuple[int, str]  # section index (-1: disagreements) and "prose", "judgement", "series" or "clash"
    order: int  # position in the full brief: ties in weight keep reading order


def newest_values(choice: Choice) -> set[str]:
    """Ids of the facts that give the current (newest) value of their measure."""
    return {f.id for f in current_values(choice.facts).values()}


def weigh(fact: Fact, audience: Audience, newest: set[str]) -> int:
    return key_point_score(fact, audience) + (1 if fact.id in newest else 0)


def related(facts: tuple[Fact, ...]) -> list[tuple[Fact, ...]]:
    """Facts in groups that stand or fall together: same event or same measure (`same_story`)."""
    groups: list[list[Fact]] = []
    for fact in facts:
        home = next((g for g in groups if any(same_story(fact, other) for other in g)), None)
        if home is None:
            groups.append([fact])
        else:
            home.append(fact)
    return [tuple(g) for g in groups]


def units_of(choice: Choice, audience: Audience) -> list[Unit]:
    """Every part of the brief below the key points, as units in reading order."""
    newest = newest_values(choice)
    found: list[tuple[tuple[Fact, ...], tuple[int, str]]] = []
    for i, section in enumerate(choice.sections):
        found += [(g, (i, "prose")) for g in related(section.prose)]
        found += [(g.facts, (i, "series")) for g in section.series]
        found += [(g, (i, "judgement")) for g in related(section.judgements)]
    found += [(clash, (-1, "clash")) for _group, clash in choice.disagreements]
    return [
        Unit(facts=facts, weight=max(weigh(f, audience, newest) for f in facts), place=place, order=n)
        for n, (facts, place) in enumerate(found)
    ]


def ranked(units: list[Unit]) -> list[Unit]:
    """Units heaviest first; among equals, one whose source has been used least so far, then reading order."""
    left = list(units)
    used: Counter[str] = Counter()
    order: list[Unit] = []
    while left:
        best = min(left, key=lambda u: (SOURCE_VARIETY * min(used[source_of(f)] for f in u.facts) - u.weight, u.order))
        left.remove(best)
        order.append(best)
        used.update({source_of(f) for f in best.facts})
    return order


def cut(choice: Choice, audience: Audience, keep: int, pages: int) -> Choice:
    """The choice with its key points and its `keep` heaviest units, in reading order; no timeline.

    A short brief leaves the timeline out: it retells events the sections tell.
    """
    kept = ranked(units_of(choice, audience))[:keep]
    chosen = {id(f) for u in kept for f in u.facts}
    sections = tuple(_cut_section(s, chosen) for s in choice.sections)
    clashes = tuple((g, c) for g, c in choice.disagreements if all(id(f) in chosen for f in c))
    shown = {f.id for f in choice.key_points}
    shown |= {f.id for s in sections for f in (*s.prose, *s.judgements, *(f for g in s.series for f in g.facts))}
    shown |= {f.id for _g, c in clashes for f in c}
    facts = tuple(f for f in choice.facts if f.id in shown)
    length = Length(pages=pages, left_out=len(choice.facts) - len(facts), full_brief=f"{audience.name}-brief")
    return dataclasses.replace(
        choice, sections=sections, timeline=(), disagreements=clashes, facts=facts, length=length
    )


def units_count(choice: Choice, audience: Audience) -> int:
    return len(units_of(choice, audience))


def _cut_section(section: SectionChoice, chosen: set[int]) -> SectionChoice:
    series = [g for g in section.series if all(id(f) in chosen for f in g.facts)]
    newest = tuple(_newest_rows(g) for g in series)
    return dataclasses.replace(
        section,
        prose=tuple(f for f in section.prose if id(f) in chosen),
        judgements=tuple(f for f in section.judgements if id(f) in chosen),
        series=newest,
        series_cut=tuple(len(g.facts) - len(n.facts) for g, n in zip(series, newest, strict=True)),
    )


def _newest_rows(group: MetricGroup) -> MetricGroup:
    """A series' newest rows (its facts are oldest first)."""
    return dataclasses.replace(group, facts=group.facts[-SERIES_ROWS:])
