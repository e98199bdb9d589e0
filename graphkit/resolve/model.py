"""Fellegi–Sunter scoring with parameters estimated from the data, without labels.

``u`` (how often each agreement level occurs among non-matching pairs) is estimated from
random record pairs, which are almost all non-matches; the match prior among candidate
pairs from a strict deterministic rule with an assumed recall; ``m`` (the same among
matching pairs) by expectation–maximisation in sessions over candidate pairs that agree on
one field, training every other field — the approach Splink takes. A pair's match weight
is the sum of ``log2(m/u)`` over its non-missing fields plus the prior's log-odds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from graphkit.resolve.blocking import unique_codes
from graphkit.resolve.compare import LEVELS, MISSING, compare_pairs
from graphkit.resolve.prepare import Features, value_codes

_EPS = 1e-6
#: Share of the match mass every level keeps at least (see ``estimate_m``).
M_FLOOR = 0.01
#: A lower floor for the document numbers: a person keeps one national id and passport
#: (a typo is "one or two characters off"), so two that differ outright are strong
#: evidence against a match (see ``estimate_m``).
FIELD_M_FLOOR = {"national_id": 0.001, "passport": 0.001}


@dataclass
class FSModel:
    """m and u probabilities per field and level, and the match prior (the probability
    that two records drawn at random match)."""

    m: dict[str, np.ndarray]
    u: dict[str, np.ndarray]
    prior: float
    iterations: int = 0

    def weights(self) -> dict[str, np.ndarray]:
        """``log2(m/u)`` per field and level."""
        return {f: np.log2(self.m[f] / self.u[f]) for f in LEVELS}

    def field_weights(self, levels: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Weight each field adds to every pair (0 where a value is missing)."""
        out = {}
        for field_name, w in self.weights().items():
            lv = levels[field_name]
            out[field_name] = np.where(lv != MISSING, w[np.maximum(lv, 0)], 0.0)
        return out

    def match_weight(self, levels: dict[str, np.ndarray]) -> np.ndarray:
        """Match weight of every pair (log2 odds), household contacts counted once."""
        parts = self.field_weights(levels)
        total = np.full(len(next(iter(levels.values()))),
                        np.log2(self.prior / (1 - self.prior)))
        for field_name, w in parts.items():
            if field_name not in HOUSEHOLD_FIELDS:
                total += w
        return total + household_weight(parts)


#: Contact fields a household shares (spouses, parents and children): their agreements are
#: not independent, so only the strongest of them counts (disagreements all count).
HOUSEHOLD_FIELDS = ("email", "phone", "address")


def household_weight(parts: dict[str, np.ndarray]) -> np.ndarray:
    """Combined weight of the household fields: the largest positive one, plus the most
    negative one (a person who moves changes address, phone and e-mail together, so three
    disagreements are one piece of evidence, as three agreements are)."""
    stacked = np.stack([parts[f] for f in HOUSEHOLD_FIELDS])
    return np.clip(stacked, 0, None).max(axis=0) + np.clip(stacked, None, 0).min(axis=0)


def probability(weight: np.ndarray) -> np.ndarray:
    """Match probability from a match weight."""
    return 1.0 / (1.0 + np.power(2.0, -np.clip(weight, -60, 60)))


