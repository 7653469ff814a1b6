"""Memory this process freed, given back to the system: a large load's scratch is not held for the rest of the run."""

from __future__ import annotations

import ctypes
import functools
import sys
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None where there is none (another libc, another system)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # musl and others have no malloc_trim
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def give_back_freed() -> bool:
    """Return the C heap's free pages to the system; whether it could be asked.

    Python keeps large strings and buffers on the C heap; once freed, their pages stay the process's
    own (they count in its peak memory) until something reuses them, and what comes next (Python's
    own arenas, very large strings) is taken elsewhere. Cheap: a few milliseconds.
    """
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
