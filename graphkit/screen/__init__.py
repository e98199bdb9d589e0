"""Sanctions screening of people and companies, explained and fast.

``graphkit.screen(names_df, lists)`` returns one row per hit (``HIT_COLUMNS``): which
listed entry, through which of its names or aliases, the calibrated score in [0, 1] and
the evidence (token alignment, supporting facts, each feature's share of the score). A
party on several lists (or loaded twice) is one hit per record, whose ``lists`` names
every ``list:list_id`` it is on.

Candidates come from :class:`~graphkit.screen.index.SanctionsIndex`; scoring is in
:mod:`graphkit.screen.score`. A score is the model's probability that the query is the
listed party; :data:`DEFAULT_THRESHOLD` is where a hit goes to a person to decide.
"""

from __future__ import annotations

import itertools
import sys
import types
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from graphkit.progress import Progress
from graphkit.screen.index import SanctionsIndex, bucket_of, tokens_for
from graphkit.screen.names import name_variants
from graphkit.screen.score import (
    FACT_FEATURES,
    MAX_FACT_LOG_ODDS,
    NAME_FEATURES,
    EntryFacts,
    calibrated,
    entry_facts,
    fact_cap,
    fact_flags,
    fact_notes,
    listed_date,
    logit,
    merge_compounds,
    name_features,
    probability,
    query_facts,
    summed_log_odds,
    token_similarity,
)
from graphkit.settings import DEFAULT_SETTINGS

HIT_COLUMNS = (
    "record_id", "name", "list", "list_id", "lists", "listed_name", "matched_name", "alias_quality",
    "programs", "score", "name_score", "evidence",
)
#: Default score at or above which a candidate is reported: the model's probability
#: that the query is the listed party (0.5 = as likely as not).
DEFAULT_THRESHOLD = DEFAULT_SETTINGS.screen_threshold
#: Input columns of ``graphkit screen``; all but ``record_id, name`` are optional.
INPUT_COLUMNS = ("record_id", "name", "kind", "dob", "country", "id_number")

#: Share of its inverse-frequency weight that a middle name keeps (its absence costs little).
OPTIONAL_WEIGHT = 0.25
#: Bounds of the caches (token pairs compared; names screened, per bucket).
SIMILARITY_CACHE = 200_000
NAME_CACHE = 20_000

_similarity = lru_cache(maxsize=SIMILARITY_CACHE)(token_similarity)


@dataclass
class Candidate:
    """One scored listed name for one query name (before supporting facts)."""

    row: int
    listed_name: str
    weak: bool
    features: dict[str, float]
    pairs: list[tuple[str, str, float]]
    #: log-odds from the name alone (no supporting facts): the name's terms of the
    #: calibrated log-odds, summed in the model's order
    name_terms: float


