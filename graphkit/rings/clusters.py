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
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from graphkit.graph.tables import GraphTables
from graphkit.intcodes import sorted_positions
from graphkit.rings.grouped import joined
from graphkit.rings.records import entity_record_ids
from graphkit.rings.sharing import (
    ENTITY_LABELS,
    IDENTIFIER_LABELS,
    Sharing,
    node_values,
    sanction_hits,
    shared_identifier_groups,
    sharing_table,
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
    shared = sharing.shared(max_share)[["entity_id", "ident_id", "n_entities"]]
    shared = shared.drop_duplicates(["entity_id", "ident_id"])
    entities, ent_index = np.unique(shared["entity_id"].to_numpy(), return_inverse=True)
    idents, id_index = np.unique(shared["ident_id"].to_numpy(), return_inverse=True)
    n = len(entities) + len(idents)
    matrix = coo_matrix((np.ones(len(shared)), (ent_index, len(entities) + id_index)),
                        shape=(n, n))
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
        at = sorted_positions(entities, ids.to_numpy(np.int64))  # entities: np.unique's
        return np.where(at >= 0, comp[np.maximum(at, 0)] if len(entities) else 0, np.nan)

    idrows = sharing.with_text(shared.drop_duplicates("ident_id"), ("ident",))
    idrows = idrows.assign(comp=comp_of(idrows["entity_id"]).astype(comp.dtype))  # all in
    idrows = idrows.sort_values(["comp", "n_entities", "ident"], ascending=[True, False, True])
    ident_text = idrows["ident"] + " (" + idrows["n_entities"].astype(str) + ")"
    frame["shared_identifiers"] = joined(idrows["comp"].to_numpy(), ident_text)
    recs = entity_record_ids(tables)
    recs = recs.assign(comp=comp_of(recs["entity_id"])).dropna()
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


__all__ = ["DEFAULT_MAX_SHARE", "ENTITY_LABELS", "HUB_COLUMNS", "IDENTIFIER_LABELS",
           "ClusterResult", "identifier_sharing", "shared_identifier_clusters",
           "shared_identifier_groups"]
