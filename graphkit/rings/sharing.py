"""Who shares what: the one group-by over the relationships table that clusters, rings and
the query packs' parity test all read.

``sharing_table(tables)`` keeps every relationship from a person or company entity to an
identifier node (account, device, IP, email, phone, address, document), one row per
(entity, identifier, type), with the identifier's label and value and ``n_entities``: how
many distinct entities reach that identifier by any type.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graphkit.graph.tables import GraphTables, tables_from_graph
from graphkit.schema import ID_LABEL, Label, Rel

ENTITY_LABELS = frozenset({Label.PERSON.value, Label.COMPANY.value})
IDENTIFIER_LABELS = frozenset(label.value for label in ID_LABEL.values())
SHARING_COLUMNS = ("entity_id", "entity", "entity_label", "ident_id", "ident", "ident_label",
                   "value", "type", "records", "n_entities")


def as_tables(source: GraphTables | nx.MultiDiGraph) -> GraphTables:
    """``source`` as tables (a networkx graph is converted)."""
    return source if isinstance(source, GraphTables) else tables_from_graph(source)


def node_index(tables: GraphTables) -> pd.Index:
    """The node table's ``node_id`` as an index (a ``RangeIndex`` when ids are row
    positions, as ``assemble`` makes them: lookups then cost no hash table)."""
    cache = tables.__dict__.setdefault("_node_columns", {})
    if "_index" not in cache:
        ids = tables.nodes["node_id"].to_numpy(dtype=np.int64)
        positional = len(ids) == 0 or (ids[0] == 0 and ids[-1] == len(ids) - 1 and
                                       bool((np.diff(ids) == 1).all()))
        cache["_index"] = pd.RangeIndex(len(ids)) if positional else pd.Index(ids)
    return cache["_index"]


def node_column(tables: GraphTables, column: str) -> pd.Series:
    """A node property indexed by ``node_id`` (missing where absent), kept with the tables
    after the first call (the tables are read-only to every stage). Strings stay in
    Arrow-backed ``str`` columns (no Python object per node)."""
    cache = tables.__dict__.setdefault("_node_columns", {})
    if column not in cache:
        nodes = tables.nodes
        index = node_index(tables)
        if column not in nodes.columns:
            cache[column] = pd.Series(np.nan, index=index, dtype="str")
        else:
            values = nodes[column]
            text = isinstance(values.dtype, pd.ArrowDtype) and \
                pa.types.is_string(values.dtype.pyarrow_dtype)
            values = values.astype("str") if text else values.astype(object)
            cache[column] = pd.Series(values.to_numpy() if not text else values.array,
                                      index=index)
    return cache[column]


def node_positions(tables: GraphTables, ids: np.ndarray) -> np.ndarray:
    """Row of each node id in the node table (-1 where unknown)."""
    index = node_index(tables)
    ids = np.asarray(ids, dtype=np.int64)
    if isinstance(index, pd.RangeIndex):
        return np.where((ids >= 0) & (ids < len(index)), ids, -1)
    return index.get_indexer(ids)


def label_codes(tables: GraphTables) -> tuple[np.ndarray, np.ndarray]:
    """Per node, a small integer code of its label; and the labels the codes stand for."""
    cache = tables.__dict__.setdefault("_node_columns", {})
    if "_label_codes" not in cache:
        cache["_label_codes"] = _codes(_arrow(tables.nodes["label"]))
    return cache["_label_codes"]


@dataclass
class Sharing:
    """The sharing table (``SHARING_COLUMNS``) of one graph and the graph's tables."""

    table: pd.DataFrame
    tables: GraphTables

    def sizes(self) -> pd.Series:
        """``n_entities`` per identifier node id."""
        return self.table.drop_duplicates("ident_id").set_index("ident_id")["n_entities"]

    def shared(self, max_share: int) -> pd.DataFrame:
        """Rows of identifiers shared by 2 to ``max_share`` entities (hubs left out); made
        once per threshold (every step only reads it)."""
        cache = self.__dict__.setdefault("_shared", {})
        if max_share not in cache:
            n = self.table["n_entities"]
            cache[max_share] = self.table[(n >= 2) & (n <= max_share)]
        return cache[max_share]

    def shared_of_type(self, max_share: int, rel: str) -> pd.DataFrame:
        """The rows of :meth:`shared` of relationship type ``rel``, in the same order (the
        shared rows are sorted by type once, so each type is a slice, not a filter)."""
        cache = self.__dict__.setdefault("_shared_types", {})
        if max_share not in cache:
            shared = self.shared(max_share)
            codes = shared["type"].cat.codes.to_numpy() if len(shared) else np.zeros(0)
            order = np.argsort(codes, kind="stable")
            ordered = shared.iloc[order]
            bounds = np.searchsorted(codes[order], np.arange(len(shared["type"].cat.categories)
                                                             + 1))
            cache[max_share] = (ordered, {str(t): (int(bounds[i]), int(bounds[i + 1]))
                                          for i, t in enumerate(shared["type"].cat.categories)})
        ordered, spans = cache[max_share]
        start, end = spans.get(rel, (0, 0))
        return ordered.iloc[start:end]

    def hubs(self, max_share: int) -> pd.DataFrame:
        """Identifiers shared by more than ``max_share`` entities: key, label, kind, count."""
        rows = self.table.loc[(self.table["n_entities"] > max_share).to_numpy(bool),
                              ["ident_id", "ident", "ident_label", "n_entities"]]
        rows = rows.drop_duplicates("ident_id")
        kind = node_column(self.tables, "kind")
        return pd.DataFrame({"identifier": rows["ident"].to_numpy(),
                             "label": rows["ident_label"].to_numpy(),
                             "kind": kind.reindex(rows["ident_id"]).fillna("").to_numpy(),
                             "entities": rows["n_entities"].to_numpy()})


