"""A neighbourhood of some nodes as a networkx graph, built from the tables on demand.

Breadth-first over the relationship arrays (each hop is a few vectorised passes over the
relationships, so a neighbourhood costs about the same on any size of build). Hubs — any
node other than a seed joined to more than ``max_share`` distinct people and companies: an
employer paying thousands, a carrier's IP, a shared office address — are set aside by
default: they are neither kept nor walked through, and are listed in the graph's
``excluded_hubs`` attribute (key → entities joined) so nothing is hidden silently.
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx
import numpy as np

from graphkit.graph.index import GraphIndex
from graphkit.graph.tables import GraphTables, graph_from_tables
from graphkit.settings import DEFAULT_SETTINGS


def entity_degree(index: GraphIndex, ids: np.ndarray) -> np.ndarray:
    """For each node of ``ids``: the distinct people and companies it is joined to (records
    not counted)."""
    inside = index.mask(ids)
    start, end = index.links
    out_side = inside[start] & index.is_entity[end]
    in_side = inside[end] & index.is_entity[start]
    node = np.concatenate([start[out_side], end[in_side]])
    other = np.concatenate([end[out_side], start[in_side]])
    pairs = np.unique(node * np.int64(index.size) + other)
    found, counts = np.unique(pairs // np.int64(index.size), return_counts=True)
    out = np.zeros(len(ids), dtype=np.int64)
    at = np.searchsorted(found, ids)
    hit = (at < len(found)) & (found[np.minimum(at, len(found) - 1)] == ids) \
        if len(found) else np.zeros(len(ids), dtype=bool)
    out[hit] = counts[at[hit]]
    return out


def _step(index: GraphIndex, frontier: np.ndarray) -> np.ndarray:
    """Nodes one relationship (not RESOLVED_TO) away from ``frontier``."""
    inside = index.mask(frontier)
    start, end = index.links
    return np.unique(np.concatenate([end[inside[start]], start[inside[end]]]))


def neighbourhood_ids(index: GraphIndex, seeds: np.ndarray, hops: int = 2,
                      max_share: int | None = DEFAULT_SETTINGS.max_identifier_share,
                      records: bool = False
                      ) -> tuple[np.ndarray, dict[int, int]]:
    """Node ids within ``hops`` relationships of ``seeds`` and the hubs set aside (id →
    entities joined); ``max_share=None`` keeps hubs. Records (RESOLVED_TO) are added as
    leaves of the entities kept when ``records`` is true; they are never walked through."""
    if hops < 0:
        raise ValueError(f"hops must be 0 or more, not {hops}")
    kept = index.mask(seeds)
    frontier = np.unique(seeds)
    hubs: dict[int, int] = {}
    for _ in range(hops):
        found = _step(index, frontier)
        found = found[~kept[found]]
        if max_share is not None and len(found):
            degree = entity_degree(index, found)
            big = degree > max_share
            hubs.update(zip(found[big].tolist(), degree[big].tolist()))
            found = found[~big]
        if not len(found):
            break
        kept[found] = True
        frontier = found
    ids = np.flatnonzero(kept)
    if records:
        entities = ids[index.is_entity[ids]]
        inside = index.mask(entities)
        resolved = index.resolved & inside[index.end]
        ids = np.union1d(ids, index.start[resolved])
    return ids, hubs


def subgraph(index: GraphIndex, ids: np.ndarray) -> nx.MultiDiGraph:
    """The nodes ``ids`` and every relationship among them as a networkx graph."""
    inside = index.mask(ids)
    rels = index.tables.relationships
    among = inside[index.start] & inside[index.end]
    return graph_from_tables(GraphTables(index.nodes(ids), rels[among]))


def neighbourhood(index: GraphIndex, keys: Iterable[str], hops: int = 2,
                  max_share: int | None = DEFAULT_SETTINGS.max_identifier_share,
                  records: bool = False) -> nx.MultiDiGraph:
    """The neighbourhood of the nodes ``keys`` (see the module docstring) as an
    ``nx.MultiDiGraph``; ``graph.graph['excluded_hubs']`` maps each hub set aside to the
    number of entities it joins. Unknown keys raise ``KeyError``."""
    keys = list(keys)
    missing = [k for k in keys if k not in index.id_of.index]
    if missing:
        raise KeyError(f"not in this build: {', '.join(map(str, missing[:5]))}"
                       + (f" and {len(missing) - 5} more" if len(missing) > 5 else ""))
    ids, hubs = neighbourhood_ids(index, index.ids(keys), hops, max_share, records)
    graph = subgraph(index, ids)
    hub_ids = np.array(sorted(hubs), dtype=np.int64)
    graph.graph["excluded_hubs"] = {str(k): hubs[h] for k, h in
                                    zip(index.key(hub_ids).tolist(), hub_ids.tolist())}
    graph.graph["seeds"] = sorted(keys)
    graph.graph["hops"] = hops
    return graph


__all__ = ["entity_degree", "neighbourhood", "neighbourhood_ids", "subgraph"]
