"""Hanyu Pinyin syllables: to tell one Chinese given-name syllable from another, and to
split run-together given names (``Xiaoxun`` = ``Xiao Xun``)."""

from __future__ import annotations

from functools import lru_cache

_INITIALS = "b p m f d t n l g k h j q x zh ch sh r z c s y w".split()
_FINALS = ("a o e i u ai ei ao ou an en ang eng ong ia ie iao iu ian in iang ing iong ua uo "
           "uai ui uan un uang ue").split()
_ALONE = "a o e ai ei ao ou an en ang eng er".split()

#: Initial + final combinations (a superset of the syllables in use, which is harmless
#: here) and the syllables written without an initial.
PINYIN_SYLLABLES = frozenset([i + f for i in _INITIALS for f in _FINALS] + _ALONE)


def is_pinyin_syllable(token: str) -> bool:
    """Whether ``token`` is a Pinyin syllable (without tone marks)."""
    return token in PINYIN_SYLLABLES


@lru_cache(maxsize=65536)
def split_pinyin(token: str) -> tuple[str, ...]:
    """Split a run-together two-syllable Pinyin given name; ``(token,)`` if it is not one.

    >>> split_pinyin("xiaoxun"), split_pinyin("yonghao"), split_pinyin("smith")
    (('xiao', 'xun'), ('yong', 'hao'), ('smith',))
    """
    if len(token) < 4 or token in PINYIN_SYLLABLES:
        return (token,)
    for i in range(len(token) - 2, 1, -1):  # longest first syllable first
        if token[:i] in PINYIN_SYLLABLES and token[i:] in PINYIN_SYLLABLES:
            return token[:i], token[i:]
    return (token,)
