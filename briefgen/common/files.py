"""Open only regular files, refuse by size before reading, and name paths that cannot be paths.

A named pipe or device is opened without blocking and refused, so nothing waits on a writer that
never comes; a file larger than the caller's limit is refused from its size, before any byte is read.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

from briefgen.errors import UsageError

MAX_BYTES = 256 * 1024 * 1024  # no file briefgen reads whole is meant to be larger than this

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class FileRefused(OSError):
    """A path briefgen will not read: not a regular file, or too large. An OSError, so that callers
    that already report unreadable files report these the same way, with strerror as the reason.
    size is set when the file was refused for its size."""

    def __init__(self, reason: str, size: int | None = None):
        super().__init__(0, reason)
        self.size = size


def kind_of(mode: int) -> str:
    """What a file of this mode is, in words: 'a named pipe', 'a directory', ... or 'a file'."""
    return next((name for test, name in _KINDS if test(mode)), "a file")


def too_large(size: int, limit: int) -> str:
    return f"is {size / 2**20:,.0f} MiB, larger than the {limit // 2**20} MiB briefgen reads"


def open_regular(path: Path, limit: int = MAX_BYTES) -> BinaryIO:
    """Open path for reading if it is a regular file of at most limit bytes; else raise FileRefused.

    O_NONBLOCK makes opening a FIFO return at once instead of waiting for a writer; the check is on
    the opened descriptor, so a file swapped after a stat cannot slip through.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused(f"is {kind_of(info.st_mode)}, not a regular file")
        if info.st_size > limit:
            raise FileRefused(too_large(info.st_size, limit), info.st_size)
        os.set_blocking(fd, True)
        return open(fd, "rb")  # noqa: SIM115 - the caller closes it
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: Path, limit: int = MAX_BYTES) -> bytes:
    """The bytes of a regular file of at most limit bytes (see open_regular); never more than limit."""
    with open_regular(path, limit) as handle:
        data = handle.read(limit + 1)  # a file that grew since its size was read stops here
    if len(data) > limit:
        raise FileRefused(too_large(len(data), limit), len(data))
    return data


def reason(exc: OSError) -> str:
    """Why a file could not be read, in a few words: 'Permission denied', 'is a named pipe, ...'."""
    return exc.strerror or str(exc)


def refuse_nul(paths: Mapping[str, object]) -> None:
    """Raise a UsageError naming the option whose path holds a NUL byte, which no file name can hold
    (the system would only say 'embedded null byte', naming nothing); None values are skipped."""
    for what, value in paths.items():
        if value is not None and "\0" in str(value):
            shown = str(value).replace("\0", "\\0")
            raise UsageError(f"{what} '{shown}' contains a NUL byte (\\0), which no file name can; correct the path")


def refuse_nul_args(args: list[str]) -> None:
    """refuse_nul over a raw command line, naming the option a value belongs to ('--output', ...)."""
    for i, arg in enumerate(args):
        if "\0" in arg:
            if arg.startswith("--") and "=" in arg:
                name, _, value = arg.partition("=")
            else:
                name, value = (args[i - 1] if i and args[i - 1].startswith("-") else "argument"), arg
            refuse_nul({name: value})
