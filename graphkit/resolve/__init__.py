"""Entity resolution: which person records are the same real-world person.

``graphkit.resolve(people)`` (this module is callable) runs the probabilistic engine:
features (:mod:`~graphkit.resolve.prepare`) → blocking (:mod:`~graphkit.resolve.blocking`)
→ field comparisons (:mod:`~graphkit.resolve.compare`) → Fellegi–Sunter weights estimated
by EM without labels (:mod:`~graphkit.resolve.model`) → clustering with a chaining guard
(:mod:`~graphkit.resolve.cluster`); members of one household are never merged
(:mod:`~graphkit.resolve.households`: decision ``household``); the uncertain pairs are
ranked and cut to the review budget (:mod:`~graphkit.resolve.review`: decisions
``review`` and ``over_budget``). Every merged or reviewable pair carries its waterfall:
each field's agreement level and the weight it added.

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
>>> import shutil; shutil.rmtree(folder)  # the demo files go with the example
"""

from __future__ import annotations

import sys
import time
import types
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from graphkit.nightly.ids import entity_roots
from graphkit.resolve.blocking import (
    DEFAULT_CHANCE_PARTNERS,
    DEFAULT_MAX_BLOCK,
    DEFAULT_WINDOW,
    block,
)
from graphkit.resolve.cluster import cluster_pairs
from graphkit.resolve.compare import LEVELS, MISSING, compare_pairs
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
    HOUSEHOLD_FIELDS,
    estimate_m,
    household_weight,
    name_frequencies,
    probability,
    random_pair_counts,
    refine_with_labels,
    tf_name_adjustment,
    u_from_counts,
)
from graphkit.resolve.prepare import prepare
from graphkit.resolve.review import (
    OVER_BUDGET,
    REVIEW,
    REVIEW_COLUMNS,
    ReviewQueue,
    apply_budget,
    review_capacity,
)
from graphkit.resolve.threads import thread_count
from graphkit.settings import DEFAULT_SETTINGS

#: Default thresholds on the match probability (owned by ``Settings``).
DEFAULT_MERGE = DEFAULT_SETTINGS.merge_threshold
DEFAULT_REVIEW = DEFAULT_SETTINGS.review_threshold


def waterfall_text(rows: list[dict]) -> str:
    """One pair's waterfall (the rows of :func:`~graphkit.resolve.model.explain`) as text."""
    return "; ".join(f"{r['field']}: {r['level'] or 'prior'} ({r['weight']:+.1f})"
                     for r in rows)


