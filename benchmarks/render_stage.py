"""Time briefgen's conversion stage alone: a selected brief rendered to HTML, in-process.

    python render_stage.py FACTS AUDIENCE [RUNS]

Prints the median seconds of RUNS renders (the first, which compiles the template, not counted):
the like-for-like match for pandoc turning the brief's Markdown into HTML, without Python's start-up
and the loading of the fact base, which pandoc does not do either.
"""

import datetime
import statistics
import sys
import time
from pathlib import Path

from briefgen.brief.audiences import load_audience
from briefgen.brief.selection import select
from briefgen.check.gate import load_checked
from briefgen.factbase.metrics import metric_labels
from briefgen.publish.build import BuildRequest
from briefgen.render.pdf import pdf_html


def main() -> None:
    facts, audience = Path(sys.argv[1]), sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 7
    prepared = datetime.date(2026, 1, 1)
    base, _warnings = load_checked(facts, today=prepared)
    brief = select(base, load_audience(audience, None), prepared, metric_labels(facts))
    request = BuildRequest(facts, None, Path("."), (audience,), ("pdf",), prepared=prepared)
    pdf_html(brief, request)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        pdf_html(brief, request)
        times.append(time.perf_counter() - started)
    print(f"{statistics.median(times):.6f}")


if __name__ == "__main__":
    main()
