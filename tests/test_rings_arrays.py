"""The array forms of the rings steps give what the pandas group-bys they replace give:
per-group text joins (clusters), sorted distinct sets (detectors; strings ranked in Arrow
must order as Python orders them, accents and other scripts included), and the common
surname test over many groups at once."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from graphkit.rings.detectors import _sorted_sets, _surname_shared, _surnames_shared
from graphkit.rings.grouped import joined
from graphkit.rings.population import Population

TEXT = ["b", "a", "Zoë", "zoe", "Øst", "ost", "李", "a", "É", "e", "", "b;c", "10", "9"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_joined_equals_groupby_join(seed):
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, 5, 60)
    values = rng.choice(TEXT, 60)
    frame = pd.DataFrame({"g": groups, "v": values})
    want = frame.groupby("g")["v"].agg(";".join)
    got = joined(groups, pd.Series(values, dtype="str"))
    assert got.tolist() == want.tolist() and got.index.tolist() == want.index.tolist()
    want = frame.groupby("g")["v"].agg(lambda s: ";".join(sorted(set(s))))
    assert joined(groups, values, distinct_sorted=True).tolist() == want.tolist()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sorted_sets_equal_groupby_sorted_set(seed):
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, 6, 80)
    index = pd.Index(range(8))  # groups 6 and 7 have no values: empty tuples
    text = rng.choice(TEXT, 80)
    want = pd.Series(text).groupby(groups).agg(lambda s: tuple(sorted(set(s))))
    got = _sorted_sets(groups, pa.array(text.tolist(), pa.string()), index)
    assert got == [want.get(g, ()) for g in index]
    numbers = rng.integers(-5, 1_000_000, 80)
    want = pd.Series(numbers).groupby(groups).agg(lambda s: tuple(sorted(set(s))))
    got = _sorted_sets(groups, numbers, index)
    assert got == [want.get(g, ()) for g in index]
    assert all(type(v) is int for t in got for v in t)


def test_surnames_shared_over_groups_equals_one_by_one():
    tokens = [frozenset({"kim", "jisoo"}), frozenset({"kim", "minho"}), frozenset({"lee"}),
              frozenset(), frozenset({"kim", "lee"}), frozenset({"park", "kim"})]
    entities = pd.DataFrame({"entity_id": [10, 11, 12, 13, 14, 15], "tokens": tokens})
    pop = Population(entities, sharing=None, max_share=20)
    groups = [(10, 11), (10, 12), (12, 14), (10, 13), (10, 11, 14, 15), (11, 15), (14,)]
    got = _surnames_shared(pop, groups).tolist()
    assert got == [_surname_shared(pop, g) for g in groups]
    assert got == [True, False, True, False, True, True, True]
