"""Field comparisons: each candidate pair gets one agreement level per field.

Level -1 means a value is missing on either side; it carries no weight, so a missing value
never counts as disagreement. Higher levels mean closer agreement.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from graphkit.resolve.prepare import Features

MISSING = -1

#: Field → level labels, index = level.
LEVELS: dict[str, tuple[str, ...]] = {
    "name": ("different", "partly similar (aligned Jaro-Winkler ≥ 0.75 or a shared token)",
             "similar (aligned Jaro-Winkler ≥ 0.88)",
             "near-identical (aligned Jaro-Winkler ≥ 0.95)", "same romanized name"),
    "dob": ("different", "same year or two digits off",
            "near (day/month swapped, one digit off or two digits transposed)", "exact"),
    "email": ("different", "same local part", "exact"),
    "phone": ("different", "same last 7 digits", "exact"),
    "national_id": ("different", "one or two characters off", "exact"),
    "address": ("different", "same postcode and house number, or a similar street line",
                "exact"),
    "passport": ("different", "exact"),
}


def name_alignment(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """Order-free name similarity: each token of the shorter name is paired with its most
    similar token of the other (Jaro-Winkler), and the pairings are averaged, so swapped
    given/family names and a typo in each still score high."""
    if len(a) == len(b):  # symmetric: the weaker of the two directions
        return min(_one_way(a, b), _one_way(b, a))
    return _one_way(a, b) if len(a) < len(b) else _one_way(b, a)


def _one_way(short: tuple[str, ...], long_: tuple[str, ...]) -> float:
    return sum(max(JaroWinkler.normalized_similarity(t, u) for u in long_)
               for t in short) / len(short)


def name_alignments(a: list[tuple[str, ...]], b: list[tuple[str, ...]]) -> np.ndarray:
    """:func:`name_alignment` of many pairs at once: every token pair's Jaro-Winkler in one
    vectorised call, then the per-token maxima and means with numpy.

    >>> name_alignments([("kim", "jong", "un")], [("jong", "un", "gim")]).round(3).tolist()
    [0.926]
    """
    len_a = np.fromiter((len(t) for t in a), dtype=np.int64, count=len(a))
    len_b = np.fromiter((len(t) for t in b), dtype=np.int64, count=len(b))
    combos = len_a * len_b
    pair = np.repeat(np.arange(len(a)), combos)
    offset = np.arange(int(combos.sum())) - np.repeat(np.cumsum(combos) - combos, combos)
    i = offset // np.repeat(len_b, combos)
    j = offset % np.repeat(len_b, combos)
    flat_a = [tok for toks in a for tok in toks]
    flat_b = [tok for toks in b for tok in toks]
    start_a = np.repeat(np.cumsum(len_a) - len_a, combos)
    start_b = np.repeat(np.cumsum(len_b) - len_b, combos)
    sims = process.cpdist([flat_a[k] for k in (start_a + i)],
                          [flat_b[k] for k in (start_b + j)],
                          scorer=JaroWinkler.normalized_similarity, workers=-1)
    sims = np.asarray(sims, dtype=np.float64)

    def one_way(row: np.ndarray, n_rows: np.ndarray) -> np.ndarray:
        order = np.lexsort((row, pair))  # group by (pair, token of this side)
        keys = pair[order] * (int(combos.max()) + 1) + row[order]
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        best = np.maximum.reduceat(sims[order], starts)
        return np.bincount(pair[order][starts], weights=best, minlength=len(a)) / n_rows

    a_to_b, b_to_a = one_way(i, len_a), one_way(j, len_b)
    return np.where(len_a == len_b, np.minimum(a_to_b, b_to_a),
                    np.where(len_a < len_b, a_to_b, b_to_a))


def _dob(a: str, b: str) -> int:
    """Level of one pair of dates (the rule :func:`_dob_levels` applies to many)."""
    if not a or not b:
        return MISSING
    if a == b:
        return 3
    if len(a) == len(b) == 10:
        if a[:4] == b[:4] and a[5:7] == b[8:10] and a[8:10] == b[5:7]:
            return 2  # day and month swapped
        edits = DamerauLevenshtein.distance(a, b)
        if edits == 1:
            return 2
        if edits == 2:
            return 1
    return 1 if a[:4] == b[:4] else 0


def _codes(values: list) -> np.ndarray:
    """Integer code per record (-1 for an empty value), equal values sharing a code."""
    codes, _ = pd.factorize(pd.Series(values, dtype=object).replace("", None),
                            use_na_sentinel=True)
    return codes


def _distinct(values: list) -> np.ndarray:
    """The distinct non-empty values, indexed by their :func:`_codes` code."""
    return pd.unique(pd.Series(values, dtype=object).replace("", None).dropna())


def _by_value_pair(codes: np.ndarray, left: np.ndarray, right: np.ndarray,
                   levels: np.ndarray, todo: np.ndarray,
                   decide: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> None:
    """Fill ``levels[todo]`` with ``decide(codes_a, codes_b)``, called once on every
    distinct pair of values (not once per record pair) and vectorised over them."""
    if not todo.any():
        return
    cl, cr = codes[left[todo]], codes[right[todo]]
    lo, hi = np.minimum(cl, cr).astype(np.int64), np.maximum(cl, cr).astype(np.int64)
    width = int(codes.max()) + 1
    unique, inverse = np.unique(lo * width + hi, return_inverse=True)
    decided = decide(unique // width, unique % width)
    levels[todo] = np.asarray(decided, dtype=np.int8)[inverse]


def _field(values: list, left: np.ndarray, right: np.ndarray, top: int,
           partial: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray] | None
           ) -> np.ndarray:
    """Levels of one field: missing, ``top`` when equal, else
    ``partial(distinct_values, codes_a, codes_b)`` (or 0)."""
    codes = _codes(values)
    cl, cr = codes[left], codes[right]
    out = np.zeros(len(left), dtype=np.int8)
    missing = (cl < 0) | (cr < 0)
    equal = (cl == cr) & ~missing
    out[missing] = MISSING
    out[equal] = top
    if partial is not None:
        distinct = _distinct(values)
        _by_value_pair(codes, left, right, out, ~missing & ~equal,
                       lambda a, b: partial(distinct, a, b))
    return out


def _scores(scorer, distinct: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray(process.cpdist(distinct[a], distinct[b], scorer=scorer, workers=-1))


def _dob_levels(distinct: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """:func:`_dob` for many pairs of different, non-empty dates (codes into ``distinct``)."""
    text = pd.Series(distinct, dtype=object)
    year = text.str[:4].to_numpy()
    month = text.str[5:7].to_numpy()
    day = text.str[8:10].to_numpy()
    full = (text.str.len() == 10).to_numpy()
    both = full[a] & full[b]
    same_year = year[a] == year[b]
    swapped = both & same_year & (month[a] == day[b]) & (day[a] == month[b])
    edits = _scores(DamerauLevenshtein.distance, distinct, a, b)
    return np.select([swapped, both & (edits == 1), both & (edits == 2), same_year],
                     [2, 2, 1, 1], 0)


def compare_pairs(features: Features, left: np.ndarray, right: np.ndarray
                  ) -> dict[str, np.ndarray]:
    """Level arrays (int8) per field for the pairs ``(left[k], right[k])``.

    Each distinct pair of values is compared once, however many record pairs share it.
    """
    f = features.frame
    left, right = np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)
    out: dict[str, np.ndarray] = {}
    tokens = f["name_tokens"].tolist()
    key_codes = _codes(f["name_key"].tolist())
    first_tokens = {}
    for i, code in enumerate(key_codes):
        if code >= 0 and code not in first_tokens:
            first_tokens[code] = tokens[i]
    name = np.zeros(len(left), dtype=np.int8)
    kl, kr = key_codes[left], key_codes[right]
    missing = (kl < 0) | (kr < 0)
    name[missing] = MISSING
    name[(kl == kr) & ~missing] = 4

    def name_levels(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        toks_a = [first_tokens[int(code)] for code in a]
        toks_b = [first_tokens[int(code)] for code in b]
        sim = name_alignments(toks_a, toks_b)
        shared = np.fromiter((bool(set(x) & set(y)) for x, y in zip(toks_a, toks_b)),
                             dtype=bool, count=len(toks_a))
        return np.select([sim >= 0.95, sim >= 0.88, (sim >= 0.75) | shared], [3, 2, 1], 0)

    _by_value_pair(key_codes, left, right, name, ~missing & (kl != kr), name_levels)
    out["name"] = name
    out["dob"] = _field(f["dob"].tolist(), left, right, 3, _dob_levels)
    emails = f["email"].tolist()
    out["email"] = _field(emails, left, right, 2, None)
    _same_part(out["email"], [e.split("@")[0] for e in emails], left, right)
    phones = f["phone"].tolist()
    out["phone"] = _field(phones, left, right, 2, None)
    _same_part(out["phone"], [p[-7:] for p in phones], left, right)
    out["national_id"] = _field(f["national_id"].tolist(), left, right, 2,
                                lambda d, a, b: _scores(DamerauLevenshtein.distance, d, a, b) <= 2)
    out["passport"] = _field(f["passport"].tolist(), left, right, 1, None)
    streets = [a.split("|", 1)[0] for a in f["address"].tolist()]
    address = _field(f["address"].tolist(), left, right, 2, None)
    place = _codes([f"{p}|{n}" if p and n else "" for p, n in
                    zip(f["postcode"].tolist(), f["street_number"].tolist())])
    same_place = (place[left] == place[right]) & (place[left] >= 0) & (address == 0)
    address[same_place] = 1
    street_codes = _codes(streets)
    distinct_streets = _distinct(streets)
    _by_value_pair(street_codes, left, right, address,
                   (address == 0) & (street_codes[left] >= 0) & (street_codes[right] >= 0),
                   lambda a, b: _scores(JaroWinkler.normalized_similarity,
                                        distinct_streets, a, b) >= 0.92)
    out["address"] = address
    return {name: out[name] for name in LEVELS}


def _same_part(levels: np.ndarray, parts: list[str], left: np.ndarray,
               right: np.ndarray) -> None:
    """Level 1 where values differ but a part (e-mail local part, last 7 digits) agrees."""
    codes = _codes(parts)
    agree = (levels == 0) & (codes[left] == codes[right]) & (codes[left] >= 0)
    levels[agree] = 1
