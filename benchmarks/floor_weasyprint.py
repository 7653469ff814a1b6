"""WeasyPrint floor: render a brief's HTML to PDF with WeasyPrint alone (python floor_weasyprint.py HTML BASE_URL).

With --tagged, the same HTML tagged as briefgen tags every PDF (PDF/UA-1 with its roles, artifacts and
alternative text, render.tagging): the cost of accessibility over the untagged floor.
"""

import sys
from pathlib import Path

import weasyprint


def main() -> None:
    html, base_url = Path(sys.argv[1]).read_text(encoding="utf-8"), sys.argv[2]
    if "--tagged" in sys.argv[3:]:
        from briefgen.render import tagging

        with tagging.tagged_streams():
            weasyprint.HTML(string=html, base_url=base_url).write_pdf(pdf_variant=tagging.ACCESSIBLE)
    else:
        weasyprint.HTML(string=html, base_url=base_url).write_pdf()


if __name__ == "__main__":
    main()
