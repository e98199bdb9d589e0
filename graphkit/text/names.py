"""Name keys that survive Korean romanization variants, order and spacing.

``romanized_tokens('Gim Jeong-eun') == romanized_tokens('KIM, Jong Un')``: every token is
folded, Korean given names written as one word are split into syllables
(``jongun`` → ``jong un``), and each syllable or surname is mapped to one representative
of its romanization class (McCune–Reischauer, Revised Romanization and common spellings).
"""

from __future__ import annotations

from functools import lru_cache

from graphkit.text.normalize import name_tokens

#: Classes of spellings of one Korean surname or syllable; the first is the representative.
ROMANIZATION_CLASSES: tuple[tuple[str, ...], ...] = (
    ("kim", "gim"),
    ("ri", "rhee", "lee", "yi", "rhie", "li", "i"),
    ("pak", "park", "bak", "pag", "bahk"),
    ("choe", "choi", "chwe", "choy"),
    ("jong", "jung", "chong", "chung", "jeong", "cheong", "joung"),
    ("rim", "lim", "im"),
    ("ryu", "yu", "yoo", "you", "rhyu"),
    ("o", "oh"),
    ("ro", "roh", "no", "noh"),
    ("kang", "gang"),
    ("ko", "go", "koh"),
    ("sin", "shin"),
    ("chol", "cheol", "chul"),
    ("song", "seong", "sung"),
    ("hyok", "hyeok", "hyuk"),
    ("kwang", "gwang"),
    ("yong", "yeong", "young"),
    ("un", "eun"),
    ("kyong", "kyeong", "gyeong", "kyung", "gyong"),
    ("myong", "myeong", "myung"),
    ("hyon", "hyeon", "hyun"),
    ("chon", "cheon", "chun", "jon", "jeon"),
    ("sok", "seok", "suk"),
    ("ok", "euk"),
    ("kuk", "guk", "gook", "kook"),
    ("ki", "gi"),
    ("kil", "gil"),
    ("kun", "geun", "gun"),
    ("nam",),
    ("il", "eel"),
    ("ho",),
    ("su", "soo"),
    ("hun", "hoon"),
    ("man",),
    ("sang",),
    ("tae", "thae"),
    ("dok", "deok", "tok", "teok", "duk"),
    ("pong", "bong"),
    ("pyong", "byeong", "byung", "pyeong", "phyong", "byong"),
    ("ryong", "ryeong", "yong"),
    ("chang", "jang"),
    # common syllables of given names with one usual spelling
    ("hwan",), ("hwa",), ("hui", "hee", "heui"), ("jin",), ("min",), ("ji",), ("yon", "yeon"),
    ("yun", "yoon"), ("hye",), ("mi",), ("ja",), ("sik",), ("ha",), ("in",),
    ("jun", "joon"), ("u", "woo"), ("won", "weon"), ("uk", "wook"), ("hwi",), ("seo", "so"),
    ("ryol", "ryeol", "yol", "yeol", "yul"), ("mun", "moon"), ("tong", "dong"),
    ("sop", "seop"), ("hong",), ("son", "sohn"), ("sam",), ("sol", "seol"),
    ("cha",), ("chan",), ("ju", "joo"), ("hak",), ("hyang",), ("sun", "soon"),
    ("cho", "jo"), ("ku", "gu", "koo", "goo"), ("kyu", "gyu"), ("hae",),
)

_CANONICAL: dict[str, str] = {}
_CLASSES_OF: dict[str, set[int]] = {}
for _number, _cls in enumerate(ROMANIZATION_CLASSES):
    for _spelling in _cls:
        _CANONICAL.setdefault(_spelling, _cls[0])
        _CLASSES_OF.setdefault(_spelling, set()).add(_number)
        _CLASSES_OF.setdefault(_cls[0], set()).add(_number)


@lru_cache(maxsize=65536)
def split_syllables(token: str) -> tuple[str, ...]:
    """Split a run-together romanized Korean name into syllables, if it is one.

    Every part must be a known romanized Korean syllable or surname (so "seanna" or
    "gina" stay whole); returns ``(token,)`` when no split into 2–3 of them exists.

    >>> split_syllables("jongun"), split_syllables("cheolsu"), split_syllables("smith")
    (('jong', 'un'), ('cheol', 'su'), ('smith',))
    """
    n = len(token)
    heads = [i for i in range(n - 1, 0, -1) if token[:i] in _CANONICAL]  # longest first
    for i in heads:  # "jongun": "jong un", not "jon gun"
        if token[i:] in _CANONICAL:
            return token[:i], token[i:]
    for i in heads:
        tail = token[i:]
        for j in range(len(tail) - 1, 0, -1):
            if tail[:j] in _CANONICAL and tail[j:] in _CANONICAL:
                return token[:i], tail[:j], tail[j:]
    return (token,)


