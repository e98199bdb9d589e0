"""Which record is resolved to which entity: the ``RESOLVED_TO`` relationships with the
record's kind (``people``, ``companies``, ``logins``, …), made once per tables (every
stage only reads the tables) and shared by clusters and the population facts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graphkit.graph.tables import GraphTables
from graphkit.rings.sharing import node_column, node_positions
from graphkit.schema import Rel


def _arrow(values: pd.Series) -> pa.Array:
    array = pa.array(values.array) if isinstance(values.dtype, pd.ArrowDtype | pd.StringDtype) \
        else pa.array(values.to_numpy(dtype=object), from_pandas=True)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def resolved_records(tables: GraphTables) -> pd.DataFrame:
    """``entity_id``, ``record`` (the Record node's id) and ``kind`` (categorical) of
    every RESOLVED_TO relationship, in relationship order. Callers must not change it."""
    cache = tables.__dict__.setdefault("_node_columns", {})
    if "_resolved_records" not in cache:
        rels = tables.relationships
        is_resolved = pc.equal(_arrow(rels["type"]), Rel.RESOLVED_TO.value)
        rows = np.flatnonzero(is_resolved.to_numpy(zero_copy_only=False))
        start = rels["start_id"].to_numpy(np.int64)[rows]
        at = node_positions(tables, start)
        if "kind" in tables.nodes.columns:
            kind = _arrow(tables.nodes["kind"]).take(pa.array(np.maximum(at, 0)))
            kind = pc.if_else(pa.array(at >= 0), kind, pa.nulls(len(at), kind.type))
            codes = kind.dictionary_encode()
            categories = codes.dictionary.to_pylist()
            numbers = codes.indices.fill_null(-1).to_numpy(zero_copy_only=False)
            kinds = pd.Categorical.from_codes(numbers.astype(np.int64), categories=categories)
        else:
            kinds = pd.Categorical.from_codes(np.full(len(rows), -1), categories=[])
        cache["_resolved_records"] = pd.DataFrame({
            "entity_id": rels["end_id"].to_numpy(np.int64)[rows], "record": start,
            "kind": kinds})
    return cache["_resolved_records"]


def resolved_of(tables: GraphTables, kinds: list[str]) -> pd.DataFrame:
    """The rows of :func:`resolved_records` whose record is of one of ``kinds``."""
    frame = resolved_records(tables)
    return frame[frame["kind"].isin(kinds).to_numpy(bool)]


def rows_of_type(tables: GraphTables, rel: str) -> np.ndarray:
    """Positions of the relationships of type ``rel`` (ascending); the type column is
    encoded once per tables."""
    cache = tables.__dict__.setdefault("_node_columns", {})
    if "_type_codes" not in cache:
        encoded = _arrow(tables.relationships["type"]).dictionary_encode()
        codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
        cache["_type_codes"] = (codes, {t: i for i, t in
                                        enumerate(encoded.dictionary.to_pylist())})
    codes, number = cache["_type_codes"]
    return np.flatnonzero(codes == number[rel]) if rel in number else np.zeros(0, np.int64)


def ends_of_type(tables: GraphTables, rel: str) -> pd.DataFrame:
    """``start_id`` and ``end_id`` of the relationships of type ``rel``, in table order
    (two integer columns; no other property is copied)."""
    rows = rows_of_type(tables, rel)
    rels = tables.relationships
    return pd.DataFrame({"start_id": rels["start_id"].to_numpy(np.int64)[rows],
                         "end_id": rels["end_id"].to_numpy(np.int64)[rows]},
                        index=rels.index[rows])


def entity_record_ids(tables: GraphTables) -> pd.DataFrame:
    """``entity_id``, ``record_id`` of the people and company records resolved to each
    entity (as ``sharing.entity_records``, from the shared RESOLVED_TO frame)."""
    res = resolved_of(tables, ["people", "companies"])
    record = node_column(tables, "record_id").reindex(res["record"].to_numpy())
    return pd.DataFrame({"entity_id": res["entity_id"].to_numpy(np.int64),
                         "record_id": record.to_numpy(dtype=object).astype(str)})


__all__ = ["ends_of_type", "entity_record_ids", "resolved_of", "resolved_records",
           "rows_of_type"]
