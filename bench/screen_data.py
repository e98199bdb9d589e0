"""Labelled screening queries built from the real SDN list (shared by the screening benches).

Positives: real aliases of entries (a.k.a. remarks and ``alt.csv``), and variants of
primary names — romanization (spellings of one Korean syllable or surname), order,
hyphens and spacing, typos, dropped tokens, company suffix and abbreviation changes.
Negatives: innocent near-miss names from Faker's en_US, ko_KR (romanized, with the usual
spellings), zh_CN (pinyin) and ru_RU (Cyrillic or BGN-style transliteration) locales, and
companies from the same locales. An innocent name whose tokens equal a listed name is a
true namesake, not a near miss, and is left out (the count is printed).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from faker import Faker

from graphkit.lists import read_sdn
from graphkit.screen.index import bucket_of, tokens_for
from graphkit.text.names import ROMANIZATION_CLASSES, romanize_hangul
from graphkit.text.normalize import name_tokens

SHARED_SDN = Path(__file__).resolve().parents[2] / "shared" / "data" / "ofac" / "sdn.csv"
_SPELLINGS = {s: cls for cls in ROMANIZATION_CLASSES for s in cls}
_SUFFIXES = ["Co., Ltd.", "Company Limited", "LLC", "Limited", "Corp.", "Inc.", ""]
_ABBREV = {"technology": "Tech", "international": "Intl", "trading": "Trade",
           "corporation": "Corp", "company": "Co", "development": "Dev"}
_BGN = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
                "a b v g d ye yo zh z i y k l m n o p r s t u f kh ts ch sh shch - y - e yu ya"
                .split(), strict=True))


@dataclass
class Query:
    """One query name with its truth (``list_id`` of the right entry, '' for innocents)."""

    name: str
    kind: str
    truth: str
    how: str
    korean: bool
    dob: str = ""
    country: str = ""


def load_sdn() -> pd.DataFrame:
    """The full SDN list: the shared 2024-05-03 file when present, else the bundled copy."""
    return read_sdn(SHARED_SDN if SHARED_SDN.exists() else None)


def is_korean_person(entry: dict) -> bool:
    """A DPRK-program person, or one whose name is all romanized Korean syllables."""
    if entry["kind"] != "person":
        return False
    tokens = name_tokens(entry["name"])
    return (any(p.startswith("DPRK") for p in entry["programs"])
            or (bool(tokens) and all(t in _SPELLINGS for t in tokens)))


def _typo(word: str, rng: random.Random, op: str = "") -> str:
    """One typing error inside ``word`` (never its first letter): ``sub``, ``del``,
    ``swap`` (adjacent letters) or ``ins``."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    op = op or rng.choice(["sub", "del", "swap", "ins"])
    letter = rng.choice("aeioulnrst")
    if op == "sub":
        choices = [c for c in "aeioulnrst" if c != word[i].lower()]
        return word[:i] + rng.choice(choices) + word[i + 1:]
    if op == "del":
        return word[:i] + word[i + 1:]
    if op == "swap":
        if word[i].lower() == word[i + 1].lower():
            i = max(1, i - 1)
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    return word[:i] + letter + word[i:]


def _respell(word: str, rng: random.Random) -> str:
    parts = re.split(r"([- ])", word)
    out = []
    for part in parts:
        cls = _SPELLINGS.get(part.lower())
        if cls:
            choice = rng.choice(cls)
            part = choice.capitalize() if part[:1].isupper() else choice
        out.append(part)
    return "".join(out)


#: Spelling pairs applicants and lists write either way (whole syllables for the Korean
#: ones, letters anywhere for the others).
SPELLING_PAIRS = (("v", "w"), ("dj", "j"), ("kh", "h"))
KOREAN_SPELLING_PAIRS = (("cho", "jo"), ("ku", "gu"), ("kyu", "gyu"), ("il", "eel"))


def _spelling(words: list[str], rng: random.Random) -> list[str] | None:
    """``words`` with one spelling pair swapped in one word, or None if none applies."""
    options = []
    for i, word in enumerate(words):
        low = word.lower()
        for a, b in KOREAN_SPELLING_PAIRS:
            for x, y in ((a, b), (b, a)):
                if low == x:
                    options.append((i, y))
        for a, b in SPELLING_PAIRS:
            for x, y in ((a, b), (b, a)):
                if x in low and (x != "j" or "dj" not in low) and (x != "h" or "kh" not in low):
                    options.append((i, low.replace(x, y, 1)))
    if not options:
        return None
    i, spelled = rng.choice(options)
    out = list(words)
    out[i] = spelled.capitalize() if words[i][:1].isupper() else spelled
    return out


