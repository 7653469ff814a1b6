"""Forked worker processes: the one process pool of briefgen.

`in_parallel` shares a large piece of work (reading a fact base) between this process and one
worker per further core; `each_in_worker` runs separate jobs (rendering PDFs) in workers.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from briefgen.errors import BuildError

T = TypeVar("T")
R = TypeVar("R")

# Work smaller than this many bytes of input stays in one process: a fork and the results'
# journey back cost more than they save (about 3,000 facts' worth of fact files).
PARALLEL_MIN_BYTES = 2_000_000

# Seconds to wait for the pool's manager thread once the workers are told to stop.
STOP_WAIT = 10.0

KILLED = "it was killed (by the out-of-memory killer or a signal); nothing written"

# The job of the current in_parallel call. Forked workers inherit it, so it is never pickled and
# may be a closure over anything already loaded.
_job: Callable[[list[Any]], list[Any]] | None = None


# Descriptors no worker may keep: the output directory's lock. A forked worker shares the lock's open
# file description, so a worker that outlived a killed build would hold the lock for ever.
_private_fds: set[int] = set()


def keep_from_workers(fd: int) -> None:
    """Close fd in every worker forked from now on (it stays open here)."""
    _private_fds.add(fd)


def release_from_workers(fd: int) -> None:
    _private_fds.discard(fd)


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this worker when its parent dies, however the parent dies (kill -9 too)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # no prctl: the closed lock below still keeps builds unwedged
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _start_worker(parent: int, private: tuple[int, ...]) -> None:
    """Each worker's first act: drop the lock, die with its parent, and let SIGTERM end it.

    The parent turns SIGTERM into SystemExit; a worker inheriting that handler would report the
    exit as the job's result and carry on, so it gets the default action back.
    """
    for fd in private:
        try:
            os.close(fd)
        except OSError:
            pass
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, HELD_SIGNALS)  # held by the parent while it forked
    _die_with_parent(parent)


HELD_SIGNALS = {signal.SIGTERM, signal.SIGINT}


@contextmanager
def signals_held() -> Iterator[None]:
    """Hold SIGTERM and SIGINT for a moment that must not be cut in two, then take them.

    Forking workers is one: a signal that arrives during fork()'s own callbacks is reported and
    ignored by Python, so a build stopped at that moment would carry on; held, it is taken after.
    """
    signal.pthread_sigmask(signal.SIG_BLOCK, HELD_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, HELD_SIGNALS)


def _pool(workers: int) -> Any:
    """A pool of forked workers that hold no lock and do not outlive this process."""
    import multiprocessing  # imported here: small work never pays for it
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_start_worker,
        initargs=(os.getpid(), tuple(sorted(_private_fds))),
    )


def cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def in_worker(parent: int) -> bool:
    """Whether the caller runs in a forked worker of the process whose pid is parent."""
    return os.getpid() != parent


def in_parallel(items: Sequence[T], sizes: Sequence[int], job: Callable[[list[T]], list[R]]) -> list[R]:
    """job's results for all items, in order: job gets consecutive runs of items of about equal size.

    This process runs the first run itself while forked workers run the others (equal runs measured
    best at 100k facts: the workers' copy-on-write costs match what this process does with their
    results). Small work, one core or no fork() means job(all items) here.
    """
    count = cores()
    if count < 2 or sum(sizes) < PARALLEL_MIN_BYTES or not hasattr(os, "fork"):
        return job(list(items))
    from concurrent.futures.process import BrokenProcessPool

    global _job
    shares = split(items, sizes, [1.0] * count)
    _job = job
    try:
        with _pool(count - 1) as pool:
            try:
                with signals_held():
                    futures = [pool.submit(_run_job, share) for share in shares[1:] if share]
                results = job(shares[0])
                for future in futures:
                    results += future.result()
            except BaseException:
                _stop(pool)
                raise
    except BrokenProcessPool:
        raise BuildError(f"a worker process died while reading {len(items)} file(s); {KILLED}") from None
    finally:
        _job = None
    return results


def _stop(pool: Any) -> None:
    """End the workers now: one job failed or the build was stopped, so the others' work is wasted.

    Without this, leaving the pool would wait for every PDF under way (SIGTERM or a failed
    footnote check would take as long as the whole render).

    The pool's manager thread is then waited for (it notices the dead workers and closes its pipes
    at once). Left running, it races the interpreter's exit, which wakes it through a pipe it may
    be closing, and the exit prints an OSError traceback under briefgen's one-line error.
    """
    import multiprocessing

    manager = getattr(pool, "_executor_manager_thread", None)  # CPython's; shutdown() forgets it
    pool.shutdown(wait=False, cancel_futures=True)
    for child in multiprocessing.active_children():
        child.terminate()
    if manager is not None:
        manager.join(STOP_WAIT)


def _failed_with(future: Any, kind: type) -> bool:
    """Whether a finished future failed with kind (the futures a dead worker took with it)."""
    return bool(future.done() and not future.cancelled() and isinstance(future.exception(timeout=0), kind))


def _run_job(items: list[Any]) -> list[Any]:
    assert _job is not None, "in_parallel's job runs only in a worker it forked"
    return _job(items)


def split(items: Sequence[T], sizes: Sequence[int], weights: Sequence[float]) -> list[list[T]]:
    """Consecutive runs of items, one per weight, whose sizes add up in proportion to the weights."""
    total, scale = sum(sizes), sum(weights)
    bounds = [total * sum(weights[: i + 1]) / scale for i in range(len(weights))]
    shares: list[list[T]] = [[] for _ in weights]
    done, share = 0, 0
    for item, size in zip(items, sizes, strict=True):
        while share < len(weights) - 1 and done >= bounds[share]:
            share += 1
        shares[share].append(item)
        done += size
    return shares


def each_in_worker(
    items: Sequence[T], job: Callable[[T], R], workers: int, name: Callable[[T], str] = str
) -> Iterator[tuple[T, R]]:
    """(item, job(item)) for every item, in order; forked workers run the jobs when there are several.

    Workers inherit job and items, so neither is pickled; only the results travel back. A worker
    that dies is a BuildError naming (by name) the items not yet finished, one of which it ran.
    """
    workers = min(len(items), workers or cores())
    if workers <= 1 or not hasattr(os, "fork"):
        for item in items:
            yield item, job(item)
        return
    from concurrent.futures.process import BrokenProcessPool

    global _job
    _job = lambda indexes: [job(items[i]) for i in indexes]  # noqa: E731 - inherited by the workers
    futures = []
    finished = 0
    try:
        with _pool(workers) as pool:
            try:
                with signals_held():
                    futures = [pool.submit(_run_job, [i]) for i in range(len(items))]
                for item, future in zip(items, futures, strict=True):
                    yield item, future.result()[0]
                    finished += 1
            except BaseException:
                _stop(pool)
                raise
    except BrokenProcessPool:
        lost = [i for i, f in zip(items, futures, strict=False) if _failed_with(f, BrokenProcessPool)]
        # A worker that dies while the jobs are still being handed out breaks submit() itself.
        unfinished = ", ".join(name(i) for i in (lost or items[finished:]))
        raise BuildError(f"a worker process died while rendering {unfinished}: {KILLED}") from None
    finally:
        _job = None
