"""glibc's heap kept for reuse while a stage makes and frees big temporaries.

glibc serves a block above its mmap threshold (dynamic, at most 32 MiB on 64-bit) from
fresh pages of an ``mmap`` and unmaps it when it is freed, so every such temporary costs
the kernel its zeroing again (at 1M people a row-sized int32 array is 52 MiB, and the
graph stage makes many). :func:`heap_kept` raises the threshold and the trim threshold for
a block of code, so freed big blocks stay in the heap and are reused; when the block ends
the heap's free memory is given back (``malloc_trim(0)``) and the thresholds are set to
:data:`MMAP_THRESHOLD_AFTER` and :data:`TRIM_THRESHOLD_AFTER`.

Setting either threshold turns glibc's dynamic threshold off for good (``mallopt(3)``),
so they cannot be restored to "dynamic"; the values set afterwards are where the dynamic
rule tops out (mmap threshold 32 MiB, trim threshold twice that), which is what a long
build's dynamic threshold reaches anyway once it has freed a 32 MiB block. Anywhere but
Linux with glibc (musl, macOS, Windows) this is a no-op. Arrow's buffers come from its own
pool (mimalloc), which these settings do not reach.

:func:`numpy_huge_pages` sets for a block of code whether NumPy asks the kernel for
transparent huge pages (``madvise``) for its big arrays. On a virtual machine whose
balloon reports free memory to its host (:func:`free_page_reporting`), memory the build
touches for the first time has been given back to the host, and there a huge page's first
touch costs the kernel about four times what the same memory costs in 4 KiB pages
(``bench/cold_memory.py``: 2.6 against 0.6 kernel seconds per GiB), though far less when
it was freed a moment ago (0.1-0.2). The build's default follows the machine.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

#: ``mallopt`` parameters (glibc ``<malloc.h>``)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
#: glibc's dynamic mmap threshold's upper bound on 64-bit (``DEFAULT_MMAP_THRESHOLD_MAX``:
#: 4 MiB x sizeof(long)), set when a scope ends
MMAP_THRESHOLD_AFTER = 32 * 1024**2
#: the trim threshold glibc's dynamic rule pairs with it (twice the mmap threshold)
TRIM_THRESHOLD_AFTER = 2 * MMAP_THRESHOLD_AFTER
#: ``mallopt`` takes a C int: the largest threshold it can be given
_INT_MAX = 2**31 - 1
#: where Linux lists virtio balloon devices, and the feature bit of free page reporting
#: (``VIRTIO_BALLOON_F_REPORTING``) in each one's ``features`` string
BALLOONS = Path("/sys/bus/virtio/drivers/virtio_balloon")
_REPORTING_BIT = 5


def _glibc_version() -> str:
    """glibc's version string ("glibc 2.36"), or "" under another C library (musl)."""
    try:
        version = os.confstr("CS_GNU_LIBC_VERSION")
    except (AttributeError, ValueError, OSError):  # no confstr, or a name it does not know
        return ""
    return version if version and version.startswith("glibc") else ""


@cache
def _glibc() -> ctypes.CDLL | None:
    """The process's C library when it is glibc on Linux (else None: nothing to tune)."""
    if not sys.platform.startswith("linux") or not _glibc_version():
        return None
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.mallopt.restype = ctypes.c_int
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        libc.malloc_trim.restype = ctypes.c_int
    except (OSError, AttributeError):  # a static or unusual build: leave malloc alone
        return None
    return libc


def available() -> bool:
    """Whether glibc's heap can be tuned in this process (Linux with glibc)."""
    return _glibc() is not None


def trim() -> bool:
    """Give the heap's free memory back to the kernel (``malloc_trim(0)``); whether any
    was given back (False where glibc is absent)."""
    libc = _glibc()
    return bool(libc.malloc_trim(0)) if libc is not None else False


def _set_thresholds(libc: ctypes.CDLL, mmap_bytes: int, trim_bytes: int) -> bool:
    """Both thresholds set (each clamped to what ``mallopt`` takes); whether glibc took
    both."""
    took_mmap = libc.mallopt(M_MMAP_THRESHOLD, min(mmap_bytes, _INT_MAX))
    took_trim = libc.mallopt(M_TRIM_THRESHOLD, min(trim_bytes, _INT_MAX))
    return bool(took_mmap and took_trim)


@contextmanager
def heap_kept(keep_mib: int) -> Iterator[bool]:
    """For the block, glibc serves blocks of up to ``keep_mib`` MiB (at least 32) from its
    heap and keeps freed memory there for reuse (no trimming below that); afterwards
    the free memory is given back and the thresholds set to glibc's dynamic maxima, also
    when the block fails. Yields whether the heap is tuned: False when ``keep_mib`` is 0
    or glibc is absent (then nothing is changed). Not meant to be nested: the inner
    block's end would restore the thresholds for the outer one."""
    keep = int(keep_mib) * 1024**2
    libc = _glibc() if keep > 0 else None
    if libc is None:
        yield False
        return
    # never below the thresholds set afterwards: a small size would keep less, not more
    tuned = _set_thresholds(libc, max(keep, MMAP_THRESHOLD_AFTER),
                            max(keep, TRIM_THRESHOLD_AFTER))
    try:
        yield tuned
    finally:
        _set_thresholds(libc, MMAP_THRESHOLD_AFTER, TRIM_THRESHOLD_AFTER)
        trim()  # what the block freed goes back before the next stage


def free_page_reporting(balloons: Path = BALLOONS) -> bool | None:
    """Whether this machine's virtio balloon reports free memory to its host (then the
    host takes idle memory back and its next first touch is slow); None without a
    balloon device (bare metal, another hypervisor, not Linux)."""
    try:
        devices = sorted(balloons.glob("virtio*")) if balloons.is_dir() else []
    except OSError:
        return None
    for device in devices:
        try:
            features = (device / "features").read_text(encoding="ascii").strip()
        except OSError:
            continue
        return len(features) > _REPORTING_BIT and features[_REPORTING_BIT] == "1"
    return None


def _numpy_madvise() -> Callable[[bool], bool] | None:
    """NumPy's switch of huge-page advice for new arrays (it returns the previous value;
    ``NUMPY_MADVISE_HUGEPAGE`` sets it at import), or None where NumPy has none."""
    import numpy as np

    for module in ("_core", "core"):  # NumPy 2, then 1.x
        found = getattr(getattr(getattr(np, module, None), "multiarray", None),
                        "_set_madvise_hugepage", None)
        if found is not None:
            return found
    return None


def huge_pages_choice(wanted: bool | None) -> bool | None:
    """Whether NumPy should ask for huge pages: ``wanted`` when set; for None, False on a
    machine whose balloon reports free pages, else None (NumPy's own choice stands)."""
    if wanted is not None:
        return wanted
    return False if free_page_reporting() else None


@contextmanager
def numpy_huge_pages(wanted: bool | None) -> Iterator[bool | None]:
    """For the block, NumPy asks for transparent huge pages for its big arrays or not, as
    :func:`huge_pages_choice` decides; restored afterwards, also when the block fails.
    Yields the choice in force (None: NumPy's own, left alone)."""
    choice = huge_pages_choice(wanted)
    switch = _numpy_madvise() if choice is not None else None
    if switch is None:
        yield None
        return
    before = switch(choice)
    try:
        yield choice
    finally:
        switch(before)


__all__ = ["BALLOONS", "MMAP_THRESHOLD_AFTER", "TRIM_THRESHOLD_AFTER", "available",
           "free_page_reporting", "heap_kept", "huge_pages_choice", "numpy_huge_pages",
           "trim"]
