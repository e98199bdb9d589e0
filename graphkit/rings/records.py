"""Which record is resolved to which entity: the ``RESOLVED_TO`` relationships with the
record's kind (``people``, ``companies``, ``logins``, …), made once per tables (every
stage only reads the tables) and shared by clusters and the population facts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from graphkit.graph.tables import GraphTables
from graphkit.rings.sharing import _codes_at, node_codes, node_positions, rows_of_type
from graphkit.schema import Rel


def resolved_records(tables: GraphTables) -> pd.DataFrame:
    """``entity_id``, ``record`` (the Record node's id) and ``kind`` (categorical: its
    categories are every kind of the node table) of every RESOLVED_TO relationship, in
    relationship order. Callers must not change it."""
    cache = tables.__dict__.setdefault("_node_columns", {})
    if "_resolved_records" not in cache:
        rels = tables.relationships
        rows = rows_of_type(tables, Rel.RESOLVED_TO.value)
        start = at_rows(rels["start_id"].to_numpy(np.int64), rows)
        at = node_positions(tables, start)
        if "kind" in tables.nodes.columns:
            # the kind codes of all nodes (long runs in key order), read at the records:
            # no record's kind text is gathered or hashed
            codes, categories = node_codes(tables, "kind")
            kinds = pd.Categorical.from_codes(_codes_at(codes, at),
                                              categories=categories.tolist())
        else:
            kinds = pd.Categorical.from_codes(np.full(len(rows), -1), categories=[])
        cache["_resolved_records"] = pd.DataFrame({
            "entity_id": at_rows(rels["end_id"].to_numpy(np.int64), rows), "record": start,
            "kind": kinds}, copy=False)  # (the columns as made: no second copy)
    return cache["_resolved_records"]


def at_rows(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``values[rows]`` for ascending, distinct ``rows`` (as ``rows_of_type`` gives them);
    a view, not a gathered copy, when the rows are one run of consecutive rows (each
    record's only relationship is its RESOLVED_TO: at a million people, two arrays of
    ten million ids not made)."""
    if len(rows) and int(rows[-1]) - int(rows[0]) + 1 == len(rows):
        return values[int(rows[0]):int(rows[-1]) + 1]
    return values[rows]


def resolved_of(tables: GraphTables, kinds: list[str]) -> pd.DataFrame:
    """The rows of :func:`resolved_records` whose record is of one of ``kinds``."""
    frame = resolved_records(tables)
    return frame[frame["kind"].isin(kinds).to_numpy(bool)]


def ends_of_type(tables: GraphTables, rel: str) -> pd.DataFrame:
    """``start_id`` and ``end_id`` of the relationships of type ``rel``, in table order
    (two integer columns; no other property is copied)."""
    rows = rows_of_type(tables, rel)
    rels = tables.relationships
    return pd.DataFrame({"start_id": at_rows(rels["start_id"].to_numpy(np.int64), rows),
                         "end_id": at_rows(rels["end_id"].to_numpy(np.int64), rows)},
                        index=rels.index[rows], copy=False)


__all__ = ["at_rows", "ends_of_type", "resolved_of", "resolved_records", "rows_of_type"]
