"""Selection: choose and order the facts of one audience's brief, and number its notes."""

from __future__ import annotations

import dataclasses
import datetime
import functools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from briefgen.brief.analysis import MetricGroup, current_values, metric_groups, outdated
from briefgen.brief.audiences import Audience, SectionSpec
from briefgen.common.numbers import format_quantity
from briefgen.factbase.dates import DateSpec
from briefgen.factbase.facts import Fact
from briefgen.factbase.loading import FactBase
from briefgen.factbase.relative import span_of
from briefgen.factbase.sources import Source

PARAGRAPH_MAX = 5  # sentences; a new paragraph also starts when the year changes after three


@dataclass(frozen=True)
class Citation:
    """One source passage behind a note: full reference the first time a source is cited."""

    source: Source
    locator: str
    quote: str
    first: bool


@dataclass(frozen=True)
class Note:
    """A numbered note: the passages behind one sentence, or behind a chart's values (`corroborating` False)."""

    number: int
    fact: Fact
    citations: tuple[Citation, ...]
    corroborating: bool = True  # every citation supports the same statement

    @property
    def independent_sources(self) -> int:
        """How many distinct sources state what the note supports (0 for a chart's several values)."""
        return len({c.source.id for c in self.citations}) if self.corroborating else 0


@dataclass(frozen=True)
class Sentence:
    """A fact's statement as it stands in the brief, with its note."""

    fact: Fact
    note: Note

    @property
    def text(self) -> str:
        """The statement, with the source's likelihood and confidence where an assessment gives them."""
        fact = self.fact
        tags = [t for t in (fact.likelihood, f"{fact.confidence} confidence" if fact.confidence else None) if t]
        if not tags:
            return fact.statement
        body = fact.statement.rstrip()
        end = body[-1] if body[-1] in ".!?" else "."
        return f"{body.rstrip('.!?')} ({'; '.join(tags)}){end}"


@dataclass(frozen=True)
class SeriesRow:
    when: str
    figure: str
    sentence: Sentence
    disputed: bool = False  # another source gives a different value for the same date


@dataclass(frozen=True)
class Caption:
    """A figure's caption: a sentence of ours whose note cites every value drawn."""

    text: str
    note: Note


@dataclass(frozen=True)
class Series:
    """Values of one metric at several dates (or from several sources), one cited row each."""

    metric: str
    label: str
    rows: tuple[SeriesRow, ...]
    unit: str = ""
    points: tuple[tuple[float, float], ...] = ()  # (decimal year, value) when the series can be charted
    caption: Caption | None = None
    figure: int = 0
    omitted: int = 0  # older rows a short brief leaves out of the table


@dataclass(frozen=True)
class TimelineRow:
    when: str
    sentence: Sentence


@dataclass(frozen=True)
class Section:
    title: str
    paragraphs: tuple[tuple[Sentence, ...], ...]
    series: tuple[Series, ...]
    judgements: tuple[Sentence, ...]

    @property
    def empty(self) -> bool:
        return not (self.paragraphs or self.series or self.judgements)

    @property
    def judgement_paragraphs(self) -> tuple[tuple[Sentence, ...], ...]:
        """The judgements in paragraphs: one source's run at a time, at most PARAGRAPH_MAX sentences each.

        `choose` orders judgements source by source, so a paragraph reads as one source's view.
        """
        paragraphs: list[list[Sentence]] = []
        for sentence in self.judgements:
            current = paragraphs[-1] if paragraphs else None
            same = current is not None and source_of(current[-1].fact) == source_of(sentence.fact)
            if current is not None and same and len(current) < PARAGRAPH_MAX:
                current.append(sentence)
            else:
                paragraphs.append([sentence])
        return tuple(tuple(p) for p in paragraphs)


@dataclass(frozen=True)
class Changes:
    """What is new in this edition of a brief, and what left it, since the previous edition."""

    since: str
    added: tuple[Sentence, ...]
    removed: tuple[str, ...]


