"""Write the HTML a PDF build hands to WeasyPrint, and its base URL (python brief_html.py FACTS AUDIENCE OUT [PAGES]).

With PAGES, the HTML of the brief fitted to that many pages, as `build --pages PAGES` renders it.
"""

import datetime
import sys
from pathlib import Path

from briefgen.brief.audiences import load_audience
from briefgen.brief.selection import select
from briefgen.check.gate import load_checked
from briefgen.factbase.metrics import metric_labels
from briefgen.publish.build import BuildRequest
from briefgen.render.pdf import base_url_for, pdf_html


def main() -> None:
    facts, audience, out = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    prepared = datetime.date(2026, 1, 1)
    request = BuildRequest(
        facts=facts, templates=None, output=out.parent, audiences=(audience,), formats=("pdf",), prepared=prepared
    )
    base, _warnings = load_checked(facts, today=prepared)
    brief = select(base, load_audience(audience, None), prepared, metric_labels(facts))
    if len(sys.argv) > 4:
        from briefgen.brief.selection import choose
        from briefgen.publish.build import pdf_options
        from briefgen.publish.fit import fit, short_brief

        pages, profile, labels = int(sys.argv[4]), load_audience(audience, None), metric_labels(facts)
        keep = fit(base, profile, pages, pdf_options(request), prepared, labels).keep
        brief = short_brief(choose(base, profile), base, profile, keep, pages, prepared, labels)
    out.write_text(pdf_html(brief, request), encoding="utf-8")
    print(base_url_for(None))


if __name__ == "__main__":
    main()
