"""WeasyPrint floor: render a brief's HTML to PDF with WeasyPrint alone (python floor_weasyprint.py HTML BASE_URL)."""

import sys
from pathlib import Path

import weasyprint


def main() -> None:
    html, base_url = Path(sys.argv[1]).read_text(encoding="utf-8"), sys.argv[2]
    weasyprint.HTML(string=html, base_url=base_url).write_pdf()


if __name__ == "__main__":
    main()
