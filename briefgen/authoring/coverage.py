"""Which sentences of a source carry a fact (a date, a figure, a named agreement), and which no fact covers yet.

The sentence detection and the covered rule here are the ones `briefgen extract` proposes candidates with.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from briefgen.common.numbers import MONTHS
from briefgen.common.sentences import split_sentences
from briefgen.errors import FactBaseError, Problem, UsageError
from briefgen.factbase.anchoring import Match, ends_hyphenated, normalise
from briefgen.factbase.dates import DateError, DateSpec, parse_date
from briefgen.factbase.exclusions import Exclusion, read_exclusions
from briefgen.factbase.loading import FactBase
from briefgen.factbase.sources import SourceText

# --- Which lines are prose ------------------------------------------------------------------------

_REFERENCES_HEAD = re.compile(r"^\s*(references|bibliography|works cited)\s*:?\s*$", re.I)
_FURNITURE = re.compile(r"^\s*(\d{1,3}|page \d+|no\. ?\d+|issue:? ?\d+|issn [\d-]+)\s*$", re.I)
_REFERENCE_LINE = re.compile(
    r"https?://|www\.|available at:|^\s*[^()\n]{2,80}\.\s\((?:1[89]\d\d|20\d\d|n\.d\.)[a-z]?[,)]", re.I
)
_BOILERPLATE = re.compile(
    r"leave a reply|you are commenting using|fill in your details|log out|connecting to %s|click here"
    r"|views expressed|all rights reserved|comments are welcome|now available on|share this|subscribe"
    r"|image credit|billboard banner|^\W*source:",
    re.I,
)
_FOOTNOTE_CALL_START = re.compile(r"^\d{1,2}\s+(?=[A-Z“\"])")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\d{0,2}$")
_MIN_WORDS = 5


def _is_break(line: str) -> bool:
    """Blank lines, page numbers, capitals-only headings and reference entries end a run of prose."""
    text = line.strip()
    heading = any(c.isalpha() for c in text) and not any(c.islower() for c in text)
    return not text or heading or bool(_FURNITURE.match(text) or _REFERENCE_LINE.search(text))


# 'activities.At the event': a sentence glued to the next by a lost space (not 'U.S.' or '3.5').
_GLUED = re.compile(r"(?<=[a-z0-9]{2}[.!?])(?=[A-Z][a-z])|(?<=[a-z0-9]{2}[.!?][”\"’'])(?=[A-Z][a-z])")


def _join(lines: list[str]) -> str:
    """Join hard-wrapped lines; a hyphen at a line end joins the word, as the normaliser does."""
    joined = lines[0]
    for line in lines[1:]:
        joined += line if ends_hyphenated(joined) else " " + line
    return _GLUED.sub(" ", joined)


def _blocks(raw: str, page_starts: tuple[int, ...]) -> Iterator[str]:
    """Yield runs of prose: a paginated source's paragraphs joined up (never across pages), else single lines."""
    current: list[str] = []
    for number, line in enumerate(raw.split("\n"), start=1):
        if _REFERENCES_HEAD.match(line):
            break  # a reference list runs to the end of the text
        if current and (number in page_starts or _is_break(line) or not page_starts):
            yield _join(current)
            current = []
        if not _is_break(line):
            current.append(line.strip())
    if current:
        yield _join(current)


# --- What a sentence carries ----------------------------------------------------------------------

