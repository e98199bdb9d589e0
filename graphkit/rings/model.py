"""Ring objects and the analyst API: evidence, a ring (members, evidence, score, its
neighbourhood as networkx built on demand from the tables), and the ranked list."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

import networkx as nx
import numpy as np
import pandas as pd

from graphkit.graph.tables import GraphTables, graph_from_tables
from graphkit.schema import Rel

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

    def text(self) -> str:
        """One line: pattern, points, finding, and its benign explanation."""
        why = f" [explained: {self.explained}]" if self.explained else ""
        return f"{self.pattern} (+{self.weight:g}): {self.description}{why}"


class RingContext:
    """What a ring needs to show itself: the graph's tables and key lookups."""

    def __init__(self, tables: GraphTables) -> None:
        self.tables = tables
        nodes = tables.nodes
        self.id_of = pd.Series(nodes["node_id"].to_numpy(), index=nodes["key"].to_numpy())
        keys = nodes["key"].to_numpy(dtype=object)
        names = nodes["name"].to_numpy(dtype=object) if "name" in nodes.columns else keys
        self.name_of = {k: (n if isinstance(n, str) else k)
                        for k, n in zip(keys.tolist(), names.tolist())}
        self._ends: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def neighbourhood(self, keys: set[str]) -> nx.MultiDiGraph:
        """The nodes ``keys`` and the sanctions entries they match, with every relationship
        among them, as a networkx ``MultiDiGraph``."""
        rels, nodes = self.tables.relationships, self.tables.nodes
        if self._ends is None:  # once: masks in numpy, then one take of the rows kept
            self._ends = (rels["start_id"].to_numpy(np.int64), rels["end_id"].to_numpy(np.int64),
                          (rels["type"] == Rel.MATCHES.value).to_numpy(bool))
        start, end, is_match = self._ends
        ids = self.id_of.reindex(sorted(keys)).dropna().to_numpy(np.int64)
        ids = np.union1d(ids, end[is_match & np.isin(start, ids)])
        sub_rels = rels.iloc[np.flatnonzero(np.isin(start, ids) & np.isin(end, ids))]
        sub_nodes = nodes.iloc[np.flatnonzero(np.isin(nodes["node_id"].to_numpy(), ids))]
        return graph_from_tables(GraphTables(sub_nodes, sub_rels))


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
                 "evidence": [asdict(e) for e in r.evidence]}
                for i, r in enumerate(self.rings, start=1)]


__all__ = ["HALF_SCORE_POINTS", "RING_COLUMNS", "Evidence", "Ring", "RingContext", "Rings",
           "score_of"]
