"""People files whose names and errors graphkit's name model did not write.

``faker_people(n)`` draws names from Faker's person lists of eleven locales (English,
German, French, Spanish, Italian, Dutch, Indian English, Czech, Hungarian, Turkish,
Brazilian Portuguese; frequency-weighted where Faker has weights, Zipf-weighted where it
has a plain list), so common names are common and namesakes grow with the population.
About one person in three has a second record and one in ten a third. Each copy gets one
or more errors from models the resolver's name rules do not encode:

- OCR confusions (``rn``→``m``, ``o``→``0``, ``l``→``1``, ``e``→``c`` …) in names, street
  and national id;
- keyboard typos (a neighbouring key on a QWERTY layout, a doubled or dropped letter);
- dropped tokens (the middle name, one part of a two-part surname), given name cut to an
  initial;
- swapped fields (given and family name, day and month), a date digit typed wrong (which
  can make the date invalid: ``graphkit resolve`` then reports it and leaves it empty);
- missing values, and a new phone, e-mail or address (people move).

Households share a surname, an address and often a phone; they are different people.
Needs ``faker`` (in the ``bench`` extra). Generation is mostly vectorised: a million
people take one to two minutes.
"""

from __future__ import annotations

import importlib
import re

import numpy as np
import pandas as pd

from graphkit.schema import NATIVE_COLUMNS, Layout

#: Locale → share of the population.
LOCALES = {"en_US": 0.40, "de_DE": 0.08, "fr_FR": 0.07, "es_ES": 0.08, "it_IT": 0.06,
           "nl_NL": 0.05, "en_IN": 0.09, "cs_CZ": 0.04, "hu_HU": 0.04, "tr_TR": 0.05,
           "pt_BR": 0.04}
OCR = {"rn": "m", "m": "rn", "o": "0", "l": "1", "i": "l", "e": "c", "s": "5", "b": "h",
       "cl": "d", "g": "q", "0": "O", "1": "l", "5": "S", "8": "B"}
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
KEYBOARD = {}
for _r, _row in enumerate(_ROWS):
    for _c, _ch in enumerate(_row):
        near = [_row[k] for k in (_c - 1, _c + 1) if 0 <= k < len(_row)]
        near += [_ROWS[r][_c] for r in (_r - 1, _r + 1) if 0 <= r < 3 and _c < len(_ROWS[r])]
        KEYBOARD[_ch] = "".join(near)
STREET_KINDS = ("Street", "Road", "Avenue", "Lane", "Way", "Drive", "Court", "Place")
DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "web.de", "orange.fr", "libero.it",
           "seznam.cz", "mail.ru", "proton.me", "hotmail.com")


