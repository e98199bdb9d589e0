"""One column operation the stages share: a function of every value, computed once per
distinct value (a column of a million rows often holds a few thousand distinct values)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd


def map_distinct(values: pd.Series, func: Callable[[object], object]) -> pd.Series:
    """``values.map(func)`` with ``func`` called once per distinct value; missing values
    give ``None``. An object column with the index of ``values``."""
    codes, uniques = pd.factorize(values)
    mapped = np.empty(len(uniques) + 1, dtype=object)  # the last slot: missing values
    mapped[:-1] = [func(u) for u in uniques.tolist()]
    return pd.Series(mapped[codes], index=values.index, dtype=object)


__all__ = ["map_distinct"]
