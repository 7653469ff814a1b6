"""Quote anchoring: find a verbatim quote in its source despite reflow, hyphenation and typography."""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass

_TYPOGRAPHY = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
    "\u00ad": "",
    "\u200b": "",
    "\u200c": "",
    "\u200d": "",
    "\ufeff": "",
}
# One pass of a regular expression: str.translate is many times slower on non-ASCII text.
_TYPOGRAPHY_RE = re.compile(f"[{''.join(_TYPOGRAPHY)}]")
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_DASH_RE = re.compile(f"[{_DASHES}]")
# A dash right after a letter at a line end hyphenates a word across the break.
_LINE_END_HYPHEN = re.compile(rf"\w[{_DASHES}]$")


def ends_hyphenated(line: str) -> bool:
    """Whether a line ends in a word broken by a hyphen: the next line continues that word."""
    return bool(line) and line[-1] in _DASHES and bool(_LINE_END_HYPHEN.search(line))


def _clean(text: str) -> str:
    return _TYPOGRAPHY_RE.sub(_typography, unicodedata.normalize("NFC", text))


def _typography(found: re.Match[str]) -> str:
    return _TYPOGRAPHY[found.group()]


@dataclass(frozen=True)
class NormalText:
    """A text normalised once, with where each original line starts in the normalised text."""

    text: str
    line_offsets: tuple[int, ...]  # normalised offset at which original line i+1 starts

    def line_at(self, offset: int) -> int:
        """Return the 1-based original line holding the normalised offset."""
        return bisect.bisect_right(self.line_offsets, offset)


def normalise_lines(text: str) -> NormalText:
    """Normalise a whole text, remembering the original lines (for page and paragraph locators)."""
    cleaned = _clean(text)
    # Dashes go in one pass over the whole text; each line then only folds its white space.
    dashless = _DASH_RE.sub("", cleaned).split("\n")
    parts: list[str] = []
    offsets: list[int] = []
    length = 0
    join_next = False
    for raw, bare in zip(cleaned.split("\n"), dashless, strict=True):
        line = " ".join(bare.split())
        if line and parts and not join_next:
            parts.append(" ")
            length += 1
        offsets.append(length)
        if line:
            parts.append(line)
            length += len(line)
            end = raw.rstrip()
            join_next = ends_hyphenated(end)
    return NormalText("".join(parts), tuple(offsets))


def normalise(text: str) -> str:
    """Normalise a quote or passage the same way as a source text."""
    if "\n" not in text:  # the usual quote: one line, so no line ends to join
        return " ".join(_DASH_RE.sub("", _clean(text)).split())
    return normalise_lines(text).text


@dataclass(frozen=True)
class Match:
    """Where a quote was found: its normalised span and the original lines it covers."""

    start: int
    end: int
    first_line: int
    last_line: int


class AnchorError(ValueError):
    """Raised when a quote is not found exactly once; the message says what to fix."""


def find_all(haystack: str, needle: str) -> list[int]:
    found, at = [], haystack.find(needle)
    while at != -1:
        found.append(at)
        at = haystack.find(needle, at + 1)
    return found


def anchor(source: NormalText, quote: str, prefix: str | None = None, suffix: str | None = None) -> Match:
    """Find the quote once in the source, using prefix and suffix to choose among repeats."""
    needle = normalise(quote)
    if len(needle) < 12:
        raise AnchorError(f"quote '{quote.strip()}' is too short to anchor; quote at least a clause")
    hits = find_all(source.text, needle)
    if not hits:
        raise AnchorError(f'quote not found; closest passage: "{closest_passage(source.text, needle)}"')
    if prefix:
        want = normalise(prefix)
        hits = [h for h in hits if source.text[:h].rstrip().endswith(want)]
    if suffix:
        want = normalise(suffix)
        hits = [h for h in hits if source.text[h + len(needle) :].lstrip().startswith(want)]
    if not hits:
        raise AnchorError("quote found, but not with the given prefix/suffix around it")
    if len(hits) > 1:
        raise AnchorError(f"quote occurs {len(hits)} times; add a prefix or suffix, or quote more")
    start = hits[0]
    end = start + len(needle)
    return Match(start=start, end=end, first_line=source.line_at(start), last_line=source.line_at(max(start, end - 1)))


def closest_passage(text: str, needle: str, width: int | None = None) -> str:
    """Return the stretch of text most like the needle, to show beside a 'not found' error."""
    import difflib  # only for a quote that failed to anchor

    matcher = difflib.SequenceMatcher(None, text, needle, autojunk=False)
    best = matcher.find_longest_match(0, len(text), 0, len(needle))
    start = max(0, best.a - best.b)
    width = width or min(len(needle) + 20, 240)
    passage = text[start : start + width]
    return passage + ("…" if start + width < len(text) else "")
