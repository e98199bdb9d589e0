"""The review budget: which uncertain record pairs go to a person, and which are kept apart.

A pair whose match probability lies between the review and merge thresholds, or whose
merge a rule refused (the chaining guard, relatives), is uncertain. Fellegi and Sunter
size this clerical region by what reviewers can handle, so it is a policy, not a
threshold: ``Settings.review_budget`` pairs per 1,000 records (None or 0: no cap).

Left unreviewed, a pair stays apart, so a review is worth the chance that it finds a
match: the band is ranked by that value (refused merges first, as they carry the
strongest evidence; then by match probability, highest first; ties by the pair's record
ids, so the order is the same in every build of the same data). The top
``ceil(budget × records / 1000)`` pairs are queued (decision ``review``); the rest keep
decision ``over_budget``: kept apart, never merged, still listed with their probability
and evidence (``review_pairs.csv``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from graphkit.csvsafe import write_csv

#: Decision of a pair queued for a person to review.
REVIEW = "review"
#: Decision of an uncertain pair ranked below the review budget: kept apart.
OVER_BUDGET = "over_budget"
#: Columns of ``review_pairs.csv`` (:attr:`ReviewQueue.pairs`).
REVIEW_COLUMNS = ("rank", "decision", "record_id_l", "record_id_r", "score",
                  "refused_merge", "evidence")
#: The build's file of the ranked band (for people: spreadsheet-safe CSV).
REVIEW_FILE = "review_pairs.csv"
#: The same pairs with values exact, for programs (``graphkit.open(folder).review_pairs``).
REVIEW_PARQUET = "review_pairs.parquet"


def review_capacity(budget: float | None, n_records: int) -> int | None:
    """Pairs the review queue may hold for ``n_records`` records: ``budget`` per 1,000
    records, rounded up; None (no cap) when ``budget`` is None or 0."""
    if budget is None or budget == 0:
        return None
    if isinstance(budget, bool) or not isinstance(budget, int | float) \
            or not math.isfinite(budget) or budget < 0:
        raise ValueError(f"review_budget: expected a number of pairs per 1,000 records "
                         f"(0 or more, 0 for no cap), got {budget!r}")
    return math.ceil(round(budget * n_records / 1000, 6))


def review_rank(prob: np.ndarray, refused: np.ndarray, first_id: np.ndarray,
                second_id: np.ndarray) -> np.ndarray:
    """Positions of the band's pairs in review order: refused merges first, then by
    match probability (highest first), then by the pair's record ids (``first_id`` the
    smaller of each pair, ``second_id`` the larger; strings)."""
    _, codes = np.unique(np.r_[first_id, second_id].astype(str), return_inverse=True)
    first, second = codes[:len(first_id)], codes[len(first_id):]
    return np.lexsort((second, first, -np.asarray(prob, dtype=np.float64),
                       ~np.asarray(refused, dtype=bool)))


def apply_budget(to_review: np.ndarray, prob: np.ndarray, merge: float, ids: np.ndarray,
                 left: np.ndarray, right: np.ndarray, capacity: int | None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split the band (``to_review``, a mask over the candidate pairs ``left``/``right``,
    positions into ``ids``) by the budget: the masks of queued and of over-budget pairs,
    and the band's pair positions in review order."""
    band = np.flatnonzero(to_review)
    a, b = ids[left[band]].astype(str), ids[right[band]].astype(str)
    first = a <= b
    order = band[review_rank(prob[band], prob[band] >= merge, np.where(first, a, b),
                             np.where(first, b, a))]
    queued = np.zeros(len(to_review), dtype=bool)
    over = np.zeros(len(to_review), dtype=bool)
    cut = len(order) if capacity is None else min(capacity, len(order))
    queued[order[:cut]] = True
    over[order[cut:]] = True
    return queued, over, order


@dataclass(frozen=True)
class ReviewQueue:
    """The ranked band of one resolution: ``pairs`` (``REVIEW_COLUMNS``, in review
    order, queued first), the ``budget`` (pairs per 1,000 records, None: no cap), the
    ``records`` resolved and the ``capacity`` it gave."""

    budget: float | None
    records: int
    capacity: int | None
    pairs: pd.DataFrame

    @property
    def queued(self) -> int:
        """Pairs queued for review."""
        return int((self.pairs["decision"] == REVIEW).sum())

    @property
    def over_budget(self) -> int:
        """Uncertain pairs ranked below the budget, kept apart."""
        return int((self.pairs["decision"] == OVER_BUDGET).sum())

    def line(self) -> str:
        """One sentence on the budget for summary.txt and report.html ('' if no pair is
        over it)."""
        if not self.over_budget:
            return ""
        return (f"{self.over_budget:,} further uncertain pairs over the review budget "
                f"({self.budget:g} per 1,000 records: {self.capacity:,} queued), kept "
                f"apart; see {REVIEW_FILE}")


def review_lines(queue: ReviewQueue | None) -> list[str]:
    """summary.txt's line on the review budget (none when no pair is over it)."""
    line = queue.line() if queue is not None else ""
    return [f"Review budget: {line}"] if line else []


def review_frame(queue: ReviewQueue | None) -> pd.DataFrame:
    """The ranked band of ``queue`` (``REVIEW_COLUMNS``; no rows without a queue)."""
    if queue is not None:
        return queue.pairs
    return pd.DataFrame({"rank": pd.Series(dtype="int64"), "decision": pd.Series(dtype=object),
                         "record_id_l": pd.Series(dtype=object),
                         "record_id_r": pd.Series(dtype=object),
                         "score": pd.Series(dtype="float64"),
                         "refused_merge": pd.Series(dtype=bool),
                         "evidence": pd.Series(dtype=object)})[list(REVIEW_COLUMNS)]


def write_review_pairs(queue: ReviewQueue | None, folder: str | Path, safe: bool = True
                       ) -> list[Path]:
    """Write the ranked band (queued pairs, then those over the budget) into ``folder``:
    ``review_pairs.csv`` for people (``safe``: formula cells neutralised) and
    ``review_pairs.parquet`` with values exact; returns both paths."""
    folder = Path(folder)
    frame = review_frame(queue)
    write_csv(frame, folder / REVIEW_FILE, safe)
    frame.astype({"record_id_l": str, "record_id_r": str}).to_parquet(
        folder / REVIEW_PARQUET, index=False)
    return [folder / REVIEW_FILE, folder / REVIEW_PARQUET]


__all__ = ["OVER_BUDGET", "REVIEW", "REVIEW_COLUMNS", "REVIEW_FILE", "REVIEW_PARQUET",
           "ReviewQueue", "apply_budget", "review_capacity", "review_frame", "review_lines",
           "review_rank", "write_review_pairs"]
