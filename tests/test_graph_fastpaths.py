"""The graph stage's fast paths give what the plain computations they replace give, on
real-format records (the demo's files, ingested) and on tricky inputs: identifier keys
sorted per label, record rows by position, person rows from first-seen codes, payroll
amounts by Arrow's cast, relationship type ranks chunk by chunk."""

from __future__ import annotations

import copy
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from graphkit.graph.assemble import (
    RelPart,
    _chunk_numbers,
    _chunk_runs,
    _Gather,
    _groups,
    _joined_keys,
    _key_columns,
    _ordered_ends,
    _Places,
    _Sparse,
    _type_codes,
    _type_column,
    arrow_chunks,
    arrow_text,
    assemble,
    coded_text,
    take_chunked,
)
from graphkit.graph.columns import (
    _code_rows,
    _grouped_rows,
    _hashed_part,
    _identifier_keys_joined,
    _identifier_owners,
    _identifier_relationships,
    _key_rows,
    _kind_codes,
    _layout_codes,
    _leading_rows,
    _leading_word,
    _list_array,
    _ordered_parts,
    _part_numbers,
    _repeated_in_sorted_groups,
    _rows_by_label,
    _rows_by_layout,
    _sorted_part,
    decimal_numbers,
    entity_nodes,
    identifier_keys,
    labelled_key_order,
    ordered_positions,
    record_owners,
    record_rows,
    string_order,
)
from graphkit.ingest import ingest
from graphkit.ingest.fields import STR
from graphkit.ingest.identifiers import LAYOUT_DTYPE
from graphkit.ingest.project import native_project
from graphkit.intcodes import repeated
from graphkit.issues import IssueLog
from graphkit.schema import ID_LABEL, IdKind, Label, Layout, id_relationship


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
                   ["-0", "5", ""], ["-0.0", "5"],  # '-0': the integer 0, or -0.0
                   ["12.50", "", "12.50", "-0", "", "7"],  # repeats: each text cast once
                   ["5", None, "5"]):  # missing: NaN, as pandas reads None
        expected = pd.to_numeric(pd.Series(values, dtype=object).replace("", "0"))
        got = decimal_numbers(pa.array(values, pa.string()))
        assert np.array_equal(np.asarray(got, dtype=float).view(np.int64),
                              expected.to_numpy(dtype=float).view(np.int64))
    with pytest.raises(ValueError):
        decimal_numbers(pa.array(["12", "twelve"]))


def test_type_codes_chunk_by_chunk_keep_the_text_order() -> None:
    parts = [pa.chunked_array([coded_text(np.array([1, 0, 1]), ["WORKS_FOR", "PAYS"]),
                               pa.array(["USES_IP", "PAYS"]).dictionary_encode()]),
             pa.chunked_array([coded_text(np.array([0, 0]), ["RESOLVED_TO", "unused"]),
                               pa.array(["Ünïcode", "PAYS", "A"]).dictionary_encode()]),
             pa.chunked_array([pa.array(["A", "Ünïcode"]), pa.array(["B"])]),
             pa.chunked_array([], pa.string())]
    codes, names = _type_codes(parts)
    plain = [v for part in parts for v in part.cast(pa.string()).to_pylist()]
    got = np.concatenate(codes)
    assert [names[c] for c in got.tolist()] == plain
    ranks = pd.factorize(pd.Series(plain, dtype=object), sort=True)[0]
    assert (np.sign(got[:, None].astype(int) - got[None, :]) ==
            np.sign(ranks[:, None] - ranks[None, :])).all()
    assert [len(c) for c in codes] == [5, 5, 3, 0] and got.dtype == np.int8
    assert _type_codes([]) == ([], [])


def _reference_order(starts, types, ends) -> list[tuple[int, int]]:
    """(part, row) of every relationship with both ends known, by a stable sort of
    (start, type, end) over the parts laid end to end."""
    rows = [(int(s), int(t), int(e), part, row)
            for part, (ss, ts, es) in enumerate(zip(starts, types, ends))
            for row, (s, t, e) in enumerate(zip(ss, ts, es)) if s >= 0 and e >= 0]
    return [(part, row) for *_, part, row in sorted(rows, key=lambda r: r[:3])]


def _group_order(groups, starts) -> list[tuple[int, int]]:
    out = []
    for group in groups:
        picked = [(i, np.arange(len(starts[i])) if rows is None else rows)
                  for i, rows in zip(group.members, group.rows)]
        flat = [(i, int(r)) for i, rows in picked for r in rows]
        out += flat if group.order is None else [flat[k] for k in group.order.tolist()]
    return out


@pytest.mark.parametrize("n_nodes", [40, 2 ** 31])  # one int64 key; too big: a lexsort
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_groups_equal_the_stable_sort_of_all_parts(seed: int, n_nodes: int) -> None:
    """Parts alone in their start range and in order (kept as they are), parts whose
    ranges overlap (sorted together), unknown ends, ties across parts, empty parts."""
    starts, types, ends = _tricky_parts(seed, _TRICKY_PARTS[:7])
    # starts rising row by row: in order whatever the types and ends
    starts.append(np.array([10, 12, 15, 18]))
    types.append(np.array([2, 0, 1, 0], dtype=np.int8))
    ends.append(np.array([30, 1, 20, 3]))
    groups = _groups(starts, types, ends, n_nodes, 3)
    assert _group_order(groups, starts) == _reference_order(starts, types, ends)
    kept = [g.members for g in groups if g.order is None]
    if n_nodes == 40:  # parts 0, 7, 5 and 6 are alone in their ranges and in order
        assert kept == [[0], [7], [5], [6]]
    else:  # no key: only starts rising row by row are known to be in order
        assert kept == [[7]]
    assert _groups([], [], [], n_nodes, 0) == []


#: ``_tricky_parts``: per part its start range, rows and whether it comes in key order
_TRICKY_PARTS = [(0, 5, 30, True), (5, 9, 20, False), (20, 30, 40, False), (25, 34, 25, False),
                 (22, 24, 0, False), (35, 36, 6, True), (36, 39, 15, True),
                 (26, 28, 12, False)]


def _tricky_parts(seed: int, specs: list[tuple] = _TRICKY_PARTS
                  ) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Relationship parts as ``_groups`` takes them: overlapping and lone start ranges,
    parts in order and not, ties, unknown ends (-1; not with seed 0), an empty part."""
    rng = np.random.default_rng(seed)
    starts, types, ends = [], [], []
    for lo, hi, n, in_order in specs:
        s = rng.integers(lo, hi, n)
        t = rng.integers(0, 3, n).astype(np.int8)
        e = rng.integers(-1 if seed else 0, 40, n)
        if in_order:
            key = np.lexsort((e, t, s))
            s, t, e = s[key], t[key], e[key]
        starts.append(s.astype(np.int64))
        types.append(t)
        ends.append(e.astype(np.int64))
    starts[1][3] = -1  # a start not found
    return starts, types, ends


@pytest.mark.parametrize("n_nodes", [40, 2 ** 31])  # keys read off; too big: gathered
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ordered_ends_equal_the_plain_gather(seed: int, n_nodes: int) -> None:
    """Ids and types of every group in its final order, as the parts' rows picked one by
    one in the stable sort's order give them."""
    starts, types, ends = _tricky_parts(seed)
    groups = _groups(starts, types, ends, n_nodes, 3)
    assert any(g.keys is not None for g in groups) == (n_nodes == 40)
    start_id, type_code, end_id = _ordered_ends(groups, starts, types, ends, n_nodes, 3)
    want = _reference_order(starts, types, ends)
    assert start_id.tolist() == [int(starts[p][r]) for p, r in want]
    assert type_code.tolist() == [int(types[p][r]) for p, r in want]
    assert end_id.tolist() == [int(ends[p][r]) for p, r in want]
    assert start_id.dtype == end_id.dtype == np.int64 and type_code.dtype == np.int8
    assert all(g.keys is None for g in groups)  # read once, then released
    empty = _ordered_ends([], [], [], [], n_nodes, 0)
    assert [len(a) for a in empty] == [0, 0, 0]


