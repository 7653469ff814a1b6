"""Analysis across facts and sources: series and disagreements by metric, source descriptors, source summary."""

from __future__ import annotations

import datetime
import functools
from collections import Counter, defaultdict
from dataclasses import dataclass

from briefgen.factbase.facts import Fact
from briefgen.factbase.sources import Source


@dataclass(frozen=True)
class MetricGroup:
    """All values of one metric among some facts, oldest first."""

    metric: str
    facts: tuple[Fact, ...]

    @property
    def is_series(self) -> bool:
        """Values at two or more dates."""
        return len({f.as_of.raw for f in self.facts if f.as_of}) >= 2

    def disagreements(self) -> list[tuple[Fact, ...]]:
        """Groups of facts that give different values for the same date."""
        return list(self._disagreements)

    @functools.cached_property
    def _disagreements(self) -> tuple[tuple[Fact, ...], ...]:
        """Worked out once per group: selection asks for a group's disagreements several times."""
        by_year: dict[int, list[Fact]] = defaultdict(list)  # facts of one date always share a start year
        for fact in self.facts:
            if fact.as_of is not None:
                by_year[fact.as_of.start.year].append(fact)
        found: list[tuple[Fact, ...]] = []
        grouped: set[int] = set()
        for year_facts in by_year.values():
            for i, fact in enumerate(year_facts):
                rivals = [o for o in year_facts[i + 1 :] if same_date(fact, o) and differ(fact, o)]
                if rivals and id(fact) not in grouped:
                    found.append((fact, *rivals))
                    grouped.update(id(f) for f in found[-1])
        order = {id(f): i for i, f in enumerate(self.facts)}
        return tuple(sorted(found, key=lambda group: order[id(group[0])]))  # in the order of the facts


def same_date(a: Fact, b: Fact) -> bool:
    """Whether two figures refer to the same date, allowing a year to stand for any date in it."""
    if a.as_of is None or b.as_of is None:
        return False
    if a.as_of.raw == b.as_of.raw:
        return True
    coarse = a.as_of.start.precision == "year" or b.as_of.start.precision == "year"
    return coarse and a.as_of.start.year == b.as_of.start.year


def differ(a: Fact, b: Fact) -> bool:
    qa, qb = a.quantity, b.quantity
    if qa is None or qb is None:
        return False
    if isinstance(qa.value, str) or isinstance(qb.value, str):
        return str(qa.value).casefold() != str(qb.value).casefold()
    return (qa.value, qa.unit) != (qb.value, qb.unit)


def metric_groups(facts: list[Fact]) -> dict[str, MetricGroup]:
    """Figures grouped by metric, for the metrics with two or more values."""
    by_metric: dict[str, list[Fact]] = defaultdict(list)
    for fact in facts:
        if fact.quantity is not None and fact.as_of is not None and fact.active:
            by_metric[fact.quantity.metric].append(fact)
    return {
        m: MetricGroup(m, tuple(sorted(fs, key=lambda f: (f.as_of.sort_key, f.id))))  # type: ignore[union-attr]
        for m, fs in sorted(by_metric.items())
        if len(fs) >= 2
    }


def current_values(facts: list[Fact] | tuple[Fact, ...]) -> dict[str, Fact]:
    """The value of each metric a brief states as current: the newest by `as_of`.

    Older values stay true of their dates and are shown in their series, labelled with the date;
    only the current one may be stated in key points and prose. Of values for the same newest date
    (a disagreement, marked in the table), the most salient is stated, then the first by id.
    """
    newest: dict[str, Fact] = {}
    for fact in facts:
        if fact.quantity is None or fact.as_of is None or not fact.active:
            continue
        held = newest.get(fact.quantity.metric)
        if held is None or _newer(fact, held):
            newest[fact.quantity.metric] = fact
    return newest


def _newer(a: Fact, b: Fact) -> bool:
    """Whether a is stated rather than b: later, else (same date) more salient, else first by id."""
    ka, kb = a.as_of.sort_key, b.as_of.sort_key  # type: ignore[union-attr]
    if ka != kb:
        return ka > kb
    return (-a.salience, a.id) < (-b.salience, b.id)


def outdated(fact: Fact, current: dict[str, Fact]) -> bool:
    """A value of a metric whose current value is another fact's, of a later date."""
    if fact.quantity is None or fact.as_of is None:
        return False
    newest = current.get(fact.quantity.metric)
    return newest is not None and newest.as_of.sort_key > fact.as_of.sort_key  # type: ignore[union-attr]


def source_descriptor(source: Source, prepared: datetime.date) -> str:
    """One line on what a source is and what bears on its reliability, from the registry alone."""
    kind = source.type[:1].upper() + source.type[1:]
    parts = [f"{kind} by {source.publisher}" if source.publisher else f"{kind}; publisher not shown"]
    parts.append(f"author {source.author}" if source.author else "author not named")
    if source.published is not None:
        age = prepared.year - source.published.year
        parts.append(f"published {source.published.text()}, {age} year{'s' if age != 1 else ''} before this brief")
    else:
        parts.append("undated")
    if source.notes:
        parts.append(source.notes.rstrip("."))
    return "; ".join(parts) + "."


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s" if not word.endswith("s") else f"{n} {word}"


def source_summary(sources: list[Source], sentence_sources: list[int], disagreements: int) -> str:
    """A statement about the sourcing of a brief, computed from its data and so always true."""
    types = Counter(s.type for s in sources)
    kinds = ", ".join(f"{n} {t}{'' if n == 1 else 's'}" for t, n in sorted(types.items(), key=lambda x: (-x[1], x[0])))
    years = sorted(s.published.year for s in sources if s.published is not None)
    span = (
        f"published {years[0]}–{years[-1]}"
        if len(set(years)) > 1
        else (f"published {years[0]}" if years else "undated")
    )
    undated = len(sources) - len(years)
    single = sum(1 for n in sentence_sources if n == 1)
    text = f"This brief draws on {_plural(len(sources), 'source')} ({kinds}), {span}"
    text += f", {undated} undated" if undated and years else ""
    text += f". {single} of its {len(sentence_sources)} cited statements rest on a single source"
    text += f" and {len(sentence_sources) - single} on two or more."
    if disagreements:
        text += (
            f" The sources disagree on {_plural(disagreements, 'measure')}; the tables show their values side by side."
        )
    else:
        text += " The sources do not disagree on any measure the brief reports."
    return text
