"""The cyclic garbage collector while a fact base loads: paused, then what was loaded frozen.

Here rather than in `factbase.loading`, so that the command line can set the policy around a build
without importing loading (a no-op rebuild loads nothing).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_TUNED: ContextVar[bool] = ContextVar("briefgen_collector_tuned", default=False)


@contextmanager
def collector_tuned_for_loading(unfreeze: bool = True) -> Iterator[None]:
    """Within it, each load pauses the cyclic garbage collector, then freezes what it loaded.

    Loading makes millions of objects and no cycles; each automatic collection would walk them all
    again (about half the time of a check at 100k facts). Frozen, they stay out of later collections.
    A process that loads one base and ends (the command line) wants this; a library caller gets its
    collector as it was unless it asks. On leaving, what was frozen goes back to the collector
    (gc.unfreeze; only if nothing was frozen before, since it cannot tell whose objects are whose),
    unless unfreeze=False: for a process about to end, which then spares its final collection the
    walk over them (0.1 s of a 10k check).
    """
    frozen_before = gc.get_freeze_count()
    token = _TUNED.set(True)
    try:
        yield
    finally:
        _TUNED.reset(token)
        if unfreeze and frozen_before == 0:
            gc.unfreeze()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Inside collector_tuned_for_loading: no automatic collection while loading, and freeze the result."""
    if not _TUNED.get():
        yield
        return
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
