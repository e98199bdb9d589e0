"""Keep the memory a build frees for its next arrays instead of handing it back to the OS.

glibc's ``malloc`` serves blocks above its mmap threshold (at most 32 MiB) with fresh
``mmap`` calls and gives them back with ``munmap`` when they are freed; the kernel then
zeroes every page of the next such block when it is first touched. A build makes and
drops arrays of tens to hundreds of MiB at every step, so past ~100k people much of its
CPU went to the kernel zeroing pages (``clear_page_erms`` in ``perf``): a third of the
graph stage at 300k people, against little at 100k, whose arrays still fit under the
threshold and are reused from the heap. That made the stages grow faster than their work.

While :func:`freed_memory_kept` is active, large blocks come from the heap and freed
ones stay there for the next allocation (``M_MMAP_MAX`` 0, ``M_TRIM_THRESHOLD`` 2 GiB);
on leaving, glibc's defaults come back and the free heap is returned (``malloc_trim``).
The process's peak memory is what the build held at its peak, plus what the heap could
not reuse. Elsewhere than on glibc (musl, macOS, Windows) it does nothing.
"""

from __future__ import annotations

import ctypes
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: ``mallopt`` parameters (glibc's malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4
#: glibc's defaults, restored on leaving
_DEFAULT_MMAP_MAX = 65536
_DEFAULT_TRIM_THRESHOLD = 128 * 1024
#: the free top of the heap kept before it is trimmed (``mallopt`` takes an ``int``)
_KEPT_TRIM_THRESHOLD = 2**31 - 1

_lock = threading.Lock()
_depth = 0


def _glibc() -> ctypes.CDLL | None:
    """The process's C library when it is glibc (whose ``mallopt`` this module knows)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    if not all(hasattr(libc, name) for name in
               ("gnu_get_libc_version", "mallopt", "malloc_trim")):
        return None
    return libc


@contextmanager
def freed_memory_kept(enabled: bool = True) -> Iterator[bool]:
    """Within the block, freed memory is kept for reuse (see the module's docstring);
    yields whether that is in force. Nested and concurrent uses share one setting, undone
    when the last of them ends."""
    global _depth
    libc = _glibc() if enabled else None
    if libc is None:
        yield False
        return
    with _lock:
        if _depth == 0:
            libc.mallopt(_M_MMAP_MAX, 0)
            libc.mallopt(_M_TRIM_THRESHOLD, _KEPT_TRIM_THRESHOLD)
        _depth += 1
    try:
        yield True
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                libc.mallopt(_M_MMAP_MAX, _DEFAULT_MMAP_MAX)
                libc.mallopt(_M_TRIM_THRESHOLD, _DEFAULT_TRIM_THRESHOLD)
                libc.malloc_trim(0)


__all__ = ["freed_memory_kept"]
