"""First shared-identifier clusters: connected components over entities and identifiers.

Two entities fall in one cluster when a chain of shared identifiers (account, device, IP,
phone, email, address, document) joins them. Identifiers shared by more than
``max_share`` entities (a corporate office, a carrier NAT address, a payroll provider's
account) are hubs: they are set aside and reported, so they cannot glue thousands of
innocent people together.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import pandas as pd

from graphkit.schema import CLUSTER_REPORT_COLUMNS, ID_LABEL, Label, Rel

#: Default: identifiers shared by more entities than this are treated as hubs.
DEFAULT_MAX_SHARE = 20

ENTITY_LABELS = frozenset({Label.PERSON.value, Label.COMPANY.value})
IDENTIFIER_LABELS = frozenset(label.value for label in ID_LABEL.values())
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
    """Entities pointing to each identifier node."""
    sharing: dict[str, set[str]] = {}
    for node, attrs in graph.nodes(data=True):
        if attrs.get("label") in IDENTIFIER_LABELS:
            sharing[node] = {src for src in graph.predecessors(node)
                             if graph.nodes[src].get("label") in ENTITY_LABELS}
    return sharing


def shared_identifier_clusters(graph: nx.MultiDiGraph,
                               max_share: int = DEFAULT_MAX_SHARE) -> ClusterResult:
    """Connected components of two or more entities joined by non-hub shared identifiers."""
    sharing = identifier_sharing(graph)
    hubs = {n: e for n, e in sharing.items() if len(e) > max_share}
    links = nx.Graph()
    for node, entities in sharing.items():
        if node in hubs or len(entities) < 2:
            continue
        for entity in entities:
            links.add_edge(node, entity)
    rows = []
    components = [sorted(n for n in c if n not in sharing)
                  for c in nx.connected_components(links)]
    components.sort(key=lambda members: (-len(members), members[0]))
    for number, members in enumerate(components, start=1):
        shared = _shared_in(links, members, sharing)
        rows.append(_cluster_row(graph, f"C{number:05d}", members, shared, sharing))
    clusters = pd.DataFrame(rows, columns=list(CLUSTER_REPORT_COLUMNS))
    hub_rows = sorted(((n, graph.nodes[n]["label"], graph.nodes[n].get("kind", ""), len(e))
                       for n, e in hubs.items()), key=lambda r: (-r[3], r[0]))
    return ClusterResult(clusters, pd.DataFrame(hub_rows, columns=list(HUB_COLUMNS)), max_share)


def _shared_in(links: nx.Graph, members: list[str], sharing: dict[str, set[str]]) -> list[str]:
    found = {ident for m in members for ident in links.neighbors(m)}
    return sorted(found, key=lambda n: (-len(sharing[n]), n))


def _cluster_row(graph: nx.MultiDiGraph, cluster_id: str, members: list[str],
                 shared: list[str], sharing: dict[str, set[str]]) -> dict:
    records = sorted(
        graph.nodes[src]["record_id"]
        for m in members for src, _, key in graph.in_edges(m, keys=True)
        if key == Rel.RESOLVED_TO.value and graph.nodes[src]["kind"] in ("people", "companies")
    )
    hits = sorted({
        f"{graph.nodes[dst]['name']} ({graph.nodes[dst]['list']} {graph.nodes[dst]['list_id']})"
        for m in members for _, dst, key in graph.out_edges(m, keys=True)
        if key == Rel.MATCHES.value
    })
    return {
        "cluster_id": cluster_id,
        "size": len(members),
        "n_records": len(records),
        "members": ";".join(members),
        "names": ";".join(graph.nodes[m].get("name", "") for m in members),
        "shared_identifiers": ";".join(f"{n} ({len(sharing[n])})" for n in shared),
        "sanctions_hits": ";".join(hits),
        "record_ids": ";".join(records),
    }


def shared_identifier_groups(graph: nx.MultiDiGraph, rel_types: tuple[str, ...],
                             entity_labels: tuple[str, ...] = ("Person", "Company"),
                             min_members: int = 2, max_members: int = DEFAULT_MAX_SHARE,
                             exclude_rel: str | None = None) -> dict[str, set[str]]:
    """Identifier value → entity ids reaching it by ``rel_types``, for groups whose size is
    within [min_members, max_members]. With ``exclude_rel``, an entity counts only when it
    does not also reach the identifier by that type (laptop farms: SHIPS_TO, not LIVES_AT).

    This is the in-process twin of the ``rings/shared_*`` Cypher pack queries.
    """
    groups: dict[str, set[str]] = {}
    for src, dst, key in graph.edges(keys=True):
        if key not in rel_types or graph.nodes[src].get("label") not in entity_labels:
            continue
        if exclude_rel and graph.has_edge(src, dst, key=exclude_rel):
            continue
        groups.setdefault(graph.nodes[dst]["value"], set()).add(src)
    return {value: members for value, members in groups.items()
            if min_members <= len(members) <= max_members}