@dataclass(frozen=True)
class Length:
    """A brief cut to a page budget: how many pages, and how much of the full brief it leaves out."""

    pages: int
    left_out: int  # statements of the full brief this one does not carry
    full_brief: str  # the full brief's file name without its extension: 'defence-brief'

    @property
    def pages_words(self) -> str:
        """'two-page', as the closing line says it."""
        return f"{PAGE_WORDS.get(self.pages, str(self.pages))}-page"


PAGE_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine"}


@dataclass(frozen=True)
class Brief:
    """Everything one brief says, in reading order, ready for a template."""

    audience: Audience
    prepared: datetime.date
    information_as_of: DateSpec | None
    key_points: tuple[Sentence, ...]
    sections: tuple[Section, ...]
    sources: tuple[Source, ...]
    notes: tuple[Note, ...]
    facts: tuple[Fact, ...]
    changes: Changes | None = None
    timeline: tuple[TimelineRow, ...] = ()
    disagreements: tuple[Series, ...] = ()  # clashes of measures not already shown as a series
    disputed_measures: int = 0  # every measure on which the cited sources disagree
    length: Length | None = None  # set when the brief is cut to a page budget

    @property
    def sentences(self) -> list[Sentence]:
        found = list(self.key_points)
        if self.changes:
            found += self.changes.added
        for section in self.sections:
            found += [s for p in section.paragraphs for s in p]
            found += [row.sentence for series in section.series for row in series.rows]
            found += section.judgements
        found += [row.sentence for row in self.timeline]
        found += [row.sentence for d in self.disagreements for row in d.rows]
        return found

    @property
    def figures(self) -> list[Series]:
        return [s for section in self.sections for s in section.series if s.caption is not None]


def matches(spec: SectionSpec, fact: Fact) -> bool:
    return takes(spec, fact.kind, fact.topics) and in_years(spec, fact.when)


def takes(spec: SectionSpec, kind: str, topics: tuple[str, ...]) -> bool:
    """Whether a section takes a fact of this kind and these topics, its date aside."""
    found = set(topics)
    if kind not in spec.kinds or not found & spec.topics:
        return False
    return not spec.require_any or bool(found & spec.require_any)


def in_years(spec: SectionSpec, when: DateSpec | None) -> bool:
    """Whether a date falls in a section's years (any date, or none, when the section has no bounds)."""
    if spec.year_from is None and spec.year_until is None:
        return True
    if when is None:
        return False
    year = when.sort_key[0]  # a qualified date sorts inside its span: "late 1970s" is after 1976
    return (spec.year_from is None or year >= spec.year_from) and (spec.year_until is None or year <= spec.year_until)


@functools.lru_cache(maxsize=16)
def section_finder(sections: tuple[SectionSpec, ...]) -> Callable[[Fact], int | None]:
    """Which of a brief's sections takes a fact: the first that `matches` it, else None.

    A large base repeats few combinations of kind and topics: the sections each one could go to are
    found once, and only a fact's date is then read for each fact (by the sections bounded by years).
    One finder serves every look-up for the same sections: the gate's and the build's.
    """
    candidates: dict[tuple[str, tuple[str, ...]], tuple[int, ...]] = {}
    bounded = [spec.year_from is not None or spec.year_until is not None for spec in sections]

    def section_of(fact: Fact) -> int | None:
        key = (fact.kind, fact.topics)
        found = candidates.get(key)
        if found is None:
            found = candidates[key] = tuple(i for i, spec in enumerate(sections) if takes(spec, *key))
        for i in found:
            if not bounded[i] or in_years(sections[i], fact.when):
                return i
        return None

    return section_of


def source_of(fact: Fact) -> str:
    """The source a fact is first drawn from: judgements are grouped by it."""
    return fact.evidence[0].source if fact.evidence else ""


def chronological(fact: Fact) -> tuple:
    when = fact.when
    return (when is None, when.sort_key if when else (0, 0, 0), -fact.salience, fact.id)


def key_point_score(fact: Fact, audience: Audience) -> int:
    """Salience plus the weight this audience gives the fact's best topic."""
    return fact.salience + max((audience.topic_weights.get(t, 0) for t in fact.topics), default=0)