_MONTHS = "|".join(MONTHS)
_MONTH = rf"(?:{_MONTHS}|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?)"
_QUAL = r"(?:(?P<q>early|mid|late|Early|Mid|Late)[- ](?:the )?)?"
_ORD = r"\d{1,2}(?:st|nd|rd|th)"
_DATE_PATTERNS = {
    "days": re.compile(rf"\b(?P<d>\d{{1,2}}) (?P<m>{_MONTH}) to (?P<d2>\d{{1,2}}) (?P<m2>{_MONTH}),? (?P<y>\d{{4}})\b"),
    "iso": re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\b"),
    "dmy": re.compile(rf"\b(?P<d>\d{{1,2}}) (?P<m>{_MONTH}),? (?P<y>\d{{4}})\b"),
    "mdy": re.compile(rf"\b(?P<m>{_MONTH}) (?P<d>\d{{1,2}}), (?P<y>\d{{4}})\b"),
    "month": re.compile(rf"{_QUAL}\b(?P<m>{_MONTH}),? (?P<y>\d{{4}})\b"),
    "decade": re.compile(rf"{_QUAL}\b(?P<y>\d{{3}}0)s\b"),
    "century": re.compile(rf"{_QUAL}\b(?P<n>{_ORD})(?: and (?P<n2>{_ORD}))?[- ]centur"),
    "year": re.compile(rf"{_QUAL}\b(?P<y>1\d\d\d|20\d\d)\b(?!\.\d|,\d{{3}})"),
    "old-year": re.compile(r"\b(?:in|since|by|from|until|of) (?P<y>\d{3})\b(?!\.\d)"),
}
_DAY_MONTH = re.compile(rf"\b\d{{1,2}} {_MONTH}|{_MONTH} \d{{1,2}}\b")
_CITATION = re.compile(r"\([^()]*\b\d{4}[a-z]?\b[^()]*\)")
_NOT_FIGURES = re.compile(
    r"\b\d+(?:st|nd|rd|th)\b"  # ordinals: '40th anniversary'
    r"|\b(?:Article|Chapter|Section|No\.) \d+"  # numbered parts: 'Article 9'
    r"|\b(?=\w*[A-Za-z])(?=\w*\d)\w+"  # model names: 'P-3C', 'G20'
    r"|(?<=[a-z.,;:”\"')])\d{1,2}\b"  # footnote calls: 'operations2', 'in 1973.2'
)
_MONEY = re.compile(r"per ?cent|%|[$¥€£]|\b(?:USD|yen|dollars?|billion|million|trillion)\b", re.I)
_NAME_WORDS = (
    r"Agreements?|Partnerships?|Dialogues?|Plans?|Memorandum|Statements?|Visions?|Strateg(?:y|ies)"
    r"|Initiatives?|Accords?|Treat(?:y|ies)|Declarations?|Frameworks?|Programmes?|Programs?|Pacts?|Charters?|Quad"
)
_NAMED = re.compile(rf"((?:\b[A-Z][\w’'&-]*\s+(?:(?:of|and|for|on)\s+)?)+)(?:{_NAME_WORDS})\b")
_ACRONYM_NAMED = re.compile(r"\bMOUs?\b|\bMemorandum of Understanding\b")
_NOT_A_NAME = {"The", "This", "That", "These", "Those", "A", "An", "Its", "Their", "Our", "Such", "Any", "Each"}
_VISIT = re.compile(r"\b(?:visit\w*|trips?|travell?ed|toured)\b", re.I)
_JUDGEMENT = re.compile(
    r"\b(?:[Aa]rgu|[Ll]ikel|[Uu]nlikel|[Ss]hould|[Ii]mportan|[Cc]rucial|[Cc]ritical|[Ss]ignifican|[Pp]erhaps"
    r"|[Pp]robabl|[Ee]xpect|[Bb]eliev|[Ss]uggest|[Aa]ppear|[Ss]eems?\b|[Ee]ssential|[Nn]ecessit|[Ee]vident"
    r"|[Nn]otabl|[Vv]aluable)\w*|\b(?:is|are) bound to\b|\b(?:may|might|could|must)\b|remains to be seen"
)