class Screener:
    """Screens names against a sanctions frame (indexes built once)."""

    def __init__(self, sanctions: pd.DataFrame) -> None:
        self.index = SanctionsIndex(sanctions)
        self.sanctions = self.index.sanctions
        self._entries = self.sanctions.to_dict("records")
        self._party = same_party(self._entries)
        self._lists = {}
        for row, party in enumerate(self._party):
            entry = self._entries[row]
            self._lists.setdefault(party, []).append(f"{entry['list']}:{entry['list_id']}")
        self._lists = {p: "; ".join(dict.fromkeys(refs)) for p, refs in self._lists.items()}
        self.name_candidates = lru_cache(maxsize=NAME_CACHE)(self._name_candidates)
        self._facts: list[EntryFacts | None] = [None] * len(self._entries)

    def entry_facts(self, row: int) -> EntryFacts:
        """The supporting facts of listed entry ``row``, parsed on first use."""
        facts = self._facts[row]
        if facts is None:
            facts = self._facts[row] = entry_facts(self._entries[row])
        return facts

    def _name_candidates(self, name: str, bucket: str) -> tuple[Candidate, ...]:
        """Scored-by-name candidates of one name in one bucket (cached by name)."""
        index = self.index.buckets[bucket]
        query = tokens_for(name, bucket)
        if not query:
            return ()
        out = []
        q_set = frozenset(query)
        q_joins = [a + b for a, b in itertools.pairwise(query)]
        q_shortest = min(map(len, q_joins), default=0)
        q_joins = frozenset(q_joins)
        for pos in index.candidates(query):
            listed = index.names[pos]
            if (q_joins.isdisjoint(listed.token_set) and listed.joins.isdisjoint(q_set)
                    and not _may_join(q_set, listed.tokens, listed.token_set,
                                      listed.shortest_join)
                    and not _may_join(listed.token_set, query, q_set, q_shortest)):
                q_tokens, l_tokens = query, listed.tokens  # nothing to join (the usual case)
            else:
                q_tokens, l_tokens = merge_compounds(query, listed.tokens)
            weights = [index.weight(t) for t in l_tokens]
            if listed.optional and l_tokens == listed.tokens:
                weights = [w * OPTIONAL_WEIGHT if opt else w
                           for w, opt in zip(weights, listed.optional, strict=True)]
            sim = [[_similarity(q, t) for t in l_tokens] for q in q_tokens]
            features, alignment = name_features(q_tokens, l_tokens, weights, sim,
                                                person=bucket == "person")
            features["weak_alias"] = float(listed.weak)
            out.append(Candidate(listed.row, listed.name, listed.weak, features,
                                 alignment.pairs, summed_log_odds(features, NAME_FEATURES)))
        return tuple(out)

    def screen_one(self, name: str, kind: str = "", dob: str = "", country: str = "",
                   id_number: str = "", threshold: float = DEFAULT_THRESHOLD) -> list[dict]:
        """Hits for one name at or above ``threshold``, best first, one per listed entry."""
        buckets = [bucket_of(kind)] if kind else ["person", "company"]
        # facts can add at most this much; a candidate below the bar even then is skipped
        bar = logit(threshold) - (MAX_FACT_LOG_ODDS if dob or country or id_number else 0.0)
        best: dict[int, dict] = {}
        query = query_facts(dob, country, id_number) if dob or country or id_number else None
        for bucket in buckets:
            for cand in self.name_candidates(name, bucket):
                if cand.name_terms < bar:
                    continue
                listed = self.entry_facts(cand.row)
                # even every fact this query and entry share could not lift it (compared
                # as a probability, a hair over the bound for the order of the additions)
                if probability(cand.name_terms + fact_cap(query, listed) + 1e-9) < threshold:
                    continue
                facts = fact_flags(query, listed) if query else {}
                score = probability(summed_log_odds(facts, FACT_FEATURES, cand.name_terms))
                if score < threshold or score <= best.get(cand.row, {}).get("score", -1):
                    continue
                entry = self._entries[cand.row]
                best[cand.row] = {
                    "list": entry["list"], "list_id": entry["list_id"],
                    "listed_name": entry["name"], "matched_name": cand.listed_name,
                    "alias_quality": "weak" if cand.weak else "strong",
                    "programs": ";".join(entry["programs"]), "score": round(score, 4),
                    "name_score": round(cand.features["name_min"], 4),
                    "_cand": cand, "_query": query, "_facts": facts,
                }
        hits = []
        seen: set[int] = set()
        for row, hit in sorted(best.items(), key=lambda item: (-item[1]["score"], item[0])):
            party = self._party[row]
            if party not in seen:  # one hit per listed party, however many lists
                seen.add(party)
                hit["lists"] = self._lists[party]
                hits.append(hit)
        for hit in hits:
            cand, query, facts = hit.pop("_cand"), hit.pop("_query"), hit.pop("_facts")
            notes = fact_notes(query, self.entry_facts(cand.row), facts) if query else []
            _, terms = calibrated({**cand.features, **facts})
            hit["evidence"] = _evidence(name, cand, notes, terms)
        return hits


def _may_join(other: frozenset[str], tokens: tuple[str, ...], token_set: frozenset[str],
              shortest_join: int) -> bool:
    """Whether ``other`` may write two of ``tokens`` as one word with a slip (it has fewer
    words and one long enough that ``tokens`` lacks): else ``merge_compounds`` is skipped."""
    return len(other) < len(tokens) and any(
        len(t) >= shortest_join - 1 and t not in token_set for t in other)


def same_party(entries: list[dict]) -> list[int]:
    """Per entry, the number of the listed party it is: entries with one ``list`` and
    ``list_id`` are one party, and so are entries of *different* lists with the same kind,
    the same screening tokens of their primary names and no conflicting year of birth
    (unless one list holds two such entries, which are then different people)."""
    party = list(range(len(entries)))
    by_ref: dict[tuple[str, str], int] = {}
    by_name: dict[tuple[str, tuple[str, ...]], list[int]] = {}
    for row, entry in enumerate(entries):
        ref = (str(entry["list"]), str(entry["list_id"]))
        party[row] = by_ref.setdefault(ref, row)
        if party[row] == row:
            bucket = bucket_of(entry["kind"])
            name = name_variants(entry["name"])[:2][-1]  # "(KOMID)" left out
            key = (bucket, tuple(sorted(tokens_for(name, bucket))))
            by_name.setdefault(key, []).append(row)
    for rows in by_name.values():
        lists = [entries[r]["list"] for r in rows]
        if len(rows) < 2 or len(set(lists)) < len(lists):
            continue
        years = [{d[:4] for d in (listed_date(t) for t in entries[r]["dobs"]) if d}
                 for r in rows]
        known = [y for y in years if y]
        if all(a & b for a, b in itertools.combinations(known, 2)):
            for r in rows:
                party[r] = rows[0]
    return [party[party[r]] for r in range(len(entries))]


