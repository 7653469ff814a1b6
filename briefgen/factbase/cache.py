"""A private, content-keyed cache: compiled templates and loaded fact bases, reused while inputs are unchanged.

Entries are keyed by the hash of everything they were made from, briefgen's own code included, so a
stale entry is never read: a changed input simply makes a new key. The cache lives in
$BRIEFGEN_CACHE_DIR, else $XDG_CACHE_HOME/briefgen, else ~/.cache/briefgen; BRIEFGEN_CACHE_DIR=off
turns it off. A directory that is not the user's own, or cannot be made, turns it off too.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
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
        info = path.stat()
    except OSError:
        return None
    # Entries are unpickled: only a directory no one else can write to may hold them.
    if info.st_uid != os.getuid() or info.st_mode & 0o022:
        return None
    return path


@functools.cache
def code_digest() -> str:
    """A hash of briefgen's own source files, every subpackage's: a new version or an edit never reads old entries."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _entry(kind: str, key: str) -> Path | None:
    root = cache_dir()
    return None if root is None else root / kind / f"{key}.pickle"


def read(kind: str, key: str) -> Any | None:
    """The value stored under key, or None; a missing, partial or unreadable entry is a miss."""
    path = _entry(kind, key)
    if path is None or not path.is_file():
        return None
    try:
        with path.open("rb") as handle:
            return pickle.load(handle)
    except Exception:  # noqa: BLE001 - whatever is wrong with an entry, the cure is to rebuild it
        return None


def write(kind: str, key: str, value: Any) -> None:
    """Store value under key atomically, keeping the KEEP newest entries of this kind; never fails."""
    path = _entry(kind, key)
    if path is None:
        return
    scratch = None
    try:
        path.parent.mkdir(mode=0o700, exist_ok=True)
        handle, scratch = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(handle, "wb") as out:
            pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(scratch, path)
        scratch = None
        entries = sorted(path.parent.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[KEEP:]:
            old.unlink(missing_ok=True)
    except Exception:  # noqa: BLE001 - a cache that cannot be written is only a slower next run
        if scratch is not None:
            Path(scratch).unlink(missing_ok=True)


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
    return BoundedBytecodeCache(str(root / "templates"))
