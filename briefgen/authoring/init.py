"""`briefgen init`: an empty fact base for a new subject, and a starter audience profile beside it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from briefgen.errors import UsageError

SOURCES = """\
# The source registry: one entry per source document. Register documents with `briefgen add PATH`
# (.txt, .md, .html, .pdf, .docx): it keeps the original under originals/, writes the text to texts/,
# records both sha256 digests, the pages or the body, and where each metadata field came from.
# Metadata records only what the document itself shows; a field it does not show stays null.
# Facts go in fact files beside this one (any other NAME.yaml: a YAML list of facts); `briefgen extract`
# proposes candidates into candidates/ for review. See docs/schema.md.
"""

TOPICS = """\
# The topic vocabulary: groups of `topic: description`. Every fact's `topics` come from here, and
# audience profiles (templates/audiences/*.yaml) choose facts by topic. `briefgen extract` suggests
# topics from these descriptions: name the things your sources talk about. Replace these starters.
general:
  background: History and context of the subject, before the period the briefs cover.
  developments: Meetings, visits, agreements, decisions and other events.
  figures: Amounts, counts, rankings and other measured values.
  outlook: Judgements and expectations the sources express.
"""

METRICS = """\
# Metric labels: the measure each `quantity.metric` names, shown as table headings and figure captions.
# Facts that give values of the same measure share a metric, so briefgen shows them as a series.
# For example:
# oda-cumulative: Cumulative development assistance
"""

EXCLUSIONS = """\
# Sentences of the sources deliberately left without a fact, each with a reason; `briefgen coverage`
# checks them. For example:
# - source: some-source
#   quote: The verbatim start of the sentence
#   reason: byline
"""

GITIGNORE = """\
# Candidate facts from `briefgen extract`: review files, not part of the fact base.
candidates/
"""

AUDIENCE = """\
# A starter audience profile: which facts this audience gets, in which sections (README: Templates and audiences).
# Build it with `briefgen build --audience general`; copy it to make others.
title: "Brief"
audience: General readers
key_points:
  count: 3
topic_weights:
  developments: 1
sections:
  - title: Background
    topics: [background]
  - title: Developments
    topics: [developments]
  - title: Figures
    topics: [figures]
  - title: Outlook
    topics: [outlook]
"""


@dataclass(frozen=True)
class Initialised:
    """What `briefgen init` created."""

    fact_base: Path
    audience: Path | None  # None when a profile of that name was already there


def init_fact_base(root: Path, templates: Path) -> Initialised:
    """Create the fact base at root (which must not hold one) and, if absent, templates/audiences/general.yaml."""
    if os.path.lexists(root / "sources.yaml"):
        raise UsageError(f"{root} already holds a fact base (sources.yaml); nothing was changed")
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root} is a file, not a directory")
    files = {
        "sources.yaml": SOURCES,
        "topics.yaml": TOPICS,
        "metrics.yaml": METRICS,
        "exclusions.yaml": EXCLUSIONS,
        ".gitignore": GITIGNORE,
    }
    # lexists: a link to nowhere is in the way too; writing through it would create a file elsewhere.
    clashes = [name for name in files if os.path.lexists(root / name)]
    if clashes:
        raise UsageError(f"{root / clashes[0]} already exists; init only creates a new fact base")
    profile = templates / "audiences" / "general.yaml"
    created: list[Path] = []
    try:
        for directory in ("texts", "originals"):
            (root / directory).mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            _create(root / name, text, created)
        if os.path.lexists(profile):
            return Initialised(root, None)
        profile.parent.mkdir(parents=True, exist_ok=True)
        _create(profile, AUDIENCE, created)
    except OSError as exc:
        for path in created:  # a half-made fact base would make the next init refuse
            path.unlink(missing_ok=True)
        where = exc.filename or root
        raise UsageError(f"cannot create the fact base {root}: {where}: {exc.strerror or exc}") from None
    return Initialised(root, profile)


def _create(path: Path, text: str, created: list[Path]) -> None:
    """Write a new file; mode "x" (O_EXCL) fails on anything already there, a symbolic link included."""
    with path.open("x", encoding="utf-8") as handle:
        created.append(path)
        handle.write(text)
