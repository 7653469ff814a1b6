"""Load a whole fact base: sources, their texts, the topic vocabulary and the facts, anchored."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from briefgen.anchoring import AnchorError, Match, anchor
from briefgen.errors import Problem, UsageError
from briefgen.facts import Fact, Topics, fact_files, load_fact_file, load_topics
from briefgen.sources import Source, SourceText, load_sources, read_source_text


@dataclass(frozen=True)
class Anchor:
    """Where one piece of a fact's evidence stands in its source."""

    source: str
    locator: str
    match: Match


@dataclass
class FactBase:
    """Everything loaded from a fact base directory."""

    root: Path
    sources: dict[str, Source]
    texts: dict[str, SourceText]
    topics: Topics
    facts: list[Fact]
    anchors: dict[tuple[str, int], Anchor] = field(default_factory=dict)

    def by_id(self) -> dict[str, Fact]:
        return {f.id: f for f in self.facts}

    def anchors_of(self, fact: Fact) -> list[Anchor]:
        return [self.anchors[(fact.id, i)] for i in range(len(fact.evidence)) if (fact.id, i) in self.anchors]


def load_fact_base(root: Path) -> tuple[FactBase, list[Problem]]:
    """Load and anchor the fact base at root; return it with every problem found."""
    if not (root / "sources.yaml").is_file():
        raise UsageError(f"{root}: not a fact base (no sources.yaml); pass --facts DIR")
    sources, problems = load_sources(root)
    texts: dict[str, SourceText] = {}
    for source in sources.values():
        text, found = read_source_text(source, root)
        problems += found
        if text is not None:
            texts[source.id] = text
    topics, found = load_topics(root)
    problems += found
    facts: list[Fact] = []
    for path in fact_files(root):
        loaded, found = load_fact_file(path, root)
        facts += loaded
        problems += found
    base = FactBase(root, sources, texts, topics, facts)
    problems += anchor_all(base)
    return base, problems


def anchor_all(base: FactBase) -> list[Problem]:
    """Anchor every quote of every fact, recording locators; report the ones that fail."""
    problems = []
    for fact in base.facts:
        for i, ev in enumerate(fact.evidence):
            where = "quote" if i == 0 else f"also[{i - 1}]"
            if ev.source not in base.sources:
                known = ", ".join(sorted(base.sources))
                problems.append(
                    Problem(fact.file, fact.line, fact.id, f"{where}: unknown source '{ev.source}' (known: {known})")
                )
                continue
            text = base.texts.get(ev.source)
            if text is None:
                continue
            try:
                match = anchor(text.normal, ev.quote, ev.prefix, ev.suffix)
            except AnchorError as exc:
                problems.append(Problem(fact.file, fact.line, fact.id, f"{where}: {exc} (source {ev.source})"))
                continue
            base.anchors[(fact.id, i)] = Anchor(ev.source, text.locator(match), match)
    return problems
