"""Load a whole fact base: sources, their texts, the topic vocabulary and the facts, anchored."""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from briefgen.common.collector import collector_paused
from briefgen.common.hashing import file_token, sha256_text
from briefgen.common.memory import give_back_freed
from briefgen.common.parallel import PARALLEL_MIN_BYTES, in_parallel, in_worker
from briefgen.errors import Problem, UsageError
from briefgen.factbase import cache, codec, incremental
from briefgen.factbase.anchoring import AnchorError, Match, anchor
from briefgen.factbase.dates import parse_date
from briefgen.factbase.facts import Evidence, Fact, Quantity, Topics, fact_files, load_fact_file, load_topics
from briefgen.factbase.incremental import SourceTexts
from briefgen.factbase.sources import (
    Source,
    SourceNames,
    SourceText,
    check_original,
    load_sources,
    markup_in,
    read_source_raw,
)


@dataclass(frozen=True)
class Anchor:
    """Where one piece of a fact's evidence stands in its source."""

    source: str
    locator: str
    match: Match


@dataclass
class FactBase:
    """Everything loaded from a fact base directory."""

    root: Path
    sources: dict[str, Source]
    texts: Mapping[str, SourceText]  # a SourceTexts when loaded: each made when first asked for
    topics: Topics
    facts: list[Fact]
    anchors: dict[tuple[str, int], Anchor] = field(default_factory=dict)
    file_digests: dict[str, str] = field(default_factory=dict)  # fact file -> sha256 of what was read
    # Facts counted but not decoded: a warm check whose rules across facts are cached needs only their
    # number (see load_fact_base's decode); facts then holds none of them.
    undecoded: int = 0

    @property
    def fact_count(self) -> int:
        return len(self.facts) + self.undecoded

    @functools.cached_property
    def source_names(self) -> SourceNames:
        """The names statements use for the sources, found in one search."""
        return SourceNames.of(self.sources.values())

    def anchors_of(self, fact: Fact) -> list[Anchor]:
        return [self.anchors[(fact.id, i)] for i in range(len(fact.evidence)) if (fact.id, i) in self.anchors]


FactRules = Callable[[Fact, "FactBase", list[Anchor]], list[str]]  # the per-fact rules of check/rules.py


@dataclass
class FileResult:
    """One fact file read, its quotes anchored and its facts checked one by one."""

    facts: list[Fact]
    problems: list[Problem]
    anchors: dict[tuple[str, int], Anchor]
    sha256: str = ""  # of the file, read for the cache while its contents are in the page cache
    stored: list[Any] | None = None  # the outlines as a check's cache entry holds them, when read from one
    undecoded: int = 0  # outlines read from a cache entry and counted, not decoded into facts


def load_fact_base(
    root: Path, rules: FactRules | None = None, outline: bool = False, decode: bool = True, digest: str | None = None
) -> tuple[FactBase, list[Problem]]:
    """Load and anchor the fact base at root, applying the per-fact rules; return it with every problem.

    With outline=True (for a check, which renders nothing), facts may come back as outlines: no
    statement, topics or quotes, and no anchors or source texts; what the rules across facts need.
    An unchanged fact base comes from the cache (see cache.py) instead of being read again.
    With outline=True and decode=False, a base from the cache only counts its facts (base.facts is
    empty, base.fact_count their number): for a check whose rules across facts are cached as well.
    digest is content_digest(root, {}) if the caller has just computed it: not hashed a second time.
    """
    index = _cache_index(root, rules, outline)
    with collector_paused():
        found = _cached(root, index, outline, decode, digest) if index else None
        if found is not None:
            return found
        base, problems, stored = _load(root, rules, outline, index is not None)
    if index and stored is not None:
        cache.write("factbase", index, _to_cache(digest_as_loaded(base), base, problems, stored, outline))
    # What reading the files left behind (results sent by the workers, texts made and released) goes
    # back to the system rather than counting in the peak of what comes next (a build's rendering).
    give_back_freed()
    return base, problems


def digest_as_loaded(base: FactBase) -> str:
    """content_digest of the base's directory, its fact files and source texts taken as they were read
    (by the sha256 of the bytes read): only its other files are hashed now."""
    known = {source.path.relative_to(base.root).as_posix(): sha for source, sha in _text_digests(base.texts)}
    known.update(base.file_digests)
    return content_digest(base.root, known)


