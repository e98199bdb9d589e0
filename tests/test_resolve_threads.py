"""Resolution on threads and on coded feature columns: the same results as one thread and
as the plain per-record definitions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import graphkit
from graphkit.resolve.compare import LEVELS, compare_pairs
from graphkit.resolve.prepare import prepare
from graphkit.resolve.threads import MAX_AUTO_WORKERS, run_each, thread_count
from graphkit.text.normalize import normalize_address


def _people(demo_dir) -> pd.DataFrame:
    return pd.read_csv(demo_dir / "people.csv", dtype=str, keep_default_na=False)


def test_feature_columns_are_coded_by_first_appearance_and_hold_the_plain_values(demo_dir):
    people = _people(demo_dir)
    frame = prepare(people).frame
    plain_address = [normalize_address(*(r[c] for c in ("street", "city", "region",
                                                         "postcode", "country"))) or ""
                     for r in people.to_dict("records")]
    assert frame["address"].tolist() == plain_address
    assert frame["dob"].tolist() == people["dob"].tolist()
    assert frame["street_number"].tolist() == [s.split()[0] if s.split() else ""
                                               for s in people["street"]]
    for column in ("name_key", "dob", "email", "phone", "address", "postcode",
                   "street_number", "national_id", "passport"):
        values = frame[column].tolist()
        assert frame[column].dtype == "category", column
        # each value once, numbered in order of first appearance
        assert list(frame[column].cat.categories) == list(dict.fromkeys(values)), column
        assert frame[column].cat.codes.tolist() == [
            list(dict.fromkeys(values)).index(v) for v in values], column
    assert frame["record_id"].tolist() == people["record_id"].tolist()


def test_threads_give_the_levels_and_the_resolution_of_one_thread(demo_dir):
    people = _people(demo_dir)
    features = prepare(people)
    rng = np.random.default_rng(3)
    left = rng.integers(0, len(people), 130_000)  # three chunks on three threads
    right = rng.integers(0, len(people), 130_000)
    one = compare_pairs(features, left, right, workers=1)
    three = compare_pairs(features, left, right, workers=3)
    for name in LEVELS:
        assert np.array_equal(one[name], three[name]), name
    alone, threaded = graphkit.resolve(people, workers=1), graphkit.resolve(people, workers=2)
    pd.testing.assert_frame_equal(alone.entities, threaded.entities)
    pd.testing.assert_frame_equal(alone.pairs, threaded.pairs)


def test_thread_count_takes_a_given_count_or_the_cores_up_to_the_cap():
    assert thread_count(3) == 3
    assert 1 <= thread_count(0) <= MAX_AUTO_WORKERS


def test_an_error_on_a_thread_reaches_the_caller():
    done = []

    def task(item: int) -> None:
        if item == 2:
            raise ValueError("chunk 2 failed")
        done.append(item)

    with pytest.raises(ValueError, match="chunk 2 failed"):
        run_each(task, range(4), workers=2)
