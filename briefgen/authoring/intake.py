"""`briefgen add`: register a document as a source in one step, its text extracted and its digests recorded.

The readers for each format live in `readers_docs.py` and import their libraries lazily, so a build never
pays for them. Everything is read and checked before anything is written; a refusal writes nothing.
"""

from __future__ import annotations

import datetime
import errno
import fcntl
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from briefgen.authoring.readers_docs import READERS, Extracted
from briefgen.common.files import FileRefused, read_regular, reason
from briefgen.common.hashing import sha256_bytes
from briefgen.common.invisible import invisible_in
from briefgen.errors import SourceError, UsageError
from briefgen.factbase.dates import DateError, parse_date
from briefgen.factbase.sources import ID_RE, Source, load_sources

MAX_DOCUMENT_BYTES = 50 * 2**20  # larger than any article or report; a mistake, or not a document
MIN_WORDS = 30  # fewer words of text than this is a page of navigation, not an article


@dataclass(frozen=True)
class AddRequest:
    """What `briefgen add` was asked: the document, and metadata given on the command line (which wins)."""

    path: Path
    root: Path
    id: str | None = None
    url: str | None = None
    published: str | None = None
    type: str | None = None
    title: str | None = None
    author: str | None = None
    publisher: str | None = None
    today: datetime.date | None = None


@dataclass(frozen=True)
class Added:
    """A registered source: its id, where its text and original went, and how much text it has."""

    id: str
    text: Path
    original: Path | None
    words: int
    pages: int
    paragraphs: int


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in READERS:
        known = ", ".join(sorted(READERS))
        raise UsageError(f"{path}: cannot read '{suffix or 'no extension'}' files; briefgen add reads {known}")
    return suffix


def _read_document(path: Path) -> bytes:
    """The document's bytes: a regular file (a pipe is never waited on) within the size limit."""
    try:
        return read_regular(path, MAX_DOCUMENT_BYTES)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except FileRefused as exc:
        if exc.size is None:
            raise UsageError(f"{path}: {reason(exc)}; give the document itself") from None
        raise SourceError(
            f"{path}: {exc.size:,} bytes is over the limit of {MAX_DOCUMENT_BYTES:,} bytes for a source"
        ) from None
    except OSError as exc:
        raise SourceError(f"{path}: cannot be read: {reason(exc)}") from None


def _new_id(request: AddRequest, extracted: Extracted, sources: dict[str, Source]) -> str:
    """The id asked for, else one made from the title or file name; an id in use is refused, never renamed."""
    if request.id is not None:
        if not ID_RE.match(request.id):
            raise UsageError(f"--id {request.id!r}: use lowercase letters, digits and hyphens")
        sid = request.id
    else:
        title = request.title or extracted.metadata.get("title", ("", ""))[0] or request.path.stem
        sid = "-".join(re.findall(r"[a-z0-9]+", title.lower())[:6]) or "source"  # six words read well
    if sid in sources:
        raise UsageError(f"source id '{sid}' is already registered; choose another with --id")
    return sid


def _refuse_duplicate(path: Path, digests: set[str], sources: dict[str, Source]) -> None:
    for source in sources.values():
        if digests & {source.sha256, source.original_sha256 or ""}:
            raise SourceError(f"{path}: this document is already registered as '{source.id}' (same sha256)")


def _metadata(request: AddRequest, extracted: Extracted) -> tuple[dict[str, str | None], dict[str, str]]:
    """Each field from the command line if given, else from the document's own metadata; where each came from."""
    given = {
        "title": request.title,
        "author": request.author,
        "publisher": request.publisher,
        "published": request.published,
        "url": request.url,
    }
    values: dict[str, str | None] = {}
    provenance: dict[str, str] = {}
    for name, value in given.items():
        if value:
            values[name], provenance[name] = value, "command line"
        elif name in extracted.metadata:
            values[name], provenance[name] = extracted.metadata[name]
        else:
            values[name] = None
    if values["published"]:
        try:
            values["published"] = parse_date(values["published"]).raw
        except DateError as exc:
            if provenance["published"] == "command line":
                raise UsageError(f"--published '{request.published}': {exc}") from None
            del provenance["published"]  # the document's own date is unusable: unknown stays null
            values["published"] = None
    _refuse_invisible(request, values, provenance)
    return values, provenance


def _refuse_invisible(request: AddRequest, values: dict[str, str | None], provenance: dict[str, str]) -> None:
    """Refuse metadata `check` would refuse (an invisible or direction-changing character), before anything
    is written: registered, it would only fail the next check."""
    for name, value in (*values.items(), ("type", request.type)):
        message = invisible_in(value or "", name)
        if message is None:
            continue
        if provenance.get(name, "command line") == "command line":
            raise UsageError(f"--{name}: {message}")
        raise SourceError(f"{request.path}: the document's {message} (from {provenance[name]}); give --{name}")


