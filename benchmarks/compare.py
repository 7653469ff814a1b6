"""Compare two outputs of run.py, row by row: "nothing gets slower" (within 10 %) made checkable.

    .venv/bin/python benchmarks/compare.py BEFORE.md AFTER.md [--tolerance 0.10]

Both files are what run.py printed, ideally on the same machine in one sitting (one version's
briefgen each: run.py measures the briefgen of the Python that runs it). Rows are matched by their
command; a row only one file has is listed as such. Prints a Markdown table: each row's median
before and after, after/before, and whether it is within the tolerance; peak memory likewise.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Row:
    seconds: float
    peak_mb: float | None


def rows_of(text: str) -> dict[str, Row]:
    """The measured rows of run.py's tables: command -> median seconds and peak MB."""
    found = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 6 or not _number(cells[1]):
            continue  # a header, a separator, a ratio or a skipped row
        found[cells[0]] = Row(float(cells[1]), float(cells[4]) if _number(cells[4]) else None)
    return found


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def compare(before: dict[str, Row], after: dict[str, Row], tolerance: float) -> list[str]:
    lines = [
        "| command | before s | after s | after/before | time within tolerance | peak MB before → after |",
        "|---|---:|---:|---:|---|---|",
    ]
    for name, old in before.items():
        new = after.get(name)
        if new is None:
            lines.append(f"| {name} | {old.seconds:.3f} | — | — | not measured after | |")
            continue
        ratio = new.seconds / old.seconds if old.seconds else float("inf")
        ok = "yes" if ratio <= 1 + tolerance else "NO"
        peaks = f"{old.peak_mb or 0:.0f} → {new.peak_mb or 0:.0f}"
        lines.append(f"| {name} | {old.seconds:.3f} | {new.seconds:.3f} | {ratio:.2f}x | {ok} | {peaks} |")
    lines += [f"| {name} | — | {row.seconds:.3f} | — | new | |" for name, row in after.items() if name not in before]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description="Compare two run.py outputs row by row.")
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--tolerance", type=float, default=0.10, help="slower by at most this fraction")
    args = parser.parse_args()
    before, after = rows_of(args.before.read_text()), rows_of(args.after.read_text())
    if not before or not after:
        sys.exit("compare: no measured rows in one of the files (give run.py's output)")
    print("\n".join(compare(before, after, args.tolerance)))


if __name__ == "__main__":
    main()
