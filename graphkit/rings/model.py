"""Ring objects and the analyst API: evidence, a ring (members, evidence, score, its
neighbourhood as networkx built on demand from the tables), and the ranked list."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pandas as pd

from graphkit.graph.tables import GraphTables, graph_from_tables
from graphkit.rings.sharing import node_positions
from graphkit.schema import Label, Rel

RING_COLUMNS = ("ring_id", "rank", "score", "points", "n_members", "members", "names",
                "patterns", "evidence")
#: Points at which a ring's score reaches 50 (see :func:`score_of`).
HALF_SCORE_POINTS = 16.0


def score_of(points: float) -> float:
    """The 0–100 score of a ring's evidence points: ``100 · (1 − 2^(−points / 16))``:
    16 points (one finding seen once in 65,000 people) score 50, 32 score 75, 48 score 88."""
    return round(100.0 * (1.0 - 2.0 ** (-max(points, 0.0) / HALF_SCORE_POINTS)), 1)


@dataclass(frozen=True)
class Evidence:
    """One named finding: its pattern, its weight in points, what it says, what explains it
    away (if anything), and the identifiers, entities and records behind it."""

    pattern: str
    weight: float
    description: str
    identifiers: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    records: tuple[str, ...] = ()
    explained: str = ""

    def to_dict(self) -> dict:
        """The fields as a plain dict (as ``dataclasses.asdict``, without its deep copy)."""
        return {"pattern": self.pattern, "weight": self.weight,
                "description": self.description, "identifiers": self.identifiers,
                "entities": self.entities, "records": self.records,
                "explained": self.explained}

    def text(self) -> str:
        """One line: pattern, points, finding, and its benign explanation."""
        why = f" [explained: {self.explained}]" if self.explained else ""
        return f"{self.pattern} (+{self.weight:g}): {self.description}{why}"


class RingContext:
    """What a ring needs to show itself: the graph's tables and key lookups (made on first
    use, over entities, identifiers and sanctions entries only: no lookup per record)."""

    def __init__(self, tables: GraphTables) -> None:
        self.tables = tables
        self._lookup: tuple[pd.Index, np.ndarray] | None = None
        self._names: dict[str, str] | None = None
        self._starts: np.ndarray | None = None

    def _keys(self) -> tuple[pd.Index, np.ndarray]:
        """Keys of the nodes that are not records, and their rows in the node table."""
        if self._lookup is None:
            nodes = self.tables.nodes
            rows = np.flatnonzero((nodes["label"] != Label.RECORD.value).to_numpy(bool))
            keys = nodes["key"].iloc[rows].to_numpy(dtype=object)
            self._lookup = (pd.Index(keys), rows)
        return self._lookup

    @property
    def name_of(self) -> dict[str, str]:
        """Entity key → display name (the key when it has none)."""
        if self._names is None:
            nodes = self.tables.nodes
            index, rows = self._keys()
            names = nodes["name"].iloc[rows].to_numpy(dtype=object) if "name" in \
                nodes.columns else index.to_numpy()
            self._names = {k: (n if isinstance(n, str) else k)
                           for k, n in zip(index.tolist(), names.tolist())}
        return self._names

    def _rows_from(self, ids: np.ndarray) -> np.ndarray:
        """Rows of the relationships starting at ``ids`` (ascending)."""
        rels = self.tables.relationships
        if self._starts is None:
            starts = rels["start_id"].to_numpy(np.int64)
            self._starts = starts if bool((np.diff(starts) >= 0).all()) else np.zeros(0)
        if len(self._starts) != len(rels):  # not sorted by start: scan
            return np.flatnonzero(rels["start_id"].isin(ids).to_numpy())
        low = np.searchsorted(self._starts, ids, "left")
        high = np.searchsorted(self._starts, ids, "right")
        return np.sort(np.concatenate([np.arange(a, b) for a, b in zip(low, high)] or
                                      [np.zeros(0, np.int64)]))

    def neighbourhood(self, keys: set[str]) -> nx.MultiDiGraph:
        """The nodes ``keys`` and the sanctions entries they match, with every relationship
        among them, as a networkx ``MultiDiGraph``."""
        rels, nodes = self.tables.relationships, self.tables.nodes
        index, rows = self._keys()
        found = index.get_indexer(sorted(keys))
        ids = np.unique(nodes["node_id"].to_numpy(np.int64)[rows[found[found >= 0]]])
        out = self._rows_from(ids)
        matches = out[(rels["type"].iloc[out] == Rel.MATCHES.value).to_numpy(bool)]
        ids = np.union1d(ids, rels["end_id"].to_numpy(np.int64)[matches])
        out = self._rows_from(ids)
        out = out[np.isin(rels["end_id"].to_numpy(np.int64)[out], ids)]
        at = node_positions(self.tables, ids)
        sub_nodes = nodes.iloc[np.sort(at[at >= 0])]
        return graph_from_tables(GraphTables(sub_nodes, rels.iloc[out]))


@dataclass
class Ring:
    """A ring: its members (entity keys), its evidence and score."""

    ring_id: str
    members: list[str]
    context: RingContext = field(repr=False)
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def points(self) -> float:
        """Evidence points: the sum of the evidence weights."""
        return round(sum(e.weight for e in self.evidence), 2)

    @property
    def score(self) -> float:
        """Risk score 0–100 (:func:`score_of` of the points)."""
        return score_of(self.points)

    @property
    def names(self) -> list[str]:
        """Display names of the members."""
        return [str(self.context.name_of.get(m, m)) for m in self.members]

    @property
    def graph(self) -> nx.MultiDiGraph:
        """The ring's neighbourhood (same as :meth:`subgraph`)."""
        return self.subgraph()

    def subgraph(self) -> nx.MultiDiGraph:
        """Members, the identifiers in their evidence, and their sanctions matches."""
        keep = set(self.members)
        for item in self.evidence:
            keep.update(item.identifiers)
            keep.update(item.entities)
        return self.context.neighbourhood(keep)


