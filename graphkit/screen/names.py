"""Screening keys of person and company names, on the shared name model.

People: :func:`graphkit.text.names.romanized_tokens` (Hangul, romanization classes, spacing of
Korean given names, nicknames) plus run-together Pinyin given names split, Cyrillic
transliteration and common Latin transliteration variants; a word is read again until its
tokens read as themselves, so that the tokens of a name's tokens are its tokens.
Companies: legal forms dropped wherever they stand ("LIMITED LIABILITY COMPANY ALIS" =
"Alis LLC"), stop words dropped, a few translated or abbreviated words mapped to one
spelling. A parenthesised acronym is a name of its own.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from graphkit.text.names import (
    NICKNAMES,
    canonical_syllable,
    is_romanized_syllable,
    romanize_hangul,
    romanized_tokens,
)
from graphkit.text.normalize import COMPANY_SUFFIXES, name_tokens
from graphkit.text.pinyin import is_pinyin_syllable, split_pinyin

#: Legal-form words, dropped wherever they stand: the suffixes and the words around them.
LEGAL_FORMS = COMPANY_SUFFIXES | frozenset(
    "cjsc pjsc liability joint stock private public holding holdings group sdn bhd fze fzco "
    "fzc jv coltd ao pao tov".split()
)
STOP_WORDS = frozenset("the of and for de la le du des y i".split())
#: Words that lists and applicants write in more than one way.
COMPANY_SYNONYMS = {
    "technologies": "technology", "tech": "technology", "technological": "technology",
    "trade": "trading", "intl": "international", "int": "international",
    "corporation": "corp", "cooperation": "corp", "dev": "development",
    "mgmt": "management", "svc": "services", "service": "services", "ind": "industrial",
    "industries": "industrial", "industry": "industrial", "bros": "brothers",
    "centre": "center", "assn": "association", "univ": "university",
    "network": "network", "networks": "network", "systems": "system",
    "solutions": "solution", "shipping": "shipping",
}

_CYRILLIC = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch - y - e yu ya".split(),
    strict=True,
))
#: Latin transliteration variants of Slavic names, applied to tokens that are not Korean.
_LATIN_VARIANTS = (
    (re.compile(r"ks"), "x"),
    (re.compile(r"(?<=[a-z])(iy|ij|yi|yy)$"), "y"),
    (re.compile(r"^yevg|^jevg"), "evg"), (re.compile(r"^(ye|je)(?=[lk])"), "e"),
    (re.compile(r"ph"), "f"), (re.compile(r"(?<=[aeiou])w$"), "v"), (re.compile(r"tz|cz"), "ts"),
)
#: A soft sign written as ``y`` or ``'`` before a vowel, dropped (Evgenyev = Evgenev).
_SOFT_SIGN = (re.compile(r"(?<=[bdglmnrstvz])[y'](?=[aeiou])"), "")
_VARIANTS_AND_SOFT_SIGN = (*_LATIN_VARIANTS, _SOFT_SIGN)
_PAREN = re.compile(r"\(([^()]*)\)")


def transliterate_cyrillic(text: str) -> str:
    """Cyrillic letters in a simple scientific-style Latin transliteration.

    >>> transliterate_cyrillic("Евгений Петров")
    'Evgeniy Petrov'
    """
    if text.isascii():
        return text
    out = []
    for ch in text:
        low = ch.lower()
        # a letter with a mark (Macedonian ќ) as the letter it is folded to (к)
        letters = low if low in _CYRILLIC else _base_letters(low)
        if letters and all(c in _CYRILLIC for c in letters):
            latin = "".join(_CYRILLIC[c].strip("-") for c in letters)
            out.append(latin.capitalize() if ch != low else latin)
        else:
            out.append(ch)
    return "".join(out)


@lru_cache(maxsize=4096)
def _base_letters(ch: str) -> str:
    """``ch`` without its combining marks, as name folding reads it (``ќ`` → ``к``)."""
    decomposed = unicodedata.normalize("NFKD", ch)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


#: Letters written either way in any token that is not a Korean syllable (v/w, dj/j, kh/h).
_LETTER_VARIANTS = re.compile(r"w|dj|kh")
_LETTER_SPELLING = {"w": "v", "dj": "j", "kh": "h"}


@lru_cache(maxsize=100_000)
def latin_variant(token: str, soft_sign: bool = True) -> str:
    """One spelling for transliteration variants (``aleksandr`` = ``alexandr``,
    ``wolkow`` = ``volkov``, ``djamal`` = ``jamal``, ``mikhail`` = ``mihail``); a token that
    becomes a Korean syllable takes its class's spelling (``djon`` = ``jon`` = ``chon``).
    ``soft_sign=False`` keeps a ``y`` after a consonant (``darya``). :func:`person_tokens`
    does not take a variant that reads as three syllables or more (see ``_varied``), so there
    ``Mikhail`` stays whole and does not meet ``Mihail``."""
    if is_romanized_syllable(token):
        return token
    token = _LETTER_VARIANTS.sub(lambda m: _LETTER_SPELLING[m.group()], token)
    if len(token) >= 4:
        for pattern, repl in _VARIANTS_AND_SOFT_SIGN if soft_sign else _LATIN_VARIANTS:
            token = pattern.sub(repl, token)
    return canonical_syllable(token)


@lru_cache(maxsize=100_000)
def person_tokens(name: str) -> tuple[str, ...]:
    """Screening tokens of a person's name (order kept; see the module docstring).

    >>> person_tokens("Gim Jeong-eun") == person_tokens("KIM, Jong Un")
    True
    >>> person_tokens("Александр Евгеньевич") == person_tokens("Aleksandr Yevgenyevich")
    True
    >>> person_tokens("Chao Li"), person_tokens("Ryonghae Choe")
    (('chao', 'ri'), ('ryong', 'hae', 'choe'))
    """
    out: list[str] = []
    for token in name_tokens(romanize_hangul(transliterate_cyrillic(name))):
        out.extend(_word_tokens(token))
    return tuple(out)


def _real_pinyin(syllable: str) -> bool:
    """Pinyin's j, q and x stand before i or u only ("jose" is no "jo se")."""
    return syllable[0] not in "jqx" or syllable[1:2] in ("i", "u")