def _text_digests(texts: Mapping[str, SourceText]) -> list[tuple[Source, str]]:
    """Each text's source and the sha256 of its bytes, without making a text not yet made."""
    if isinstance(texts, SourceTexts):
        return texts.digests()
    return [(t.source, t.sha256) for t in texts.values()]


def _cached(
    root: Path, index: str, outline: bool, decode: bool = True, digest: str | None = None
) -> tuple[FactBase, list[Problem]] | None:
    """The entry stored under index, if its files still hash to its digest; one of the wrong shape is discarded."""
    entry = cache.read("factbase", index)
    if entry is None:
        return None
    if not isinstance(entry, dict) or entry.get("digest") != (digest or content_digest(root, {})):
        return None
    try:
        return _from_cache(root, entry, outline, decode)
    except (KeyError, ValueError, TypeError) as exc:  # codec.ShapeError is a ValueError
        cache.discard("factbase", index, f"not a fact base of this shape ({exc})")
        return None


def _cache_index(root: Path, rules: FactRules | None, outline: bool) -> str | None:
    """Where an entry for this load would be: briefgen's code, the mode, and every file's size and time.

    Cheap to compute (no file is read); the entry found there is used only if the files' contents
    still hash to the digest stored with it, so an edit that kept a file's size and time is not missed.
    """
    if cache.cache_dir() is None or not (root / "sources.yaml").is_file():
        return None
    parts = [cache.code_digest(), _mode(rules), str(outline), str(root.resolve())]
    for path in _files_of(root):
        info = path.stat()
        parts.append(f"{path.relative_to(root).as_posix()}:{info.st_size}:{info.st_mtime_ns}:{info.st_ino}")
    return sha256_text(*parts)


