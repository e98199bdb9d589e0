"""Score one query against one listed name: features, a calibrated score, evidence.

Name features come from an alignment of screening tokens (Jaro-Winkler, each token used
once, weighted by how rare the listed token is), so order, romanization class, a typo or
a dropped token each cost what they should. Supporting facts then move the score: a date
of birth, a nationality or an id number that agrees raises it, one that conflicts lowers
it. A logistic model (:data:`COEFFICIENTS`, fitted by ``bench/calibrate_screen.py``) turns
the features into a probability that the query is the listed party. Some weights are set
by hand, for what the training data cannot show: ``order_swapped`` (given names in another
order: "Eunjeong Kim" is not KIM Jong Un), ``half_given`` (a syllable of a given name left
out), and those the comment on :data:`COEFFICIENTS` names.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz.distance import OSA, Indel, JaroWinkler

from graphkit.lists.ofac_csv import parse_sdn_date
from graphkit.text.countries import country_code
from graphkit.text.names import (
    ROMANIZATION_CLASSES,
    canonical_syllable,
    is_romanized_syllable,
    same_romanization_class,
)
from graphkit.text.normalize import normalize_document
from graphkit.text.pinyin import is_pinyin_syllable

#: Aligned tokens below this similarity count as unmatched.
MIN_TOKEN_SIMILARITY = 0.8
FEATURES = ("bias", "name_min", "name_max", "joined", "exact", "info", "single_token",
            "order_swapped", "half_given", "weak_alias", "dob_exact", "dob_year",
            "dob_conflict", "country_agree", "country_conflict", "id_match")
#: Logistic weights per feature, fitted by ``bench/calibrate_screen.py --seed 101`` on
#: 13,946 labelled queries (96,074 candidates). Set by hand: ``order_swapped`` (fitted
#: -1.0: the training data has almost no innocents who are a listed name in another order),
#: ``weak_alias`` (fitted +0.5, as the benchmark's aliases are the SDN CSV's weak ones; a
#: weak alias must count less than a strong one), ``id_match`` (no examples) and
#: ``country_conflict`` (fitted about 0).
COEFFICIENTS: dict[str, float] = {
    "bias": -12.172, "name_min": 3.885, "name_max": 6.116, "joined": 2.502, "exact": 4.432,
    "info": 1.011, "single_token": -0.637, "order_swapped": -6.0, "half_given": -2.069,
    "weak_alias": -1.0, "dob_exact": 7.160, "dob_year": 3.201, "dob_conflict": -1.278,
    "country_agree": -0.187, "country_conflict": 0.0, "id_match": 5.0,
}


@dataclass
class Alignment:
    """Which query token met which listed token, and how well."""

    pairs: list[tuple[str, str, float]]
    query_cover: float
    listed_cover: float
    matched_weight: float
    #: (query index, listed index) of each pair
    positions: list[tuple[int, int]] = field(default_factory=list)


def align(query: Sequence[str], listed: Sequence[str], weights: Sequence[float],
          sim: Sequence[Sequence[float]]) -> Alignment:
    """Greedy best-first alignment of tokens; ``sim[i][j]`` compares query i, listed j."""
    order = sorted(((s, i, j) for i, row in enumerate(sim) for j, s in enumerate(row)
                    if s >= MIN_TOKEN_SIMILARITY), reverse=True)
    used_q: set[int] = set()
    used_l: set[int] = set()
    pairs = []
    positions = []
    matched_l = matched_q = matched_w = 0.0
    for s, i, j in order:
        if i in used_q or j in used_l:
            continue
        used_q.add(i)
        used_l.add(j)
        pairs.append((query[i], listed[j], s))
        positions.append((i, j))
        matched_l += weights[j] * s
        matched_w += weights[j]
    total_l = sum(weights) or 1.0
    # a query token weighs what the listed token it met weighs (unmatched: the mean)
    total_q = matched_w + (len(query) - len(used_q)) * total_l / max(len(listed), 1)
    matched_q = matched_l
    return Alignment(pairs, matched_q / (total_q or 1.0), matched_l / total_l, matched_w,
                     positions)


def order_swapped(positions: Sequence[tuple[int, int]],
                  repeated: frozenset[int] = frozenset()) -> bool:
    """Whether the matched tokens stand in another order than the listed name's, beyond
    moving one end to the other ("Jong Un Kim" keeps KIM Jong Un's order, "Un Jong Kim"
    does not): the listed positions, read in query order, are no rotation of a rising run.

    >>> order_swapped([(0, 1), (1, 2), (2, 0)]), order_swapped([(0, 2), (1, 1), (2, 0)])
    (False, True)
    """
    if len(positions) < 3:
        return False
    seq = [j for _, j in sorted(positions)]
    if repeated:  # "AL-AHMAD, Ahmad": which "ahmad" met which is arbitrary
        seq = [j for j in seq if j not in repeated]
        if len(seq) < 3:
            return False
    descents = sum(a > b for a, b in itertools.pairwise(seq))
    return descents > 1 or (descents == 1 and seq[-1] > seq[0])


@functools.lru_cache(maxsize=50_000)
def _repeated(tokens: tuple[str, ...]) -> frozenset[int]:
    """Positions of the tokens that occur more than once (or whose pair can swap)."""
    if len(set(tokens)) == len(tokens):
        return frozenset()
    return frozenset(i for i, t in enumerate(tokens) if tokens.count(t) > 1)


@functools.lru_cache(maxsize=50_000)
def _syllables(tokens: tuple[str, ...]) -> tuple[int, ...]:
    return tuple(i for i, t in enumerate(tokens)
                 if is_romanized_syllable(t) or is_pinyin_syllable(t))


def half_given(listed: tuple[str, ...], positions: Sequence[tuple[int, int]]) -> bool:
    """Whether the query met some of the listed name's Korean or Pinyin syllables but
    left one out: "Zong Zhao" is not ZHAO Guangzong, nor "Kim Jong" KIM Jong Un (the
    syllables of a given name are one name, not a first and a middle name).

    >>> half_given(("zhao", "guang", "zong"), [(0, 2), (1, 0)])
    True
    """
    syllables = _syllables(tuple(listed))
    if len(syllables) < 3:  # a surname and one syllable: "R. Jin" may be RYU Jin
        return False
    met = {j for _, j in positions}
    return any(j not in met for j in syllables) and any(j in met for j in syllables)


#: Similarity of a one-letter slip inside a romanized Korean syllable (``jogn`` ~ ``jong``).
SYLLABLE_TYPO_SIMILARITY = 0.85
_SPELLINGS_OF: dict[str, tuple[str, ...]] = {}
for _cls in ROMANIZATION_CLASSES:
    for _spelling in _cls:
        _SPELLINGS_OF[canonical_syllable(_spelling)] = tuple(dict.fromkeys(
            _SPELLINGS_OF.get(canonical_syllable(_spelling), ()) + _cls))


def _syllable_typo(syllable: str, other: str) -> float:
    """Similarity of a known syllable and a token that is no syllable of Korean or Pinyin:
    a one-letter slip (transposition, substitution, letter dropped or added) from any
    spelling of the syllable counts, anything else does not."""
    if len(other) < 3 or is_pinyin_syllable(other):
        return 0.0
    spellings = _SPELLINGS_OF.get(canonical_syllable(syllable), (syllable,))
    if any(OSA.distance(other, s, score_cutoff=1) <= 1 for s in spellings if len(s) >= 3):
        return SYLLABLE_TYPO_SIMILARITY
    return 0.0


def token_similarity(a: str, b: str) -> float:
    """Jaro-Winkler similarity of two screening tokens (1.0 when equal; tokens of one or
    two letters, and known romanized Korean syllables, must be equal)."""
    if a == b:
        return 1.0
    korean_a, korean_b = is_romanized_syllable(a), is_romanized_syllable(b)
    if korean_a and korean_b:
        # a Korean syllable is one name with another only when some romanization class
        # holds both: "yong" and "tong" differ by one letter and are different names
        return 0.95 if same_romanization_class(a, b) else 0.0
    if (korean_a or korean_b) and max(len(a), len(b)) <= 4:
        # ... but "jogn", no syllable at all, is a slip of "jong"
        return _syllable_typo(a, b) if korean_a else _syllable_typo(b, a)
    if is_pinyin_syllable(a) and is_pinyin_syllable(b):
        return 0.0  # likewise two Pinyin syllables: Zhou is not Zhao
    if min(len(a), len(b)) <= 2:
        return 0.0
    return JaroWinkler.normalized_similarity(a, b)


def merge_compounds(query: tuple[str, ...], listed: tuple[str, ...]
                    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Join adjacent tokens on one side that the other side writes as one word
    (``silver star`` / ``silverstar``).

    >>> merge_compounds(("volasys", "silverstar"), ("volasys", "silver", "star"))
    (('volasys', 'silverstar'), ('volasys', 'silverstar'))
    """
    return _merge(query, set(listed)), _merge(listed, set(query))


