"""SHA-256 of bytes, files and trees: the one way briefgen fingerprints what it reads and writes."""

from __future__ import annotations

import hashlib
from pathlib import Path

from briefgen.errors import UsageError

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
    """The file's digest, read in chunks; None when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def tree_digest(paths: list[Path], skip_suffixes: tuple[str, ...] = (), max_files: int | None = None) -> str:
    """One hash over the names and contents of every file below the given paths (but those skipped).

    With max_files, a tree holding more files than that is refused as soon as the walk finds them.
    """
    digest = hashlib.sha256()
    for root in paths:
        if not root.exists():
            continue
        files = [root] if root.is_file() else sorted(_files_below(root, max_files))
        for path in files:
            if path.suffix.lower() in skip_suffixes:
                continue
            digest.update(str(path.relative_to(root.parent)).encode("utf-8") + b"\0")
            digest.update((file_sha256(path) or "unreadable").encode("ascii"))
            digest.update(b"\0")
    return digest.hexdigest()


def _files_below(root: Path, max_files: int | None) -> list[Path]:
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            found.append(path)
            if max_files is not None and len(found) > max_files:
                raise UsageError(f"{root}: more than {max_files} files; is this the right directory?")
    return found
