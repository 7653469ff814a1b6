"""The source registry: the documents facts are drawn from, their texts, and locators into them."""

from __future__ import annotations

import bisect
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from briefgen.common.files import read_regular, reason
from briefgen.errors import Problem
from briefgen.factbase.anchoring import Match, NormalText, normalise_lines
from briefgen.factbase.dates import DateError, DateSpec, parse_date
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
    "notes",
}
REQUIRED_SOURCE_FIELDS = {"id", "type", "path", "sha256"}
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


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
    notes: str | None = None
    line: int | None = None

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
    _paragraph_of_line: list[int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.normal = normalise_lines(self.raw)
        count, paragraphs = 0, []
        for line in self.raw.split("\n"):
            count += bool(line.strip())
            paragraphs.append(count)
        self._paragraph_of_line = paragraphs

    def locator(self, match: Match) -> str:
        """Return 'p. 4' for paginated sources, 'para. 7' otherwise."""
        starts = self.source.page_starts
        if starts:
            first = bisect.bisect_right(starts, match.first_line)
            last = bisect.bisect_right(starts, match.last_line)
            return f"p. {first}" if first == last else f"pp. {first}–{last}"
        first = self._paragraph_of_line[match.first_line - 1]
        last = self._paragraph_of_line[match.last_line - 1]
        return f"para. {first}" if first == last else f"paras. {first}–{last}"


def inside(base: Path, path: Path) -> bool:
    """Whether path, with links resolved, stays inside base."""
    try:
        path.resolve().relative_to(base.resolve())
    except ValueError:
        return False
    return True


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
    published = None
    if entry.get("published") is not None:
        try:
            published = parse_date(entry["published"])
        except DateError as exc:
            issues.append(f"published: {exc}")
    page_starts = entry.get("page_starts") or []
    if not (isinstance(page_starts, list) and all(isinstance(n, int) and n > 0 for n in page_starts)):
        issues.append("page_starts must be a list of line numbers")
        page_starts = []
    path = base / str(entry.get("path", ""))
    if "\0" in str(entry.get("path", "")):
        issues.append("path contains a NUL byte (\\0), which no file name can; correct the path")
        path = base
    elif "path" in entry and not inside(base, path):
        issues.append(f"path '{entry['path']}' leaves the fact base directory; keep source texts under it")
    texts = {name: _text_field(entry, name, issues) for name in SOURCE_FIELDS - {"published", "page_starts"}}
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
        notes=texts["notes"],
        line=line,
    )
    return source, []


def load_sources(base: Path) -> tuple[dict[str, Source], list[Problem]]:
    """Read sources.yaml; return the sources by id and every problem found."""
    rel = "sources.yaml"
    try:
        data = read_yaml(base / rel)
    except YamlProblem as exc:
        return {}, [Problem(rel, exc.line, None, exc.message)]
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
        text = data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError:
        return None, problems + [Problem(rel, source.line, source.id, "source text is not UTF-8")]
    return SourceText(source, text, digest), problems
