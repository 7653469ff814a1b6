"""`check`, the one gate: load the fact base and apply every rule; a build runs the same gate first.

Whatever a build reads besides the facts (metrics.yaml, exclusions.yaml, the audience profiles) is
checked here too, so that a build never fails on content that `check` passed.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from briefgen.brief.audiences import Audience, available_audiences, load_audience, profile_problems
from briefgen.check import STALE_YEARS
from briefgen.check.rules import check_fact, check_links, check_source_metadata
from briefgen.check.staleness import brief_facts, disagreement_problems, stale_figures
from briefgen.common.hashing import sha256_text, tree_digest
from briefgen.common.paths import MAX_TEMPLATE_FILES, SHIPPED_TEMPLATES, templates_problem
from briefgen.errors import BriefgenError, FactBaseError, Problem
from briefgen.factbase import cache, codec
from briefgen.factbase.exclusions import read_exclusions
from briefgen.factbase.loading import FactBase, content_digest, digest_as_loaded, load_fact_base
from briefgen.factbase.metrics import read_metrics
from briefgen.factbase.readers import key_lines

ACROSS = "across"  # the cache's kind of entry for the rules across facts


def run_check(
    root: Path,
    stale_years: float = STALE_YEARS,
    today: datetime.date | None = None,
    outline: bool = False,
    templates: Path | None = None,
) -> tuple[FactBase, list[Problem]]:
    """Load the fact base at root and apply every rule; return it with all problems, sorted.

    outline=True lets facts come back from worker processes as outlines (see load_fact_base): for a
    caller that only reports problems and counts. With the rules across facts' result cached as well,
    no fact is decoded at all: base.facts is then empty and base.fact_count says how many there are
    (a caller that reads the facts passes outline=False). Every audience profile (shipped, and the user's
    under templates) is validated as well. Staleness is judged in each brief against its own
    information date, not against the clock: `today` is accepted for callers and no longer read.
    """
    # The rules across facts read the fact base's files, the profiles and stale_years only (and
    # briefgen's code), so an entry keyed by all of those is their result: a check of an unchanged
    # base skips them, and (reporting counts only) does not even decode its facts from the cache.
    digest = _base_digest(root)
    options = (stale_years, outline, templates)
    key = _across_key(root, digest, *options)
    across = _stored_across(key)
    # The per-fact rules run as each file is read; the rules across facts after all are in.
    decode = not outline or across is None
    base, problems = load_fact_base(root, rules=check_fact, outline=outline, decode=decode, digest=digest)
    if across is None:
        across = _judged_across(base, stale_years, templates)
        # Kept only if the base was loaded from the files the key names (none changed while read) and
        # the files read after the load (metrics.yaml, exclusions.yaml, the profiles) still are those.
        if key is not None and key == _across_key(root, digest_as_loaded(base), *options):
            cache.write(ACROSS, key, codec.encode_problems(across))
    problems += across
    problems.sort(key=lambda p: (p.file, p.line or 0, p.severity != "error"))
    return base, problems


def _stored_across(key: str | None) -> list[Problem] | None:
    """The problems the rules across facts found, kept in the cache under key; None on a miss."""
    if key is None:
        return None
    try:
        stored = cache.read(ACROSS, key)
        return None if stored is None else codec.decode_problems(stored)
    except (KeyError, ValueError, TypeError) as exc:  # codec.ShapeError is a ValueError
        cache.discard(ACROSS, key, f"not a list of problems ({exc})")
        return None


def _base_digest(root: Path) -> str | None:
    """One hash of every file of the fact base, shared by the load and the rules across facts' key;
    None without a cache, or where no fact base is (a wrong --facts is refused, never walked)."""
    if cache.cache_dir() is None or not (root / "sources.yaml").is_file():
        return None
    return content_digest(root, {})


def _across_key(
    root: Path, digest: str | None, stale_years: float, outline: bool, templates: Path | None
) -> str | None:
    if digest is None or (templates is not None and templates_problem(templates)):
        return None  # no cache, or a templates directory profile_problems refuses (and must walk no further)
    try:
        inputs = digest + tree_digest([SHIPPED_TEMPLATES])
        if templates is not None:  # a user's directory: bounded, as the build's fingerprint bounds it
            inputs += tree_digest([templates], max_files=MAX_TEMPLATE_FILES)
    except (BriefgenError, OSError):
        return None  # a file that cannot be hashed: judge afresh (profile_problems names it, if it matters)
    parts = [cache.code_digest(), inputs, repr(stale_years), str(outline), str(root.resolve()), str(templates)]
    return sha256_text(*parts)


def _judged_across(base: FactBase, stale_years: float, templates: Path | None) -> list[Problem]:
    root = base.root
    problems = check_links(base)
    problems += check_source_metadata(base)
    problems += read_metrics(root)[1]
    problems += read_exclusions(root, base.sources, base.texts)[1]
    problems += profile_problems(templates)
    audiences = _audiences(templates)
    problems += unknown_profile_topics(audiences, base)
    briefs = brief_facts(base, audiences)
    problems += stale_figures(base, briefs, stale_years)
    problems += disagreement_problems(base, briefs)
    return problems


def unknown_profile_topics(audiences: list[Audience], base: FactBase) -> list[Problem]:
    """A profile naming a topic the vocabulary lacks: a typo that would silently empty a section.

    Only profiles that use some topic of this base are judged: one using none is for another subject.
    """
    problems = []
    for audience in audiences:
        if audience.path is None:
            continue
        lines = key_lines(audience.path)
        used = [("topic_weights", t) for t in audience.topic_weights]
        for spec in audience.sections:
            used += [("sections", t) for t in sorted(spec.topics | spec.require_any)]
        if not any(topic in base.topics for _key, topic in used):
            continue  # a profile for another subject (the shipped ones, beside a new fact base)
        for key, topic in dict.fromkeys(used):
            if topic not in base.topics:
                message = f"{key}: unknown topic '{topic}' (see topics.yaml); a section with it finds no facts"
                problems.append(Problem(str(audience.path), lines.get(key), audience.name, message))
    return problems


def _audiences(templates: Path | None) -> list[Audience]:
    """Every profile that loads; a broken one is reported by profile_problems instead."""
    found = []
    for name in available_audiences(templates):
        try:
            found.append(load_audience(name, templates))
        except BriefgenError:
            continue
    return found


def load_checked(
    root: Path, stale_years: float = STALE_YEARS, today: datetime.date | None = None, templates: Path | None = None
) -> tuple[FactBase, list[Problem]]:
    """Load and check the fact base; raise with every error, return the warnings (not the notes)."""
    base, problems = run_check(root, stale_years=stale_years, today=today, templates=templates)
    if any(p.severity == "error" for p in problems):
        raise FactBaseError(problems)
    return base, [p for p in problems if p.severity == "warning"]