#: Readings of a word's parts after the first (a guard: no word seen needs more than two).
_MAX_REREADS = 4


@lru_cache(maxsize=100_000)
def _word_tokens(token: str) -> tuple[str, ...]:
    """Screening tokens of one written word of a person's name: its reading, with every
    part read again until each reads as itself, so that tokens of tokens are the same. A
    nickname's name or a Latin variant can be a word that reads otherwise: ``sue`` →
    ``susan`` → ``su san``, ``andyi`` → ``andy`` → ``andrew``."""
    parts = _read_word(token)
    for _ in range(_MAX_REREADS):
        again = tuple(t for part in parts for t in _read_word(part))
        if again == parts:
            break
        parts = again
    return parts


@lru_cache(maxsize=100_000)
def _read_word(token: str) -> tuple[str, ...]:
    """One reading of a written word: Korean or Pinyin syllables, nicknames, romanization
    classes, then Latin letter variants (:func:`_varied`)."""
    if is_pinyin_syllable(token) and not is_romanized_syllable(token):
        # one Chinese syllable ("chao") is no run of Korean ones ("cha o")
        return (_varied(canonical_syllable(NICKNAMES.get(token, token))),)
    return tuple(_varied(p) for p in _syllables(token))


def _syllables(token: str) -> list[str]:
    """A written word as Korean or Pinyin syllables (romanization classes and nicknames
    taken), or as itself."""
    parts = romanized_tokens(token)
    if len(parts) != 2:  # a two-syllable Pinyin reading beats a three-way Korean one
        pinyin = split_pinyin(token)
        if len(pinyin) == 2 and all(_real_pinyin(p) for p in pinyin):
            parts = [p for syllable in pinyin for p in romanized_tokens(syllable)]
    return parts