def person_variant(name: str, rng: random.Random, korean: bool) -> tuple[str, str]:
    """A realistic variant of a listed person's name ("LAST, Given Names") and its kind:
    ``order``, ``typo`` (any one-letter error), ``swap`` (adjacent letters),
    ``substitution``, ``hyphen``, ``romanization`` and ``joined`` (Korean given names as
    one word), ``spelling`` (v/w, dj/j, kh/h, Cho/Jo, Ku/Gu, Kyu/Gyu, Il/Eel) and
    ``drop-middle`` (a given name after the first left out)."""
    last, _, given = name.partition(",")
    last, given = last.strip(), given.strip()
    given_parts = given.replace("-", " ").split()
    # a Korean given name has two syllables: dropping one makes another name, not a variant
    ops = ["order", "typo", "swap", "substitution", "hyphen", "spelling"]
    ops += ["romanization"] * 3 + ["joined"] if korean else ["drop-middle"] * 2
    how = rng.choice(ops)
    if how == "romanization":
        last = _respell(last.title(), rng)
        given = _respell(given, rng)
        given_parts = given.replace("-", " ").split()
        join = rng.choice([" ", "-", ""])
        given = join.join(given_parts) if join != "" else "".join(given_parts).capitalize()
        return (f"{last} {given}" if rng.random() < 0.5 else f"{given} {last}"), how
    if how == "joined" and len(given_parts) >= 2:
        joined = "".join(given_parts).capitalize()
        return (f"{joined} {last.title()}" if rng.random() < 0.5
                else f"{last.title()} {joined}"), how
    if how == "order" or not given_parts:
        return f"{given} {last.title()}".strip(), "order"
    if how == "hyphen":
        return f"{last.title()} {'-'.join(given_parts)}", how
    if how == "drop-middle" and len(given_parts) >= 2:
        given_parts.pop(rng.randrange(1, len(given_parts)))
        return f"{last.title()} {' '.join(given_parts)}", how
    words = [last.title(), *given_parts]
    if how == "spelling":
        spelled = _spelling(words, rng)
        if spelled:
            return " ".join(spelled), how
        how = "typo"
    long = [i for i, w in enumerate(words) if len(w) >= 4] or list(range(len(words)))
    i = rng.choice(long)
    op = {"swap": "swap", "substitution": "sub"}.get(how, "")
    words[i] = _typo(words[i], rng, op)
    return " ".join(words), how if op else "typo"


_LEGAL = {"co", "co.", "ltd", "ltd.", "llc", "limited", "inc", "inc.", "corp", "corp.",
          "company", "corporation", "joint", "stock", "ooo", "oao", "zao", "jsc", "ojsc",
          "pjsc", "cjsc", "liability", "l.l.c.", "s.a.", "c.a."}
_DOTTED = ["L.L.C.", "Coltd", "Co.Ltd.", "AO", "OOO", "L.L.C"]


def company_variant(name: str, rng: random.Random) -> tuple[str, str]:
    """A realistic variant of a listed company name and its kind: ``suffix``, ``dotted``
    (``L.L.C.``, ``Coltd``, Russian ``AO``), ``typo``, ``swap``, ``drop`` (a word after
    the first), ``abbreviation``, ``joined`` (two words written as one) and ``spelling``."""
    words = name.replace(",", " ").split()
    core = [w for w in words if w.lower() not in _LEGAL] or words
    how = rng.choice(["suffix", "dotted", "typo", "swap", "drop", "abbreviation", "joined",
                      "spelling"])
    suffix = rng.choice(_SUFFIXES)
    if how == "drop" and len(core) >= 3:
        core.pop(rng.randrange(1, len(core)))
    elif how == "abbreviation" and any(w.lower() in _ABBREV for w in core):
        core = [_ABBREV.get(w.lower(), w) for w in core]
    elif how in ("typo", "swap"):
        longest = max(range(len(core)), key=lambda i: len(core[i]))
        core[longest] = _typo(core[longest], rng, "swap" if how == "swap" else "")
    elif how == "joined" and len(core) >= 2:
        i = rng.randrange(len(core) - 1)
        core[i:i + 2] = [core[i] + core[i + 1].lower()]
    elif how == "spelling" and _spelling([w.lower() for w in core], rng):
        core = _spelling([w.lower() for w in core], rng) or core
    elif how == "dotted":
        suffix = rng.choice(_DOTTED)
        if suffix in ("AO", "OOO"):
            return f"{suffix} {' '.join(core).title()}", how
    else:
        how = "suffix"
    return f"{' '.join(core).title()} {suffix}".strip(), how


def _korean_innocent(fake: Faker, rng: random.Random) -> str:
    family = romanize_hangul(fake.last_name()).split()
    given = romanize_hangul(fake.first_name()).split()
    family_text = _respell(" ".join(family).capitalize(), rng)
    given = [_respell(g, rng) for g in given]
    join = rng.choice([" ", "-", ""])
    given_text = join.join(given).title() if join else "".join(given).capitalize()
    return f"{family_text} {given_text}" if rng.random() < 0.6 else f"{given_text} {family_text}"


