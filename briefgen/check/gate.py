"""`check`, the one gate: load the fact base and apply every rule; a build runs the same gate first."""

from __future__ import annotations

import datetime
from pathlib import Path

from briefgen.check import STALE_YEARS
from briefgen.check.rules import check_fact, check_links, disagreement_warnings, stale_figures
from briefgen.errors import FactBaseError, Problem
from briefgen.factbase.loading import FactBase, load_fact_base


def run_check(
    root: Path, stale_years: float = STALE_YEARS, today: datetime.date | None = None, outline: bool = False
) -> tuple[FactBase, list[Problem]]:
    """Load the fact base at root and apply every rule; return it with all problems, sorted.

    outline=True lets facts come back from worker processes as outlines (see load_fact_base): for a
    caller that only reports problems and counts.
    """
    # The per-fact rules run as each file is read; the rules across facts after all are in.
    base, problems = load_fact_base(root, rules=check_fact, outline=outline)
    problems += check_links(base)
    problems += stale_figures(base, today or datetime.date.today(), stale_years)
    problems += disagreement_warnings(base)
    problems.sort(key=lambda p: (p.file, p.line or 0, p.severity != "error"))
    return base, problems


def load_checked(
    root: Path, stale_years: float = STALE_YEARS, today: datetime.date | None = None
) -> tuple[FactBase, list[Problem]]:
    """Load and check the fact base; raise with every error, return the warnings."""
    base, problems = run_check(root, stale_years=stale_years, today=today)
    if any(p.severity == "error" for p in problems):
        raise FactBaseError(problems)
    return base, problems