def _merge(tokens: tuple[str, ...], other: set[str]) -> tuple[str, ...]:
    """``tokens`` with each neighbouring pair joined that is a word of ``other``, or one
    slip from a word of ``other`` that ``tokens`` lacks (``yupeng`` / ``yupoeng``)."""
    if len(tokens) < 2:
        return tokens
    joins = [a + b for a, b in itertools.pairwise(tokens)]
    hit = [j in other for j in joins]
    if not any(hit):
        if len(other) >= len(tokens):  # the other side joins nothing it writes apart
            return tokens
        shortest = min(len(j) for j in joins) - 1
        firsts = {j[0] for j in joins}
        loose = [t for t in other
                 if len(t) >= shortest and t[0] in firsts and t not in tokens]
        if not loose:
            return tokens
        hit = [any(t[0] == j[0] and abs(len(t) - len(j)) <= 1
                   and OSA.distance(j, t, score_cutoff=1) <= 1 for t in loose) for j in joins]
        if not any(hit):
            return tokens
    out: list[str] = []
    i = 0
    while i < len(tokens):
        if i + 1 < len(tokens) and hit[i]:
            out.append(joins[i])
            i += 2
        else:
            out.append(tokens[i])
            i += 1
    return tuple(out)


def name_features(query: tuple[str, ...], listed: tuple[str, ...], weights: Sequence[float],
                  sim: Sequence[Sequence[float]], person: bool = True
                  ) -> tuple[dict[str, float], Alignment]:
    """Name features of a query against one listed name (``person``: token order counts)."""
    alignment = align(query, listed, weights, sim)
    swapped = person and order_swapped(alignment.positions, _repeated(tuple(listed)))
    half = person and half_given(listed, alignment.positions)
    a_q, a_l = alignment.query_cover, alignment.listed_cover
    joined = max(Indel.normalized_similarity("".join(query), "".join(listed)),
                 Indel.normalized_similarity("".join(sorted(query)), "".join(sorted(listed))))
    return {
        "name_min": min(a_q, a_l), "name_max": max(a_q, a_l), "joined": joined,
        "exact": float(sorted(query) == sorted(listed) and not swapped),
        "info": min(alignment.matched_weight, 20.0) / 10.0,
        "single_token": float(len(set(listed)) == 1 or len(set(query)) == 1),
        "order_swapped": float(swapped),
        "half_given": float(half),
    }, alignment


