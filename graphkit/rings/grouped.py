"""Groups of rows from one sort: the runs of equal values in a sorted array
(``run_bounds``), a stable order by group with each group's bounds (``group_bounds``), and
per-group text joins without a Python call per group (``joined``: what
``frame.groupby(g)[column].agg(";".join)`` gives, from one stable sort and list slices)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def run_bounds(ordered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The start and end of each run of equal values in ``ordered`` (sorted, or at least
    with equal values next to each other)."""
    if not len(ordered):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    cuts = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
    return np.r_[0, cuts], np.r_[cuts, len(ordered)]


def group_bounds(groups: np.ndarray, within: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A stable order sorting ``groups`` (and, with ``within``, each group's rows by
    ``within``: ``np.lexsort((within, groups))``), and the start and end of each run of
    one group in that order."""
    order = np.argsort(groups, kind="stable") if within is None else \
        np.lexsort((within, groups))
    starts, ends = run_bounds(groups[order])
    return order, starts, ends


def joined(groups: np.ndarray, values, sep: str = ";", distinct_sorted: bool = False
           ) -> pd.Series:
    """Per group (index ascending), its ``values`` joined by ``sep`` in their given order
    (``distinct_sorted``: the sorted distinct values), as a ``str`` Series."""
    groups = np.asarray(groups)
    order, starts, ends = group_bounds(groups)
    text = None if distinct_sorted or not len(order) else _arrow_text(values)
    if text is not None:  # strings only: joined in Arrow, no Python string per value
        lists = pa.LargeListArray.from_arrays(pa.array(np.r_[starts, len(order)],
                                                       pa.int64()),
                                              text.take(pa.array(order)))
        return pd.Series(pd.arrays.ArrowExtensionArray(pc.binary_join(
            lists, pa.scalar(sep, text.type))),
                         index=groups[order][starts]).astype("str")
    items = pd.Series(values).to_numpy(dtype=object)[order].tolist()
    if distinct_sorted:
        text = [sep.join(sorted(set(items[a:b]))) for a, b in zip(starts.tolist(),
                                                                  ends.tolist())]
    else:
        text = [sep.join(items[a:b]) for a, b in zip(starts.tolist(), ends.tolist())]
    return pd.Series(text, index=groups[order][starts], dtype="str")


def _arrow_text(values) -> pa.Array | None:
    """``values`` as one Arrow string array without nulls, or None when they are not all
    strings (their join is then left to Python, which refuses what is no string)."""
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.ArrowDtype |
                                                    pd.StringDtype):
        array = pa.array(values.array)
    else:
        try:
            # no type given: bytes stay binary (refused below), only str becomes string
            array = pa.array(pd.Series(values).to_numpy(dtype=object))
        except (pa.ArrowException, UnicodeEncodeError):  # no string, a lone surrogate
            return None
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return None
    return array if array.null_count == 0 else None


__all__ = ["group_bounds", "joined", "run_bounds"]
