"""A loaded fact base as plain JSON values and back: the cache's entry format, which cannot run code.

Unlike a pickle, decoding JSON builds only strings, numbers, lists and dicts; this module then
rebuilds the frozen records from them, checking the shape of every value on the way. Anything that
is not what `encode_*` writes raises ShapeError, and the caller treats the entry as a miss.

Each part has its pair of functions (sources, topics, facts, outlines, texts, anchors, problems), so
that an entry can hold a whole base or the share of one fact file.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from briefgen.errors import Problem
from briefgen.factbase.anchoring import Match, NormalText
from briefgen.factbase.dates import DATES_KEPT, DateError, DateSpec, parse_date
from briefgen.factbase.facts import Evidence, Fact, Quantity, Topics
from briefgen.factbase.relative import DateBasis
from briefgen.factbase.sources import Source, SourceText

T = TypeVar("T")
Plain = Any  # what json.loads returns: None, bool, int, float, str, list, dict


class ShapeError(ValueError):
    """An entry that is not what this module writes: discard it and read the files again."""


def _str(value: Plain) -> str:
    if type(value) is not str:
        raise ShapeError(f"expected text, found {type(value).__name__}")
    return value


def _opt_str(value: Plain) -> str | None:
    return None if value is None else _str(value)


def _int(value: Plain) -> int:
    if type(value) is not int:
        raise ShapeError(f"expected an integer, found {type(value).__name__}")
    return value


def _opt_int(value: Plain) -> int | None:
    return None if value is None else _int(value)


def _list(value: Plain, length: int | None = None) -> list[Any]:
    if type(value) is not list or (length is not None and len(value) != length):
        raise ShapeError(f"expected a list of {length or 'any number of'} values")
    return value


def _dict(value: Plain) -> dict[str, Any]:
    if type(value) is not dict:
        raise ShapeError("expected a mapping")
    return value


def list_of(value: Plain) -> list[Any]:
    """A list, or ShapeError."""
    return _list(value)


def strings(value: Plain, length: int) -> list[str]:
    """A list of `length` texts, or ShapeError."""
    return [_str(item) for item in _list(value, length)]


# Records are checked a whole list at a time: the tuple of its items' types must be one the encoder
# writes. One C-level pass per record instead of a Python call per field keeps a warm load as fast
# as unpickling was.

NoneType = type(None)
_OPT = (str, NoneType)


def _shapes(*fields: type | tuple[type, ...]) -> frozenset[tuple[type, ...]]:
    """Every tuple of item types a record may have: each field one of the types given for it."""
    return frozenset(itertools.product(*((f,) if isinstance(f, type) else f for f in fields)))


def _record(value: Plain, shapes: frozenset[tuple[type, ...]], what: str) -> list[Any]:
    if type(value) is not list or tuple(map(type, value)) not in shapes:
        raise ShapeError(f"{what} of the wrong shape: {str(value)[:80]}")
    return value


def _texts(value: Plain, what: str) -> tuple[str, ...]:
    if type(value) is not list or not set(map(type, value)) <= {str}:
        raise ShapeError(f"{what} must be a list of text")
    return tuple(value)


def _ints(value: Iterable[Any], what: str) -> None:
    if not set(map(type, value)) <= {int}:
        raise ShapeError(f"{what} must be whole numbers")


def _each(value: Plain, decode: Callable[[Any], T]) -> list[T]:
    return [decode(item) for item in _list(value)]


def _date(value: Plain) -> DateSpec | None:
    """Dates travel as the text they were written as, and are parsed again: one grammar, one truth."""
    if value is None:
        return None
    return _parsed(_str(value))


@functools.lru_cache(maxsize=DATES_KEPT)
def _parsed(raw: str) -> DateSpec:
    # Many facts share a date; a DateSpec is frozen, so one parse can serve them all.
    try:
        return parse_date(raw)
    except DateError as exc:
        raise ShapeError(f"bad date: {exc}") from None


def _raw(date: DateSpec | None) -> str | None:
    return date.raw if date else None


# Sources


def encode_source(source: Source, root: Path) -> list[Any]:
    """The source, its files named relative to root: an entry is found whatever the root's spelling
    (relative or absolute, from any directory), so it must not hold the spelling of the one that wrote it."""
    return [
        source.id,
        source.type,
        source.path.relative_to(root).as_posix(),
        source.sha256,
        source.title,
        source.series,
        source.author,
        source.publisher,
        source.place,
        _raw(source.published),
        source.url,
        list(source.page_starts),
        source.notes,
        source.line,
        list(source.body) if source.body else None,
        source.original.relative_to(root).as_posix() if source.original else None,
        source.original_sha256,
        _raw(source.retrieved),
        [list(pair) for pair in source.provenance],
        list(source.called),
    ]


def decode_source(value: Plain, root: Path) -> Source:
    (sid, kind, path, sha, title, series, author, publisher, place, published, url, pages, notes, line,
     body, original, original_sha, retrieved, provenance, called) = _list(value, 20)  # fmt: skip
    lines = tuple(_int(n) for n in _list(body, 2)) if body is not None else None
    return Source(
        id=_str(sid),
        type=_str(kind),
        path=_under(root, path),
        sha256=_str(sha),
        title=_opt_str(title),
        series=_opt_str(series),
        author=_opt_str(author),
        publisher=_opt_str(publisher),
        place=_opt_str(place),
        published=_date(published),
        url=_opt_str(url),
        page_starts=tuple(_int(n) for n in _list(pages)),
        notes=_opt_str(notes),
        line=_opt_int(line),
        body=(lines[0], lines[1]) if lines else None,
        original=_under(root, original) if original is not None else None,
        original_sha256=_opt_str(original_sha),
        retrieved=_date(retrieved),
        provenance=tuple((_str(k), _str(v)) for k, v in (_list(pair, 2) for pair in _list(provenance))),
        called=_texts(called, "called"),
    )


def _under(root: Path, value: Plain) -> Path:
    relative = _str(value)
    if Path(relative).is_absolute():
        raise ShapeError(f"an absolute path where one relative to the fact base belongs: {relative[:80]}")
    return root / relative


def encode_sources(sources: Mapping[str, Source], root: Path) -> list[Any]:
    return [encode_source(s, root) for s in sources.values()]


def decode_sources(value: Plain, root: Path) -> dict[str, Source]:
    return {s.id: s for s in _each(value, lambda one: decode_source(one, root))}


# Topics


def encode_topics(topics: Topics) -> list[Any]:
    return [topics.group_of, topics.description]


def decode_topics(value: Plain) -> Topics:
    group_of, description = (_dict(part) for part in _list(value, 2))
    for mapping in (group_of, description):
        for key, text in mapping.items():
            _str(key), _str(text)
    return Topics(group_of, description)


# Facts, whole


def _encode_quantity(q: Quantity | None) -> list[Any] | None:
    return None if q is None else [q.value, q.unit, q.metric, q.approximate]


_QUANTITY = _shapes((int, float, str), str, str, bool)
_EVIDENCE = _shapes(str, str, _OPT, _OPT)


def _decode_quantity(value: Plain) -> Quantity | None:
    return None if value is None else Quantity(*_record(value, _QUANTITY, "a quantity"))


def _decode_evidence(value: Plain) -> Evidence:
    return Evidence(*_record(value, _EVIDENCE, "a quote"))


_BASIS = _shapes(str, _OPT, _OPT)


def _encode_basis(b: DateBasis | None) -> list[Any] | None:
    return None if b is None else [b.phrase, _raw(b.against), b.doubt]


def _decode_basis(value: Plain) -> DateBasis | None:
    if value is None:
        return None
    phrase, against, doubt = _record(value, _BASIS, "a date basis")
    return DateBasis(phrase, _parsed(against) if against else None, doubt)


def encode_fact(f: Fact) -> list[Any]:
    return [
        f.id,
        f.statement,
        f.kind,
        list(f.topics),
        [[e.source, e.quote, e.prefix, e.suffix] for e in f.evidence],
        f.file,
        f.line,
        _raw(f.date),
        _raw(f.as_of),
        _encode_quantity(f.quantity),
        list(f.audiences),
        f.salience,
        f.confidence,
        f.likelihood,
        f.status,
        f.superseded_by,
        f.hedge,
        _encode_basis(f.date_basis),
    ]


_FACT = _shapes(
    str,
    str,
    str,
    list,
    list,
    str,
    int,
    _OPT,
    _OPT,
    (list, NoneType),
    list,
    int,
    _OPT,
    _OPT,
    str,
    _OPT,
    _OPT,
    (list, NoneType),
)


def decode_fact(value: Plain) -> Fact:
    (fid, statement, kind, topics, evidence, file, line, date, as_of, quantity, audiences, salience, confidence,
     likelihood, status, superseded_by, hedge, date_basis) = _record(value, _FACT, "a fact")  # fmt: skip
    return Fact(
        id=fid,
        statement=statement,
        kind=kind,
        topics=_texts(topics, "topics"),
        evidence=tuple(map(_decode_evidence, evidence)),
        file=file,
        line=line,
        date=_parsed(date) if date else None,  # text or None: _record checked
        as_of=_parsed(as_of) if as_of else None,
        quantity=_decode_quantity(quantity),
        audiences=_texts(audiences, "audiences"),
        salience=salience,
        confidence=confidence,
        likelihood=likelihood,
        status=status,
        superseded_by=superseded_by,
        hedge=hedge,
        date_basis=_decode_basis(date_basis),
    )


# Facts in outline: what the rules across facts need (see loading.outline_of), for a check


def encode_outline(outline: tuple[Any, ...]) -> list[Any]:
    fid, kind, sources, file, line, date, as_of, quantity, salience, status, superseded_by, topics, audiences = outline
    return [fid, kind, list(sources), file, line, date, as_of, list(quantity) if quantity else None, salience,
            status, superseded_by, list(topics), list(audiences)]  # fmt: skip


_OUTLINE = _shapes(str, str, list, str, int, _OPT, _OPT, (list, NoneType), int, str, _OPT, list, list)


def check_outlines(values: list[Plain]) -> int:
    """How many outlines values holds, each of an outline's shape (for counting facts, not reading them)."""
    for value in values:
        _record(value, _OUTLINE, "a fact outline")
    return len(values)


