"""Per-record features for probabilistic resolution, computed once per record."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import jellyfish
import numpy as np
import pandas as pd

from graphkit.distinct import map_distinct
from graphkit.text.names import romanized_tokens
from graphkit.text.normalize import (
    normalize_address,
    normalize_country,
    normalize_document,
    normalize_email,
    normalize_phone,
    normalize_postcode,
    normalize_street,
)

FEATURE_COLUMNS = ("record_id", "name_key", "name_tokens", "dob", "email", "phone",
                   "address", "postcode", "street_number", "national_id", "passport")


def display_name(row: dict) -> str:
    """``full_name`` when given, else first, middle and last name joined."""
    if row.get("full_name"):
        return str(row["full_name"])
    return " ".join(str(row[c]) for c in ("first_name", "middle_name", "last_name")
                    if row.get(c))


@dataclass(frozen=True)
class Features:
    """Feature columns (lists aligned with the input rows); ``cache`` holds what later
    stages derive from them once (e.g. the comparison codes)."""

    frame: pd.DataFrame
    cache: dict = field(default_factory=dict, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.frame)


# Values already in normal form take a shortcut past the full normalisers (a test keeps
# each shortcut equal to its normaliser).
_PLAIN_EMAIL = re.compile(r"[a-z0-9._-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+)+")
_PLAIN_PHONE = re.compile(r"[2-9][0-9]{9}")
_PLAIN_DOCUMENT = re.compile(r"[0-9A-Za-z]{4,}")


def _email(value: str) -> str:
    if _PLAIN_EMAIL.fullmatch(value) and not value.endswith(("@gmail.com",
                                                              "@googlemail.com")):
        return value
    return normalize_email(value) or ""


def _phone(value: str) -> str:
    if _PLAIN_PHONE.fullmatch(value):  # a ten-digit national number
        return "+1" + value
    return normalize_phone(value) or ""


def _document(value: str) -> str:
    if _PLAIN_DOCUMENT.fullmatch(value):
        return value.upper()
    return normalize_document(value) or ""


#: The people columns features are made from (besides ``record_id``; others are not
#: converted): a record's comparisons depend on these alone (incremental builds
#: fingerprint them).
INPUT_COLUMNS = ("first_name", "middle_name", "last_name", "full_name", "dob", "email",
                 "phone", "street", "city", "region", "postcode", "country", "national_id",
                 "passport")
_USED_COLUMNS = frozenset({"record_id", *INPUT_COLUMNS})


def prepare(people: pd.DataFrame) -> Features:
    """Normalised features of person records (native ``people.csv`` columns).

    Column by column, each function called once per distinct value (a million records
    hold far fewer distinct streets, places and names)."""
    people = people[[c for c in people.columns if c in _USED_COLUMNS]].fillna("").astype(str)
    empty = pd.Series("", index=people.index)

    def col(name: str) -> pd.Series:
        return people.get(name, empty)

    # the parts joined by spaces: tokenising ignores the extra spaces of empty parts
    joined = col("first_name") + " " + col("middle_name") + " " + col("last_name")
    names = col("full_name").where(col("full_name") != "", joined)
    # romanized tokens are word-local: each distinct word is tokenised once
    word_tokens = functools.cache(lambda word: tuple(romanized_tokens(word)))
    name_codes, distinct_names = pd.factorize(names)
    distinct_tokens = [tuple(t for w in n.split() for t in word_tokens(w))
                       for n in distinct_names.tolist()]
    tokens = _spread(distinct_tokens, name_codes)
    name_key = _spread([" ".join(sorted(t)) for t in distinct_tokens], name_codes)
    street = col("street")
    # normalize_street is word-local too: each distinct word once
    street_word = functools.cache(normalize_street)
    line = map_distinct(street, lambda v: " ".join(
        w for w in (street_word(word) for word in v.split()) if w)).to_numpy()
    postcode = map_distinct(col("postcode") + "\x1f" + col("country"),
                            lambda v: normalize_postcode(*v.split("\x1f"))).to_numpy()
    # the address key's parts after the street, each from its own column
    city = map_distinct(col("city"), lambda v: normalize_address("x", v).split("|")[1]).to_numpy()
    region = map_distinct(col("region"),
                          lambda v: normalize_address("x", "", v).split("|")[2]).to_numpy()
    country = map_distinct(col("country"), normalize_country).to_numpy()
    tail = "|" + city + "|" + region + "|" + postcode + "|" + country
    address = np.where(line != "", line + tail, "")
    data = {
        "record_id": people["record_id"].to_numpy(dtype=object),
        "name_key": name_key,
        "name_tokens": tokens,
        "dob": col("dob").to_numpy(dtype=object),
        "email": map_distinct(col("email"), _email).to_numpy(),
        "phone": map_distinct(col("phone"), _phone).to_numpy(),
        "address": address,
        "postcode": postcode,
        "street_number": map_distinct(
            street, lambda v: v.split()[0] if v.split() else "").to_numpy(),
        "national_id": map_distinct(col("national_id"), _document).to_numpy(),
        "passport": map_distinct(col("passport"), _document).to_numpy(),
    }
    return Features(pd.DataFrame(data, columns=list(FEATURE_COLUMNS)))


def value_codes(values) -> tuple[np.ndarray, np.ndarray]:
    """Integer code per record (-1 for an empty or missing value), equal values sharing a
    code in order of first appearance, and the distinct non-empty values indexed by code.
    One hash pass over the column (the empty string's code is dropped afterwards)."""
    if not isinstance(values, pd.Series):
        values = np.asarray(values, dtype=object)
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    codes = codes.astype(np.int64)
    distinct = np.asarray(distinct, dtype=object)
    empty = np.flatnonzero(distinct == "")
    if len(empty):
        at = int(empty[0])
        codes = np.where(codes == at, -1, codes - (codes > at))
        distinct = np.delete(distinct, at)
    return codes, distinct


def _spread(per_value: list, codes: np.ndarray) -> np.ndarray:
    """An object array of ``per_value[codes[i]]`` for every record."""
    out = np.empty(len(per_value), dtype=object)
    out[:] = per_value
    return out[codes]


def phonetic(token: str) -> str:
    """Phonetic key of one name token (Metaphone; the token itself when too short)."""
    return jellyfish.metaphone(token) if len(token) > 2 else token
