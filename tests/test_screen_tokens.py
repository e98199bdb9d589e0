"""Screening tokens of people: tokens of tokens are the same, and one name written two
ways gets one set of tokens, on names built from the pieces that make a word read one way
or another (Korean and Pinyin syllables, the Latin letter variants, nicknames)."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graphkit.screen.index import ListedName, NameIndex
from graphkit.screen.names import person_tokens
from graphkit.text.names import NICKNAMES, ROMANIZATION_CLASSES
from graphkit.text.pinyin import PINYIN_SYLLABLES

#: Letter groups the Latin variants rewrite, and letters around them.
VARIANT_LETTERS = ("ph", "kh", "w", "dj", "ks", "tz", "cz", "iy", "ij", "yi", "yy", "yev",
                   "jev", "ye", "je", "f", "h", "v", "j", "x", "ts", "y", "'", "a", "e", "i",
                   "o", "u", "n", "g", "r", "s", "k")
KOREAN = sorted({spelling for cls in ROMANIZATION_CLASSES for spelling in cls})
PIECES = sorted(set(KOREAN) | PINYIN_SYLLABLES | set(VARIANT_LETTERS) | set(NICKNAMES)
                | set(NICKNAMES.values()))
#: Words run together from syllables, variant letters and nicknames ("aibyong", "khasan").
WORD = st.lists(st.sampled_from(PIECES), min_size=1, max_size=4).map("".join)
NAME = st.lists(WORD, min_size=1, max_size=4).map(" ".join)
LATIN = st.text(string.ascii_letters + " -'", max_size=30)


def _stable(name: str) -> None:
    tokens = person_tokens(name)
    assert person_tokens(" ".join(tokens)) == tokens
    for token in tokens:  # each token is a word that reads as itself
        assert person_tokens(token) == (token,)


@given(NAME)
def test_tokens_of_syllables_variants_and_nicknames_are_stable(name):
    _stable(name)


@given(LATIN)
def test_tokens_of_latin_letters_are_stable(name):
    _stable(name)


@pytest.mark.parametrize(("a", "b"), [
    ("PHOEN", "Foen"),  # ph/f, then read as the Pinyin "fo en"
    ("Khasan", "Hasan"), ("KHINE, Oo Oo", "Hine Oo Oo"),  # kh/h, then two syllables
    ("Djuma", "Juma"), ("Djongun", "Jong Un"),  # dj/j, then Pinyin or Korean syllables
    ("Baksia", "Baxia"),  # ks/x
    ("Sue", "Susan"), ("Andyi", "Andrew"),  # nicknames, of written and of varied words
    ("Pak Samryong", "Pak Sam Ryong"),  # "sam" is a Korean syllable and a nickname
])
def test_one_name_written_two_ways_gets_one_set_of_tokens(a, b):
    assert person_tokens(a) == person_tokens(b)


def test_a_variant_read_as_three_syllables_or_a_soft_sign_read_as_two_is_not_taken():
    """``mihail`` reads as the Korean "mi ha il", which would cost the many listed
    Mikhails their typo tolerance (three syllables are not joined back into a word); a
    ``y`` after a consonant may start a Pinyin syllable as well as be a soft sign."""
    assert person_tokens("Mikhail Fradkov") == ("mikhail", "fradkov")
    assert person_tokens("Mihail") == ("mi", "ha", "il")
    assert person_tokens("Mikhailovich") == ("mihailovich",)  # reads as no syllables
    assert person_tokens("Darya") == ("darya",)  # not "dara" = "da ra"
    assert person_tokens("Yungyuan") == ("yungyuan",)  # not "yunguan" = "yun guan"
    assert person_tokens("Evgenyev") == person_tokens("Evgenev")  # no syllables: dropped


def test_korean_and_pinyin_syllables_keep_their_spelling_classes():
    assert person_tokens("Kwangho Won") == ("kwang", "ho", "won")  # no w/v in a syllable
    assert person_tokens("Hwang Chol-Woong") == person_tokens("Hwang Chol Woong")
    assert person_tokens("Wang Wei") == person_tokens("Wangwei") == ("vang", "vei")
    assert person_tokens("Djon Yun Gun") == person_tokens("Jon Yun Gun")


def test_a_slip_of_a_word_written_whole_meets_it_split():
    """The index holds one-letter deletions of neighbouring tokens joined: "Djma" (for
    Djuma, listed as the syllables "ju ma") still finds the listed name."""
    index = NameIndex()
    index.add(ListedName(0, "DJUMA, Abbas", person_tokens("DJUMA, Abbas"), False))
    index.add(ListedName(1, "ABBAS, Abu", person_tokens("ABBAS, Abu"), False))
    index.freeze()
    assert person_tokens("DJUMA, Abbas") == ("ju", "ma", "abbas")
    exact, near = index.matches("jma")
    assert not exact and near == {0}


def test_a_slip_of_two_korean_syllables_joined_is_another_name():
    """One letter apart, two Korean syllables are another name: "Jongung" does not meet
    KIM Jong Un through the slips of "jong un" joined (as "tong" is no "yong")."""
    index = NameIndex()
    index.add(ListedName(0, "KIM, Jong Un", person_tokens("KIM, Jong Un"), False))
    index.freeze()
    exact, near = index.matches("jongung")
    assert not exact and not near
    assert index.matches("jongun")[0] == {0}  # written whole, it is the listed name
