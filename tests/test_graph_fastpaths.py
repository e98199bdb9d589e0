"""The graph stage's fast paths give what the plain computations they replace give, on
real-format records (the demo's files, ingested) and on tricky inputs: identifier keys
sorted per label, record rows by position, person rows from first-seen codes, payroll
amounts by Arrow's cast, relationship type ranks chunk by chunk."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from graphkit.graph.assemble import (
    RelPart,
    _Places,
    _sorted_codes,
    arrow_text,
    assemble,
    coded_text,
)
from graphkit.graph.columns import (
    _grouped_rows,
    _identifier_keys_joined,
    _key_rows,
    _leading_rows,
    _leading_word,
    _list_array,
    _ordered_parts,
    decimal_numbers,
    identifier_keys,
    labelled_key_order,
    ordered_positions,
    record_rows,
)
from graphkit.ingest import ingest
from graphkit.ingest.fields import STR
from graphkit.ingest.project import native_project
from graphkit.issues import IssueLog
from graphkit.schema import ID_LABEL, IdKind, Layout


@pytest.fixture(scope="module")
def demo_data(demo_dir: Path):
    project = native_project(demo_dir)
    return ingest(project.sources, IssueLog(), settings=project.settings)


def _sorted_keys(codes: np.ndarray, labels: np.ndarray, values: pa.Array) -> pa.Array:
    """The joined key text, and its order as a plain sort gives it."""
    keys = pc.binary_join_element_wise(
        pa.array(labels[codes].tolist() if len(codes) else [], pa.string()), values, ":")
    return keys.take(pc.sort_indices(keys))


def test_labelled_key_order_sorts_the_demo_identifiers(demo_data) -> None:
    ids = demo_data.identifiers
    kind_code, kinds = pd.factorize(ids["kind"])
    labels = np.array([ID_LABEL[IdKind(k)].value for k in kinds], dtype=object)
    assert len(set(labels)) < len(labels)  # kinds sharing a label (Document, Account)
    values = pc.fill_null(arrow_text(ids["value"]), "")
    order = labelled_key_order(kind_code, labels, values)
    keys = pc.binary_join_element_wise(pa.array(labels[kind_code].tolist()), values, ":")
    assert sorted(order.tolist()) == list(range(len(ids)))
    assert keys.take(pa.array(order)).equals(_sorted_keys(kind_code, labels, values))


@pytest.mark.parametrize("labels", [["Email", "Phone", "Document", "Document"],
                                    ["IP", "IPv6", "I"],  # prefixes: the joined text
                                    ["Address"]])
@pytest.mark.parametrize("n", [0, 1, 300])
def test_labelled_key_order_on_tricky_values(labels: list[str], n: int) -> None:
    rng = np.random.default_rng(n)
    labels = np.array(labels, dtype=object)
    codes = rng.integers(0, len(labels), n)
    values = pa.array(["".join(rng.choice(list("ab:Zé0 ~"), rng.integers(0, 5)))
                       for _ in range(n)], pa.string())  # '' and ':' and non-ASCII
    order = labelled_key_order(codes, labels, values)
    keys = pc.binary_join_element_wise(
        pa.array(labels[codes].tolist() if n else [], pa.string()), values, ":")
    assert keys.take(pa.array(order, pa.int64())).equals(_sorted_keys(codes, labels, values))


def _reference_rows(frame: pd.DataFrame, record_ids: pd.Series) -> list[int]:
    first: dict[str, int] = {}
    for i, rid in enumerate(frame["record_id"].fillna("").tolist()):
        first.setdefault(rid, i)
    return [first.get(rid, -1) for rid in record_ids.fillna("").tolist()]


def test_record_rows_by_position_and_by_lookup(demo_data) -> None:
    people = demo_data.records[Layout.PEOPLE]
    same, unique = record_rows(people, people["record_id"])
    assert unique and same.tolist() == list(range(len(people)))
    shuffled = people["record_id"].sample(frac=1.0, random_state=3)
    for ids in (shuffled, people["record_id"].iloc[5:40],
                pd.Series(["nobody", *people["record_id"].iloc[:3]], dtype=STR)):
        rows, unique = record_rows(people, ids)
        assert not unique
        assert rows.tolist() == _reference_rows(people, ids)
    repeated = pd.DataFrame({"record_id": pd.Series(["a", "b", "a", None], dtype=STR)})
    rows, unique = record_rows(repeated, repeated["record_id"])
    assert not unique and rows.tolist() == [0, 1, 0, 3]


def test_leading_rows_equal_the_key_lookup() -> None:
    values = pd.Series(["person:b", "person:a", "person:b", "person:c"], dtype=object)
    leading = pa.array(["person:b", "person:a", "person:c", "company:x"])
    assert _leading_rows(values, leading).tolist() == [0, 1, 0, 2]
    for keys in (pa.array(["company:x", "person:a", "person:b", "person:c"]),  # not leading
                 pa.array(["person:b", "person:a"])):  # a value missing
        assert _leading_rows(values, keys).tolist() == _key_rows(values, keys).tolist()
    missing = pd.Series(["person:b", None], dtype=object)
    assert _leading_rows(missing, leading).tolist() == _key_rows(missing, leading).tolist()


def test_decimal_numbers_equal_to_numeric(demo_data) -> None:
    amounts = demo_data.records[Layout.PAYROLL]["amount"]
    text = pc.fill_null(arrow_text(amounts), "")
    expected = pd.to_numeric(amounts.fillna("").replace("", "0")).to_numpy(dtype=float)
    got = decimal_numbers(text)
    assert got.dtype == np.float64 and np.array_equal(got.view(np.int64),
                                                      expected.view(np.int64))
    rng = np.random.default_rng(5)
    plain = [f"{x:.{rng.integers(0, 3)}f}" for x in rng.uniform(-1e7, 1e12, 5000)]
    for values in ([*plain, "", "-0", "7.", "0.5"], ["1e3", " 12", "12"], [],
                   ["-0", "5", ""], ["-0.0", "5"]):  # '-0': the integer 0, or -0.0
        expected = pd.to_numeric(pd.Series(values, dtype=object).replace("", "0"))
        got = decimal_numbers(pa.array(values, pa.string()))
        assert np.array_equal(np.asarray(got, dtype=float).view(np.int64),
                              expected.to_numpy(dtype=float).view(np.int64))
    with pytest.raises(ValueError):
        decimal_numbers(pa.array(["12", "twelve"]))


def test_sorted_codes_chunk_by_chunk_keep_the_text_order() -> None:
    column = pa.chunked_array([
        coded_text(np.array([1, 0, 1]), ["WORKS_FOR", "PAYS"]),
        pa.array(["USES_IP", "PAYS"]).dictionary_encode(),
        coded_text(np.array([0, 0]), ["RESOLVED_TO", "unused"]),
    ])
    plain = np.array(column.cast(pa.string()).to_pylist(), dtype=object)
    codes = _sorted_codes(column)
    ranks = pd.factorize(pd.Series(plain), sort=True)[0]
    assert np.argsort(codes, kind="stable").tolist() == \
        np.argsort(ranks, kind="stable").tolist()
    assert (np.sign(codes[:, None] - codes[None, :]) ==
            np.sign(ranks[:, None] - ranks[None, :])).all()
    assert _sorted_codes(pa.array(["x", "b", "x"])).tolist() == [1, 0, 1]
    assert _sorted_codes(pa.chunked_array([], pa.string())).tolist() == []


def _reference_keys(codes: np.ndarray, labels: np.ndarray, values: list[str | None]
                    ) -> tuple[list[int], list[int], list[str]]:
    """Identifiers by a dictionary of joined key text: per row its identifier's rank in
    byte order of the keys, per identifier its first row, and the values in that order."""
    first: dict[bytes, int] = {}
    for row, (code, value) in enumerate(zip(codes.tolist(), values)):
        first.setdefault(f"{labels[code]}:{value or ''}".encode(), row)
    keys = sorted(first)
    rank = {key: i for i, key in enumerate(keys)}
    ident = [rank[f"{labels[c]}:{v or ''}".encode()] for c, v in zip(codes.tolist(), values)]
    return ident, [first[k] for k in keys], [values[first[k]] or "" for k in keys]


def _check_keys(got, codes: np.ndarray, labels: np.ndarray, values: list[str | None]) -> None:
    ident, first, node_values = got
    want_ident, want_first, want_values = _reference_keys(codes, labels, values)
    assert ident.tolist() == want_ident
    assert first.tolist() == want_first
    assert node_values.to_pylist() == want_values


def _coded_lists(groups: np.ndarray, codes: np.ndarray, values: pa.Array, n_groups: int
                 ) -> pd.Series:
    """A list column of ``n_groups`` rows holding ``values[codes]`` grouped by ``groups``
    (sorted group numbers), kept as codes into ``values`` (``list<dictionary>``): the
    assembled tables hold plain text lists (``assemble`` writes the text once)."""
    counts = np.bincount(groups, minlength=n_groups) if len(groups) else np.zeros(n_groups,
                                                                                   int)
    offsets = np.zeros(n_groups + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    coded = pa.DictionaryArray.from_arrays(pa.array(np.asarray(codes, dtype=np.int32)),
                                           values)
    array = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), coded)
    return pd.Series(pd.arrays.ArrowExtensionArray(array))


def test_identifier_keys_on_the_demo_identifiers(demo_data) -> None:
    ids = demo_data.identifiers
    kind_code, kinds = pd.factorize(ids["kind"])
    labels = np.array([ID_LABEL[IdKind(k)].value for k in kinds], dtype=object)
    values = ids["value"].tolist()
    chunks = pa.chunked_array([pa.array(values[:1000]), pa.array(values[1000:])])
    got = identifier_keys(kind_code, labels, chunks)
    assert got is not None
    _check_keys(got, kind_code, labels, values)
    _check_keys(_identifier_keys_joined(kind_code, labels, ids["value"]), kind_code, labels,
                values)


@pytest.mark.parametrize("labels", [["Email", "Phone", "Document", "Document"],
                                    ["IP", "IPv6", "I"],  # prefixes: the joined text
                                    ["Address"]])
@pytest.mark.parametrize("n", [1, 7, 3000])
@pytest.mark.parametrize("runs", [True, False])
def test_identifier_keys_on_tricky_values(labels: list[str], n: int, runs: bool) -> None:
    """Kinds in long runs (slices) or interleaved (a gather), values with '', ':',
    non-ASCII and repeats across kinds of one label; a prefix label is refused."""
    rng = np.random.default_rng(n)
    labels = np.array(labels, dtype=object)
    codes = rng.integers(0, len(labels), n)
    if runs:
        codes = np.sort(codes)
    values = ["".join(rng.choice(list("ab:Zé0 ~"), rng.integers(0, 4))) for _ in range(n)]
    column = pa.chunked_array([pa.array(values[:n // 2], pa.string()),
                               pa.array(values[n // 2:], pa.string())])
    got = identifier_keys(codes, labels, column)
    if labels[0] == "IP":
        assert got is None
        got = _identifier_keys_joined(codes, labels, pd.Series(values, dtype=STR))
    _check_keys(got, codes, labels, values)


def test_identifier_keys_of_chunks_with_dictionaries_of_their_own() -> None:
    labels = np.array(["Email", "Phone"])
    codes = np.array([0, 1, 0, 1], dtype=np.int64)
    column = pa.chunked_array([pa.array(["x", "y"]).dictionary_encode(),
                               pa.array(["z", "x"]).dictionary_encode()])
    ident, first, values = identifier_keys(codes, labels, column)
    keys = [f"{labels[c]}:{v}" for c, v in zip(codes, ["x", "y", "z", "x"])]
    assert sorted(set(keys)) == [f"{labels[codes[f]]}:{values[i].as_py()}"
                                 for i, f in enumerate(first)]
    assert [keys[f] for f in first[ident]] == keys


def test_identifier_keys_refuse_missing_values() -> None:
    labels = np.array(["Email"], dtype=object)
    codes = np.zeros(3, dtype=np.int64)
    values = ["a", None, "a"]
    assert identifier_keys(codes, labels, pa.chunked_array([pa.array(values)])) is None
    _check_keys(_identifier_keys_joined(codes, labels, pd.Series(values, dtype=STR)),
                codes, labels, values)


def test_coded_record_lists_assemble_as_plain_lists() -> None:
    """Record lists given as codes into the record ids (``list<dictionary>``) come out of
    ``assemble`` as the same text lists as plain lists, in the relationships' final
    order."""
    record_ids = pa.array(["r1", "r2", "r3", "r4", "r5"])
    groups = np.array([0, 0, 1, 2, 2, 2])
    codes = np.array([4, 0, 2, 1, 3, 1])
    nodes = {"entities": pd.DataFrame({"key": ["person:b", "person:a"],
                                       "label": "Person"}),
             "identifiers": pd.DataFrame({"key": ["Email:y", "Email:x"], "label": "Email"})}

    def build(records: pd.Series) -> pd.DataFrame:
        rels = pd.DataFrame({"start": [0, 1, 0], "end": [1, 0, 0], "type": "USES_EMAIL",
                             "records": records})
        other = pd.DataFrame({"start": ["person:a"], "end": ["person:b"],
                              "type": "POSSIBLY_SAME_AS", "score": [0.5]})
        parts = [RelPart(rels, "entities", "identifiers"), RelPart(other)]
        return assemble({k: v.copy() for k, v in nodes.items()}, parts).relationships

    plain = build(_list_array(groups, record_ids.take(pa.array(codes)), 3))
    coded = build(_coded_lists(groups, codes, record_ids, 3))
    assert coded["records"].dtype == plain["records"].dtype
    assert coded["records"].tolist() == plain["records"].tolist()
    assert coded.drop(columns="records").equals(plain.drop(columns="records"))
    assert coded["start"].tolist() == ["person:a", "person:a", "person:b", "person:b"]
    assert coded["end"].tolist() == ["person:b", "Email:y", "Email:x", "Email:y"]
    assert pa.array(coded["records"].array).to_pylist() == \
        [None, ["r3"], ["r5", "r1"], ["r2", "r4", "r2"]]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_grouped_rows_equal_the_plain_group_by(seed: int) -> None:
    """Rows sorted by key, a member repeated within a key dropped (first kept), keys
    numbered in key order: as a dictionary walk over the rows gives it."""
    rng = np.random.default_rng(seed)
    n = [0, 1, 2000][seed]
    keys = rng.integers(0, 40, n) * 10 ** 9 + rng.integers(0, 3, n)
    members = rng.integers(0, 6, n)
    rows, group = _grouped_rows(keys, members, 6)
    seen: dict[int, list[int]] = {}
    members_of: dict[int, set[int]] = {}
    for row, (key, member) in enumerate(zip(keys.tolist(), members.tolist())):
        if member not in members_of.setdefault(key, set()):
            members_of[key].add(member)
            seen.setdefault(key, []).append(row)
    want_rows = [row for key in sorted(seen) for row in seen[key]]
    want_group = [i for i, key in enumerate(sorted(seen)) for _ in seen[key]]
    assert rows.tolist() == want_rows
    assert group.tolist() == want_group


def test_key_endpoints_looked_up_together_equal_one_by_one() -> None:
    parts = {"entities": pa.table({"key": ["person:a", "person:b", "company:x"]}),
             "identifiers": pa.table({"key": ["Email:x", "Email:y"]})}
    ids = {"entities": np.array([3, 4, 0]), "identifiers": np.array([1, 2])}
    places = _Places(parts, ids)
    columns = [(pd.Series(["person:b", "nobody", "company:x"], dtype=object), "entities"),
               (pd.Series([1, 0], dtype=np.int64), "identifiers"),
               (pd.Series(["Email:y", "person:a"], dtype=STR), None),
               (pd.Series([], dtype=object), "entities"),
               (pd.Series(["company:x", None], dtype=object), "entities"),
               (pd.Series(["Email:x"], dtype=object), "missing part")]
    together = places.node_ids_of(columns)
    for got, (values, part) in zip(together, columns):
        assert got.tolist() == places.node_ids(values, part).tolist()
    assert [g.tolist() for g in together] == [[4, -1, 0], [2, 1], [2, 3], [], [0, -1], [-1]]


# --- identifier_parts: records placed by walking ordered id lists, labels in parts ------

def _index_in(values: pa.Array, keys: pa.Array) -> list[int]:
    return pc.fill_null(pc.index_in(values, value_set=keys), -1).to_pylist()


@pytest.mark.parametrize("block,search,max_breaks", [(1 << 16, 1 << 12, 256), (3, 2, 256),
                                                     (5, 4, 2), (7, 64, 0)])
def test_ordered_positions_equal_the_hash_lookup(demo_data, block: int, search: int,
                                                 max_breaks: int) -> None:
    """Each identifier column of the demo's people, payroll and logins placed among its
    layout's record ids as ``pc.index_in`` places it, with small blocks and searches
    (breaks, the search among the first keys, the hash fallback) too."""
    ids = demo_data.identifiers
    for layout in (Layout.PEOPLE, Layout.PAYROLL, Layout.LOGINS):
        keys = pc.fill_null(arrow_text(demo_data.records[layout]["record_id"]), "")
        values = pc.fill_null(arrow_text(ids["record_id"][ids["layout"] == layout.value]),
                              "")
        assert len(values) > len(keys) // 2
        assert ordered_positions(values, keys, block, search, max_breaks).tolist() == \
            _index_in(values, keys)
        known = keys.filter(pa.array(np.arange(len(keys)) % 3 != 1))  # keys left out too
        assert ordered_positions(values, known, block, search, max_breaks).tolist() == \
            _index_in(values, known)


@pytest.mark.parametrize("seed", range(6))
def test_ordered_positions_on_tricky_lists(seed: int) -> None:
    """Values in order with gaps, repeated runs, shuffled, absent, non-ASCII, empty;
    values chunked as slices of a larger array."""
    rng = np.random.default_rng(seed)
    m = [0, 1, 50, 400, 400, 3000][seed]
    keys = pa.array([f"r{i}é{'😀' * (i % 3)}" for i in rng.permutation(4 * m + 1)[:m]],
                    pa.string())
    picks = [np.sort(rng.choice(m, rng.integers(0, m + 1), replace=False)) for _ in range(3)]
    picks += [rng.integers(0, m, 20) if m else np.zeros(0, int)]  # any order
    whole = pa.concat_arrays([pa.array(["nobody", ""]),
                              *[keys.take(pa.array(p, pa.int64())) for p in picks],
                              pa.array(["r0", "zz"])])
    values = whole.slice(1)
    for block, search in ((1 << 16, 1 << 12), (4, 3), (1, 1)):
        assert ordered_positions(values, keys, block, search).tolist() == \
            _index_in(values, keys)
    empty = pa.array([], pa.string())
    assert ordered_positions(empty, keys).tolist() == []
    assert ordered_positions(values, empty).tolist() == [-1] * len(values)


@pytest.mark.parametrize("part_rows", [1, 5, 64])
def test_identifier_keys_in_parts_on_the_demo_identifiers(demo_data, part_rows: int) -> None:
    """Labels cut into many small parts give the identifiers the whole labels give."""
    ids = demo_data.identifiers
    kind_code, kinds = pd.factorize(ids["kind"])
    labels = np.array([ID_LABEL[IdKind(k)].value for k in kinds], dtype=object)
    values = ids["value"].tolist()
    chunks = pa.chunked_array([pa.array(values[:999]), pa.array(values[999:])])
    _check_keys(identifier_keys(kind_code, labels, chunks, part_rows), kind_code, labels,
                values)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("part_rows", [1, 3, 40])
def test_identifier_keys_in_parts_on_tricky_values(seed: int, part_rows: int) -> None:
    """Parts cut on the bytes after a long common prefix, values shorter than the prefix
    plus 8 bytes, ties on those bytes, NUL bytes, non-ASCII (UTF-8 byte order), '',
    string and large_string chunks, sliced chunks."""
    rng = np.random.default_rng(seed)
    n = [2, 30, 700, 4000][seed]
    alphabet = list("ab:Zé0 ~\x00\uffff😀")
    prefix = ["", "nid:", "021000021:", "+1"][seed]
    values = [prefix + "".join(rng.choice(alphabet, rng.integers(0, 12))) for _ in range(n)]
    if seed == 3:
        values[5:50] = [prefix + "abcdefgh" + v for v in values[5:50]]  # ties on 8 bytes
    labels = np.array(["Email", "Phone", "Document"], dtype=object)
    codes = np.sort(rng.integers(0, len(labels), n))
    big = pa.array(["x", *values], pa.large_string())
    column = pa.chunked_array([big.slice(1, n // 2), pa.array(values[n // 2:], pa.string())
                               .cast(pa.large_string())])
    _check_keys(identifier_keys(codes, labels, column, part_rows), codes, labels, values)


def test_ordered_parts_follow_the_byte_order() -> None:
    """Every value of a part sorts before every value of the next, equal values share a
    part, and the parts cover each row once."""
    rng = np.random.default_rng(9)
    values = ["pre" + "".join(rng.choice(list("aé\x00z😀"), rng.integers(0, 10)))
              for _ in range(3000)]
    column = pa.chunked_array([pa.array(values[:100]), pa.array(values[100:])])
    parts = _ordered_parts(column, 200)
    assert len(parts) > 5
    assert sorted(np.concatenate(parts).tolist()) == list(range(len(values)))
    spans = [(min(values[i].encode() for i in p), max(values[i].encode() for i in p))
             for p in parts]
    assert all(a[1] < b[0] for a, b in itertools.pairwise(spans))
    assert _ordered_parts(column, 3000) == [None]
    assert _ordered_parts(pa.chunked_array([pa.array(["same"] * 50)]), 4) == [None]


def test_ordered_positions_place_repeated_and_missing_values() -> None:
    """The person of each linked record: runs of one value (her payroll rows), people
    without records, nulls; as the hash lookup places them."""
    keys = pa.array(["P1", "P2", "P3", "Pé", "P5"])
    values = pa.array(["P1", "P1", "P1", "P3", None, "P3", "Pé", "nobody", "nobody",
                       "P5", "P2", "P2", None])
    want = _index_in(values, keys)
    assert want[4] is None or want[4] == -1
    assert ordered_positions(values, keys).tolist() == [-1 if w is None else w for w in want]
    assert ordered_positions(values, keys, 2, 1, 0).tolist() == \
        ordered_positions(values, keys).tolist()
    assert ordered_positions(pa.array([None, None], pa.string()), keys).tolist() == [-1, -1]


@pytest.mark.parametrize("seed", range(4))
def test_key_rows_of_few_values_equal_the_lookup(seed: int) -> None:
    """Few values among many keys (the keys hashed the other way round): each value's
    first row among the keys, -1 for an absent or missing one."""
    rng = np.random.default_rng(seed)
    keys = pa.array([f"company:{v}é" for v in rng.integers(0, 500, [0, 40, 900, 3000][seed])],
                    pa.string())
    values = pd.Series([None if rng.random() < 0.1 else f"company:{v}é"
                        for v in rng.integers(0, 520, [0, 1, 20, 60][seed])], dtype=object)
    want = _index_in(arrow_text(values), keys)
    assert _key_rows(values, keys).tolist() == [-1 if w is None else w for w in want]


@pytest.mark.parametrize("skip", [0, 1, 3])
def test_leading_word_is_the_bytes_after_the_prefix(skip: int) -> None:
    """8 bytes from ``skip`` on, big-endian, zeros past the end: values near the end of
    their buffer, shorter than ``skip``, empty, non-ASCII, in a sliced chunk."""
    rng = np.random.default_rng(skip)
    values = ["".join(rng.choice(list("ab\x00é😀z"), rng.integers(0, 12))) for _ in range(400)]
    for chunk in (pa.array(["pad", *values], pa.string()).slice(1),
                  pa.array(values, pa.large_string()), pa.array(["", "a"], pa.string()),
                  pa.array(["", ""], pa.string())):
        want = [int.from_bytes((v.encode()[skip:skip + 8] + bytes(8))[:8], "big")
                for v in chunk.to_pylist()]
        assert _leading_word(chunk, skip).tolist() == want
