"""The source registry: the documents facts are drawn from, their texts, and locators into them."""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from briefgen.common.files import read_regular, reason
from briefgen.common.hashing import file_sha256
from briefgen.errors import Problem
from briefgen.factbase.anchoring import Match, NormalText, normalise_lines
from briefgen.factbase.dates import DateError, DateSpec, parse_date
from briefgen.factbase.paragraphs import text_paragraph_numbers
from briefgen.factbase.readers import YamlProblem, line_of, read_yaml

SOURCE_FIELDS = {
    "id",
    "title",
    "series",
    "author",
    "publisher",
    "place",
    "published",
    "type",
    "url",
    "path",
    "sha256",
    "page_starts",
    "body",
    "original",
    "original_sha256",
    "retrieved",
    "provenance",
    "notes",
    "called",
}
# Not plain text: parsed on their own.
_STRUCTURED_FIELDS = {"published", "page_starts", "body", "retrieved", "provenance", "called"}
REQUIRED_SOURCE_FIELDS = {"id", "type", "path", "sha256"}
# \Z, not $: "$" also matches before a final newline, and an id "x\n" would name a file "texts/x\n.txt".
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*\Z")


@dataclass(frozen=True)
class SourceNames:
    """What statements call each source ('ISEAS study'), as one pattern: a name found -> its source."""

    pattern: re.Pattern[str] | None
    by_name: dict[str, str]

    @classmethod
    def of(cls, sources: Iterable[Source]) -> SourceNames:
        by_name = {name.lower(): s.id for s in sources for name in s.called}
        if not by_name:
            return cls(None, {})
        names = sorted(by_name, key=len, reverse=True)
        return cls(re.compile(r"\b(?:" + "|".join(map(re.escape, names)) + r")\b", re.I), by_name)

    def named_in(self, text: str) -> list[tuple[str, str]]:
        """(name as written, source id) for every source the text names."""
        if self.pattern is None:
            return []
        return [(m.group(), self.by_name[m.group().lower()]) for m in self.pattern.finditer(text)]


@dataclass(frozen=True)
class Source:
    """One registered source document; fields the text does not show are None."""

    id: str
    type: str
    path: Path
    sha256: str
    title: str | None = None
    series: str | None = None
    author: str | None = None
    publisher: str | None = None
    place: str | None = None
    published: DateSpec | None = None
    url: str | None = None
    page_starts: tuple[int, ...] = ()
    body: tuple[int, int] | None = None  # first and last line of the body; None: the whole text
    original: Path | None = None  # the document as received (`briefgen add`), when it is not the text itself
    original_sha256: str | None = None
    retrieved: DateSpec | None = None  # when it was added
    provenance: tuple[tuple[str, str], ...] = ()  # (field, where its value came from)
    notes: str | None = None
    line: int | None = None
    called: tuple[str, ...] = ()  # what statements call it: 'ISEAS study'

    @property
    def short_name(self) -> str:
        """Author or publisher, for short references: 'Le Hong Hiep', 'Khmer Times'."""
        return self.author or self.publisher or self.series or self.id

    @property
    def short_title(self) -> str:
        title = self.title or self.series or self.id
        words = title.split()
        return title if len(words) <= 6 else " ".join(words[:6]) + "…"


@dataclass
class SourceText:
    """A source's text, normalised once, with its page or paragraph locators."""

    source: Source
    raw: str
    sha256: str = ""  # of the file's bytes as read
    normal: NormalText = field(init=False)
    # None until a locator needs them: a paginated source's locators are pages, and it never does.
    _paragraph_of_line: list[int] | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.normal = normalise_lines(self.raw)
        self._paragraph_of_line = None
        if not self.source.page_starts:
            self.paragraph_of_line()

    def paragraph_of_line(self) -> list[int]:
        """Each line's body paragraph number (see paragraphs.py), made once."""
        if self._paragraph_of_line is None:
            self._paragraph_of_line = text_paragraph_numbers(self.raw, self.source.body)
        return self._paragraph_of_line

    def locator(self, match: Match) -> str:
        """Return 'p. 4' for paginated sources, 'para. 7' otherwise."""
        starts = self.source.page_starts
        if starts:
            first = bisect.bisect_right(starts, match.first_line)
            last = bisect.bisect_right(starts, match.last_line)
            return f"p. {first}" if first == last else f"pp. {first}–{last}"
        numbers = self.paragraph_of_line()[match.first_line - 1 : match.last_line]
        inside_body = [n for n in numbers if n > 0]
        if not inside_body:  # a title, byline or heading, or an endnote: no paragraph to count
            return self._outside_body(match.first_line, numbers)
        first, last = min(inside_body), max(inside_body)
        return f"para. {first}" if first == last else f"paras. {first}–{last}"

    def _outside_body(self, first_line: int, numbers: list[int]) -> str:
        """'front matter' (title, standfirst, abstract), 'n. 12' for a numbered endnote, else 'end matter'."""
        if -1 not in numbers:
            return "front matter"
        note = _NOTE_START.match(self.raw.split("\n")[first_line - 1])
        return f"n. {note.group(1)}" if note else "end matter"