def choose_key_points(facts: list[Fact], audience: Audience) -> list[Fact]:
    """The highest-scoring facts (then the latest, then by id), one per story, up to the profile's count.

    The facts are taken score by score, best first, and only a score's own facts are sorted: a key
    point is almost always among the few of the best score, not among all the brief's facts.
    """

    def rank(fact: Fact) -> tuple:  # within one score
        when = fact.when
        return (-(when.sort_key[0] if when else 0), fact.id)

    by_score: dict[int, list[Fact]] = defaultdict(list)
    for fact in facts:
        if fact.kind in audience.key_point_kinds:
            by_score[key_point_score(fact, audience)].append(fact)
    chosen: list[Fact] = []
    for score in sorted(by_score, reverse=True):
        for fact in sorted(by_score[score], key=rank):
            if len(chosen) == audience.key_point_count:
                return chosen
            if not any(same_story(fact, other) for other in chosen):
                chosen.append(fact)
    return chosen


def same_story(a: Fact, b: Fact) -> bool:
    """Two facts about one event or measure: one of them is enough among the key points."""
    if a.quantity and b.quantity and a.quantity.metric == b.quantity.metric:
        return True
    same_when = a.when is not None and b.when is not None and a.when.raw == b.when.raw
    return same_when and bool(set(a.topics) & set(b.topics))


def assign_sections(facts: list[Fact], audience: Audience) -> dict[int, list[Fact]]:
    """Give each fact to the first section that takes it."""
    placed: dict[int, list[Fact]] = defaultdict(list)
    section_of = section_finder(audience.sections)
    for fact in facts:
        i = section_of(fact)
        if i is not None:
            placed[i].append(fact)
    return placed


def paragraphs_of(facts: list[Fact]) -> list[list[Fact]]:
    paragraphs: list[list[Fact]] = []
    for fact in sorted(facts, key=chronological):
        current = paragraphs[-1] if paragraphs else None
        year = fact.when.start.year if fact.when else None
        last = current[-1].when.start.year if current and current[-1].when else None
        if current is None or len(current) >= PARAGRAPH_MAX or (len(current) >= 3 and year != last):
            paragraphs.append([fact])
        else:
            current.append(fact)
    return paragraphs


class _Numbering:
    """Hands out note numbers in reading order and knows which sources were cited before."""

    def __init__(self, base: FactBase, short: bool = False):
        self.base = base
        self.notes: list[Note] = []
        self.cited: list[str] = []  # in the order first cited
        self._cited: set[str] = set()  # the same, to look up
        self.short = short  # a short brief's notes cite short references: the full ones are in its source list

    def citations_again(self, fact: Fact) -> list[Citation]:
        """Citations of a fact whose sources are all cited already: short references."""
        return [
            Citation(source=self.base.sources[a.source], locator=a.locator, quote=ev.quote, first=False)
            for ev, a in zip(fact.evidence, self.base.anchors_of(fact), strict=False)
        ]

    def note(self, fact: Fact, citations: tuple[Citation, ...], corroborating: bool = True) -> Note:
        note = Note(number=len(self.notes) + 1, fact=fact, citations=citations, corroborating=corroborating)
        self.notes.append(note)
        return note

    def sentence(self, fact: Fact) -> Sentence:
        citations = []
        for ev, anchor in zip(fact.evidence, self.base.anchors_of(fact), strict=False):
            first = anchor.source not in self._cited
            if first:
                self.cited.append(anchor.source)
                self._cited.add(anchor.source)
            first = first and not self.short
            source = self.base.sources[anchor.source]
            citations.append(Citation(source=source, locator=anchor.locator, quote=ev.quote, first=first))
        return Sentence(fact=fact, note=self.note(fact, tuple(citations)))


def metric_label(metric: str, labels: dict[str, str]) -> str:
    return labels.get(metric) or metric.replace("-", " ").capitalize()


def _row(fact: Fact, numbering: _Numbering, *, disputed: bool) -> SeriesRow:
    when = fact.as_of.text() if fact.as_of else "—"
    figure = format_quantity(fact.quantity) if fact.quantity else "—"
    return SeriesRow(when=when, figure=figure, sentence=numbering.sentence(fact), disputed=disputed)


