"""Blocking stays flat as the records grow: candidate pairs per record do not rise with the
number of people, while the true duplicates stay candidates."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from graphkit.resolve import blocking
from graphkit.resolve.blocking import KEY_POINTS, MIN_POINTS, NAME_KEYS, block
from graphkit.resolve.prepare import prepare
from graphkit.schema import NATIVE_COLUMNS, Layout

_FIRST = ["James", "Mary", "John", "Linda", "Robert", "Susan", "Michael", "Karen", "David",
          "Nancy", "William", "Lisa", "Richard", "Betty", "Joseph", "Helen", "Thomas",
          "Sandra", "Charles", "Donna", "Daniel", "Carol", "Matthew", "Ruth", "Anthony",
          "Sharon", "Mark", "Laura", "Paul", "Emily"]
_LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
         "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson",
         "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson",
         "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson"]


def _population(n_people: int, seed: int = 3) -> tuple[pd.DataFrame, np.ndarray]:
    """``n_people`` people from a fixed vocabulary of 900 names (so namesakes grow with
    the population, as in a real payroll), one postcode per ~40 people; every other
    person has a second record with a typo in the surname and a new phone or e-mail.
    Returns the rows and the true person of each row."""
    rng = np.random.default_rng(seed)
    rows, person = [], []
    for i in range(n_people):
        first, last = _FIRST[rng.integers(len(_FIRST))], _LAST[rng.integers(len(_LAST))]
        dob = f"{rng.integers(1950, 2000)}-{rng.integers(1, 13):02d}-{rng.integers(1, 29):02d}"
        row = dict.fromkeys(NATIVE_COLUMNS[Layout.PEOPLE], "")
        row.update(record_id=f"p{i}", first_name=first, last_name=last, dob=dob,
                   street=f"{rng.integers(1, 400)} Main Street", country="US",
                   postcode=f"{10000 + rng.integers(max(n_people // 40, 1))}",
                   email=f"{first}.{last}.{i}@example.com".lower(),
                   phone=f"+1 212 {i // 10_000 + 200:03d} {i % 10_000:04d}",
                   national_id=f"{500_000_000 + i * 7919 % 400_000_000}")
        rows.append(row)
        person.append(i)
        if i % 2 == 0:
            typo = last[:-1] + ("e" if last[-1] != "e" else "a")
            again = dict(row, record_id=f"p{i}b", last_name=typo)
            again["phone" if i % 4 == 0 else "email"] = ""
            rows.append(again)
            person.append(i)
    return pd.DataFrame(rows), np.array(person)


def _true_pairs(person: np.ndarray) -> set[tuple[int, int]]:
    by_person: dict[int, list[int]] = {}
    for at, p in enumerate(person.tolist()):
        by_person.setdefault(p, []).append(at)
    return {(a, b) for rows in by_person.values() for a in rows for b in rows if a < b}


def test_pairs_per_record_do_not_grow_with_the_population():
    flat, plain, found = [], [], []
    for n_people in (1_500, 12_000):
        people, person = _population(n_people)
        features = prepare(people)
        corroborated = block(features)
        flat.append(corroborated.pairs_per_record(len(features)))
        plain.append(block(features, corroborate=False).pairs_per_record(len(features)))
        kept = set(zip(corroborated.left.tolist(), corroborated.right.tolist()))
        truth = _true_pairs(person)
        found.append(len(truth & kept) / len(truth))
    # without corroboration namesakes make the candidates grow with the population ...
    assert plain[1] > plain[0] * 1.3
    # ... with it they stay flat, and every duplicate is still a candidate
    assert flat[1] <= flat[0] * 1.05
    assert min(found) == 1.0


def test_a_pair_found_by_name_keys_alone_is_not_a_candidate():
    twin = dict.fromkeys(NATIVE_COLUMNS[Layout.PEOPLE], "")
    twin.update(first_name="John", last_name="Smith", dob="1980-01-01", country="US")
    people = pd.DataFrame([
        dict(twin, record_id="a", postcode="10001", phone="212 555 0001"),
        dict(twin, record_id="b", postcode="94105", dob="1980-07-30",
             phone="415 555 0002"),  # a namesake born the same year, elsewhere
        dict(twin, record_id="c", postcode="10001", dob="1980-01-01",
             phone=""),  # the same John Smith: name, date of birth and postcode agree
    ])
    features = prepare(people)
    plain = block(features, corroborate=False)
    assert (0, 1) in set(zip(plain.left.tolist(), plain.right.tolist()))
    kept = block(features)
    assert set(zip(kept.left.tolist(), kept.right.tolist())) == {(0, 2)}
    assert kept.uncorroborated == 0  # (0, 1) was never made: name keys make no pairs
    assert all(KEY_POINTS[k] < MIN_POINTS for k in NAME_KEYS)



def test_a_duplicate_with_errors_everywhere_but_the_name_is_still_a_candidate():
    # Febrl-style: the same person with a wrong date of birth, a transposed postcode and
    # a mistyped national id; the name agrees, and confirms the street number with the
    # postcode's characters, or the id one slip away. A namesake elsewhere is no candidate.
    blank = dict.fromkeys(NATIVE_COLUMNS[Layout.PEOPLE], "")
    reece = dict(blank, first_name="Reece", last_name="Lyden", country="AU")
    people = pd.DataFrame([
        dict(reece, record_id="a", dob="1988-11-22", street="4 Cobar Place",
             postcode="2002", national_id="2283302"),
        dict(reece, record_id="b", dob="1901-08-24", street="4 Cobar P lace",
             postcode="2020", national_id="9100417"),  # house and postcode's characters
        dict(reece, record_id="c", dob="1970-05-01", street="88 Hill Road",
             postcode="4000", national_id="7001234"),  # a namesake
        dict(reece, record_id="d", dob="1955-02-03", street="19 Bay Street",
             postcode="3000", national_id="2283392"),  # the id one digit off
        dict(blank, record_id="e", first_name="Ann", last_name="Moss", country="AU",
             dob="1962-03-03", national_id="2283309"),  # one digit off, nothing else
    ])
    features = prepare(people)
    plain = block(features, corroborate=False)
    assert (0, 2) in set(zip(plain.left.tolist(), plain.right.tolist()))
    kept = block(features)
    assert set(zip(kept.left.tolist(), kept.right.tolist())) == {(0, 1), (0, 3)}
    # (0, 1) through both name tokens; the near id: (0, 3), (0, 4) and (3, 4)
    assert kept.pairs_by_key["phonetic_token+street_number+postcode_characters"] == 2
    assert kept.pairs_by_key["national_id_near"] == 3
    assert kept.uncorroborated == 2  # (0, 4) and (3, 4): no name, date or street agrees


def _one_slip_apart(a: str, b: str) -> bool:
    """The definition the near key implements: ``a`` and ``b`` are the same string once
    a character is deleted from each, at positions at most one apart."""
    return any(a[:p] + a[p + 1:] == b[:q] + b[q + 1:]
               for p in range(len(a)) for q in range(len(b)) if abs(p - q) <= 1)


def _ids_population(rng: np.random.Generator, n: int, alphabet: str,
                    length: int) -> pd.DataFrame:
    """``n`` people whose national ids are drawn from few values, many retyped with a
    substituted character or two neighbours swapped, some shared by many records."""
    pool = ["".join(rng.choice(list(alphabet), length)) for _ in range(n // 3)]
    ids = []
    for _ in range(n):
        value = list(pool[rng.integers(len(pool))])
        slip = rng.integers(4)
        at = int(rng.integers(length - 1))
        if slip == 1:
            value[at] = str(rng.choice(list(alphabet)))
        elif slip == 2:
            value[at], value[at + 1] = value[at + 1], value[at]
        ids.append("".join(value) if rng.random() > 0.05 else "")
    blank = dict.fromkeys(NATIVE_COLUMNS[Layout.PEOPLE], "")
    return pd.DataFrame([dict(blank, record_id=f"r{i}", first_name="Ann", last_name="Moss",
                              national_id=v) for i, v in enumerate(ids)])


def test_near_id_pairs_are_exactly_the_ids_one_slip_apart():
    # digits (read as integers), letters and digits, and long ids (made as strings by
    # Arrow): each pair found is one slip apart and each such pair is found
    rng = np.random.default_rng(5)
    for alphabet, length in (("0123456789", 6), ("01AB", 7), ("0123456789ÄB", 30)):
        features = prepare(_ids_population(rng, 300, alphabet, length))
        ids = features.frame["national_id"].tolist()
        n = len(ids)
        found, _ = blocking._near_pairs(features, "national_id", n, n, None, 0)
        expected = {i * n + j for i in range(n) for j in range(i + 1, n)
                    if ids[i] and ids[j] and _one_slip_apart(ids[i], ids[j])}
        assert set(found.tolist()) == expected
        assert len(expected) > n // 2


def test_near_id_blocks_are_the_same_read_as_numerals_or_as_strings(monkeypatch):
    # with small blocks (windowed) the pairs and the count of large blocks do not depend
    # on whether the ids were read as integers or made as strings
    features = prepare(_ids_population(np.random.default_rng(8), 400, "0123456789", 5))
    n = len(features)
    orders = functools.partial(blocking.sort_orders, features)
    as_numerals = [blocking._near_pairs(features, "national_id", mb, n, orders, w)
                   for mb, w in ((2, 1), (3, 2), (8, 1))]
    monkeypatch.setattr(blocking._Numerals, "of", classmethod(lambda cls, *a: None))
    as_strings = [blocking._near_pairs(features, "national_id", mb, n, orders, w)
                  for mb, w in ((2, 1), (3, 2), (8, 1))]
    for (pairs, large), (string_pairs, string_large) in zip(as_numerals, as_strings):
        assert np.array_equal(pairs, string_pairs)
        assert large == string_large
    assert as_numerals[0][1] > 0
