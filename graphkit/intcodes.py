"""Codes of int64 keys by sorting instead of hashing.

``pd.factorize`` and ``Series.duplicated`` on millions of int64 keys build a hash table
that no longer fits in the CPU caches: measured on this project's graph stage, their CPU
time grew as N^1.4 from 1.3M to 13M keys (4.0 s for ``factorize`` at 13M), while a stable
``argsort`` of the same keys took 0.23 s (keys built from entity and identifier codes are
partly sorted already). These functions give the same answers as the pandas calls,
computed from one stable sort.
"""

from __future__ import annotations

import numpy as np


def first_seen_codes(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per key, the number of its distinct value in order of first appearance (the codes
    of ``pd.factorize(keys)``), and the position of each distinct value's first
    appearance (increasing, one per code)."""
    keys = np.asarray(keys)
    if not len(keys):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    head = np.empty(len(keys), dtype=bool)
    head[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=head[1:])
    rank = np.cumsum(head) - 1  # the distinct value's rank in sorted order
    first = order[head]  # stable sort: the first appearance of each distinct value
    by_appearance = np.argsort(first, kind="stable")
    code_of_rank = np.empty(len(first), dtype=np.int64)
    code_of_rank[by_appearance] = np.arange(len(first))
    codes = np.empty(len(keys), dtype=np.int64)
    codes[order] = code_of_rank[rank]
    return codes, first[by_appearance]


def first_positions(codes: np.ndarray) -> np.ndarray:
    """Where each code of first-seen codes (0, 1, 2, ... in order of first appearance,
    as ``pd.factorize`` gives) first appears: one pass, no sort."""
    codes = np.asarray(codes)
    if not len(codes):
        return np.zeros(0, dtype=np.int64)
    seen = np.maximum.accumulate(codes)
    new = np.empty(len(codes), dtype=bool)
    new[0] = True
    np.greater(seen[1:], seen[:-1], out=new[1:])
    return np.flatnonzero(new)


def first_seen_pairs(outer: np.ndarray, inner: np.ndarray, n_inner: int
                     ) -> tuple[np.ndarray, np.ndarray]:
    """``first_seen_codes(outer * (n_inner + 1) + inner)`` where ``inner`` are first-seen
    codes below ``n_inner`` (-1: missing): when each inner code comes with one outer code only (an
    identifier value with one label), the pairs are numbered as ``inner`` already is,
    found in one pass; else by the sort."""
    outer, inner = np.asarray(outer), np.asarray(inner)
    first = first_positions(inner)
    if len(inner) and inner.min() >= 0 and len(first) == n_inner and \
            np.array_equal(outer, outer[first][inner]):
        return inner.astype(np.int64, copy=False), first
    return first_seen_codes(outer.astype(np.int64) * (n_inner + 1) + inner)


def repeated(keys: np.ndarray) -> np.ndarray:
    """Whether each key equals an earlier one (``pd.Series(keys).duplicated()``)."""
    keys = np.asarray(keys)
    if not len(keys):
        return np.zeros(0, dtype=bool)
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    seen = np.empty(len(keys), dtype=bool)
    seen[0] = False
    np.equal(ordered[1:], ordered[:-1], out=seen[1:])
    out = np.empty(len(keys), dtype=bool)
    out[order] = seen
    return out


def sorted_positions(keys: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Position of each of ``wanted`` among ``keys`` (sorted, distinct), -1 where absent:
    one binary search per value, no hash table."""
    keys = np.asarray(keys)
    wanted = np.asarray(wanted, dtype=keys.dtype)
    if not len(keys):
        return np.full(len(wanted), -1, dtype=np.int64)
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return np.where(keys[at] == wanted, at, -1).astype(np.int64, copy=False)


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """The distinct values of an integer array in ascending order, as ``np.unique(values)``
    gives them, by one sort: NumPy 2.3+'s ``np.unique`` without ``return_*`` arguments
    hashes instead, which at millions of values is an order of magnitude slower than the
    sort and grows faster with the size (a hash table larger than the caches)."""
    ordered = np.sort(np.asarray(values))
    if len(ordered) < 2:
        return ordered
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]]


#: ``ascending`` compares this many neighbours at a time
ASCENDING_STEP = 1 << 20


def ascending(values: np.ndarray, step: int = ASCENDING_STEP) -> bool:
    """Whether ``values`` never decrease (each ``>=`` the one before), compared ``step``
    neighbours at a time: no boolean mask as long as the array (at millions of rows its
    pages are fresh memory the kernel zeroes), and a check that fails early stops early.
    Raises ``TypeError`` where two values cannot be compared (objects)."""
    if step < 1:
        raise ValueError(f"step must be at least 1, not {step}")
    values = np.asarray(values)
    last = len(values) - 1
    for low in range(0, max(last, 0), step):
        high = min(low + step, last)
        if not bool((values[low + 1:high + 1] >= values[low:high]).all()):
            return False
    return True


#: ``grouped_positions``: up to this many groups, one comparison pass per group; more, a sort
FEW_GROUPS = 16


def grouped_positions(codes: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions of ``codes`` (small group numbers, 0 to ``n_groups`` - 1) grouped by
    code, each group's in order, and the bounds of each group among them (empty groups
    too): what a stable argsort of the codes gives. For a few groups, one comparison pass
    each (no sort), the positions kept as int32 below 2**31 rows (half the bytes of the
    row-sized array; ``np.compress`` into an int32 array makes the int64 positions
    anyway); else a stable sort of the small codes (a radix sort)."""
    bounds = np.zeros(n_groups + 1, dtype=np.int64)
    np.cumsum(np.bincount(codes, minlength=n_groups), out=bounds[1:])
    if n_groups > FEW_GROUPS:
        return np.argsort(codes, kind="stable"), bounds
    positions = np.empty(len(codes), dtype=np.int32 if len(codes) < 1 << 31 else np.int64)
    in_group = np.empty(len(codes), dtype=bool)
    for group, (lo, hi) in enumerate(zip(bounds[:-1].tolist(), bounds[1:].tolist())):
        if hi > lo:
            np.equal(codes, group, out=in_group)
            positions[lo:hi] = np.flatnonzero(in_group)
    return positions, bounds


__all__ = ["ASCENDING_STEP", "FEW_GROUPS", "ascending", "first_positions", "first_seen_codes",
           "first_seen_pairs", "grouped_positions", "repeated", "sorted_positions", "sorted_unique"]