def _russian_innocent(fake: Faker, rng: random.Random) -> str:
    name = " ".join(fake.name().split()[:2])
    if rng.random() < 0.3:
        return name
    out = []
    for ch in name:
        low = ch.lower()
        latin = _BGN.get(low, ch).strip("-") if low in _BGN else ch
        out.append(latin.capitalize() if ch != low else latin)
    return "".join(out)


def innocents(n: int, seed: int) -> list[Query]:
    """``n`` innocent people and companies from four Faker locales."""
    rng = random.Random(seed)
    fakers = {loc: Faker(loc) for loc in ("en_US", "ko_KR", "zh_CN", "ru_RU")}
    for i, fake in enumerate(fakers.values()):
        fake.seed_instance(seed * 10 + i)
    out = []
    for _ in range(n):
        loc = rng.choice(["en_US", "ko_KR", "ko_KR", "zh_CN", "ru_RU"])
        fake = fakers[loc]
        if rng.random() < 0.2:
            out.append(Query(fake.company(), "company", "", f"innocent {loc}", False))
            continue
        if loc == "ko_KR":
            name = _korean_innocent(fake, rng)
        elif loc == "zh_CN":
            name = fake.romanized_name()
        elif loc == "ru_RU":
            name = _russian_innocent(fake, rng)
        else:
            name = fake.name()
        out.append(Query(name, "person", "", f"innocent {loc}", loc == "ko_KR"))
    return out


def _aliases(entry: dict) -> list[str]:
    """Strong and weak aliases of an entry (the SDN CSV's Remarks a.k.a.s are weak)."""
    return [*entry["aliases"], *entry["weak_aliases"]]


def build_queries(sdn: pd.DataFrame, n_aliases: int, n_variants: int, n_innocent: int,
                  seed: int) -> tuple[list[Query], int]:
    """Labelled queries, and how many innocent names were dropped as exact namesakes."""
    rng = random.Random(seed)
    entries = [e for e in sdn.to_dict("records") if e["kind"] in ("person", "company")]
    with_alias = [e for e in entries if _aliases(e)]
    queries = []
    for entry in rng.sample(with_alias, min(n_aliases, len(with_alias))):
        queries.append(Query(rng.choice(_aliases(entry)), entry["kind"], entry["list_id"],
                             "alias", is_korean_person(entry)))
    korean = [e for e in entries if is_korean_person(e)]
    others = [e for e in entries if not is_korean_person(e)]
    picked = korean[: n_variants // 3] + rng.sample(others, n_variants - min(
        len(korean), n_variants // 3))
    for entry in picked:
        is_korean = is_korean_person(entry)
        if entry["kind"] == "person":
            text, how = person_variant(entry["name"], rng, is_korean)
        else:
            text, how = company_variant(entry["name"], rng)
        queries.append(Query(text, entry["kind"], entry["list_id"], how, is_korean))
    listed_keys = set()
    for entry in entries:
        bucket = bucket_of(entry["kind"])
        for name in [entry["name"], *_aliases(entry)]:
            listed_keys.add((bucket, tuple(sorted(tokens_for(name, bucket)))))
    dropped = 0
    for query in innocents(n_innocent, seed + 1):
        key = (bucket_of(query.kind), tuple(sorted(tokens_for(query.name, bucket_of(query.kind)))))
        if key in listed_keys:
            dropped += 1
            continue
        queries.append(query)
    return queries, dropped


def equivalent_ids(sdn: pd.DataFrame) -> dict[str, set[str]]:
    """Entries that share a listed name's tokens with another (indistinguishable by name)."""
    by_key: dict[tuple, set[str]] = {}
    for entry in sdn.to_dict("records"):
        bucket = bucket_of(entry["kind"])
        for name in [entry["name"], *_aliases(entry)]:
            key = (bucket, tuple(sorted(tokens_for(name, bucket))))
            by_key.setdefault(key, set()).add(entry["list_id"])
    out: dict[str, set[str]] = {}
    for ids in by_key.values():
        for list_id in ids:
            out.setdefault(list_id, {list_id}).update(ids)
    return out


@dataclass
class Scores:
    """Precision, recall and F1 at a threshold, and recall@1 (rank only)."""

    positives: int
    negatives: int
    recall_at_1: float
    precision: float
    recall: float
    f1: float


def evaluate(queries: list[Query], top: list[tuple[str, float]], threshold: float,
             same: dict[str, set[str]]) -> Scores:
    """Score each query's best candidate ``(list_id, score)`` ('' when none) at a threshold.

    A positive counts as found at rank 1 when its best candidate is its entry (or one
    indistinguishable by name); as a true positive when that candidate also reaches the
    threshold. Any other candidate at or above the threshold is a false positive.
    """
    tp = fp = rank1 = positives = 0
    for query, (list_id, score) in zip(queries, top, strict=True):
        right = bool(query.truth) and list_id in same.get(query.truth, {query.truth})
        positives += bool(query.truth)
        rank1 += right
        if score >= threshold and list_id:
            tp += right
            fp += not right
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / positives if positives else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(positives, len(queries) - positives,
                  rank1 / positives if positives else 0.0, precision, recall, f1)
