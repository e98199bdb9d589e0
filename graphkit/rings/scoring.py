"""The risk model, calibrated on the population itself.

A finding weighs by how surprising it is in this data: ``−log2`` of how often people here
are caught in findings of the same detector, counted over the whole population's
unexplained findings (with one pseudo-finding, so nothing is certain), times the number
of coincidences it takes beyond the first member (k − 1 for k distinct people, at least 1,
at most 2: a third stranger on one phone is as unlikely again, a tenth adds nothing)::

    rate(detector) = (1 + people in unexplained findings of the detector)
                    / (1 + people in the population)
    weight = −log2(rate) × clip(k − 1, 1, 2) × factor

``factor`` is 1, or less when a benign explanation applies (a household's joint account
or family phone plan: 0; roommates: a quarter; shipping to a company site: 0), or the
sanctions match score. A ring's points are the sum of its findings' weights, a repeat of
a pattern counting a third; ``model.score_of`` maps points to 0–100. The ring-level VPN
finding is calibrated against the rings themselves (:func:`vpn_weights`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Most coincidences one finding counts (k − 1 for k distinct people).
MAX_COINCIDENCES = 2
#: Weight of a repeat of a pattern already found in the ring.
REPEAT_SHARE = 1 / 3


def calibrate(findings: pd.DataFrame, n_people: int) -> pd.DataFrame:
    """``findings`` with ``bits`` (surprise of the pattern here), ``coincidences`` and
    ``weight`` (see the module docstring)."""
    out = findings.copy()
    people = out["n_people"].astype(int).to_numpy()
    plain = (out["explained"] == "").to_numpy()
    kind = out["detector"] if "detector" in out.columns else out["pattern"]
    caught = pd.Series(np.where(plain, people, 0)).groupby(kind.to_numpy()).sum()
    bits = np.log2((1 + n_people) / (1 + caught.reindex(kind).to_numpy(float)))
    out["bits"] = np.round(bits, 2)
    out["coincidences"] = np.clip(people - 1, 1, MAX_COINCIDENCES)
    out["weight"] = np.round(bits * out["coincidences"] * out["factor"].astype(float)
                             .to_numpy(), 2)
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


__all__ = ["MAX_COINCIDENCES", "REPEAT_SHARE", "calibrate", "vpn_weights"]