def decode_outline(value: Plain) -> Fact:
    """The fact an outline came from, without its statement and quotes."""
    (fid, kind, sources, file, line, date, as_of, quantity, salience, status, superseded_by, topics,
     audiences) = _record(value, _OUTLINE, "a fact outline")  # fmt: skip
    return Fact(
        id=fid,
        statement="",
        kind=kind,
        topics=_texts(topics, "topics"),
        audiences=_texts(audiences, "audiences"),
        evidence=tuple(Evidence(source, "") for source in _texts(sources, "sources")),
        file=file,
        line=line,
        date=_parsed(date) if date else None,
        as_of=_parsed(as_of) if as_of else None,
        quantity=_decode_quantity(quantity),
        salience=salience,
        status=status,
        superseded_by=superseded_by,
    )


# Source texts: stored normalised, so that a warm load does not normalise them again


def encode_text(text: SourceText) -> list[Any]:
    """A text; its paragraph numbers as [] when not made (a paginated source's), made again if asked for."""
    paragraphs = text._paragraph_of_line
    return [text.source.id, text.raw, text.sha256, text.normal.text, list(text.normal.line_offsets),
            [] if paragraphs is None else paragraphs]  # fmt: skip


def decode_text(value: Plain, sources: Mapping[str, Source]) -> SourceText:
    sid, raw, sha, normal, offsets, paragraphs = _list(value, 6)
    source = sources.get(_str(sid))
    if source is None:
        raise ShapeError(f"a text of an unknown source '{sid}'")
    raw = _str(raw)
    lines = raw.count("\n") + 1
    offsets, paragraphs = _list(offsets), _list(paragraphs)
    if len(offsets) != lines or len(paragraphs) not in (0, lines):
        raise ShapeError(f"the locators of source '{sid}' do not fit its text")
    _ints(offsets + paragraphs, "locators")
    # Built without __post_init__, which would normalise the text again: the point of caching it.
    text = SourceText.__new__(SourceText)
    text.source, text.raw, text.sha256 = source, raw, _str(sha)
    text.normal = NormalText(_str(normal), tuple(offsets))
    text._paragraph_of_line = paragraphs or None
    return text


