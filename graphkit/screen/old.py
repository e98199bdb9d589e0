"""Sanctions screening: match people and companies against a sanctions frame.

Candidates come from a token index over every listed name and alias (romanization-class
tokens for people, suffix-free tokens for companies), never from a scan of the whole list;
each candidate is scored with rapidfuzz on the same keys, and a date of birth raises or
lowers the score. Every hit says which listed name matched and why.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pandas as pd
from rapidfuzz import fuzz

from graphkit.names import romanized_tokens
from graphkit.normalize import company_key
from graphkit.sources.ofac_csv import parse_sdn_date

HIT_COLUMNS = (
    "record_id", "name", "list", "list_id", "listed_name", "matched_name", "programs",
    "score", "evidence",
)
#: Default score at or above which a candidate is reported as a hit.
DEFAULT_THRESHOLD = 0.88


def _tokens(name: str, kind: str) -> list[str]:
    if kind == "person":
        return romanized_tokens(name)
    return (company_key(name) or "").split()


@dataclass
class _Listed:
    row: int
    name: str
    tokens: list[str]


class SanctionsIndex:
    """Token index over the names and aliases of a sanctions frame."""

    def __init__(self, sanctions: pd.DataFrame) -> None:
        self.sanctions = sanctions.reset_index(drop=True)
        self.names: list[_Listed] = []
        self.by_token: dict[tuple[str, str], set[int]] = defaultdict(set)
        for row, entry in self.sanctions.iterrows():
            kind = "person" if entry["kind"] == "person" else "company"
            for name in [entry["name"], *entry["aliases"]]:
                tokens = _tokens(name, kind)
                if not tokens:
                    continue
                pos = len(self.names)
                self.names.append(_Listed(int(row), name, tokens))
                for token in set(tokens):
                    self.by_token[(kind, token)].add(pos)

    def candidates(self, tokens: list[str], kind: str) -> set[int]:
        """Listed names sharing at least two tokens (or all, for one-token names)."""
        counts: dict[int, int] = defaultdict(int)
        for token in set(tokens):
            for pos in self.by_token.get((kind, token), ()):
                counts[pos] += 1
        need = min(2, len(set(tokens)))
        return {pos for pos, n in counts.items()
                if n >= min(need, len(set(self.names[pos].tokens)))}

    def screen_one(self, name: str, kind: str, dob: str = "",
                   threshold: float = DEFAULT_THRESHOLD) -> list[dict]:
        """Hits for one name, best first."""
        kind = "person" if kind == "person" else "company"
        tokens = _tokens(name, kind)
        if not tokens:
            return []
        best: dict[int, dict] = {}
        for pos in self.candidates(tokens, kind):
            listed = self.names[pos]
            entry = self.sanctions.iloc[listed.row]
            score, evidence = _score(tokens, listed.tokens, kind)
            score, dob_note = _adjust_for_dob(score, dob, list(entry["dobs"]))
            if dob_note:
                evidence += "; " + dob_note
            if score >= threshold and score > best.get(listed.row, {}).get("score", 0):
                best[listed.row] = {
                    "list": entry["list"], "list_id": entry["list_id"],
                    "listed_name": entry["name"], "matched_name": listed.name,
                    "programs": ";".join(entry["programs"]), "score": round(score, 3),
                    "evidence": evidence,
                }
        return sorted(best.values(), key=lambda h: -h["score"])


def _score(tokens: list[str], listed: list[str], kind: str) -> tuple[float, str]:
    a, b = " ".join(sorted(tokens)), " ".join(sorted(listed))
    sort_ratio = fuzz.token_sort_ratio(a, b) / 100
    joined = fuzz.ratio("".join(tokens), "".join(listed)) / 100
    score = max(sort_ratio, joined)
    shared = sorted(set(tokens) & set(listed))
    how = "romanization-class tokens" if kind == "person" else "name without legal suffixes"
    return score, f"{how}: '{a}' ~ '{b}' ({score:.2f}); shared tokens {', '.join(shared)}"


def _adjust_for_dob(score: float, dob: str, listed_dobs: list[str]) -> tuple[float, str]:
    if not dob or not listed_dobs:
        return score, ""
    listed = [d for d in (parse_sdn_date(t) for t in listed_dobs) if d]
    if any(dob.startswith(d) or d.startswith(dob) for d in listed):
        return min(1.0, score + 0.05), f"dob {dob} agrees with listed {', '.join(listed)}"
    if any(dob[:4] == d[:4] for d in listed):
        return score, f"dob year {dob[:4]} agrees"
    return score - 0.1, f"dob {dob} conflicts with listed {', '.join(listed)}"


def screen(names: pd.DataFrame, sanctions: pd.DataFrame,
           threshold: float = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """Screen ``names`` (columns ``record_id, name`` and optionally ``kind, dob``).

    Returns one row per hit with ``HIT_COLUMNS``; ``kind`` defaults to 'person'.
    """
    index = SanctionsIndex(sanctions)
    rows = []
    for rec in names.to_dict("records"):
        for hit in index.screen_one(str(rec["name"]), str(rec.get("kind") or "person"),
                                    str(rec.get("dob") or ""), threshold):
            rows.append({"record_id": rec["record_id"], "name": rec["name"], **hit})
    return pd.DataFrame(rows, columns=list(HIT_COLUMNS))
