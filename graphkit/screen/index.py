"""Candidate generation: an index over every listed name and alias, never a scan.

Each screening token is indexed as itself and, from four letters on, by its one-letter
deletions (SymSpell), so a typo still meets its listed spelling; so are two neighbouring
tokens joined ("silver star" meets "silverstar"), and two neighbouring syllables joined
by their deletions too (a word read as Pinyin syllables, "djuma" = "ju ma", still meets a
slip of it written whole, "djma"; two Korean syllables do not, see ``_slips_meet``).
Romanization variants already share one token (:mod:`graphkit.screen.names`). A query's
candidates are the names sharing a *rare* token with it, or two common ones (a bare "Kim"
finds nobody), ranked by the inverse-frequency weight of what they share (ties by index
position, so the cut never depends on hashing) and cut to ``max_candidates``; a listed name
whose tokens equal the query's is always a candidate. Whether a token is rare is decided on
its exact postings and on its typo neighbours apart, so typo tolerance never makes a rare
word look common.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

from graphkit.screen.names import (
    company_tokens,
    is_syllable,
    name_variants,
    optional_tokens,
    person_tokens,
)
from graphkit.text.names import is_romanized_syllable

#: A token found in more listed names than this is "common": alone it makes no candidate.
RARE_LIMIT = 64
#: Candidates scored per query (best by shared inverse-frequency weight).
MAX_CANDIDATES = 12
#: Distinct query tokens whose postings are kept (a bounded cache).
MATCH_CACHE = 50_000


def bucket_of(kind: str) -> str:
    """Index bucket of an entry or query kind: people apart from everything else."""
    return "person" if kind == "person" else "company"


def tokens_for(name: str, bucket: str) -> tuple[str, ...]:
    """Screening tokens of ``name`` for the bucket."""
    return person_tokens(name) if bucket == "person" else company_tokens(name)


def _deletions(token: str) -> set[str]:
    return {token[:i] + token[i + 1:] for i in range(len(token))} | {token}


def _slips_meet(a: str, b: str) -> bool:
    """Whether a slip of ``a`` and ``b`` written as one word meets them: two syllables
    ("djma" for "ju ma"), but not two Korean ones, which one letter apart are another name
    ("jongung" is no "jong un", as "tong" is no "yong")."""
    return (is_syllable(a) and is_syllable(b)
            and not (is_romanized_syllable(a) and is_romanized_syllable(b)))


@dataclass(frozen=True)
class ListedName:
    """One listed name or alias of one entry (``row`` in the sanctions frame)."""

    row: int
    name: str
    tokens: tuple[str, ...]
    weak: bool
    #: per token: a middle name whose absence costs little (see ``optional_tokens``)
    optional: tuple[bool, ...] = ()
    #: the distinct tokens
    token_set: frozenset[str] = field(init=False, repr=False, compare=False)
    #: neighbouring tokens joined, and the length of the shortest such join
    joins: frozenset[str] = field(init=False, repr=False, compare=False)
    shortest_join: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        joins = [a + b for a, b in itertools.pairwise(self.tokens)]
        object.__setattr__(self, "token_set", frozenset(self.tokens))
        object.__setattr__(self, "joins", frozenset(joins))
        object.__setattr__(self, "shortest_join", min(map(len, joins), default=0))


class NameIndex:
    """Postings of screening tokens → listed names, for one bucket."""

    def __init__(self) -> None:
        self.names: list[ListedName] = []
        self._postings: dict[str, set[int]] = defaultdict(set)
        self._frozen = False

    def add(self, listed: ListedName) -> None:
        """Index one listed name."""
        pos = len(self.names)
        self.names.append(listed)
        for token in set(listed.tokens):
            self._postings[token].add(pos)
            if len(token) >= 4:
                for variant in _deletions(token):
                    self._postings["~" + variant].add(pos)
        for a, b in zip(listed.tokens, listed.tokens[1:]):  # "silver star" meets "silverstar"
            self._postings["+" + a + b].add(pos)
            if len(a + b) >= 4 and _slips_meet(a, b):
                for variant in _deletions(a + b):
                    self._postings["~" + variant].add(pos)
        self._postings["=" + " ".join(sorted(listed.tokens))].add(pos)

    def freeze(self) -> None:
        """Finish building; computes token weights."""
        self._postings = dict(self._postings)
        n = max(len(self.names), 1)
        self.token_weight = {t: math.log(1 + n / len(p)) for t, p in self._postings.items()
                             if not t.startswith(("~", "="))}
        self.default_weight = math.log(1 + n)
        self.matches = lru_cache(maxsize=MATCH_CACHE)(self._matches)
        self._frozen = True

    def _matches(self, token: str) -> tuple[frozenset[int], frozenset[int]]:
        """Listed names holding ``token`` (or it joined), and those one slip away."""
        exact = set(self._postings.get(token, ()))
        exact |= self._postings.get("+" + token, set())
        near: set[int] = set()
        if len(token) == 3 and not exact:  # "chn" is "chun" with a letter dropped
            near |= self._postings.get("~" + token, set())
        if len(token) >= 4:
            for variant in _deletions(token):
                near |= self._postings.get("~" + variant, set())
        return frozenset(exact), frozenset(near - exact)

    def weight(self, token: str) -> float:
        """Inverse-frequency weight of a listed token (unknown tokens weigh the most)."""
        return self.token_weight.get(token, self.default_weight)

    def candidates(self, tokens: tuple[str, ...],
                   max_candidates: int = MAX_CANDIDATES) -> list[int]:
        """Positions of the listed names worth scoring against ``tokens``, best first."""
        unique = list(dict.fromkeys(tokens))
        # (listed names met, weight, query tokens it stands for)
        found = []
        common_word: list[bool] = []
        for t in unique:
            exact, near = self.matches(t)
            found.append((exact, self.weight(t), 1))
            found.append((near, self.weight(t), 1))
            # a word's typo neighbours are rare only when the word itself is
            common_word += [len(exact) > RARE_LIMIT] * 2
        for a, b in itertools.pairwise(tokens):  # "silver star" in the query, "silverstar" listed
            joined = self._postings.get(a + b)
            if joined:
                found.append((frozenset(joined), self.weight(a + b), 2))
                common_word.append(False)
        is_common = [c or len(f[0]) > RARE_LIMIT for f, c in zip(found, common_word, strict=True)]
        rare = [f[0] for f, c in zip(found, is_common, strict=True) if f[0] and not c]
        common = [f[0] for f, c in zip(found, is_common, strict=True) if f[0] and c]
        pool: set[int] = set().union(*rare) if rare else set()
        for a, b in itertools.combinations(common, 2):
            pool |= a & b
        met: dict[int, int] = dict.fromkeys(pool, 0)
        shared: dict[int, float] = dict.fromkeys(pool, 0.0)
        for (s, w, n), c in zip(found, is_common, strict=True):
            for pos in (s & pool if c else s):
                met[pos] += n
                shared[pos] += w
        names = self.names
        # a name that meets under half of the query and under half of itself is no match
        kept = [p for p in pool
                if 2 * met[p] >= len(unique) or 2 * met[p] >= len(names[p].tokens)]
        # rank by the weight shared, then by the share of the listed name's own tokens
        # that the query spells exactly ("KIM Jung Jong" before "KIM Jong Man"), then by
        # position: a fixed order, whatever the hash seed
        query_set = set(unique)

        def rank(p: int) -> tuple[float, float, int]:
            own = names[p].token_set
            return -shared[p], -len(own & query_set) / len(own), p

        exact_names = sorted(self._postings.get("=" + " ".join(sorted(tokens)), ()))
        best = [p for p in sorted(kept, key=rank) if p not in set(exact_names)]
        return exact_names + best[:max(max_candidates - len(exact_names), 0)]


class SanctionsIndex:
    """Name indexes (people, everything else) over a sanctions frame."""

    def __init__(self, sanctions: pd.DataFrame) -> None:
        self.sanctions = sanctions.reset_index(drop=True)
        self.buckets = {"person": NameIndex(), "company": NameIndex()}
        names = self.sanctions["name"].tolist()
        kinds = self.sanctions["kind"].tolist()
        strong = self.sanctions["aliases"].tolist()
        weak = self.sanctions["weak_aliases"].tolist()
        for row in range(len(self.sanctions)):
            bucket = bucket_of(kinds[row])
            index = self.buckets[bucket]
            seen: set[tuple[str, ...]] = set()
            aliases = [(a, False) for a in [names[row], *strong[row]]]
            aliases += [(a, True) for a in weak[row]]
            for alias, is_weak in aliases:
                for variant in name_variants(alias):
                    tokens = tokens_for(variant, bucket)
                    if tokens and tokens not in seen:
                        seen.add(tokens)
                        optional = optional_tokens(variant) if bucket == "person" else ()
                        index.add(ListedName(row, alias, tokens, is_weak, optional))
        for index in self.buckets.values():
            index.freeze()

    @property
    def size(self) -> int:
        """Number of indexed names and aliases."""
        return sum(len(i.names) for i in self.buckets.values())
