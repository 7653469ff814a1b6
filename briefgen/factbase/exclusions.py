"""exclusions.yaml: sentences of the sources left without a fact on purpose, each anchored and explained.

Read here, below both `check` (which refuses a broken file) and `coverage` (which leaves them out).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from briefgen.errors import Problem
from briefgen.factbase.anchoring import AnchorError, anchor
from briefgen.factbase.readers import YamlProblem, line_of, read_yaml
from briefgen.factbase.sources import Source, SourceText, read_source_text

EXCLUSIONS = "exclusions.yaml"
EXCLUSION_FIELDS = ("source", "quote", "reason", "prefix")  # prefix picks one of a repeated sentence, as for quotes


@dataclass(frozen=True)
class Exclusion:
    """A sentence left uncovered on purpose: where its quote starts, and why."""

    source: str
    start: int
    reason: str


class _Texts:
    """Source texts by id: those already loaded, else read once on demand (a cached check has none)."""

    def __init__(self, root: Path, sources: Mapping[str, Source], texts: Mapping[str, SourceText]):
        # Not copied: the loaded texts may be made on demand (loading.SourceTexts), only those asked for.
        self.root, self.sources, self.texts = root, sources, texts
        self.read: dict[str, SourceText | None] = {}

    def get(self, source_id: str) -> SourceText | None:
        if source_id in self.texts:
            return self.texts[source_id]
        if source_id not in self.read and source_id in self.sources:
            # Its problems are reported by the load.
            self.read[source_id], _problems = read_source_text(self.sources[source_id], self.root)
        return self.read.get(source_id)


def _exclusion(entry: Any, sources: Mapping[str, Source], texts: _Texts) -> Exclusion | str | None:
    """The exclusion an entry makes, or what is wrong with it; None when its source text is unreadable."""
    if not isinstance(entry, dict):
        return "each exclusion must be a mapping of source, quote and reason"
    unknown = sorted(str(k) for k in entry if k not in EXCLUSION_FIELDS)
    if unknown:
        return f"unknown field '{unknown[0]}' (allowed: {', '.join(EXCLUSION_FIELDS)})"
    source, quote, reason, prefix = (entry.get(k) for k in EXCLUSION_FIELDS)
    if not (isinstance(source, str) and isinstance(quote, str) and isinstance(reason, str)):
        return "an exclusion needs 'source', 'quote' and 'reason', each as text"
    if not (source.strip() and quote.strip() and reason.strip()):
        return "an exclusion needs 'source', 'quote' and 'reason', each as text"
    if prefix is not None and not isinstance(prefix, str):
        return "'prefix' must be text"
    if source not in sources:
        return f"unknown source '{source}' (known: {', '.join(sorted(sources))})"
    text = texts.get(source)
    if text is None:
        return None  # the registry's own problem (unreadable text) is reported where it is
    try:
        return Exclusion(source, anchor(text.normal, quote, prefix or None).start, reason)
    except AnchorError as exc:
        return f"exclusion quote: {exc} (source {source})"


def read_exclusions(
    root: Path, sources: Mapping[str, Source], texts: Mapping[str, SourceText]
) -> tuple[list[Exclusion], list[Problem]]:
    """Read exclusions.yaml (optional); every entry's quote must anchor in its source."""
    path = root / EXCLUSIONS
    if not path.is_file():
        return [], []
    try:
        data = read_yaml(path)
    except YamlProblem as exc:
        return [], [Problem(EXCLUSIONS, exc.line, None, exc.message)]
    if data is None:  # comments only, as `briefgen init` writes it
        return [], []
    if not isinstance(data, list):
        return [], [Problem(EXCLUSIONS, line_of(data), None, "must be a YAML list of {source, quote, reason}")]
    found: list[Exclusion] = []
    problems: list[Problem] = []
    lookup = _Texts(root, sources, texts)
    for entry in data:
        result = _exclusion(entry, sources, lookup)
        if isinstance(result, Exclusion):
            found.append(result)
        elif result is not None:
            subject = entry.get("source") if isinstance(entry, dict) else None
            problems.append(Problem(EXCLUSIONS, line_of(entry), str(subject) if subject else None, result))
    return found, problems