def _entry(
    request: AddRequest, sid: str, extracted: Extracted, original_digest: str, text_digest: str, suffix: str
) -> dict[str, object]:
    values, provenance = _metadata(request, extracted)
    today = request.today or datetime.date.today()
    entry: dict[str, object] = {
        "id": sid,
        "title": values["title"],
        "author": values["author"],
        "publisher": values["publisher"],
        "published": values["published"],
        "type": request.type or "document",
        "url": values["url"],
        "path": f"texts/{sid}.txt",
        "sha256": text_digest,
    }
    if extracted.keeps_original:
        entry |= {"original": f"originals/{sid}{suffix}", "original_sha256": original_digest}
    entry["retrieved"] = today.isoformat()
    if extracted.page_starts:
        entry["page_starts"] = list(extracted.page_starts)
    else:
        entry["body"] = list(extracted.body)
    entry["provenance"] = provenance
    return entry


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def add_source(request: AddRequest) -> Added:
    """Read, extract and check the document, then keep its original, write its text and register it."""
    root = request.root
    registry = root / "sources.yaml"
    if not registry.is_file():
        raise UsageError(f"{root}: not a fact base (no sources.yaml); run `briefgen init {root}` or pass --facts DIR")
    suffix = _suffix(request.path)
    data = _read_document(request.path)
    extracted = READERS[suffix](data, request.path)
    words = len(extracted.text.split())
    if words < MIN_WORDS:
        raise SourceError(f"{request.path}: {extracted.empty_hint} ({words} words of text found)")
    with registry_locked(registry):  # from reading the registry to writing it: two adds at once both register
        return _register(request, registry, data, extracted, suffix, words)


REGISTRY_WAIT = 60.0  # seconds an add waits for another add of the same fact base to finish registering


@contextmanager
def registry_locked(registry: Path, timeout: float = REGISTRY_WAIT) -> Iterator[None]:
    """Hold an exclusive lock on sources.yaml itself; an add that finds it held waits for it.

    The lock is on the file an add replaces, so one that waited opens it again if it was replaced
    meanwhile: it must lock (and then read) the registry as it is now, not the one it waited on.
    On a file system without locks the add goes on unlocked, as before there was a lock, and says so.
    """
    deadline = time.monotonic() + timeout
    while True:
        fd = _open_registry(registry)
        try:
            locked = _lock(fd, registry, deadline, timeout)
            if not locked or os.fstat(fd).st_ino == _inode(registry):
                break  # still the registry: it is ours until we write it
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
    try:
        yield
    finally:
        os.close(fd)


def _open_registry(registry: Path) -> int:
    """The registry opened to be locked: for writing where allowed (NFS locks only a file open for
    writing), else for reading; never waiting on a FIFO put in its place."""
    try:
        return os.open(registry, os.O_RDWR | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise UsageError(f"{registry}: cannot be read: {reason(exc)}; nothing was added") from None
    try:
        return os.open(registry, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise UsageError(f"{registry}: cannot be read: {reason(exc)}; nothing was added") from None


def _lock(fd: int, registry: Path, deadline: float, timeout: float) -> bool:
    """Take the lock, waiting until deadline; False if the file system has no locks to take."""
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                held = f"another briefgen add has held it for {timeout:.0f} s"
                raise UsageError(f"{registry}: {held}; try again") from None
            time.sleep(0.05)
        except OSError as exc:  # a file system without locks (ENOLCK, EOPNOTSUPP)
            print(
                f"briefgen: warning: {registry}: cannot be locked ({reason(exc)}); another add at the same "
                "moment could lose its entry",
                file=sys.stderr,
            )
            return False


def _inode(path: Path) -> int | None:
    """The inode path names now; None if it names none (removed: opening it again says so)."""
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def _register(request: AddRequest, registry: Path, data: bytes, extracted: Extracted, suffix: str, words: int) -> Added:
    """Check the document against the registry, then keep its original, write its text and register it."""
    root = request.root
    sources, problems = load_sources(root)
    if problems:
        raise UsageError(f"{registry}: fix the registry first ({problems[0]})")
    text_bytes = extracted.text.encode("utf-8")
    original_digest, text_digest = sha256_bytes(data), sha256_bytes(text_bytes)
    _refuse_duplicate(request.path, {original_digest, text_digest}, sources)
    sid = _new_id(request, extracted, sources)
    text_path, original_path = root / "texts" / f"{sid}.txt", root / "originals" / f"{sid}{suffix}"
    for target in (text_path, original_path) if extracted.keeps_original else (text_path,):
        if target.exists():
            raise UsageError(f"{target} already exists; remove it or choose another --id")
    entry = _entry(request, sid, extracted, original_digest, text_digest, suffix)
    dumped = yaml.safe_dump([entry], sort_keys=False, allow_unicode=True, width=100, default_flow_style=None)
    old = registry.read_bytes()
    separator = b"" if not old or old.endswith(b"\n\n") else b"\n" if old.endswith(b"\n") else b"\n\n"
    written: list[Path] = []
    try:
        for target, content in ((original_path, data), (text_path, text_bytes)):
            if target == original_path and not extracted.keeps_original:
                continue
            _write_atomically(target, content)
            written.append(target)
        _write_atomically(registry, old + separator + dumped.encode("utf-8"))  # last: the source exists only now
    except OSError as exc:
        for target in written:  # nothing half-registered is left behind
            target.unlink(missing_ok=True)
        raise SourceError(f"cannot register {request.path}: {exc.strerror or exc}") from None
    return Added(
        sid,
        text_path,
        original_path if extracted.keeps_original else None,
        words,
        len(extracted.page_starts),
        extracted.paragraphs,
    )
