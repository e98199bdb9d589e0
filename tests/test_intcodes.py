"""Sort-based codes of int64 keys give what pandas' hash-based calls give."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from graphkit import intcodes
from graphkit.intcodes import first_seen_codes, repeated

keys = st.lists(st.integers(min_value=-(2**62), max_value=2**62), max_size=200).map(
    lambda values: np.array(values, dtype=np.int64))
few_keys = st.lists(st.integers(min_value=-3, max_value=5), max_size=200).map(
    lambda values: np.array(values, dtype=np.int64))


@given(st.one_of(keys, few_keys))
def test_first_seen_codes_are_factorize_codes(values):
    codes, first = first_seen_codes(values)
    expected, uniques = pd.factorize(values)
    assert codes.tolist() == expected.tolist()
    assert first.tolist() == np.unique(expected, return_index=True)[1].tolist()
    assert values[first].tolist() == list(uniques)


@given(st.one_of(keys, few_keys))
def test_repeated_is_duplicated(values):
    assert repeated(values).tolist() == pd.Series(values).duplicated().tolist()


def test_codes_of_a_known_column():
    codes, first = first_seen_codes(np.array([30, 10, 30, 20, 10, 30]))
    assert codes.tolist() == [0, 1, 0, 2, 1, 0]
    assert first.tolist() == [0, 1, 3]
    assert repeated(np.array([30, 10, 30, 20, 10])).tolist() == [False, False, True, False,
                                                                  True]
    empty_codes, empty_first = first_seen_codes(np.zeros(0, dtype=np.int64))
    assert len(empty_codes) == len(empty_first) == 0
    assert len(repeated(np.zeros(0, dtype=np.int64))) == 0


def test_sorted_positions_are_the_positions_of_an_index_lookup():
    rng = np.random.default_rng(11)
    keys = np.unique(rng.integers(0, 1_000, 300))
    wanted = rng.integers(-5, 1_005, 2_000)
    assert intcodes.sorted_positions(keys, wanted).tolist() == \
        pd.Index(keys).get_indexer(wanted).tolist()
    assert intcodes.sorted_positions(np.zeros(0, np.int64), wanted[:3]).tolist() == [-1] * 3


@given(st.one_of(keys, few_keys), st.integers(min_value=1, max_value=9))
def test_ascending_is_a_whole_comparison_at_any_step(values, step):
    """Checked a few neighbours at a time, the answer is the whole array's, also where
    the only decrease lies across two slices; sorted arrays ascend."""
    whole = bool(np.all(values[1:] >= values[:-1]))
    assert intcodes.ascending(values, step) == whole
    assert intcodes.ascending(np.sort(values), step)


def test_ascending_of_edge_cases_and_other_types():
    """Empty and one-value arrays ascend; ties ascend; a decrease at a slice's border is
    seen; strings compare as Python's; NaN never ascends; int32 positions are read as
    they are; incomparable objects raise ``TypeError``, a step below 1 ``ValueError``."""
    assert intcodes.ascending(np.zeros(0, np.int64)) and intcodes.ascending(np.array([3]))
    assert intcodes.ascending(np.array([1, 1, 2, 2], dtype=np.int32), step=1)
    for step in (1, 2, 3, 4):
        assert not intcodes.ascending(np.array([0, 1, 2, 1, 5]), step)
    assert intcodes.ascending(np.array(["a", "ab", "b"], dtype=object))
    assert not intcodes.ascending(np.array(["b", "a"], dtype=object))
    assert not intcodes.ascending(np.array([1.0, np.nan, 2.0]))
    with pytest.raises(TypeError):
        intcodes.ascending(np.array(["a", None], dtype=object))
    for step in (0, -1):  # a step that would check nothing is refused
        with pytest.raises(ValueError, match="step"):
            intcodes.ascending(np.array([2, 1]), step)
