"""The output formats and paper sizes briefgen renders, and what each output file is called."""

from __future__ import annotations

FORMATS = ("md", "pdf", "html")
PAPERS = ("A4", "Letter")


def output_name(audience: str, fmt: str, pages: int | None = None) -> str:
    """The file an audience's brief in one format is written to: 'defence-brief.pdf'.

    A brief cut to N pages is 'defence-brief-2p.pdf', so a short and a full brief live side by side.
    """
    return f"{brief_stem(audience, pages)}.{fmt}"


def brief_stem(audience: str, pages: int | None = None) -> str:
    """The name of an audience's brief without its extension: 'defence-brief', 'defence-brief-2p'."""
    return f"{audience}-brief-{pages}p" if pages else f"{audience}-brief"


def paper_named(name: object) -> str | None:
    """The paper size a name means, whatever its case ('letter' -> 'Letter'); None if briefgen has none."""
    return {p.lower(): p for p in PAPERS}.get(name.lower()) if isinstance(name, str) else None


def formats_problem(formats: object) -> str | None:
    """What is wrong with a list of output formats, or None: the one test config, options and build share."""
    if not isinstance(formats, (list, tuple)) or not formats:
        return f"must be a list drawn from {', '.join(FORMATS)}"
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        return f"has unknown format '{unknown[0]}' (known: {', '.join(FORMATS)})"
    return None
