"""``SAME_HOUSEHOLD`` relationships: members of one household whom resolution kept apart
(record pairs with decision ``household``), one relationship per pair of person entities.

Kept apart from the graph builder: ``households_table`` gives the rows, and
``add_households`` (networkx) or ``append_households`` (tables) add them; a build hands
them to ``graph.columns.build_tables`` (``households=``), which assembles them with the rest.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graphkit.graph.assemble import arrow_text
from graphkit.graph.tables import GraphTables
from graphkit.resolve import Resolution
from graphkit.schema import Rel

HOUSEHOLD_COLUMNS = ("start", "end", "evidence")


def households_table(people: Resolution) -> pd.DataFrame:
    """Entity pairs (``start`` < ``end``) of household record pairs, with the evidence of
    the first record pair behind each. A pair with a record no entity holds is left out;
    a record id repeated in ``people.entities`` is refused (``ValueError``)."""
    pairs = people.pairs
    if "decision" not in pairs.columns:
        return pd.DataFrame(columns=list(HOUSEHOLD_COLUMNS))
    pairs = pairs[pairs["decision"] == "household"]
    if pairs.empty or people.entities.empty:  # no pair, or no record any entity holds
        return pd.DataFrame(columns=list(HOUSEHOLD_COLUMNS))
    record_ids = people.entities["record_id"]
    if not record_ids.is_unique:
        raise ValueError("people.entities: a record_id is repeated (each record must "
                         "resolve to one entity)")
    # the entity of each pair's records: the pairs' few distinct record ids hashed once,
    # every entity's record looked up among them (a small table; no index of every id)
    ids = pa.concat_arrays([arrow_text(pairs["record_id_l"]), arrow_text(pairs["record_id_r"])])
    distinct = pc.unique(ids)
    at = pc.fill_null(pc.index_in(arrow_text(record_ids), value_set=distinct), -1)
    at = at.to_numpy(zero_copy_only=False)
    found = np.flatnonzero(at >= 0)  # the entity rows of the pairs' records
    row = np.full(len(distinct) + 1, -1, dtype=np.int64)  # the last: not held
    row[at[found]] = found
    code = pc.fill_null(pc.index_in(ids, value_set=distinct), len(distinct))
    rows = row[code.to_numpy(zero_copy_only=False)]
    held = rows >= 0
    entities = arrow_text(people.entities["entity_id"]).take(
        pa.array(np.where(held, rows, 0))).to_numpy(zero_copy_only=False)
    n = len(pairs)
    known = held[:n] & held[n:] & ~pd.isna(entities[:n]) & ~pd.isna(entities[n:])
    a, b = entities[:n][known], entities[n:][known]
    frame = pd.DataFrame({"start": np.where(a < b, a, b), "end": np.where(a < b, b, a),
                          "evidence": pairs["evidence"].to_numpy()[known]})
    frame = frame[frame["start"] != frame["end"]].dropna()
    return frame.drop_duplicates(["start", "end"]).sort_values(["start", "end"]).reset_index(
        drop=True)


def add_households(graph: nx.MultiDiGraph, table: pd.DataFrame) -> None:
    """Add a ``SAME_HOUSEHOLD`` edge per row of ``table`` (both entities must exist)."""
    for start, end, evidence in table[list(HOUSEHOLD_COLUMNS)].itertuples(index=False):
        if start in graph and end in graph and not graph.has_edge(
                start, end, key=Rel.SAME_HOUSEHOLD.value):
            graph.add_edge(start, end, key=Rel.SAME_HOUSEHOLD.value,
                           type=Rel.SAME_HOUSEHOLD.value, evidence=evidence)


def append_households(tables: GraphTables, table: pd.DataFrame) -> GraphTables:
    """``tables`` with a ``SAME_HOUSEHOLD`` relationship row per row of ``table`` (a build
    passes ``households=`` to ``build_tables`` instead, which copies nothing twice)."""
    # positions by a hash lookup: ``Series.isin`` of pandas' str dtype against a large
    # index took 40 s at 100k people
    keys = pd.Index(tables.nodes["key"].to_numpy())
    node_ids = tables.nodes["node_id"].to_numpy()
    at_start, at_end = keys.get_indexer(table["start"]), keys.get_indexer(table["end"])
    found = (at_start >= 0) & (at_end >= 0)
    known = table[found]
    rows = pd.DataFrame({"start_id": node_ids[at_start[found]],
                         "end_id": node_ids[at_end[found]],
                         "start": known["start"].to_numpy(), "end": known["end"].to_numpy(),
                         "type": Rel.SAME_HOUSEHOLD.value,
                         "evidence": known["evidence"].to_numpy()})
    rels = pd.concat([tables.relationships, rows], ignore_index=True)
    # node ids are positions in key order: sorting ids sorts keys, without string compares
    type_code, _ = pd.factorize(rels["type"].to_numpy(dtype=object), sort=True)
    order = np.lexsort((rels["end_id"].to_numpy(np.int64), type_code,
                        rels["start_id"].to_numpy(np.int64)))
    rels = rels.take(order).reset_index(drop=True)
    return GraphTables(tables.nodes, rels)


__all__ = ["HOUSEHOLD_COLUMNS", "add_households", "append_households", "households_table"]
