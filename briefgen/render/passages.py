"""The source passages an HTML brief shows in context: the paragraph around each quote, the quote marked.

The anchor finds a quote in the source's normalised text (typography folded, dashes dropped, white
space folded, hyphenated line ends joined: `factbase.anchoring`). A reader must see the source as it
is written, so each normalised offset is mapped back to the text as written (after Unicode NFC, which
changes how a character is stored, never how it looks) and the mark covers exactly the characters the
anchor matched, dashes and line breaks included.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from briefgen.brief.selection import Brief, Citation
from briefgen.factbase.anchoring import _DASHES, _TYPOGRAPHY, ends_hyphenated
from briefgen.factbase.loading import FactBase
from briefgen.factbase.sources import Source, SourceText

CONTEXT_LINES = 4  # at most this many lines of context each side: a page without blank lines stays an excerpt
CONTEXT_CHARS = 400  # and at most about this many characters, cut at a space: the file stays small


@dataclass(frozen=True)
class Passage:
    """One passage of a source as written: the text before the quote, the quote, the text after it."""

    number: int
    source: Source
    locator: str
    before: str
    marked: str
    after: str
    first_line: int
    last_line: int
    cut_before: bool = False  # the excerpt starts inside a line of the source
    cut_after: bool = False

    @property
    def id(self) -> str:
        return f"passage-{self.number}"


@dataclass(frozen=True)
class Passages:
    """The passages of one brief, each once, and which passage each citation of each note opens."""

    items: tuple[Passage, ...]
    of_note: dict[int, tuple[int, ...]]  # note number -> the passage number of each of its citations

    def notes_citing(self, number: int) -> tuple[int, ...]:
        """The notes that open a passage, in order."""
        return tuple(note for note, passages in self.of_note.items() if number in passages)


def written_offsets(text: str) -> tuple[str, list[int]]:
    """The normalised text rebuilt character by character, and for each of its characters the offset in text.

    It follows `normalise_lines` step by step; a joining space maps to the line break it stands for.
    Lines from a non-blank one on rebuild the normalised text from that line's offset on.
    """
    chars: list[str] = []
    where: list[int] = []
    join_next = False
    start = 0
    for raw in text.split("\n"):
        line_chars: list[str] = []
        line_where: list[int] = []
        pending_space = -1
        for i, ch in enumerate(raw):
            folded = _TYPOGRAPHY.get(ch, ch)
            if not folded or folded in _DASHES:
                continue
            if folded.isspace():
                if line_chars and pending_space < 0:
                    pending_space = start + i
                continue
            if pending_space >= 0:
                line_chars.append(" ")
                line_where.append(pending_space)
                pending_space = -1
            line_chars.append(folded)
            line_where.append(start + i)
        if line_chars:
            if chars and not join_next:
                chars.append(" ")
                where.append(start - 1)  # the line break before this line
            chars += line_chars
            where += line_where
            join_next = ends_hyphenated(raw.translate(_TYPOGRAPHY_TABLE).rstrip())
        start += len(raw) + 1
    return "".join(chars), where


_TYPOGRAPHY_TABLE = str.maketrans(_TYPOGRAPHY)


@dataclass(frozen=True)
class Written:
    """A source as written (NFC) and its normalised text, with where each normalised line starts."""

    text: str
    normal: str
    line_offsets: tuple[int, ...]  # in the normalised text
    line_starts: tuple[int, ...]  # in the text as written, and its length + 1 at the end


def written_text(text: SourceText) -> Written:
    written = unicodedata.normalize("NFC", text.raw)
    starts = [0]
    for line in written.split("\n"):
        starts.append(starts[-1] + len(line) + 1)
    return Written(written, text.normal.text, text.normal.line_offsets, tuple(starts))


def passage_span(written: Written, span: Span) -> tuple[int, int] | None:
    """Where the normalised span stands in the text as written; None if rebuilding its lines disagrees.

    Only the quote's own lines are rebuilt: the whole source would cost a pass in Python per source.
    """
    offset = written.line_offsets[span.first_line - 1]
    begin = written.line_starts[span.first_line - 1]
    rebuilt, local = written_offsets(written.text[begin : written.line_starts[span.last_line] - 1])
    where = [begin + i for i in local]
    if rebuilt != written.normal[offset : offset + len(rebuilt)] or not offset <= span.start < span.end <= offset + len(
        where
    ):
        return None  # a normalisation this code does not follow: no passage rather than a wrong one
    return where[span.start - offset], where[span.end - 1 - offset] + 1


def _context(written: str, begin: int, end: int) -> tuple[int, int]:
    """Offsets of the paragraph(s) around begin:end: out to a blank line, at most CONTEXT_LINES lines each way,
    and about CONTEXT_CHARS characters, cut at a space."""
    first = written.rfind("\n", 0, begin) + 1  # the start of the quote's first line
    for _ in range(CONTEXT_LINES):
        previous = written.rfind("\n", 0, max(first - 1, 0)) + 1
        if first == 0 or not written[previous : first - 1].strip():
            break
        first = previous
    last = written.find("\n", end)  # the end of the quote's last line
    last = len(written) if last < 0 else last
    for _ in range(CONTEXT_LINES):
        following = written.find("\n", last + 1)
        following = len(written) if following < 0 else following
        if last >= len(written) or not written[last + 1 : following].strip():
            break
        last = following
    if begin - first > CONTEXT_CHARS:
        cut = written.find(" ", begin - CONTEXT_CHARS, begin)
        first = cut + 1 if cut >= 0 else first
    if last - end > CONTEXT_CHARS:
        cut = written.rfind(" ", end, end + CONTEXT_CHARS)
        last = cut if cut >= 0 else last
    return first, last


@dataclass(frozen=True)
class Span:
    """Where an anchor found a quote: its normalised offsets and the lines they fall on."""

    locator: str
    start: int
    end: int
    first_line: int
    last_line: int


def make_passage(number: int, source: Source, text: Written, span: Span) -> Passage | None:
    found = passage_span(text, span)
    if found is None:
        return None
    begin, finish = found
    written = text.text
    first, last = _context(written, begin, finish)
    return Passage(
        number=number,
        source=source,
        locator=span.locator,
        before=written[first:begin],
        marked=written[begin:finish],
        after=written[finish:last],
        first_line=written.count("\n", 0, begin) + 1,
        last_line=written.count("\n", 0, finish) + 1,
        cut_before=first > 0 and written[first - 1] != "\n",
        cut_after=last < len(written) and written[last] != "\n",
    )


def _spans(brief: Brief, base: FactBase) -> dict[tuple[str, str], Span]:
    """(source id, quote) -> where its anchor found it, from every fact the brief cites."""
    found: dict[tuple[str, str], Span] = {}
    for note in brief.notes:
        for ev, anchor in zip(note.fact.evidence, base.anchors_of(note.fact), strict=False):
            m = anchor.match
            found.setdefault((anchor.source, ev.quote), Span(anchor.locator, m.start, m.end, m.first_line, m.last_line))
    return found


def brief_passages(brief: Brief, base: FactBase) -> Passages:
    """Every passage the brief's notes cite, numbered in reading order, each included once.

    A citation whose passage cannot be shown maps to 0; the HTML self-check then fails the build.
    """
    collector = _Collector(base, _spans(brief, base))
    of_note = {note.number: tuple(collector.number(c) for c in note.citations) for note in brief.notes}
    return Passages(tuple(collector.items), of_note)


class _Collector:
    """Numbers passages as citations ask for them; each source's text is mapped back once."""

    def __init__(self, base: FactBase, spans: dict[tuple[str, str], Span]):
        self.base = base
        self.spans = spans
        self.numbers: dict[tuple[str, int, int], int] = {}
        self.items: list[Passage] = []
        self.written: dict[str, Written | None] = {}

    def _written(self, source_id: str) -> Written | None:
        if source_id not in self.written:
            text = self.base.texts.get(source_id)
            self.written[source_id] = written_text(text) if text is not None else None
        return self.written[source_id]

    def number(self, c: Citation) -> int:
        span = self.spans.get((c.source.id, c.quote))
        written = self._written(c.source.id)
        if span is None or written is None:
            return 0
        key = (c.source.id, span.start, span.end)
        if key not in self.numbers:
            passage = make_passage(len(self.items) + 1, c.source, written, span)
            if passage is None:
                return 0
            self.items.append(passage)
            self.numbers[key] = passage.number
        return self.numbers[key]