_ISO = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


def listed_date(text: str) -> str:
    """A list's date (``08 Jan 1984``, ``1984-01-08``, ``circa 1984``) as ISO text."""
    match = _ISO.match(text.strip())
    if match:
        return "-".join(p for p in match.groups() if p)
    return parse_sdn_date(text) or ""


@dataclass(frozen=True)
class QueryFacts:
    """A query's supporting facts, parsed once: ISO date of birth, country code and the
    id number as given and normalised (empty when absent)."""

    dob: str
    country: str
    id_number: str
    number: str | None

    def __bool__(self) -> bool:
        return bool(self.dob or self.country or self.number)


@dataclass(frozen=True)
class EntryFacts:
    """A listed entry's supporting facts, parsed once: ISO dates of birth (list order),
    country codes and normalised id numbers."""

    dobs: tuple[str, ...]
    countries: frozenset[str]
    ids: frozenset[str | None]


def query_facts(dob: str, country: str, id_number: str) -> QueryFacts:
    """Parse a query's date of birth, country and id number once."""
    return QueryFacts(_query_date(dob) if dob else "", _query_country(country) if country else "",
                      id_number, normalize_document(id_number) if id_number else None)


#: Dates of birth and countries repeat across a population's records: parsed once each.
_query_date = functools.lru_cache(maxsize=65_536)(listed_date)
_query_country = functools.lru_cache(maxsize=4_096)(country_code)


def entry_facts(entry: dict) -> EntryFacts:
    """Parse a listed entry's dates of birth, countries and id numbers once."""
    listed_ids = [*entry["passports"], *entry["national_ids"],
                  *(i.split(":", 1)[-1].split("(")[0] for i in entry["other_ids"])]
    return EntryFacts(
        tuple(d for d in (listed_date(t) for t in entry["dobs"]) if d),
        frozenset({country_code(c) for c in [*entry["nationalities"], *entry["citizenships"]]}
                  - {""}),
        frozenset(normalize_document(i) for i in listed_ids))


