"""Blocking: candidate record pairs from several keys, adapting to how common a key is.

A pair is compared only when the two records share at least one blocking key: the same
romanized name key, two phonetic name tokens with the same birth year, a phonetic name
token with the same postcode, or with the same street number and postcode characters
(sorted, so that a transposition keeps the key), the same date of birth and phonetic
initial, email, phone, national id or a national id one typing slip away, passport, or
postcode and street number.

A block of at most ``max_block`` records gives all its pairs. A larger block (a common
name, a shared office phone, a busy postcode) is not skipped but refined by sorted
neighbourhoods: its records are sorted by name, by date of birth and by address, and each
record is paired with its ``window`` next neighbours in each order. Either way a record
gets a bounded number of candidates per key. Pairs found by several keys are kept once (a
sort and a mask, not a hash table).

**Corroboration** (``corroborate=True``, the default) keeps those candidates bounded *and
flat* as the records grow. Two records share a name by chance more often the more
records there are: the chance partners a record finds through a name key grow like
``N·u`` (``u`` the share of random pairs with that key) until the block cap, which is
why candidates per record rose 0.6 → 0.9 → 1.9 from 20k to 1M people, almost all of
them pairs found by one name key alone. So each key carries evidence points
(:data:`KEY_POINTS`): an identifier (email, phone, national id, passport, postcode and
street number) 2, a name with context (phonetic token and postcode, or street number
and postcode characters; date of birth and initial) and a national id one slip away 1.
The bare name keys (:data:`NAME_KEYS`: the same name, two of its tokens with the birth
year) make no pairs of their own: they confirm. A pair is kept with
:data:`MIN_POINTS` (2), or with one name-with-context key confirmed by a shared name key,
a similar whole name (Jaro–Winkler ≥ :data:`SIMILAR_NAME`) or a fact that key did not
match (:data:`CORROBORATING_FIELDS`). A chance pair then needs two coincidences, or a
shared contact, whose rates per record do not grow with ``N``.

The street-number and near-id keys win back duplicates whose every field has heavy
errors but the name (Febrl's): a mistyped national id is still one slip away, a
transposed postcode keeps its characters and the street number, and the name (or the
date of birth) then confirms the pair. A token, street number and postcode characters
collide by chance with a share of the records that falls as the postcodes grow. A near
id does grow with ``N``, from a low base: each of a record's ``L`` deletions meets the
deletions at the same or a neighbouring position of ``~N · 3L / 10^(L-1)`` others by
chance (``L`` random digits: 0.04 per record at 100k people, 0.4 at 1M with 9-digit ids),
pairs that then need the date of birth or the name to be kept.

Bound: with ``c = max(max_block - 1, 2 · window · 3)`` the most partners one key gives
a record, candidate pairs per record ≤ ``c · (I + C) / 2``, where ``I`` and ``C`` count
the identifier and name-with-context keys a record has (at most 5 + 4); chance pairs
per record ≤ ``c · (I·h + C·p)``, ``h`` the share of a record's identifier partners that
are other people (shared household or office contacts: a property of the data, not of
``N``) and ``p`` the chance that a name-with-context collision is confirmed (≈ the
chance two records share a date of birth, a street line or a similar name). Measured on
Faker people (``bench/scale_resolve.py``): 0.46–0.47 pairs per record at 20k, 100k, 300k and
1M people (true pairs ~0.33 of it).

**Common blocks** (``chance_partners``, :data:`SPLIT_KEYS`): where names and postcodes
do not grow with the records (short name lists), a name token's block in a postcode
grows like ``N`` and its chance partners, sharing a token, pass the similar-name check.
A name-with-context block that chance alone would fill with ``chance_partners`` records
is split by a second key (the date of birth, its day and month in either order; the
postcode) before any sorted neighbourhood, so such chance partners per record stay
below that number at any ``N``. A record without the second key joins every part of
its block.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from graphkit.intcodes import ascending, sorted_unique
from graphkit.resolve.prepare import Features, phonetic, value_codes
from graphkit.settings import DEFAULT_SETTINGS

#: Blocks up to this many records give all their pairs; larger ones are windowed.
DEFAULT_MAX_BLOCK = DEFAULT_SETTINGS.resolve_max_block
#: Neighbours each record of a large block is paired with, in each sort order.
DEFAULT_WINDOW = DEFAULT_SETTINGS.resolve_window
#: Blocks of name-with-context keys that chance would fill with this many records are
#: split by a second key (:data:`SPLIT_KEYS`).
DEFAULT_CHANCE_PARTNERS = DEFAULT_SETTINGS.resolve_chance_partners


@dataclass
class Blocking:
    """Candidate pairs (``left`` < ``right``, row positions) and what each key produced.

    ``pairs_by_key``: pairs each key produced (before pairs found by several keys are
    merged; corroborating, for a name key: the weak pairs it confirmed);
    ``skipped_blocks``: blocks over ``max_block`` records (windowed, or skipped when no
    sort order is given); ``windowed_blocks``: blocks refined by sorted neighbourhoods;
    ``uncorroborated``: distinct pairs dropped for want of a second, independent key
    (see :data:`KEY_POINTS`); ``split_blocks``: blocks that chance would fill, split by
    a second key (:data:`SPLIT_KEYS`)."""

    left: np.ndarray
    right: np.ndarray
    pairs_by_key: dict[str, int] = field(default_factory=dict)
    skipped_blocks: dict[str, int] = field(default_factory=dict)
    windowed_blocks: dict[str, int] = field(default_factory=dict)
    uncorroborated: int = 0
    split_blocks: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.left)

    def pairs_per_record(self, n_records: int) -> float:
        """Candidate pairs per record (each pair counted once)."""
        return len(self) / max(n_records, 1)


_phonetic = functools.cache(phonetic)


def blocking_keys(features: Features) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each blocking rule's keys: ``(record positions, key codes)``, a record appearing
    once per key it has (none when a value is missing). Keys are integers, built from the
    codes of the values they combine; phonetic name keys are made once per distinct name
    and spread to its records."""
    f = features.frame
    name_codes, distinct_names = pd.factorize(f["name_key"])
    parent, phon = _phonetic_codes(distinct_names)
    singles = (parent, phon)  # per distinct name: its phonetic token codes, ascending
    pairs = _code_pairs(parent, phon)  # per distinct name: its phonetic token pair codes
    year = _year_codes(f["dob"])
    dob = _field_codes(features, "dob")
    postcode = _field_codes(features, "postcode")
    street_number = _value_codes(f["street_number"])
    house = _field_codes(features, "house")
    first = np.full(len(distinct_names) + 1, _WIDE - 1, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, parent[1:] != parent[:-1]]) if len(parent) else \
        np.empty(0, dtype=np.int64)
    first[parent[starts]] = phon[starts]  # the smallest phonetic code of each name
    first = first[name_codes]

    def spread(lists: tuple[np.ndarray, np.ndarray],
               other: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        at, values = _explode(*lists, len(distinct_names), name_codes)
        keep = other[at] >= 0
        return at[keep], values[keep] * (int(other.max()) + 1) + other[at[keep]]

    def present(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        at = np.flatnonzero(codes >= 0)
        return at, codes[at]

    both = (postcode >= 0) & (street_number >= 0)
    return {
        "name": present(_value_codes(f["name_key"])),
        "phonetic_token_pair+birth_year": spread(pairs, year),
        "phonetic_token+postcode": spread(singles, postcode),
        "dob+phonetic_initial": present(np.where(dob >= 0, dob * _WIDE + first, -1)),
        "phonetic_token+street_number+postcode_characters": spread(singles, house),
        "email": present(_value_codes(f["email"])),
        "phone": present(_value_codes(f["phone"])),
        "national_id": present(_value_codes(f["national_id"])),
        "passport": present(_value_codes(f["passport"])),
        "postcode+street_number": present(np.where(
            both, postcode * (int(street_number.max()) + 1) + street_number, -1)),
    }


#: Base of the integer keys combining phonetic codes (one more than any code can be).
_WIDE = 1 << 24


def _arrow_codes(values: pa.Array) -> np.ndarray:
    """A code per string (equal codes for equal strings), -1 where empty; coded by Arrow,
    without a Python string per value."""
    encoded = pc.dictionary_encode(values)
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    empty = np.flatnonzero(np.asarray(pc.equal(encoded.dictionary, ""),
                                      dtype=bool))
    return np.where(np.isin(codes, empty), -1, codes) if len(empty) else codes


def _dob_any_order(dob: str) -> str:
    """A date of birth ``YYYY-MM-DD`` with its month and day in sorted order (a date and
    the same date with day and month swapped give one value); other text as it is."""
    parts = dob.split("-")
    if len(parts) != 3:
        return dob
    return "-".join([parts[0], *sorted(parts[1:])])


def _year_codes(dob: pd.Series) -> np.ndarray:
    """A code per record for the year of its date of birth (its first four characters;
    equal codes for equal years), -1 where empty; of a categorical column, made once per
    category."""
    if isinstance(dob.dtype, pd.CategoricalDtype):
        years = _arrow_codes(pc.utf8_slice_codeunits(_strings(dob.cat.categories), 0, 4))
        return np.r_[years, -1][dob.cat.codes.to_numpy()]  # -1 stays -1
    return _arrow_codes(pc.utf8_slice_codeunits(_strings(dob), 0, 4))


def _value_codes(values: pd.Series) -> np.ndarray:
    """Integer code per record, -1 where the value is empty."""
    return value_codes(values)[0]


def _phonetic_codes(names: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """The distinct phonetic keys of each distinct name as (name index, phonetic code),
    sorted by name index then code; codes follow the sorted phonetic keys, so the
    smaller code is the alphabetically smaller key. Metaphone runs once per distinct
    token."""
    split = pc.split_pattern(pa.array(np.asarray(names, dtype=object), type=pa.string()),
                             " ")
    parent = np.asarray(pc.list_parent_indices(split), dtype=np.int64)
    # the tokens coded by Arrow (no Python string per token), metaphone per distinct one
    encoded = pc.dictionary_encode(pc.list_flatten(split))
    token_codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    distinct_tokens = encoded.dictionary.to_pylist()
    used = np.array([t != "" for t in distinct_tokens], dtype=bool)
    keep = used[token_codes]
    parent, token_codes = parent[keep], token_codes[keep]
    keys = np.array([_phonetic(t) for t, u in zip(distinct_tokens, used.tolist()) if u],
                    dtype=object)
    key_codes = np.full(len(distinct_tokens), -1, dtype=np.int64)
    key_codes[used] = pd.factorize(keys, sort=True)[0]
    codes = unique_codes(parent * _WIDE + key_codes[token_codes])
    return codes // _WIDE, codes % _WIDE


def _code_pairs(parent: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each name's pairs of phonetic codes ``a * _WIDE + b`` (a < b), or
    ``a * _WIDE + _WIDE - 1`` for a name of one phonetic key, as (name index, pair code)
    sorted by name index."""
    if len(parent) == 0:
        return parent, codes
    starts = np.flatnonzero(np.r_[True, parent[1:] != parent[:-1]])
    sizes = np.diff(np.r_[starts, len(parent)])
    out_parent, out_codes = [], []
    for size in np.flatnonzero(np.bincount(sizes)):
        at = starts[sizes == size]
        if size == 1:
            out_parent.append(parent[at])
            out_codes.append(codes[at] * _WIDE + _WIDE - 1)
            continue
        members = codes[at[:, None] + np.arange(size)]  # names × size, ascending
        i, j = np.triu_indices(int(size), 1)
        out_parent.append(np.repeat(parent[at], len(i)))
        out_codes.append((members[:, i] * _WIDE + members[:, j]).ravel())
    out = np.concatenate(out_parent)
    order = np.argsort(out, kind="stable")
    return out[order], np.concatenate(out_codes)[order]


def _explode(parent: np.ndarray, values: np.ndarray, n_lists: int,
             codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each record's list (the ``values`` whose ``parent`` is ``codes[i]``, ``parent``
    sorted) as (record positions, values)."""
    lengths = np.r_[np.bincount(parent, minlength=n_lists), 0].astype(np.int64)
    offsets = np.r_[0, np.cumsum(lengths)]
    flat = values
    per_record = lengths[codes]
    at = np.repeat(np.arange(len(codes)), per_record)
    within = np.arange(len(at)) - np.repeat(np.cumsum(per_record) - per_record, per_record)
    return at, flat[np.repeat(offsets[codes], per_record) + within]


def sort_orders(features: Features, rows: np.ndarray | None = None) -> list[np.ndarray]:
    """Ranks of every record (or of ``rows``, in their order: ranks among them) in the
    orders large blocks are windowed in: by name then date of birth, by date of birth
    then name, and by address then name."""
    f = features.frame
    ranks = {c: _dense_rank(f[c] if rows is None else f[c].iloc[rows])
             for c in ("name_key", "dob", "address")}
    orders = []
    for columns in (("name_key", "dob"), ("dob", "name_key"), ("address", "name_key")):
        order = np.lexsort(tuple(ranks[c] for c in reversed(columns)))
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        orders.append(rank)
    return orders


def _strings(values) -> pa.Array:
    """A column of strings as an Arrow array."""
    return pa.array(np.asarray(values, dtype=object), type=pa.string())


def _dense_rank(values: pd.Series) -> np.ndarray:
    """Rank of every string in sorted order (equal strings share a rank), sorted by Arrow
    rather than by Python string comparisons."""
    array = pa.array(values.to_numpy(dtype=object), type=pa.string())
    return np.asarray(pc.rank(array, sort_keys="ascending", tiebreaker="dense"),
                      dtype=np.int64)


def _pairs_within_blocks(positions: np.ndarray, keys: np.ndarray, max_block: int,
                         n: int, orders: list[np.ndarray] | Callable | None = None,
                         window: int = DEFAULT_WINDOW) -> tuple[np.ndarray, int, int]:
    """Pair codes ``i * n + j`` (i < j) of records sharing a key, without a Python loop
    over blocks: blocks are grouped by size, and each size's blocks become one matrix.
    Blocks over ``max_block`` records are windowed in each of ``orders`` (ranks per
    record, or a function giving the ranks of the records it is passed, called only for
    the records of large blocks), or skipped when no order is given. Returns the codes
    (unsorted, possibly repeated across orders), how many were produced and how many
    blocks were over the cap."""
    # integer keys group the records themselves (sorted, not hashed: only equality counts)
    keys = np.asarray(keys)
    codes = keys.astype(np.int64, copy=False) if keys.dtype.kind in "iu" else \
        pd.factorize(keys)[0].astype(np.int64)
    positions = np.asarray(positions, dtype=np.int64)
    if len(positions) and ascending(positions):
        order = np.argsort(codes, kind="stable")  # positions already in order
    else:
        order = np.lexsort((positions, codes))
    codes, positions = codes[order], positions[order]
    # one record may carry a key twice (exploded lists): keep one
    first = np.ones(len(codes), dtype=bool)
    first[1:] = (codes[1:] != codes[:-1]) | (positions[1:] != positions[:-1])
    codes, positions = codes[first], positions[first]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else \
        np.empty(0, dtype=np.int64)
    sizes = np.diff(np.r_[starts, len(codes)])
    large = sizes > max_block
    out = []
    for size in np.flatnonzero(np.bincount(sizes[(sizes >= 2) & ~large])):
        block_starts = starts[sizes == size]
        members = positions[block_starts[:, None] + np.arange(size)]  # blocks × size
        i, j = np.triu_indices(int(size), 1)
        out.append((members[:, i] * n + members[:, j]).ravel())
    if orders is not None and large.any():
        in_large = np.repeat(large, sizes)
        at = positions[in_large]
        ranks = orders(at) if callable(orders) else [rank[at] for rank in orders]
        out.extend(_windowed(codes[in_large], at, ranks, window, n))
    found = np.concatenate(out) if out else np.empty(0, dtype=np.int64)
    return found, len(found), int(large.sum())


def _windowed(codes: np.ndarray, positions: np.ndarray, ranks: list[np.ndarray],
              window: int, n: int) -> list[np.ndarray]:
    """Sorted-neighbourhood pairs inside blocks: in each order (``ranks`` aligned with
    ``positions``), every record with each of its ``window`` successors in the same
    block."""
    out = []
    for rank in ranks:
        order = np.lexsort((rank, codes))
        block, member = codes[order], positions[order]
        for step in range(1, window + 1):
            same = block[step:] == block[:-step]
            a, b = member[:-step][same], member[step:][same]
            out.append(np.minimum(a, b) * n + np.maximum(a, b))
    return out


def unique_codes(codes: np.ndarray) -> np.ndarray:
    """Sorted distinct values of an int64 array, by a sort and a mask (numpy's
    ``np.unique`` takes a hash-table path that is far slower on tens of millions)."""
    codes = np.sort(codes, kind="stable")
    if len(codes) == 0:
        return codes
    return codes[np.r_[True, codes[1:] != codes[:-1]]]


#: Evidence points of each blocking key (see the module docstring): a pair is kept when
#: the keys it shares are worth :data:`MIN_POINTS`; the name keys count once together.
KEY_POINTS: dict[str, int] = {
    "name": 1, "phonetic_token_pair+birth_year": 1,
    "phonetic_token+postcode": 1, "dob+phonetic_initial": 1,
    "phonetic_token+street_number+postcode_characters": 1, "national_id_near": 1,
    "email": 2, "phone": 2, "national_id": 2, "passport": 2, "postcode+street_number": 2,
}
#: Keys of values one typing slip apart, and the feature column each is made from (see
#: :func:`_near_pairs`).
NEAR_KEYS: dict[str, str] = {"national_id_near": "national_id"}
#: Keys that count once together: they all say "the same name" (with the birth year).
NAME_KEYS = ("name", "phonetic_token_pair+birth_year")
#: Name-with-context keys that adapt to how common their values are: ``(context,
#: scale, second)``, the key being ``name part + context code * scale``. A block that
#: chance alone would fill with ``chance_partners`` records or more (how many records
#: hold its name part times how many hold its context, over the key's records: a common
#: name token in a busy postcode, a common birth date and initial) is split by the
#: ``second`` key, a fact the key did not match and that corroborates its pairs (see
#: :func:`block`), before any sorted neighbourhood. Its chance namesakes, which grow
#: with the records, then need that fact too; a block of duplicates of one person (few
#: records, rare among the others) stays whole.
SPLIT_KEYS: dict[str, tuple[str, int, str]] = {
    "phonetic_token+postcode": ("postcode", 1, "dob_any_order"),
    "phonetic_token+street_number+postcode_characters": ("house", 1, "dob_any_order"),
    "dob+phonetic_initial": ("dob", _WIDE, "postcode"),
}
#: Points a candidate pair needs when blocking corroborates.
MIN_POINTS = 2
#: Jaro–Winkler similarity of two whole name keys that corroborates a weak pair.
SIMILAR_NAME = 0.9
#: Besides a shared name key or a similar name, the facts that corroborate a pair found
#: by one name-with-context key alone: each is independent of what that key matched.
CORROBORATING_FIELDS: dict[str, tuple[str, ...]] = {
    "phonetic_token+postcode": ("dob", "street"),
    "dob+phonetic_initial": ("postcode", "street"),
    "phonetic_token+street_number+postcode_characters": ("dob",),
    "national_id_near": ("dob",),
}


def _field_codes(features: Features, column: str) -> np.ndarray:
    """Integer code per record of a feature column (``street``: the address's street
    line; ``postcode_characters``: the postcode's characters sorted, so that a
    transposition keeps the code), -1 where empty; made once per feature set."""
    cache = features.cache.setdefault("blocking", {})
    if column not in cache:
        if column == "postcode_characters":  # sorted, once per distinct postcode
            codes, distinct = value_codes(features.frame["postcode"])
            anagrams = _value_codes(pd.Series(["".join(sorted(v)) for v in distinct.tolist()],
                                              dtype=object))
            cache[column] = np.r_[anagrams, -1][codes]  # -1 stays -1
        elif column == "dob_any_order":  # day and month swapped: the same code
            codes, distinct = value_codes(features.frame["dob"])
            unordered = _value_codes(pd.Series([_dob_any_order(v) for v in distinct.tolist()],
                                               dtype=object))
            cache[column] = np.r_[unordered, -1][codes]  # -1 stays -1
        elif column == "house":  # street number and postcode characters
            cache[column] = _joined(_value_codes(features.frame["street_number"]),
                                    _field_codes(features, "postcode_characters"))
        elif column == "street":  # split once per distinct address
            codes, distinct = value_codes(features.frame["address"])
            lines = pc.list_element(pc.split_pattern(_strings(distinct), "|", max_splits=1), 0)
            cache[column] = np.r_[_arrow_codes(lines), -1][codes]  # -1 stays -1
        else:
            cache[column] = _value_codes(features.frame[column])
    return cache[column]


def block(features: Features, max_block: int = DEFAULT_MAX_BLOCK,
          window: int = DEFAULT_WINDOW, corroborate: bool = True,
          chance_partners: float | None = DEFAULT_CHANCE_PARTNERS) -> Blocking:
    """Candidate pairs from every blocking key, each pair once; with ``corroborate``,
    only pairs whose shared keys are worth :data:`MIN_POINTS` (see the module
    docstring). Corroborating, the name keys make no pairs of their own: a pair that the
    other keys found with too few points is kept when its records share a name key. The
    sort orders are made only for the records of blocks over ``max_block``."""
    if chance_partners is not None and not chance_partners >= 0:
        raise ValueError(f"resolve_chance_partners: expected 0 (never split) or a positive "
                         f"number of records, got {chance_partners!r}")
    n = len(features)
    orders = functools.partial(sort_orders, features) if window > 0 else None
    codes: list[np.ndarray] = []
    by_key: dict[str, int] = {}
    skipped: dict[str, int] = {}
    windowed: dict[str, int] = {}
    split: dict[str, int] = {}
    keys = blocking_keys(features)
    makers = [k for k in keys if not (corroborate and k in NAME_KEYS)] + list(NEAR_KEYS)
    for bit, name in enumerate(makers):
        if name in NEAR_KEYS:  # made step by step (a record has a key per character)
            found, large = _near_pairs(features, NEAR_KEYS[name], max_block, n, orders,
                                       window)
            by_key[name] = len(found)
        else:
            positions, key_codes = keys[name]
            if corroborate and name in SPLIT_KEYS and chance_partners:
                context, scale, second = SPLIT_KEYS[name]
                positions, key_codes, split[name] = split_common_blocks(
                    positions, key_codes, _field_codes(features, context), scale,
                    _field_codes(features, second), chance_partners, max_block)
            found, by_key[name], large = _pairs_within_blocks(
                positions, key_codes, max_block, n, orders, window)
            found = unique_codes(found)
        (windowed if orders else skipped)[name] = large
        # deduped per key (keeps the concatenation small), the key's bit in the low bits
        codes.append(found * _KEY_SLOTS + bit)
    tagged = np.sort(np.concatenate(codes)) if codes else np.empty(0, dtype=np.int64)
    if len(tagged) == 0:
        return Blocking(tagged, tagged.copy(), by_key, skipped, windowed, split_blocks=split)
    pair = tagged // _KEY_SLOTS
    starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    unique = pair[starts]
    if not corroborate:
        return Blocking(unique // n, unique % n, by_key, skipped, windowed)
    shared = np.bitwise_or.reduceat(np.left_shift(1, tagged % _KEY_SLOTS), starts)
    points = _points_table(makers)[shared]
    weak = np.flatnonzero(points < MIN_POINTS)
    left, right = unique[weak] // n, unique[weak] % n
    named = np.zeros(len(weak), dtype=bool)
    for name in NAME_KEYS:
        share = _share_a_key(*keys[name], n, left, right)
        by_key[name] = int(share.sum())
        named |= share
    # a weak pair's one key, and the facts that key did not match
    bit = np.log2(shared[weak]).astype(np.int64)
    for key, fields in CORROBORATING_FIELDS.items():
        if key not in makers:
            continue
        of_key = bit == makers.index(key)
        for column in fields:
            codes = _field_codes(features, column)
            cl, cr = codes[left[of_key]], codes[right[of_key]]
            named[np.flatnonzero(of_key)[(cl >= 0) & (cl == cr)]] = True
    # or a similar whole name (a typo the phonetic keys did not absorb)
    ask = np.flatnonzero(~named & np.isin(bit, [makers.index(k) for k in
                                                CORROBORATING_FIELDS if k in makers]))
    if len(ask):
        name_key = features.frame["name_key"].to_numpy(dtype=object)
        similar = np.asarray(process.cpdist(
            name_key[left[ask]], name_key[right[ask]],
            scorer=JaroWinkler.normalized_similarity, workers=1)) >= SIMILAR_NAME
        named[ask[similar]] = True
    keep = points >= MIN_POINTS
    keep[weak[named]] = True
    unique = unique[keep]
    return Blocking(unique // n, unique % n, by_key, skipped, windowed,
                    int(len(keep) - keep.sum()), split)


def split_common_blocks(positions: np.ndarray, codes: np.ndarray, context: np.ndarray,
                        scale: int, second: np.ndarray, chance_partners: float,
                        max_block: int = DEFAULT_MAX_BLOCK
                        ) -> tuple[np.ndarray, np.ndarray, int]:
    """Keys ``codes`` (of records ``positions``; a key is ``name part + context[record]
    * scale``) with every block of at least two records that chance would fill with
    ``chance_partners`` records or more split by a ``second`` key: its records re-keyed
    by (key, ``second`` code of the record). A record whose ``second`` is missing (-1)
    cannot be placed by it, so it joins every part of its block (it meets each record it
    met before the split). Chance fills a block with ``count(name part) *
    count(context) / len(codes)`` records (counted over the key's records): how many
    hold its name token times the share of records in its postcode; a name part held by
    at most ``max_block`` records (a rare name, duplicates of one person) never makes a
    block common. Returns the records' positions and new keys (a record missing its
    ``second`` key repeated once per part of its block; records share a block after the
    split exactly when their keys are equal) and the number of blocks split."""
    if len(codes) == 0:
        return positions, codes, 0
    ctx = context[positions]
    block_of, sizes = _dense_groups(codes)
    name_of, name_counts = _dense_groups(codes - ctx * scale)
    ctx_of, ctx_counts = _dense_groups(ctx)
    held = name_counts[name_of]
    expected = held * ctx_counts[ctx_of] / len(codes)
    common = (expected >= chance_partners) & (held > max_block) & (sizes[block_of] >= 2)
    radix = int(second.max()) + 2 if len(second) else 1
    value = second[positions]
    part = np.where(common, value + 1, 0)  # 0: a whole block (or the value is missing)
    split = np.count_nonzero(np.bincount(block_of[common], minlength=len(sizes)))
    keys = block_of * radix + part
    missing = common & (value < 0)
    if not missing.any():
        return positions, keys, int(split)
    # each record missing the second key joins every part of its block that has records
    parts = sorted_unique(keys[common & (value >= 0)])  # by block, then part
    part_block = parts // radix
    lo = np.searchsorted(part_block, block_of[missing], "left")
    hi = np.searchsorted(part_block, block_of[missing], "right")
    many = hi - lo
    alone = many == 0  # no part with a value: the block's missing ones stay together
    many[alone] = 1
    first = np.repeat(lo - np.r_[0, np.cumsum(many)[:-1]], many) + np.arange(many.sum())
    joined = np.where(np.repeat(alone, many), np.repeat(keys[missing], many),
                      parts[np.minimum(first, len(parts) - 1)] if len(parts) else 0)
    keep = ~missing
    return (np.concatenate([positions[keep], np.repeat(positions[missing], many)]),
            np.concatenate([keys[keep], joined]), int(split))


def _dense_groups(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A dense group number per value (equal values, equal numbers; by a sort) and the
    size of every group."""
    order = np.argsort(codes, kind="stable")
    ordered = codes[order]
    group = np.empty(len(codes), dtype=np.int64)
    group[order] = np.cumsum(np.r_[True, ordered[1:] != ordered[:-1]]) - 1
    return group, np.bincount(group)


def _joined(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A dense code per distinct pair of codes ``(a[i], b[i])``, -1 where either is -1."""
    both = (a >= 0) & (b >= 0)
    out = np.full(len(a), -1, dtype=np.int64)
    if both.any():
        out[both] = pd.factorize(a[both] * (int(b.max()) + 1) + b[both])[0]
    return out


def _near_pairs(features: Features, column: str, max_block: int, n: int,
                orders, window: int) -> tuple[np.ndarray, int]:
    """Sorted distinct pair codes of records whose values are one typing slip apart or
    equal: records that share the value with one character deleted, at position ``at``
    on one side and ``at`` or ``at + 1`` on the other (one character substituted, two
    neighbouring characters swapped, or a character dropped at one place and another
    added next to it: ``x a c y`` meets ``x c b y``); each pair of positions is a step,
    its blocks as :func:`_pairs_within_blocks`. Returns the codes and the number of blocks over
    ``max_block`` (counted in every step).

    A value no other value meets in any step (:func:`_linked_values`; most of them) has,
    in every step, a block of its own records: their pairs are made once. The others
    are made step by step (a record has a key per character, so never all at once)."""
    codes, distinct = value_codes(features.frame[column])
    if len(distinct) == 0:
        return np.empty(0, dtype=np.int64), 0
    distinct = np.asarray(distinct, dtype=object)
    length = np.asarray(pc.utf8_length(_strings(distinct)), dtype=np.int64)
    numerals = _Numerals.of(distinct, length)
    linked = _linked_values(numerals, length) if numerals else \
        np.ones(len(distinct), dtype=bool)
    held = np.bincount(codes[codes >= 0], minlength=len(distinct))
    found, large = [], 0
    alone = np.r_[~linked & (held > 1), False][codes]  # -1 takes the False
    if alone.any():  # the same block in each of the value's steps
        rows = np.flatnonzero(alone)
        pairs, _, _ = _pairs_within_blocks(rows, codes[rows], max_block, n, orders, window)
        found.append(unique_codes(pairs))
        over = np.flatnonzero(~linked & (held > max_block))
        large += _blocks_per_value(numerals.subset(over)) if len(over) else 0
    if linked.any():
        kept = np.flatnonzero(linked)
        renumber = np.full(len(distinct) + 1, -1, dtype=np.int64)  # -1 stays -1
        renumber[kept] = np.arange(len(kept))
        pairs, over = _near_steps(renumber[codes], distinct[kept], length[kept],
                                  numerals.subset(kept) if numerals else None,
                                  max_block, n, orders, window)
        found.append(pairs)
        large += over
    if not found:
        return np.empty(0, dtype=np.int64), 0
    return unique_codes(np.concatenate(found)), large


def _near_steps(codes: np.ndarray, distinct: np.ndarray, length: np.ndarray,
                numerals: _Numerals | None, max_block: int, n: int, orders,
                window: int) -> tuple[np.ndarray, int]:
    """:func:`_near_pairs` step by step for the records of value ``codes`` (-1: none):
    sorted distinct pair codes and blocks over ``max_block``."""
    record_length = np.where(codes >= 0, np.r_[length, 0][codes], 0)
    found, large = [], 0
    longest = int(length.max())
    for at in range(longest):
        steps = [at, at + 1] if at + 1 < longest else [at]
        per_step = [numerals.deleted(step) for step in steps] if numerals else \
            _deleted_strings(distinct, length, steps)
        positions, keys = [], []
        for k, step in enumerate(steps):
            rows = np.flatnonzero(record_length > step)
            positions.append(rows)
            keys.append(per_step[k][codes[rows]])
        positions, keys = np.concatenate(positions), np.concatenate(keys)
        shared = pd.Series(keys).duplicated(keep=False).to_numpy()  # a key held once
        pairs, _, over = _pairs_within_blocks(positions[shared], keys[shared], max_block, n,
                                              orders, window)
        found.append(unique_codes(pairs))
        large += over
    return unique_codes(np.concatenate(found)), large


def _blocks_per_value(numerals: _Numerals) -> int:
    """Blocks the values make over all steps of :func:`_near_pairs` alone: one per
    position, and one more for the next position unless both deletions are the same
    (a doubled character)."""
    blocks = 0
    for at in range(int(numerals.length.max())):
        here, there = numerals.deleted(at), numerals.deleted(at + 1)
        blocks += int((here >= 0).sum() + ((there >= 0) & (there != here)).sum())
    return blocks


def _deleted_strings(distinct: np.ndarray, length: np.ndarray,
                     steps: list[int]) -> list[np.ndarray]:
    """Per step, a code per value for the value with its character ``step`` deleted (-1
    where too short), equal exactly when the strings are, across ``steps``; by Arrow."""
    text = _strings(distinct)
    made = [pc.binary_join_element_wise(pc.utf8_slice_codeunits(text, 0, at),
                                        pc.utf8_slice_codeunits(text, at + 1), "")
            for at in steps]
    codes = np.asarray(pa.chunked_array(made).combine_chunks().dictionary_encode().indices,
                       dtype=np.int64)
    return [np.where(length > at, codes[k * len(text):(k + 1) * len(text)], -1)
            for k, at in enumerate(steps)]


@dataclass
class _Numerals:
    """Values read as numerals of base (characters used + 1; every digit is at least 1,
    so a numeral is one string): ``prefix[i, k]`` the numeral of value ``i``'s first
    ``k`` characters. A value with a character deleted is then integer arithmetic."""

    prefix: np.ndarray
    length: np.ndarray
    base: int

    @classmethod
    def of(cls, distinct: np.ndarray, length: np.ndarray) -> _Numerals | None:
        """The values' numerals, or None when the longest does not fit in 62 bits."""
        width = int(length.max())
        chars = np.asarray(distinct, dtype=f"U{width}").view(np.uint32).reshape(-1, width)
        valid = np.arange(width) < length[:, None]
        alphabet = np.unique(chars[valid])
        base = len(alphabet) + 1
        if width * np.log2(base) >= 62:
            return None
        digit = np.zeros(int(alphabet.max()) + 1, dtype=np.int64)
        digit[alphabet] = np.arange(1, base)
        digits = np.where(valid, digit[np.minimum(chars, len(digit) - 1)], 0)
        prefix = np.zeros((len(distinct), width + 1), dtype=np.int64)
        for k in range(width):
            prefix[:, k + 1] = prefix[:, k] * base + digits[:, k]
        return cls(prefix, length, base)

    def subset(self, rows: np.ndarray) -> _Numerals:
        """The numerals of values ``rows``."""
        return _Numerals(self.prefix[rows], self.length[rows], self.base)

    def deleted(self, at: int) -> np.ndarray:
        """Each value's numeral with its character ``at`` deleted (-1 where too short)."""
        out = np.full(len(self.length), -1, dtype=np.int64)
        has = np.flatnonzero(self.length > at)
        if len(has) == 0:
            return out
        after = self.base ** (self.length[has] - at - 1)  # characters after ``at``
        whole = self.prefix[has, self.length[has]]
        out[has] = self.prefix[has, at] * after + whole - self.prefix[has, at + 1] * after
        return out


def _linked_values(numerals: _Numerals, length: np.ndarray) -> np.ndarray:
    """Per distinct value, whether another value has one of its deletions at the same
    or a neighbouring position (so may share a block with it in some step of
    :func:`_near_pairs`). All deletions are sorted once by (numeral, position): two
    values meeting in a step are then neighbours in that order, or linked through
    neighbours, with the same numeral, positions at most one apart and different
    values; both values of every such neighbour pair are marked. Numerals are folded
    to fit beside the position and the value: a collision only links values more."""
    width = int(length.max())
    owner_bits = max(int(len(length) - 1).bit_length(), 1)
    position_bits = max(int(width - 1).bit_length(), 1)
    hash_bits = 63 - owner_bits - position_bits
    if hash_bits < 24:
        return np.ones(len(length), dtype=bool)
    # (numeral folded to ``hash_bits``, position, value) in one int64, sorted once
    packed = []
    for at in range(width):
        deleted = numerals.deleted(at)
        has = np.flatnonzero(deleted >= 0)
        packed.append((((deleted[has] % ((1 << hash_bits) - 1)) << position_bits | at)
                       << owner_bits) | has)
    packed = np.sort(np.concatenate(packed))
    owners = packed & ((1 << owner_bits) - 1)
    packed >>= owner_bits  # (folded numeral, position)
    meet = ((packed[1:] >> position_bits == packed[:-1] >> position_bits)
            & (packed[1:] - packed[:-1] <= 1) & (owners[1:] != owners[:-1]))
    linked = np.zeros(len(length), dtype=bool)
    linked[owners[1:][meet]] = True
    linked[owners[:-1][meet]] = True
    return linked


def _share_a_key(positions: np.ndarray, codes: np.ndarray, n: int, left: np.ndarray,
                 right: np.ndarray) -> np.ndarray:
    """Whether records ``left[k]`` and ``right[k]`` share any key (``codes[i]`` is a key
    of record ``positions[i]``; a record may have several)."""
    if len(left) == 0 or len(codes) == 0:
        return np.zeros(len(left), dtype=bool)
    order = np.argsort(positions, kind="stable")
    small = pd.factorize(codes[order])[0].astype(np.int64)
    counts = np.bincount(positions, minlength=n)
    offsets = np.r_[0, np.cumsum(counts)]
    radix = int(small.max()) + 1

    def keyed(side: np.ndarray) -> np.ndarray:
        per = counts[side]
        k = np.repeat(np.arange(len(side), dtype=np.int64), per)
        within = np.arange(len(k)) - np.repeat(np.cumsum(per) - per, per)
        return unique_codes(k * radix + small[np.repeat(offsets[side], per) + within])

    both = np.sort(np.concatenate([keyed(left), keyed(right)]))
    out = np.zeros(len(left), dtype=bool)
    out[both[1:][both[1:] == both[:-1]] // radix] = True
    return out


#: Room for the key's number in the low bits of a tagged pair code.
_KEY_SLOTS = 16


def _points_table(names: list[str]) -> np.ndarray:
    """Evidence points of every set of shared keys (a bit mask over ``names``)."""
    masks = np.arange(1 << len(names))
    points = np.zeros(len(masks), dtype=np.int64)
    any_name = np.zeros(len(masks), dtype=bool)
    for bit, name in enumerate(names):
        has = (masks >> bit) & 1 == 1
        if name in NAME_KEYS:
            any_name |= has
        else:
            points += has * KEY_POINTS.get(name, 2)
    return points + any_name


def pair_completeness(blocking: Blocking, true_pairs: set[tuple[int, int]]) -> float:
    """Share of true pairs (row positions, smaller first) that survive blocking."""
    if not true_pairs:
        return 1.0
    kept = set(zip(blocking.left.tolist(), blocking.right.tolist()))
    return len(true_pairs & kept) / len(true_pairs)