# Ranks and ordinals written as words: 'third in investment', 'the fourth largest trading partner'.
_RANK = re.compile(
    r"\b(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d+(?:st|nd|rd|th))"
    r"(?:[- ]largest| biggest| most| in| among| country| to| time)\b|\b(?:largest|biggest|top)\b",
    re.I,
)
_COMMITMENT = re.compile(
    r"\b(?:agree[ds]?|agreed to|pledged?|pledges|promised?|commit(?:s|ted)?|vow(?:s|ed)?|signed|sign|sealed"
    r"|would (?:promote|provide|support|help|strengthen|enhance|contribute|deepen)|will (?:promote|provide|support"
    r"|help|strengthen|enhance|contribute|deepen|ensure)|aims? to|plans? to|decided|announced|stipulates?"
    r"|establish(?:es|ed)|wants? to|is interested in|granted|provided|concluded|upgraded|launched"
    r"|wish(?:es|ed)? to|aim(?:s|ed)? at|planning to|consider(?:s|ing)|seeking|(?:working|looking|continuing) to"
    r"|embarked|enabled?|supports?|supported|endorses?|endorsed|coordinate[ds]?|discussed|helped|boosted|became"
    r"|ordered|identified|focus(?:es|ed)? on|controls|includes?|included|dominated|contribute[ds]?"
    r"|increas(?:ing|ed))\b",
    re.I,
)
_AGREEMENT = re.compile(
    r"\b(?:agreements?|accords?|treat(?:y|ies)|memorand(?:um|a)|partnerships?|pacts?|deals?|alliances?)\b", re.I
)
_ASSESSMENT = re.compile(
    r"\b(?:explains?|understandabl\w*|remains?|cautious|limit(?:s|ing)?|constrain\w*|hedg\w*|convergent"
    r"|reliant|dependen\w*|reflects?|indicat\w*|signal\w*|on the right track|interesting|regards?|sees?"
    r"|nevertheless|despite|concern\w*|threat\w*|tensions?|antagonism|opposition|priorit\w*|key|strong"
    r"|natural|credible|prospects?|testimony|reflect(?:s|ed)?|familiar|few specifics|rather than|claimant"
    r"|increasingly|assertive\w*|proactive|transformation|perceived)\b",
    re.I,
)


@dataclass(frozen=True)
class Cues:
    """What a sentence carries that may make it worth a fact."""

    date: str | None  # the first explicit date, in the schema's date grammar
    figure: bool
    name: bool  # a named agreement, partnership, dialogue, plan, strategy...
    visit: bool
    judgement: bool
    when: RelativeDate | None = None  # 'On Tuesday', 'in March', 'last year': resolved by the publication date
    rank: bool = False  # 'third in investment'
    commitment: bool = False  # 'agreed to', 'would promote', 'pledged'
    agreement: bool = False  # an agreement or partnership, named or not

    @property
    def important(self) -> bool:
        """A date, a figure or a named agreement: what coverage expects a fact for (a judgement alone is not)."""
        return self.date is not None or self.figure or self.name

    @property
    def proposable(self) -> bool:
        """What extract proposes: anything a specialist might turn into a fact."""
        return (
            self.important
            or self.visit
            or self.judgement
            or self.when is not None
            or self.rank
            or self.commitment
            or self.agreement
        )

    @property
    def kind(self) -> str:
        return "figure" if self.figure else "assessment" if self.judgement else "event"


def _month(name: str) -> str:
    if name.isdigit():
        return name
    key = name.rstrip(".")[:3].lower()
    return f"{[m[:3].lower() for m in _MONTHS.split('|')].index(key) + 1:02d}"


def _date_text(kind: str, m: re.Match[str]) -> str:
    g = {k: v for k, v in m.groupdict().items() if v}
    qual = f"{g['q'].lower()} " if "q" in g else ""
    if kind == "days":
        return f"{g['y']}-{_month(g['m'])}-{int(g['d']):02d}/{g['y']}-{_month(g['m2'])}-{int(g['d2']):02d}"
    if kind == "century":  # parse_date refuses a wrong suffix ('2th century')
        return f"{qual}{g['n']} century" + (f"/{g['n2']} century" if "n2" in g else "")
    if kind in ("decade", "year", "old-year"):
        return f"{qual}{g['y']}" + ("s" if kind == "decade" else "")
    if kind == "month":
        return f"{qual}{g['y']}-{_month(g['m'])}"
    return f"{g['y']}-{_month(g['m'])}-{int(g['d']):02d}"