_NOTE_START = re.compile(r"^\s*(\d{1,3})[.)]?\s")


def inside(base: Path, path: Path) -> bool:
    """Whether path, with links resolved, stays inside base."""
    try:
        path.resolve().relative_to(base.resolve())
    except ValueError:
        return False
    return True


def _date_field(entry: dict[str, Any], name: str, issues: list[str]) -> DateSpec | None:
    """An optional date of a source; a bad one is an issue naming the field."""
    if entry.get(name) is None:
        return None
    try:
        return parse_date(entry[name])
    except DateError as exc:
        issues.append(f"{name}: {exc}")
        return None


def _text_field(entry: dict[str, Any], name: str, problems: list[str]) -> str | None:
    value = entry.get(name)
    if value is None:
        return None
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        problems.append(f"'{name}' must be text")
        return None
    return str(value).strip() or None


def _parse_source(entry: Any, base: Path, rel: str) -> tuple[Source | None, list[Problem]]:
    line = line_of(entry)
    if not isinstance(entry, dict):
        return None, [Problem(rel, line, None, "each source must be a mapping of fields")]
    sid = entry.get("id")
    subject = str(sid) if sid is not None else None
    issues: list[str] = [f"unknown field '{k}'" for k in entry if k not in SOURCE_FIELDS]
    issues += [f"missing required field '{k}'" for k in sorted(REQUIRED_SOURCE_FIELDS - entry.keys())]
    if sid is not None and not (isinstance(sid, str) and ID_RE.match(sid)):
        issues.append("id must be lowercase letters, digits and hyphens")
    published = _date_field(entry, "published", issues)
    page_starts = entry.get("page_starts") or []
    if not (isinstance(page_starts, list) and all(isinstance(n, int) and n > 0 for n in page_starts)):
        issues.append("page_starts must be a list of line numbers")
        page_starts = []
    body = entry.get("body")
    lines = body if isinstance(body, list) and len(body) == 2 else []
    if body is not None and not (all(isinstance(n, int) and n > 0 for n in lines) and lines and lines[0] <= lines[1]):
        issues.append("body must be [first line, last line] of the body, 1-based")
        body = None
    path = base / str(entry.get("path", ""))
    if "\0" in str(entry.get("path", "")):
        issues.append("path contains a NUL byte (\\0), which no file name can; correct the path")
        path = base
    elif Path(str(entry.get("path", ""))).is_absolute():  # the base is found however --facts is spelled
        issues.append(f"path '{entry['path']}' is absolute; give it relative to the fact base directory (texts/...)")
        path = base
    elif "path" in entry and not inside(base, path):
        issues.append(f"path '{entry['path']}' leaves the fact base directory; keep source texts under it")
    called = entry.get("called") or []
    if not (isinstance(called, list) and all(isinstance(n, str) and n.strip() for n in called)):
        issues.append("called must be a list of the names statements use for this source")
        called = []
    original = base / str(entry["original"]) if entry.get("original") else None
    if original is not None and Path(str(entry["original"])).is_absolute():
        issues.append(f"original '{entry['original']}' is absolute; give it relative to the fact base directory")
        original = None
    elif original is not None and not inside(base, original):
        issues.append(f"original '{entry['original']}' leaves the fact base directory; keep originals under it")
    if original is not None and not entry.get("original_sha256"):
        issues.append("an original needs its 'original_sha256'")
    retrieved = _date_field(entry, "retrieved", issues)
    provenance = entry.get("provenance") or {}
    if not (isinstance(provenance, dict) and all(isinstance(v, str) for v in provenance.values())):
        issues.append("provenance must map a field name to where its value came from")
        provenance = {}
    issues += [f"provenance: unknown field '{k}'" for k in provenance if k not in SOURCE_FIELDS]
    texts = {name: _text_field(entry, name, issues) for name in SOURCE_FIELDS - _STRUCTURED_FIELDS}
    problems = [Problem(rel, line, subject, msg) for msg in issues]
    if problems:
        return None, problems
    source = Source(
        id=str(texts["id"]),
        type=str(texts["type"]),
        path=path,
        sha256=str(texts["sha256"]),
        title=texts["title"],
        series=texts["series"],
        author=texts["author"],
        publisher=texts["publisher"],
        place=texts["place"],
        published=published,
        url=texts["url"],
        page_starts=tuple(sorted(page_starts)),
        body=(body[0], body[1]) if body else None,
        original=original,
        original_sha256=texts["original_sha256"],
        retrieved=retrieved,
        provenance=tuple((str(k), str(v)) for k, v in provenance.items()),
        notes=texts["notes"],
        line=line,
        called=tuple(n.strip() for n in called),
    )
    return source, []


