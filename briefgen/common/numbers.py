"""How briefgen writes numbers, quantities and months: one form for checks, briefs and extraction."""

from __future__ import annotations

from typing import Protocol

MONTHS = ("January February March April May June July August September October November December").split()

_CURRENCY = {"USD": "US$", "JPY": "¥", "EUR": "€"}


class QuantityLike(Protocol):
    @property
    def value(self) -> float | str: ...
    @property
    def unit(self) -> str: ...
    @property
    def approximate(self) -> bool: ...


def format_number(value: float) -> str:
    """'3,320', '42.5', '1,234.5': thousands separated, no trailing zeros."""
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.10g}" if abs(value) >= 1000 else repr(value)


def plain_number(value: float | str) -> str:
    """The number as its digits alone ('3320', '42.5'): the form a quote's numbers are compared in."""
    if isinstance(value, str):
        return value
    return str(int(value)) if value == int(value) else repr(value)


def format_quantity(q: QuantityLike) -> str:
    """'US$42.5 billion', '¥2.8 trillion', '14.6%', '3,320 projects'; 'approx.' where hedged."""
    if isinstance(q.value, str):
        return q.value
    number = format_number(q.value)
    words = q.unit.split()
    if words and words[0] in _CURRENCY:
        text = f"{_CURRENCY[words[0]]}{number}" + "".join(f" {w}" for w in words[1:])
    elif q.unit in ("percent", "%"):
        text = f"{number}%"
    else:
        text = f"{number} {q.unit}"
    return f"approx. {text}" if q.approximate else text