def resolve(people: pd.DataFrame, merge: float = DEFAULT_MERGE, review: float = DEFAULT_REVIEW,
            max_block: int = DEFAULT_MAX_BLOCK, labels: pd.DataFrame | None = None,
            window: int = DEFAULT_WINDOW, compare: Callable | None = None,
            prepare_with: Callable | None = None,
            workers: int = DEFAULT_SETTINGS.resolve_workers,
            name_frequency: bool = True,
            review_budget: float | None = DEFAULT_SETTINGS.review_budget,
            chance_partners: float | None = DEFAULT_CHANCE_PARTNERS) -> Resolution:
    """Resolve person records (native ``people.csv`` columns) into entities.

    Blocks over ``max_block`` records are windowed (each record paired with its
    ``window`` next neighbours in three sort orders). ``labels`` (optional): pairs a
    person has judged, columns ``record_id_l, record_id_r, is_match`` (true/false, 1/0,
    yes/no); their matches refine the m probabilities
    (:func:`~graphkit.resolve.model.refine_with_labels`). ``Resolution.stages`` holds the
    seconds of each stage. ``compare`` (optional) stands in for
    :func:`~graphkit.resolve.compare.compare_pairs` (same arguments, same levels): an
    incremental build passes one that reuses the previous build's levels; ``prepare_with``
    (optional) likewise stands in for :func:`~graphkit.resolve.prepare.prepare` (called
    with ``workers=``). ``workers``: threads (0: the cores available, at most 4; see
    :func:`~graphkit.resolve.threads.thread_count`); the result is the same for any count.
    ``name_frequency``: a same or near-identical name weighs by how rare the name is
    (:func:`~graphkit.resolve.model.tf_name_adjustment`); off, one weight for all names.
    ``review_budget``: uncertain pairs queued for review per 1,000 records (None or 0: no
    cap); the band is ranked (:mod:`~graphkit.resolve.review`) and the pairs below the
    budget keep decision ``over_budget``, apart. ``Resolution.review`` holds the ranking.
    ``chance_partners``: blocks of name-with-context keys that chance would fill with this
    many records are split by a second key (:data:`~graphkit.resolve.blocking.SPLIT_KEYS`;
    None or 0: never).
    """
    clock = _Clock()
    workers = thread_count(workers)
    people = people.reset_index(drop=True)
    features = (prepare_with or prepare)(people, workers=workers)
    clock.lap("prepare")
    with ThreadPoolExecutor(max_workers=1) as aside:
        # u's random pairs need only the features: compared while blocking runs
        random_future = aside.submit(random_pair_counts, features) if workers > 1 else None
        blocking = block(features, max_block, window, chance_partners=chance_partners)
        clock.lap("block")
        levels = (compare or compare_pairs)(features, blocking.left, blocking.right)
        clock.lap("compare")
        random_counts = random_future.result() if random_future is not None \
            else random_pair_counts(features)
    model = estimate_m(levels, u_from_counts(random_counts), n_records=len(features))
    # again with u freed of the matches the random pairs held (see u_from_counts)
    model = estimate_m(levels, u_from_counts(random_counts, model.prior, model.m),
                       n_records=len(features))
    if labels is not None and len(labels):
        model = _refined(model, features, labels)
    weight = model.match_weight(levels)
    rarity = (tf_name_adjustment(levels, blocking.left, blocking.right,
                                 *name_frequencies(features)) if name_frequency
              else np.zeros(len(weight)))
    weight = weight + rarity
    prob = probability(weight)
    clock.lap("model")
    apart = different_people(features, blocking.left, blocking.right, levels)
    labels, merged, to_review = cluster_pairs(features, blocking.left, blocking.right, prob,
                                              merge, review, levels, apart)
    ids = features.frame["record_id"].to_numpy(dtype=object)
    capacity = review_capacity(review_budget, len(ids))
    to_review, over_budget, review_order = apply_budget(
        to_review, prob, merge, ids, blocking.left, blocking.right, capacity)
    clock.lap("cluster")
    household = apart & (levels["address"] == 2) & (labels[blocking.left]
                                                   != labels[blocking.right])
    keep = np.flatnonzero(merged | to_review | over_budget | household)
    pairs = pd.DataFrame({
        "record_id_l": ids[blocking.left[keep]],
        "record_id_r": ids[blocking.right[keep]],
        "score": np.round(prob[keep], 4),
        "evidence": _with_rarity(waterfall_texts(model, {f: lv[keep] for f, lv in
                                                           levels.items()}), rarity[keep]),
        "decision": np.select([merged[keep], to_review[keep], over_budget[keep]],
                              ["merge", REVIEW, OVER_BUDGET], "household"),
        "match_weight": np.round(weight[keep], 2),
    }, columns=list(PAIR_COLUMNS))
    best = np.full(len(ids), -1.0)
    merged_at = np.flatnonzero(merged)
    for side in (blocking.left, blocking.right):
        np.maximum.at(best, side[merged_at], prob[merged_at])
    best[best < 0] = 1.0
    # ids and texts made once per entity and once per entity size, then spread to the
    # records; an entity's id is its smallest record id (stable from build to build)
    smallest, of_root = entity_roots(ids, labels)
    entity_ids = np.array([f"person:{rid}" for rid in smallest.tolist()], dtype=object)
    sizes, of_size = np.unique(np.bincount(labels, minlength=len(ids))[labels],
                               return_inverse=True)
    size_texts = np.array([f"fellegi-sunter: {s} records" if s > 1 else "single record"
                           for s in sizes.tolist()], dtype=object)
    entities = pd.DataFrame({
        "record_id": ids,
        "entity_id": entity_ids[of_root],
        "score": np.round(best, 4),
        "evidence": size_texts[of_size],
    }, columns=list(ENTITY_COLUMNS))
    band = np.searchsorted(keep, review_order)  # rows of ``pairs``, in review order
    review = ReviewQueue(review_budget, len(ids), capacity, pd.DataFrame({
        "rank": np.arange(1, len(band) + 1),
        "decision": pairs["decision"].to_numpy()[band],
        "record_id_l": pairs["record_id_l"].to_numpy()[band],
        "record_id_r": pairs["record_id_r"].to_numpy()[band],
        "score": pairs["score"].to_numpy()[band],
        "refused_merge": prob[review_order] >= merge,
        "evidence": pairs["evidence"].to_numpy()[band],
    }, columns=list(REVIEW_COLUMNS)))
    clock.lap("output")
    return Resolution(entities, pairs, method="Fellegi-Sunter resolution, weights by EM",
                      model=model, blocking=blocking, stages=clock.laps, review=review)


