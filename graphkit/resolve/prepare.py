"""Per-record features for probabilistic resolution, computed once per record."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import jellyfish
import pandas as pd

from graphkit.names import romanized_tokens
from graphkit.normalize import (
    normalize_address,
    normalize_document,
    normalize_email,
    normalize_phone,
    normalize_postcode,
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


def prepare(people: pd.DataFrame) -> Features:
    """Normalised features of person records (native ``people.csv`` columns)."""
    rows = people.fillna("").astype(str).to_dict("records")
    tokens_of = functools.cache(lambda name: tuple(romanized_tokens(name)))
    email_of = functools.cache(lambda v: normalize_email(v) or "")
    phone_of = functools.cache(lambda v: normalize_phone(v) or "")
    doc_of = functools.cache(lambda v: normalize_document(v) or "")
    data: dict[str, list] = {c: [] for c in FEATURE_COLUMNS}
    for row in rows:
        tokens = tokens_of(display_name(row))
        street = row.get("street", "")
        address = normalize_address(street, row.get("city", ""), row.get("region", ""),
                                    row.get("postcode", ""), row.get("country", "")) or ""
        data["record_id"].append(row["record_id"])
        data["name_tokens"].append(tokens)
        data["name_key"].append(" ".join(sorted(tokens)))
        data["dob"].append(row.get("dob", ""))
        data["email"].append(email_of(row.get("email", "")))
        data["phone"].append(phone_of(row.get("phone", "")))
        data["address"].append(address)
        data["postcode"].append(normalize_postcode(row.get("postcode", ""),
                                                   row.get("country", "")))
        data["street_number"].append(street.split()[0] if street.split() else "")
        data["national_id"].append(doc_of(row.get("national_id", "")))
        data["passport"].append(doc_of(row.get("passport", "")))
    return Features(pd.DataFrame(data, columns=list(FEATURE_COLUMNS)))


def phonetic(token: str) -> str:
    """Phonetic key of one name token (Metaphone; the token itself when too short)."""
    return jellyfish.metaphone(token) if len(token) > 2 else token
