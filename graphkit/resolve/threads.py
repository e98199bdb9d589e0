"""Threads for resolution: how many, and running independent chunks of work on them.

The heavy steps of resolution (sorts, hashing of integer codes, rapidfuzz's string
kernels) run in numpy, pandas and C++ code that releases the GIL, so threads over
independent chunks use more than one core without copying the data to other processes.
Each chunk writes its own slice of the output, so results do not depend on the number of
threads or on which thread finishes first.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

#: At most this many threads when the count is left to the machine (``workers=0``).
MAX_AUTO_WORKERS = 4


def thread_count(requested: int) -> int:
    """Threads to use: ``requested`` when positive, else the cores available to this
    process, at most :data:`MAX_AUTO_WORKERS`."""
    if requested > 0:
        return int(requested)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_AUTO_WORKERS))


def run_each(task: Callable[[object], None], items: Iterable, workers: int) -> None:
    """``task(item)`` for every item, on up to ``workers`` threads (in this thread when
    ``workers`` is 1 or there is one item); the first exception raised is re-raised."""
    items = list(items)
    if workers <= 1 or len(items) <= 1:
        for item in items:
            task(item)
        return
    with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        for _ in pool.map(task, items):
            pass


__all__ = ["MAX_AUTO_WORKERS", "run_each", "thread_count"]
