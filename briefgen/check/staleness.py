"""Staleness and disagreement as a reader meets them: in the value each brief states as current.

A value that was true then is history, shown in its series with its date, and never stale. A figure
is stale only when a brief states it as current (the newest value that brief carries) while the
base holds a value of the same metric at least `stale_years` younger that the brief does not carry.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from briefgen.brief.analysis import current_values, metric_groups
from briefgen.brief.audiences import Audience
from briefgen.brief.selection import eligible_facts, information_date
from briefgen.common.numbers import format_quantity
from briefgen.errors import Problem
from briefgen.factbase.facts import Fact
from briefgen.factbase.loading import FactBase


@dataclass(frozen=True)
class BriefFacts:
    """The figures one audience's brief carries: what the rules that judge a brief rather than a fact read.

    Stale figures and disagreements are about values of metrics, so only facts with a quantity are
    found (a sixth of a large base): the whole brief is found again only for a warning's information date.
    """

    audience: Audience
    figures: tuple[Fact, ...]

    @functools.cached_property
    def ids(self) -> frozenset[str]:
        return frozenset(f.id for f in self.figures)


def brief_facts(base: FactBase, audiences: list[Audience]) -> list[BriefFacts]:
    figures = [f for f in base.facts if f.quantity is not None]
    return [BriefFacts(a, tuple(eligible_facts(base, a, figures))) for a in audiences]


def _years_between(older: Fact, newer: Fact) -> float:
    (y0, m0, d0), (y1, m1, d1) = older.as_of.sort_key, newer.as_of.sort_key  # type: ignore[union-attr]
    return (y1 - y0) + (m1 - m0) / 12 + (d1 - d0) / 365


def stale_figures(base: FactBase, briefs: list[BriefFacts], years: float) -> list[Problem]:
    """Warn, naming the brief and its sentence, where a brief states as current a value long replaced."""
    newest = current_values(base.facts)
    return [problem for brief in briefs for problem in _stale_in(brief, base, newest, years)]


def _stale_in(brief: BriefFacts, base: FactBase, newest: dict[str, Fact], years: float) -> list[Problem]:
    """One brief's stale figures; its information date, which each warning names, is sought only if any."""
    carried = brief.ids
    stale = [
        (metric, stated, newest[metric])
        for metric, stated in current_values(brief.figures).items()
        if newest[metric].id not in carried and _years_between(stated, newest[metric]) >= years
    ]
    if not stale:
        return []
    carried_all = tuple(eligible_facts(base, brief.audience))
    info = information_date(carried_all, tuple(base.sources[s] for s in _sources_of(carried_all, base)))
    against = f" (information as of {info.text()})" if info else ""
    problems = []
    for metric, stated, latest in stale:
        message = (
            f"stale figure: the {brief.audience.name} brief{against} states this fact's value of {metric} "
            f"(as of {stated.as_of.text()}) as current, in this fact's sentence; {latest.id} gives "  # type: ignore[union-attr]
            f"a value {int(_years_between(stated, latest))} years newer (as of {latest.as_of.text()}), "  # type: ignore[union-attr]
            "which that brief does not carry"
        )
        problems.append(Problem(stated.file, stated.line, stated.id, message, severity="warning"))
    return problems


def _sources_of(facts: tuple[Fact, ...], base: FactBase) -> list[str]:
    return list(dict.fromkeys(ev.source for f in facts for ev in f.evidence if ev.source in base.sources))


def disagreement_problems(base: FactBase, briefs: list[BriefFacts]) -> list[Problem]:
    """Sources giving different values of one metric for one date.

    A brief that carries the clash shows its values side by side (in its series, marked "(sources
    differ)", or under "Where the sources disagree") and its sourcing statement counts it: the
    reader is told, so check reports it as a note. A clash no brief shows is a warning: nobody
    reading the briefs would learn of it.
    """
    problems = []
    carried = [brief.ids for brief in briefs]
    for group in metric_groups(base.facts).values():
        for clash in group.disagreements():
            first = clash[0]
            values = "; ".join(f"{f.id} ({f.evidence[0].source}): {format_quantity(f.quantity)}" for f in clash)  # type: ignore[arg-type]
            message = f"sources disagree on {group.metric} as of {first.as_of.text()}: {values}"  # type: ignore[union-attr]
            seen = any(all(f.id in ids for f in clash) for ids in carried)
            message += (
                "; a brief shows the values side by side, as sources that differ" if seen else "; no brief shows this"
            )
            problems.append(Problem(first.file, first.line, first.id, message, severity="note" if seen else "warning"))
    return problems
