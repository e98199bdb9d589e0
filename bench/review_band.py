"""What the review band holds as the records grow: its pairs true against false, field by field.

For each population size the Faker people file of ``bench/scale_resolve.py`` is resolved
once; the pairs graphkit sends to review are split by the truth and tabulated:

* calibration: the share of true matches in bins of the match probability;
* per field: each comparison level (``-1`` missing on a side) among true and false review
  pairs, and the raw values (both missing, one missing, the same, present on both and
  different) of the columns the records carry;
* the commonest level patterns, and the model's ``m``, ``u`` and weight of every level;
* records with more than one review pair (what a per-record cap would remove);
* what-ifs over all candidate pairs, rescored: the national id's "different" level at its
  floor ``m`` (``FIELD_M_FLOOR``) instead of the EM estimate, and the household fields'
  disagreements summed instead of counted once (band = probability in
  [review, merge), household pairs excluded; merges counted as true and false), and
  whether true pairs change e-mail, phone and address together or independently;
* the review budget (``Settings.review_budget``, pairs per 1,000 records; ``--budget``,
  one or more): the same file resolved again under each budget, with the queued and the
  over-budget pairs per 1,000 records, true and false among each, and the pairwise F1
  with and without the budget (the same: pairs over the budget are kept apart, as
  uncertain pairs were before). The tables above are of the whole band (no budget).

    python bench/review_band.py --people 20000 100000 --cache DIR [--budget 1 0.5] [--brief]

A million people need about 4.4 GB: run it alone.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from scale_resolve import pairwise_scores, people_set

from graphkit.resolve import resolve
from graphkit.resolve.compare import LEVELS, MISSING, compare_pairs
from graphkit.resolve.households import different_people
from graphkit.resolve.model import (
    FIELD_M_FLOOR,
    HOUSEHOLD_FIELDS,
    FSModel,
    name_frequencies,
    probability,
    tf_name_adjustment,
)
from graphkit.resolve.prepare import prepare
from graphkit.resolve.review import OVER_BUDGET, REVIEW
from graphkit.settings import DEFAULT_SETTINGS

RAW_COLUMNS = ("middle_name", "national_id", "email", "phone", "street", "postcode", "dob")


def analyse(n_people: int, cache: Path | None, budgets: list[float], brief: bool = False
            ) -> list[dict]:
    """Resolve one people set and print the review band's tables; returns one row per
    budget (see :func:`budget_rows`)."""
    people, person = people_set(n_people, cache=cache)
    kept: dict = {}

    def keep_features(frame, workers=1):
        kept["features"] = prepare(frame, workers=workers)
        return kept["features"]

    def keep_levels(features, left, right):
        kept["levels"] = compare_pairs(features, left, right)
        return kept["levels"]

    result = resolve(people, prepare_with=keep_features, compare=keep_levels,
                     review_budget=None)
    features, levels, model = kept["features"], kept["levels"], result.model
    n = len(features)
    left, right = result.blocking.left, result.blocking.right
    truth = person[left] == person[right]
    position = pd.Series(np.arange(n), index=people["record_id"].to_numpy())
    review = result.pairs[result.pairs["decision"] == "review"]
    a = position[review["record_id_l"]].to_numpy()
    b = position[review["record_id_r"]].to_numpy()
    at = np.searchsorted(left * n + right, np.minimum(a, b) * n + np.maximum(a, b))
    is_true = truth[at]
    score = review["score"].to_numpy()
    print(f"\n=== {n_people:,} people, {n:,} records: {len(at):,} review pairs "
          f"({1000 * len(at) / n:.2f} per 1k records), {int(is_true.sum()):,} true")
    if brief:
        del features, levels  # not needed again: memory for the budgets' resolutions
        kept.clear()
        return budget_rows(n_people, people, person, result, budgets)
    for lo, hi in ((0.5, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 0.95), (0.95, 1.01)):
        s = (score >= lo) & (score < hi)
        if s.any():
            print(f"  probability {lo:.2f}–{min(hi, 1):.2f}: {int(s.sum()):5,} pairs, "
                  f"true share {is_true[s].mean():.2f}")
    print("  field        level                 review true  review false   all true  all false")
    for field_name, names in LEVELS.items():
        weights = model.weights()[field_name]
        for level in range(-1, len(names)):
            sel = levels[field_name][at] == level
            every = levels[field_name] == level
            label = "missing" if level == MISSING else names[level][:18]
            w = "" if level == MISSING else f"{weights[level]:+6.2f}"
            print(f"  {field_name:12} {level:2} {label:18} {int((sel & is_true).sum()):11,}"
                  f" {int((sel & ~is_true).sum()):13,} {int((every & truth).sum()):10,}"
                  f" {int((every & ~truth).sum()):10,}  w {w}")
    print("  raw values (true, false): both missing / one missing / same / both present "
          "and different")
    for column in RAW_COLUMNS:
        values = people[column].fillna("").astype(str).to_numpy()
        va, vb = values[left[at]], values[right[at]]
        state = np.select([(va == "") & (vb == ""), (va == "") | (vb == ""), va == vb],
                          ["both missing", "one missing", "same"], "different")
        print(f"  {column:12} " + "  ".join(
            f"{s} {int(((state == s) & is_true).sum())}/{int(((state == s) & ~is_true).sum())}"
            for s in ("both missing", "one missing", "same", "different")))
    pattern = pd.Series([";".join(f"{f[:3]}{int(levels[f][k])}" for f in LEVELS) for k in at])
    table = pd.DataFrame({"pattern": pattern, "true": is_true}).groupby("pattern")["true"].agg(
        ["size", "sum"]).sort_values("size", ascending=False).head(12)
    print("  commonest level patterns (pairs, true):")
    for name, row in table.iterrows():
        print(f"    {name:44} {int(row['size']):5} {int(row['sum']):5}")
    degree = np.bincount(np.r_[a, b], minlength=n)
    print(f"  records in review: {int((degree > 0).sum()):,}, with more than one review pair:"
          f" {int((degree > 1).sum()):,}")
    _what_ifs(features, left, right, levels, truth, model)
    del features, levels
    kept.clear()
    return budget_rows(n_people, people, person, result, budgets)


def _true_pairs(pairs: pd.DataFrame, person_of: pd.Series) -> np.ndarray:
    return (person_of[pairs["record_id_l"]].to_numpy()
            == person_of[pairs["record_id_r"]].to_numpy())


def budget_rows(n_people: int, people: pd.DataFrame, person: np.ndarray, free,
                budgets: list[float]) -> list[dict]:
    """The band without a budget (``free``, a resolution with ``review_budget=None``) and
    under each budget: pairs, per 1,000 records, true and false, and pairwise F1."""
    n = len(people)
    person_of = pd.Series(person, index=people["record_id"].to_numpy())
    f1_free = pairwise_scores(free.entities["entity_id"].to_numpy(), person)[2]
    band = free.review.pairs
    true = _true_pairs(band, person_of)
    rows = [{"people": n_people, "records": n, "budget": "none", "queued": len(band),
             "queued_true": int(true.sum()), "over": 0, "over_true": 0, "f1": f1_free}]
    for budget in budgets:
        capped = resolve(people, review_budget=budget)
        queue = capped.review.pairs
        true = _true_pairs(queue, person_of)
        queued = (queue["decision"] == REVIEW).to_numpy()
        over = (queue["decision"] == OVER_BUDGET).to_numpy()
        rows.append({"people": n_people, "records": n, "budget": f"{budget:g}",
                     "queued": int(queued.sum()), "queued_true": int((queued & true).sum()),
                     "over": int(over.sum()), "over_true": int((over & true).sum()),
                     "f1": pairwise_scores(capped.entities["entity_id"].to_numpy(),
                                           person)[2]})
    return rows


def print_budget_rows(rows: list[dict]) -> None:
    """The band per budget: queued and over-budget pairs, per 1k records, true/false."""
    print("\n| people (records) | budget per 1k | queued (per 1k) | queued true / false | "
          "over budget (per 1k) | over true / false | F1 |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        per = 1000 / r["records"]
        print(f"| {r['people']:,} ({r['records']:,}) | {r['budget']} | {r['queued']:,} "
              f"({r['queued'] * per:.2f}) | {r['queued_true']:,} / "
              f"{r['queued'] - r['queued_true']:,} | {r['over']:,} ({r['over'] * per:.2f}) | "
              f"{r['over_true']:,} / {r['over'] - r['over_true']:,} | {r['f1']:.4f} |")


def _what_ifs(features, left, right, levels, truth, model: FSModel) -> None:
    """Band and merges over all candidate pairs, rescored under each what-if."""
    rarity = tf_name_adjustment(levels, left, right, *name_frequencies(features))
    apart = different_people(features, left, right, levels)
    floor = {f: m.copy() for f, m in model.m.items()}
    floor["national_id"][0] = FIELD_M_FLOOR["national_id"]
    floor["national_id"] /= floor["national_id"].sum()

    def summed(parts: dict) -> np.ndarray:
        stacked = np.stack([parts[f] for f in HOUSEHOLD_FIELDS])
        return np.clip(stacked, 0, None).max(axis=0) + np.clip(stacked, None, 0).sum(axis=0)

    def count(label: str, weight: np.ndarray) -> None:
        p = probability(weight + rarity)
        band = (p >= 0.5) & (p < 0.95) & ~apart
        merge = (p >= 0.95) & ~apart
        print(f"  what-if {label:36} band {int(band.sum()):6,} (true {int((band & truth).sum()):,})"
              f"  merges true {int((merge & truth).sum()):,} false "
              f"{int((merge & ~truth).sum()):,}  m(national id different) "
              f"{weight_model[0]:.4f}")

    weight_model = model.m["national_id"]
    count("as fitted", model.match_weight(levels))
    fixed = FSModel(m=floor, u=model.u, prior=model.prior)
    weight_model = floor["national_id"]
    count("national id 'different' at its floor m", fixed.match_weight(levels))
    parts = model.field_weights(levels)
    base = np.full(len(left), np.log2(model.prior / (1 - model.prior)))
    own = sum(w for f, w in parts.items() if f not in HOUSEHOLD_FIELDS)
    weight_model = model.m["national_id"]
    count("household disagreements summed", base + own + summed(parts))
    present = truth & np.all([levels[f] != MISSING for f in HOUSEHOLD_FIELDS], axis=0)
    differ = [levels[f][present] == 0 for f in HOUSEHOLD_FIELDS]
    print(f"  true pairs with e-mail, phone and address: all three differ in "
          f"{np.all(differ, axis=0).mean():.4f}, product of the shares "
          f"{np.prod([d.mean() for d in differ]):.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", nargs="+", type=int, default=[20_000, 100_000])
    parser.add_argument("--cache", type=Path, default=None,
                        help="folder keeping generated people sets (see scale_resolve.py)")
    parser.add_argument("--budget", nargs="+", type=float,
                        default=[DEFAULT_SETTINGS.review_budget],
                        help="review budgets (pairs per 1,000 records) to resolve under "
                             f"(default {DEFAULT_SETTINGS.review_budget:g})")
    parser.add_argument("--brief", action="store_true",
                        help="only the budget table, not the field-by-field analysis")
    args = parser.parse_args()
    rows = []
    for n_people in args.people:
        rows += analyse(n_people, args.cache, args.budget, args.brief)
        print_budget_rows(rows)


if __name__ == "__main__":
    main()
