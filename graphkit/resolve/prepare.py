"""Per-record features for probabilistic resolution, computed once per record."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from itertools import chain

import jellyfish
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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
#: Feature columns held as objects; the others are categorical (see :func:`prepare`).
OBJECT_COLUMNS = ("record_id", "name_tokens")


def display_name(row: dict) -> str:
    """``full_name`` when given, else first, middle and last name joined."""
    if row.get("full_name"):
        return str(row["full_name"])
    return " ".join(str(row[c]) for c in ("first_name", "middle_name", "last_name")
                    if row.get(c))


@dataclass(frozen=True)
class Features:
    """Feature columns (lists aligned with the input rows); ``cache`` holds what later
    stages derive from them once (e.g. the comparison codes); ``workers``: threads the
    later stages may use on them (results do not depend on it)."""

    frame: pd.DataFrame
    cache: dict = field(default_factory=dict, compare=False, repr=False)
    workers: int = field(default=1, compare=False)

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


def _shortcut(values: list[str] | pa.Array, plain: re.Pattern, fast, slow) -> pa.Array:
    """``slow`` of every value, except that values matching ``plain`` in full take
    ``fast``, an Arrow kernel over them all: values already in normal form, most of a
    large file, cost no Python call (nor a Python string: the values and the result are
    Arrow strings, and only the others are read into Python)."""
    array = values if isinstance(values, pa.Array) else pa.array(values, type=pa.string())
    is_plain = pc.match_substring_regex(array, f"^(?:{plain.pattern})$")
    out = fast(array)
    rough = np.flatnonzero(~np.asarray(is_plain.to_numpy(zero_copy_only=False), dtype=bool))
    if len(rough) == 0:
        return out
    slowed = [slow(v) for v in array.take(pa.array(rough)).to_pylist()]
    return pc.replace_with_mask(out, pc.invert(is_plain), pa.array(slowed, type=out.type))


def _emails(values: list[str] | pa.Array) -> pa.Array:
    """:func:`_email` of every value."""
    def fast(array: pa.Array) -> pa.Array:
        # a Gmail address loses the dots of its local part, googlemail becomes gmail
        gmail = pc.or_(pc.ends_with(array, "@gmail.com"),
                       pc.ends_with(array, "@googlemail.com"))
        local = pc.replace_substring(pc.replace_substring_regex(array, "@.*$", ""), ".", "")
        dotless = pc.if_else(pc.equal(local, ""), "",
                             pc.binary_join_element_wise(local, "gmail.com", "@"))
        return pc.if_else(gmail, dotless, array)
    return _shortcut(values, _PLAIN_EMAIL, fast, _email)


#: Wider forms the vectorised shortcuts also take: a US number written with brackets,
#: spaces, dots or dashes; a document number with dashes.
_US_PHONE = re.compile(r"\(?[2-9][0-9]{2}\)?[ .-]?[0-9]{3}[ .-]?[0-9]{4}")
_DASHED_DOCUMENT = re.compile(r"[0-9A-Za-z]+(?:-[0-9A-Za-z]+)*")


def _phones(values: list[str] | pa.Array) -> pa.Array:
    """:func:`_phone` of every value."""
    return _shortcut(values, _US_PHONE, lambda a: pc.binary_join_element_wise(
        "+1", pc.replace_substring_regex(a, "[^0-9]", ""), ""), _phone)


def _documents(values: list[str] | pa.Array) -> pa.Array:
    """:func:`_document` of every value."""
    def fast(array: pa.Array) -> pa.Array:
        plain = pc.utf8_upper(pc.replace_substring(array, "-", ""))
        return pc.if_else(pc.greater_equal(pc.utf8_length(plain), 4), plain, "")
    return _shortcut(values, _DASHED_DOCUMENT, fast, _document)


#: The people columns features are made from (besides ``record_id``; others are not
#: converted): a record's comparisons depend on these alone (incremental builds
#: fingerprint them).
INPUT_COLUMNS = ("first_name", "middle_name", "last_name", "full_name", "dob", "email",
                 "phone", "street", "city", "region", "postcode", "country", "national_id",
                 "passport")
_USED_COLUMNS = frozenset({"record_id", *INPUT_COLUMNS})


def prepare(people: pd.DataFrame, workers: int = 1) -> Features:
    """Normalised features of person records (native ``people.csv`` columns).

    Column by column, each function called once per distinct value (a million records
    hold far fewer distinct streets, places and names). Every string feature is a
    categorical column whose codes number its values in order of first appearance (as
    :func:`value_codes` does), so later stages code a column without hashing a million
    strings again; ``record_id`` and ``name_tokens`` are object columns. ``workers`` is
    kept in :attr:`Features.workers` for the stages after."""
    people = people.reset_index(drop=True)
    empty = pd.Series("", index=people.index)

    def col(name: str) -> pd.Series:
        if name not in people.columns:
            return empty
        values = people[name]
        return (values.fillna("") if values.hasnans else values).astype(str)

    given = {name: col(name) for name in INPUT_COLUMNS}
    data = {"record_id": pd.Series(people["record_id"].to_numpy(dtype=object),
                                   dtype=object),
            **_name_columns(given), **_address_columns(given),
            "dob": _Coded.of(given["dob"]).column(),
            "email": _Coded.of_arrow(given["email"]).map_all(_emails).column(),
            "phone": _Coded.of_arrow(given["phone"]).map_all(_phones).column(),
            "national_id": _Coded.of_arrow(given["national_id"]).map_all(
                _documents).column(),
            "passport": _Coded.of_arrow(given["passport"]).map_all(_documents).column()}
    return Features(pd.DataFrame(data, columns=list(FEATURE_COLUMNS)), workers=workers)


def _name_columns(given: dict[str, pd.Series]) -> dict[str, pd.Series]:
    """``name_key`` and ``name_tokens`` (see :func:`prepare`)."""
    # the parts joined by spaces: tokenising ignores the extra spaces of empty parts
    joined = given["first_name"] + " " + given["middle_name"] + " " + given["last_name"]
    names = given["full_name"].where(given["full_name"] != "", joined)
    # romanized tokens are word-local: each distinct word is tokenised once
    word_tokens = functools.cache(lambda word: tuple(romanized_tokens(word)))
    name_codes, distinct_names = pd.factorize(names)
    distinct_tokens = [tuple(chain.from_iterable(map(word_tokens, n.split())))
                       for n in distinct_names.tolist()]
    tokens = _spread(distinct_tokens, name_codes)
    name_key = _Coded(name_codes, [" ".join(sorted(t)) for t in distinct_tokens])
    return {"name_key": name_key.column(), "name_tokens": pd.Series(tokens, dtype=object)}


def _address_columns(given: dict[str, pd.Series]) -> dict[str, pd.Series]:
    """``address``, ``postcode`` and ``street_number`` (see :func:`prepare`)."""
    street = _Coded.of(given["street"])
    # normalize_street is word-local too: each distinct word once
    street_word = functools.cache(normalize_street)
    line = street.map(lambda v: " ".join(filter(None, map(street_word, v.split()))))
    raw_country = _Coded.of(given["country"])
    postcode = _Coded.combine((_Coded.of(given["postcode"]), raw_country), lambda parts: [
        normalize_postcode(p, c) for p, c in zip(parts[0].tolist(), parts[1].tolist())])
    # the address key's parts after the street, each from its own column
    city = _Coded.of(given["city"]).map(lambda v: normalize_address("x", v).split("|")[1])
    region = _Coded.of(given["region"]).map(
        lambda v: normalize_address("x", "", v).split("|")[2])
    country = raw_country.map(normalize_country)
    address = _Coded.combine((line, city, region, postcode, country), _address_keys)
    return {"address": address.column(), "postcode": postcode.column(),
            "street_number": street.map(lambda v: (v.split(None, 1) or [""])[0]).column()}


def _address_keys(parts: list[np.ndarray]) -> np.ndarray:
    """The address key ``line|city|region|postcode|country`` of each row of the parts
    (empty without a street line), joined by Arrow."""
    arrays = [pa.array(part, type=pa.string()) for part in parts]
    if not len(arrays[0]):
        return np.empty(0, dtype=object)
    joined = pc.binary_join_element_wise(*arrays, "|")
    keys = pc.if_else(pc.equal(arrays[0], ""), "", joined)
    return np.asarray(keys.to_numpy(zero_copy_only=False), dtype=object)


class _Coded:
    """A string column as a code per record and the value of each code (values may
    repeat until :meth:`column` merges them); functions of it run once per code."""

    def __init__(self, codes: np.ndarray, values: list[str] | pa.Array) -> None:
        self.codes = np.asarray(codes, dtype=np.int64)
        self.values = values

    @classmethod
    def of(cls, values: pd.Series) -> _Coded:
        """The distinct values of a column without missing values."""
        codes, distinct = pd.factorize(values)
        return cls(codes, distinct.tolist())

    @classmethod
    def of_arrow(cls, values: pd.Series) -> _Coded:
        """As :meth:`of`, the distinct values as an Arrow array (for :meth:`map_all` with
        Arrow kernels: no Python string per value)."""
        codes, distinct = pd.factorize(values)
        stored = distinct.array if isinstance(distinct.array, pd.arrays.ArrowStringArray) \
            else np.asarray(distinct, dtype=object)
        array = pa.array(stored, type=pa.string())
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks()
        return cls(codes, array)

    def map(self, func) -> _Coded:
        """``func`` of every value, called once per code (``None`` becomes "")."""
        return _Coded(self.codes, [func(v) or "" for v in self.values])

    def map_all(self, func) -> _Coded:
        """``func`` of the values at once (a list or Arrow array of them; an array of the
        results)."""
        return _Coded(self.codes, func(self.values))

    @classmethod
    def combine(cls, parts: tuple[_Coded, ...], func) -> _Coded:
        """``func`` of the parts' value arrays, one element per distinct combination of
        the parts' codes (an array of the results)."""
        key = np.zeros(len(parts[0].codes), dtype=np.int64)
        for part in parts:  # a dense code per combination so far: no int64 overflow
            key, _ = pd.factorize(key * (len(part.values) + 1) + part.codes)
            key = key.astype(np.int64)
        first = np.empty(int(key.max()) + 1 if len(key) else 0, dtype=np.int64)
        first[key[::-1]] = np.arange(len(key))[::-1]  # one record of each combination
        return cls(key, func([np.asarray(part.values, dtype=object)[part.codes[first]]
                              for part in parts]))

    def column(self) -> pd.Series:
        """A categorical column of the values, its codes numbering the distinct values in
        order of first appearance."""
        if isinstance(self.values, pa.Array):  # coded by Arrow, in order of appearance
            encoded = pc.dictionary_encode(self.values)
            merged = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), np.int64)
            distinct = np.asarray(encoded.dictionary.to_numpy(zero_copy_only=False),
                                  dtype=object)
        else:
            merged, distinct = pd.factorize(np.asarray(self.values, dtype=object))
        codes = merged[self.codes] if len(self.codes) else self.codes
        return _categorical(codes, distinct)


