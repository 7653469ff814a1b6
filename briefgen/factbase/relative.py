"""Relative dates: resolve a source's "this year", "last month", "in March" against the date it was written.

A statement may give the year of a fact's own date when its quote gives it relatively; the fact then
records the phrase and the date it is resolved against (`date_basis`), and `check` verifies the
arithmetic here: the phrase, resolved against that date, must agree with the fact's `date`/`as_of`.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from briefgen.common.numbers import MONTHS
from briefgen.factbase.dates import DateSpec, Point

Span = tuple[datetime.date, datetime.date]  # first and last day, both included

_MONTH_NAMES = "|".join(m.lower() for m in MONTHS)
_MONTH_OF = {m.lower(): i + 1 for i, m in enumerate(MONTHS)}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class DateBasis:
    """How a statement's plain date was read from a relative phrase of its quote."""

    phrase: str  # as the quote says it: "this year", "last month", "in October last year"
    against: DateSpec | None = None  # the date the phrase is relative to; None: the source's `published`
    doubt: str | None = None  # why that date may not be the one the writer meant (a republished piece)


def span_of_point(point: Point, last: bool = False) -> datetime.date:
    """The first (or last) day a point of any precision covers."""
    size = {"decade": 10, "century": 100}.get(point.precision, 1)
    if not last:
        return datetime.date(max(point.year, 1), point.month if point.precision in ("day", "month") else 1, point.day)
    if point.precision == "day":
        return datetime.date(point.year, point.month, point.day)
    if point.precision == "month":
        following = datetime.date(point.year + point.month // 12, point.month % 12 + 1, 1)
        return following - datetime.timedelta(days=1)
    return datetime.date(point.year + size - 1, 12, 31)


def span_of(spec: DateSpec) -> Span:
    return span_of_point(spec.start), span_of_point(spec.end or spec.start, last=True)


def _year(y: int) -> Span:
    return datetime.date(y, 1, 1), datetime.date(y, 12, 31)


def _month(y: int, m: int) -> Span:
    first = datetime.date(y, m, 1)
    return first, span_of_point(Point("month", y, m), last=True)


def _needs(against: DateSpec, precision: tuple[str, ...]) -> Point:
    point = against.end or against.start
    if point.precision not in precision:
        raise ValueError(f"needs a basis date to the {precision[0]}, not '{against.raw}'")
    return point


# Each pattern, matched against the whole phrase (lower case, "in"/"on"/"as of"/"during" dropped),
# gives the span the phrase names, relative to the basis date.
def _resolve_words(words: str, against: DateSpec) -> Span | None:
    point = against.end or against.start
    y = point.year
    if words == "this year":
        return _year(y)
    if words in ("last year", "the previous year", "previous year", "the year before"):
        return _year(y - 1)
    if words in ("this month", "last month", "last month's"):
        p = _needs(against, ("month", "day"))
        back = 1 if words.startswith("last") else 0
        month = p.month - back
        return _month(p.year - (month < 1), (month - 1) % 12 + 1)
    if words in ("last week", "the weekend", "the past weekend", "last weekend"):
        p = _needs(against, ("day",))
        day = datetime.date(p.year, p.month, p.day)
        if words == "last week":
            return day - datetime.timedelta(days=7), day - datetime.timedelta(days=1)
        saturday = day - datetime.timedelta(days=(day.weekday() - 5) % 7 or 7)
        return saturday, saturday + datetime.timedelta(days=1)
    if m := re.fullmatch(rf"({_MONTH_NAMES})( this year| last year)?", words):
        return _month(y - (m.group(2) == " last year"), _MONTH_OF[m.group(1)])
    if m := re.fullmatch(rf"(\d{{1,2}}) ({_MONTH_NAMES})", words):
        d = datetime.date(y, _MONTH_OF[m.group(2)], int(m.group(1)))
        return d, d
    if words in _WEEKDAYS:
        p = _needs(against, ("day",))
        day = datetime.date(p.year, p.month, p.day)
        back = (day.weekday() - _WEEKDAYS.index(words)) % 7 or 7
        return day - datetime.timedelta(days=back), day - datetime.timedelta(days=back)
    return None


# Phrases of the present ("now", "over the last 20 years") name the time of writing: the year of the
# basis date. The latest figures then available may be a year older than the piece, so the span
# starts a year earlier ("now" in a 2017 study may report 2016's ranking).
_PRESENT = re.compile(
    r"now|currently|current|at present|today|recent|recently|so far|in recent (?:years|months|decades)"
    r"|(?:(?:over|in|during) )?the (?:last|past) (?:[\w-]+ )?(?:years?|months?|decades?)"
)
# Phrases of the future ("in the coming years", "upcoming") start at the time of writing.
_FUTURE = re.compile(r"upcoming|in the coming (?:years|months|decades?)|in the years ahead")


def resolve(phrase: str, against: DateSpec) -> Span:
    """The span of days a relative phrase names, written on `against`; ValueError if it cannot be read."""
    words = " ".join(phrase.lower().replace("’", "'").split())
    stripped = re.sub(r"^(?:in|on|as of|during|since|by)\s+", "", words)
    found = _resolve_words(stripped, against)
    if found is not None:
        return found
    year = (against.end or against.start).year
    if _PRESENT.fullmatch(stripped) or _PRESENT.fullmatch(words):
        return datetime.date(year - 1, 1, 1), datetime.date(year, 12, 31)
    if _FUTURE.fullmatch(words):
        return datetime.date(year, 1, 1), datetime.date(year + 10, 12, 31)
    raise ValueError(f"cannot resolve '{phrase}' (see docs/schema.md, Dates in plain words)")


def spans_time(phrase: str) -> str | None:
    """'present' or 'future' for a phrase naming a stretch of time from or to the writing, else None."""
    words = " ".join(phrase.lower().split())
    stripped = re.sub(r"^(?:in|on|as of|during|since|by)\s+", "", words)
    if _PRESENT.fullmatch(stripped) or _PRESENT.fullmatch(words):
        return "present"
    return "future" if _FUTURE.fullmatch(words) else None


def agrees(fact_date: DateSpec, named: Span, phrase: str = "") -> bool:
    """Whether a fact's date fits the time a phrase names.

    A point ("last month") and the fact's date must be the same time at different precisions. A
    stretch up to the writing ("over the past decade") may start long before it, so the fact's date
    must only not begin after it; a stretch after the writing ("in the coming years"), not end before it.
    """
    first, last = span_of(fact_date)
    stretch = spans_time(phrase)
    if stretch == "present":
        return first <= named[1]
    if stretch == "future":
        return last >= named[0]
    inside = named[0] <= first and last <= named[1]
    covers = first <= named[0] and named[1] <= last
    return inside or covers
