"""The risk model, calibrated on the population itself.

A finding weighs by how surprising it is in this data: ``−log2`` of how often people here
are caught in findings of the same pattern and at least the same size (2, or 3 and more
distinct people), counted over the whole population's unexplained findings, with one
pseudo-finding so nothing is certain::

    rate(pattern, size) = (1 + people in unexplained findings of pattern with ≥ size)
                          / (1 + people in the population)
    weight = −log2(rate) × factor

``factor`` is 1, or less when a benign explanation applies (a household's joint account
or family phone plan: 0; roommates: a quarter; shipping to a company site: 0), or the
sanctions match score. A ring's points are the sum of its findings' weights, a repeat of
a pattern counting a third; ``model.score_of`` maps points to 0–100. The ring-level VPN
finding is calibrated against the rings themselves (:func:`vpn_weights`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Findings with this many distinct people or more share one size class.
MAX_SIZE_CLASS = 3
#: Weight of a repeat of a pattern already found in the ring.
REPEAT_SHARE = 1 / 3


def calibrate(findings: pd.DataFrame, n_people: int) -> pd.DataFrame:
    """``findings`` with ``bits`` (surprise of the pattern and size here) and ``weight``."""
    out = findings.copy()
    size = np.clip(out["n_people"].astype(int).to_numpy(), 1, MAX_SIZE_CLASS)
    out["size_class"] = size
    plain = (out["explained"] == "").to_numpy()
    bits = np.zeros(len(out))
    for rows in out.groupby("pattern").groups.values():
        idx = out.index.get_indexer(rows)
        sizes = size[idx]
        people = out["n_people"].astype(int).to_numpy()[idx]
        counted = plain[idx]
        for cls in np.unique(sizes):
            caught = people[counted & (sizes >= cls)].sum()
            bits[idx[sizes == cls]] = np.log2((1 + n_people) / (1 + caught))
    out["bits"] = np.round(bits, 2)
    out["weight"] = np.round(bits * out["factor"].astype(float).to_numpy(), 2)
    return out


def vpn_weights(vpn_counts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Weight of the ``vpn_logins`` finding per ring: rings where at least two members and
    at least half log in through VPNs; weighed by ``−log2`` of the share of all rings with
    at least as many VPN users (0 where the finding does not apply)."""
    applies = (vpn_counts >= 2) & (2 * vpn_counts >= sizes)
    counts = np.where(applies, vpn_counts, 0)
    order = np.sort(counts)
    at_least = len(order) - np.searchsorted(order, counts, side="left")
    bits = np.log2((1 + len(counts)) / (1 + at_least))
    return np.where(applies, np.round(bits, 2), 0.0)


__all__ = ["MAX_SIZE_CLASS", "REPEAT_SHARE", "calibrate", "vpn_weights"]
