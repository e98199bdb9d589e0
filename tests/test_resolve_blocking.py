"""Blocking stays flat as the records grow: candidate pairs per record do not rise with the
number of people, while the true duplicates stay candidates."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

import graphkit
from graphkit.resolve import blocking
from graphkit.resolve.blocking import KEY_POINTS, MIN_POINTS, NAME_KEYS, block
from graphkit.resolve.prepare import prepare
from graphkit.schema import NATIVE_COLUMNS, Layout
from graphkit.settings import DEFAULT_SETTINGS

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


def _town_file(folder, n_people: int, seed: int = 5) -> tuple[pd.DataFrame, set[tuple[str, str]]]:
    """A people.csv of ``n_people`` people whose names come from the world's short lists
    and who live in ten postcodes (so a name token's block in a postcode grows with the
    people, as in ``bench/world.py``), with contacts and street numbers of their own;
    every 50th person has a second record (an applicant): a typo in the first name, no
    e-mail, another street and national id. Read back by the ``people`` loader; returns
    the records and the true pairs of record ids."""
    from graphkit.ingest import ingest
    from graphkit.ingest.spec import load_spec
    from graphkit.issues import IssueLog
    from graphkit.world.base import FIRST, LAST

    rng = np.random.default_rng(seed)
    first = np.asarray(FIRST, dtype=object)[rng.integers(0, len(FIRST), n_people)]
    last = np.asarray(LAST, dtype=object)[rng.integers(0, len(LAST), n_people)]
    dob = (pd.Timestamp("1960-01-01") + pd.to_timedelta(rng.integers(0, 15_000, n_people),
                                                         unit="D")).strftime("%Y-%m-%d")
    frame = pd.DataFrame({
        "record_id": [f"P{i:06d}" for i in range(n_people)], "role": "employee",
        "first_name": first, "last_name": last, "dob": dob,
        "email": [f"person{i}@example.com" for i in range(n_people)],
        "street": [f"{i + 1} Cedar Lane" for i in range(n_people)],
        "postcode": [f"{78700 + p}" for p in rng.integers(0, 10, n_people)],
        "country": "US", "national_id": [f"{100_000_000 + i * 7_919}" for i in
                                         range(n_people)], "source": "hris"})
    twins = frame.iloc[::50].copy()
    twins["record_id"] = twins["record_id"] + "A"
    twins["first_name"] = twins["first_name"].str[:-1] + "y"  # Emma -> Emmy
    twins["email"] = ""
    twins["street"] = [f"{i + 1} Oak Street" for i in range(len(twins))]
    twins["national_id"] = [f"{900_000_000 + i}" for i in range(len(twins))]
    rows = pd.concat([frame, twins], ignore_index=True)
    path = folder / f"people-{n_people}.csv"
    rows.reindex(columns=list(NATIVE_COLUMNS[Layout.PEOPLE]), fill_value="").to_csv(
        path, index=False)
    people = ingest([(str(path), load_spec("people"))], IssueLog()).records[Layout.PEOPLE]
    truth = set(zip(frame["record_id"].iloc[::50], twins["record_id"]))
    return people, truth


def test_common_name_blocks_are_split_so_namesakes_stay_flat_and_twins_are_found(tmp_path):
    # A name token in a busy postcode makes a block that grows with the people (mean
    # ~16 records at 12,000 people): chance would fill it, so it is split by the date of
    # birth. Candidates per record then stay flat while, windowed as before
    # (chance_partners 0), they grow; the applicant twins (same name token, postcode and
    # birth date) are candidates and merged either way.
    per_record, windowed = [], []
    for n_people in (3_000, 12_000):
        people, truth = _town_file(tmp_path, n_people)
        features = prepare(people)
        ids = features.frame["record_id"].to_numpy()
        split = block(features)
        assert split.split_blocks["phonetic_token+postcode"] > 0
        plain = block(features, chance_partners=0)
        assert plain.split_blocks == {}
        for found in (split, plain):
            pairs = {tuple(sorted(p)) for p in zip(ids[found.left], ids[found.right])}
            assert truth <= pairs
        per_record.append(split.pairs_per_record(len(features)))
        windowed.append(plain.pairs_per_record(len(features)))
    assert windowed[1] > windowed[0] * 1.5  # namesakes confirmed by a similar name
    assert per_record[1] <= per_record[0] * 1.1
    assert per_record[1] < windowed[1] / 3
    merged = []
    for chance_partners in (0, DEFAULT_SETTINGS.resolve_chance_partners):
        result = graphkit.resolve(people, chance_partners=chance_partners)
        entity = dict(zip(result.entities.record_id, result.entities.entity_id))
        merged.append({pair for pair in truth if entity[pair[0]] == entity[pair[1]]})
    # the twins the model merges (name, birth date and postcode agree; most of them)
    # are merged alike with and without the split
    assert len(merged[0]) > len(truth) / 2
    assert merged[1] >= merged[0]


def test_split_common_blocks_keeps_rare_names_whole():
    # token codes 0 (common: 20 records) and 1 (rare: the 3 records of one person), all
    # in context 0 of 23 records; the second key is each record's birth date
    codes = np.r_[np.zeros(20, dtype=np.int64), np.ones(3, dtype=np.int64)]
    positions = np.arange(23)
    context = np.zeros(23, dtype=np.int64)
    second = np.r_[np.arange(20) % 4, [7, 8, 9]]
    where, keys, split = blocking.split_common_blocks(positions, codes, context, 1, second,
                                                      2.0, max_block=8)
    assert split == 1 and where.tolist() == positions.tolist()
    assert len(set(keys[:20].tolist())) == 4  # the common block in four birth dates
    assert len(set(keys[20:].tolist())) == 1  # the rare name stays one block
    # expected fill 20 * 23 / 23 = 20 records: below a threshold of 21 nothing splits
    where, keys, split = blocking.split_common_blocks(positions, codes, context, 1, second,
                                                      21.0)
    assert split == 0 and len(set(keys.tolist())) == 2


def test_a_record_without_the_second_key_joins_every_part_of_its_common_block():
    # the common block of the test above, records 0 and 5 missing their birth date
    codes = np.r_[np.zeros(20, dtype=np.int64), np.ones(3, dtype=np.int64)]
    positions = np.arange(23)
    second = np.r_[np.arange(20) % 4, [7, 8, 9]]
    second[[0, 5]] = -1
    where, keys, split = blocking.split_common_blocks(
        positions, codes, np.zeros(23, dtype=np.int64), 1, second, 2.0, max_block=8)
    assert split == 1
    blocks: dict[int, set[int]] = {}
    for record, key in zip(where.tolist(), keys.tolist()):
        blocks.setdefault(key, set()).add(record)
    # four parts by birth date, each holding records 0 and 5 too; the rare name whole
    assert sorted(map(sorted, blocks.values())) == sorted(
        [sorted({0, 5} | {r for r in range(20) if second[r] == year}) for year in range(4)]
        + [[20, 21, 22]])
    # a block whose records all miss the second key stays whole
    where, keys, _ = blocking.split_common_blocks(
        positions[:20], codes[:20], np.zeros(20, dtype=np.int64), 1,
        np.full(20, -1), 2.0, max_block=8)
    assert sorted(where.tolist()) == list(range(20)) and len(set(keys.tolist())) == 1


def test_a_duplicate_without_a_birth_date_or_with_its_day_and_month_swapped_is_found(
        tmp_path):
    """Each person of a town of short-list names has a second record with the same name
    and postcode and nothing else but a date of birth missing or with its day and month
    swapped: the common blocks are split, and every such pair is still a candidate."""
    rng = np.random.default_rng(5)
    first = ["Min", "Jin", "Hana", "Sora", "Yuna", "Joon", "Hyun", "Seo"]
    last = ["Kim", "Lee", "Park", "Choi", "Jung", "Kang"]
    rows = []
    for i in range(1500):
        name = (first[i % len(first)], last[(i // len(first)) % len(last)])
        post = f"PC{rng.integers(0, 3)}"
        dob = f"19{rng.integers(50, 99)}-{rng.integers(1, 13):02d}-{rng.integers(13, 29):02d}"
        rows.append((f"A{i}", *name, dob, post))
        if i % 3 == 0:
            y, m, d = dob.split("-")
            other = "" if i % 2 else f"{y}-{d}-{m}"  # missing, or day and month swapped
            rows.append((f"B{i}", *name, other, post))
    from graphkit.ingest import ingest
    from graphkit.ingest.spec import load_spec
    from graphkit.issues import IssueLog

    people = pd.DataFrame(rows, columns=["record_id", "first_name", "last_name", "dob",
                                         "postcode"])
    path = tmp_path / "people.csv"
    people.reindex(columns=list(NATIVE_COLUMNS[Layout.PEOPLE]), fill_value="").to_csv(
        path, index=False)
    records = ingest([(str(path), load_spec("people"))], IssueLog()).records[Layout.PEOPLE]
    features = prepare(records)
    split = blocking.block(features, chance_partners=2.0)
    assert split.split_blocks["phonetic_token+postcode"] > 0
    ids = features.frame["record_id"].to_numpy()
    found = {frozenset(p) for p in zip(ids[split.left], ids[split.right])}
    wanted = {frozenset((f"A{i}", f"B{i}")) for i in range(0, 1500, 3)}
    assert wanted <= found


def test_a_build_made_before_the_chance_split_counts_as_never_splitting():
    from graphkit.nightly.diff import settings_differences

    new = DEFAULT_SETTINGS.to_dict()
    old = {k: v for k, v in new.items() if k != "resolve_chance_partners"}
    assert settings_differences(old, new) == [
        f"resolve_chance_partners: 0 → {new['resolve_chance_partners']!r}"]


def test_a_negative_chance_partners_setting_is_refused_by_name():
    import pytest

    people, _ = _population(200)
    with pytest.raises(ValueError, match="resolve_chance_partners"):
        block(prepare(people), chance_partners=-1.0)