def _varied(part: str) -> str:
    """``latin_variant(part)``, unless that spelling reads as three syllables or more, or
    as two only for the soft sign dropped; then the word keeps its letters. The scorer
    meets a word written whole with two neighbouring tokens (``khasan`` = ``hasan`` =
    ``ha san``), not with three: ``mikhail`` read as ``mi ha il`` (as ``mihail`` is) would
    lose its typo tolerance. And a ``y`` after a consonant starts a Pinyin syllable as often
    as it is a soft sign (``yungyuan`` is no ``yun guan``, ``darya`` no ``da ra``)."""
    varied = latin_variant(part)
    if varied == part:
        return varied
    syllables = len(_syllables(varied))
    if syllables > 2 or (syllables == 2 and len(_syllables(latin_variant(part, False))) < 2):
        return part
    return varied


@lru_cache(maxsize=100_000)
def company_tokens(name: str) -> tuple[str, ...]:
    """Screening tokens of a company name: no legal forms, stop words or punctuation;
    letters written apart are one word (``L.L.C.`` = ``LLC``).

    >>> company_tokens("LIMITED LIABILITY COMPANY ALIS") == company_tokens("Alis LLC")
    True
    >>> company_tokens("Yanbian Silverstar Network Technology Co., Ltd.")
    ('yanbian', 'silverstar', 'network', 'technology')
    >>> company_tokens("Intellekt L.L.C.") == company_tokens("AO Intellekt")
    True
    """
    tokens = [COMPANY_SYNONYMS.get(t, t)
              for t in map(_unglue, _join_letters(name_tokens(transliterate_cyrillic(name))))]
    # letters left apart by a dropped word join too, so that tokens of tokens are the same
    kept = tuple(_join_letters([t for t in tokens
                                if t not in LEGAL_FORMS and t not in STOP_WORDS]))
    return kept or tuple(tokens)


#: Legal forms that applicants run into the word before ("Amanholding", "Genisarl").
_GLUED_FORMS = ("holdings", "holding", "group", "company", "limited", "fzco", "sarl")


def _unglue(token: str) -> str:
    """A word without a legal form run into its end (``amanholding`` → ``aman``)."""
    for form in _GLUED_FORMS:
        if token.endswith(form) and len(token) - len(form) >= 3:
            return token[:-len(form)]
    return token


def _join_letters(tokens: list[str]) -> list[str]:
    """Runs of single letters as one token (``l l c`` → ``llc``)."""
    out: list[str] = []
    run = ""
    for token in [*tokens, ""]:
        if len(token) == 1:
            run += token
            continue
        if run:
            out.append(run)
            run = ""
        if token:
            out.append(token)
    return out


def is_syllable(token: str) -> bool:
    """Whether ``token`` is a romanized Korean or a Pinyin syllable."""
    return is_romanized_syllable(token) or is_pinyin_syllable(token)


def optional_tokens(name: str) -> tuple[bool, ...]:
    """Per token of ``person_tokens(name)``: whether it is a middle name, whose absence
    from a query costs little. That is a whole written word after the first given name
    (``LAST, First Middle``; without a comma, any word but the first and the last) that is
    neither a Korean nor a Pinyin syllable: the parts of a two-syllable given name are one
    name, and a surname is never optional.

    >>> optional_tokens("LOPATIN, Anton Igorevich"), optional_tokens("KIM, Jong Un")
    ((False, False, True), (False, False, False))
    """
    last, comma, _given = name.partition(",")
    words = name_tokens(romanize_hangul(transliterate_cyrillic(name)))
    first_optional = len(name_tokens(romanize_hangul(transliterate_cyrillic(last)))) + 1
    last_optional = len(words) if comma else len(words) - 1
    if not comma:
        first_optional = 1
    out: list[bool] = []
    for i, word in enumerate(words):
        parts = _word_tokens(word)
        optional = (first_optional <= i < last_optional and len(parts) == 1
                    and len(parts[0]) >= 3 and not is_syllable(parts[0]))
        out.extend([optional] * len(parts))
    return tuple(out)


def name_variants(name: str) -> list[str]:
    """The name, and for ``'LONG NAME (ACRONYM)'`` also ``'LONG NAME'`` and ``'ACRONYM'``."""
    variants = [name]
    inner = _PAREN.findall(name)
    if inner:
        variants.append(" ".join(_PAREN.sub(" ", name).split()))
        variants.extend(part.strip() for part in inner if part.strip())
    return variants
