"""Stable ids: derived from content, not from order or rank.

* An entity's id is its prefix and the smallest record id among its records, so it stays
  while that record stays with the same person, whatever order the files come in.
* A ring's id, without a previous build, is ``R-`` and a hash of its members; with a
  previous build, a ring that is recognisably an old ring (:func:`match_rings`: most of
  the smaller ring's members shared, matched greedily by overlap, then by shared strongest
  identifiers) keeps the old ring's id.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from graphkit.gcpause import gc_paused
from graphkit.intcodes import first_seen_codes


def entity_roots(record_ids: np.ndarray, labels: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The smallest record id of each group (``labels``: group per record), the rule that
    keeps an entity's id from build to build whatever the record order; and each record's
    group as a position in that array."""
    _, of_group = np.unique(labels, return_inverse=True)
    of_group = of_group.reshape(-1)
    # each id's rank among the sorted distinct ids, the smallest rank per group by one
    # reduction (a groupby ``min`` over strings runs in Python, group by group)
    rank, ordered = pd.factorize(np.asarray(record_ids, dtype=object), sort=True)
    smallest = np.full(int(of_group.max()) + 1 if len(of_group) else 0, len(ordered),
                       dtype=np.int64)
    np.minimum.at(smallest, of_group, rank)
    return np.asarray(ordered, dtype=object)[smallest], of_group


def ring_content_id(members: Iterable[str]) -> str:
    """``R-`` and 10 hex digits of the SHA-256 of the sorted member keys."""
    digest = hashlib.sha256("\n".join(sorted(members)).encode("utf-8")).hexdigest()
    return f"R-{digest[:10]}"


@dataclass(frozen=True)
class RingMatch:
    """One old ring matched to one new ring: indices into the two lists, and how many
    members (after translating old entity ids) and strongest identifiers they share."""

    old: int
    new: int
    shared: int
    shared_identifiers: int


def strongest_identifiers(evidence: Sequence[Mapping]) -> set[str]:
    """Identifiers of a ring's weightiest finding (evidence as in ``rings.json``)."""
    weighted = [e for e in evidence if float(e.get("weight", 0)) > 0]
    if not weighted:
        return set()
    top = max(weighted, key=lambda e: float(e.get("weight", 0)))
    return set(top.get("identifiers") or ())


def translated(members: Iterable[str], translate: Mapping[str, str]) -> set[str]:
    """The set of ``members`` with each id that ``translate`` maps replaced (set
    operations: most members of most rings map to themselves)."""
    out = set(members)
    # look each member up (``set.intersection(dict)`` would walk the whole mapping)
    moved = [m for m in out if m in translate] if translate else ()
    if moved:
        out.difference_update(moved)
        out.update(translate[m] for m in moved)
    return out


def match_rings(old: Sequence[Mapping], new: Sequence[Mapping],
                translate: Mapping[str, str] | None = None) -> list[RingMatch]:
    """Pairs (old ring, new ring) that are the same ring. Rings are dicts with ``members``
    and ``evidence`` (``rings.json`` rows); ``translate`` maps an old entity id to the id
    that holds its records now (merges). A pair qualifies when its shared members are at
    least half of the smaller ring and at least two (one for a ring of one); pairs are
    taken greedily by shared members, then shared strongest identifiers, so each ring is
    matched at most once."""
    translate = translate or {}
    owner: dict[str, list[int]] = {}
    for j, ring in enumerate(new):
        for m in ring["members"]:
            owner.setdefault(m, []).append(j)
    candidates = []
    for i, ring in enumerate(old):
        counts: dict[int, int] = {}
        members = translated(ring["members"], translate)
        for m in members:
            for j in owner.get(m, ()):
                counts[j] = counts.get(j, 0) + 1
        ids_old = strongest_identifiers(ring.get("evidence", ()))
        for j, shared in counts.items():
            smaller = min(len(members), len(new[j]["members"]))
            if shared * 2 >= smaller and shared >= min(2, smaller):
                ids_new = strongest_identifiers(new[j].get("evidence", ()))
                candidates.append(RingMatch(i, j, shared, len(ids_old & ids_new)))
    candidates.sort(key=lambda c: (-c.shared, -c.shared_identifiers, c.old, c.new))
    taken_old: set[int] = set()
    taken_new: set[int] = set()
    matches = []
    for c in candidates:
        if c.old not in taken_old and c.new not in taken_new:
            matches.append(c)
            taken_old.add(c.old)
            taken_new.add(c.new)
    return sorted(matches, key=lambda c: c.new)


def _known(entities: pd.DataFrame) -> pd.DataFrame:
    """The ``record_id, entity_id`` rows with both ids, as text (an entity map read back
    or made by hand may hold missing or numeric ids; a build writes text)."""
    frame = entities[["record_id", "entity_id"]]
    if frame.isna().to_numpy().any():
        frame = frame.dropna()
    if not all(pd.api.types.is_string_dtype(frame[c]) for c in frame.columns):
        frame = frame.astype(str)
    return frame


