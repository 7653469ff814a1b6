"""Fit a brief to N pages: estimate from the Markdown's length, render the PDF, correct, render again.

The PDF decides: a brief of N pages is one whose rendered PDF, notes included, has at most N pages.
The type is never shrunk; what changes is how many units of the brief (brief.length) are kept.
A `--pages` build of Markdown alone measures on the PDF too, so its Markdown says what the PDF of
the same budget says.
"""

from __future__ import annotations

import datetime
import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from briefgen.brief.audiences import Audience
from briefgen.brief.length import cut, units_count
from briefgen.brief.selection import Brief, Choice, choose, number
from briefgen.errors import BuildError

if TYPE_CHECKING:
    from briefgen.factbase.loading import FactBase
    from briefgen.render.pdf import PdfOptions

# Markdown characters a PDF page holds, text and notes together: the full briefs run 3,500-5,000
# (measured on the shipped base); the estimate takes the low end, so the first render usually fits.
CHARS_PER_PAGE = 4000
MAX_RENDERS = 6  # the loop converges in one or two; a budget still overflowing after six is an error
MARGIN = 0.97  # a correction aims this far below the measured capacity, so it does not overflow again


@dataclass(frozen=True)
class Fitted:
    """The units kept, the PDF that proved they fit, what WeasyPrint warned and how many renders it took."""

    keep: int
    pdf: bytes
    warnings: tuple[str, ...]
    renders: int
    seconds: float  # the whole fit: estimates and renders


def short_brief(
    choice: Choice,
    base: FactBase,
    audience: Audience,
    keep: int,
    pages: int,
    prepared: datetime.date,
    metric_labels: dict[str, str],
) -> Brief:
    """The brief with the key points and the `keep` heaviest units, numbered."""
    return number(cut(choice, audience, keep, pages), base, audience, prepared, metric_labels)


def largest(fits: Callable[[int], bool], top: int) -> int:
    """The largest k in 0..top with fits(k), assuming fits is true up to some k and false after; -1 if none."""
    low, high = -1, top
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def estimate(chars: Callable[[int], int], budget: int, top: int) -> int:
    """The most units, up to top, whose Markdown stays within budget characters (0: the key points alone)."""
    return max(largest(lambda k: chars(k) <= budget, top), 0)


def page_count(pdf: bytes) -> int:
    import pypdf

    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages)


def fit(
    base: FactBase,
    audience: Audience,
    pages: int,
    options: PdfOptions,
    prepared: datetime.date,
    metric_labels: dict[str, str],
) -> Fitted:
    """How many units of the audience's brief fit `pages` pages of PDF, proved by a render."""
    from briefgen.render.pdf import make_job, render_job_warned
    from briefgen.render.templates import render

    started = time.perf_counter()
    choice = choose(base, audience)
    total = units_count(choice, audience)
    sizes: dict[int, int] = {}

    def brief(keep: int) -> Brief:
        return short_brief(choice, base, audience, keep, pages, prepared, metric_labels)

    def chars(keep: int) -> int:
        if keep not in sizes:
            sizes[keep] = len(render(brief(keep), "md", options.templates))
        return sizes[keep]

    keep = estimate(chars, pages * CHARS_PER_PAGE, total)
    for renders in range(1, MAX_RENDERS + 1):
        pdf, warnings = render_job_warned(make_job(brief(keep), options))
        used = page_count(pdf)
        if used <= pages:
            return Fitted(keep, pdf, warnings, renders, time.perf_counter() - started)
        if keep == 0:
            raise BuildError(
                f"{audience.name}: --pages {pages} cannot hold even the key points (they take {used} pages); "
                f"give more pages, or fewer key points in the profile"
            )
        # Correct: the PDF held chars(keep) in `used` pages, so N pages hold about that share of it.
        keep = estimate(chars, int(chars(keep) * pages / used * MARGIN), keep - 1)
    raise BuildError(f"{audience.name}: the brief did not fit {pages} page(s) after {MAX_RENDERS} renders")
