"""First shared-identifier clusters: connected components over entities and identifiers.

Two entities fall in one cluster when a chain of shared identifiers (account, device, IP,
phone, email, address, document) joins them. Identifiers shared by more than
``max_share`` entities (a corporate office, a carrier NAT address, a payroll provider's
account) are hubs: they are set aside and reported, so they cannot glue thousands of
innocent people together. Computed on the sharing table (``graphkit.rings.sharing``):
components with ``scipy.sparse.csgraph``, rows with group-bys.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from graphkit.graph.tables import GraphTables
from graphkit.intcodes import ascending, sorted_positions
from graphkit.rings.grouped import joined
from graphkit.rings.records import resolved_of
from graphkit.rings.sharing import (
    ENTITY_LABELS,
    IDENTIFIER_LABELS,
    Sharing,
    node_positions,
    node_values,
    sanction_hits,
    shared_identifier_groups,
    sharing_table,
    take_rows,
)
from graphkit.schema import CLUSTER_REPORT_COLUMNS

#: Default: identifiers shared by more entities than this are treated as hubs (the
#: build's value comes from ``Settings.max_identifier_share``).
DEFAULT_MAX_SHARE = 20

HUB_COLUMNS = ("identifier", "label", "kind", "entities")


@dataclass
class ClusterResult:
    """Clusters (``schema.CLUSTER_REPORT_COLUMNS``), the hubs set aside, and the threshold."""

    clusters: pd.DataFrame
    hubs: pd.DataFrame
    max_share: int

    def members(self) -> dict[str, list[str]]:
        """``cluster_id → entity ids``."""
        return {c: m.split(";") for c, m in zip(self.clusters["cluster_id"],
                                                self.clusters["members"])}


def identifier_sharing(graph: nx.MultiDiGraph) -> dict[str, set[str]]:
    """Entities pointing to each identifier node (networkx view, for analysts)."""
    t = sharing_table(graph).table
    out = {ident: set(group) for ident, group in t.groupby("ident")["entity"]}
    for node, attrs in graph.nodes(data=True):
        if attrs.get("label") in IDENTIFIER_LABELS:
            out.setdefault(node, set())
    return out


def shared_identifier_clusters(source: GraphTables | nx.MultiDiGraph | Sharing,
                               max_share: int = DEFAULT_MAX_SHARE) -> ClusterResult:
    """Connected components of two or more entities joined by non-hub shared identifiers."""
    sharing = source if isinstance(source, Sharing) else sharing_table(source)
    tables = sharing.tables
    shared = sharing.shared(max_share)
    # a pair reached by two types is two rows: the repeated edge changes no component
    entities, ent_index = _sorted_codes(shared["entity_id"].to_numpy(np.int64))
    idents, id_index = _sorted_codes(shared["ident_id"].to_numpy(np.int64))
    n = len(entities) + len(idents)
    matrix = coo_matrix((np.ones(len(shared), dtype=np.int8),
                         (ent_index, len(entities) + id_index)), shape=(n, n))
    _, comp = connected_components(matrix, directed=False)
    keys = node_values(tables, "key", entities)
    names = node_values(tables, "name", entities)
    members = pd.DataFrame({"entity_id": entities, "comp": comp[:len(entities)],
                            "key": keys.astype(str).to_numpy(),
                            "name": names.fillna("").astype(str).to_numpy()})
    if pd.Index(members["key"]).is_monotonic_increasing:  # ids in key order (the tables'
        # contract): a stable sort by component keeps the keys in order within each one
        members = members.iloc[np.argsort(members["comp"].to_numpy(), kind="stable")]
    else:
        members = members.sort_values(["comp", "key"])
    grouped = members.groupby("comp", sort=False)
    comps = members["comp"].to_numpy()
    frame = pd.DataFrame({"size": grouped.size(), "first": grouped["key"].first(),
                          "members": joined(comps, members["key"]),
                          "names": joined(comps, members["name"])})
    frame = frame.sort_values(["size", "first"], ascending=[False, True])
    frame["cluster_id"] = [f"C{i:05d}" for i in range(1, len(frame) + 1)]

    def comp_of(ids: pd.Series) -> np.ndarray:
        """The component of each entity id (NaN for entities in no cluster)."""
        at = sorted_positions(entities, ids.to_numpy(np.int64))  # entities: sorted
        return np.where(at >= 0, comp[np.maximum(at, 0)] if len(entities) else 0, np.nan)

    ident_comp, ident_text = _identifier_texts(tables, idents, id_index,
                                               shared["n_entities"].to_numpy(np.int64),
                                               comp[len(entities):])
    frame["shared_identifiers"] = joined(ident_comp, ident_text)
    recs = _cluster_records(tables, entities, comp)
    recs = recs.sort_values("record_id")
    frame["record_ids"] = joined(recs["comp"].to_numpy(np.int64), recs["record_id"])
    frame["n_records"] = recs.groupby(recs["comp"].astype(np.int64)).size()
    hits = sanction_hits(tables)
    hits = hits.assign(comp=comp_of(hits["entity_id"])).dropna()
    hit_text = joined(hits["comp"].to_numpy(np.int64), hits["hit"], distinct_sorted=True)
    frame["sanctions_hits"] = hit_text
    for column in ("record_ids", "sanctions_hits", "shared_identifiers"):
        if not frame[column].notna().any():  # no rows at all: a float column of NaN
            frame[column] = pd.Series("", index=frame.index, dtype="str")
    frame = frame.fillna({"record_ids": "", "sanctions_hits": "", "n_records": 0,
                          "shared_identifiers": ""})
    frame["n_records"] = frame["n_records"].astype(int)
    clusters = frame.reset_index(drop=True)[list(CLUSTER_REPORT_COLUMNS)]
    hubs = sharing.hubs(max_share).sort_values(["entities", "identifier"],
                                               ascending=[False, True])
    return ClusterResult(clusters, hubs.reset_index(drop=True)[list(HUB_COLUMNS)], max_share)


def _sorted_codes(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(ids, return_inverse=True)``; without a sort when ``ids`` are
    ascending already (the shared rows' entities, in relationship order)."""
    if len(ids) and ascending(ids):
        head = np.r_[True, ids[1:] != ids[:-1]]
        return ids[head], np.cumsum(head) - 1
    return np.unique(ids, return_inverse=True)


