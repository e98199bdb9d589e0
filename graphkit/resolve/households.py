"""Household-aware resolution: people who share a home are not one person.

Spouses, parents and children, and roommates share an address, a phone, an email, an
account and a home network. None of that is evidence that two records are one person
when their given names differ (and are not variants or nicknames of each other) or their
dates of birth clearly conflict (years apart, or different with different national ids):
such pairs are never merged and kept out of the review
band (:func:`different_people`). Those of them that share the home address are members of
one household (:func:`household_pairs`, ``SAME_HOUSEHOLD`` in the graph); a phone or an
email shared by people of different homes is left for the ring detectors to judge.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
from rapidfuzz.distance import JaroWinkler

from graphkit.resolve.prepare import Features

#: Leftover name tokens at least this similar (Jaro-Winkler) are variants of one name.
VARIANT_SIMILARITY = 0.85


def given_names_differ(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two names (romanized tokens: nicknames and romanization variants already
    folded) differ beyond their shared tokens: some token left over on the shorter side
    has no similar token left over on the other.

    >>> given_names_differ(("linda", "miller"), ("adam", "miller"))
    True
    >>> given_names_differ(("linda", "miller"), ("linda", "millee"))
    False
    >>> given_names_differ(("jon", "smith"), ("john", "smith"))
    False
    >>> given_names_differ(("ri", "ri"), ("hyun", "u", "ri"))  # Li Lee, Hyunwoo Lee
    True
    """
    left = list((Counter(a) - Counter(b)).elements())
    right = list((Counter(b) - Counter(a)).elements())
    if not left or not right:
        return False
    short, long_ = (left, right) if len(left) <= len(right) else (right, left)
    return any(max(JaroWinkler.normalized_similarity(t, u) for u in long_)
               < VARIANT_SIMILARITY for t in short)


def different_people(features: Features, left: np.ndarray, right: np.ndarray,
                     levels: dict[str, np.ndarray]) -> np.ndarray:
    """Mask of candidate pairs that share a household identifier (exact address, phone or
    email) and are different people: given names differ, or dates of birth are years
    apart (and not a near typo), or dates of birth differ and national ids differ too.

    Given names that differ do not make two people when the pair agrees exactly on two
    personal identifiers (:func:`same_person_identifiers`): a record keyed with an
    initial, an OCR slip or swapped name fields is still its person. Nor do dates of
    birth that differ when the pair has one national id or passport and similar names."""
    shares = (levels["address"] == 2) | (levels["phone"] == 2) | (levels["email"] == 2)
    out = np.zeros(len(left), dtype=bool)
    if not shares.any():
        return out
    dob = levels["dob"]
    years = _birth_years(features.frame["dob"])
    yl, yr = years[left], years[right]
    apart = (yl >= 0) & (yr >= 0) & (np.abs(yl - yr) >= 2)
    conflict = ((dob == 0) | (dob == 1)) & apart
    conflict |= (dob >= 0) & (dob < 3) & (levels["national_id"] == 0)
    # one national id or passport and one name: a person whose date of birth was
    # mistyped, not two people of one home (they hold different documents)
    documented = ((levels["national_id"] == 2) | (levels["passport"] == 1)) \
        & (levels["name"] >= 2)
    conflict &= ~documented
    out = shares & conflict
    # names of the same key have the same tokens, so they cannot differ
    todo = shares & ~conflict & ~same_person_identifiers(levels) & (levels["name"] != 4)
    tokens = features.frame["name_tokens"].to_numpy()
    for k in np.flatnonzero(todo).tolist():
        out[k] = given_names_differ(tokens[left[k]], tokens[right[k]])
    return out


def _birth_years(dobs: pd.Series) -> np.ndarray:
    """The year of every date of birth as an integer, -1 where it does not start with
    four digits."""
    codes, distinct = pd.factorize(dobs)  # each distinct date once
    text = pd.Series(np.asarray(distinct, dtype=object), dtype=object).astype(str)
    years = pd.to_numeric(text.str[:4].where(text.str.match(r"[0-9]{4}")), errors="coerce")
    years = years.fillna(-1).to_numpy(dtype=np.int64)
    return np.where(codes >= 0, years[np.maximum(codes, 0)], -1) if len(years) \
        else np.full(len(codes), -1, dtype=np.int64)


#: Exact agreements that identify a person; members of one household share at most one
#: of them (a family e-mail), not a date of birth and a national id.
IDENTIFYING = (("dob", 3), ("national_id", 2), ("passport", 1), ("email", 2))


def same_person_identifiers(levels: dict[str, np.ndarray]) -> np.ndarray:
    """Mask of pairs agreeing exactly on at least two of date of birth, national id,
    passport and e-mail, or on one of them other than the e-mail with similar names
    (name level "similar" or better)."""
    exact = [(levels[f] == level).astype(np.int8) for f, level in IDENTIFYING]
    personal = (exact[0] + exact[1] + exact[2]) > 0
    return np.asarray((sum(exact) >= 2) | (personal & (levels["name"] >= 2)))




def household_pairs(features: Features, left: np.ndarray, right: np.ndarray,
                    levels: dict[str, np.ndarray]) -> np.ndarray:
    """Mask of :func:`different_people` pairs that share the home address."""
    return different_people(features, left, right, levels) & (levels["address"] == 2)


__all__ = ["different_people", "given_names_differ", "household_pairs",
           "same_person_identifiers"]
