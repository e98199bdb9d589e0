"""Rings from groups of entities and calibrated findings: each group gets the findings
that fall inside it (at least two of its members, or its one member), the ring-level
VPN finding, and repeats of a pattern counted at a third.

Done as array operations over all findings and groups at once (one sort per step), with
a Python loop only to make the ``Evidence`` and ``Ring`` objects.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import chain, pairwise

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graphkit.graph.assemble import arrow_chunks, take_rows
from graphkit.intcodes import ascending, repeated, sorted_unique
from graphkit.rings.grouped import group_bounds
from graphkit.rings.model import Evidence, Ring, RingContext, evidence_of
from graphkit.rings.population import Population, entity_rows
from graphkit.rings.scoring import REPEAT_SHARE, vpn_weights
from graphkit.rings.sharing import node_values


def _key_rank(keys: np.ndarray) -> np.ndarray:
    """Rank of each key in sorted order (rows are usually already sorted by key: checked
    by comparing neighbours, not by an index made of the keys, which pandas would convert
    to Arrow text first)."""
    if _ascending(keys):
        return np.arange(len(keys))
    rank = np.empty(len(keys), dtype=np.int64)
    rank[np.array(sorted(range(len(keys)), key=keys.__getitem__), dtype=np.int64)] = \
        np.arange(len(keys))
    return rank


def entity_keys(keys: pd.Series) -> tuple[Callable[[np.ndarray], list[str]], np.ndarray]:
    """For the entities' ``keys``: a function giving the keys of some rows as Python
    strings, and each key's rank in sorted order. Keys held in Arrow and already in
    order (the tables' contract: entities in key order) are checked in Arrow and only
    the keys asked for become Python strings, not one per entity of the build."""
    if isinstance(keys.dtype, pd.ArrowDtype | pd.StringDtype):
        text = arrow_chunks(keys)
        if text.null_count == 0 and _arrow_ascending(text):
            return _KeysMadeOnce(keys), np.arange(len(keys))
    values = keys.to_numpy(dtype=object)
    return (lambda rows: values[rows].tolist()), _key_rank(values)


class _KeysMadeOnce:
    """The keys of some rows of an Arrow text column as Python strings, each row's
    string made once (on its first request) and shared by every later request, as the
    object array of every key shared them, without a string for the rows never asked."""

    def __init__(self, keys: pd.Series) -> None:
        self.keys = keys
        self.made = np.zeros(len(keys), dtype=bool)
        self.strings = np.empty(len(keys), dtype=object)

    def __call__(self, rows: np.ndarray) -> list[str]:
        rows = np.asarray(rows, dtype=np.int64)
        new = rows[~self.made[rows]]
        if len(new):
            new = sorted_unique(new)
            made = np.empty(len(new), dtype=object)
            made[:] = take_rows(self.keys, new).to_pylist()
            self.strings[new] = made
            self.made[new] = True
        return self.strings[rows].tolist()


def _arrow_ascending(text: pa.ChunkedArray) -> bool:
    """Whether the strings of ``text`` (no nulls) never decrease (in UTF-8 byte order,
    which is Python's order of code points)."""
    if len(text) < 2:
        return True
    return bool(pc.all(pc.less_equal(text.slice(0, len(text) - 1), text.slice(1))).as_py())


def _ascending(keys: np.ndarray) -> bool:
    """Whether ``keys`` (strings) never decrease; False where two cannot be compared."""
    try:
        return ascending(keys)
    except TypeError:
        return False


def _text_rank(values: list[str]) -> np.ndarray:
    """Codes of ``values`` that order as the strings do."""
    if not values:
        return np.zeros(0, np.int64)
    try:
        encoded = pa.array(values, pa.string()).dictionary_encode()
    except (pa.ArrowException, UnicodeEncodeError):  # a lone surrogate: no UTF-8 form
        codes, uniques = pd.factorize(np.asarray(values, dtype=object))
        order = np.argsort(np.asarray(sorted(range(len(uniques)), key=uniques.__getitem__)))
        return order[codes]
    # Arrow sorts strings by their UTF-8 bytes: the order of Python's str comparison
    order = pc.array_sort_indices(encoded.dictionary).to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)]


