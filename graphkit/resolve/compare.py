"""Field comparisons: each candidate pair gets one agreement level per field.

Level -1 means a value is missing on either side; it carries no weight, so a missing value
never counts as disagreement. Higher levels mean closer agreement.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
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
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    return sum(max(JaroWinkler.normalized_similarity(t, u) for u in long_)
               for t in short) / len(short)


def _name(a: tuple[str, ...], b: tuple[str, ...], key_a: str, key_b: str) -> int:
    if not a or not b:
        return MISSING
    if key_a == key_b:
        return 4
    sim = name_alignment(a, b)
    if sim >= 0.95:
        return 3
    if sim >= 0.88:
        return 2
    return 1 if sim >= 0.75 or set(a) & set(b) else 0


def _dob(a: str, b: str) -> int:
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


def _exact_or(partial: Callable[[str, str], bool], top: int) -> Callable[[str, str], int]:
    def compare(a: str, b: str) -> int:
        if not a or not b:
            return MISSING
        if a == b:
            return top
        return 1 if partial(a, b) else 0
    return compare


_COMPARE_STR: dict[str, Callable[[str, str], int]] = {
    "dob": _dob,
    "email": _exact_or(lambda a, b: a.split("@")[0] == b.split("@")[0], 2),
    "phone": _exact_or(lambda a, b: a[-7:] == b[-7:], 2),
    "national_id": _exact_or(lambda a, b: DamerauLevenshtein.distance(a, b) <= 2, 2),
    "passport": _exact_or(lambda a, b: False, 1),
}


def compare_pairs(features: Features, left: np.ndarray, right: np.ndarray
                  ) -> dict[str, np.ndarray]:
    """Level arrays (int8) per field for the pairs ``(left[k], right[k])``."""
    f = features.frame
    out: dict[str, np.ndarray] = {}
    tokens, keys = f["name_tokens"].tolist(), f["name_key"].tolist()
    out["name"] = np.fromiter(
        (_name(tokens[i], tokens[j], keys[i], keys[j]) for i, j in zip(left, right)),
        dtype=np.int8, count=len(left))
    for field_name, compare in _COMPARE_STR.items():
        values = f[field_name].tolist()
        out[field_name] = np.fromiter(
            (compare(values[i], values[j]) for i, j in zip(left, right)),
            dtype=np.int8, count=len(left))
    address, postcode, number = (f[c].tolist() for c in ("address", "postcode",
                                                        "street_number"))

    def _address(i: int, j: int) -> int:
        if not address[i] or not address[j]:
            return MISSING
        if address[i] == address[j]:
            return 2
        if postcode[i] == postcode[j] and number[i] == number[j]:
            return 1
        street_i, street_j = address[i].split("|", 1)[0], address[j].split("|", 1)[0]
        return 1 if JaroWinkler.normalized_similarity(street_i, street_j) >= 0.92 else 0

    out["address"] = np.fromiter((_address(i, j) for i, j in zip(left, right)),
                                 dtype=np.int8, count=len(left))
    return {name: out[name] for name in LEVELS}
