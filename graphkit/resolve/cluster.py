"""Clustering of scored pairs into entities, with a guard against chaining.

Pairs at or above the merge threshold are merged best first; two groups are never merged
when they clearly differ somewhere (every date of birth across them disagrees beyond a
typo, every national id differs, or their names have nothing in common), so A~B and B~C
cannot pull together an A and C that are different people. Pairs between the review and
merge thresholds, and merge pairs the guard refused, are kept for review.
"""

from __future__ import annotations

import numpy as np
from rapidfuzz.distance import JaroWinkler

from graphkit.resolve.compare import _dob, _exact_or
from graphkit.resolve.prepare import Features

_id_compare = _exact_or(lambda a, b: False, 2)


class _Groups:
    def __init__(self, features: Features) -> None:
        f = features.frame
        n = len(f)
        self.parent = list(range(n))
        self.dobs = [{d} - {""} for d in f["dob"]]
        self.ids = [{d} - {""} for d in f["national_id"]]
        self.names = [{k} - {""} for k in f["name_key"]]

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def conflict(self, a: int, b: int) -> bool:
        if self.dobs[a] and self.dobs[b] and all(
                _dob(x, y) < 2 for x in self.dobs[a] for y in self.dobs[b]):
            return True
        if self.ids[a] and self.ids[b] and not self.ids[a] & self.ids[b] \
                and not self.dobs[a] & self.dobs[b]:
            return True
        if self.names[a] and self.names[b]:
            close = any(set(x.split()) & set(y.split())
                        or JaroWinkler.normalized_similarity(x, y) >= 0.88
                        for x in self.names[a] for y in self.names[b])
            if not close:
                return True
        return False

    def union(self, a: int, b: int) -> None:
        keep, gone = min(a, b), max(a, b)
        self.parent[gone] = keep
        self.dobs[keep] |= self.dobs[gone]
        self.ids[keep] |= self.ids[gone]
        self.names[keep] |= self.names[gone]


def cluster_pairs(features: Features, left: np.ndarray, right: np.ndarray, prob: np.ndarray,
                  merge: float, review: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Entity label per record, and masks of merged pairs and of pairs left for review."""
    groups = _Groups(features)
    merged = np.zeros(len(prob), dtype=bool)
    for k in np.argsort(-prob, kind="stable"):
        if prob[k] < merge:
            break
        a, b = groups.find(int(left[k])), groups.find(int(right[k]))
        if a == b:
            merged[k] = True
        elif not groups.conflict(a, b):
            groups.union(a, b)
            merged[k] = True
    labels = np.array([groups.find(i) for i in range(len(features))])
    same = labels[left] == labels[right]
    merged |= same & (prob >= merge)
    to_review = (prob >= review) & ~same
    return labels, merged, to_review
