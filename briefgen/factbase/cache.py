"""A private, content-keyed cache: compiled templates and loaded fact bases, reused while inputs are unchanged.

Entries are keyed by the hash of everything they were made from, briefgen's own code included, so a
stale entry is never read: a changed input simply makes a new key. The cache lives in
$BRIEFGEN_CACHE_DIR, else $XDG_CACHE_HOME/briefgen, else ~/.cache/briefgen; BRIEFGEN_CACHE_DIR=off
turns it off. A directory that is not the user's own, or cannot be made, turns it off too.

Fact-base entries are JSON (see codec.py): reading one cannot run code, whoever wrote it. Compiled
templates are marshal data that Jinja executes, so every directory and file on the way to an entry
must be this user's own and writable by no one else, or the entry is not read; the same check keeps
others from planting false facts in a JSON entry.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any

from briefgen.common.paths import PACKAGE

KEEP = 4  # entries of each kind: a few fact bases (or versions of one) side by side


def cache_dir() -> Path | None:
    """The cache directory, made private to this user; None when caching is off or impossible."""
    chosen = os.environ.get("BRIEFGEN_CACHE_DIR")
    if chosen is not None and chosen.strip().lower() in ("", "off", "0", "no", "false"):
        return None
    if chosen:
        path = Path(chosen)
    else:
        home = os.environ.get("XDG_CACHE_HOME") or (Path.home() / ".cache" if "HOME" in os.environ else None)
        if home is None:
            return None
        path = Path(home) / "briefgen"
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None
    # Only a directory no one else can write to, or swap, may hold entries.
    if not private(path) or not _safe_ancestors(path):
        return None
    return path


def private(path: Path) -> bool:
    """Whether path (not followed if a link) is this user's own and writable by no one else."""
    try:
        info = path.lstat()
    except OSError:
        return False
    kind_ok = stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode)
    return kind_ok and info.st_uid == os.getuid() and not info.st_mode & 0o022


def _safe_ancestors(path: Path) -> bool:
    """Whether no one else can rename or replace the cache directory: each directory above it is
    ours or root's, and writable by no one else unless sticky (as /tmp is: only owners rename)."""
    try:
        real = path.resolve(strict=True)
        for parent in real.parents:
            info = parent.stat()
            if info.st_uid not in (0, os.getuid()):
                return False
            if info.st_mode & 0o022 and not info.st_mode & stat.S_ISVTX:
                return False
    except OSError:
        return False
    return True


@functools.cache
def code_digest() -> str:
    """A hash of briefgen's own source files, every subpackage's: a new version or an edit never reads old entries.

    The YAML files shipped beside the code count as code: a rule reads check/hedges.yaml.
    """
    digest = hashlib.sha256()
    for path in sorted([*PACKAGE.rglob("*.py"), *PACKAGE.rglob("*.yaml")]):
        name = path.relative_to(PACKAGE).as_posix()
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


SUFFIX = ".json"


def _entry(kind: str, key: str) -> Path | None:
    root = cache_dir()
    return None if root is None else root / kind / f"{key}{SUFFIX}"


def read(kind: str, key: str) -> Any | None:
    """The plain JSON value stored under key, or None: a missing, partial, unreadable or foreign entry
    (one in a directory or file that someone else owns or can write) is a miss."""
    path = _entry(kind, key)
    if path is None or not private(path.parent) or not private(path):
        return None
    try:
        with path.open("rb") as handle:
            return json.load(handle)
    except FileNotFoundError:  # pruned by another run since
        return None
    except (OSError, ValueError) as exc:  # ValueError: not JSON, or not UTF-8
        discard(kind, key, f"unreadable ({exc.__class__.__name__})")
        return None


def discard(kind: str, key: str, why: str) -> None:
    """Remove an entry that is not what briefgen writes, with a one-line warning; the run goes on as on a miss."""
    path = _entry(kind, key)
    if path is None:
        return
    print(f"briefgen: warning: discarded cache entry {path}: {why}; reading the files again", file=sys.stderr)
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


def write(kind: str, key: str, value: Any, prune: bool = True) -> None:
    """Store a plain JSON value under key atomically, keeping the KEEP newest entries of this kind; never fails.

    prune=False leaves the pruning to one later call of prune(): for the many per-file entries of one load.
    """
    path = _entry(kind, key)
    if path is None:
        return
    scratch = None
    try:
        path.parent.mkdir(mode=0o700, exist_ok=True)
        if not private(path.parent):
            return
        # ASCII, other characters escaped: for source texts that are mostly ASCII, written and read back
        # about twice as fast as UTF-8 and as large (all Vietnamese: as fast, and 60% larger).
        data = json.dumps(value, separators=(",", ":")).encode("ascii")
        handle, scratch = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")  # mode 0o600
        with open(handle, "wb") as out:
            out.write(data)
        os.replace(scratch, path)
        scratch = None
        if prune:
            _prune(path.parent)
    except Exception:  # noqa: BLE001 - a cache that cannot be written is only a slower next run
        if scratch is not None:
            Path(scratch).unlink(missing_ok=True)


def prune(kind: str, keep: int) -> None:
    """Keep the `keep` newest entries of kind; never fails."""
    root = cache_dir()
    if root is None or not (root / kind).is_dir():
        return
    try:
        _prune(root / kind, keep)
    except OSError:
        pass  # another run pruned first; the bound holds on the next load


def _prune(directory: Path, keep: int = KEEP) -> None:
    """Keep the `keep` newest entries; remove pickles left by earlier versions, which are never read."""
    for old in directory.glob("*.pickle"):
        old.unlink(missing_ok=True)
    entries = sorted(directory.glob(f"*{SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[keep:]:
        old.unlink(missing_ok=True)


def template_cache() -> Any | None:
    """A Jinja bytecode cache in the cache directory: templates compile once, not on every build.

    Keyed by briefgen's own code as well as the template's name and source, since the sandbox shapes
    the compiled code. Bounded: a template whose code is over 1 MiB (a huge literal, or a constant Jinja
    folded at compile time) is compiled on each build instead of stored; the 64 newest entries are kept.
    """
    root = cache_dir()
    if root is None:
        return None
    import marshal

    import jinja2

    entry_max, entries_max = 1 << 20, 64

    class BoundedBytecodeCache(jinja2.FileSystemBytecodeCache):
        def get_cache_key(self, name: str, filename: str | None = None) -> str:
            # Code compiled by another version of briefgen (another sandbox) is never loaded.
            return super().get_cache_key(f"{code_digest()}:{name}", filename)

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            if bucket.code is None or len(marshal.dumps(bucket.code)) > entry_max:
                return
            super().dump_bytecode(bucket)
            try:
                found = sorted(Path(self.directory).glob("__jinja2_*.cache"), key=lambda p: p.stat().st_mtime)
                for old in found[:-entries_max]:
                    old.unlink(missing_ok=True)
            except OSError:
                pass  # another build pruned first; the bound holds on the next store

    try:
        (root / "templates").mkdir(mode=0o700, exist_ok=True)
    except OSError:
        return None
    if not private(root / "templates"):
        return None

    class PrivateBytecodeCache(BoundedBytecodeCache):
        """Jinja executes what it loads from here: only files that are ours and writable by no one else."""

        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            if private(Path(self._get_cache_filename(bucket))):
                super().load_bytecode(bucket)

    return PrivateBytecodeCache(str(root / "templates"))