def _decimal_year(fact: Fact) -> float:
    year, month, day = fact.as_of.sort_key  # type: ignore[union-attr]
    return float(year) + (month - 1) / 12 + (day - 1) / 365


def chart_points(facts: tuple[Fact, ...]) -> tuple[str, tuple[tuple[float, float], ...]] | None:
    """The unit and points of a series that can be drawn: numbers in one unit at two or more dates."""
    quantities = [f.quantity for f in facts if f.quantity is not None]
    units = {q.unit for q in quantities}
    if len(units) != 1 or not all(q.numeric for q in quantities):
        return None
    points = tuple(sorted({(_decimal_year(f), float(f.quantity.value)) for f in facts}))  # type: ignore[union-attr]
    return (units.pop(), points) if len({x for x, _ in points}) >= 2 else None


def _series(group: MetricGroup, label: str, numbering: _Numbering, audience: Audience, figures: list[int]) -> Series:
    disputed = {f.id for clash in group.disagreements() for f in clash}
    rows = tuple(_row(f, numbering, disputed=f.id in disputed) for f in group.facts)
    drawable = chart_points(group.facts)
    if not (audience.charts and drawable):
        return Series(metric=group.metric, label=label, rows=rows)
    unit, points = drawable
    figures.append(len(figures) + 1)
    number = figures[-1]
    text = f"Figure {number} charts the values in the table above ({label}), in {unit}."
    citations = tuple(c for row in rows for c in numbering.citations_again(row.sentence.fact))
    note = numbering.note(group.facts[0], citations, corroborating=False)
    caption = Caption(text=text, note=note)
    return Series(metric=group.metric, label=label, rows=rows, unit=unit, points=points, caption=caption, figure=number)


@dataclass(frozen=True)
class SectionChoice:
    """The facts one section will show, chosen and placed but not yet numbered."""

    title: str
    prose: tuple[Fact, ...]  # in base order; in date order and paragraphs once numbered
    series: tuple[MetricGroup, ...]
    judgements: tuple[Fact, ...]
    series_cut: tuple[int, ...] = ()  # per series: older rows a short brief leaves out (none if empty)


@dataclass(frozen=True)
class Choice:
    """What one audience's brief will say, in reading order, before any note is numbered.

    A step that trims a brief (to a length, say) works here, between `choose` and `number`.
    """

    key_points: tuple[Fact, ...]
    sections: tuple[SectionChoice, ...]  # one per section of the profile, empty ones included
    timeline: tuple[Fact, ...]
    disagreements: tuple[tuple[MetricGroup, tuple[Fact, ...]], ...]  # clashes of measures shown in no series
    disputed_measures: int
    facts: tuple[Fact, ...]  # every fact the brief carries: key points, then the rest in base order
    length: Length | None = None  # set by a step that cut the brief to a page budget


def select(
    base: FactBase,
    audience: Audience,
    prepared: datetime.date,
    metric_labels: dict[str, str],
    previous: tuple[dict[str, str], str] | None = None,
) -> Brief:
    """Choose, order and number everything the audience's brief will say.

    `previous` holds the facts (id to statement) of the previous edition and its date; with it the
    brief gains a section on what changed since.
    """
    return number(choose(base, audience), base, audience, prepared, metric_labels, previous)


# --- choosing: which facts, and where they stand ----------------------------------------------


def choose(base: FactBase, audience: Audience) -> Choice:
    """Eligible facts, then key points, placement in sections, series, timeline and disagreements."""
    eligible = eligible_facts(base, audience)
    groups = metric_groups(eligible)
    key_facts = choose_key_points(stated_as_current(eligible, groups), audience)
    key_ids = {f.id for f in key_facts}  # ids, not facts: comparing or hashing a fact reads every field
    rest = eligible if audience.key_points_repeat else [f for f in eligible if f.id not in key_ids]
    homes = series_homes(eligible, groups, audience)
    return Choice(
        key_points=tuple(key_facts),
        sections=section_choices(rest, groups, homes, audience),
        timeline=timeline_facts(eligible, audience),
        disagreements=clashes(groups, homes),
        disputed_measures=sum(1 for g in groups.values() if g.disagreements()),
        facts=tuple({f.id: f for f in [*key_facts, *rest]}.values()),
    )


