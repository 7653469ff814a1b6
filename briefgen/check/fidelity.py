"""Rules that keep a statement from saying more than its source: hedges, their words, whose claim, folds.

Each rule reads a fact's statement against the passages its quotes stand in (`Passage`), which the
anchor already found: the quote's own sentence in the source, and the words before the quote in it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from briefgen.common.numbers import plain_number
from briefgen.factbase.anchoring import Match, NormalText, normalise
from briefgen.factbase.facts import Fact
from briefgen.factbase.readers import read_yaml
from briefgen.factbase.sources import SourceNames

HEDGES = Path(__file__).with_name("hedges.yaml")

# The end of a sentence in normalised text (one space between words, straight quotes), with any
# footnote number printed after it ("… 3.4 billion USD.8 Evidently, …").
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*\d{0,3}\s(?=[\"'(\[]?[A-Z0-9])")
# A sentence that opens by pointing back ("The order, …", "This …") continues the one before it.
_POINTS_BACK = re.compile(r"^(?:The|This|These|That|Those|Such|It|They|He|She)\b")
_WINDOW = 600  # characters searched on either side of a quote for its sentence's bounds


@dataclass(frozen=True)
class Hedges:
    """The hedge vocabulary as two patterns, each with a named group per kind ('report', …): all
    cues of a passage, and all words that keep a hedge in a statement, are found in one search."""

    kinds: tuple[str, ...]
    cues: re.Pattern[str]
    keep: re.Pattern[str]

    @staticmethod
    def found(pattern: re.Pattern[str], text: str) -> dict[str, str]:
        """Kind -> the first words of that kind in text."""
        found: dict[str, str] = {}
        for match in pattern.finditer(text):
            if match.lastgroup and match.lastgroup not in found:
                found[match.lastgroup] = match.group()
        return found


def _phrase(phrase: str, exact: bool) -> str:
    """'is/are also? expected to' -> a pattern: alternatives per word, optional words, any case."""
    words = phrase.split()
    parts = []
    for i, word in enumerate(words):
        options = "|".join(re.escape(w) for w in word.rstrip("?").split("/"))
        if word.endswith("?"):
            parts.append(f"(?:(?:{options}) )?")
        else:
            parts.append(f"(?:{options})" + (" " if i < len(words) - 1 else ""))
    body = "".join(parts)
    return body if exact else f"(?i:{body})"


def _initials(phrases: list[str]) -> set[str]:
    first = {w for p in phrases for w in p.split()[0].split("/")}
    return {c for w in first for c in (w[0].lower(), w[0].upper())}


def _pattern(spec: dict[str, dict[str, list[str]]], key: str) -> re.Pattern[str]:
    groups, initials = [], set()
    for kind, lists in spec.items():
        loose, exact = lists.get(key, []), lists.get("exact", []) if key == "cues" else []
        parts = [_phrase(p, False) for p in loose] + [_phrase(p, True) for p in exact]
        groups.append(f"(?P<{kind}>{'|'.join(parts)})")
        initials |= _initials(loose + exact)
    # The look-ahead on first letters lets the search skip most words at C speed (5x faster).
    return re.compile(rf"\b(?=[{''.join(sorted(initials))}])(?:{'|'.join(groups)})\b")


@functools.cache
def hedges() -> Hedges:
    """The hedge vocabulary, read once from hedges.yaml beside this module."""
    spec = read_yaml(HEDGES)
    return Hedges(tuple(spec), _pattern(spec, "cues"), _pattern(spec, "keep"))


@dataclass(frozen=True)
class Passage:
    """Where one of a fact's quotes stands: its source, the words of its sentence up to the quote's end,
    the whole sentence, and the sentence before it when this one points back to it."""

    source: str
    frame: str
    sentence: str
    before: str


def passage_of(source: str, text: NormalText, match: Match) -> Passage:
    """The passage around a quote anchored at match in a source's normalised text."""
    body = text.text
    lo = max(0, match.start - _WINDOW)
    starts = [m.end() for m in _SENTENCE_END.finditer(body, lo, match.start + 1)]
    start = starts[-1] if starts else lo
    previous = starts[-2] if len(starts) > 1 else lo
    end_match = _SENTENCE_END.search(body, max(match.end - 1, start), min(len(body), match.end + _WINDOW))
    end = end_match.start() + 1 if end_match else min(len(body), match.end + _WINDOW)
    sentence = body[start:end]
    before = body[previous:start] if start > previous and _POINTS_BACK.match(sentence) else ""
    return Passage(source, body[start : match.end], sentence, before)


def dropped_hedges(fact: Fact, passages: list[Passage]) -> list[str]:
    """A hedge or reporting frame of the source that the statement does not carry."""
    if fact.hedge:
        return []
    vocabulary = hedges()
    cues: dict[str, tuple[str, str]] = {}
    for passage in passages:
        found = vocabulary.found(vocabulary.cues, passage.frame)
        # A report frame carries over to a sentence that points back ("The order, …").
        if passage.before and "report" not in found:
            found.update({k: v for k, v in vocabulary.found(vocabulary.cues, passage.before).items() if k == "report"})
        for kind, cue in found.items():
            cues.setdefault(kind, (cue, passage.source))
    if not cues:  # most passages: the statement need not be searched for the words that keep a hedge
        return []
    kept = vocabulary.found(vocabulary.keep, fact.statement)
    dropped = {kind: where for kind, where in cues.items() if kind not in kept}
    return [
        f"statement drops the source's hedge '{cue}' ({kind}, {source}): "
        "carry it in the statement, or say in 'hedge:' why the statement need not"
        for kind, (cue, source) in dropped.items()
    ]


