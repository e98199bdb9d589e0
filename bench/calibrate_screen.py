"""Fit the screening model's logistic weights (``graphkit.screen.score.COEFFICIENTS``).

Training queries come from ``screen_data`` with a seed of their own (the accuracy bench
uses another): each candidate the index proposes is one example, labelled by whether it
is the query's entry. A third of the queries carry a date of birth and a country (the
entry's own for most positives, random otherwise) so the supporting-fact weights are
learnt too. Prints the weights to paste into ``score.py`` and a reliability table.

    python bench/calibrate_screen.py [--seed 101]
"""

from __future__ import annotations

import argparse
import random

import numpy as np
import screen_data

from graphkit.screen import Screener
from graphkit.screen.index import bucket_of
from graphkit.screen.score import FEATURES, calibrated, fact_features, listed_date


def _attach_facts(queries, entries, rng: random.Random) -> None:
    for q in queries:
        if rng.random() > 0.35:
            continue
        entry = entries.get(q.truth)
        own = rng.random() < 0.8 and entry is not None
        dobs = [listed_date(d) for d in entry["dobs"]] if entry else []
        q.dob = (rng.choice(dobs) if own and dobs else
                 f"{rng.randint(1940, 2004)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}")
        countries = entry["nationalities"] if entry else []
        q.country = (rng.choice(countries) if own and countries
                     else rng.choice(["US", "Korea, South", "China", "Russia", "Korea, North"]))


def examples(screener: Screener, queries, same) -> tuple[np.ndarray, np.ndarray]:
    """Feature matrix and labels, one row per (query, candidate)."""
    rows, labels = [], []
    entries = screener.sanctions.to_dict("records")
    for q in queries:
        for cand in screener.name_candidates(q.name, bucket_of(q.kind)):
            entry = entries[cand.row]
            facts, _ = fact_features(q.dob, q.country, "", entry)
            feats = {**cand.features, **facts, "bias": 1.0}
            rows.append([feats.get(f, 0.0) for f in FEATURES])
            labels.append(float(bool(q.truth) and entry["list_id"] in same.get(q.truth, ())))
    return np.array(rows), np.array(labels)


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 50) -> np.ndarray:
    """Logistic regression by Newton's method with an L2 penalty (not on the bias)."""
    w = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], l2)
    penalty[0] = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-np.clip(x @ w, -40, 40)))
        grad = x.T @ (p - y) + penalty * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-6:
            break
    return w


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=101)
    parser.add_argument("--aliases", type=int, default=2000)
    parser.add_argument("--variants", type=int, default=4000)
    parser.add_argument("--innocent", type=int, default=8000)
    args = parser.parse_args()
    sdn = screen_data.load_sdn()
    queries, _ = screen_data.build_queries(sdn, args.aliases, args.variants, args.innocent,
                                           args.seed)
    entries = {e["list_id"]: e for e in sdn.to_dict("records")}
    _attach_facts(queries, entries, random.Random(args.seed))
    screener = Screener(sdn)
    same = screen_data.equivalent_ids(sdn)
    x, y = examples(screener, queries, same)
    w = fit(x, y)
    print(f"{len(queries):,} queries, {len(y):,} candidate examples, {int(y.sum()):,} right")
    print("COEFFICIENTS = {")
    for name, value in zip(FEATURES, w, strict=True):
        print(f'    "{name}": {value:.3f},')
    print("}")
    print("\nreliability of the shipped COEFFICIENTS on these examples:")
    probs = np.array([calibrated(dict(zip(FEATURES, row, strict=True)))[0] for row in x])
    print("| predicted | examples | right (observed) |\n| --- | --- | --- |")
    for low in np.arange(0, 1, 0.1):
        mask = (probs >= low) & (probs < low + 0.1 + (low >= 0.9))
        if mask.any():
            print(f"| {low:.1f}–{low + 0.1:.1f} | {int(mask.sum()):,} | {y[mask].mean():.3f} |")


if __name__ == "__main__":
    main()