def _counts(levels: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {field_name: np.bincount(levels[field_name][levels[field_name] != MISSING],
                                    minlength=len(names)).astype(float)
            for field_name, names in LEVELS.items()}


def _frequencies(levels: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return u_from_counts(_counts(levels))


def u_from_counts(counts: dict[str, np.ndarray], prior: float = 0.0,
                  m: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """u from level counts among random pairs (one pseudo-count per level). With the
    match ``prior`` and ``m``, the matches expected among those random pairs are taken out
    first: in a small file with many duplicates, random pairs hold enough true matches to
    make agreeing on an identifier look common among non-matches."""
    out = {}
    for field_name, count in counts.items():
        if m is not None and prior > 0:
            count = np.clip(count - prior * count.sum() * m[field_name], 0.0, None)
        count = count + 1.0
        out[field_name] = count / count.sum()
    return out


def random_pair_counts(features: Features, sample: int = 200_000, seed: int = 7
                       ) -> dict[str, np.ndarray]:
    """Level counts per field among random record pairs."""
    n = len(features)
    rng = np.random.default_rng(seed)
    left = rng.integers(0, n, size=sample)
    right = rng.integers(0, n, size=sample)
    keep = left != right
    return _counts(compare_pairs(features, left[keep], right[keep]))


def estimate_u(features: Features, sample: int = 200_000, seed: int = 7) -> dict[str, np.ndarray]:
    """u probabilities from random record pairs."""
    return u_from_counts(random_pair_counts(features, sample, seed))


def estimate_prior(levels: dict[str, np.ndarray], recall: float = 0.7,
                   n_records: int | None = None) -> float:
    """Probability that two records match, from the pairs a strict rule calls certain
    (same romanized name and date of birth, or same national id and date of birth, or
    same email and a near-identical name), assuming the rule finds ``recall`` of all
    matches.

    With ``n_records``, the probability for two records drawn at random (the certain
    matches over all ``n(n-1)/2`` pairs), as Splink's ``probability_two_random_records_
    match``: consistent with ``u`` from random pairs, and falling as the records grow, so
    that a pair needs more evidence where there are more namesakes. Without, the share
    among the candidate pairs ``levels`` describes."""
    certain = ((levels["name"] == 4) & (levels["dob"] == 3)) \
        | ((levels["national_id"] == 2) & (levels["dob"] == 3)) \
        | ((levels["email"] == 2) & (levels["name"] >= 3))
    if n_records is not None:
        total = n_records * (n_records - 1) / 2
        return float(np.clip(certain.sum() / recall / max(total, 1.0), 1e-12, 0.99))
    share = certain.mean() / recall if len(certain) else 0.0
    return float(np.clip(share, 1e-4, 0.99))


def _em(levels: dict[str, np.ndarray], u: dict[str, np.ndarray], fields: list[str],
        iterations: int, tolerance: float) -> tuple[dict[str, np.ndarray], float, int]:
    """EM over ``fields`` with u fixed and the prior free; returns m, prior, iterations."""
    # one integer per pattern (levels are -1..4: base 8), counted with a bincount
    code = np.zeros(len(levels[fields[0]]), dtype=np.int64)
    for col, f in enumerate(fields):
        code += (levels[f].astype(np.int64) + 1) * 8 ** col
    counts = np.bincount(code)
    seen = np.flatnonzero(counts)
    counts = counts[seen].astype(float)
    patterns = np.stack([seen // 8 ** col % 8 - 1 for col in range(len(fields))], axis=1)
    m = {}
    for f in fields:
        k = len(LEVELS[f])
        init = np.full(k, 0.1 / max(k - 1, 1))
        init[-1] = 0.9
        m[f] = init
    prior, done = 0.3, 0
    for step in range(1, iterations + 1):
        done = step
        log_m = np.zeros(len(patterns))
        log_u = np.zeros(len(patterns))
        for col, f in enumerate(fields):
            lv = patterns[:, col]
            present = lv != MISSING
            log_m[present] += np.log(m[f][lv[present]])
            log_u[present] += np.log(u[f][lv[present]])
        a = np.log(prior) + log_m
        b = np.log(1 - prior) + log_u
        post = 1.0 / (1.0 + np.exp(np.clip(b - a, -700, 700)))
        weighted = post * counts
        new_prior = float(np.clip(weighted.sum() / counts.sum(), _EPS, 1 - _EPS))
        change = abs(new_prior - prior)
        prior = new_prior
        for col, f in enumerate(fields):
            lv = patterns[:, col]
            present = lv != MISSING
            totals = np.bincount(lv[present], weights=weighted[present],
                                 minlength=len(LEVELS[f]))
            # a Dirichlet floor: no level is impossible among matches (people change
            # phones and emails), which bounds every negative weight
            totals = totals + FIELD_M_FLOOR.get(f, M_FLOOR) * totals.sum() + _EPS
            new_m = totals / totals.sum()
            change = max(change, float(np.abs(new_m - m[f]).max()))
            m[f] = new_m
        if change < tolerance:
            break
    return m, prior, done


#: EM sessions: pairs agreeing exactly on the named field train m of every other field.
EM_SESSIONS: tuple[tuple[str, int], ...] = (("dob", 3), ("name", 4))


def estimate_m(levels: dict[str, np.ndarray], u: dict[str, np.ndarray],
               iterations: int = 40, tolerance: float = 1e-5,
               prior: float | None = None, n_records: int | None = None) -> FSModel:
    """m by expectation–maximisation in sessions, as Splink trains: the candidate pairs
    that agree exactly on one field (date of birth, then name) train m of every other
    field, so the field that selected the pairs cannot bias its own m; u (random pairs) is
    held fixed. Unless given, the prior comes from :func:`estimate_prior` (over all pairs
    of ``n_records`` records when given)."""
    learned: dict[str, list[np.ndarray]] = {f: [] for f in LEVELS}
    done = 0
    for field_name, level in EM_SESSIONS:
        mask = levels[field_name] == level
        if mask.sum() < 20:
            continue
        fields = [f for f in LEVELS if f != field_name]
        m, _, steps = _em({f: levels[f][mask] for f in fields}, u, fields, iterations,
                          tolerance)
        done += steps
        for f in fields:
            learned[f].append(m[f])
    final = {}
    for f, names in LEVELS.items():
        if learned[f]:
            final[f] = np.mean(learned[f], axis=0)
        else:  # never trained: agreement at the top level, a little elsewhere
            final[f] = np.full(len(names), 0.1 / max(len(names) - 1, 1))
            final[f][-1] = 0.9
    if prior is None:
        prior = estimate_prior(levels, n_records=n_records)
    return FSModel(m=final, u=u, prior=prior, iterations=done)


#: Weight of the unlabelled (EM) estimate of m, in labelled pairs, when labels refine it.
LABEL_PSEUDO_COUNT = 50.0


def refine_with_labels(model: FSModel, levels: dict[str, np.ndarray], is_match: np.ndarray,
                       pseudo_count: float = LABEL_PSEUDO_COUNT) -> FSModel:
    """m refined by labelled pairs (``levels`` of the labelled pairs, ``is_match`` per pair):
    each field's level frequencies among the labelled matches are blended with the EM
    estimate, which counts as ``pseudo_count`` pairs. u stays from random pairs (labelled
    non-matches are hard cases, not a sample of non-matches), as Splink does too."""
    matches = np.asarray(is_match, dtype=bool)
    m = {}
    for field_name, names in LEVELS.items():
        lv = levels[field_name][matches]
        counts = np.bincount(lv[lv != MISSING], minlength=len(names)).astype(float)
        blended = model.m[field_name] * pseudo_count + counts
        blended = blended + M_FLOOR * blended.sum() + _EPS
        m[field_name] = blended / blended.sum()
    return FSModel(m=m, u=model.u, prior=model.prior, iterations=model.iterations)


def explain(model: FSModel, levels: dict[str, np.ndarray], k: int) -> list[dict]:
    """The waterfall of pair ``k``: each field's level, its label and its weight."""
    weights = model.weights()
    rows = [{"field": "prior", "level": "", "weight": round(float(
        np.log2(model.prior / (1 - model.prior))), 2)}]
    for field_name, labels in LEVELS.items():
        level = int(levels[field_name][k])
        if level == MISSING:
            rows.append({"field": field_name, "level": "missing", "weight": 0.0})
        else:
            rows.append({"field": field_name, "level": labels[level],
                         "weight": round(float(weights[field_name][level]), 2)})
    parts = {f: np.array([r["weight"] for r in rows if r["field"] == f]) for f in
             HOUSEHOLD_FIELDS}
    counted = float(household_weight(parts)[0])
    listed = sum(float(parts[f][0]) for f in HOUSEHOLD_FIELDS)
    if abs(counted - listed) > 0.005:
        rows.append({"field": "household", "level": "email, phone and address counted once",
                     "weight": round(counted - listed, 2)})
    return rows


#: Name levels whose weight follows the name's frequency: similar, near-identical and same.
TF_NAME_LEVELS = (2, 3, 4)


def name_frequencies(features: Features) -> tuple[np.ndarray, float]:
    """Share of the people (with a name) that carry each record's name key (0 where the
    name is missing), the term frequency of Splink's term-frequency adjustment; and the
    chance that two people drawn at random share a name (the sum of the squared shares),
    the u those shares average to. A person is counted once however many records they
    have: records with the same name and date of birth count as one (a record without a
    date of birth counts on its own), so a much-duplicated person does not make their
    own name look common."""
    names, _ = value_codes(features.frame["name_key"])
    dobs, _ = value_codes(features.frame["dob"])
    present = np.flatnonzero(names >= 0)
    out = np.zeros(len(names))
    if len(present) == 0:
        return out, 0.0
    # one int64 per (name, date of birth), a missing date of birth distinct per record;
    # distinct by a sort (``np.unique(axis=0)`` sorts rows as structured values, slowly)
    dob = np.where(dobs[present] >= 0, dobs[present], int(dobs.max()) + 1 + present)
    radix = int(dobs.max()) + 1 + len(names)
    person = unique_codes(names[present] * radix + dob) // radix
    share = np.bincount(person, minlength=int(names.max()) + 1) / len(person)
    out[present] = share[names[present]]
    return out, float((share ** 2).sum())


def tf_name_adjustment(levels: dict[str, np.ndarray], left: np.ndarray, right: np.ndarray,
                       frequency: np.ndarray, typical: float) -> np.ndarray:
    """Weight added to every pair for how rare its name is, as Splink's term-frequency
    adjustment: at a similar, near-identical or the same name (``TF_NAME_LEVELS``),
    ``log2(typical / tf)`` with ``tf`` the share (:func:`name_frequencies`) of the more
    common of the two names and ``typical`` the chance two random people share a name, so
    a rare name shared counts for more than the commonest, and names count as much as
    before on average; 0 elsewhere."""
    lv = levels["name"]
    out = np.zeros(len(lv))
    at = np.flatnonzero(np.isin(lv, TF_NAME_LEVELS))
    if len(at) == 0 or typical <= 0:
        return out
    tf = np.maximum(frequency[left[at]], frequency[right[at]])
    known = tf > 0
    out[at[known]] = np.log2(typical / tf[known])
    return out