def assemble_rings(pop: Population, findings: pd.DataFrame, groups: list[np.ndarray]
                   ) -> list[Ring]:
    """One ring per group (rows of ``pop.entities``), with its evidence: the findings of
    which at least ``min(2, size)`` members fall inside the group, and ``vpn_logins``."""
    ent = pop.entities
    keys_at, rank = entity_keys(ent["key"])
    flat, owner = _flattened(groups)
    ring_of = np.full(len(ent), -1, dtype=np.int64)
    ring_of[flat] = owner
    f_at, ring, inside, bounds = _findings_in_rings(pop, findings, ring_of, rank)
    inside_keys = keys_at(inside)
    patterns = findings["pattern"].tolist()
    weights = findings["weight"].astype(float).tolist()
    texts = findings["description"].tolist()
    idents = findings["idents"].tolist()
    records = findings["records"].tolist()
    explained = findings["explained"].tolist()
    items = [(patterns[f], weights[f], texts[f], tuple(idents[f]),
              tuple(inside_keys[a:b]), tuple(records[f]), explained[f])
             for f, a, b in zip(f_at.tolist(), bounds[:-1].tolist(), bounds[1:].tolist())]
    vpn = ent["vpn"].to_numpy(bool)
    person = ent["label"].iloc[flat].to_numpy(dtype=object) == "Person"
    vpn_counts = np.bincount(owner, weights=vpn[flat], minlength=len(groups)).astype(np.int64)
    sizes = np.bincount(owner, weights=person, minlength=len(groups)).astype(np.int64)
    vpn_w = vpn_weights(vpn_counts, sizes) if len(groups) else np.zeros(0)
    vpn_rings = np.flatnonzero(vpn_w > 0)
    for number in vpn_rings.tolist():
        g = groups[number]
        users = g[vpn[g]]
        users = users[np.argsort(rank[users], kind="stable")]
        items.append(("vpn_logins", float(vpn_w[number]),
                      f"{vpn_counts[number]} of {sizes[number]} members log in through VPNs",
                      (), tuple(keys_at(users)), (), ""))
    ring = np.r_[ring, vpn_rings].astype(np.int64)
    evidence = _repeats(ring, items)
    context = RingContext(pop.sharing.tables, pop.max_share)
    # every group's members in key order at once: one sort by (group, key rank)
    ordered = flat[np.lexsort((rank[flat], owner))]
    member_keys = keys_at(ordered)
    # display names of the members only (the key where an entity has none)
    raw = node_values(pop.sharing.tables, "name",
                      ent["entity_id"].to_numpy(np.int64)[ordered]).tolist()
    member_names = [n if isinstance(n, str) else k for n, k in zip(raw, member_keys)]
    bounds = np.r_[0, np.cumsum([len(g) for g in groups])].tolist()
    return [Ring("", member_keys[a:b], context, evidence.get(number, []),
                 member_names=member_names[a:b])
            for number, (a, b) in enumerate(pairwise(bounds))]