def _codes(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Small integer codes of ``array``'s values in order of first appearance (-1 where
    missing), and the values they stand for: ``pd.factorize`` done in Arrow."""
    encoded = array.dictionary_encode()
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
    return codes, np.asarray(encoded.dictionary.to_pylist(), dtype=object)


def _arrow(series: pd.Series) -> pa.Array:
    """A column as one Arrow array (no Python objects made for Arrow-backed columns)."""
    array = pa.array(series.array) if isinstance(series.dtype, pd.ArrowDtype | pd.StringDtype) \
        else pa.array(series.to_numpy(dtype=object), from_pandas=True)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _text_column(array: pa.Array) -> pd.Series:
    """An Arrow string array as a pandas ``str`` column (Arrow-backed, no copy per cell)."""
    return pd.Series(pd.arrays.ArrowExtensionArray(array.cast(pa.string()))).astype("str")


def sharing_table(source: GraphTables | nx.MultiDiGraph) -> Sharing:
    """Every entity → identifier relationship with the identifier's sharing count.

    Built from integer codes (node rows, label codes): strings stay in Arrow, labels and
    types are categoricals, the record lists an Arrow list column, so the table costs a
    few bytes per row rather than a Python object per cell."""
    tables = as_tables(source)
    rels = tables.relationships
    codes, labels = label_codes(tables)
    start = node_positions(tables, rels["start_id"].to_numpy(np.int64))
    end = node_positions(tables, rels["end_id"].to_numpy(np.int64))
    entity_code = np.flatnonzero(np.isin(labels, list(ENTITY_LABELS)))
    ident_code = np.flatnonzero(np.isin(labels, list(IDENTIFIER_LABELS)))
    start_code = np.where(start >= 0, codes[np.maximum(start, 0)], -1)
    end_code = np.where(end >= 0, codes[np.maximum(end, 0)], -1)
    keep = np.flatnonzero(np.isin(start_code, entity_code) & np.isin(end_code, ident_code))
    take = pa.array(keep)
    ident = _arrow(rels["end"]).take(take).cast(pa.string())
    if "value" in tables.nodes.columns:
        value = _arrow(tables.nodes["value"]).take(pa.array(end[keep])).cast(pa.string())
        value = pc.coalesce(value, ident)
    else:
        value = ident
    if "records" in rels.columns:
        records = _arrow(rels["records"]).take(take).cast(pa.list_(pa.string()))
    else:
        records = pa.array([[]] * len(keep), pa.list_(pa.string()))
    type_codes, types = _codes(_arrow(rels["type"]).take(take))
    category = pd.CategoricalDtype(list(labels))
    table = pd.DataFrame({
        "entity_id": rels["start_id"].to_numpy(np.int64)[keep],
        "entity": _text_column(_arrow(rels["start"]).take(take)),
        "entity_label": pd.Categorical.from_codes(start_code[keep], dtype=category),
        "ident_id": rels["end_id"].to_numpy(np.int64)[keep],
        "ident": _text_column(ident),
        "ident_label": pd.Categorical.from_codes(end_code[keep], dtype=category),
        "value": _text_column(value),
        "type": pd.Categorical.from_codes(type_codes, categories=list(types)),
        "records": pd.Series(pd.arrays.ArrowExtensionArray(records)),
    })
    # distinct entities per identifier: sort (identifier, entity) codes, count heads
    pair = np.lexsort((table["entity_id"].to_numpy(), table["ident_id"].to_numpy()))
    ids, ents = table["ident_id"].to_numpy()[pair], table["entity_id"].to_numpy()[pair]
    head = np.r_[True, (ids[1:] != ids[:-1]) | (ents[1:] != ents[:-1])] if len(pair) else \
        np.zeros(0, bool)
    starts = np.r_[True, ids[1:] != ids[:-1]] if len(pair) else np.zeros(0, bool)
    group = np.cumsum(starts) - 1
    per_ident = np.bincount(group, weights=head, minlength=int(starts.sum())).astype(np.int64)
    n_entities = np.empty(len(pair), dtype=np.int64)
    n_entities[pair] = per_ident[group]
    table["n_entities"] = n_entities
    return Sharing(table, tables)


def sanction_hits(tables: GraphTables) -> pd.DataFrame:
    """``entity_id``, ``sanction_id``, ``score``, ``hit`` text of MATCHES edges to Sanction
    nodes (made once per tables, which every stage only reads: clusters and two ring
    steps ask; callers must not change the frame)."""
    cache = tables.__dict__.setdefault("_node_columns", {})
    if "_sanction_hits" not in cache:
        cache["_sanction_hits"] = _sanction_hits(tables)
    return cache["_sanction_hits"]


def _sanction_hits(tables: GraphTables) -> pd.DataFrame:
    rels = tables.relationships
    m = rels[rels["type"] == Rel.MATCHES.value]
    label = node_column(tables, "label").reindex(m["end_id"]).to_numpy()
    m = m[label == Label.SANCTION.value]
    name = node_column(tables, "name").reindex(m["end_id"]).astype(str).to_numpy()
    lst = node_column(tables, "list").reindex(m["end_id"]).astype(str).to_numpy()
    lid = node_column(tables, "list_id").reindex(m["end_id"]).astype(str).to_numpy()
    score = m["score"].astype(float).to_numpy() if "score" in m.columns else \
        np.ones(len(m))
    return pd.DataFrame({"entity_id": m["start_id"].to_numpy(), "sanction_id":
                         m["end_id"].to_numpy(), "score": score,
                         "hit": [f"{a} ({b} {c})" for a, b, c in zip(name, lst, lid)]})


def shared_identifier_groups(source: GraphTables | nx.MultiDiGraph | Sharing,
                             rel_types: tuple[str, ...],
                             entity_labels: tuple[str, ...] = ("Person", "Company"),
                             min_members: int = 2, max_members: int = 20,
                             exclude_rel: str | None = None) -> dict[str, set[str]]:
    """Identifier value → entity keys reaching it by ``rel_types``, for groups whose size is
    within [min_members, max_members]. With ``exclude_rel``, an entity counts only when it
    does not also reach the identifier by that type (laptop farms: SHIPS_TO, not LIVES_AT).

    This is the in-process twin of the ``rings/shared_*`` Cypher pack queries.
    """
    sharing = source if isinstance(source, Sharing) else sharing_table(source)
    t = sharing.table
    picked = t[t["type"].isin(rel_types) & t["entity_label"].isin(entity_labels)]
    if exclude_rel:
        excluded = t.loc[t["type"] == exclude_rel, ["entity_id", "ident_id"]]
        both = picked.merge(excluded.assign(_x=True), on=["entity_id", "ident_id"],
                            how="left")
        picked = picked[both["_x"].isna().to_numpy()]
    groups = picked.groupby("value")["entity"].agg(lambda s: set(s))
    sizes = groups.map(len)
    groups = groups[(sizes >= min_members) & (sizes <= max_members)]
    return dict(groups.items())


__all__ = ["ENTITY_LABELS", "IDENTIFIER_LABELS", "SHARING_COLUMNS", "Sharing", "as_tables",
           "label_codes", "node_column", "node_index", "node_positions",
           "sanction_hits",
           "shared_identifier_groups", "sharing_table"]