def guess_date(sentence: str) -> str | None:
    """The first explicit date in the sentence, in the schema's grammar ('2014-08', '1630s'); citations aside."""
    found: list[tuple[int, int, str]] = []
    prose = _CITATION.sub(lambda c: " " * len(c.group()), sentence)
    for kind, pattern in _DATE_PATTERNS.items():
        for m in pattern.finditer(prose):
            try:
                found.append((m.start(), m.start() - m.end(), parse_date(_date_text(kind, m)).raw))
            except DateError:
                continue
    return min(found)[2] if found else None


def _has_figure(sentence: str) -> bool:
    bare = _CITATION.sub(" ", sentence)
    money = bool(_MONEY.search(bare))
    for pattern in (*_DATE_PATTERNS.values(), _DAY_MONTH, _NOT_FIGURES):
        bare = pattern.sub(" ", bare)
    return money or any(c.isdigit() for c in bare)


def _has_name(sentence: str) -> bool:
    if _ACRONYM_NAMED.search(sentence):
        return True
    for m in _NAMED.finditer(sentence):
        words = [w for w in m.group(1).split() if w not in ("of", "and", "for", "on")]
        if any(w not in _NOT_A_NAME for w in words):
            return True
    return False


_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_RELATIVE = re.compile(
    rf"\b(?P<weekday>{'|'.join(_WEEKDAYS)})\b"
    rf"|\b(?:in|since|by|until|from|of|last|this|early|late|mid)[- ](?P<month>{_MONTHS})\b"
    rf"(?!,? \d)"
    r"|\b(?P<rel>(?:last|this|next|past) (?:year|month|week|weekend)|(?:yesterday|today|presently|currently"
    r"|recently|in recent (?:years|months|weeks)|over the past \w+ (?:years|months)))\b",
    re.I,
)


@dataclass(frozen=True)
class RelativeDate:
    """A date the sentence gives relative to its publication: the phrase, and what it resolves to."""

    phrase: str
    date: str | None  # in the schema's grammar, or None when it cannot be resolved
    basis: str  # how it was resolved, for the reviewer


def _resolve(m: re.Match[str], published: DateSpec | None) -> RelativeDate:
    phrase = m.group(0)
    pub = published.start if published else None
    if pub is None:
        return RelativeDate(phrase, None, f"'{phrase}': no publication date to resolve it by")
    basis = f"'{phrase}' read against the publication date {published.raw if published else ''}"
    if m.group("weekday") and pub.precision == "day":
        day = datetime.date(pub.year, pub.month, pub.day)
        back = (day.weekday() - _WEEKDAYS.index(m.group("weekday").capitalize())) % 7 or 7
        return RelativeDate(
            phrase, (day - datetime.timedelta(days=back)).isoformat(), basis + " (the latest before it)"
        )
    if m.group("month") and pub.precision in ("day", "month"):
        month = [x.lower() for x in MONTHS].index(m.group("month").lower()) + 1
        year = pub.year if month <= pub.month else pub.year - 1
        return RelativeDate(phrase, f"{year}-{month:02d}", basis + " (the latest such month)")
    rel = (m.group("rel") or "").lower()
    if rel in ("last year", "past year"):
        return RelativeDate(phrase, str(pub.year - 1), basis)
    if rel == "this year":
        return RelativeDate(phrase, str(pub.year), basis)
    if rel == "last month" and pub.precision in ("day", "month"):
        year, month = (pub.year, pub.month - 1) if pub.month > 1 else (pub.year - 1, 12)
        return RelativeDate(phrase, f"{year}-{month:02d}", basis)
    return RelativeDate(phrase, None, f"'{phrase}': relative to publication; set the date by hand")


def relative_date(sentence: str, published: DateSpec | None) -> RelativeDate | None:
    m = _RELATIVE.search(sentence)
    return _resolve(m, published) if m else None