def _pool(values, weights, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    values = np.array(list(values), dtype=object)
    if weights is None:  # a plain list: Zipf-like frequencies over a shuffled order
        weights = 1.0 / np.arange(1, len(values) + 1)
        rng.shuffle(weights)
    weights = np.asarray(weights, dtype=float)
    return values, weights / weights.sum()


def _names(locale: str, rng: np.random.Generator):
    provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
    out = []
    for attr in ("first_names", "last_names"):
        names = getattr(provider, attr)
        weights = list(names.values()) if isinstance(names, dict) else None
        out.append(_pool(names, weights, rng))
    return out


_OCR_SPOT = re.compile("(?=(" + "|".join(sorted(OCR, key=len, reverse=True)) + "))")


def _ocr(word: str, rng: np.random.Generator) -> str:
    spots = [(m.start(), m.group(1)) for m in _OCR_SPOT.finditer(word.lower())]
    if not spots:
        return word
    i, k = spots[rng.integers(len(spots))]
    return word[:i] + OCR[k] + word[i + len(k):]


def _keyboard(word: str, rng: np.random.Generator) -> str:
    if len(word) < 3:
        return word
    i = int(rng.integers(1, len(word)))
    kind = rng.random()
    if kind < 0.5:
        near = KEYBOARD.get(word[i].lower(), "")
        return word[:i] + near[rng.integers(len(near))] + word[i + 1:] if near else word
    if kind < 0.75:
        return word[:i] + word[i] + word[i:]
    return word[:i] + word[i + 1:]


def faker_people(n_people: int, seed: int = 11) -> tuple[pd.DataFrame, np.ndarray]:
    """``n_people`` people as native ``people.csv`` rows (~1.5 records each), and the true
    person of every row."""
    rng = np.random.default_rng(seed)
    locales = list(LOCALES)
    locale = rng.choice(len(locales), size=n_people, p=list(LOCALES.values()))
    first = np.empty(n_people, dtype=object)
    middle = np.full(n_people, "", dtype=object)
    last = np.empty(n_people, dtype=object)
    for k, name in enumerate(locales):
        (fv, fp), (lv, lp) = _names(name, rng)
        where = np.flatnonzero(locale == k)
        first[where] = rng.choice(fv, size=len(where), p=fp)
        last[where] = rng.choice(lv, size=len(where), p=lp)
        with_middle = where[rng.random(len(where)) < 0.25]
        middle[with_middle] = rng.choice(fv, size=len(with_middle), p=fp)
        two_part = where[rng.random(len(where)) < 0.06]  # double-barrelled surnames
        last[two_part] = last[two_part] + " " + rng.choice(lv, size=len(two_part), p=lp)
    # households: one person in ten shares a surname, address and often a phone with the
    # person before them (a spouse or grown child: a different person)
    year = rng.integers(1950, 2006, n_people)
    dob = pd.Series(year.astype(str)) + "-" + pd.Series(
        rng.integers(1, 13, n_people)).map("{:02d}".format) + "-" + pd.Series(
        rng.integers(1, 29, n_people)).map("{:02d}".format)
    street_names = np.concatenate([_names(x, rng)[1][0] for x in locales])
    street = pd.Series(rng.integers(1, 3000, n_people).astype(str)) + " " + pd.Series(
        rng.choice(street_names, n_people)) + " " + pd.Series(
        rng.choice(np.array(STREET_KINDS, dtype=object), n_people))
    postcode = pd.Series(rng.integers(0, 40_000, n_people)).map("{:05d}".format)
    phone = pd.Series(rng.integers(2_010_000_000, 9_899_999_999, n_people).astype(str))
    household = np.flatnonzero(rng.random(n_people) < 0.1)
    household = household[household > 0]
    last[household] = last[household - 1]
    street.iloc[household] = street.iloc[household - 1].to_numpy()
    postcode.iloc[household] = postcode.iloc[household - 1].to_numpy()
    landline = household[rng.random(len(household)) < 0.6]
    phone.iloc[landline] = phone.iloc[landline - 1].to_numpy()
    email = (pd.Series(first).str.lower() + "." + pd.Series(last).str.lower().str.replace(
        " ", "") + pd.Series(rng.integers(1, 999, n_people).astype(str)) + "@"
             + pd.Series(rng.choice(np.array(DOMAINS, dtype=object), n_people)))
    nid = pd.Series(rng.integers(100_000_000, 899_999_999, n_people).astype(str))
    base = pd.DataFrame({"first_name": first, "middle_name": middle, "last_name": last,
                         "dob": dob, "street": street, "postcode": postcode,
                         "phone": phone, "email": email, "national_id": nid})
    copies = 1 + (rng.random(n_people) < 0.35) + (rng.random(n_people) < 0.1)
    person = np.repeat(np.arange(n_people), copies)
    rows = base.iloc[person].reset_index(drop=True)
    rows["city"] = np.array(["Springfield"], dtype=object)[0]
    is_copy = np.r_[False, person[1:] == person[:-1]]
    _corrupt(rows, np.flatnonzero(is_copy), rng)
    order = rng.permutation(len(rows))
    rows, person = rows.iloc[order].reset_index(drop=True), person[order]
    rows["record_id"] = [f"F{i:08d}" for i in range(len(rows))]
    rows["country"] = "US"
    out = pd.DataFrame({c: rows.get(c, "") for c in NATIVE_COLUMNS[Layout.PEOPLE]})
    return out.fillna("").astype(str), person


def _apply(rows: pd.DataFrame, column: str, at: np.ndarray, change) -> None:
    if len(at):
        rows.loc[at, column] = [change(v) for v in rows.loc[at, column]]


def _corrupt(rows: pd.DataFrame, copies: np.ndarray, rng: np.random.Generator) -> None:
    """Errors on the duplicate records (row positions ``copies``)."""
    def pick(share: float) -> np.ndarray:
        return copies[rng.random(len(copies)) < share]

    def tokens(change):  # one token of a name changed
        def apply(value: str) -> str:
            parts = value.split(" ")
            k = int(rng.integers(len(parts)))
            parts[k] = change(parts[k])
            return " ".join(parts)
        return apply

    for column in ("first_name", "last_name"):
        _apply(rows, column, pick(0.12), tokens(lambda w: _ocr(w, rng)))
        _apply(rows, column, pick(0.15), tokens(lambda w: _keyboard(w, rng)))
    _apply(rows, "street", pick(0.08), lambda v: _ocr(v, rng))
    _apply(rows, "national_id", pick(0.05), lambda v: _ocr(v, rng))
    _apply(rows, "national_id", pick(0.05), lambda v: _keyboard(v, rng))
    rows.loc[pick(0.6), "middle_name"] = ""  # the middle name dropped
    _apply(rows, "last_name", pick(0.3), lambda v: v.split(" ")[0])  # one surname part
    _apply(rows, "first_name", pick(0.05), lambda v: v[:1])  # an initial
    swap = pick(0.1)
    rows.loc[swap, ["first_name", "last_name"]] = rows.loc[swap, ["last_name",
                                                                  "first_name"]].to_numpy()
    day_month = pick(0.06)
    _apply(rows, "dob", day_month, lambda d: f"{d[:4]}-{d[8:10]}-{d[5:7]}"
           if d[8:10] <= "12" else d)
    _apply(rows, "dob", pick(0.05), lambda d: _keyboard_digit(d, rng))
    for column, share in (("email", 0.25), ("phone", 0.2), ("national_id", 0.2),
                          ("street", 0.1), ("dob", 0.08)):
        rows.loc[pick(share), column] = ""
    moved = pick(0.15)
    rows.loc[moved, "street"] = [f"{rng.integers(1, 3000)} Elm Street" for _ in moved]
    rows.loc[moved, "postcode"] = [f"{rng.integers(0, 40_000):05d}" for _ in moved]
    new_phone = pick(0.2)
    rows.loc[new_phone, "phone"] = rng.integers(2_010_000_000, 9_899_999_999,
                                                len(new_phone)).astype(str)
    new_email = pick(0.25)
    rows.loc[new_email, "email"] = [f"user{rng.integers(10**8)}@example.net"
                                    for _ in new_email]


def _keyboard_digit(date: str, rng: np.random.Generator) -> str:
    if len(date) != 10:
        return date
    i = int(rng.choice([2, 3, 6, 9]))
    return date[:i] + str((int(date[i]) + 1) % 10) + date[i + 1:]
