"""Dates with their real precision: a day, a month, a year, a decade, a century, or a range of them."""

from __future__ import annotations

import datetime
import functools
import re
from dataclasses import dataclass

from briefgen.common.numbers import MONTHS

_QUALIFIER = re.compile(r"^(early|mid|late)\s+(.+)$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{3,4})$")
_DECADE = re.compile(r"^(\d{3}0)s$")
_CENTURY = re.compile(r"^(\d{1,2})(st|nd|rd|th) century$")

# Where in its span a qualified date sorts: early, mid or late, as a fraction of the span.
_QUALIFIER_FRACTION = {None: 0.0, "early": 0.0, "mid": 0.4, "late": 0.7}


class DateError(ValueError):
    """Raised when a date does not follow the date grammar in docs/schema.md."""


@dataclass(frozen=True)
class Point:
    """One date of a given precision, e.g. 'early 17th century'."""

    precision: str  # day | month | year | decade | century
    year: int
    month: int = 1
    day: int = 1
    qualifier: str | None = None

    @property
    def sort_key(self) -> tuple[float, int, int]:
        span = {"decade": 10, "century": 100}.get(self.precision, 1)
        if self.precision == "month" and self.qualifier:
            return (self.year, self.month, int(28 * _QUALIFIER_FRACTION[self.qualifier]) + 1)
        if self.precision == "year" and self.qualifier:
            return (self.year, int(12 * _QUALIFIER_FRACTION[self.qualifier]) + 1, 1)
        return (self.year + span * _QUALIFIER_FRACTION[self.qualifier], self.month, self.day)

    def text(self, with_article: bool = True) -> str:
        q = f"{self.qualifier} " if self.qualifier else ""
        if self.precision == "day":
            return f"{q}{self.day} {MONTHS[self.month - 1]} {self.year}"
        if self.precision == "month":
            return f"{q}{MONTHS[self.month - 1]} {self.year}"
        if self.precision == "year":
            return f"{q}{self.year}"
        if self.precision == "decade":
            body = f"{q}{self.year}s"
        else:
            body = f"{q}{_ordinal(self.year // 100 + 1)} century"
        return f"the {body}" if with_article else body


@dataclass(frozen=True)
class DateSpec:
    """A date or a range of dates as written in a fact, e.g. '2017-02-28/2017-03-05'."""

    raw: str
    start: Point
    end: Point | None = None

    @property
    def sort_key(self) -> tuple[float, int, int]:
        return self.start.sort_key

    @property
    def year(self) -> int:
        return (self.end or self.start).year

    def text(self) -> str:
        """Render for a reader, keeping the precision: '28 February to 5 March 2017'."""
        a, b = self.start, self.end
        if b is None:
            return a.text()
        if a.precision == b.precision == "century" and not (a.qualifier or b.qualifier):
            return f"the {_ordinal(a.year // 100 + 1)} and {_ordinal(b.year // 100 + 1)} centuries"
        if a.precision == b.precision == "day" and a.year == b.year and not (a.qualifier or b.qualifier):
            first = f"{a.day} {MONTHS[a.month - 1]}"
            if a.month == b.month:
                first = str(a.day)
            return f"{first} to {b.text()}"
        return f"{a.text()} to {b.text(with_article=False)}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def parse_point(text: str) -> Point:
    qualifier = None
    m = _QUALIFIER.match(text)
    if m:
        qualifier, text = m.group(1), m.group(2)
    if m := _DAY.match(text):
        year, month, day = (int(g) for g in m.groups())
        try:
            datetime.date(year, month, day)
        except ValueError as exc:
            raise DateError(f"'{text}' is not a real date ({exc})") from None
        return Point(precision="day", year=year, month=month, day=day, qualifier=qualifier)
    if m := _MONTH.match(text):
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            raise DateError(f"'{text}' has no month {month}")
        return Point(precision="month", year=year, month=month, qualifier=qualifier)
    if m := _YEAR.match(text):
        return Point("year", int(m.group(1)), qualifier=qualifier)
    if m := _DECADE.match(text):
        return Point("decade", int(m.group(1)), qualifier=qualifier)
    if m := _CENTURY.match(text):
        n = int(m.group(1))
        if m.group(2) != _ordinal(n)[-2:] or n == 0:
            raise DateError(f"'{text}' is not a century (write e.g. '8th century', '21st century')")
        return Point("century", (n - 1) * 100, qualifier=qualifier)
    raise DateError(
        f"'{text}' is not a date: use YYYY-MM-DD, YYYY-MM, YYYY (or YYY), a decade ('1630s'), "
        "a century ('8th century'), optionally with early/mid/late, or a range 'A/B'"
    )


def parse_date(value: object) -> DateSpec:
    """Parse a date of the grammar in docs/schema.md; raise DateError when it does not fit."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise DateError(f"a date must be text such as '2014-08', not {value!r}")
    return _parse_text(" ".join(value.split()))


# Distinct dates of a large base: 100,000 facts dated to the day over 30 years hold about 22,500
# (4,096 kept, most were parsed again). One kept date is a few hundred bytes.
DATES_KEPT = 1 << 16


@functools.lru_cache(maxsize=DATES_KEPT)
def _parse_text(raw: str) -> DateSpec:
    """A date's text parsed once: a large fact base repeats the same dates many times."""
    parts = raw.split("/")
    if len(parts) > 2:
        raise DateError(f"'{raw}' has more than one '/': a range is 'START/END'")
    start = parse_point(parts[0].strip())
    end = parse_point(parts[1].strip()) if len(parts) == 2 else None
    if end is not None and end.sort_key < start.sort_key:
        raise DateError(f"'{raw}' ends before it starts")
    return DateSpec(raw, start, end)
