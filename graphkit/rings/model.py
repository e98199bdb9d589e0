"""Ring objects and the analyst API: evidence, a ring (members, evidence, score, its
neighbourhood as networkx built on demand from the tables), and the ranked list."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

import networkx as nx
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graphkit.graph.assemble import arrow_chunks, take_rows
from graphkit.graph.index import GraphIndex
from graphkit.graph.neighbourhood import neighbourhood
from graphkit.graph.provenance import entities_of, records_of
from graphkit.graph.tables import GraphTables, graph_from_tables
from graphkit.intcodes import ascending
from graphkit.nightly.diff import evidence_text
from graphkit.nightly.ids import ring_content_id
from graphkit.rings.members import member_table
from graphkit.rings.sharing import node_positions
from graphkit.schema import Label, Rel
from graphkit.settings import DEFAULT_SETTINGS

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
        return evidence_text(self.to_dict())


def evidence_of(rows: Iterable[tuple]) -> list[Evidence]:
    """``[Evidence(*row) for row in rows]`` (every field given, in field order), made
    without the frozen constructor's one ``object.__setattr__`` call per field: the
    rings stage makes one per finding in a ring, hundreds of thousands at 1M people."""
    new, evidence = object.__new__, Evidence
    out = []
    for pattern, weight, description, identifiers, entities, records, explained in rows:
        item = new(evidence)
        item.__dict__.update(pattern=pattern, weight=weight, description=description,
                             identifiers=identifiers, entities=entities, records=records,
                             explained=explained)
        out.append(item)
    return out


class RingContext:
    """What a ring needs to show itself: the graph's tables and key lookups (made on first
    use, over entities, identifiers and sanctions entries only: no lookup per record), and
    the hub threshold (``max_share``: ``Settings.max_identifier_share`` of the build)."""

    def __init__(self, tables: GraphTables,
                 max_share: int = DEFAULT_SETTINGS.max_identifier_share) -> None:
        self.tables = tables
        self.max_share = max_share
        self._lookup: tuple[pd.Index, np.ndarray] | None = None
        self._names: dict[str, str] | None = None
        self._starts: np.ndarray | None = None
        #: keys looked up by ``member_names`` and the names found (a build asks twice)
        self._member_names: tuple[set[str], dict[str, str]] | None = None

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

    def ids_of(self, keys: list[str]) -> np.ndarray:
        """Node ids of ``keys`` (entities, identifiers, sanctions entries; unknown keys and
        record keys are left out), ascending."""
        index, rows = self._keys()
        found = index.get_indexer(list(keys))
        return np.unique(self.tables.nodes["node_id"].to_numpy(np.int64)[rows[found[found >= 0]]])

    def _rows_from(self, ids: np.ndarray) -> np.ndarray:
        """Rows of the relationships starting at ``ids`` (ascending)."""
        rels = self.tables.relationships
        if self._starts is None:
            starts = rels["start_id"].to_numpy(np.int64)
            self._starts = starts if ascending(starts) else np.zeros(0)
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
        ids = self.ids_of(sorted(keys))
        out = self._rows_from(ids)
        matches = out[(rels["type"].iloc[out] == Rel.MATCHES.value).to_numpy(bool)]
        ids = np.union1d(ids, rels["end_id"].to_numpy(np.int64)[matches])
        out = self._rows_from(ids)
        out = out[np.isin(rels["end_id"].to_numpy(np.int64)[out], ids)]
        at = node_positions(self.tables, ids)
        sub_nodes = nodes.iloc[np.sort(at[at >= 0])]
        return graph_from_tables(GraphTables(sub_nodes, rels.iloc[out]))

    @cached_property
    def index(self) -> GraphIndex:
        """Array lookups over the tables (built on first use)."""
        return GraphIndex(self.tables)


@dataclass
class Ring:
    """A ring: its members (entity keys), its evidence and score."""

    ring_id: str
    members: list[str]
    context: RingContext = field(repr=False)
    evidence: list[Evidence] = field(default_factory=list)
    #: display names of ``members`` when known already (else looked up in ``context``)
    member_names: list[str] | None = field(default=None, repr=False, compare=False)

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
        if self.member_names is not None and len(self.member_names) == len(self.members):
            return list(self.member_names)
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

    def members_df(self) -> pd.DataFrame:
        """One row per member: entity, label, name, roles, employers, total paid, first and
        last seen, records, sanctions status, and the findings naming it
        (``graphkit.rings.members.MEMBER_COLUMNS``)."""
        named: dict[str, list[str]] = defaultdict(list)
        for item in self.evidence:
            for entity in item.entities:
                named[entity].append(item.pattern)
        frame = member_table(self.context.index, self.members, named)
        frame.insert(0, "ring_id", self.ring_id)
        return frame

    def records_df(self, fields: bool = True) -> pd.DataFrame:
        """Every record of the members with its provenance (source, file, line: see
        ``graphkit.graph.provenance``), the findings citing it (``patterns``), then with
        ``fields`` the row's own values."""
        frame = records_of(self.context.index, self.members, fields)
        cited: dict[str, set[str]] = defaultdict(set)
        for item in self.evidence:
            for record in item.records:
                cited[record].add(item.pattern)
        frame.insert(0, "ring_id", self.ring_id)
        frame.insert(8, "patterns", ["; ".join(sorted(cited.get(str(r), ())))
                                     for r in frame["record_id"]])
        return frame

    def neighbourhood(self, hops: int = 2, exclude_hubs: bool = True,
                      records: bool = False) -> nx.MultiDiGraph:
        """The members and everything within ``hops`` relationships of them, as an
        ``nx.MultiDiGraph`` built from the tables. With ``exclude_hubs`` (the default),
        nodes joined to more than the build's ``max_identifier_share`` entities (big
        employers, carrier IPs, …) are set aside and listed in
        ``graph.graph['excluded_hubs']``; ``records`` adds the entities' records."""
        limit = self.context.max_share if exclude_hubs else None
        return neighbourhood(self.context.index, self.members, hops, limit, records)

    def draw(self) -> str:
        """The ring drawn as in report.html: SVG text."""
        from graphkit.report import ring_svg

        return ring_svg(self)

    def _repr_svg_(self) -> str:
        return self.draw()


