"""The member table of a ring: who each member is, where they work, what they were paid,
when they were seen, their sanctions status and the findings naming them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import numpy as np
import pandas as pd

from graphkit.graph.index import GraphIndex
from graphkit.graph.provenance import records_of
from graphkit.schema import Rel

#: Columns of :func:`member_table`.
MEMBER_COLUMNS: tuple[str, ...] = (
    "entity", "label", "name", "roles", "employers", "total_paid", "currency", "first_seen",
    "last_seen", "n_records", "sources", "sanctions", "patterns")
#: Record columns holding when something happened (dates or ISO timestamps).
_WHEN = ("paid_at", "shipped_at", "at")


def _joined(values: Iterable) -> str:
    return "; ".join(sorted({str(v) for v in values if v is not None and not pd.isna(v)}))


def _edges(index: GraphIndex, ids: np.ndarray, rel: Rel, members_at: str) -> pd.DataFrame:
    """Relationships of type ``rel`` whose ``members_at`` end ("start" or "end") is in
    ``ids``."""
    inside = index.mask(ids)
    ends = index.start if members_at == "start" else index.end
    rels = index.tables.relationships
    return rels[index.of_type(rel.value) & inside[ends]]


def _paid(paid: dict[str, float]) -> dict:
    """``total_paid`` and ``currency``: one total in one currency; with several currencies
    no total (amounts in different currencies do not add up), each listed in ``currency``."""
    if not paid:
        return {"total_paid": None, "currency": ""}
    if len(paid) == 1:
        (unit, total), = paid.items()
        return {"total_paid": round(total, 2), "currency": unit}
    return {"total_paid": None,
            "currency": "; ".join(f"{unit} {total:,.2f}" for unit, total in sorted(paid.items()))}


def member_table(index: GraphIndex, members: list[str],
                 patterns: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """One row per member (entity key) with ``MEMBER_COLUMNS``; ``patterns`` maps a member
    to the findings that name it."""
    ids = index.ids(members)
    records = records_of(index, members)
    by_member: dict[str, dict] = defaultdict(dict)
    for entity, group in records.groupby("entity", sort=False):
        when = pd.concat([group[c].dropna().astype(str).str[:10] for c in _WHEN
                          if c in group.columns] or [pd.Series([], dtype=object)])
        by_member[entity].update(
            roles=_joined(group["role"]) if "role" in group.columns else "",
            first_seen=min(when) if len(when) else None,
            last_seen=max(when) if len(when) else None,
            n_records=len(group), sources=_joined(group["file"]))
    works = _edges(index, ids, Rel.WORKS_FOR, "start")
    company_name = index.column("name", works["end_id"].to_numpy(np.int64))
    for member, name in zip(works["start"], company_name):
        by_member[member].setdefault("employer_list", []).append(name)
    pays = _edges(index, ids, Rel.PAYS, "end")
    if len(pays) and "amount" in pays.columns:
        amount = pd.to_numeric(pays["amount"], errors="coerce").astype(float)
        for member, value, currency in zip(pays["end"], amount,
                                           pays.get("currency", [None] * len(pays))):
            paid = by_member[member].setdefault("paid", {})
            unit = "" if currency is None or pd.isna(currency) else str(currency)
            paid[unit] = paid.get(unit, 0.0) + (0.0 if pd.isna(value) else value)
    matches = _edges(index, ids, Rel.MATCHES, "start")
    listed = index.column("name", matches["end_id"].to_numpy(np.int64))
    for member, sanction, name in zip(matches["start"], matches["end"], listed):
        by_member[member].setdefault("listed", []).append(f"{name} ({sanction})")
    rows = []
    for node in ids.tolist():
        key = str(index.key(np.array([node]))[0])
        facts = by_member.get(key, {})
        rows.append({
            "entity": key, "label": index.label[node],
            "name": index.column("name", np.array([node]))[0],
            "roles": facts.get("roles", ""),
            "employers": _joined(facts.get("employer_list", [])),
            **_paid(facts.get("paid", {})),
            "first_seen": facts.get("first_seen"), "last_seen": facts.get("last_seen"),
            "n_records": facts.get("n_records", 0), "sources": facts.get("sources", ""),
            "sanctions": _joined(facts.get("listed", [])),
            "patterns": _joined((patterns or {}).get(key, [])),
        })
    return pd.DataFrame(rows, columns=list(MEMBER_COLUMNS))


__all__ = ["MEMBER_COLUMNS", "member_table"]