def cues_of(sentence: str, published: DateSpec | None = None) -> Cues:
    """Detect the date, figure, named agreement, visit, judgement, relative-date, rank and commitment cues."""
    return Cues(
        date=guess_date(sentence),
        figure=_has_figure(sentence),
        name=_has_name(sentence),
        visit=bool(_VISIT.search(sentence)),
        judgement=bool(_JUDGEMENT.search(sentence) or _ASSESSMENT.search(sentence)),
        when=relative_date(sentence, published),
        rank=bool(_RANK.search(sentence)),
        commitment=bool(_COMMITMENT.search(sentence)),
        agreement=bool(_AGREEMENT.search(sentence)),
    )


# --- Sentences of a source, and whether a fact covers them ----------------------------------------


@dataclass(frozen=True)
class SourceSentence:
    """One prose sentence of a source, with its span in the normalised text and its locator."""

    text: str  # as in the source, its lines joined
    normal: str  # the normalised text it occupies
    start: int
    end: int
    locator: str
    before: str  # the sentence just before it, to tell a repeated sentence apart
    cues: Cues


def _keepable(sentence: str, paginated: bool) -> bool:
    if len(sentence.split()) < _MIN_WORDS or _BOILERPLATE.search(sentence):
        return False
    # A paginated source breaks sentences at page ends; elsewhere an unfinished line is a title or a byline.
    return paginated or bool(_SENTENCE_END.search(sentence))


def source_sentences(text: SourceText) -> list[SourceSentence]:
    """Split a source into located prose sentences, leaving out page furniture, references and boilerplate."""
    starts = text.source.page_starts
    found: list[SourceSentence] = []
    cursor, before = 0, ""
    for block in _blocks(text.raw, starts):
        for piece in split_sentences(block):
            sentence = _FOOTNOTE_CALL_START.sub("", piece)
            needle = normalise(sentence)
            at = text.normal.text.find(needle, cursor) if needle else -1
            if at != -1 and _keepable(sentence, bool(starts)):
                cursor = at + len(needle)
                first, last = text.normal.line_at(at), text.normal.line_at(cursor - 1)
                where = text.locator(Match(start=at, end=cursor, first_line=first, last_line=last))
                found.append(
                    SourceSentence(
                        text=sentence,
                        normal=needle,
                        start=at,
                        end=cursor,
                        locator=where,
                        before=before,
                        cues=cues_of(sentence, text.source.published),
                    )
                )
            before = sentence
    return found


@dataclass(frozen=True)
class KnownQuotes:
    """What the fact base already quotes from one source: anchored spans and normalised quotes."""

    spans: tuple[tuple[int, int], ...]
    quotes: tuple[str, ...]


def known_quotes(base: FactBase, source_id: str) -> KnownQuotes:
    spans = tuple((a.match.start, a.match.end) for a in base.anchors.values() if a.source == source_id)
    quotes = tuple(normalise(ev.quote) for f in base.facts for ev in f.evidence if ev.source == source_id)
    return KnownQuotes(spans, quotes)


def is_covered(sentence: SourceSentence, known: KnownQuotes) -> bool:
    """Whether a fact already says this sentence: a quote spans half of it, or a quote fills 40% of its text.

    The second test catches a sentence the source repeats, whose other occurrence a fact anchors to.
    """
    half = (sentence.end - sentence.start) / 2
    if any(min(end, sentence.end) - max(start, sentence.start) >= half for start, end in known.spans):
        return True
    return any(len(q) >= 0.4 * len(sentence.normal) and q in sentence.normal for q in known.quotes)


def source_text(base: FactBase, source_id: str) -> SourceText:
    """The text of a registered source; an unknown id is a usage error naming the known ones."""
    if source_id not in base.sources:
        raise UsageError(f"unknown source '{source_id}' (known: {', '.join(sorted(base.sources))})")
    if source_id not in base.texts:
        raise FactBaseError(
            [Problem("sources.yaml", base.sources[source_id].line, source_id, "its text cannot be read")]
        )
    return base.texts[source_id]