class Rings:
    """Rings ranked by evidence points (highest first; the rank is a column). A ring's id
    is derived from its members (``nightly.ids.ring_content_id``), or carried over from a
    previous build by :meth:`carry_ids`, never from its rank."""

    def __init__(self, rings: list[Ring], hubs: dict[str, int]) -> None:
        self.rings = sorted(rings, key=lambda r: (-r.points, -len(r.members), r.members[0]))
        for ring in self.rings:
            ring.ring_id = ring_content_id(ring.members)
        self.hubs = hubs

    def carry_ids(self, ids: dict[int, str]) -> None:
        """Give the rings at the given positions (rank − 1) the given ids (a previous
        build's ids of the same rings); the others keep their content-derived ids."""
        taken = set(ids.values())
        for position, ring in enumerate(self.rings):
            if position in ids:
                ring.ring_id = ids[position]
            elif ring.ring_id in taken:  # an old id now naming another ring: never reuse
                ring.ring_id = ring_content_id([*ring.members, "#"])

    def __len__(self) -> int:
        return len(self.rings)

    def __iter__(self) -> Iterator[Ring]:
        return iter(self.rings)

    def top(self, k: int = 10) -> list[Ring]:
        """The ``k`` highest-scoring rings."""
        return self.rings[:k]

    def to_pandas(self) -> pd.DataFrame:
        """One row per ring (``RING_COLUMNS``); evidence as readable text."""
        return rings_frame([{"ring_id": r.ring_id, "rank": self.rank(r, i), "score": r.score,
                             "points": r.points, "members": r.members, "names": r.names,
                             "evidence": [e.to_dict() for e in r.evidence]}
                            for i, r in enumerate(self.rings, start=1)])

    @classmethod
    def ranked(cls, rings: list[Ring], hubs: dict[str, int],
               ranks: dict[str, int] | None = None) -> Rings:
        """Rings already in rank order with their ids, kept as they are; ``ranks`` gives
        each ring id's rank when it is not its position (a filtered list)."""
        out = cls.__new__(cls)
        out.rings = list(rings)
        out.hubs = hubs
        out._ranks = dict(ranks or {})
        return out

    def rank(self, ring: Ring, position: int) -> int:
        """The rank of ``ring`` among all the build's rings (its 1-based ``position`` in
        this list unless this list was filtered from a longer one)."""
        return self.__dict__.get("_ranks", {}).get(ring.ring_id, position)

    @classmethod
    def from_json(cls, rows: list[dict], context: RingContext,
                  hubs: dict[str, int] | None = None) -> Rings:
        """The rings of ``rings.json`` (as :meth:`to_json` writes it), ids and order kept."""
        ranks = {str(row["ring_id"]): int(row["rank"]) for row in rows if "rank" in row}
        rings = [Ring(str(row["ring_id"]), list(row["members"]), context,
                      [Evidence(e["pattern"], float(e["weight"]), e["description"],
                                tuple(e.get("identifiers", ())), tuple(e.get("entities", ())),
                                tuple(e.get("records", ())), e.get("explained", ""))
                       for e in row.get("evidence", [])])
                 for row in rows]
        return cls.ranked(rings, hubs or {}, ranks)

    def get(self, ring_id: str) -> Ring:
        """The ring with id ``ring_id`` (``KeyError`` naming close ids when absent)."""
        for ring in self.rings:
            if ring.ring_id == ring_id:
                return ring
        from difflib import get_close_matches

        close = get_close_matches(str(ring_id), [r.ring_id for r in self.rings], n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"no ring {ring_id!r} among {len(self.rings)} rings{hint}")

    def of(self, ref: str) -> list[Ring]:
        """The rings holding the entity ``ref`` names: an entity id, a record key or a bare
        record id (see ``graphkit.graph.provenance.entities_of``); ``[]`` when it is in
        none. ``KeyError`` when the build has no such entity or record."""
        if not self.rings:
            return []
        entities = set(entities_of(self.rings[0].context.index, ref))
        return [r for r in self.rings if entities.intersection(r.members)]

    def filter(self, pattern: str | Iterable[str] | None = None,
               min_score: float | None = None, min_members: int | None = None) -> Rings:
        """The rings (ids and order kept) with a weighing finding of ``pattern`` (any of
        several), a score of at least ``min_score`` and at least ``min_members`` members."""
        wanted = {pattern} if isinstance(pattern, str) else set(pattern or ())
        if wanted:
            from graphkit.rings.detectors import DETECTORS

            known = {d.name for d in DETECTORS} | {"vpn_logins"}
            unknown = sorted(wanted - known)
            if unknown:
                raise ValueError(f"unknown pattern(s) {', '.join(unknown)}; "
                                 f"known: {', '.join(sorted(known))}")
        picked = [r for r in self.rings
                  if (not wanted or wanted & {e.pattern for e in r.evidence if e.weight > 0})
                  and (min_score is None or r.score >= min_score)
                  and (min_members is None or len(r.members) >= min_members)]
        ranks = {r.ring_id: self.rank(r, i) for i, r in enumerate(self.rings, start=1)}
        return Rings.ranked(picked, self.hubs, {r.ring_id: ranks[r.ring_id] for r in picked})

    def to_json(self) -> list[dict]:
        """Rings with structured evidence, for ``rings.json``."""
        name_of = member_names(self.rings)
        return [self._json_row(r, i, name_of) for i, r in enumerate(self.rings, start=1)]

    def _json_row(self, ring: Ring, rank_at: int, name_of: dict[str, str]) -> dict:
        """One ring of ``rings.json``; its points summed once (the score is made from
        them)."""
        points = ring.points
        return {"ring_id": ring.ring_id, "rank": self.rank(ring, rank_at),
                "score": score_of(points), "points": points, "members": ring.members,
                "names": [str(name_of.get(m, m)) for m in ring.members],
                "evidence": [e.to_dict() for e in ring.evidence]}