def _files_of(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def content_digest(root: Path, known: dict[str, str]) -> str:
    """One hash of every file under root; `known` gives the sha256 of files hashed as they were loaded."""
    digest = hashlib.sha256()
    for path in _files_of(root):
        rel = path.relative_to(root).as_posix()
        digest.update(f"{rel}\0{known.get(rel) or file_token(path)}\n".encode())
    return digest.hexdigest()


class _Stored(NamedTuple):
    """What a load's cache entry holds besides the sources and topics: problems of the registry and
    topics (head; each file's own are in its entry), and each fact file's entry named (rel, sha256 of
    its bytes, key)."""

    head: list[Problem]
    files: list[tuple[str, str, str]]


def _to_cache(digest: str, base: FactBase, problems: list[Problem], stored: _Stored, outline: bool) -> dict[str, Any]:
    """The entry: plain values only (codec.py), and no fact: each fact file's entry (incremental.py) is
    named instead, holding its facts (for a check, their outlines), anchors and problems, written as
    it was read. The whole base is not encoded twice, nor held encoded at once, so the entry written
    after a one-file edit is small. A build's texts are not held but named: each has its own entry,
    and a build made from this one makes only those it asks for."""
    entry: dict[str, Any] = {
        "digest": digest,
        "sources": codec.encode_sources(base.sources, base.root),
        "topics": codec.encode_topics(base.topics),
        "problems": codec.encode_problems(stored.head),
        "files": [list(named) for named in stored.files],
    }
    if not outline:
        entry["texts"] = [[source.id, sha] for source, sha in _text_digests(base.texts)]
    return entry


def _from_cache(
    root: Path, entry: dict[str, Any], outline: bool, decode: bool = True
) -> tuple[FactBase, list[Problem]] | None:
    """The base an entry holds; raises codec.ShapeError (or KeyError) for anything it did not write.
    None if a fact file's entry it names is gone (pruned) or was discarded: a miss."""
    sources = codec.decode_sources(entry["sources"], root)
    topics = codec.decode_topics(entry["topics"])
    problems = codec.decode_problems(entry["problems"])
    base = FactBase(root, sources, {}, topics, [])
    for named in codec.list_of(entry["files"]):
        rel, sha, key = codec.strings(named, 3)
        result = _reused(root, (key, sha), outline, decode)
        if result is None:
            return None
        _add(base, problems, rel, result)
    if not outline:
        base.texts = _texts_named(sources, codec.list_of(entry["texts"]))
    return base, problems


def _add(base: FactBase, problems: list[Problem], rel: str, result: FileResult) -> None:
    """One fact file's result into the base, after those before it."""
    base.facts += result.facts
    base.undecoded += result.undecoded
    base.anchors.update(result.anchors)
    base.file_digests[rel] = result.sha256
    problems += result.problems


def _texts_named(sources: dict[str, Source], named: list[Any]) -> SourceTexts:
    """The texts of the sources named (id, sha256 of the bytes read), each read and made when asked
    for: their files hashed as the entry's digest says (else it would not be used), and read again
    only if they still do."""
    pending: dict[str, tuple[Source, str | None, str]] = {}
    for item in named:
        sid, sha = codec.strings(item, 2)
        source = sources.get(sid)
        if source is None:
            raise codec.ShapeError(f"a text of an unknown source '{sid}'")
        pending[sid] = (source, None, sha)
    return SourceTexts(pending)


def _load(
    root: Path, rules: FactRules | None, outline: bool, reuse: bool = False
) -> tuple[FactBase, list[Problem], _Stored | None]:
    """Read the base; with reuse, each fact file's result and each source's normalised text come from
    the cache where what they were made from is unchanged (see incremental.py), the rest is read.
    With reuse, what the base's own cache entry holds comes back too (see _Stored); None if a fact
    file's entry could not be written for the bytes read (the file changed while it was read)."""
    if not (root / "sources.yaml").is_file():
        raise UsageError(f"{root}: not a fact base (no sources.yaml); pass --facts DIR")
    sources, problems = load_sources(root)
    pending: dict[str, tuple[Source, str, str]] = {}
    for source, (raw, found) in zip(sources.values(), _read_raw(root, list(sources.values())), strict=True):
        problems += found
        markup = markup_in(source, raw[0], root) if raw is not None else None
        if markup is not None:  # a page's markup read as text: nothing in it can be located
            problems.append(markup)
        elif raw is not None:
            pending[source.id] = (source, *raw)
    for source in sources.values():
        problems += check_original(source, root)
    topics, found = load_topics(root)
    problems += found
    paths = fact_files(root)
    keys = _file_keys(root, sources, pending, paths, rules, outline) if reuse else {}
    reused = {path: got for path in paths if (got := _reused(root, keys.get(path), outline)) is not None}
    missing = [path for path in paths if path not in reused]
    texts = SourceTexts(pending)
    # Many files to read (a cold load) share the normalising among the cores; a few made on demand.
    if sum(_size(path) for path in missing) >= PARALLEL_MIN_BYTES:
        made = _make_texts(list(pending.values()), reuse)
        # Made by workers, each text comes back with its own copy of the raw text: keep only that one.
        texts = SourceTexts({sid: (t.source, t.raw, t.sha256) for sid, t in made.items()}, made)
        pending.clear()
    base = FactBase(root=root, sources=sources, texts=texts, topics=topics, facts=[])
    read = dict(zip(missing, _read_files(base, missing, rules, outline, keys), strict=True))
    stored: _Stored | None = _Stored(list(problems), []) if reuse else None
    for path in paths:
        result = reused.pop(path, None) or read.pop(path)
        rel = path.relative_to(root).as_posix()
        if stored is not None:
            key, sha = keys[path]
            if sha == result.sha256:
                stored.files.append((rel, sha, key))
            else:  # the file changed while read: no entry holds what was read, so none for the base
                stored = None
        _add(base, problems, rel, result)
    if reuse:  # every text made is in its cache entry: made again from there if asked for
        base.texts = texts.released()
        cache.prune(incremental.FILES, cache.KEEP * max(len(paths), 1))
        cache.prune(incremental.TEXTS, cache.KEEP * max(len(sources), 1))
    return base, problems, stored


def _encoded(facts: list[Fact], outline: bool) -> list[Any]:
    if outline:
        return [codec.encode_outline(outline_of(f)) for f in facts]
    return [codec.encode_fact(f) for f in facts]


def _read_raw(root: Path, sources: list[Source]) -> list[tuple[tuple[str, str] | None, list[Problem]]]:
    """Every source's text as read, with the sha256 of its bytes (checked against the registry)."""
    return [read_source_raw(source, root) for source in sources]


def _make_texts(pending: list[tuple[Source, str, str]], reuse: bool) -> dict[str, SourceText]:
    """Every text normalised (or, with reuse, read back from the cache), shared among the cores for many."""
    make = incremental.make_text if reuse else SourceText
    sizes = [len(raw) for _source, raw, _sha in pending]
    made = in_parallel(pending, sizes, lambda share: [make(*item) for item in share])
    return {text.source.id: text for text in made}


def _file_keys(
    root: Path,
    sources: dict[str, Source],
    pending: dict[str, tuple[Source, str, str]],
    paths: list[Path],
    rules: FactRules | None,
    outline: bool,
) -> dict[Path, tuple[str, str]]:
    """Each fact file's cache key and the sha256 of its bytes."""
    context = incremental.context_digest(root, sources, pending)
    mode = f"{_mode(rules)}:{outline}"
    keys = {}
    for path in paths:
        sha = file_token(path)
        keys[path] = (incremental.file_key(context, mode, path.relative_to(root).as_posix(), sha), sha)
    return keys


def _mode(rules: FactRules | None) -> str:
    return f"{rules.__module__}.{rules.__qualname__}" if rules else "-"


def _reused(root: Path, key: tuple[str, str] | None, outline: bool, decode: bool = True) -> FileResult | None:
    """A fact file's result from its cache entry; None on a miss, and an entry of the wrong shape is discarded.
    With outline and not decode, its outlines are counted, not decoded."""
    if key is None:
        return None
    entry = cache.read(incremental.FILES, key[0])
    if entry is None:
        return None
    try:
        problems = codec.decode_problems(entry["problems"])
        if outline:
            stored = codec.list_of(entry["outlines"])
            if not decode:
                return FileResult([], problems, {}, key[1], stored, undecoded=codec.check_outlines(stored))
            return FileResult([codec.decode_outline(o) for o in stored], problems, {}, key[1], stored)
        facts = [codec.decode_fact(f) for f in codec.list_of(entry["facts"])]
        anchors = {k: Anchor(src, where, match) for k, src, where, match in codec.decode_anchors(entry["anchors"])}
        return FileResult(facts, problems, anchors, key[1])
    except (KeyError, ValueError, TypeError) as exc:  # codec.ShapeError is a ValueError
        cache.discard(incremental.FILES, key[0], f"not a fact file's result of this shape ({exc})")
        return None


def _file_entry(result: FileResult, outline: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"problems": codec.encode_problems(result.problems)}
    if outline and result.stored is not None:
        entry["outlines"] = result.stored
    else:
        entry["outlines" if outline else "facts"] = _encoded(result.facts, outline)
    if not outline:
        entry["anchors"] = codec.encode_anchors(result.anchors)
    return entry


WARNING = "warning: "  # a per-fact rule's message with this prefix is a warning, not an error


def _rule_problem(fact: Fact, message: str) -> Problem:
    if message.startswith(WARNING):
        return Problem(fact.file, fact.line, fact.id, message.removeprefix(WARNING), severity="warning")
    return Problem(fact.file, fact.line, fact.id, message)


def read_file(base: FactBase, path: Path, rules: FactRules | None) -> FileResult:
    """Read one fact file, anchor its quotes in the base's sources and apply the per-fact rules."""
    facts, problems = load_fact_file(path, base.root)
    anchors: dict[tuple[str, int], Anchor] = {}
    for fact in facts:
        problems += anchor_fact(base, fact, anchors)
        if rules is not None:
            mine = [anchors[(fact.id, i)] for i in range(len(fact.evidence)) if (fact.id, i) in anchors]
            problems += [_rule_problem(fact, message) for message in rules(fact, base, mine)]
    return FileResult(facts=facts, problems=problems, anchors=anchors, sha256=file_token(path))


# A fact as plain values, for the rules across facts: unpickling these is twenty times faster than facts.
Outline = tuple[Any, ...]


def outline_of(fact: Fact) -> Outline:
    q = fact.quantity
    return (
        fact.id,
        fact.kind,
        tuple(ev.source for ev in fact.evidence),
        fact.file,
        fact.line,
        fact.date.raw if fact.date else None,
        fact.as_of.raw if fact.as_of else None,
        (q.value, q.unit, q.metric, q.approximate) if q else None,
        fact.salience,
        fact.status,
        fact.superseded_by,
        fact.topics,  # which briefs carry a fact: staleness is judged per brief
        fact.audiences,
    )


def fact_of(outline: Outline | list[Any]) -> Fact:
    """The fact an outline came from (as outline_of made it, or encoded), without its statement and quotes.

    For outlines this run's own workers made: unlike codec.decode_outline, nothing is checked."""
    fid, kind, sources, file, line, date, as_of, quantity, salience, status, superseded_by, topics, audiences = outline
    return Fact(
        id=fid,
        statement="",
        kind=kind,
        topics=tuple(topics),
        audiences=tuple(audiences),
        evidence=tuple(Evidence(source, "") for source in sources),
        file=file,
        line=line,
        date=parse_date(date) if date else None,
        as_of=parse_date(as_of) if as_of else None,
        quantity=_quantity(*quantity) if quantity else None,
        salience=salience,
        status=status,
        superseded_by=superseded_by,
    )


def _quantity(value: float | str, unit: str, metric: str, approximate: bool) -> Quantity:
    """A quantity from its outline, in the order outline_of wrote it."""
    return Quantity(value=value, unit=unit, metric=metric, approximate=approximate)


class _Outlined(NamedTuple):
    """A file's result as a worker sends it for a check: problems, and outlines encoded as its entry holds them."""

    problems: list[Problem]
    outlines: list[Any]
    sha256: str


def _read_files(
    base: FactBase, paths: list[Path], rules: FactRules | None, outline: bool, keys: dict[Path, tuple[str, str]]
) -> list[FileResult]:
    """Every file's result, in file order; a large base is shared among the cores. A file with a key
    has its result stored under it, by the process that read it."""
    parent = os.getpid()

    def job(share: list[Path]) -> list[FileResult | _Outlined]:
        results = [read_file(base, path, rules) for path in share]
        for path, result in zip(share, results, strict=True):
            if outline and (path in keys or in_worker(parent)):
                # Encoded once, here: for the file's entry, the base's entry, and the journey back.
                result.stored = _encoded(result.facts, outline)
            # Stored only if the file still has the bytes the key names (an edit while reading would not).
            if path in keys and result.sha256 == keys[path][1]:
                cache.write(incremental.FILES, keys[path][0], _file_entry(result, outline), prune=False)
        if outline and in_worker(parent):
            return [_Outlined(problems=r.problems, outlines=r.stored or [], sha256=r.sha256) for r in results]
        return list(results)

    sizes = [_size(path) for path in paths]
    return [_received(sent) for sent in in_parallel(paths, sizes, job)]


def _size(path: Path) -> int:
    """A file's size, to share work by; 0 for one that cannot be read (a broken link), which read_file reports."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _received(sent: FileResult | _Outlined) -> FileResult:
    if isinstance(sent, FileResult):
        return sent
    facts = [fact_of(o) for o in sent.outlines]
    return FileResult(facts=facts, problems=sent.problems, anchors={}, sha256=sent.sha256, stored=sent.outlines)


def anchor_fact(base: FactBase, fact: Fact, anchors: dict[tuple[str, int], Anchor]) -> list[Problem]:
    """Anchor every quote of one fact, recording locators in anchors; report the ones that fail."""
    problems = []
    for i, ev in enumerate(fact.evidence):
        where = "quote" if i == 0 else f"also[{i - 1}]"
        if ev.source not in base.sources:
            known = ", ".join(sorted(base.sources))
            problems.append(
                Problem(fact.file, fact.line, fact.id, f"{where}: unknown source '{ev.source}' (known: {known})")
            )
            continue
        text = base.texts.get(ev.source)
        if text is None:
            continue
        try:
            match = anchor(text.normal, ev.quote, ev.prefix, ev.suffix)
        except AnchorError as exc:
            problems.append(Problem(fact.file, fact.line, fact.id, f"{where}: {exc} (source {ev.source})"))
            continue
        anchors[(fact.id, i)] = Anchor(source=ev.source, locator=text.locator(match), match=match)
    return problems
