"""Exact-identity resolution (the baseline, and the company resolver).

This module holds the exact-identity resolver: person records merge when they carry the
same name (order- and romanization-free key) and the same date of birth, national id or
passport; company records merge on the same name without legal suffixes or the same
registration number. Every merge keeps the rule that made it as evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from graphkit.resolve.prepare import display_name as person_display_name
from graphkit.text.names import romanized_key
from graphkit.text.normalize import company_key, normalize_document

PAIR_COLUMNS = ("record_id_l", "record_id_r", "score", "evidence", "decision", "match_weight")
ENTITY_COLUMNS = ("record_id", "entity_id", "score", "evidence")


@dataclass
class Resolution:
    """Result of resolution: ``entities`` maps every record to an entity
    (``ENTITY_COLUMNS``); ``pairs`` lists the merged or reviewable record pairs
    (``PAIR_COLUMNS``)."""

    entities: pd.DataFrame
    pairs: pd.DataFrame
    method: str = "exact-identity resolution"
    model: Any = None  # the fitted scoring model, when one was used
    blocking: Any = None  # blocking statistics, when blocking was used
    stages: dict[str, float] = field(default_factory=dict)  # seconds per stage, when timed
    #: the ranked review band and its budget (``graphkit.resolve.review.ReviewQueue``),
    #: when resolution had one
    review: Any = None

    def entity_of(self) -> dict[str, str]:
        """``record_id → entity_id``."""
        return dict(zip(self.entities["record_id"], self.entities["entity_id"]))


class _UnionFind:
    def __init__(self, items: list[str]) -> None:
        self.parent = {i: i for i in items}

    def find(self, item: str) -> str:
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _group(record_ids: list[str], keys: dict[str, pd.Series], prefix: str
           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    finder = _UnionFind(record_ids)
    reasons: dict[str, str] = {}
    pairs = []
    for rule, key in keys.items():
        present = key[key != ""]
        for _, members in present.groupby(present, sort=False):
            ids = [record_ids[i] for i in members.index]
            for other in ids[1:]:
                if finder.find(ids[0]) != finder.find(other):
                    pairs.append((ids[0], other, 1.0, f"exact {rule}", "merge", np.inf))
                finder.union(ids[0], other)
                reasons[other] = reasons[ids[0]] = f"exact {rule}"
    entities = pd.DataFrame({
        "record_id": record_ids,
        "entity_id": [f"{prefix}:{finder.find(r)}" for r in record_ids],
        "score": 1.0,
        "evidence": [reasons.get(r, "single record") for r in record_ids],
    }, columns=list(ENTITY_COLUMNS))
    return entities, pd.DataFrame(pairs, columns=list(PAIR_COLUMNS))


def resolve_people_exact(people: pd.DataFrame) -> Resolution:
    """Group person records sharing a name key and a dob, national id or passport."""
    people = people.reset_index(drop=True)
    names = people.apply(person_display_name, axis=1) if len(people) else pd.Series(dtype=object)
    name = names.map(lambda n: romanized_key(n) if n else "")
    keys = {}
    for col, label in (("dob", "name+dob"), ("national_id", "name+national_id"),
                       ("passport", "name+passport")):
        ident = people[col].map(lambda v: normalize_document(v) or "") if col != "dob" \
            else people[col]
        keys[label] = (name + "|" + ident).where((name != "") & (ident != ""), "")
    entities, pairs = _group(list(people["record_id"]), keys, "person")
    return Resolution(entities, pairs)


def resolve_companies_exact(companies: pd.DataFrame) -> Resolution:
    """Group company records sharing a suffix-free name or a registration number."""
    companies = companies.reset_index(drop=True)
    keys = {
        "name": companies["name"].map(lambda n: company_key(n) or ""),
        "registration_number": companies["registration_number"].map(
            lambda v: normalize_document(v) or ""),
    }
    entities, pairs = _group(list(companies["record_id"]), keys, "company")
    return Resolution(entities, pairs)
