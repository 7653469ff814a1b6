"""The rules a sound fact base keeps, beyond its schema: ids, topics, numbers, sentences, supersession."""

from __future__ import annotations

import re

from briefgen.check.fidelity import check_fidelity, passage_of
from briefgen.check.timing import basis_date, check_date_basis, check_relative_time, date_digits
from briefgen.common.invisible import invisible_in
from briefgen.common.numbers import plain_number
from briefgen.common.sentences import split_sentences
from briefgen.errors import Problem
from briefgen.factbase.dates import DateSpec
from briefgen.factbase.facts import Fact
from briefgen.factbase.loading import WARNING, Anchor, FactBase

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_THOUSANDS = re.compile(r",(?<=\d,)(?=\d{3}(?!\d))")  # the comma first: a literal is found fast


def numbers_in(text: str) -> list[str]:
    """Every number written in digits, thousands separators removed: '3,320 projects' -> ['3320']."""
    return _NUMBER.findall(_THOUSANDS.sub("", text))


# A number with the separator before it, if any: '.5' and ',5' are tails of other numbers, not numbers.
_NUMBER_AFTER = re.compile(r"[.,]?\d+(?:[.,]\d+)*")


def standalone_numbers(text: str) -> set[str]:
    """The numbers text states, thousands separators removed: '2013-14, US$1.5' -> {'2013', '14', '1.5'}."""
    return {n for n in _NUMBER_AFTER.findall(_THOUSANDS.sub("", text)) if n[0] not in ".,"}


def check_numbers(fact: Fact, basis: DateSpec | None = None) -> list[str]:
    """Every number of the statement is in a quote; with a date basis, also the fact's own dates'.

    `basis` is the date a recorded relative phrase is read against (see check.timing.basis_date).
    """
    wanted = numbers_in(fact.statement)
    if not wanted:
        return []
    # The quotes as written (white space folded, dashes kept): "2013-14" must stay two numbers.
    present = standalone_numbers(" ".join(" ".join(ev.quote.split()) for ev in fact.evidence))
    if fact.quantity and fact.quantity.numeric:
        present.add(plain_number(fact.quantity.value))
    if fact.date_basis is not None and basis is not None:
        # "this year" in a 2015 report may be written "2015": check_date_basis verifies the arithmetic.
        present |= date_digits(fact.date, fact.as_of, basis)
    missing = [n for n in wanted if n not in present]
    return [f"statement has '{n}', which its quote does not contain" for n in dict.fromkeys(missing)]


def check_invisible(fact: Fact) -> list[str]:
    """Refuse characters a reader cannot see in what reaches a brief: the statement, unit and metric."""
    texts = [("statement", fact.statement)]
    if fact.quantity is not None:
        texts += [("quantity: unit", fact.quantity.unit), ("quantity: metric", fact.quantity.metric)]
    return [message for what, text in texts if (message := invisible_in(text, what))]


def check_source_metadata(base: FactBase) -> list[Problem]:
    """Refuse invisible characters in the source metadata a brief prints (an author with U+202E)."""
    problems = []
    for source in base.sources.values():
        for what in ("title", "author", "publisher", "series", "place", "type", "url", "notes"):
            message = invisible_in(getattr(source, what) or "", what)
            if message:
                problems.append(Problem("sources.yaml", source.line, source.id, message))
    return problems


def check_sentence(fact: Fact) -> list[str]:
    sentences = split_sentences(fact.statement)
    problems = []
    if len(sentences) != 1:
        problems.append(f"statement must be exactly one sentence, found {len(sentences)}")
    if not fact.statement.rstrip("\"'”’)").endswith((".", "?", "!")):
        problems.append("statement must end with a full stop")
    return problems


def check_fact(fact: Fact, base: FactBase, anchors: list[Anchor]) -> list[str]:
    unknown = [t for t in fact.topics if t not in base.topics]
    problems = [f"unknown topic '{t}' (see topics.yaml)" for t in unknown]
    passages = [passage_of(a.source, base.texts[a.source].normal, a.match) for a in anchors if a.source in base.texts]
    fidelity = check_fidelity(fact, passages, base.source_names)
    numbers = check_numbers(fact, basis_date(fact, base.sources))
    time_errors, time_warnings = check_relative_time(fact, basis_date(fact, base.sources))
    timing = check_date_basis(fact, base.sources) + time_errors + [WARNING + w for w in time_warnings]
    return problems + check_invisible(fact) + check_sentence(fact) + numbers + fidelity + timing


def check_links(base: FactBase) -> list[Problem]:
    """Duplicate ids and supersession links."""
    problems: list[Problem] = []
    seen: dict[str, Fact] = {}
    for fact in base.facts:
        if fact.id in seen:
            first = seen[fact.id]
            problems.append(
                Problem(fact.file, fact.line, fact.id, f"duplicate id (first at {first.file}:{first.line})")
            )
        else:
            seen[fact.id] = fact
    for fact in base.facts:
        target = fact.superseded_by
        if fact.status == "superseded" and not target:
            problems.append(Problem(fact.file, fact.line, fact.id, "superseded, but 'superseded_by' names no fact"))
        elif target and target not in seen:
            problems.append(Problem(fact.file, fact.line, fact.id, f"superseded_by '{target}' is not a fact id"))
        elif target and fact.status != "superseded":
            problems.append(
                Problem(fact.file, fact.line, fact.id, "has 'superseded_by' but status is not 'superseded'")
            )
    return problems