def encode_texts(texts: Mapping[str, SourceText]) -> list[Any]:
    return [encode_text(t) for t in texts.values()]


def decode_texts(value: Plain, sources: Mapping[str, Source]) -> dict[str, SourceText]:
    return {t.source.id: t for t in (decode_text(item, sources) for item in _list(value))}


# Anchors: where each quote stands in its source, by (fact id, index of the quote)

AnchorParts = tuple[tuple[str, int], str, str, Match]  # key, source, locator, match


def encode_anchors(anchors: Mapping[tuple[str, int], Any]) -> list[Any]:
    """Anchors as lists; each value has .source, .locator and .match (loading.Anchor)."""
    return [
        [fid, i, a.source, a.locator, a.match.start, a.match.end, a.match.first_line, a.match.last_line]
        for (fid, i), a in anchors.items()
    ]


_ANCHOR = _shapes(str, int, str, str, int, int, int, int)


def decode_anchors(value: Plain) -> list[AnchorParts]:
    decoded = []
    for item in _list(value):
        fid, i, source, locator, start, end, first, last = _record(item, _ANCHOR, "an anchor")
        decoded.append(((fid, i), source, locator, Match(start, end, first, last)))
    return decoded


# Problems


def encode_problem(p: Problem) -> list[Any]:
    return [p.file, p.line, p.subject, p.message, p.severity]


_PROBLEM = _shapes(str, (int, NoneType), _OPT, str, str)


def decode_problem(value: Plain) -> Problem:
    file, line, subject, message, severity = _record(value, _PROBLEM, "a problem")
    if severity not in ("error", "warning", "note"):
        raise ShapeError(f"unknown severity {severity!r}")
    return Problem(file, line, subject, message, severity)


def encode_problems(problems: list[Problem]) -> list[Any]:
    return [encode_problem(p) for p in problems]


def decode_problems(value: Plain) -> list[Problem]:
    return _each(value, decode_problem)