def same_romanization_class(a: str, b: str) -> bool:
    """Whether two spellings share a romanization class (``yong`` is in *yong* and *ryong*).

    >>> same_romanization_class("yong", "ryong"), same_romanization_class("yong", "jong")
    (True, False)
    """
    return bool(_CLASSES_OF.get(a, set()) & _CLASSES_OF.get(b, set()))


def is_romanized_syllable(token: str) -> bool:
    """Whether ``token`` is a known romanized Korean syllable or surname."""
    return token in _CANONICAL


def canonical_syllable(token: str) -> str:
    """Representative spelling of a romanized Korean syllable or surname (or the token)."""
    return _CANONICAL.get(token, token)


_HANGUL_BASE, _HANGUL_LAST = 0xAC00, 0xD7A3
_INITIALS = ("g kk n d tt r m b pp s ss - j jj ch k t p h").split()
_MEDIALS = ("a ae ya yae eo e yeo ye o wa wae oe yo u wo we wi yu eu ui i").split()
_FINALS = ("- k k k n n n t l k m l l l p l m p p t t ng t t k t p t").split()


def romanize_hangul(text: str) -> str:
    """Hangul syllables in Revised Romanization, one space-separated token per syllable.

    >>> romanize_hangul("김정은")
    ' gim  jeong  eun '
    """
    out = []
    for ch in text:
        code = ord(ch)
        if _HANGUL_BASE <= code <= _HANGUL_LAST:
            index = code - _HANGUL_BASE
            initial, medial, final = index // 588, (index % 588) // 28, index % 28
            syllable = (_INITIALS[initial].strip("-") + _MEDIALS[medial]
                        + _FINALS[final].strip("-"))
            out.append(f" {syllable} ")
        else:
            out.append(ch)
    return "".join(out)


#: Common English nicknames → the given name they stand for.
NICKNAMES: dict[str, str] = {
    "bob": "robert", "bobby": "robert", "rob": "robert", "robbie": "robert",
    "bill": "william", "billy": "william", "will": "william", "liam": "william",
    "jim": "james", "jimmy": "james", "jamie": "james", "mike": "michael",
    "mick": "michael", "dave": "david", "davy": "david", "joe": "joseph", "joey": "joseph",
    "tom": "thomas", "tommy": "thomas", "chris": "christopher", "dan": "daniel",
    "danny": "daniel", "matt": "matthew", "tony": "anthony", "steve": "steven",
    "andy": "andrew", "drew": "andrew", "nick": "nicholas", "alex": "alexander",
    "sasha": "alexander", "sam": "samuel", "ben": "benjamin", "ed": "edward",
    "eddie": "edward", "ted": "edward", "dick": "richard", "rick": "richard",
    "kate": "katherine", "katie": "katherine", "kathy": "katherine", "liz": "elizabeth",
    "beth": "elizabeth", "betty": "elizabeth", "lizzie": "elizabeth", "jen": "jennifer",
    "jenny": "jennifer", "sue": "susan", "susie": "susan", "patty": "patricia",
    "pat": "patricia", "peggy": "margaret", "maggie": "margaret", "meg": "margaret",
    "debbie": "deborah", "becky": "rebecca", "vicky": "victoria", "nate": "nathan",
}


def romanized_tokens(name: str) -> list[str]:
    """Folded tokens with Hangul romanized, run-together Korean names split, romanization
    classes merged and nicknames replaced by the name they stand for.

    >>> romanized_tokens("Gim Jeong-eun") == romanized_tokens("KIM, Jongun")
    True
    >>> romanized_tokens("김정은") == romanized_tokens("Kim Jong Un")
    True
    >>> romanized_tokens("Bob Smith") == romanized_tokens("Robert Smith")
    True
    """
    out: list[str] = []
    for token in name_tokens(romanize_hangul(name or "")):
        token = NICKNAMES.get(token, token)
        parts = split_syllables(token) if token not in _CANONICAL and len(token) > 3 else (token,)
        out.extend(canonical_syllable(p) for p in parts)
    return out


def romanized_key(name: str) -> str:
    """Order-free key of ``romanized_tokens``: equal for order and romanization variants."""
    return " ".join(sorted(romanized_tokens(name)))
