"""`check`, the one gate: load the fact base and apply every rule; a build runs the same gate first.

Whatever a build reads besides the facts (metrics.yaml, exclusions.yaml, the audience profiles) is
checked here too, so that a build never fails on content that `check` passed.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from briefgen.brief.audiences import profile_problems
from briefgen.check import STALE_YEARS
from briefgen.check.rules import check_fact, check_links, check_source_metadata, disagreement_warnings, stale_figures
from briefgen.errors import FactBaseError, Problem
from briefgen.factbase.exclusions import read_exclusions
from briefgen.factbase.loading import FactBase, load_fact_base
from briefgen.factbase.metrics import read_metrics


def run_check(
    root: Path,
    stale_years: float = STALE_YEARS,
    today: datetime.date | None = None,
    outline: bool = False,
    templates: Path | None = None,
) -> tuple[FactBase, list[Problem]]:
    """Load the fact base at root and apply every rule; return it with all problems, sorted.

    outline=True lets facts come back from worker processes as outlines (see load_fact_base): for a
    caller that only reports problems and counts. Every audience profile (shipped, and the user's
    under templates) is validated as well.
    """
    # The per-fact rules run as each file is read; the rules across facts after all are in.
    base, problems = load_fact_base(root, rules=check_fact, outline=outline)
    problems += check_links(base)
    problems += check_source_metadata(base)
    problems += read_metrics(root)[1]
    problems += read_exclusions(root, base.sources, base.texts)[1]
    problems += profile_problems(templates)
    problems += stale_figures(base, today or datetime.date.today(), stale_years)
    problems += disagreement_warnings(base)
    problems.sort(key=lambda p: (p.file, p.line or 0, p.severity != "error"))
    return base, problems


def load_checked(
    root: Path, stale_years: float = STALE_YEARS, today: datetime.date | None = None, templates: Path | None = None
) -> tuple[FactBase, list[Problem]]:
    """Load and check the fact base; raise with every error, return the warnings."""
    base, problems = run_check(root, stale_years=stale_years, today=today, templates=templates)
    if any(p.severity == "error" for p in problems):
        raise FactBaseError(problems)
    return base, problems