def stated_as_current(eligible: list[Fact], groups: dict[str, MetricGroup]) -> list[Fact]:
    """The facts a key point may state: no outdated value, and no value sources dispute for its date.

    A disputed value is shown beside its rival in a table marked "(sources differ)"; a key point
    stating one of them alone would hide the disagreement.
    """
    current = current_values(eligible)
    disputed = {f.id for g in groups.values() for clash in g.disagreements() for f in clash}
    return [f for f in eligible if not outdated(f, current) and f.id not in disputed]


def eligible_facts(base: FactBase, audience: Audience, among: list[Fact] | None = None) -> list[Fact]:
    """The active facts that some section of the audience's brief takes, in base order (of `among`, if given)."""
    section_of = section_finder(audience.sections)
    return [f for f in (base.facts if among is None else among) if f.active and section_of(f) is not None]


def series_homes(eligible: list[Fact], groups: dict[str, MetricGroup], audience: Audience) -> dict[str, int]:
    """The section of each series: the first that takes one of its values, key points included.

    A series shows every value of its metric, so a key point's figure appears in its table too.
    """
    section_of = {f.id: i for i, fs in assign_sections(eligible, audience).items() for f in fs}
    return {m: min(section_of[f.id] for f in g.facts if f.id in section_of) for m, g in groups.items() if g.is_series}


def section_choices(
    rest: list[Fact], groups: dict[str, MetricGroup], homes: dict[str, int], audience: Audience
) -> tuple[SectionChoice, ...]:
    """Each section's prose and judgements (the facts no series shows) and the series it holds."""
    placed = assign_sections(rest, audience)
    # An event that also changes a measured level (a partnership upgrade) is told in prose as well.
    in_series = {f.id for m in homes for f in groups[m].facts if f.kind != "event"}
    return tuple(
        _section_choice(
            title=spec.title,
            facts=[f for f in placed.get(i, []) if f.id not in in_series],
            series=tuple(g for m, g in groups.items() if homes.get(m) == i),
        )
        for i, spec in enumerate(audience.sections)
    )


def _section_choice(title: str, facts: list[Fact], series: tuple[MetricGroup, ...]) -> SectionChoice:
    """Prose in base order; judgements (assessments) source by source, most salient first.

    A source's judgements stand together, so their paragraphs read as one source's view; the sources
    come in the order of their most salient judgement.
    """
    prose = tuple(f for f in facts if f.kind != "assessment")
    judged = sorted((f for f in facts if f.kind == "assessment"), key=lambda f: (-f.salience, f.file, f.line))
    first = {src: i for i, src in reversed(list(enumerate(source_of(f) for f in judged)))}
    judged.sort(key=lambda f: first[source_of(f)])  # stable: salience order within a source
    return SectionChoice(title=title, prose=prose, series=series, judgements=tuple(judged))


def timeline_facts(eligible: list[Fact], audience: Audience) -> tuple[Fact, ...]:
    """Dated events salient enough for the audience's timeline (none if the profile has no timeline)."""
    if not audience.timeline_salience:
        return ()
    return tuple(
        f
        for f in sorted(eligible, key=chronological)
        if f.kind == "event" and f.date and f.salience >= audience.timeline_salience
    )


def clashes(groups: dict[str, MetricGroup], homes: dict[str, int]) -> tuple[tuple[MetricGroup, tuple[Fact, ...]], ...]:
    """Values of one measure for one date that differ, for the measures no series shows side by side."""
    return tuple((g, clash) for m, g in groups.items() if m not in homes for clash in g.disagreements())


# --- numbering: notes in reading order, and the Brief -----------------------------------------


