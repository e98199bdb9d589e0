"""Column-wise identifier normalisation gives exactly the scalar normalisers' values."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from graphkit.ingest.fields import STR
from graphkit.ingest.identifiers import _account_values, _address_values, normalize_distinct
from graphkit.schema import IdKind
from graphkit.text import normalize

SAMPLES = ["203.0.113.9", "010.1.1.1", "256.1.1.1", " 10.0.0.1", "::1", "2001:DB8::1",
           "C02XK9PLMD6R", "ab:cd:ef:01", "ＡＢＣ１２３", "ß-99", "512-44-9021", "x1",
           "Straße 1", "1428 Maple Ridge Drive, Suite 4", "#12 Elm St.", "İstanbul", "",
           " J.Smith+jobs@GoogleMail.com ", "mailto:A@B.co", "a@b", "@x.com", "x@-a.com",
           "a b@c.com", ".+x@gmail.com", "o'brien@x.io", "K@Ｅxample.com", "a@b@c.com",
           "(415) 555-0123", "+1 415.555.0123", "0044 20 7946 0958", "415555012",
           "1-800-555-0199", "00", "+", "0000000000", "415 555 0123 ext 7", "+7 (495) 1234567"]
TEXT = st.one_of(st.sampled_from(SAMPLES), st.text(max_size=20),
                 st.from_regex(r"[A-Za-z0-9.+' -]{0,6}@[A-Za-z0-9.-]{0,8}", fullmatch=True),
                 st.from_regex(r"[0-9()+. -]{0,16}", fullmatch=True),
                 st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,3}){3}", fullmatch=True))
SINGLE = [IdKind.IP, IdKind.DEVICE, IdKind.NATIONAL_ID, IdKind.PASSPORT, IdKind.REGISTRATION,
          IdKind.EMAIL, IdKind.PHONE]


def _series(values: list[str]) -> pd.Series:
    return pd.Series(values, dtype=STR)


@settings(max_examples=100, deadline=None)
@given(st.lists(TEXT.filter(bool), min_size=1, max_size=20, unique=True))
def test_single_column_kinds_match_the_scalar_normalisers(values):
    for kind in SINGLE:
        func = normalize.SINGLE_COLUMN_NORMALIZERS[kind]
        assert list(normalize_distinct(kind, _series(values))) == [func(v) for v in values], kind


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(TEXT, TEXT, TEXT, TEXT, TEXT), min_size=1, max_size=15))
def test_addresses_and_accounts_match_the_scalar_normalisers(rows):
    parts = [_series(list(col)) for col in zip(*rows)]
    assert list(_address_values(parts)) == [normalize.normalize_address(*r) for r in rows]
    assert list(_address_values(parts[:4])) == [normalize.normalize_address(*r[:4])
                                                 for r in rows]
    assert list(_account_values(parts[:2])) == [normalize.normalize_account(*r[:2])
                                                for r in rows]
    assert list(_account_values(parts[:1])) == [normalize.normalize_account(r[0])
                                                for r in rows]