def load_for_authoring(root: Path) -> tuple[FactBase, list[Problem]]:
    """Load and check the base for extract and coverage; a source whose text cannot be read is set aside.

    Returns the base and the problems of the sources set aside; any other error raises as in a build.
    One unreadable text (not UTF-8, a page's markup, missing) must not stop work on the others.
    """
    from briefgen.check.gate import run_check

    base, problems = run_check(root)
    unreadable = {sid for sid in base.sources if sid not in base.texts}
    set_aside = [p for p in problems if p.file == "sources.yaml" and p.subject in unreadable]
    if any(p.severity == "error" and p not in set_aside for p in problems):
        raise FactBaseError(problems)
    return base, set_aside


# --- Exclusions and the report --------------------------------------------------------------------


def load_exclusions(base: FactBase) -> tuple[list[Exclusion], list[Problem]]:
    """Read exclusions.yaml (optional) of a loaded base; every entry's quote must anchor in its source."""
    return read_exclusions(base.root, base.sources, base.texts)


@dataclass(frozen=True)
class SourceCoverage:
    """How many of a source's important sentences the fact base covers, and the ones it does not."""

    source: str
    path: str  # the text, relative to the fact base: 'texts/iseas-2017-23.txt'
    important: int  # important sentences, excluded ones left out
    covered: int
    excluded: int
    uncovered: tuple[SourceSentence, ...]
    sentences: int = 0  # prose sentences found at all; none means the text is not prose (markup, a scan)

    @property
    def failed(self) -> bool:
        return bool(self.uncovered) or self.sentences == 0

    def summary(self) -> str:
        if self.sentences == 0:
            return f"{self.source}: no sentences found in {self.path}; is it the document's text, not markup or a scan?"
        excluded = f" ({self.excluded} excluded)" if self.excluded else ""
        return f"{self.source}: {self.covered}/{self.important} important sentences covered{excluded}"

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "path": self.path,
            "important": self.important,
            "covered": self.covered,
            "excluded": self.excluded,
            "sentences": self.sentences,
            "uncovered": [{"locator": s.locator, "sentence": s.text} for s in self.uncovered],
        }


def source_coverage(base: FactBase, source_id: str, exclusions: list[Exclusion]) -> SourceCoverage:
    text = source_text(base, source_id)
    known = known_quotes(base, source_id)
    starts = [e.start for e in exclusions if e.source == source_id]
    sentences = source_sentences(text)
    important = [s for s in sentences if s.cues.important]
    kept = [s for s in important if not any(s.start <= at < s.end for at in starts)]
    uncovered = tuple(s for s in kept if not is_covered(s, known))
    path = text.source.path.relative_to(base.root).as_posix()
    return SourceCoverage(
        source=source_id,
        path=path,
        important=len(kept),
        covered=len(kept) - len(uncovered),
        excluded=len(important) - len(kept),
        uncovered=uncovered,
        sentences=len(sentences),
    )


def coverage(base: FactBase, source_ids: list[str] | None = None) -> list[SourceCoverage]:
    """Report coverage per readable source (all, or the ones named); a bad exclusion raises FactBaseError."""
    exclusions, problems = load_exclusions(base)
    if problems:
        raise FactBaseError(problems)
    wanted = source_ids or [sid for sid in base.sources if sid in base.texts]
    return [source_coverage(base, sid, exclusions) for sid in wanted]


@dataclass(frozen=True)
class CoverageRun:
    """The report per readable source, and the problems of the sources set aside as unreadable."""

    report: list[SourceCoverage]
    set_aside: list[Problem]

    @property
    def failed(self) -> bool:
        return bool(self.set_aside) or any(item.failed for item in self.report)


def run_coverage(root: Path, source_id: str | None = None) -> CoverageRun:
    """Load and check the fact base at root, then report its coverage; unreadable sources are set aside."""
    base, set_aside = load_for_authoring(root)
    report = coverage(base, [source_id] if source_id else None)
    return CoverageRun(report, [p for p in set_aside if source_id in (None, p.subject)])