def number(
    choice: Choice,
    base: FactBase,
    audience: Audience,
    prepared: datetime.date,
    metric_labels: dict[str, str],
    previous: tuple[dict[str, str], str] | None = None,
) -> Brief:
    """Number the notes of a chosen brief in reading order and cite each source in full the first time."""
    numbering = _Numbering(base, short=choice.length is not None)
    key_points = tuple(numbering.sentence(f) for f in choice.key_points)
    changes = _changes(choice, numbering, previous) if previous is not None else None
    figures: list[int] = []  # the numbers of the figures drawn so far
    sections = [_section(s, numbering, audience, metric_labels, figures) for s in choice.sections]
    timeline = tuple(
        TimelineRow(when=f.date.text() if f.date else "—", sentence=numbering.sentence(f)) for f in choice.timeline
    )
    disagreements = _disagreements(choice, numbering, metric_labels)
    cited = tuple(base.sources[s] for s in numbering.cited)
    return Brief(
        audience=audience,
        prepared=prepared,
        information_as_of=information_date(choice.facts, cited),
        key_points=key_points,
        sections=tuple(s for s in sections if not s.empty),
        sources=cited,
        notes=tuple(numbering.notes),
        facts=choice.facts,
        changes=changes,
        timeline=timeline,
        disagreements=disagreements,
        disputed_measures=choice.disputed_measures,
        length=choice.length,
    )


def _changes(choice: Choice, numbering: _Numbering, previous: tuple[dict[str, str], str]) -> Changes:
    """What entered the brief since the previous edition (in date order) and what left it."""
    before, since = previous
    chosen_ids = {f.id for f in choice.facts}
    added = [f for f in sorted(choice.facts, key=chronological) if f.id not in before]
    removed = tuple(before[i] for i in sorted(before) if i not in chosen_ids)
    return Changes(since=since, added=tuple(numbering.sentence(f) for f in added), removed=removed)


def _section(
    choice: SectionChoice, numbering: _Numbering, audience: Audience, labels: dict[str, str], figures: list[int]
) -> Section:
    """One section numbered: its paragraphs, then its series (and figures), then its judgements."""
    paragraphs = tuple(tuple(numbering.sentence(f) for f in p) for p in paragraphs_of(list(choice.prose)))
    cuts = choice.series_cut or (0,) * len(choice.series)
    series = tuple(
        dataclasses.replace(_series(g, metric_label(g.metric, labels), numbering, audience, figures), omitted=cut)
        for g, cut in zip(choice.series, cuts, strict=True)
    )
    judgements = tuple(numbering.sentence(f) for f in choice.judgements)
    return Section(title=choice.title, paragraphs=paragraphs, series=series, judgements=judgements)


def _disagreements(choice: Choice, numbering: _Numbering, labels: dict[str, str]) -> tuple[Series, ...]:
    """Each clash shown as a small table of its disputed values, after the timeline."""
    return tuple(
        Series(
            metric=g.metric,
            label=metric_label(g.metric, labels),
            rows=tuple(_row(f, numbering, disputed=True) for f in clash),
        )
        for g, clash in choice.disagreements
    )


def information_date(facts: tuple[Fact, ...], sources: tuple[Source, ...]) -> DateSpec | None:
    """The information date of a brief: the latest date its facts and cited sources support.

    A fact's `date`/`as_of` counts, and a source's `published` or `retrieved`, so that an undated
    newest source does not leave the brief dated by an older one. A fact dated after its source was
    published or retrieved (a plan, a forecast) is not information of that date and does not count.
    Facts share their dates: each date's last day is worked out once, and the latest is sought among
    the distinct dates, each where it first counted (of equal latest dates, the first wins).
    """
    # Keyed by identity: a date object is shared by many facts (and all of them outlive this call).
    last_days: dict[int, datetime.date] = {}

    def last_day(date: DateSpec) -> datetime.date:
        day = last_days.get(id(date))
        if day is None:
            day = last_days[id(date)] = span_of(date)[1]
        return day

    written = {s.id: [d for d in (s.published, s.retrieved) if d is not None] for s in sources}
    caps = {source: max(map(last_day, dates), default=None) for source, dates in written.items()}
    found = {id(d): d for s in sources for d in (s.published, s.retrieved) if d is not None}
    for fact in facts:
        cap = caps.get(fact.evidence[0].source) if fact.evidence else None
        for date in (fact.date, fact.as_of):
            if date is not None and (cap is None or last_day(date) <= cap):
                found[id(date)] = date
    return max(found.values(), key=lambda d: (last_day(d), d.sort_key)) if found else None
