"""SHA-256 of bytes, files and trees: the one way briefgen fingerprints what it reads and writes."""

from __future__ import annotations

import hashlib
from pathlib import Path

from briefgen.common.files import MAX_BYTES, FileRefused, kind_of, open_regular, reason
from briefgen.errors import BuildError, UsageError

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


def tree_digest(paths: list[Path], skip_suffixes: tuple[str, ...] = (), max_files: int | None = None) -> str:
    """One hash over the names and contents of every file below the given paths (but those skipped).

    With max_files, a tree holding more files than that is refused as soon as the walk finds them.
    Every file must be readable: a named pipe or device (whatever read it would wait forever), a
    broken link or a file without read permission is a BuildError naming it, before anything is read.
    """
    digest = hashlib.sha256()
    for root in paths:
        if not root.exists():
            continue
        files = [root] if not root.is_dir() else sorted(_files_below(root, max_files))
        for path in files:
            if path.suffix.lower() in skip_suffixes:
                continue
            digest.update(str(path.relative_to(root.parent)).encode("utf-8") + b"\0")
            digest.update(_tree_token(path).encode("utf-8"))
            digest.update(b"\0")
    return digest.hexdigest()


def _files_below(root: Path, max_files: int | None) -> list[Path]:
    found = []
    for path in root.rglob("*"):
        if not path.is_dir():
            found.append(path)
            if max_files is not None and len(found) > max_files:
                raise UsageError(f"{root}: more than {max_files} files; is this the right directory?")
    return found


def _tree_token(path: Path) -> str:
    try:
        return _digest(path, MAX_BYTES)
    except FileRefused as exc:
        if exc.size is None:
            raise BuildError(f"{path}: {reason(exc)}; remove it or replace it with a file") from None
        return file_token(path)  # too large to hash: what reads it refuses it, naming it
    except OSError as exc:
        why = "is a broken link" if path.is_symlink() and not path.exists() else f"cannot be read: {reason(exc)}"
        raise BuildError(f"{path}: {why}; fix it or remove it") from None