# Words in quotation marks, double or single (normalised text has straight ones; an apostrophe
# inside a word, as in "Japan's", neither opens nor closes a quotation).
_QUOTED = re.compile(
    r'"([^"]{3,300})"'
    r"|(?<![\w'])'((?:[^']|(?<=\w)'(?=\w)){3,300}?)'(?![\w'])"
)


def _quoted(text: str) -> list[str]:
    return [m.group(1) or m.group(2) for m in _QUOTED.finditer(text)]


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    return [m.span(1) if m.group(1) is not None else m.span(2) for m in _QUOTED.finditer(text)]


def _source_quotes(passages: list[Passage]) -> list[tuple[str, str]]:
    """(source, phrase) for every phrase of two or more words a passage's sentence puts in quotation marks
    (a single word in quotation marks is usually a term, not a claim)."""
    found = []
    for passage in passages:
        if "'" in passage.sentence or '"' in passage.sentence:
            found += [(passage.source, q.strip(" ,.;:")) for q in _quoted(passage.sentence)]
    return [(source, phrase) for source, phrase in found if " " in phrase]


def unquoted_words(fact: Fact, passages: list[Passage]) -> list[str]:
    """Words the source itself puts in quotation marks, repeated in the statement without them."""
    quoted = _source_quotes(passages)
    if not quoted:
        return []
    statement = normalise(fact.statement)
    lowered = statement.lower()
    kept = _quoted_spans(statement)
    problems = []
    for source, phrase in quoted:
        at = lowered.find(phrase.lower())
        if at != -1 and not any(a <= at and at + len(phrase) <= b for a, b in kept):
            problems.append(
                f'statement repeats the words "{phrase}", which {source} puts in quotation '
                "marks, as our own: quote them, or say whose words they are"
            )
    return list(dict.fromkeys(problems))


def misattributed(fact: Fact, names: SourceNames) -> list[str]:
    """The statement names a source (by what statements call it) that none of its quotes is from."""
    cited = {ev.source for ev in fact.evidence}
    named = {source: name for name, source in names.named_in(fact.statement) if source not in cited}
    return [
        f"statement names the {name}, but none of its quotes is from {source}: cite the passage "
        "that says it, or split the fact so each source is credited with what it says"
        for source, name in named.items()
    ]


_NUMBER_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty"
).split()


def _states_value(quote: str, value: float | str) -> bool:
    """Whether a quote gives the value: its digits (thousands separators aside), its word, or its text."""
    text = normalise(quote).lower()
    if isinstance(value, str):
        return normalise(value).lower() in text
    if any(float(n.replace(",", "")) == value for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text)):
        return True
    return (
        value == int(value)
        and 0 <= value < len(_NUMBER_WORDS)
        and bool(re.search(rf"\b{_NUMBER_WORDS[int(value)]}\b", text))
    )


def uncorroborated_figure(fact: Fact) -> list[str]:
    """A figure whose further quotes give another value: that is a disagreement, not corroboration."""
    if fact.quantity is None or len(fact.evidence) < 2:
        return []
    value = fact.quantity.value
    return [
        f"quote from {ev.source} does not give the figure's value ({plain_number(value)}): a different value is a "
        "disagreement (a fact of its own, with the same metric), not corroboration"
        for ev in fact.evidence[1:]
        if not _states_value(ev.quote, value)
    ]


# (a literal every match contains, to skip the search; the pattern; what it finds)
_FOLDS = (
    (
        "- ",
        re.compile(r"(?<=[a-z])- (?!(?:and|or|to|nor|as well as)\b)(?=[a-z])"),
        "a hyphen and a space inside a word",
    ),
    ("  ", re.compile(r"\S  +\S"), "a doubled space"),
    # A space before punctuation, or after an opening bracket: the pattern starts with the one
    # character either begins with and looks back, so that the search skips to those at C speed.
    (" ", re.compile(r"[ (\[](?:(?<= )[,.;:!?)\]]|(?<=[(\[]) )"), "a space before punctuation or inside brackets"),
)


def fold_artefacts(fact: Fact) -> list[str]:
    """Traces of line folding or editing: 'like- minded', doubled spaces, ' ,', unbalanced quotes."""
    text = fact.statement
    problems = []
    for literal, pattern, what in _FOLDS:
        found = pattern.search(text) if literal in text else None
        if found:
            problems.append(f"statement has {what}: '…{text[max(0, found.start() - 12) : found.end() + 12]}…'")
    if text.count('"') % 2 or text.count("“") != text.count("”"):
        problems.append("statement has unbalanced quotation marks")
    for opening, closing in ("()", "[]"):
        if text.count(opening) != text.count(closing):
            problems.append(f"statement has unbalanced brackets {opening}{closing}")
    return problems


def check_fidelity(fact: Fact, passages: list[Passage], names: SourceNames) -> list[str]:
    """Every way the statement says more than, or other than, its passages."""
    return (
        dropped_hedges(fact, passages)
        + unquoted_words(fact, passages)
        + misattributed(fact, names)
        + uncorroborated_figure(fact)
        + fold_artefacts(fact)
    )