def rings_frame(rows: list[dict]) -> pd.DataFrame:
    """One row per ring (``RING_COLUMNS``) from rows shaped as :meth:`Rings.to_json`'s:
    members and names joined, the patterns that scored, evidence as readable text."""
    return pd.DataFrame([{
        "ring_id": r["ring_id"], "rank": r["rank"], "score": r["score"],
        "points": r["points"], "n_members": len(r["members"]),
        "members": ";".join(r["members"]), "names": ";".join(r["names"]),
        "patterns": ";".join(sorted({e["pattern"] for e in r["evidence"] if e["weight"] > 0})),
        "evidence": " | ".join(evidence_text(e) for e in r["evidence"]),
    } for r in rows], columns=list(RING_COLUMNS))


def member_names(rings: list[Ring]) -> dict[str, str]:
    """Display name of each member of ``rings`` (which share one build's tables), as
    ``Ring.names`` gives them: the names the rings carry, else read for those keys alone
    by one Arrow lookup over the key column, unless the context's whole name lookup
    exists already. The dict returned may be shared with later calls: read it, do not
    change it."""
    if not rings:
        return {}
    context = rings[0].context
    if context._names is not None:
        return context._names
    # the rings stage names its rings' members as it makes them (``Ring.member_names``,
    # the same rule): only rings made otherwise (read back, built from a graph) are
    # looked up, which takes a hash of every node key (14.4M at 1M people)
    named: dict[str, str] = {}
    unnamed = []
    for ring in rings:
        if ring.member_names is not None and len(ring.member_names) == len(ring.members):
            named.update(zip(ring.members, ring.member_names))
        else:
            unnamed.append(ring)
    if not unnamed:
        return named
    keys = {m for r in unnamed for m in r.members}
    # a build asks twice (rings.json, then the report's triage for some of the same
    # rings): the second asking is answered from the first
    asked = context._member_names
    if asked is not None and asked[0].issuperset(keys):
        return {**asked[1], **named} if named else asked[1]
    nodes = context.tables.nodes
    # the key column's chunks as they are: joining them copies every key of the graph
    hit = pc.is_in(arrow_chunks(nodes["key"]), value_set=pa.array(list(keys), pa.string()))
    rows = np.flatnonzero(hit.to_numpy(zero_copy_only=False)
                          & (nodes["label"] != Label.RECORD.value).to_numpy(bool))
    # gathered chunk by chunk: ``iloc`` on a column held in chunks joins them first
    at = take_rows(nodes["key"], rows).to_pylist()
    names = take_rows(nodes["name"], rows).to_pylist() if "name" in nodes.columns else at
    found = {k: (n if isinstance(n, str) else k) for k, n in zip(at, names)}
    context._member_names = (keys, found)
    return {**found, **named} if named else found


__all__ = ["HALF_SCORE_POINTS", "RING_COLUMNS", "Evidence", "Ring", "RingContext", "Rings",
           "evidence_of", "member_names", "rings_frame", "score_of"]