def _identifier_texts(tables: GraphTables, idents: np.ndarray, id_index: np.ndarray,
                      n_entities: np.ndarray, ident_comp: np.ndarray
                      ) -> tuple[np.ndarray, pd.Series]:
    """Per shared identifier (``idents``: sorted ids; ``ident_comp``: each one's
    component), ordered by component, sharing count (descending) and key: the component
    and the text ``key (count)``. The keys are gathered once, in id order; where they
    ascend with the ids (the tables' contract), the order is one integer lexsort, not a
    sort of the key strings."""
    count = np.zeros(len(idents), dtype=np.int64)
    count[id_index] = n_entities  # every row of an identifier carries its count
    at = node_positions(tables, idents)
    keys = take_rows(tables.nodes["key"], at).cast(pa.string()) \
        if "key" in tables.nodes.columns and len(at) and int(at.min()) >= 0 else None
    if keys is not None and keys.null_count == 0 and (
            len(keys) < 2 or pc.all(pc.less(keys[:-1], keys[1:])).as_py()):
        order = np.lexsort((-count, ident_comp))  # stable: ids (= keys) ascend in a tie
        text = pc.binary_join_element_wise(
            keys.take(pa.array(order)),
            pc.binary_join_element_wise(pc.cast(pa.array(count[order]), pa.string()),
                                        "", ")"), " (")
        return ident_comp[order], pd.Series(pd.arrays.ArrowExtensionArray(text))
    rows = pd.DataFrame({"ident_id": idents, "n_entities": count, "comp": ident_comp})
    rows["ident"] = node_values(tables, "key", idents).to_numpy()
    rows = rows.sort_values(["comp", "n_entities", "ident"], ascending=[True, False, True])
    return rows["comp"].to_numpy(), \
        rows["ident"] + " (" + rows["n_entities"].astype(str) + ")"


def _cluster_records(tables: GraphTables, entities: np.ndarray, comp: np.ndarray
                     ) -> pd.DataFrame:
    """``entity_id``, ``record_id`` (text) and ``comp`` of the people and company records
    resolved to the clusters' ``entities`` (sorted), in relationship order: the record
    ids of those records only are gathered (not one string per record of the build)."""
    res = resolved_of(tables, ["people", "companies"])
    at = sorted_positions(entities, res["entity_id"].to_numpy(np.int64))
    inside = np.flatnonzero(at >= 0)
    record = node_values(tables, "record_id", res["record"].to_numpy(np.int64)[inside])
    return pd.DataFrame({
        "entity_id": res["entity_id"].to_numpy(np.int64)[inside],
        "record_id": record.to_numpy(dtype=object).astype(str),
        "comp": comp[at[inside]].astype(np.float64)}, index=inside)


__all__ = ["DEFAULT_MAX_SHARE", "ENTITY_LABELS", "HUB_COLUMNS", "IDENTIFIER_LABELS",
           "ClusterResult", "identifier_sharing", "shared_identifier_clusters",
           "shared_identifier_groups"]
