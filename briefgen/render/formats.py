"""The output formats and paper sizes briefgen renders, and what each output file is called."""

from __future__ import annotations

FORMATS = ("md", "pdf")
PAPERS = ("A4", "Letter")


def output_name(audience: str, fmt: str) -> str:
    """The file an audience's brief in one format is written to: 'defence-brief.pdf'."""
    return f"{audience}-brief.{fmt}"
