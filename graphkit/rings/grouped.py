"""Per-group text joins without a Python call per group: what
``frame.groupby(g)[column].agg(";".join)`` gives, from one stable sort and list slices."""

from __future__ import annotations

import numpy as np
import pandas as pd


def group_bounds(groups: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A stable order sorting ``groups``, and the start and end of each run of one group
    in that order."""
    order = np.argsort(groups, kind="stable")
    ordered = groups[order]
    cuts = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1 if len(ordered) else \
        np.zeros(0, np.int64)
    starts = np.r_[0, cuts] if len(ordered) else np.zeros(0, np.int64)
    ends = np.r_[cuts, len(ordered)] if len(ordered) else np.zeros(0, np.int64)
    return order, starts, ends


def joined(groups: np.ndarray, values, sep: str = ";", distinct_sorted: bool = False
           ) -> pd.Series:
    """Per group (index ascending), its ``values`` joined by ``sep`` in their given order
    (``distinct_sorted``: the sorted distinct values), as a ``str`` Series."""
    groups = np.asarray(groups)
    order, starts, ends = group_bounds(groups)
    items = pd.Series(values).to_numpy(dtype=object)[order].tolist()
    if distinct_sorted:
        text = [sep.join(sorted(set(items[a:b]))) for a, b in zip(starts.tolist(),
                                                                  ends.tolist())]
    else:
        text = [sep.join(items[a:b]) for a, b in zip(starts.tolist(), ends.tolist())]
    return pd.Series(text, index=groups[order][starts], dtype="str")


__all__ = ["group_bounds", "joined"]
