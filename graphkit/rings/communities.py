"""Rings as groups of linked entities: connected components of the link matrix
(``scipy.sparse.csgraph``); components larger than ``max_ring`` are split into Leiden
communities (``leidenalg`` on ``igraph``, seeded, so the same data gives the same rings)."""

from __future__ import annotations

import igraph as ig
import leidenalg
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components


def _leiden(matrix: csr_matrix, nodes: np.ndarray, seed: int) -> list[np.ndarray]:
    sub = matrix[nodes][:, nodes].tocoo()
    keep = sub.row < sub.col
    graph = ig.Graph(n=len(nodes), edges=np.c_[sub.row[keep], sub.col[keep]].tolist())
    part = leidenalg.find_partition(graph, leidenalg.ModularityVertexPartition,
                                    weights=sub.data[keep].tolist(), seed=seed)
    return [nodes[np.array(c, dtype=np.int64)] for c in part if c]


def communities(matrix: csr_matrix, max_ring: int, seed: int) -> list[np.ndarray]:
    """Groups (arrays of row indices) of two or more linked entities."""
    _, label = connected_components(matrix, directed=False)
    order = np.argsort(label, kind="stable")
    sizes = np.bincount(label)
    ends = np.cumsum(sizes)
    starts = ends - sizes
    big = np.flatnonzero(sizes >= 2)  # no array made per lone entity
    out: list[np.ndarray] = []
    # a stable sort by component: each component's rows ascending already
    todo = [(order[a:b], True) for a, b in zip(starts[big].tolist(), ends[big].tolist())]
    while todo:
        group, ascending = todo.pop()
        if len(group) <= max_ring:
            out.append(group if ascending else np.sort(group))
            continue
        parts = _leiden(matrix, group, seed)
        if len(parts) <= 1:
            out.append(group if ascending else np.sort(group))
            continue
        todo.extend((p, False) for p in parts if len(p) >= 2)
    return out


__all__ = ["communities"]