def load_sources(base: Path) -> tuple[dict[str, Source], list[Problem]]:
    """Read sources.yaml; return the sources by id and every problem found."""
    rel = "sources.yaml"
    try:
        data = read_yaml(base / rel)
    except YamlProblem as exc:
        return {}, [Problem(rel, exc.line, None, exc.message)]
    data = [] if data is None else data  # a new fact base's registry: comments only
    if not isinstance(data, list):
        return {}, [Problem(rel, None, None, "must be a YAML list of sources")]
    sources: dict[str, Source] = {}
    problems: list[Problem] = []
    for entry in data:
        source, found = _parse_source(entry, base, rel)
        problems += found
        if source is None:
            continue
        if source.id in sources:
            problems.append(Problem(rel, source.line, source.id, "duplicate source id"))
            continue
        sources[source.id] = source
    return sources, problems


def read_source_text(source: Source, base: Path) -> tuple[SourceText | None, list[Problem]]:
    """Read and normalise one source's text, checking its sha256."""
    raw, problems = read_source_raw(source, base)
    return (SourceText(source, *raw) if raw is not None else None), problems


def read_source_raw(source: Source, base: Path) -> tuple[tuple[str, str] | None, list[Problem]]:
    """Read one source's text, not yet normalised, with the sha256 of its bytes; checked against the registry."""
    rel = "sources.yaml"
    try:
        data = read_regular(source.path)  # a named pipe is refused, not waited on; a huge file by its size
    except OSError as exc:
        msg = f"cannot read source text '{source.path.relative_to(base)}': {reason(exc)}"
        return None, [Problem(rel, source.line, source.id, msg)]
    problems = []
    digest = hashlib.sha256(data).hexdigest()
    if digest != source.sha256:
        msg = (
            f"source text '{source.path.relative_to(base)}' has changed (sha256 {digest[:12]}…, "
            f"registry says {source.sha256[:12]}…); re-check its facts, then update sha256"
        )
        problems.append(Problem(rel, source.line, source.id, msg))
    try:
        text = _as_text(data)
    except UnicodeDecodeError:
        return None, problems + [Problem(rel, source.line, source.id, "source text is not UTF-8")]
    return (text, digest), problems


def _as_text(data: bytes) -> str:
    return data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")


def read_text_again(source: Source, sha256: str) -> str | None:
    """A source's text as read_source_raw gave it, read again; None unless its bytes still hash to sha256."""
    try:
        data = read_regular(source.path)
        return _as_text(data) if hashlib.sha256(data).hexdigest() == sha256 else None
    except (OSError, UnicodeDecodeError):
        return None


def check_original(source: Source, base: Path) -> list[Problem]:
    """The original document kept by `briefgen add` is still there and unchanged."""
    if source.original is None:
        return []
    rel = source.original.relative_to(base)
    digest = file_sha256(source.original)
    if digest is None:
        return [Problem("sources.yaml", source.line, source.id, f"cannot read original '{rel}'")]
    if digest != source.original_sha256:
        msg = (
            f"original '{rel}' has changed (sha256 {digest[:12]}…, registry says {str(source.original_sha256)[:12]}…); "
            "restore it, or register the new document with `briefgen add`"
        )
        return [Problem("sources.yaml", source.line, source.id, msg)]
    return []


# Tags of a web page left in a text: '<p>', '</div>', '<a href=...>', '<!DOCTYPE html>'.
_TAGS = "html|head|body|div|p|span|a|script|style|meta|br|li|ul|table|td|tr|article|section|nav"
_MARKUP = re.compile(rf"<(?:!doctype|/?(?:{_TAGS})\b)[^>]*>", re.I)


def markup_problem(text: SourceText, base: Path) -> Problem | None:
    """A registered text that is still a web page's markup: its quotes and paragraphs would be wrong."""
    return markup_in(text.source, text.raw, base)


def markup_in(source: Source, raw: str, base: Path) -> Problem | None:
    """markup_problem on a text not yet normalised."""
    found = _MARKUP.findall(raw)
    if len(found) < 3:  # one '<p>' quoted in prose is not a page
        return None
    rel = source.path.relative_to(base)
    msg = (
        f"source text '{rel}' still contains markup ({len(found)} tags such as {found[0][:20]}); "
        "register the page with `briefgen add PAGE.html` so its text is extracted"
    )
    return Problem("sources.yaml", source.line, source.id, msg)
