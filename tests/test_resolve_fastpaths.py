"""Resolution's fast paths give the answers of the plain computations they replace: codes
read from categoricals, tokens split by Arrow, blocks sorted once, people counted by one
integer key."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from graphkit.resolve.blocking import _pairs_within_blocks, _phonetic_codes, _year_codes
from graphkit.resolve.compare import _joined_codes, _key_token_ids, _token_ids
from graphkit.resolve.model import name_frequencies
from graphkit.resolve.prepare import (
    Features,
    _Coded,
    _emails,
    phonetic,
    prepare,
    value_codes,
    without_empty,
)
from graphkit.text.normalize import normalize_email


def _hashed(values) -> tuple[np.ndarray, np.ndarray]:
    """value_codes as one hash pass computes them (the path the fast ones must match)."""
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    return without_empty(codes.astype(np.int64), np.asarray(distinct, dtype=object))


@pytest.mark.parametrize("values, categories", [
    (["b", "", "b", "a", None, "c"], ["b", "", "a", "c"]),  # first-seen order: read
    (["b", "", "b", "a", None, "c"], ["a", "b", "c", ""]),  # sorted: hashed
    (["b", "b", "a"], ["b", "a", "unused"]),  # a category no record has: hashed
    ([None, None], []),
])
def test_value_codes_of_a_categorical_equal_a_hash_pass(values, categories):
    column = pd.Series(pd.Categorical(values, categories=categories))
    codes, distinct = value_codes(column)
    expected_codes, expected_distinct = _hashed(column)
    assert codes.tolist() == expected_codes.tolist()
    assert distinct.tolist() == expected_distinct.tolist()
    as_objects = value_codes(column.astype(object).fillna(""))
    assert codes.tolist() == as_objects[0].tolist()


def test_prepared_columns_are_read_not_hashed(demo_dir):
    people = pd.read_csv(demo_dir / "people.csv", dtype=str, keep_default_na=False)
    frame = prepare(people).frame
    for column in ("name_key", "dob", "email", "phone", "address", "national_id"):
        codes, distinct = value_codes(frame[column])
        expected_codes, expected_distinct = _hashed(frame[column].astype(object))
        assert codes.tolist() == expected_codes.tolist(), column
        assert distinct.tolist() == expected_distinct.tolist(), column


def test_contacts_normalised_in_arrow_equal_the_normaliser():
    # two chunks (as a concatenation leaves them), values in and out of normal form
    first = pd.Series(["ann@x.org", "A.Nn@GMail.com", "", "bo@y.org", "ann@x.org"])
    second = pd.Series([" Bo@Y.org ", "zoë@ä.de", "a.n.n@googlemail.com", "not an address"])
    values = pd.concat([first, second], ignore_index=True)
    column = _Coded.of_arrow(values).map_all(_emails).column()
    expected = [normalize_email(v) or "" for v in values]
    assert column.astype(object).tolist() == expected
    codes, distinct = _hashed(np.array(expected, dtype=object))
    assert value_codes(column)[0].tolist() == codes.tolist()
    assert value_codes(column)[1].tolist() == distinct.tolist()


def test_name_key_tokens_split_by_arrow_equal_python_split():
    keys = np.array(["jong kim un", "smith", "anne marie o neil", "x y"], dtype=object)
    ids, vocab = _key_token_ids(keys)
    expected_vocab, expected_ids = _token_ids([tuple(k.split()) for k in keys])
    as_tokens = [tuple(vocab[i] for i in row if i >= 0) for row in ids]
    assert as_tokens == [tuple(k.split()) for k in keys]
    assert ids.shape == expected_ids.shape and sorted(vocab) == sorted(expected_vocab)
    # a key that is not single-spaced tokens falls back to splitting name by name
    odd = np.array(["a  b", "c"], dtype=object)
    ids, vocab = _key_token_ids(odd)
    assert [tuple(vocab[i] for i in row if i >= 0) for row in ids] == [("a", "b"), ("c",)]


def test_place_codes_and_values_equal_joined_strings():
    first = (np.array([0, 1, -1, 0, 1, 2]), np.array(["90210", "10001", "73301"], dtype=object))
    second = (np.array([0, 0, 1, 0, -1, 1]), np.array(["12", "7b"], dtype=object))
    codes, values = _joined_codes(first, second)
    joined = [f"{first[1][a]}|{second[1][b]}" if a >= 0 and b >= 0 else ""
              for a, b in zip(first[0], second[0])]
    expected_codes, expected_values = _hashed(np.array(joined, dtype=object))
    assert codes.tolist() == expected_codes.tolist()
    assert values.tolist() == expected_values.tolist()


def _loop_pairs(positions, keys, n: int) -> set[int]:
    pairs = set()
    for key in set(keys.tolist()):
        members = sorted(set(positions[keys == key].tolist()))
        pairs |= {i * n + j for i, j in itertools.combinations(members, 2)}
    return pairs


@pytest.mark.parametrize("shuffle", [False, True])
def test_blocks_of_integer_keys_equal_a_loop(shuffle):
    rng = np.random.default_rng(3)
    positions = np.sort(rng.integers(0, 60, size=200))  # repeats: a record, many keys
    keys = rng.integers(0, 40, size=200) * (1 << 40)  # far apart: no code of its own
    if shuffle:  # out of order: the two-key sort
        order = rng.permutation(len(keys))
        positions, keys = positions[order], keys[order]
    found, _, large = _pairs_within_blocks(positions, keys, max_block=100, n=60)
    assert large == 0
    assert set(found.tolist()) == _loop_pairs(positions, keys, 60)


def test_year_codes_of_a_categorical_equal_those_of_strings():
    dobs = ["1980-01-02", "", "1980-07-09", "1975-01-01", "1975", "19", "1980-01-02"]
    categorical = _year_codes(pd.Series(pd.Categorical(dobs)))
    plain = _year_codes(pd.Series(dobs, dtype=object))
    assert (categorical < 0).tolist() == (plain < 0).tolist() == [
        False, True, False, False, False, False, False]
    same = categorical[:, None] == categorical[None, :]
    assert (same == (plain[:, None] == plain[None, :])).all()


def test_phonetic_codes_equal_metaphone_per_token():
    names = pd.Index(["jon smith", "john smyth", "kim", "ann  lee", "lee ann lee"])
    parent, codes = _phonetic_codes(names)
    keys = sorted({phonetic(t) for n in names for t in n.split(" ") if t})
    expected = sorted((i, keys.index(k)) for i, n in enumerate(names)
                      for k in {phonetic(t) for t in n.split(" ") if t})
    assert list(zip(parent.tolist(), codes.tolist())) == expected


def test_name_frequencies_count_each_person_once():
    frame = prepare(pd.DataFrame({
        "record_id": [f"r{i}" for i in range(7)],
        "first_name": ["ann", "ann", "ann", "bo", "bo", "", "cy"],
        "last_name": ["lee"] * 3 + ["ek", "ek", "", "yu"],
        "dob": ["1990-01-01", "1990-01-01", "1991-02-02", "", "", "1990-01-01", ""],
    }))
    frequency, typical = name_frequencies(Features(frame.frame))
    # people: ann lee ×2 dates, bo ek ×2 (no date: each record its own), cy yu: 5
    assert frequency.tolist() == pytest.approx([2 / 5, 2 / 5, 2 / 5, 2 / 5, 2 / 5, 0, 1 / 5])
    assert typical == pytest.approx((2 ** 2 + 2 ** 2 + 1) / 25)
