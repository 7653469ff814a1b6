"""Forked worker processes: the one process pool of briefgen.

`in_parallel` shares a large piece of work (reading a fact base) between this process and one
worker per further core; `each_in_worker` runs separate jobs (rendering PDFs) in workers.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Work smaller than this many bytes of input stays in one process: a fork and the results'
# journey back cost more than they save (about 3,000 facts' worth of fact files).
PARALLEL_MIN_BYTES = 2_000_000

# The job of the current in_parallel call. Forked workers inherit it, so it is never pickled and
# may be a closure over anything already loaded.
_job: Callable[[list[Any]], list[Any]] | None = None


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
    import multiprocessing  # imported here: small work never pays for it
    from concurrent.futures import ProcessPoolExecutor

    global _job
    shares = split(items, sizes, [1.0] * count)
    _job = job
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=count - 1, mp_context=context) as pool:
            futures = [pool.submit(_run_job, share) for share in shares[1:] if share]
            results = job(shares[0])
            for future in futures:
                results += future.result()
    finally:
        _job = None
    return results


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


def each_in_worker(items: Sequence[T], job: Callable[[T], R], workers: int) -> Iterator[tuple[T, R]]:
    """(item, job(item)) for every item, in order; forked workers run the jobs when there are several.

    Workers inherit job and items, so neither is pickled; only the results travel back.
    """
    workers = min(len(items), workers or cores())
    if workers <= 1 or not hasattr(os, "fork"):
        for item in items:
            yield item, job(item)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _job
    _job = lambda indexes: [job(items[i]) for i in indexes]  # noqa: E731 - inherited by the workers
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = [pool.submit(_run_job, [i]) for i in range(len(items))]
            for item, future in zip(items, futures, strict=True):
                yield item, future.result()[0]
    finally:
        _job = None