def coded_column(values: np.ndarray) -> pd.Series:
    """Per-record feature values as the categorical column :func:`prepare` makes (codes
    numbering the distinct values in order of first appearance)."""
    codes, distinct = pd.factorize(np.asarray(values, dtype=object))
    return _categorical(codes, distinct)


def _categorical(codes: np.ndarray, distinct: np.ndarray) -> pd.Series:
    return pd.Series(pd.Categorical.from_codes(
        codes, categories=pd.Index(distinct, dtype=object)), dtype="category")


def value_codes(values) -> tuple[np.ndarray, np.ndarray]:
    """Integer code per record (-1 for an empty or missing value), equal values sharing a
    code in order of first appearance, and the distinct non-empty values indexed by code.
    One hash pass over the column (the empty string's code is dropped afterwards); none
    for a categorical column whose codes are already in that order (as :func:`prepare`
    makes them): its codes and categories are read."""
    if not isinstance(values, pd.Series):
        values = np.asarray(values, dtype=object)
    elif isinstance(values.dtype, pd.CategoricalDtype):  # as prepare makes them: no hash
        codes = values.cat.codes.to_numpy().astype(np.int64)
        if _in_first_seen_order(codes, len(values.cat.categories)):
            return without_empty(codes, np.asarray(values.cat.categories, dtype=object))
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    return without_empty(codes.astype(np.int64), np.asarray(distinct, dtype=object))


def _in_first_seen_order(codes: np.ndarray, n_values: int) -> bool:
    """Whether ``codes`` (-1: missing) number ``n_values`` values, every one used, in
    order of first appearance (so that they are what ``pd.factorize`` would give): each
    code is at most one more than every code before it, and the last value is reached."""
    present = codes[codes >= 0]
    if len(present) == 0:
        return n_values == 0
    seen = np.maximum.accumulate(present)
    return bool(present[0] == 0 and (present[1:] <= seen[:-1] + 1).all()
                and seen[-1] == n_values - 1)


def without_empty(codes: np.ndarray, distinct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``codes`` and ``distinct`` with the empty string's code (if any) made -1, the codes
    after it moved down by one."""
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
