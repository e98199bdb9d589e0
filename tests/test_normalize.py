"""Normalisers: equal identifiers written differently meet; every normaliser is idempotent."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from graphkit.screen.names import company_tokens, person_tokens
from graphkit.text import normalize as n
from graphkit.text.names import (
    romanized_key,
    romanized_tokens,
    same_romanization_class,
    split_syllables,
)
from graphkit.text.pinyin import split_pinyin

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)

IDEMPOTENT = [n.normalize_email, n.normalize_phone, n.normalize_device, n.normalize_document,
              n.normalize_ip, n.normalize_iban, n.normalize_wallet, n.normalize_name,
              n.name_key, n.company_key, n.normalize_street, n.normalize_country]


@pytest.mark.parametrize("func", IDEMPOTENT, ids=lambda f: f.__name__)
@given(value=TEXT)
def test_idempotent(func, value):
    once = func(value)
    if once is not None:
        assert func(once) == once


@given(st.lists(st.text(st.characters(whitelist_categories=("Ll", "Lu")), min_size=1,
                        max_size=8), min_size=1, max_size=4), st.randoms())
def test_name_key_is_order_free(tokens, rnd):
    shuffled = tokens[:]
    rnd.shuffle(shuffled)
    assert n.name_key(" ".join(tokens)) == n.name_key(" ".join(shuffled))
    assert romanized_key(" ".join(tokens)) == romanized_key(" ".join(shuffled))


@pytest.mark.parametrize("a,b", [
    ("J.Smith+jobs@GoogleMail.com", "jsmith@gmail.com"),
    ("  Ana.Lopez@Example.COM ", "ana.lopez@example.com"),
    ("mailto:bo@x.org", "bo@x.org"),
])
def test_emails_meet(a, b):
    assert n.normalize_email(a) == n.normalize_email(b) is not None


@pytest.mark.parametrize("a,b", [
    ("(415) 555-0123", "+1 415.555.0123"), ("1-415-555-0123", "4155550123 ext 12"),
    ("+44 20 7946 0958", "0044 20 7946 0958"),
])
def test_phones_meet(a, b):
    assert n.normalize_phone(a) == n.normalize_phone(b) is not None


def test_invalid_values_give_none():
    assert n.normalize_email("not-an-email") is None
    assert n.normalize_phone("12") is None
    assert n.normalize_ip("999.1.1.1") is None
    assert n.normalize_iban("DE89370400440532013001") is None  # bad check digits
    assert n.normalize_iban("de89 3704 0044 0532 0130 00") == "DE89370400440532013000"


def test_addresses_meet():
    a = n.normalize_address("1428 Maple Ridge Drive, Suite 4", "Nashville", "Tennessee",
                            "37211-1234", "United States")
    b = n.normalize_address("1428 maple ridge dr ste 4", "NASHVILLE", "TN", "37211", "US")
    assert a == b == "1428 maple ridge dr ste 4|nashville|tn|37211|us"
    assert n.normalize_address("", "Nashville") is None


def test_accounts_devices_handles_meet():
    assert n.normalize_account("4417-0093-2281", "322271627") == \
        n.normalize_account("44170093 2281", "322 271 627")
    assert n.normalize_device("C02-XK9P-LMD6R") == n.normalize_device("c02xk9plmd6r")
    assert n.normalize_handle("@jsmith.devworks") == n.normalize_handle("JSmith.DevWorks ")
    assert n.normalize_wallet("0xABCDEF0123456789abcdef0123456789ABCDEF01") == \
        "0xabcdef0123456789abcdef0123456789abcdef01"


def test_company_suffixes_are_dropped():
    assert n.company_key("YANBIAN SILVERSTAR NETWORK TECHNOLOGY CO., LTD.") == \
        n.company_key("Yanbian Silverstar Network Technology Company Limited") == \
        "yanbian silverstar network technology"


@pytest.mark.parametrize("a,b", [
    ("Kim Jong Un", "Gim Jeong-eun"), ("KIM, Jong-un", "Jongun Kim"),
    ("Pak Jong Chol", "Park Jeong-cheol"), ("Bak Jongchol", "Park Jeong Cheol"),
    ("Ri Song Hyok", "Lee Seong-hyeok"), ("Choe Kwang Il", "Choi Gwang-il"),
    ("RI, Chong Chol", "Jeong-cheol Rhee"),
])
def test_romanization_variants_share_a_key(a, b):
    assert romanized_key(a) == romanized_key(b)


@pytest.mark.parametrize("a,b", [("Kim Jong Un", "Kim Jong Il"), ("Pak Chol", "Pak Chun"),
                                 ("Smith John", "Smyth John")])
def test_different_names_keep_different_keys(a, b):
    assert romanized_key(a) != romanized_key(b)


def test_syllable_split_leaves_ordinary_names_alone():
    assert split_syllables("jongun") == ("jong", "un")
    assert split_syllables("jennifer") == ("jennifer",)
    assert romanized_tokens("Jennifer Lopez") == ["jennifer", "lopez"]


@given(TEXT)
def test_romanized_key_is_idempotent(value):
    key = romanized_key(value)
    assert romanized_key(key) == key


@pytest.mark.parametrize("a,b", [("김정은", "Kim Jong-un"), ("박정철", "Pak Jong Chol"),
                                 ("이성혁", "Ri Song Hyok"), ("Bill Gates", "William Gates")])
def test_hangul_and_nicknames_share_a_key(a, b):
    assert romanized_key(a) == romanized_key(b)


def test_pinyin_and_romanization_classes():
    assert split_pinyin("xiaoxun") == ("xiao", "xun")
    assert split_pinyin("smith") == ("smith",) and split_pinyin("zhang") == ("zhang",)
    assert same_romanization_class("yong", "ryong") and not same_romanization_class("yong",
                                                                                    "tong")
    assert person_tokens("Wu Yonghao") == person_tokens("WU, Yong Hao")


@given(TEXT)
@example("0\U00018cd6LE:0")  # single letters apart around a dropped stop word
# a Latin variant made a word that reads as other syllables (PHOEN gave foen, foen fo en)
@example("PHOEN")  # ph/f
@example("aibyong")  # soft sign dropped: "aibong" reads "ai bong"
@example("bakhan")  # kh/h: "bahan" reads "ba han"
@example("baksia")  # ks/x: "baxia" reads "ba xia"
@example("Mikhail")  # kh/h: "mihail" reads "mi ha il" (so the variant is not taken)
@example("aisue")  # a nickname's name that reads as syllables: "susan" = "su san"
@example("bahksam")  # a Korean syllable that is a nickname: "sam" = "samuel"
@example("anthonyij")  # a variant that makes its own pattern again: "anthonyy"
@example("bahkkh")  # likewise "kh" made by replacing "kh"
@example("andyi")  # a variant that makes a nickname: "andy" = "andrew"
@example("\u040c")  # Macedonian KJE: folded to Cyrillic KA, which is transliterated
def test_screening_tokens_are_idempotent(value):
    once = " ".join(person_tokens(value))
    assert person_tokens(once) == person_tokens(value)
    company = " ".join(company_tokens(value))
    assert company_tokens(company) == company_tokens(value)
