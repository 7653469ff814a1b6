"""SHA-256 of bytes, files and trees: the one way briefgen fingerprints what it reads and writes."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from briefgen.common.files import MAX_BYTES, FileRefused, kind_of, open_regular
from briefgen.errors import BuildError

CHUNK = 1 << 20  # files are hashed a mebibyte at a time, never read whole


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_text(*parts: str) -> str:
    """One digest of several strings, each ended by a NUL so that ('ab', 'c') and ('a', 'bc') differ."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8") + b"\0")
    return digest.hexdigest()


def file_sha256(path: Path) -> str | None:
    """The file's digest, read in chunks; None when it cannot be read or is not a regular file (a
    named pipe is refused, never waited on)."""
    try:
        return _digest(path, 2**63)
    except OSError:
        return None


def file_token(path: Path) -> str:
    """What stands for a file's contents in a digest of many: its sha256, or for a file larger than
    any briefgen reads, its kind, size and time (hashing gigabytes only to refuse them later would be
    waste); 'unreadable' when it cannot be opened."""
    try:
        return _digest(path, MAX_BYTES)
    except FileRefused:
        try:
            info = path.stat()
        except OSError:
            return "unreadable"
        return f"{kind_of(info.st_mode)}:{info.st_size}:{info.st_mtime_ns}"
    except OSError:
        return "unreadable"


def _digest(path: Path, limit: int) -> str:
    digest = hashlib.sha256()
    with open_regular(path, limit) as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def tree_digest(paths: list[Path], skip_suffixes: tuple[str, ...] = ()) -> str:
    """One hash over the names and contents of every file below the given paths (but those skipped).

    A named pipe, device or socket among them is an error: whatever later read it would wait forever.
    """
    digest = hashlib.sha256()
    for root in paths:
        if not root.exists():
            continue
        files = [root] if not root.is_dir() else sorted(p for p in root.rglob("*") if not p.is_dir())
        for path in files:
            if path.suffix.lower() in skip_suffixes:
                continue
            _refuse_special(path)
            digest.update(str(path.relative_to(root.parent)).encode("utf-8") + b"\0")
            digest.update(file_token(path).encode("utf-8"))
            digest.update(b"\0")
    return digest.hexdigest()


def _refuse_special(path: Path) -> None:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return  # a broken link: 'unreadable' in the digest, and reported by whatever reads it
    if not stat.S_ISREG(mode):
        raise BuildError(f"{path}: is {kind_of(mode)}, not a regular file; remove it or replace it with a file")