def entity_pairs(old_entities: pd.DataFrame, new_entities: pd.DataFrame) -> pd.DataFrame:
    """``entity_id_old, entity_id_new, n``: each pair of an old and a new entity sharing
    records and how many, in the order the join of the two ``record_id, entity_id`` frames
    on ``record_id`` first meets them (the old frame's order). Record ids unique in both
    (as every build writes them) are joined by one Arrow hash lookup and the pairs counted
    on integer codes; otherwise by a pandas merge."""
    from graphkit.graph.assemble import arrow_text  # (graph imports resolve, which imports this)

    old_entities, new_entities = _known(old_entities), _known(new_entities)
    old_ids, new_ids = arrow_text(old_entities["record_id"]), arrow_text(new_entities["record_id"])
    if (pc.count_distinct(old_ids).as_py() != len(old_ids)
            or pc.count_distinct(new_ids).as_py() != len(new_ids)):
        both = old_entities[["record_id", "entity_id"]].merge(
            new_entities[["record_id", "entity_id"]], on="record_id", suffixes=("_old", "_new"))
        pairs = both[["entity_id_old", "entity_id_new"]]
        counts = pairs.groupby(["entity_id_old", "entity_id_new"], sort=False).size()
        first = pairs.drop_duplicates().reset_index(drop=True)
        first["n"] = counts.reindex(pd.MultiIndex.from_frame(first)).to_numpy(np.int64)
        return first
    at = pc.index_in(old_ids, value_set=new_ids)
    shared = pc.indices_nonzero(pc.is_valid(at))
    old_codes = pc.dictionary_encode(arrow_text(old_entities["entity_id"]).take(shared))
    new_codes = pc.dictionary_encode(arrow_text(new_entities["entity_id"]).take(
        at.filter(pc.is_valid(at))))
    a, b = old_codes.indices.to_numpy(), new_codes.indices.to_numpy()
    pair, first = first_seen_codes(a.astype(np.int64) * max(len(new_codes.dictionary), 1)
                                   + b)
    n = np.bincount(pair, minlength=len(first))
    return pd.DataFrame({
        "entity_id_old": old_codes.dictionary.take(a[first]).to_numpy(zero_copy_only=False),
        "entity_id_new": new_codes.dictionary.take(b[first]).to_numpy(zero_copy_only=False),
        "n": n.astype(np.int64)})


def entity_translation(old_entities: pd.DataFrame, new_entities: pd.DataFrame,
                       pairs: pd.DataFrame | None = None) -> dict[str, str]:
    """Old entity id → the new entity id holding most of its records (only where they
    differ); both frames have ``record_id, entity_id`` (``entities.csv``); ``pairs``:
    their :func:`entity_pairs` when made already."""
    counts = entity_pairs(old_entities, new_entities) if pairs is None else pairs
    counts = counts.sort_values(["entity_id_old", "n", "entity_id_new"],
                                ascending=[True, False, True])
    best = counts.drop_duplicates("entity_id_old")
    best = best[best["entity_id_old"] != best["entity_id_new"]]
    return dict(zip(best["entity_id_old"], best["entity_id_new"]))


@dataclass(frozen=True)
class RingMatching:
    """How a previous build's rings map onto a new build's: the entity translation
    (:func:`entity_translation`) and the ring matches (:func:`match_rings`), kept so that
    the diff of the same two builds need not compute them again."""

    translate: dict[str, str]
    matches: list[RingMatch]
    #: the new rings as ``rings.json`` rows, with the ids carried over
    rings: list[dict[str, Any]] | None = None
    #: the two builds' entity pairs (:func:`entity_pairs`)
    pairs: pd.DataFrame | None = None


def carry_ring_ids(rings: Any, previous: Any, entities: pd.DataFrame,
                   keep: list[RingMatching] | None = None) -> int:
    """Give each ring of ``rings`` (a ``rings.Rings``) that matches a ring of the previous
    build (:func:`match_rings`; a folder, or its ``nightly.view.BuildView`` when the
    caller has read it already) that ring's id; ``entities`` is this build's
    ``record_id, entity_id``. Returns how many ids were carried over; ``keep`` (a list)
    receives the :class:`RingMatching` made. Runs with the garbage collector paused
    (:func:`~graphkit.gcpause.gc_paused`)."""
    with gc_paused():
        return _carry_ring_ids(rings, previous, entities, keep)


def _carry_ring_ids(rings: Any, previous: Any, entities: pd.DataFrame,
                    keep: list[RingMatching] | None) -> int:
    from graphkit.nightly.view import BuildView, entity_map

    if isinstance(previous, BuildView):
        old, old_entities = previous.rings, previous.entities
    else:
        folder = Path(previous)
        if not (folder / "rings.json").is_file():
            raise FileNotFoundError(f"{folder}: not a complete build (rings.json missing)")
        old = json.loads((folder / "rings.json").read_text(encoding="utf-8"))
        old_entities = entity_map(folder)
    new = rings.to_json()
    pairs = entity_pairs(old_entities, entities)
    translate = entity_translation(old_entities, entities, pairs)
    matches = match_rings(old, new, translate)
    rings.carry_ids({m.new: old[m.old]["ring_id"] for m in matches})
    if keep is not None:
        for row, ring in zip(new, rings):
            row["ring_id"] = ring.ring_id
        keep.append(RingMatching(translate, matches, new, pairs))
    return len(matches)


__all__ = ["RingMatch", "RingMatching", "carry_ring_ids", "entity_pairs", "entity_roots",
           "entity_translation",
           "match_rings", "ring_content_id", "strongest_identifiers", "translated"]
