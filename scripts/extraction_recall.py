"""Recall of `briefgen extract`: of the sentences a specialist turned into facts, how many it proposes.

The specialist's list is the fact base itself: every quote of every fact (and of its `also` entries) marks
a sentence worth a fact. A sentence counts as found when extract would propose it (ignoring whether a fact
already covers it). Run: .venv/bin/python scripts/extraction_recall.py [FACTS_DIR] [--misses]
"""

from __future__ import annotations

import sys
from pathlib import Path

from briefgen.authoring.coverage import source_sentences
from briefgen.factbase.loading import load_fact_base


def recall(root: Path, show_misses: bool = False) -> dict[str, tuple[int, int]]:
    base, _ = load_fact_base(root)
    result: dict[str, tuple[int, int]] = {}
    for sid, text in base.texts.items():
        sentences = source_sentences(text)
        spans = sorted({(a.match.start, a.match.end) for a in base.anchors.values() if a.source == sid})
        wanted = {}
        for start, end in spans:
            for s in sentences:
                if s.start < end and start < s.end:
                    wanted[s.start] = s
        found = [s for s in wanted.values() if s.cues.proposable]
        result[sid] = (len(found), len(wanted))
        if show_misses:
            for s in wanted.values():
                if not s.cues.proposable:
                    print(f"  miss {sid} {s.locator}: {s.text[:150]}")
    return result


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    root = Path(args[0]) if args else Path("facts")
    table = recall(root, "--misses" in sys.argv)
    for sid, (found, wanted) in table.items():
        print(f"{sid}: {found}/{wanted} sentences a fact quotes are proposed ({found / max(wanted, 1):.0%})")
    found, wanted = (sum(v[i] for v in table.values()) for i in (0, 1))
    print(f"all: {found}/{wanted} ({found / max(wanted, 1):.1%})")


if __name__ == "__main__":
    main()
