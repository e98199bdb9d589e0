"""Which record is resolved to which entity: the ``RESOLVED_TO`` relationships with the
record's kind (``people``, ``companies``, ``logins``, …), made once per tables (every
stage only reads the tables) and shared by clusters and the population facts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from graphkit.graph.tables import GraphTables
from graphkit.rings.sharing import (
    _codes_at,
    node_codes,
    node_positions,
    rows_of_type,
    type_run,
)
from graphkit.schema import Rel


def resolved_records(tables: GraphTables) -> pd.DataFrame:
    """``entity_id``, ``record`` (the Record node's id) and ``kind`` (categorical: its
    categories are every kind of the node table) of every RESOLVED_TO relationship, in
    relationship order. Callers must not change it."""
    cache = tables.__dict__.setdefault("_node_columns", {})
    if "_resolved_records" not in cache:
        rels = tables.relationships
        rows = _rows(tables, Rel.RESOLVED_TO.value)
        start = rels["start_id"].to_numpy(np.int64)[rows]
        at = node_positions(tables, start)
        if "kind" in tables.nodes.columns:
            # the kind codes of all nodes (long runs in key order), read at the records:
            # no record's kind text is gathered or hashed
            codes, categories = node_codes(tables, "kind")
            kinds = pd.Categorical.from_codes(_codes_at(codes, at),
                                              categories=categories.tolist())
        else:
            kinds = pd.Categorical.from_codes(np.full(len(start), -1), categories=[])
        cache["_resolved_records"] = pd.DataFrame({
            "entity_id": rels["end_id"].to_numpy(np.int64)[rows], "record": start,
            "kind": kinds}, copy=False)  # (the columns as made: no second copy)
    return cache["_resolved_records"]


def _rows(tables: GraphTables, rel: str) -> slice | np.ndarray:
    """The rows of type ``rel``: a slice where they are one run (``type_run``; the
    columns read through it are views, not gathered copies: at a million people every
    record's RESOLVED_TO is ten million rows), else their positions."""
    run = type_run(tables, rel)
    return run if run is not None else rows_of_type(tables, rel)


def resolved_of(tables: GraphTables, kinds: list[str]) -> pd.DataFrame:
    """The rows of :func:`resolved_records` whose record is of one of ``kinds``."""
    frame = resolved_records(tables)
    return frame[frame["kind"].isin(kinds).to_numpy(bool)]


def ends_of_type(tables: GraphTables, rel: str) -> pd.DataFrame:
    """``start_id`` and ``end_id`` of the relationships of type ``rel``, in table order
    (two integer columns; no other property is copied)."""
    rows = _rows(tables, rel)
    rels = tables.relationships
    return pd.DataFrame({"start_id": rels["start_id"].to_numpy(np.int64)[rows],
                         "end_id": rels["end_id"].to_numpy(np.int64)[rows]},
                        index=rels.index[rows], copy=False)


__all__ = ["ends_of_type", "resolved_of", "resolved_records", "rows_of_type"]
