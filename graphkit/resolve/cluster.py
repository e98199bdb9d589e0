"""Clustering of scored pairs into entities, with a guard against chaining.

Pairs at or above the merge threshold are merged best first; a group that already holds
several records is not merged with another when they disagree clearly (dates of birth of
other years, different national ids, unrelated names) and agree exactly on nothing, so A~B
and B~C cannot pull together an A and C that are different people. Pairs between
the review and merge thresholds, and merge pairs the guard refused, are kept for review.
"""

from __future__ import annotations

import numpy as np
from rapidfuzz.distance import Levenshtein
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from graphkit.resolve.compare import _dob, name_alignment
from graphkit.resolve.prepare import Features


class _Groups:
    """Union-find over the records of ``members`` (row positions), with each group's dates
    of birth, national ids and name tokens for the chaining guard. A group's root is its
    smallest row position."""

    def __init__(self, features: Features, members: np.ndarray) -> None:
        f = features.frame
        at = members.tolist()
        self.parent = dict(zip(at, at))
        self.dobs = {i: {d} - {""} for i, d in zip(at, f["dob"].to_numpy()[members])}
        self.ids = {i: {d} - {""} for i, d in zip(at, f["national_id"].to_numpy()[members])}
        self.names = {i: {t} if t else set()
                      for i, t in zip(at, f["name_tokens"].to_numpy()[members])}
        self.size = dict.fromkeys(at, 1)

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def conflict(self, a: int, b: int) -> bool:
        """Whether merging groups ``a`` and ``b`` would chain different people together:
        they disagree clearly (dates of birth of other years, national ids all different,
        names not even partly similar) with no exact agreement (a shared date of birth or
        national id) to set against it, or disagree on all three. Two single records are
        judged by their pair score alone."""
        if self.size[a] == 1 and self.size[b] == 1:
            return False
        against = agree = 0
        if self.dobs[a] and self.dobs[b]:
            if self.dobs[a] & self.dobs[b]:
                agree += 1
            elif all(x[:4] != y[:4] and _dob(x, y) < 2
                     for x in self.dobs[a] for y in self.dobs[b]):
                against += 1
        if self.ids[a] and self.ids[b]:
            if self.ids[a] & self.ids[b]:
                agree += 1
            elif all(Levenshtein.distance(x, y) > 1 for x in self.ids[a] for y in self.ids[b]):
                against += 1
        if self.names[a] and self.names[b] and not any(
                name_alignment(x, y) >= 0.75 for x in self.names[a] for y in self.names[b]):
            against += 1
        return against >= 3 or (against >= 1 and agree == 0)

    def union(self, a: int, b: int) -> None:
        keep, gone = min(a, b), max(a, b)
        self.parent[gone] = keep
        self.dobs[keep] |= self.dobs[gone]
        self.names[keep] |= self.names[gone]
        self.ids[keep] |= self.ids[gone]
        self.size[keep] += self.size[gone]


def cluster_pairs(features: Features, left: np.ndarray, right: np.ndarray, prob: np.ndarray,
                  merge: float, review: float, levels: dict[str, np.ndarray] | None = None,
                  household: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Entity label per record, and masks of merged pairs and of pairs left for review.

    With ``levels``, a pair whose dates of birth differ (or share only the year) and whose
    names are at best partly similar — relatives in one household, or strangers born the
    same year — is never merged automatically unless a national id matches exactly,
    whatever contacts it shares. Nor is a pair whose dates of birth differ outright and
    whose national ids or passports differ too: a father and a son of one name at one
    address (two strong identifiers in conflict are not typos). Pairs in ``household``
    (different people sharing a home or a contact, ``graphkit.resolve.households``) are
    never merged and never put up for review.
    """
    merged = np.zeros(len(prob), dtype=bool)
    relatives = np.zeros(len(prob), dtype=bool) if levels is None else \
        (levels["dob"] >= 0) & (levels["dob"] <= 1) & (levels["name"] >= 0) \
        & (levels["name"] <= 1) & (levels["national_id"] < 2)
    if levels is not None:
        relatives |= (levels["dob"] == 0) & ((levels["national_id"] == 0)
                                            | (levels["passport"] == 0))
    if household is not None:
        relatives |= household
    labels = _merge_best_first(features, left, right, prob, merge, relatives, merged)
    same = labels[left] == labels[right]
    merged |= same & (prob >= merge)
    to_review = (prob >= review) & ~same
    if household is not None:
        to_review &= ~household
    return labels, merged, to_review


def _merge_best_first(features: Features, left: np.ndarray, right: np.ndarray,
                      prob: np.ndarray, merge: float, skip: np.ndarray,
                      merged: np.ndarray) -> np.ndarray:
    """Merge the pairs at or above ``merge`` (but not ``skip``) best first, marking in
    ``merged`` the pairs merged or already joined; returns each record's group (its
    smallest row position).

    Groups of different components of the merge graph never meet, so each component is
    merged on its own: a component of two records is one pair of single records (merged,
    no guard needed) and is done with arrays; only components of three or more records
    go through the guarded best-first loop, which gives the same groups as running it
    over every pair."""
    n = len(features)
    labels = np.arange(n, dtype=np.int64)
    candidate = np.flatnonzero((prob >= merge) & ~skip)
    if not len(candidate):
        return labels
    a, b = left[candidate], right[candidate]
    graph = coo_matrix((np.ones(len(candidate), dtype=np.int8), (a, b)), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    size = np.bincount(component, minlength=n)
    pair = size[component[a]] == 2
    merged[candidate[pair]] = True
    labels[np.maximum(a[pair], b[pair])] = np.minimum(a[pair], b[pair])
    rest = candidate[~pair]
    if not len(rest):
        return labels
    members = np.flatnonzero(size[component] > 2)
    groups = _Groups(features, members)
    for k in rest[np.argsort(-prob[rest], kind="stable")].tolist():
        ra, rb = groups.find(int(left[k])), groups.find(int(right[k]))
        if ra == rb:
            merged[k] = True
        elif not groups.conflict(ra, rb):
            groups.union(ra, rb)
            merged[k] = True
    labels[members] = [groups.find(i) for i in members.tolist()]
    return labels