@pytest.mark.parametrize("huge_part", [False, True])  # int32 positions; int64 past 2**31
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gather_positions_equal_the_member_rows(seed: int, huge_part: bool) -> None:
    """Per row of a sorted group, its position in the columns of the members that have
    a column laid end to end (null: a row of a member without it), for every set of
    members; groups of one part and of several, all rows kept or some dropped."""
    starts, types, ends = _tricky_parts(seed)
    sizes = [len(s) for s in starts]
    if huge_part:  # a part outside every group: positions no longer fit in int32
        sizes.append(2 ** 31)
    groups = [g for g in _groups(starts, types, ends, 40, 3) if g.order is not None]
    assert len(groups) >= 2 and any(len(g.members) > 1 for g in groups)
    for group in groups:
        picked = [(i, np.arange(sizes[i]) if rows is None else rows)
                  for i, rows in zip(group.members, group.rows)]
        flat = [(k, int(r)) for k, (_, rows) in enumerate(picked) for r in rows]
        want_rows = [flat[j] for j in group.order.tolist()]
        gather = _Gather(group, sizes)
        assert len(gather) == len(want_rows)
        members = range(len(group.members))
        for n_have in range(1, len(group.members) + 1):
            for have in itertools.combinations(members, n_have):
                lengths = [sizes[group.members[k]] for k in have]
                offset = dict(zip(have, np.cumsum([0, *lengths[:-1]]).tolist()))
                want = [offset[k] + row if k in offset else None for k, row in want_rows]
                index = gather._index_of(have, lengths)
                if isinstance(index, _Sparse):  # a few members' rows: those rows alone
                    assert gather._few(have)
                    assert index.present.to_pylist() == [w is not None for w in want]
                    assert index.at.tolist() == [i for i, w in enumerate(want) if w is not None]
                    index, want = index.index, [w for w in want if w is not None]
                assert index.to_pylist() == want
                assert index.type == (pa.int64() if huge_part else
                                      pa.int32() if len(group.members) > 1 else pa.int64())