def _with_rarity(texts: np.ndarray, rarity: np.ndarray) -> np.ndarray:
    """Waterfall texts with the name-frequency weight appended where it is not 0."""
    shown = np.abs(rarity) > 0.005
    if shown.any():
        texts = texts.copy()
        texts[shown] = texts[shown] + pd.Series(np.round(rarity[shown], 2)).map(
            lambda v: f"; name frequency: how common the name is ({v:+.1f})").to_numpy(
            dtype=object)
    return texts


class _Clock:
    """Seconds of each stage, in order."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.laps[stage] = round(now - self._last, 3)
        self._last = now


def waterfall_texts(model, levels: dict[str, np.ndarray]) -> np.ndarray:
    """The waterfall text of every pair at once: the same as joining
    :func:`~graphkit.resolve.model.explain` rows. A text depends only on the pair's
    levels, so it is made once per distinct pattern of levels and spread to the pairs."""
    n = len(next(iter(levels.values())))
    if n == 0:
        return np.empty(0, dtype=object)
    radix = 1 + max(len(names) for names in LEVELS.values())  # levels run -1 .. len - 1
    pattern = np.zeros(n, dtype=np.int64)
    for field_name in LEVELS:
        pattern = pattern * radix + (levels[field_name].astype(np.int64) + 1)
    distinct, inverse = np.unique(pattern, return_inverse=True)
    first = np.empty(len(distinct), dtype=np.int64)
    first[inverse[::-1]] = np.arange(n)[::-1]  # one pair of each pattern
    texts = _waterfall_texts(model, {f: levels[f][first] for f in LEVELS})
    return texts[inverse]


def _waterfall_texts(model, levels: dict[str, np.ndarray]) -> np.ndarray:
    """:func:`waterfall_texts` built pair by pair, from one string per field and level."""
    n = len(next(iter(levels.values())))
    prior = float(np.log2(model.prior / (1 - model.prior)))
    text = np.full(n, f"prior: prior ({round(prior, 2):+.1f})", dtype=object)
    weights = model.weights()
    rounded = {}
    for field_name, names in LEVELS.items():
        w = np.round(weights[field_name], 2)
        lookup = np.array([f"{field_name}: missing (+0.0)"]
                          + [f"{field_name}: {label} ({w[i]:+.1f})"
                             for i, label in enumerate(names)], dtype=object)
        text = text + "; " + lookup[levels[field_name].astype(np.int64) + 1]
        rounded[field_name] = np.where(levels[field_name] == MISSING, 0.0,
                                       np.r_[0.0, w][levels[field_name].astype(np.int64) + 1])
    listed = sum(rounded[f] for f in HOUSEHOLD_FIELDS)
    extra = household_weight(rounded) - listed
    shown = np.abs(extra) > 0.005
    if shown.any():
        label = pd.Series(np.round(extra[shown], 2)).map(
            lambda v: f"; household: email, phone and address counted once ({v:+.1f})")
        text[shown] = text[shown] + label.to_numpy(dtype=object)
    return text


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