def fact_flags(query: QueryFacts, entry: EntryFacts) -> dict[str, float]:
    """The supporting-fact features of a query against an entry (no evidence notes)."""
    features: dict[str, float] = {}
    dob = query.dob
    if dob and entry.dobs:
        if any(dob.startswith(d) or d.startswith(dob) for d in entry.dobs):
            exact = any(len(d) >= 10 and d == dob for d in entry.dobs)
            features["dob_exact" if exact else "dob_year"] = 1.0
        else:
            features["dob_conflict"] = 1.0
    if query.country and entry.countries:
        features["country_agree" if query.country in entry.countries
                 else "country_conflict"] = 1.0
    if query.number and query.number in entry.ids:
        features["id_match"] = 1.0
    return features


def fact_cap(query: QueryFacts | None, entry: EntryFacts) -> float:
    """The most the supporting facts of ``query`` can add to the log-odds against
    ``entry``: only the facts both sides carry can agree."""
    if query is None:
        return 0.0
    cap = 0.0
    if query.dob and entry.dobs:
        cap += max(COEFFICIENTS["dob_exact"], COEFFICIENTS["dob_year"], 0.0)
    if query.country and entry.countries:
        cap += max(COEFFICIENTS["country_agree"], 0.0)
    if query.number and entry.ids:
        cap += max(COEFFICIENTS["id_match"], 0.0)
    return cap


def fact_notes(query: QueryFacts, entry: EntryFacts, features: dict[str, float]) -> list[str]:
    """Evidence notes for the supporting-fact ``features`` of a query against an entry."""
    notes: list[str] = []
    dobs = ", ".join(entry.dobs)
    if "dob_exact" in features or "dob_year" in features:
        notes.append(f"dob {query.dob} agrees with listed {dobs}")
    elif "dob_conflict" in features:
        notes.append(f"dob {query.dob} conflicts with listed {dobs}")
    if "country_agree" in features:
        notes.append(f"country {query.country} agrees")
    elif "country_conflict" in features:
        listed_text = ", ".join(sorted(entry.countries))
        notes.append(f"country {query.country} conflicts with listed {listed_text}")
    if "id_match" in features:
        notes.append(f"id number {query.id_number} is listed")
    return notes


def fact_features(dob: str, country: str, id_number: str, entry: dict) -> tuple[dict, list[str]]:
    """Features and evidence notes from the supporting facts of a query and an entry."""
    if not (dob or country or id_number):
        return {}, []
    query, facts = query_facts(dob, country, id_number), entry_facts(entry)
    features = fact_flags(query, facts)
    return features, fact_notes(query, facts, features)


#: The most that supporting facts can add to a name's log-odds.
MAX_FACT_LOG_ODDS = sum(max(COEFFICIENTS[f], 0.0) for f in FEATURES
                        if f in ("dob_exact", "dob_year", "country_agree", "id_match"))


def logit(probability: float) -> float:
    """Log-odds of a probability (clipped away from 0 and 1)."""
    p = min(max(probability, 1e-12), 1 - 1e-12)
    return math.log(p / (1 - p))


def calibrated(features: dict[str, float]) -> tuple[float, list[tuple[str, float]]]:
    """Probability from the logistic model, and each feature's contribution (log-odds)."""
    terms = [(f, COEFFICIENTS[f] * features.get(f, 1.0 if f == "bias" else 0.0))
             for f in FEATURES]
    return probability(summed_log_odds(features)), terms


#: The features of the name (first in :data:`FEATURES`) and of the supporting facts.
NAME_FEATURES = FEATURES[:FEATURES.index("dob_exact")]
FACT_FEATURES = FEATURES[len(NAME_FEATURES):]


def summed_log_odds(features: dict[str, float], fields: Sequence[str] = FEATURES,
                    start: float = 0.0) -> float:
    """``start`` plus each of ``fields``' terms, added one by one in :data:`FEATURES`
    order: the log-odds of :func:`calibrated`, so that a sum of the name's terms, carried
    on with the facts' terms, gives exactly the same number."""
    total = start
    for f in fields:
        total += COEFFICIENTS[f] * features.get(f, 1.0 if f == "bias" else 0.0)
    return total


def probability(log_odds_value: float) -> float:
    """The logistic model's probability for a log-odds (clipped to ±40)."""
    return 1.0 / (1.0 + math.exp(-max(min(log_odds_value, 40.0), -40.0)))