def _evidence(name: str, cand: Candidate, notes: list[str],
              terms: list[tuple[str, float]]) -> str:
    which = "weak alias" if cand.weak else "name"
    tokens = ", ".join(f"{q}={t}" if s == 1.0 else f"{q}~{t} {s:.2f}"
                       for q, t, s in cand.pairs) or "none"
    parts = [f"'{name}' ~ listed {which} '{cand.listed_name}': tokens {tokens} "
             f"(romanization classes applied); name {cand.features['name_min']:.2f}"]
    parts.extend(notes)
    shown = [f"{f} {t:+.1f}" for f, t in terms if f != "bias" and abs(t) >= 0.05]
    parts.append("log-odds: " + ", ".join(shown))
    return "; ".join(parts)


def _as_frame(lists: pd.DataFrame | str | Path | Iterable) -> pd.DataFrame:
    from graphkit.lists import read_list

    if isinstance(lists, pd.DataFrame):
        return lists
    if isinstance(lists, str | Path):
        return read_list(lists)
    return pd.concat([_as_frame(item) for item in lists], ignore_index=True)


def screen(names: pd.DataFrame, lists: pd.DataFrame | str | Path | Iterable,
           threshold: float = DEFAULT_THRESHOLD, show_progress: bool = False,
           screener: Screener | None = None) -> pd.DataFrame:
    """Screen ``names`` (``INPUT_COLUMNS``; ``record_id, name`` required) against ``lists``.

    ``lists`` is a sanctions frame, a list file, or several of either. Returns one row per
    hit with ``HIT_COLUMNS``, best first within each record. One process: a pool of
    workers measured no faster on two cores (each worker rebuilds its caches cold).
    """
    missing = [c for c in ("record_id", "name") if c not in names.columns]
    if missing:
        raise ValueError(f"names to screen lack column(s) {', '.join(missing)}")
    screener = screener or Screener(_as_frame(lists))
    columns = [c for c in INPUT_COLUMNS if c in names.columns]
    records = list(zip(*(_texts(names[c]) for c in columns), strict=True))
    bar = Progress(len(records), "screen", unit="name", show=show_progress)
    # a name's repeats are screened one after another, so the (bounded) name cache meets
    # every repeat however large the batch; hits come back in input order
    name_at = columns.index("name")
    order = sorted(range(len(records)), key=lambda i: records[i][name_at])
    found: list[list[dict]] = [[] for _ in records]
    for start in range(0, len(order), _CHUNK):
        chunk = order[start:start + _CHUNK]
        for i in chunk:
            found[i] = _screen_record(screener, records[i], columns, threshold)
        bar.update(len(chunk))
    bar.close()
    return pd.DataFrame([row for rows in found for row in rows], columns=list(HIT_COLUMNS))


_CHUNK = 5_000


def _screen_record(screener: Screener, values: tuple, columns: list[str],
                   threshold: float) -> list[dict]:
    rec = dict(zip(columns, values, strict=True))
    return [{"record_id": rec["record_id"], "name": rec["name"], **hit}
            for hit in screener.screen_one(rec["name"], rec.get("kind", ""), rec.get("dob", ""),
                                           rec.get("country", ""), rec.get("id_number", ""),
                                           threshold)]


def _texts(column: pd.Series) -> list[str]:
    """A column's values as text, missing values as ``""`` (as :func:`_text` does)."""
    return [_text(v) for v in column.tolist()]


def _text(value: object) -> str:
    missing = value is None or value is pd.NA or (isinstance(value, float) and value != value)
    return "" if missing else str(value)


class _CallableModule(types.ModuleType):
    """Lets ``graphkit.screen(names, lists)`` call :func:`screen` while the package stays
    importable as ``graphkit.screen``."""

    def __call__(self, names: pd.DataFrame, lists, **options) -> pd.DataFrame:
        return screen(names, lists, **options)


sys.modules[__name__].__class__ = _CallableModule

__all__ = ["DEFAULT_THRESHOLD", "HIT_COLUMNS", "INPUT_COLUMNS", "Screener", "screen"]
