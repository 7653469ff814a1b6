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

HEDGES = Path(__file__).with_name("hedges.yaml")

# The end of a sentence in normalised text (one space between words, straight quotes), with any
# footnote number printed after it ("… 3.4 billion USD.8 Evidently, …").
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*\d{0,3}\s(?=[\"'(\[]?[A-Z0-9])")
# A sentence that opens by pointing back ("The order, …", "This …") continues the one before it.
_POINTS_BACK = re.compile(r"^(?:The|This|These|That|Those|Such|It|They|He|She)\b")
_WINDOW = 1200  # characters searched on either side of a quote for its sentence's bounds


@dataclass(frozen=True)
class HedgeClass:
    """A kind of hedge: the cues that mark it in a source, the words that keep it in a statement."""

    name: str
    cues: re.Pattern[str]
    equivalents: re.Pattern[str]


@dataclass(frozen=True)
class Passage:
    """Where one of a fact's quotes stands: its source, the words of its sentence up to the quote's end,
    the whole sentence, and the sentence before it when this one points back to it."""

    source: str
    frame: str
    sentence: str
    before: str


def _words(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(rf"\b{p}\b" for p in patterns))


@functools.cache
def hedge_classes() -> tuple[HedgeClass, ...]:
    """The hedge vocabulary, read once from hedges.yaml beside this module."""
    data = read_yaml(HEDGES)
    return tuple(HedgeClass(name, _words(spec["cues"]), _words(spec["equivalents"])) for name, spec in data.items())


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
    problems = []
    for hedge in hedge_classes():
        if hedge.equivalents.search(fact.statement):
            continue
        for passage in passages:
            # A report frame carries over to a sentence that points back ("The order, …").
            context = passage.frame + (" " + passage.before if hedge.name == "report" else "")
            cue = hedge.cues.search(context)
            if cue:
                problems.append(
                    f"statement drops the source's hedge '{cue.group()}' ({hedge.name}, {passage.source}): "
                    f"carry it in the statement, or say in 'hedge:' why the statement need not"
                )
                break
    return problems


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


def unquoted_words(fact: Fact, passages: list[Passage]) -> list[str]:
    """Words the source itself puts in quotation marks, repeated in the statement without them."""
    statement = normalise(fact.statement)
    lowered = statement.lower()
    kept = _quoted_spans(statement)
    problems = []
    for passage in passages:
        for phrase in _quoted(passage.sentence):
            phrase = phrase.strip(" ,.;:")
            if len(phrase.split()) < 2:
                continue  # a single word in quotation marks is usually a term, not a claim
            at = lowered.find(phrase.lower())
            if at != -1 and not any(a <= at and at + len(phrase) <= b for a, b in kept):
                problems.append(
                    f'statement repeats the words "{phrase}", which {passage.source} puts in quotation '
                    "marks, as our own: quote them, or say whose words they are"
                )
    return list(dict.fromkeys(problems))


def misattributed(fact: Fact, names: dict[str, tuple[str, ...]]) -> list[str]:
    """The statement names a source (by what statements call it) that none of its quotes is from."""
    cited = {ev.source for ev in fact.evidence}
    problems = []
    for source, called in names.items():
        if source in cited:
            continue
        for name in called:
            if re.search(rf"\b{re.escape(name)}\b", fact.statement, re.I):
                problems.append(
                    f"statement names the {name}, but none of its quotes is from {source}: cite the passage "
                    "that says it, or split the fact so each source is credited with what it says"
                )
                break
    return problems


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


_FOLDS = (
    (re.compile(r"(?<=[a-z])- (?!(?:and|or|to|nor|as well as)\b)(?=[a-z])"), "a hyphen and a space inside a word"),
    (re.compile(r"\S  +\S"), "a doubled space"),
    (re.compile(r" [,.;:!?)\]]|[(\[] "), "a space before punctuation or inside brackets"),
)


def fold_artefacts(fact: Fact) -> list[str]:
    """Traces of line folding or editing: 'like- minded', doubled spaces, ' ,', unbalanced quotes."""
    text = fact.statement
    problems = []
    for pattern, what in _FOLDS:
        found = pattern.search(text)
        if found:
            problems.append(f"statement has {what}: '…{text[max(0, found.start() - 12) : found.end() + 12]}…'")
    if text.count('"') % 2 or text.count("“") != text.count("”"):
        problems.append("statement has unbalanced quotation marks")
    for opening, closing in ("()", "[]"):
        if text.count(opening) != text.count(closing):
            problems.append(f"statement has unbalanced brackets {opening}{closing}")
    return problems


def check_fidelity(fact: Fact, passages: list[Passage], names: dict[str, tuple[str, ...]]) -> list[str]:
    """Every way the statement says more than, or other than, its passages."""
    return (
        dropped_hedges(fact, passages)
        + unquoted_words(fact, passages)
        + misattributed(fact, names)
        + uncorroborated_figure(fact)
        + fold_artefacts(fact)
    )
