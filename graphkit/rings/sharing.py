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

from graphkit.graph.tables import GraphTables, tables_from_graph
from graphkit.schema import ID_LABEL, Label, Rel

ENTITY_LABELS = frozenset({Label.PERSON.value, Label.COMPANY.value})
IDENTIFIER_LABELS = frozenset(label.value for label in ID_LABEL.values())
SHARING_COLUMNS = ("entity_id", "entity", "entity_label", "ident_id", "ident", "ident_label",
                   "value", "type", "records", "n_entities")


def as_tables(source: GraphTables | nx.MultiDiGraph) -> GraphTables:
    """``source`` as tables (a networkx graph is converted)."""
    return source if isinstance(source, GraphTables) else tables_from_graph(source)


def node_column(tables: GraphTables, column: str) -> pd.Series:
    """A node property indexed by ``node_id`` (null where absent), kept with the tables
    after the first call (the tables are read-only to every stage)."""
    cache = tables.__dict__.setdefault("_node_columns", {})
    if column not in cache:
        nodes = tables.nodes
        index = nodes["node_id"].to_numpy()
        cache[column] = pd.Series(nodes[column].to_numpy(dtype=object), index=index) \
            if column in nodes.columns else pd.Series(None, index=index, dtype=object)
    return cache[column]


@dataclass
class Sharing:
    """The sharing table (``SHARING_COLUMNS``) of one graph and the graph's tables."""

    table: pd.DataFrame
    tables: GraphTables

    def sizes(self) -> pd.Series:
        """``n_entities`` per identifier node id."""
        return self.table.drop_duplicates("ident_id").set_index("ident_id")["n_entities"]

    def shared(self, max_share: int) -> pd.DataFrame:
        """Rows of identifiers shared by 2 to ``max_share`` entities (hubs left out)."""
        n = self.table["n_entities"]
        return self.table[(n >= 2) & (n <= max_share)]

    def hubs(self, max_share: int) -> pd.DataFrame:
        """Identifiers shared by more than ``max_share`` entities: key, label, kind, count."""
        rows = self.table[self.table["n_entities"] > max_share].drop_duplicates("ident_id")
        kind = node_column(self.tables, "kind")
        return pd.DataFrame({"identifier": rows["ident"].to_numpy(),
                             "label": rows["ident_label"].to_numpy(),
                             "kind": kind.reindex(rows["ident_id"]).fillna("").to_numpy(),
                             "entities": rows["n_entities"].to_numpy()})


def sharing_table(source: GraphTables | nx.MultiDiGraph) -> Sharing:
    """Every entity → identifier relationship with the identifier's sharing count."""
    tables = as_tables(source)
    rels = tables.relationships
    label = node_column(tables, "label")
    start_label = label.reindex(rels["start_id"]).to_numpy()
    end_label = label.reindex(rels["end_id"]).to_numpy()
    keep = np.isin(start_label, list(ENTITY_LABELS)) & np.isin(end_label,
                                                               list(IDENTIFIER_LABELS))
    picked = rels[keep]
    records = picked["records"] if "records" in picked.columns else \
        pd.Series([[]] * len(picked), index=picked.index, dtype=object)
    value = node_column(tables, "value").reindex(picked["end_id"]).to_numpy()
    table = pd.DataFrame({
        "entity_id": picked["start_id"].to_numpy(np.int64),
        "entity": picked["start"].to_numpy(),
        "entity_label": start_label[keep],
        "ident_id": picked["end_id"].to_numpy(np.int64),
        "ident": picked["end"].to_numpy(),
        "ident_label": end_label[keep],
        "value": np.where(pd.isna(value), picked["end"].to_numpy(), value),
        "type": picked["type"].to_numpy(),
        "records": records.to_numpy(),
    })
    counts = table.drop_duplicates(["ident_id", "entity_id"]).groupby("ident_id").size()
    table["n_entities"] = counts.reindex(table["ident_id"]).to_numpy(np.int64)
    return Sharing(table.reset_index(drop=True), tables)


def entity_records(tables: GraphTables) -> pd.DataFrame:
    """``entity_id``, ``record_id`` of the people and company records resolved to each
    entity (RESOLVED_TO from a Record node)."""
    rels = tables.relationships
    resolved = rels[rels["type"] == Rel.RESOLVED_TO.value]
    kind = node_column(tables, "kind").reindex(resolved["start_id"]).to_numpy()
    keep = np.isin(kind, ["people", "companies"])
    record = node_column(tables, "record_id").reindex(resolved["start_id"]).to_numpy()
    return pd.DataFrame({"entity_id": resolved["end_id"].to_numpy()[keep],
                         "record_id": record[keep].astype(str)})


def sanction_hits(tables: GraphTables) -> pd.DataFrame:
    """``entity_id``, ``sanction_id``, ``score``, ``hit`` text of MATCHES edges to Sanction
    nodes."""
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
           "entity_records", "node_column", "sanction_hits",
           "shared_identifier_groups", "sharing_table"]

