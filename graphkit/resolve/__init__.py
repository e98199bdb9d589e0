"""Entity resolution: which person records are the same real-world person.

``graphkit.resolve(people)`` (this module is callable) runs the probabilistic engine:
features (:mod:`~graphkit.resolve.prepare`) → blocking (:mod:`~graphkit.resolve.blocking`)
→ field comparisons (:mod:`~graphkit.resolve.compare`) → Fellegi–Sunter weights estimated
by EM without labels (:mod:`~graphkit.resolve.model`) → clustering with a chaining guard
(:mod:`~graphkit.resolve.cluster`); members of one household are never merged
(:mod:`~graphkit.resolve.households`: decision ``household``). Every merged or
reviewable pair carries its waterfall: each field's agreement level and the weight it
added.

>>> import graphkit
>>> import tempfile
>>> import pandas as pd
>>> from graphkit.demo import generate_demo
>>> folder = tempfile.mkdtemp()
>>> _ = generate_demo(folder, seed=7, n_people=300)
>>> people = pd.read_csv(f"{folder}/people.csv", dtype=str, keep_default_na=False)
>>> result = graphkit.resolve(people)
>>> names = people.set_index("record_id")
>>> merged = result.pairs[result.pairs.decision == "merge"]
>>> pair = merged.record_id_l.map(names.last_name) + "/" + merged.record_id_r.map(
...     names.last_name)
>>> pak = merged[pair.isin(["Pak/Bak", "Bak/Pak"])].iloc[0]
>>> pak.evidence.split("; ")[1].split(" (")[0]
'name: same romanized name'
"""

from __future__ import annotations

import sys
import types

import numpy as np
import pandas as pd

from graphkit.resolve.blocking import DEFAULT_MAX_BLOCK, block
from graphkit.resolve.cluster import cluster_pairs
from graphkit.resolve.compare import compare_pairs
from graphkit.resolve.exact import (
    ENTITY_COLUMNS,
    PAIR_COLUMNS,
    Resolution,
    person_display_name,
    resolve_companies_exact,
    resolve_people_exact,
)
from graphkit.resolve.households import different_people
from graphkit.resolve.model import (
    estimate_m,
    estimate_u,
    explain,
    probability,
    refine_with_labels,
)
from graphkit.resolve.prepare import prepare

#: Default thresholds on the match probability.
DEFAULT_MERGE = 0.95
DEFAULT_REVIEW = 0.5


def _waterfall_text(rows: list[dict]) -> str:
    return "; ".join(f"{r['field']}: {r['level'] or 'prior'} ({r['weight']:+.1f})"
                     for r in rows)


def resolve(people: pd.DataFrame, merge: float = DEFAULT_MERGE, review: float = DEFAULT_REVIEW,
            max_block: int = DEFAULT_MAX_BLOCK, labels: pd.DataFrame | None = None
            ) -> Resolution:
    """Resolve person records (native ``people.csv`` columns) into entities.

    ``labels`` (optional): pairs a person has judged, columns ``record_id_l, record_id_r,
    is_match`` (true/false, 1/0, yes/no); their matches refine the m probabilities
    (:func:`~graphkit.resolve.model.refine_with_labels`).
    """
    people = people.reset_index(drop=True)
    features = prepare(people)
    blocking = block(features, max_block)
    levels = compare_pairs(features, blocking.left, blocking.right)
    model = estimate_m(levels, estimate_u(features))
    if labels is not None and len(labels):
        model = _refined(model, features, labels)
    weight = model.match_weight(levels)
    prob = probability(weight)
    apart = different_people(features, blocking.left, blocking.right, levels)
    labels, merged, to_review = cluster_pairs(features, blocking.left, blocking.right, prob,
                                              merge, review, levels, apart)
    ids = features.frame["record_id"].tolist()
    household = apart & (levels["address"] == 2) & (labels[blocking.left]
                                                   != labels[blocking.right])
    keep = np.flatnonzero(merged | to_review | household)
    pairs = pd.DataFrame({
        "record_id_l": [ids[blocking.left[k]] for k in keep],
        "record_id_r": [ids[blocking.right[k]] for k in keep],
        "score": np.round(prob[keep], 4),
        "evidence": [_waterfall_text(explain(model, levels, int(k))) for k in keep],
        "decision": np.where(merged[keep], "merge",
                             np.where(to_review[keep], "review", "household")),
        "match_weight": np.round(weight[keep], 2),
    })
    best = np.ones(len(ids))
    for k in np.flatnonzero(merged):
        for side in (blocking.left[k], blocking.right[k]):
            best[side] = prob[k] if best[side] == 1.0 else max(best[side], prob[k])
    root_ids = [ids[label] for label in labels]
    sizes = pd.Series(root_ids).value_counts()
    entities = pd.DataFrame({
        "record_id": ids,
        "entity_id": [f"person:{r}" for r in root_ids],
        "score": np.round(best, 4),
        "evidence": [f"fellegi-sunter: {sizes[r]} records" if sizes[r] > 1
                     else "single record" for r in root_ids],
    }, columns=list(ENTITY_COLUMNS))
    return Resolution(entities, pairs, method="Fellegi-Sunter resolution, weights by EM",
                      model=model, blocking=blocking)


_TRUE = {"true", "1", "yes", "y", "t", "match"}


def _refined(model, features, labels: pd.DataFrame):
    missing = {"record_id_l", "record_id_r", "is_match"} - set(labels.columns)
    if missing:
        raise ValueError(f"labelled pairs lack column(s) {', '.join(sorted(missing))}")
    position = {rid: i for i, rid in enumerate(features.frame["record_id"])}
    known = labels[labels["record_id_l"].astype(str).isin(position)
                   & labels["record_id_r"].astype(str).isin(position)]
    if known.empty:
        raise ValueError("no labelled pair names two records of this data")
    left = np.array([position[str(r)] for r in known["record_id_l"]])
    right = np.array([position[str(r)] for r in known["record_id_r"]])
    is_match = known["is_match"].astype(str).str.strip().str.lower().isin(_TRUE).to_numpy()
    return refine_with_labels(model, compare_pairs(features, left, right), is_match)


class _CallableModule(types.ModuleType):
    """Lets ``graphkit.resolve(people)`` call :func:`resolve` while the package stays
    importable as ``graphkit.resolve``."""

    def __call__(self, people: pd.DataFrame, **options) -> Resolution:
        return resolve(people, **options)


sys.modules[__name__].__class__ = _CallableModule

__all__ = ["PAIR_COLUMNS", "Resolution", "person_display_name", "resolve",
           "resolve_companies_exact", "resolve_people_exact"]