def _flattened(groups: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The rows of every group, concatenated, and the group number of each."""
    if not groups:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    sizes = np.fromiter((len(g) for g in groups), dtype=np.int64, count=len(groups))
    return (np.concatenate(groups).astype(np.int64, copy=False),
            np.repeat(np.arange(len(groups), dtype=np.int64), sizes))


def _findings_in_rings(pop: Population, findings: pd.DataFrame, ring_of: np.ndarray,
                       rank: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The (finding, ring) pairs where a finding falls inside a ring (finding, then ring
    ascending), and each pair's members inside the ring: entity rows in key order, pair
    after pair (``rows``), pair ``i``'s from ``bounds[i]`` to ``bounds[i + 1]``. One sort
    of the (finding, ring, key rank) of every member that is in a ring."""
    stride = int(ring_of.max(initial=-1)) + 2
    members = findings["members"].tolist()
    lengths = np.fromiter((len(m) for m in members), dtype=np.int64, count=len(members))
    flat = np.fromiter(chain.from_iterable(members), dtype=np.int64, count=int(lengths.sum()))
    finding = np.repeat(np.arange(len(members), dtype=np.int64), lengths)
    rows = entity_rows(pop, flat)
    ring = np.where(rows >= 0, ring_of[np.maximum(rows, 0)], -1)
    keep = np.flatnonzero(ring >= 0)
    code = finding[keep] * stride + ring[keep]
    rows = rows[keep]
    order, starts, ends = group_bounds(code, within=rank[rows])
    code, rows = code[order], rows[order]
    counts = ends - starts
    pairs = code[starts]
    kept = counts >= np.minimum(2, lengths[pairs // stride])
    inside = np.repeat(kept, counts)
    bounds = np.r_[0, np.cumsum(counts[kept])].astype(np.int64)
    return pairs[kept] // stride, pairs[kept] % stride, rows[inside], bounds


def _small_text_rank(values: list[str]) -> np.ndarray:
    """Codes of ``values`` (few distinct) that order as the strings do."""
    code = {v: i for i, v in enumerate(sorted(set(values)))}
    return np.fromiter((code[v] for v in values), dtype=np.int64, count=len(values))


def _tied(ring: np.ndarray, weight: np.ndarray, pattern: np.ndarray) -> np.ndarray:
    """Per position of rows sorted by (ring, weight, pattern), whether its neighbour
    before or after has the same ring, weight and pattern (NaN weights equal, as a
    sort sees them)."""
    same = (ring[1:] == ring[:-1]) & (pattern[1:] == pattern[:-1]) & (
        (weight[1:] == weight[:-1]) | (np.isnan(weight[1:]) & np.isnan(weight[:-1])))
    return np.r_[same, False] | np.r_[False, same]


def _repeats(ring: np.ndarray, items: list[tuple]) -> dict[int, list[Evidence]]:
    """Evidence per ring: within a ring, one finding per pattern counts fully and repeats
    of it count a third; ordered by weight (then pattern, then as found). Where ring,
    weight and pattern tie, the description decides which counts fully: only those
    descriptions are ranked."""
    if not items:
        return {}
    weight = np.array([it[1] for it in items], dtype=float)
    pattern = _small_text_rank([it[0] for it in items])
    position = np.arange(len(items))
    first = np.lexsort((position, pattern, -weight, ring))
    tied = first[_tied(ring[first], weight[first], pattern[first])]
    if len(tied):
        text = np.zeros(len(items), dtype=np.int64)
        text[tied] = _text_rank([items[i][2] for i in tied.tolist()])
        first = np.lexsort((position, text, pattern, -weight, ring))
    seen = repeated(ring[first] * (int(pattern.max()) + 1) + pattern[first])
    adjusted = weight.copy()
    repeats = first[seen]
    adjusted[repeats] = [round(float(w) * REPEAT_SHARE, 2) for w in weight[repeats]]
    step = np.empty(len(items), dtype=np.int64)
    step[first] = np.arange(len(items))
    final = np.lexsort((step, pattern, -adjusted, ring))
    adjusted_list = adjusted[final].tolist()
    evidence = evidence_of((it[0], w, it[2], it[3], it[4], it[5], it[6])
                           for it, w in zip(map(items.__getitem__, final.tolist()),
                                            adjusted_list))
    rings = ring[final]
    cuts = np.flatnonzero(rings[1:] != rings[:-1]) + 1
    lows, highs = np.r_[0, cuts].tolist(), np.r_[cuts, len(rings)].tolist()
    return {number: evidence[a:b]
            for number, a, b in zip(rings[np.r_[0, cuts]].tolist(), lows, highs)}


__all__ = ["assemble_rings", "entity_rows"]