@pytest.mark.parametrize("chunk_rows", [[], [7], [3, 0, 4], [1, 1, 1, 1, 1, 1, 1]])
def test_key_columns_equal_the_plain_gather(chunk_rows: list[int]) -> None:
    """Start keys by runs per chunk of the node keys (slices where the ids follow one
    another, gathers where they repeat or skip), end keys by one gather: the keys a
    gather from the joined keys gives; runs across chunk bounds, repeats, no rows."""
    keys = [f"K:ä{i}" for i in range(sum(chunk_rows))]
    at = np.cumsum([0, *chunk_rows])
    chunked = pa.chunked_array([pa.array(keys[a:b], pa.string())
                                for a, b in itertools.pairwise(at)], pa.string())
    n = len(keys)
    rng = np.random.default_rng(n)
    cases = [np.zeros(0, dtype=np.int64)]
    if n:
        cases += [np.arange(n), np.sort(rng.integers(0, n, 3 * n)), np.arange(1, n),
                  np.r_[np.arange(0, n // 2), np.arange(n // 2 + 1, n)], np.full(4, n - 1)]
    for start_id in cases:
        start_id = start_id.astype(np.int64)
        end_id = rng.integers(0, n, len(start_id)) if n else start_id.copy()
        start, end = _key_columns(chunked, start_id, end_id)
        assert start.type == end.type == pa.string()
        assert start.to_pylist() == [keys[i] for i in start_id.tolist()]
        assert end.to_pylist() == [keys[i] for i in end_id.tolist()]


def test_type_column_writes_the_names_once() -> None:
    codes = np.array([2, 0, 0, 1, 2], dtype=np.int8)
    got = _type_column(codes, ["HAS_EMAIL", "PAYS", "Ünïcode"])
    assert got.type == pa.string()
    assert got.to_pylist() == ["Ünïcode", "HAS_EMAIL", "HAS_EMAIL", "PAYS", "Ünïcode"]
    assert _type_column(np.zeros(0, dtype=np.int8), []).to_pylist() == []


def _reference_tables(node_rows: list[dict], rel_rows: list[dict]
                      ) -> tuple[list[dict], list[dict]]:
    """Nodes sorted by key (the first of a repeated key kept), relationships with both
    ends known sorted by (start_id, type, end_id), stable: plain Python."""
    nodes: dict[str, dict] = {}
    for row in node_rows:
        nodes.setdefault(row["key"], row)
    keys = sorted(nodes, key=lambda k: k.encode())
    node_id = {key: i for i, key in enumerate(keys)}
    rels = [dict(row, start_id=node_id[row["start"]], end_id=node_id[row["end"]])
            for row in rel_rows if row["start"] in node_id and row["end"] in node_id]
    rels.sort(key=lambda r: (r["start_id"], r["type"].encode(), r["end_id"]))
    return [nodes[k] for k in keys], rels


def _rows(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    table = pa.Table.from_pandas(frame[columns], preserve_index=False)
    return [{k: v for k, v in row.items() if v is not None} for row in table.to_pylist()]


@pytest.mark.parametrize("chunked", [True, False])
def test_assemble_equals_the_plain_sort(chunked: bool) -> None:
    """Relationship parts alone in their start range (records' ``RESOLVED_TO``, in order)
    and parts sharing one (entities' relationships), coded and plain text, chunked Arrow
    columns, non-ASCII keys, ties, unknown ends, a repeated node key, an empty part: the
    tables a plain sort gives."""
    def arrow(values: list, typ: pa.DataType | None = None, coded: bool = False
              ) -> pd.Series:
        array = pa.array(values, typ or pa.string())
        if coded:
            array = array.dictionary_encode()
        if chunked and len(values) > 2:
            array = pa.chunked_array([array.slice(0, 2), array.slice(2)])
        return pd.Series(pd.arrays.ArrowExtensionArray(array))

    records = pa.table({"key": ["Record:people:ä1", "Record:people:b2", "Record:people:c3"],
                        "label": ["Record"] * 3, "first_name": ["Ünal", None, "Bo"]})
    entities = pd.DataFrame({"key": ["person:ü", "person:a", "company:z", "person:a"],
                             "label": ["Person", "Person", "Company", "Person"],
                             "name": ["Ü", "A", "Z", "dup"]})
    idents = pa.table({"key": ["Email:a@x", "Email:ö@x", "Phone:1"],
                       "label": ["Email", "Email", "Phone"]})
    resolved = pd.DataFrame({"start": np.array([0, 1, 2]), "end": np.array([0, 1, 1]),
                             "type": arrow(["RESOLVED_TO"] * 3, coded=True),
                             "score": [1.0, 0.5, 0.25],
                             "evidence": arrow(["exact", "näher", "exact"])})
    has = pd.DataFrame({"start": np.array([1, 0, 1, 0, 1, 3]),
                        "end": np.array([1, 0, 0, 2, 1, 0]),
                        "type": arrow(["HAS_EMAIL", "HAS_EMAIL", "HAS_EMAIL", "HAS_PHONE",
                                       "HAS_EMAIL", "HAS_EMAIL"], coded=True),
                        "kind": arrow(["email", "email", "email", "phone", "email",
                                       "email"], coded=True),
                        "records": arrow([["r1"], ["r2", "r3"], [], None, ["r1"], ["r9"]],
                                         pa.list_(pa.string()))})
    works = pd.DataFrame({"start": ["person:a", "person:ü", "person:a", "nobody"],
                          "end": ["company:z", "company:z", "company:z", "company:z"],
                          "type": "WORKS_FOR", "amount": [1.5, None, 2.0, 3.0],
                          "currency": ["KRW", "€", None, "USD"]})
    empty = pd.DataFrame({"start": np.zeros(0, np.int64), "end": np.zeros(0, np.int64),
                          "type": pd.Series([], dtype=object)})
    node_rows = (_rows(records.to_pandas(), ["key", "label", "first_name"]) +
                 _rows(entities, ["key", "label", "name"]) +
                 _rows(idents.to_pandas(), ["key", "label"]))
    record_keys = records.column("key").to_pylist()
    entity_keys = entities["key"].tolist()
    ident_keys = idents.column("key").to_pylist()
    rel_rows = [dict(r, start=record_keys[r["start"]], end=entity_keys[r["end"]])
                for r in _rows(resolved, ["start", "end", "type", "score", "evidence"])]
    rel_rows += [dict(r, start=entity_keys[r["start"]], end=ident_keys[r["end"]])
                 for r in _rows(has, ["start", "end", "type", "kind", "records"])]
    rel_rows += _rows(works, ["start", "end", "type", "amount", "currency"])
    tables = assemble({"Record:people": records, "entities": entities.copy(),
                       "identifiers": idents},
                      [RelPart(resolved, "Record:people", "entities"),
                       RelPart(has, "entities", "identifiers"), RelPart(works),
                       RelPart(empty, "entities", "entities")])
    want_nodes, want_rels = _reference_tables(node_rows, rel_rows)
    nodes = tables.nodes
    assert nodes["key"].tolist() == [n["key"] for n in want_nodes]
    assert nodes["node_id"].tolist() == list(range(len(want_nodes)))
    assert _rows(nodes, ["key", "label", "first_name", "name"]) == want_nodes
    rels = tables.relationships
    assert list(rels.columns) == ["start_id", "end_id", "start", "end", "type", "amount",
                                  "currency", "evidence", "kind", "records", "score"]
    got = _rows(rels, list(rels.columns))
    assert got == [{k: v for k, v in r.items() if k in rels.columns} for r in want_rels]
    for name in ("type", "evidence", "kind", "currency"):
        assert pa.types.is_string(pa.array(rels[name].array).type), name


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
    want_rows, want_group = _plain_grouped_rows(keys, members)
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


def _reference_payers(data, people, companies, person_rows=None) -> pd.DataFrame:
    """``_payers`` as pandas did it row by row: the person by ``Series.map``, each row's
    company (``payer_company``, the same rule) and month by ``map_distinct`` into object
    columns."""
    from graphkit.distinct import map_distinct
    from graphkit.graph.columns import _text, payer_company

    payroll = data.records[Layout.PAYROLL]
    payer = _text(payroll["payer"])
    has_payer = (payer != "").to_numpy()
    if person_rows is None:
        person = _text(payroll["person_record_id"]).map(
            people.entities.set_index("record_id")["entity_id"])
        keep = person.notna().to_numpy() & has_payer
        person = person[keep].to_numpy(dtype=object)
    else:
        keep = (person_rows >= 0) & has_payer
        person = person_rows[keep]
    company = payer_company(data, companies)
    rows = pd.DataFrame({"person": person, "payer": payer[keep].to_numpy(dtype=object)})
    rows["company"] = map_distinct(rows["payer"], company).to_numpy()
    rows["currency"] = _text(payroll["currency"])[keep].to_numpy(dtype=object)
    rows["amount"] = pd.to_numeric(_text(payroll["amount"])[keep].replace("", "0")).to_numpy()
    rows["month"] = map_distinct(_text(payroll["paid_at"][keep]), lambda v: v[:7]).to_numpy()
    return rows


@pytest.mark.parametrize("tricky", [False, True])
def test_payers_equal_the_row_by_row_reference(demo_data, tricky: bool) -> None:
    """Payroll rows with their person (key or entity row), company, month: as the
    row-by-row reference gives them, also with missing payers, persons and dates, an
    unknown person and non-ASCII payer names."""
    import copy

    from graphkit.graph.columns import _payers
    from graphkit.pipeline import resolve_companies_exact, resolve_people

    data = copy.copy(demo_data)
    data.records = dict(demo_data.records)
    if tricky:
        payroll = data.records[Layout.PAYROLL].copy()
        payroll.loc[payroll.index[:3], "payer"] = [None, "", "Société Générale SA"]
        payroll.loc[payroll.index[3:5], "person_record_id"] = [None, "nobody"]
        payroll.loc[payroll.index[5:7], "paid_at"] = [None, "2026-ü"]
        payroll.loc[payroll.index[7], "payer"] = "株式会社 Example"
        data.records[Layout.PAYROLL] = payroll
    people = resolve_people(data.records[Layout.PEOPLE])
    companies = resolve_companies_exact(data.records[Layout.COMPANIES])
    rng = np.random.default_rng(4)
    person_rows = rng.integers(-1, 50, len(data.records[Layout.PAYROLL]))
    for rows in (None, person_rows):
        got = _payers(data, people, companies, rows)
        want = _reference_payers(data, people, companies, rows)
        assert list(got.columns) == list(want.columns)
        assert len(got) == len(want) > 0
        for column in ("person", "payer", "company", "currency", "month"):
            assert got[column].tolist() == want[column].tolist(), column
        assert got["person"].dtype == pd.DataFrame({"c": want["person"]})["c"].dtype
        for column in ("payer", "company", "currency", "month"):  # codes, not a string a row
            assert isinstance(got[column].dtype, pd.CategoricalDtype), column
        months = got["month"].cat.categories.tolist()
        assert months == sorted(months)  # text order: factorize(sort=True) sorts by it
        assert np.array_equal(got["amount"].to_numpy(float), want["amount"].to_numpy(float))
        if tricky and rows is None:
            assert "株式会社 Example" in got["payer"].tolist()
            assert "" in got["month"].tolist() and "2026-ü" in got["month"].tolist()


@pytest.mark.parametrize("case", ["demo", "unknown first", "blank and non-ASCII", "empty"])
def test_first_payers_equal_the_first_payroll_row_per_company(demo_data, case: str) -> None:
    """The payer companies screening needs (``_first_payers``): each company's first
    payroll row among ``_payers``' rows, as ``drop_duplicates`` of all of them gives it,
    also when that row's person is unknown (the long way), its payer is missing, and on
    non-ASCII names; a payer known only by name gets ``payer_entity_id``."""
    import copy

    from graphkit.graph import build
    from graphkit.graph.columns import _first_payers, _payers, payer_company
    from graphkit.graph.payer_ids import payer_entity_id
    from graphkit.pipeline import resolve_companies_exact, resolve_people

    data = copy.copy(demo_data)
    data.records = dict(demo_data.records)
    payroll = data.records[Layout.PAYROLL].copy()
    if case == "unknown first":
        payroll.loc[payroll.index[0], "person_record_id"] = "nobody"
    elif case == "blank and non-ASCII":
        payroll.loc[payroll.index[:4], "payer"] = [None, "", "株式会社 Example",
                                                   "Société Générale SA"]
        payroll.loc[payroll.index[4], "person_record_id"] = None
    elif case == "empty":
        payroll = payroll.iloc[:0]
    data.records[Layout.PAYROLL] = payroll
    people = resolve_people(data.records[Layout.PEOPLE])
    companies = resolve_companies_exact(data.records[Layout.COMPANIES])
    got = _first_payers(data, people, companies)
    want = _payers(data, people, companies).drop_duplicates("company")
    assert got["company"].tolist() == want["company"].tolist()
    assert got["payer"].tolist() == want["payer"].tolist()
    assert (len(got) > 1) == (case != "empty")
    if case == "blank and non-ASCII":
        assert "株式会社 Example" in got["payer"].tolist()
    assert build.payer_entity_id is payer_entity_id
    assert payer_company(data, companies)("Nowhere Trading LLC") == \
        payer_entity_id("Nowhere Trading LLC") != "company:name:Nowhere Trading LLC"


def _reference_households(people) -> list[tuple]:
    """``households_table`` by a plain loop: each household pair's entities through a
    dict of record ids, kept once per entity pair (``start`` < ``end``) with the evidence
    of its first record pair, pairs within one entity or without evidence left out."""
    entity = dict(zip(people.entities["record_id"], people.entities["entity_id"]))
    first: dict[tuple, str] = {}
    pairs = people.pairs
    for left, right, decision, evidence in zip(pairs["record_id_l"], pairs["record_id_r"],
                                               pairs["decision"], pairs["evidence"]):
        a, b = entity.get(left), entity.get(right)
        if decision != "household" or a is None or b is None or a == b or pd.isna(evidence):
            continue
        first.setdefault((min(a, b), max(a, b)), evidence)
    return [(a, b, evidence) for (a, b), evidence in sorted(first.items())]


def _household_rows(table: pd.DataFrame) -> list[tuple]:
    return list(table[["start", "end", "evidence"]].itertuples(index=False, name=None))


def test_households_equal_a_plain_loop(demo_data) -> None:
    """Household pairs' entities: the ``reindex`` reference's table, on the demo's
    resolution and on non-ASCII ids; repeated record ids are refused."""
    from graphkit.graph.households import households_table
    from graphkit.pipeline import resolve_people
    from graphkit.resolve import Resolution

    people = resolve_people(demo_data.records[Layout.PEOPLE])
    got = households_table(people)
    assert len(got) > 0
    assert _household_rows(got) == _reference_households(people)
    entities = pd.DataFrame({"record_id": pd.Series(["ü1", "b2", "c3", "d4"], dtype=STR),
                             "entity_id": ["person:ö", "person:b", "person:ö", "person:a"]})
    pairs = pd.DataFrame({"record_id_l": ["ü1", "b2", "c3", "d4", "zz9"],
                          "record_id_r": ["b2", "ü1", "ü1", "b2", "b2"],
                          "decision": ["household", "household", "household", "merge",
                                       "household"],  # zz9: a record no entity holds
                          "evidence": ["same address", "again", "one entity", "x", "y"]})
    small = Resolution(entities, pairs)
    assert _household_rows(households_table(small)) == _reference_households(small)
    assert households_table(small)["start"].tolist() == ["person:b"]
    repeated = Resolution(pd.concat([entities, entities.iloc[:1]], ignore_index=True), pairs)
    with pytest.raises(ValueError):
        households_table(repeated)
    no_entities = Resolution(entities.iloc[:0], pairs)  # no record any entity holds
    assert _household_rows(households_table(no_entities)) == [] == \
        _reference_households(no_entities)


def test_record_fields_lose_empty_text_chunk_by_chunk() -> None:
    """A field held in several Arrow chunks (one of them a slice) keeps its chunks; ''
    and missing become null, every other value stays, non-ASCII too."""
    from graphkit.graph.columns import _arrow_strings

    values = ["Jürgen", "", None, "a b", "", "Ü", None, "x"]
    whole = pa.array(values, pa.string())
    chunked = pa.chunked_array([whole.slice(0, 3), whole.slice(3, 4), whole.slice(7)])
    want = [v or None for v in values]
    for series in (pd.Series(pd.arrays.ArrowExtensionArray(chunked)),
                   pd.Series(pd.array(chunked, dtype=STR))):
        got = _arrow_strings(series)
        assert got.to_pylist() == want
        assert isinstance(got, pa.ChunkedArray) and got.num_chunks == 3
    assert _arrow_strings(pd.Series(pd.array(whole.slice(1, 4), dtype=STR))).to_pylist() == \
        want[1:5]


def test_periods_are_the_first_and_last_months() -> None:
    from graphkit.graph.columns import _periods

    months = np.array(["2025-12", "2026-01", "2026-ü"], dtype=object)
    first = np.array([0.0, np.nan, 1.0, 0.0, 2.0])
    last = np.array([1.0, np.nan, 1.0, 1.0, 2.0])
    got = _periods(first, last, months)
    assert list(got) == ["2025-12..2026-01", "", "2026-01..2026-01", "2025-12..2026-01",
                         "2026-ü..2026-ü"]
    assert len(got.categories) == 4


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


def _plain_grouped_rows(keys: np.ndarray, members: np.ndarray) -> tuple[list[int], list[int]]:
    """Rows by key (stable), a member repeated within a key dropped, key numbers: the
    dictionary walk ``_grouped_rows`` replaces."""
    seen: dict[int, list[int]] = {}
    members_of: dict[int, set[int]] = {}
    for row, (key, member) in enumerate(zip(keys.tolist(), members.tolist())):
        if member not in members_of.setdefault(key, set()):
            members_of[key].add(member)
            seen.setdefault(key, []).append(row)
    return ([row for key in sorted(seen) for row in seen[key]],
            [i for i, key in enumerate(sorted(seen)) for _ in seen[key]])


@pytest.mark.parametrize("seed", range(4))
def test_grouped_rows_of_records_in_file_order(seed: int) -> None:
    """Keys in runs of records in file order (each key's members increasing, the usual
    case: neighbours compared), a record listed twice under one key (one column and
    another of one record), and keys whose members go back (a sort of those alone)."""
    rng = np.random.default_rng(seed)
    n = [1, 2, 500, 5000][seed]
    members = np.sort(rng.integers(0, 300, n))  # one file's rows: records in order
    keys = rng.integers(0, 30, n) * 7 + 3
    again = rng.random(n) < 0.2  # the same record under the same key again
    members = np.where(again, np.r_[members[:1], members[:-1]], members)
    keys = np.where(again, np.r_[keys[:1], keys[:-1]], keys)
    if seed == 3:  # a second file after the first: members start over for some keys
        members = np.r_[members, np.sort(rng.integers(0, 300, 800))]
        keys = np.r_[keys, rng.integers(0, 30, 800) * 7 + 3]
    rows, group = _grouped_rows(keys, members, 300)
    want_rows, want_group = _plain_grouped_rows(keys, members)
    assert rows.tolist() == want_rows
    assert group.tolist() == want_group


def test_repeated_in_sorted_groups_equal_repeated() -> None:
    rng = np.random.default_rng(3)
    group = np.sort(rng.integers(0, 50, 3000))
    for members in (rng.integers(0, 9, 3000),  # out of order in most groups
                    np.zeros(3000, dtype=np.int64),  # one member repeated everywhere
                    np.arange(3000)):  # no repeat
        pairs = group * 10 + members
        assert _repeated_in_sorted_groups(pairs, group).tolist() == repeated(pairs).tolist()
    empty = np.zeros(0, dtype=np.int64)
    assert _repeated_in_sorted_groups(empty, empty).tolist() == []
    one = np.array([5])
    assert _repeated_in_sorted_groups(one, one).tolist() == [False]


def test_chunk_rows_equal_take() -> None:
    """Rows taken chunk by chunk: empty and sliced chunks, non-ASCII, nulls, no rows,
    every row, rows of one chunk only; increasing, in chunk order only, in no order."""
    values = ["a", "é😀", "", None, "zz", "pre:x", "pre:y", "ü"]
    base = pa.array(values, pa.large_string())
    chunked = pa.chunked_array([base.slice(0, 3), base.slice(3, 0), base.slice(3, 4),
                                base.slice(7)])
    for rows in ([], [0], [7], [0, 2, 3, 6, 7], list(range(8)), [4, 5, 6],
                 [2, 0, 0, 6, 3], [7, 0, 3, 3]):
        rows = np.array(rows, dtype=np.int64)
        want = base.take(pa.array(rows, pa.int64()))
        assert take_chunked(chunked, rows).equals(want)
        assert take_chunked(pa.chunked_array([base]), rows).equals(want)
        # int32 positions as they are; each part narrowed to plain strings as gathered
        assert take_chunked(chunked, rows.astype(np.int32)).equals(want)
        assert take_chunked(chunked, rows, pa.string()).equals(want.cast(pa.string()))
        assert take_chunked(pa.chunked_array([base]), rows, pa.string()).equals(
            want.cast(pa.string()))


def test_arrow_text_equals_the_values_as_arrow_strings() -> None:
    """One chunk (kept, not copied), several chunks (joined), object and empty columns."""
    values = ["P1", None, "Pé", "", "P😀"]
    arrow = pd.Series(pd.arrays.ArrowExtensionArray(pa.chunked_array(
        [pa.array(values[:2], pa.large_string()), pa.array(values[2:], pa.large_string())])))
    for series in (pd.Series(values, dtype=STR), pd.Series(values, dtype=object), arrow,
                   pd.Series([], dtype=STR)):
        got = arrow_text(series)
        assert got.type == pa.string()
        assert got.equals(pa.array(series.tolist(), pa.string(), from_pandas=True))


@pytest.mark.parametrize("n_cuts", [0, 1, 5, 16, 17, 100])
def test_part_numbers_equal_searchsorted(n_cuts: int) -> None:
    """Words on a cut, between cuts, below the first and above the last, the largest
    word; few cuts (a pass per cut) and many (the search)."""
    rng = np.random.default_rng(n_cuts)
    words = rng.integers(0, 1 << 63, 4000, dtype=np.int64).astype(np.uint64) * np.uint64(2)
    cuts = np.unique(rng.choice(words, n_cuts, replace=False)) if n_cuts else \
        np.zeros(0, np.uint64)
    words = np.r_[words, cuts, np.uint64(0), np.uint64(0xFFFFFFFFFFFFFFFF)]
    got = _part_numbers(words, cuts)
    assert got.tolist() == np.searchsorted(cuts, words, side="right").tolist()
    assert got.dtype == np.int16



@pytest.mark.parametrize("kind", ["distinct", "ties", "empty", "one"])
def test_sorted_part_equals_hashed_part(kind: str) -> None:
    """A part's ranks, first sightings and distinct values by one sort equal those by
    hashing: common prefixes, '' and NUL, non-ASCII, repeats, large_string input."""
    rng = np.random.default_rng(len(kind))
    n = {"distinct": 3000, "ties": 3000, "empty": 0, "one": 1}[kind]
    alphabet = list("ab\x00é😀z") if kind == "ties" else list("0123456789abcdefé")
    size = 3 if kind == "ties" else 12
    values = ["+1-555-" + "".join(rng.choice(alphabet, rng.integers(0, size)))
              for _ in range(n)]
    for array in (pa.array(values, pa.string()), pa.array(values, pa.large_string())):
        got, want = _sorted_part(array), _hashed_part(array)
        assert got[0].tolist() == want[0].tolist()
        assert got[1].tolist() == want[1].tolist()
        assert got[2].type == pa.string() and got[2].equals(want[2])
    plain = sorted(set(values), key=str.encode)
    assert got[2].to_pylist() == plain
    assert [plain[r] for r in got[0].tolist()] == values


@pytest.mark.parametrize("part_rows", [50, 400])
def test_identifier_keys_of_mostly_distinct_values_in_parts(part_rows: int) -> None:
    """Labels of mostly distinct values in many parts (later parts sorted alone, not
    hashed) and one of many repeats (hashed), in runs and chunks."""
    rng = np.random.default_rng(part_rows)
    labels = np.array(["Email", "Phone", "BankAccount"], dtype=object)
    codes = np.repeat(np.arange(3), [2500, 1500, 2000])
    values = [f"user{v}@mail.é" for v in rng.permutation(2500)] + \
        [f"+1{v:09d}" for v in rng.integers(0, 10 ** 9, 1500)] + \
        [f"acct:{v}" for v in rng.integers(0, 300, 2000)]
    values[100] = values[2000]  # a repeat among mostly distinct values
    column = pa.chunked_array([pa.array(values[:3000]), pa.array(values[3000:])])
    _check_keys(identifier_keys(codes, labels, column, part_rows), codes, labels, values)


@pytest.mark.parametrize("n_names", [1, 5, 40])
def test_rows_by_label_equal_the_stable_sort(n_names: int) -> None:
    """Rows grouped by label in the labels' text order, each label's rows in order, and
    the bounds of every label (absent and repeated ones too): few labels by a pass each,
    many by the sort."""
    rng = np.random.default_rng(n_names)
    names = [f"L{v}é" for v in rng.integers(0, max(1, n_names - 2), n_names)]
    for n in (0, 1, 5000):
        codes = rng.integers(0, n_names, n).astype(np.int8)
        by_label, bounds = _rows_by_label(names, codes)
        distinct = sorted(set(names))
        rank = np.array([distinct.index(name) for name in names])[codes]
        want = np.argsort(rank, kind="stable")
        assert by_label.tolist() == want.tolist()
        if len(distinct) <= 16:  # positions written as int32: half the bytes
            assert by_label.dtype == np.int32
        assert bounds.tolist() == np.searchsorted(rank[want], np.arange(len(distinct) + 1)
                                                  ).tolist()


def test_rows_by_layout_equal_the_group_by() -> None:
    """Each layout's rows in the group-by's order: categories in their order, absent
    ones left out; a plain text column by the group-by itself; no rows."""
    from graphkit.ingest.identifiers import LAYOUT_DTYPE
    rng = np.random.default_rng(4)
    names = [layout.value for layout in Layout]
    for values in (list(rng.choice(names[1:], 500)), ["people"], []):
        column = pd.Series(pd.Categorical(values, dtype=LAYOUT_DTYPE))
        for series in (column, column.astype(object)):
            want = pd.DataFrame({"layout": series}).groupby(
                "layout", sort=True, observed=True).indices
            got = _rows_by_layout(series)
            assert [name for name, _ in got] == list(want)
            assert all(rows.tolist() == want[name].tolist() for name, rows in got)


# --- fewer fresh big temporaries (issue 15): buffers reused, small index types -----------

def _plain_identifier_owners(identifiers: pd.DataFrame, owners: pd.DataFrame
                             ) -> tuple[list[int], list[int]]:
    """Per identifier row, its owner's entity and its record's row among ``owners``
    (-1: not found), by a dictionary of every owner."""
    place: dict[tuple[str, str], tuple[int, int]] = {}
    layouts = owners["layout"].astype(str).tolist()
    for i, layout in enumerate(layouts):
        place.setdefault((layout, owners["record_id"].iloc[i]),
                         (int(owners["entity"].iloc[i]), i))
    found = [place.get((str(layout), rid), (-1, -1)) if isinstance(rid, str) else (-1, -1)
             for layout, rid in zip(identifiers["layout"], identifiers["record_id"])]
    return [f[0] for f in found], [f[1] for f in found]


def _demo_owners(demo_data, seed: int) -> pd.DataFrame:
    """An owners frame in ``record_owners``' format over the demo's records: people
    first, then companies and the linked layouts; every third record left out, entity
    rows drawn at random."""
    rng = np.random.default_rng(seed)
    parts = []
    for layout in (Layout.PEOPLE, Layout.COMPANIES, Layout.PAYROLL, Layout.SHIPMENTS,
                   Layout.LOGINS):
        ids = demo_data.records[layout]["record_id"]
        kept = np.flatnonzero(np.arange(len(ids)) % 3 != 1)
        parts.append(pd.DataFrame({
            "layout": pd.Categorical([layout.value] * len(kept), dtype=LAYOUT_DTYPE),
            "record_id": pd.Series(ids.to_numpy(dtype=object)[kept], dtype=STR),
            "entity": rng.integers(0, 5000, len(kept)),
            "entity_label": Label.COMPANY.value if layout is Layout.COMPANIES
            else Label.PERSON.value,
            "row": kept if layout not in (Layout.PEOPLE, Layout.COMPANIES) else -1}))
    return pd.concat(parts, ignore_index=True)


@pytest.mark.parametrize("order", ["as ingested", "shuffled", "one layout", "none"])
def test_identifier_owners_equal_the_dictionary_lookup(demo_data, order: str) -> None:
    """Identifier rows placed among their layout's owners: a layout's rows in one run (as
    ingest lays them out: mapped into slices of the output through a table) or scattered
    (the positions written row by row), records not owned, no rows at all."""
    identifiers = demo_data.identifiers
    if order == "shuffled":
        identifiers = identifiers.iloc[
            np.random.default_rng(5).permutation(len(identifiers))].reset_index(drop=True)
    elif order == "one layout":
        identifiers = identifiers[identifiers["layout"] == Layout.PAYROLL.value]
    elif order == "none":
        identifiers = identifiers.iloc[:0]
    owners = _demo_owners(demo_data, len(order))
    # the record ids chunk by chunk, as identifier_parts passes them
    record_ids = arrow_chunks(identifiers["record_id"]).cast(pa.string())
    owner, record = _identifier_owners(identifiers, owners, record_ids,
                                       arrow_text(owners["record_id"]))
    want_owner, want_record = _plain_identifier_owners(identifiers, owners)
    assert owner.dtype == record.dtype == np.int32
    assert owner.tolist() == want_owner
    assert record.tolist() == want_record
    if order == "as ingested":
        assert -1 in want_owner and len(set(want_owner)) > 100


@pytest.mark.parametrize("every_row_owned", [False, True])
def test_identifier_relationships_equal_the_plain_group_by(every_row_owned: bool) -> None:
    """One relationship per (entity, identifier, type), its records each once in order of
    appearance; the type by kind and owner label (a company's address is REGISTERED_AT,
    a person's LIVES_AT); rows with no owner left out (or none to leave out: no
    positions made)."""
    rng = np.random.default_rng(11)
    n = 3000
    kinds = pd.Index([IdKind.ADDRESS.value, IdKind.EMAIL.value, IdKind.SHIP_ADDRESS.value])
    kind_code = rng.integers(0, 3, n).astype(np.int8)
    owner = rng.integers(0 if every_row_owned else -1, 40, n).astype(np.int32)
    assert (owner.min() >= 0) == every_row_owned
    record = rng.integers(0, 200, n).astype(np.int32)
    ident = rng.integers(0, 30, n).astype(np.int32)
    company = np.zeros(41, dtype=bool)
    company[rng.integers(0, 40, 10)] = True
    record_ids = pa.array([f"r{i}é" for i in range(200)], pa.string())  # by record
    got = _identifier_relationships(owner, record, 200, ident, 30, kind_code, kinds,
                                    company, record_ids)

    def rel(row: int) -> str:
        label = Label.COMPANY if company[owner[row]] else Label.PERSON
        return id_relationship(IdKind(kinds[kind_code[row]]), label).value

    # types numbered as the kinds list them, a person's type before a company's
    names = list(dict.fromkeys(id_relationship(IdKind(k), label).value
                               for k in kinds for label in (Label.PERSON, Label.COMPANY)))
    groups: dict[tuple[int, int, int], list[str]] = {}
    for i in range(n):
        if owner[i] >= 0:
            key = (int(owner[i]), int(ident[i]), names.index(rel(i)))
            listed = groups.setdefault(key, [])
            if f"r{record[i]}é" not in listed:
                listed.append(f"r{record[i]}é")
    assert len(names) == 4  # LIVES_AT, REGISTERED_AT, HAS_EMAIL, SHIPS_TO
    assert list(zip(got["start"].tolist(), got["end"].tolist())) == \
        [(start, end) for start, end, _ in sorted(groups)]
    types = pa.array(got["type"].array).cast(pa.string()).to_pylist()
    assert types == [names[code] for _, _, code in sorted(groups)]
    assert pa.array(got["records"].array).to_pylist() == [groups[k] for k in sorted(groups)]


@pytest.mark.parametrize("chunk_rows", [[5], [3, 0, 4, 2], [1] * 9])
def test_joined_keys_hold_the_node_keys_as_slices_of_one_array(chunk_rows: list[int]) -> None:
    """The node table's keys become slices of the one joined array, chunk for chunk (the
    same values, the same chunk lengths, no copy of their text); a key column of one
    chunk is that chunk."""
    keys = [f"K:ü{i:03d}" for i in range(sum(chunk_rows))]
    at = np.cumsum([0, *chunk_rows])
    chunked = pa.chunked_array([pa.array(keys[a:b], pa.string())
                                for a, b in itertools.pairwise(at)], pa.string())
    nodes = pa.table({"node_id": pa.array(np.arange(len(keys))), "key": chunked,
                      "label": pa.array(["K"] * len(keys))})
    table, end_keys = _joined_keys(nodes)
    joined = end_keys.keys
    assert joined.to_pylist() == keys and end_keys.spans is None
    column = table.column("key")
    assert [len(c) for c in column.chunks] == [len(c) for c in chunked.chunks]
    assert column.to_pylist() == keys and table.column_names == nodes.column_names
    if len(chunk_rows) > 1:
        assert {c.buffers()[2].address for c in column.chunks} == \
            {joined.buffers()[2].address}
    else:
        assert joined.buffers()[2].address == chunked.chunk(0).buffers()[2].address
    start_id = np.sort(np.random.default_rng(2).integers(0, len(keys), 20))
    end_id = np.random.default_rng(3).integers(0, len(keys), 20)
    start, end = _key_columns(column, start_id, end_id, end_keys)
    assert start.to_pylist() == [keys[i] for i in start_id.tolist()]
    assert end.to_pylist() == [keys[i] for i in end_id.tolist()]


@pytest.mark.parametrize("spans", [[(0, 3)], [(4, 9), (0, 3)], [(3, 5), (5, 7)], [(9, 14)],
                                   [(0, 0), (2, 14)], [(0, 14)], []])
def test_joined_keys_of_the_end_spans_alone(spans: list[tuple[int, int]]) -> None:
    """Only the keys of the node id ranges relationships end at are joined (the rest of
    the node table's chunks kept as they are); end keys gathered by node ids through
    them equal the plain gather; every node, or no range, joins every key."""
    chunk_rows = [3, 1, 0, 5, 2, 3]
    keys = [f"K:ü{i:03d}" for i in range(sum(chunk_rows))]
    at = np.cumsum([0, *chunk_rows])
    chunked = pa.chunked_array([pa.array(keys[a:b], pa.string())
                                for a, b in itertools.pairwise(at)], pa.string())
    nodes = pa.table({"node_id": pa.array(np.arange(len(keys))), "key": chunked})
    table, end_keys = _joined_keys(nodes, spans)
    column = table.column("key")
    assert column.to_pylist() == keys
    assert [len(c) for c in column.chunks] == chunk_rows
    inside = sorted({i for lo, hi in spans for i in range(lo, hi)})
    if end_keys.spans is None:
        assert end_keys.keys.to_pylist() == keys
        inside = list(range(len(keys)))
    else:
        assert end_keys.keys.to_pylist() == [keys[i] for i in inside]
    end_id = np.random.default_rng(4).choice(np.array(inside, dtype=np.int64), 30)
    start_id = np.sort(np.random.default_rng(5).integers(0, len(keys), 30))
    start, end = _key_columns(column, start_id, end_id, end_keys)
    assert end.to_pylist() == [keys[i] for i in end_id.tolist()]
    assert start.to_pylist() == [keys[i] for i in start_id.tolist()]


@pytest.mark.parametrize("n_chunks", [2, 16, 17, 40, (1 << 15) + 3])
def test_take_by_chunk_of_many_chunks_equals_take(n_chunks: int) -> None:
    """Rows in no chunk order gathered chunk by chunk (chunk numbers in a small type up
    to 2**15 chunks, a wider one past it): repeats, nulls, empty chunks, both string
    types."""
    rng = np.random.default_rng(n_chunks)
    sizes = rng.integers(0, 4, n_chunks)
    sizes[0] = 1
    values = [None if i % 7 == 3 else f"v{i}ß" for i in range(int(sizes.sum()))]
    for typ in (pa.string(), pa.large_string()):
        base = pa.array(values, typ)
        at = np.cumsum([0, *sizes.tolist()])
        chunked = pa.chunked_array([base.slice(a, b - a) for a, b in itertools.pairwise(at)],
                                   typ)
        rows = rng.integers(0, len(base), 3 * len(base))
        assert take_chunked(chunked, rows).equals(base.take(pa.array(rows)))
        assert take_chunked(chunked, rows.astype(np.int32), pa.string()).equals(
            base.take(pa.array(rows)).cast(pa.string()))


def test_grouped_rows_numbers_groups_in_int32_and_keeps_its_inputs() -> None:
    """Group numbers as int32 (half the bytes of a row each); the keys and members given
    are left as they were (the pairs are built in a buffer of the function's own)."""
    rng = np.random.default_rng(4)
    keys = rng.integers(0, 50, 5000) * 1000 + 7
    members = rng.integers(0, 9, 5000).astype(np.int32)
    before = keys.copy(), members.copy()
    rows, group = _grouped_rows(keys, members, 9)
    assert group.dtype == np.int32
    assert np.array_equal(keys, before[0]) and np.array_equal(members, before[1])
    want_rows, want_group = _plain_grouped_rows(keys, members)
    assert rows.tolist() == want_rows and group.tolist() == want_group


@pytest.mark.parametrize("case", ["demo", "every category", "absent categories", "plain text",
                                  "empty"])
def test_kind_codes_name_each_row_kind(demo_data, case: str) -> None:
    """Kinds as small codes: a categorical's own codes (every category present), remapped
    when some are absent (only kinds present are named), a plain text column factorized;
    each row's code names its kind."""
    kinds = demo_data.identifiers["kind"]
    if case == "every category":
        kinds = kinds.cat.remove_unused_categories()
    elif case == "absent categories":
        kinds = kinds[kinds != IdKind.EMAIL.value]
        assert IdKind.EMAIL.value in kinds.cat.categories
    elif case == "plain text":
        kinds = kinds.astype(object)
    elif case == "empty":
        kinds = kinds.iloc[:0]
    codes, names = _kind_codes(kinds)
    assert codes.dtype == np.int8
    assert np.asarray(names, dtype=object)[codes].tolist() == kinds.astype(str).tolist()
    assert sorted(names) == sorted(set(kinds.astype(str)))
    if case == "every category":
        assert np.shares_memory(codes, kinds.array.codes)  # no copy made


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gather_lets_each_index_go_after_its_last_column(seed: int) -> None:
    """Columns taken with the uses announced (``will_take``) give what they give without,
    and each set of members' index is let go once its last column is taken."""
    starts, types, ends = _tricky_parts(seed)
    sizes = [len(s) for s in starts]
    group = max((g for g in _groups(starts, types, ends, 40, 3) if g.order is not None),
                key=lambda g: len(g.members))
    members = len(group.members)
    # per column, the members that have it: all, the first only, all again, none
    haves = [tuple(range(members)), (0,), tuple(range(members)), ()]
    columns = [[pa.chunked_array([pa.array([f"c{c}p{i}r{r}" for r in range(sizes[i])])])
                if k in have else None for k, i in enumerate(group.members)]
               for c, have in enumerate(haves)]
    plain, announced = _Gather(group, sizes), _Gather(group, sizes)
    announced.will_take(haves)
    for c, column in enumerate(columns):
        want = plain.take(column, pa.string())
        assert announced.take(column, pa.string()).equals(want)
        later = {have for have in haves[c + 1:] if have}
        assert set(announced._index) <= later  # none held past its last column
    assert announced._index == {} and len(plain._index) == len({h for h in haves if h})


@pytest.mark.parametrize("skip", [0, 2, 9])
def test_leading_word_written_into_a_slice_of_a_buffer(skip: int) -> None:
    """Words written into their place in a larger buffer (as ``_ordered_parts`` lays each
    chunk's words out) are the words returned alone; the rest of the buffer untouched;
    values past the buffer's end, shorter than ``skip``, empty."""
    rng = np.random.default_rng(skip + 7)
    values = ["".join(rng.choice(list("xy\x00ñ😀"), rng.integers(0, 14))) for _ in range(300)]
    values += ["", "q", "0123456789abcdef"]  # the last values end the data buffer
    for chunk in (pa.array(values, pa.large_string()), pa.array(values, pa.string()),
                  pa.array(["pad", *values], pa.string()).slice(1)):
        buffer = np.full(len(chunk) + 5, 77, dtype=np.uint64)
        got = _leading_word(chunk, skip, out=buffer[2:2 + len(chunk)])
        want = [int.from_bytes((v.encode()[skip:skip + 8] + bytes(8))[:8], "big")
                for v in chunk.to_pylist()]
        assert got.tolist() == want == buffer[2:2 + len(chunk)].tolist()
        assert buffer[:2].tolist() == [77, 77] and buffer[-3:].tolist() == [77] * 3



def test_record_owners_equal_the_dictionary_lookup(demo_data, demo_build) -> None:
    """Each record's entity row among the entity nodes, by a dictionary of every record
    (a linked record of no known person left out); labels a byte per row, compared as
    text."""
    people, companies = demo_build.people, demo_build.companies
    demo_data = copy.copy(demo_data)  # some payroll rows of nobody known, some missing
    demo_data.records = dict(demo_data.records)
    payroll = demo_data.records[Layout.PAYROLL].copy()
    person = payroll["person_record_id"].to_numpy(dtype=object, copy=True)
    person[::7], person[3::11] = "nobody", None
    payroll["person_record_id"] = pd.Series(person, index=payroll.index, dtype=STR)
    demo_data.records[Layout.PAYROLL] = payroll
    frames, _ = entity_nodes(demo_data, people, companies)
    keys = pd.concat([f for f in frames if len(f)], ignore_index=True)["key"]
    entity_keys = arrow_text(keys)
    owners = record_owners(demo_data, people, companies, entity_keys)
    row_of = {}
    for row, key in enumerate(keys.tolist()):
        row_of.setdefault(key, row)
    person_of = dict(zip(people.entities["record_id"], people.entities["entity_id"]))
    want = [(Layout.PEOPLE.value, r, row_of.get(e, -1), "Person", -1)
            for r, e in zip(people.entities["record_id"], people.entities["entity_id"])]
    want += [(Layout.COMPANIES.value, r, row_of.get(e, -1), "Company", -1)
             for r, e in zip(companies.entities["record_id"], companies.entities["entity_id"])]
    for layout in (Layout.PAYROLL, Layout.SHIPMENTS, Layout.LOGINS):
        frame = demo_data.records[layout]
        for i, (r, p) in enumerate(zip(frame["record_id"], frame["person_record_id"])):
            entity = row_of.get(person_of.get(p), -1) if isinstance(p, str) else -1
            if entity >= 0:
                want.append((layout.value, r, entity, "Person", i))
    got = list(zip(owners["layout"].astype(str), owners["record_id"], owners["entity"],
                   owners["entity_label"].astype(str), owners["row"]))
    assert got == want
    assert len(want) > len(people.entities) + 1000
    assert owners["entity_label"].memory_usage(deep=True) < 2 * len(owners) + 1000


@pytest.mark.parametrize("sliced", [False, True])
def test_sparse_spread_equals_the_gather_with_nulls(sliced: bool) -> None:
    """A few rows' values laid into a column null elsewhere (numbers, text, lists, nulls
    among the values, values sliced from a longer array): the column a gather by an
    index of a row each, null on the other rows, gives."""
    rng = np.random.default_rng(3)
    n, m = 500, 60
    at = np.sort(rng.choice(n, m, replace=False))
    present = np.zeros(n, dtype=bool)
    present[at] = True
    index = np.zeros(n, dtype=np.int32)
    index[at] = np.arange(m)
    cut = 7 if sliced else 0
    cases = [(pa.float64(), pa.array([None if i % 7 == 0 else i / 4 for i in range(m + cut)])),
             (pa.int64(), pa.array(list(range(m + cut)), pa.int64())),
             (pa.string(), pa.array([None if i % 5 == 0 else "ä" * (i % 4)
                                     for i in range(m + cut)])),
             (pa.list_(pa.string()), pa.array([[f"r{i}", "x"] if i % 3 else None
                                               for i in range(m + cut)],
                                              pa.list_(pa.string()))),
             (pa.string(), pa.array([""] * (m + cut)))]
    sparse = _Sparse(at, pa.array(present), pa.array(np.arange(m, dtype=np.int32)))
    for typ, values in cases:
        values = values.slice(cut, m)
        got = sparse.spread(values, typ)
        got.validate(full=True)
        assert got.type == typ
        assert got.equals(values.take(pa.array(index, mask=~present)))


# --- round 12: integer sorts of leading bytes, gathers by runs of chunks ------------------

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_string_order_equals_arrow_sort(seed: int) -> None:
    """Rows sorted by their leading 8 bytes as integers, ties by Arrow's sort: the same
    order as ``pc.sort_indices`` (stable among repeats), whatever the common prefix,
    values tied on 8 bytes, shorter values, NUL bytes, non-ASCII text, slices."""
    rng = np.random.default_rng(seed)
    stems = ["", "a", "ab", "abcdefgh", "abcdefghi", "abcdefgh\x00", "ü", "üü", "x" * 20]
    values = [f"pre:{rng.choice(stems)}{rng.integers(0, 50)}{rng.choice(stems)}"
              for _ in range(3000)]
    array = pa.array(values, pa.string())
    for case in (array, array.slice(7, 2000), pa.array(["same"] * 5), pa.array(["b", "a"])):
        assert string_order(case).tolist() == pc.sort_indices(case).to_numpy().tolist()
    assert len(string_order(pa.array([], pa.string()))) == 0


def test_take_chunked_by_runs_of_chunks() -> None:
    """Rows that move from chunk to chunk a few times (not in chunk order) are gathered
    run by run; many moves, chunk by chunk; the same values either way."""
    base = pa.array([f"v{i}é" for i in range(300)], pa.large_string())
    chunked = pa.chunked_array([base.slice(0, 100), base.slice(100, 120), base.slice(220, 80)])
    rng = np.random.default_rng(3)
    runs = np.concatenate([rng.permutation(np.arange(220, 300))[:40],
                           rng.permutation(100)[:30], rng.permutation(np.arange(100, 220))[:50],
                           rng.permutation(100)[:10]])
    scattered = rng.integers(0, 300, 2000)  # hundreds of moves: chunk by chunk
    starts = np.array([0, 100, 220])
    assert len(_chunk_runs(_chunk_numbers(runs, starts))) == 4
    assert _chunk_runs(_chunk_numbers(scattered, starts)) is None
    assert _chunk_runs(np.zeros(0, dtype=np.int16)) == []
    for rows in (runs, runs.astype(np.int32), scattered):
        want = base.take(pa.array(rows))
        assert take_chunked(chunked, rows).equals(want)
        assert take_chunked(chunked, rows, pa.string()).equals(want.cast(pa.string()))


def test_layout_rows_as_a_range_when_one_run() -> None:
    """A layout's rows: a range when they run on (no positions made), else positions;
    the codes of a categorical are its own."""
    codes = np.array([0, 0, 2, 2, 2, 1, 0], dtype=np.int8)
    assert _code_rows(codes, 2) == range(2, 5)
    assert _code_rows(codes, 1) == range(5, 6)
    assert _code_rows(codes, 3) == range(0, 0)
    assert _code_rows(codes, 0).tolist() == [0, 1, 6]
    column = pd.Series(pd.Categorical(["payroll", "people", None], dtype=LAYOUT_DTYPE))
    got, names = _layout_codes(column)
    assert [names[c] if c >= 0 else None for c in got] == ["payroll", "people", None]
    got, names = _layout_codes(column.astype(object))
    assert [names[c] if c >= 0 else None for c in got] == ["payroll", "people", None]