class Rings:
    """Rings ranked by evidence points (highest first), numbered ``R0001``…"""

    def __init__(self, rings: list[Ring], hubs: dict[str, int]) -> None:
        self.rings = sorted(rings, key=lambda r: (-r.points, -len(r.members), r.members[0]))
        for rank, ring in enumerate(self.rings, start=1):
            ring.ring_id = f"R{rank:04d}"
        self.hubs = hubs

    def __len__(self) -> int:
        return len(self.rings)

    def __iter__(self) -> Iterator[Ring]:
        return iter(self.rings)

    def top(self, k: int = 10) -> list[Ring]:
        """The ``k`` highest-scoring rings."""
        return self.rings[:k]

    def to_pandas(self) -> pd.DataFrame:
        """One row per ring (``RING_COLUMNS``); evidence as readable text."""
        rows = [{
            "ring_id": r.ring_id, "rank": i, "score": r.score, "points": r.points,
            "n_members": len(r.members), "members": ";".join(r.members),
            "names": ";".join(r.names),
            "patterns": ";".join(sorted({e.pattern for e in r.evidence if e.weight > 0})),
            "evidence": " | ".join(e.text() for e in r.evidence),
        } for i, r in enumerate(self.rings, start=1)]
        return pd.DataFrame(rows, columns=list(RING_COLUMNS))

    def to_json(self) -> list[dict]:
        """Rings with structured evidence, for ``rings.json``."""
        return [{"ring_id": r.ring_id, "rank": i, "score": r.score, "points": r.points,
                 "members": r.members, "names": r.names,
                 "evidence": [e.to_dict() for e in r.evidence]}
                for i, r in enumerate(self.rings, start=1)]


__all__ = ["HALF_SCORE_POINTS", "RING_COLUMNS", "Evidence", "Ring", "RingContext", "Rings",
           "score_of"]
