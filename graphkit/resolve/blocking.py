"""Blocking: candidate record pairs from several keys, with a cap on block size.

A pair is compared only when the two records share at least one blocking key: the same
romanized name key, two phonetic name tokens with the same birth year, a phonetic name
token with the same postcode, the same date of birth and phonetic initial, email, phone,
national id, passport, or postcode and street number. Blocks larger than ``max_block``
records are skipped (and reported) so one common value cannot blow up time or memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from graphkit.resolve.prepare import Features, phonetic

DEFAULT_MAX_BLOCK = 200


@dataclass
class Blocking:
    """Candidate pairs (``left`` < ``right``, row positions) and what each key produced."""

    left: np.ndarray
    right: np.ndarray
    pairs_by_key: dict[str, int] = field(default_factory=dict)
    skipped_blocks: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.left)


def blocking_keys(features: Features) -> dict[str, pd.Series]:
    """Each blocking rule's key per record ('' = no key); list-valued keys are exploded."""
    f = features.frame
    year = f["dob"].str[:4]
    phon = f["name_tokens"].map(lambda toks: sorted({phonetic(t) for t in toks if t}))
    first = phon.map(lambda keys: keys[0] if keys else "")
    token_year = pd.Series([[f"{a}|{b}|{y}" for i, a in enumerate(keys) for b in keys[i + 1:]]
                            if y and len(keys) > 1 else ([f"{keys[0]}||{y}"] if y and keys
                                                         else [])
                            for keys, y in zip(phon, year)], index=f.index).explode()
    token_postcode = pd.Series([[f"{k}|{p}" for k in keys] if p else []
                                for keys, p in zip(phon, f["postcode"])],
                               index=f.index).explode()
    return {
        "name": f["name_key"],
        "phonetic_token_pair+birth_year": token_year.fillna(""),
        "phonetic_token+postcode": token_postcode.fillna(""),
        "dob+phonetic_initial": (f["dob"] + "|" + first).where(f["dob"] != "", ""),
        "email": f["email"],
        "phone": f["phone"],
        "national_id": f["national_id"],
        "passport": f["passport"],
        "postcode+street_number": (f["postcode"] + "|" + f["street_number"]).where(
            (f["postcode"] != "") & (f["street_number"] != ""), ""),
    }


def _pairs_within_blocks(positions: np.ndarray, keys: np.ndarray, max_block: int,
                         n: int) -> tuple[np.ndarray, int, int]:
    """Pair codes ``i * n + j`` (i < j) of records sharing a key, without a Python loop
    over blocks: blocks are grouped by size, and each size's blocks become one matrix."""
    codes, _ = pd.factorize(keys)
    order = np.lexsort((positions, codes))
    codes, positions = codes[order], positions[order]
    # one record may carry a key twice (exploded lists): keep one
    first = np.ones(len(codes), dtype=bool)
    first[1:] = (codes[1:] != codes[:-1]) | (positions[1:] != positions[:-1])
    codes, positions = codes[first], positions[first]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    sizes = np.diff(np.r_[starts, len(codes)])
    skipped = int((sizes > max_block).sum())
    out = []
    for size in np.unique(sizes[(sizes >= 2) & (sizes <= max_block)]):
        block_starts = starts[sizes == size]
        members = positions[block_starts[:, None] + np.arange(size)]  # blocks × size
        i, j = np.triu_indices(int(size), 1)
        out.append((members[:, i].astype(np.int64) * n + members[:, j]).ravel())
    found = np.concatenate(out) if out else np.empty(0, dtype=np.int64)
    return found, len(found), skipped


def block(features: Features, max_block: int = DEFAULT_MAX_BLOCK) -> Blocking:
    """Candidate pairs from every blocking key."""
    n = len(features)
    codes: list[np.ndarray] = []
    by_key: dict[str, int] = {}
    skipped: dict[str, int] = {}
    for name, keys in blocking_keys(features).items():
        keys = keys[keys != ""]
        found, by_key[name], skipped[name] = _pairs_within_blocks(
            keys.index.to_numpy(), keys.to_numpy(), max_block, n)
        codes.append(found)
    unique = np.unique(np.concatenate(codes)) if codes else np.empty(0, dtype=np.int64)
    return Blocking(unique // n, unique % n, by_key, skipped)


def pair_completeness(blocking: Blocking, true_pairs: set[tuple[int, int]]) -> float:
    """Share of true pairs (row positions, smaller first) that survive blocking."""
    if not true_pairs:
        return 1.0
    kept = set(zip(blocking.left.tolist(), blocking.right.tolist()))
    return len(true_pairs & kept) / len(true_pairs)
