"""The clusters and rings stages' fast paths give the answers of the plain computations
they replace: the sharing table's integer rows with text gathered on demand equal the
text-carrying table (built here the old way, by taking every column of the relationship
table), node properties gathered for some nodes equal the whole converted column
reindexed, sharer counts and type codes equal pandas' group-bys, and the grouping of
linked entities equals one array per component."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from scipy.sparse import coo_matrix

from graphkit.graph import GraphTables
from graphkit.pipeline import BuildResult
from graphkit.rings.communities import communities
from graphkit.rings.sharing import (
    ROW_COLUMNS,
    SHARING_COLUMNS,
    _arrow,
    _distinct_sharers,
    _first_seen_small,
    node_column,
    node_values,
    sharing_table,
)


def _fresh(build: BuildResult) -> GraphTables:
    """The build's tables without the caches earlier tests left on them."""
    return GraphTables(build.tables.nodes, build.tables.relationships)


def _reference_table(tables: GraphTables, rows: pd.DataFrame) -> dict[str, list]:
    """The text columns as the sharing table used to hold them: the relationship table's
    ``start``/``end`` key text and record lists, the end node's value (else its key)."""
    rels = tables.relationships
    take = pa.array(rows["rel"].to_numpy(np.int64))
    ident = _arrow(rels["end"]).take(take).cast(pa.string())
    value = _arrow(tables.nodes["value"]).take(
        pa.array(rows["ident_id"].to_numpy(np.int64))).cast(pa.string())
    return {"entity": _arrow(rels["start"]).take(take).to_pylist(),
            "ident": ident.to_pylist(),
            "value": pc.coalesce(value, ident).to_pylist(),
            "records": _arrow(rels["records"]).take(take).to_pylist()}


def test_sharing_rows_hold_integers_and_text_comes_from_the_tables(demo_build) -> None:
    tables = _fresh(demo_build)
    sharing = sharing_table(tables)
    assert tuple(sharing.rows.columns) == ROW_COLUMNS
    assert all(not pd.api.types.is_string_dtype(sharing.rows[c].dtype) or
               isinstance(sharing.rows[c].dtype, pd.CategoricalDtype)
               for c in sharing.rows.columns)
    table = sharing.table
    assert tuple(table.columns) == SHARING_COLUMNS and len(table) == len(sharing.rows) > 1000
    expected = _reference_table(tables, sharing.rows)
    for column, values in expected.items():
        got = table[column].tolist()
        assert [list(v) for v in got] == values if column == "records" else got == values
    # a subset in another order gets the same text row by row
    picked = sharing.rows.sample(frac=0.3, random_state=5)
    part = sharing.with_text(picked, ("ident", "value"))
    assert part.index.equals(picked.index)
    assert part["ident"].tolist() == table.loc[picked.index, "ident"].tolist()
    assert part["value"].tolist() == table.loc[picked.index, "value"].tolist()


def test_node_values_equal_the_whole_column_reindexed(demo_build) -> None:
    tables = _fresh(demo_build)
    n = len(tables.nodes)
    ids = np.r_[np.random.default_rng(3).integers(0, n, 500), [-1, n + 7, 0]]
    for column in ("key", "name", "kind", "record_id", "dob", "vpn", "no_such_column"):
        got = node_values(tables, column, ids)
        want = node_column(tables, column).reindex(ids)
        assert got.dtype == want.dtype, column
        assert got.index.tolist() == ids.tolist()
        assert got.isna().tolist() == want.isna().tolist(), column
        assert got.fillna("~").tolist() == want.fillna("~").tolist(), column


def test_distinct_sharers_equal_a_group_by() -> None:
    rng = np.random.default_rng(11)
    for size, n_entities, n_idents in ((0, 1, 1), (1, 3, 3), (400, 60, 90), (5000, 900, 400)):
        entities = np.sort(rng.integers(0, n_entities, size))  # relationship order
        idents = rng.integers(1000, 1000 + n_idents, size)
        frame = pd.DataFrame({"e": entities, "i": idents})
        want = frame.groupby("i")["e"].transform("nunique").to_numpy()
        assert _distinct_sharers(idents, entities).tolist() == want.tolist()
        shuffled = rng.permutation(size)  # rows not in entity order: the lexsort path
        got = _distinct_sharers(idents[shuffled], entities[shuffled])
        assert got.tolist() == want[shuffled].tolist()


def test_first_seen_small_codes_are_factorize_codes() -> None:
    rng = np.random.default_rng(2)
    for codes in (np.zeros(0, np.int32), np.array([4, 4, 1, 0, 4, 2], np.int32),
                  rng.integers(3, 17, 3000).astype(np.int32)):
        new, old = _first_seen_small(codes, 20)
        want, uniques = pd.factorize(codes)
        assert new.tolist() == want.tolist() and old.tolist() == uniques.tolist()


def _reference_groups(matrix, max_ring: int) -> list[np.ndarray]:
    """Components of two or more, as the plain split of every component gives them."""
    from scipy.sparse.csgraph import connected_components
    _, label = connected_components(matrix, directed=False)
    order = np.argsort(label, kind="stable")
    cuts = np.flatnonzero(np.diff(label[order])) + 1
    return [np.sort(g) for g in np.split(order, cuts) if len(g) >= 2][::-1]


def test_communities_are_the_components_of_two_or_more() -> None:
    rng = np.random.default_rng(8)
    n = 3000
    left = rng.integers(0, n, 900)
    right = np.minimum(left + rng.integers(1, 4, 900), n - 1)
    matrix = coo_matrix((np.ones(900), (left, right)), shape=(n, n)).tocsr()
    got = communities(matrix + matrix.T, max_ring=10_000, seed=1)
    want = _reference_groups(matrix + matrix.T, 10_000)
    assert len(got) == len(want) > 100
    assert all(np.array_equal(a, b) for a, b in zip(got, want))


def test_ring_members_in_key_order_with_their_names(demo_build) -> None:
    context = demo_build.rings.rings[0].context
    names = context.name_of
    checked = 0
    for ring in demo_build.rings:
        assert ring.members == sorted(ring.members)
        assert ring.names == [names.get(m, m) for m in ring.members]
        checked += len(ring.members)
    assert checked > 200


def test_text_rank_orders_as_python_compares_strings() -> None:
    from graphkit.rings.assemble import _text_rank
    values = ["b", "a", "É", "e", "김철수", "Zoë", "", "a", "ab", "🙂 x", "e\u0301", "b", "\ud800"]
    for picked in (values, values[:-1], []):
        got = _text_rank(picked)
        distinct = sorted(set(picked))
        assert got.tolist() == [distinct.index(v) for v in picked]


def test_clusters_are_the_components_of_the_plain_sharing_graph(demo_build) -> None:
    import networkx as nx

    from graphkit.rings.clusters import shared_identifier_clusters
    tables = _fresh(demo_build)
    sharing = sharing_table(tables)
    table = sharing.table
    shared = table[(table["n_entities"] >= 2) & (table["n_entities"] <= 20)]
    graph = nx.Graph()
    graph.add_edges_from(zip("e:" + shared["entity"], "i:" + shared["ident"]))
    want = sorted((sorted(n[2:] for n in c if n.startswith("e:"))
                   for c in nx.connected_components(graph)), key=lambda m: (-len(m), m[0]))
    got = shared_identifier_clusters(sharing, 20).clusters
    assert [m.split(";") for m in got["members"]] == want and len(want) > 50
    records = dict(zip(got["cluster_id"], got["record_ids"]))
    assert all(r == ";".join(sorted(r.split(";"))) for r in records.values() if r)


def _chunked(values: pa.Array, cuts: list[int]) -> pd.Series:
    """``values`` as a pandas Arrow column held in chunks cut at ``cuts``."""
    bounds = [0, *cuts, len(values)]
    chunks = [values.slice(a, b - a) for a, b in pairwise(bounds)]
    return pd.Series(pd.arrays.ArrowExtensionArray(pa.chunked_array(chunks, values.type)))


def test_take_rows_gathers_chunk_by_chunk_as_one_array_would() -> None:
    from graphkit.rings.sharing import take_rows
    rng = np.random.default_rng(4)
    text = pa.array([None if i % 7 == 3 else f"key:{i:05d}" for i in range(3000)])
    lists = pa.array([[f"r{i}", f"r{i + 1}"] if i % 5 else [] for i in range(3000)])
    for values in (text, lists, text.cast(pa.large_string())):
        for cuts in ([], [1000], [0, 10, 10, 2999], list(range(250, 3000, 250))):
            column = _chunked(values, cuts)
            for rows in (np.zeros(0, np.int64), np.arange(3000), np.arange(3000)[::-1],
                         rng.integers(0, 3000, 700), np.array([2999, 0, 0, 2999])):
                got = take_rows(column, rows)
                assert isinstance(got, pa.Array) and got.type == values.type
                assert got.to_pylist() == values.take(pa.array(rows)).to_pylist()
    plain = pd.Series(["b", None, "a"], dtype=object)  # not Arrow-backed: converted
    assert take_rows(plain, np.array([2, 1, 0])).to_pylist() == ["a", None, "b"]


def _rechunked(tables: GraphTables, pieces: int) -> GraphTables:
    """``tables`` with every Arrow column of nodes and relationships cut into chunks."""
    def cut(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        step = max(len(frame) // pieces, 1)
        for column in frame.columns:
            if isinstance(frame[column].dtype, pd.ArrowDtype):
                array = pa.array(frame[column].array)
                array = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else \
                    array
                cuts = list(range(step, len(frame), step))
                out[column] = pd.Series(_chunked(array, cuts).array, index=frame.index)
        return out
    return GraphTables(cut(tables.nodes), cut(tables.relationships))


def test_gathers_from_chunked_tables_equal_the_whole_column(demo_build) -> None:
    tables = _rechunked(_fresh(demo_build), 7)
    assert pa.array(tables.nodes["key"].array).num_chunks == 7 + (
        len(tables.nodes) % 7 > 0)
    n = len(tables.nodes)
    ids = np.r_[np.random.default_rng(9).integers(0, n, 800), [-1, n + 3, n - 1]]
    for column in ("key", "name", "kind", "record_id", "dob"):
        got = node_values(tables, column, ids)
        want = node_column(_fresh(demo_build), column).reindex(ids)
        assert got.isna().tolist() == want.isna().tolist(), column
        assert got.fillna("~").tolist() == want.fillna("~").tolist(), column
    sharing = sharing_table(tables)
    expected = _reference_table(_fresh(demo_build), sharing.rows)
    table = sharing.table
    for column, values in expected.items():
        got = table[column].tolist()
        assert [list(v) for v in got] == values if column == "records" else got == values


def _reference_listed(pop) -> list[tuple]:
    """``listed_names`` as a lookup by entity id gives it (``set_index``, ``.at``)."""
    from graphkit.rings.sharing import sanction_hits
    ent = pop.entities.set_index("entity_id")
    return [(h.entity_id, "sanctioned_counterparty" if ent.at[h.entity_id, "label"] ==
             "Company" else "sanctioned_person_name",
             f"{ent.at[h.entity_id, 'name']} matches {h.hit}, score {h.score:.2f}")
            for h in sanction_hits(pop.sharing.tables).itertuples()
            if h.entity_id in ent.index]


@pytest.fixture(scope="module")
def world_build(tmp_path_factory) -> BuildResult:
    """A small generated world with every detector's findings (document reuse and a
    sanctioned payer among them, which the demo of 600 people lacks)."""
    from graphkit.ingest.project import native_project
    from graphkit.pipeline import run_build
    from graphkit.world import WorldParams, generate_world
    folder = tmp_path_factory.mktemp("world")
    generate_world(folder, WorldParams(people=1500, seed=31, rings=7, household_rate=0.5))
    return run_build(native_project(folder), show_progress=False)


def test_detector_names_by_entity_row_equal_a_lookup_by_id(world_build) -> None:
    from graphkit.rings import detectors as D
    from graphkit.rings.population import build_population
    pop = build_population(sharing_table(_fresh(world_build)), 20)
    listed = D.listed_names(pop)
    assert [(m[0], p, d) for m, p, d in zip(listed["members"], listed["pattern"],
                                            listed["description"])] == \
        _reference_listed(pop) and len(listed) >= 2
    ent = pop.entities.set_index("entity_id")
    reused = D.document_reuse(pop)
    groups = D._groups(pop, "HAS_DOCUMENT")
    want = [f"document {g.value} used under names "
            f"{', '.join(sorted({ent.at[m, 'name'] for m in g.members}))}"
            for g in groups.itertuples()
            if all(ent.at[m, "label"] == "Person" for m in g.members)]
    assert reused["description"].tolist() == want and len(want) >= 1
    paid = D.paid_by_listed(pop)
    assert len(paid) >= 1 and all(
        ent.at[m[0], "name"] in d for m, d in zip(paid["members"], paid["description"]))
    assert D._of_members(pop, "name", []) == []
    with pytest.raises(KeyError):
        D._of_members(pop, "name", [[int(pop.entities["entity_id"].max()) + 1]])


def test_several_ids_per_name_and_dob_equal_a_group_by() -> None:
    from graphkit.rings.detectors import _several_per_group
    rng = np.random.default_rng(6)
    for size in (0, 1, 50, 4000):
        key = rng.integers(0, 40, size)
        dob = pd.Series(rng.choice(["1990-01-02", "1985-11-30", None, "2001-05-05"], size),
                        dtype="str")
        nid = pd.Series(rng.choice(["nid:1", "nid:2", "nid:3", None], size), dtype="str")
        frame = pd.DataFrame({"key": key, "dob": dob, "nid": nid})
        want = (frame.groupby(["key", "dob"])["nid"].transform("nunique") >= 2).to_numpy()
        assert _several_per_group(key, dob, nid).tolist() == want.tolist()


def _reference_name_dob(pop) -> pd.DataFrame:
    """``name_dob_ids`` as a group-by over the text keys gives it."""
    from graphkit.rings.population import entity_rows
    frame = pop.identities
    at = entity_rows(pop, frame["entity_id"].to_numpy(np.int64))
    tokens = pop.entities["tokens"].to_numpy(dtype=object)
    frame = frame.assign(key=[" ".join(sorted(t)) for t in tokens[at].tolist()])
    counts = frame.groupby(["key", "dob"])["nid"].transform("nunique")
    return [(key, dob, tuple(sorted(set(g["nid"]))), tuple(sorted(set(g["entity_id"]))),
             g["name"].iloc[0], tuple(sorted(set(g["record_id"]))))
            for (key, dob), g in frame[counts >= 2].groupby(["key", "dob"]) if key]


def test_name_dob_ids_equal_the_text_group_by(world_build, demo_build) -> None:
    from graphkit.rings import detectors as D
    from graphkit.rings.population import build_population
    for build in (world_build, demo_build):
        pop = build_population(sharing_table(_fresh(build)), 20)
        found = D.name_dob_ids(pop)
        want = _reference_name_dob(pop)
        assert len(found) == len(want) >= 1
        for row, (_key, dob, ids, members, name, records) in zip(found.itertuples(), want):
            assert (row.idents, row.members, row.records) == (ids, members, records)
            assert row.description == (f"one name and date of birth ({name}, {dob}) with "
                                       f"{len(ids)} different national ids")


def test_sorted_unique_equals_numpy_unique() -> None:
    from graphkit.intcodes import sorted_unique
    rng = np.random.default_rng(12)
    for values in (np.zeros(0, np.int64), np.array([5]), np.array([3, 3, 3]),
                   rng.integers(-50, 50, 1000), rng.integers(0, 2**40, 20_000)):
        got = sorted_unique(values)
        assert got.dtype == values.dtype and got.tolist() == np.unique(values).tolist()


def test_sorted_sets_leave_groups_without_values_empty() -> None:
    from graphkit.rings.detectors import _sorted_sets
    index = pd.Index([2, 5, 9, 12])
    groups = np.array([9, 2, 9, 9, 2, 40])  # 40 is in no group of the index: left out
    got = _sorted_sets(groups, pa.array(["b", "a", "a", "c", "a", "z"]), index)
    assert got == [("a",), (), ("a", "b", "c"), ()]
    assert _sorted_sets(groups, np.array([7, 1, 7, 3, 1, 0]), index) == \
        [(1,), (), (3, 7), ()]
    assert _sorted_sets(np.zeros(0, np.int64), np.zeros(0, np.int64), index) == [()] * 4
    assert _sorted_sets(groups, np.array([7, 1, 7, 3, 1, 0]), pd.Index([])) == []


def test_population_identities_equal_the_text_merge(world_build, demo_build) -> None:
    """Person records with their national ids, joined on record-id codes, equal the
    merge on the text (and the name tokens made per distinct name equal one per row)."""
    from graphkit.rings.population import _resolved, _tokens, build_population
    from graphkit.schema import Rel
    for build in (world_build, demo_build):
        sharing = sharing_table(_fresh(build))
        pop = build_population(sharing, 20)
        tables = sharing.tables
        people = _resolved(sharing, "people")
        people["dob"] = node_values(tables, "dob", people["record"]).fillna("").astype(
            str).to_numpy()
        people["record_id"] = node_values(tables, "record_id", people["record"]).astype(
            str).to_numpy()
        docs = sharing.with_text(sharing.of_type(Rel.HAS_DOCUMENT.value),
                                 ("ident", "records", "value"))
        docs = docs[docs["value"].astype(str).str.startswith("nid:").to_numpy(bool)]
        held = docs[["ident", "records", "entity_id"]].explode("records").dropna()
        held = held.rename(columns={"records": "record_id", "ident": "nid"})
        want = people.merge(held.astype({"record_id": object}),
                            on=["record_id", "entity_id"], how="inner")
        want["name"] = pop.entities.set_index("entity_id")["name"].reindex(
            want["entity_id"]).to_numpy()
        want = want[(want["dob"] != "") & (want["nid"] != "")]
        got = pop.identities
        assert list(got.columns) == list(want.columns) and len(got) == len(want) > 100
        for column in want.columns:
            assert got[column].tolist() == want[column].tolist(), column
        assert pop.entities["tokens"].tolist() == [_tokens(n) for n in pop.entities["name"]]


def _reference_repeats(ring: np.ndarray, items: list[tuple]) -> dict[int, list[tuple]]:
    """Evidence per ring as the plain rule gives it: items ordered by (ring, weight
    descending, pattern, description, position); the second and later of one pattern in
    a ring weigh a third; then ordered by (ring, weight descending, pattern, that order)."""
    from graphkit.rings.scoring import REPEAT_SHARE
    first = sorted(range(len(items)), key=lambda i: (ring[i], -items[i][1], items[i][0],
                                                    items[i][2], i))
    seen: set[tuple] = set()
    weight = [it[1] for it in items]
    for i in first:
        if (ring[i], items[i][0]) in seen:
            weight[i] = round(float(items[i][1]) * REPEAT_SHARE, 2)
        seen.add((ring[i], items[i][0]))
    step = {i: s for s, i in enumerate(first)}
    final = sorted(range(len(items)), key=lambda i: (ring[i], -weight[i], items[i][0],
                                                    step[i]))
    out: dict[int, list[tuple]] = {}
    for i in final:
        out.setdefault(int(ring[i]), []).append((items[i][0], weight[i], *items[i][2:]))
    return out


def test_repeats_equal_the_plain_ordering(world_build) -> None:
    """Evidence per ring from the sorts (descriptions ranked only where ring, weight and
    pattern tie) equals the plain ordering: on the rings of a real build and on items
    made to tie (equal weights, zero of either sign, patterns repeated in a ring)."""
    from graphkit.rings.assemble import _repeats
    rings = world_build.rings.rings
    items, ring = [], []
    for number, r in enumerate(rings):
        for e in r.evidence:
            items.append((e.pattern, e.weight, e.description, e.identifiers, e.entities,
                          e.records, e.explained))
            ring.append(number)
    rng = np.random.default_rng(4)
    for _ in range(3000):
        items.append((str(rng.choice(["shared_ip", "shared_phone", "laptop_farm"])),
                      float(rng.choice([1.5, 2.0, 0.0, -0.0])),
                      str(rng.choice(["b", "a", "Zoë", "zoe", "ab", "É"])), ("i",), ("e",),
                      (), ""))
        ring.append(int(rng.integers(len(rings), len(rings) + 300)))
    ring = np.array(ring, dtype=np.int64)
    got = {k: [(e.pattern, e.weight, e.description, e.identifiers, e.entities, e.records,
                e.explained) for e in v] for k, v in _repeats(ring, items).items()}
    want = _reference_repeats(ring, items)
    assert list(got) == list(want) and len(want) > 300
    for number in want:
        assert got[number] == want[number], number
    assert _repeats(np.zeros(0, np.int64), []) == {}


def test_findings_in_rings_equal_a_member_count(world_build) -> None:
    """The (finding, ring) pairs and members inside each equal, finding by finding, the
    rings holding at least min(2, size) of its members, members in key order."""
    from graphkit.rings.assemble import _findings_in_rings, _key_rank
    from graphkit.rings.detectors import run_detectors
    from graphkit.rings.population import build_population
    from graphkit.rings.scoring import calibrate
    pop = build_population(sharing_table(_fresh(world_build)), 20)
    findings = calibrate(run_detectors(pop), pop.n_people)
    rng = np.random.default_rng(9)
    n = len(pop.entities)
    ring_of = np.where(rng.random(n) < 0.6, rng.integers(0, 3, n), -1)
    keys = pop.entities["key"].to_numpy(dtype=object)
    rank = _key_rank(keys)
    row = {e: i for i, e in enumerate(pop.entities["entity_id"].tolist())}
    want = []
    for f, members in enumerate(findings["members"].tolist()):
        by_ring: dict[int, list[int]] = {}
        for m in members:
            if m in row and ring_of[row[m]] >= 0:
                by_ring.setdefault(int(ring_of[row[m]]), []).append(row[m])
        for r in sorted(by_ring):
            if len(by_ring[r]) >= min(2, len(members)):
                want.append((f, r, sorted(by_ring[r], key=lambda i: rank[i])))
    f_at, ring, rows, bounds = _findings_in_rings(pop, findings, ring_of, rank)
    got = [(f, r, rows[a:b].tolist()) for f, r, a, b in
           zip(f_at.tolist(), ring.tolist(), bounds[:-1].tolist(), bounds[1:].tolist())]
    assert got == want and len(want) > 50


def test_surnames_shared_from_token_codes_equal_the_sets(world_build, demo_build) -> None:
    """Whether a group's members share a name token, from the token codes kept per
    distinct name, equals the intersection of their token sets, on real sharing groups;
    and a population made without those codes (tokens only) gives the same."""
    from graphkit.rings import detectors as D
    from graphkit.rings.population import Population, build_population
    for build in (world_build, demo_build):
        pop = build_population(sharing_table(_fresh(build)), 20)
        groups = [tuple(m) for rel in ("LIVES_AT", "USES_IP", "HAS_DOCUMENT")
                  for m in D._groups(pop, rel).get("members", pd.Series([])).tolist()]
        want = [D._surname_shared(pop, g) for g in groups]
        assert D._surnames_shared(pop, groups).tolist() == want
        assert any(want) and not all(want) and len(groups) > 20
        bare = Population(pop.entities[["entity_id", "tokens"]], None, 20)
        assert D._surnames_shared(bare, groups).tolist() == want
        number, sets = pop.token_sets
        assert [sets[c] for c in number.tolist()] == pop.entities["tokens"].tolist()


def test_sorted_sets_of_large_integers_fall_back_to_ranks() -> None:
    """Group and value ranges whose product would overflow 64 bits take the ranked path
    and give the same sets."""
    from graphkit.rings.detectors import _sorted_sets
    groups = np.array([2**40, 3, 2**40, 3, 2**40])
    values = np.array([2**50, -7, 5, -7, 2**50])
    index = pd.Index([3, 2**40])
    assert _sorted_sets(groups, values, index) == [(-7,), (5, 2**50)]


def _reference_explanation(ip: bool, one_vpn: bool, same_name: bool, n_homes: int,
                           nat: int) -> tuple[str, float]:
    """The explanation of one sharing group, rule after rule."""
    from graphkit.rings.detectors import RELATIVES_APART
    if ip and one_vpn:
        return "a VPN exit, which unrelated users share", 0.0
    if n_homes > 1 and same_name:
        return "relatives of one surname living apart", RELATIVES_APART
    if ip and n_homes >= nat:
        return f"a carrier NAT or public network ({n_homes} households)", 0.0
    if n_homes == 1:
        return ("household: one surname at the members' own home" if same_name else
                "the members live together (household or roommates)"), 0.0
    return "", 1.0


def test_explanations_of_many_groups_equal_the_rules_one_by_one() -> None:
    from graphkit.rings.detectors import _explanations
    rng = np.random.default_rng(5)
    vpn, surname = rng.random(4000) < 0.3, rng.random(4000) < 0.4
    homes = rng.integers(1, 14, 4000)
    for ip in (True, False):
        explained, factor = _explanations(ip, vpn, surname, homes, 10)
        want = [_reference_explanation(ip, v, s, h, 10) for v, s, h in
                zip(vpn.tolist(), surname.tolist(), homes.tolist())]
        assert list(zip(explained, factor)) == want
        assert all(type(f) is float for f in factor)
        assert len({w for w, _ in want}) >= (7 if ip else 4)
    assert _explanations(True, np.zeros(0, bool), np.zeros(0, bool),
                         np.zeros(0, np.int64), 10) == ([], [])


def test_entity_rows_follow_the_population_entities_table() -> None:
    """Rows by binary search over increasing ids, by lookup otherwise; a new entities
    table is looked up afresh (whether ids increase is kept per table)."""
    from graphkit.rings.population import Population, entity_rows
    pop = Population(pd.DataFrame({"entity_id": [3, 8, 20]}), None, 20)
    assert entity_rows(pop, np.array([20, 3, 5])).tolist() == [2, 0, -1]
    pop.entities = pd.DataFrame({"entity_id": [20, 3, 8]})
    assert entity_rows(pop, np.array([20, 3, 5, 8])).tolist() == [0, 1, -1, 2]
    assert entity_rows(pop, np.zeros(0, np.int64)).tolist() == []


def test_distinct_sharers_count_a_pair_reached_by_two_types_once() -> None:
    rng = np.random.default_rng(21)
    entities = np.sort(rng.integers(5, 400, 6000))
    idents = rng.integers(0, 300, 6000)
    repeat = rng.integers(0, 6000, 900)  # the same (entity, identifier) again, another type
    entities, idents = np.r_[entities, entities[repeat]], np.r_[idents, idents[repeat]]
    order = np.argsort(entities, kind="stable")
    entities, idents = entities[order], idents[order]
    want = pd.DataFrame({"e": entities, "i": idents}).groupby("i")["e"].transform(
        "nunique").to_numpy()
    assert _distinct_sharers(idents, entities).tolist() == want.tolist()
    far = idents.astype(np.int64) * 2 ** 40  # pairs too wide for one int64: the lexsort
    assert _distinct_sharers(far, entities).tolist() == want.tolist()


def test_label_and_type_codes_are_factorize_codes_of_the_columns() -> None:
    from graphkit.graph.assemble import arrow_chunks as chunked_of
    from graphkit.graph.assemble import arrow_codes
    from graphkit.rings.sharing import _run_codes
    rng = np.random.default_rng(5)
    runs = np.repeat(rng.choice(["Account", "Person", "Record", None], 40),
                     rng.integers(1, 300, 40))
    for values in (runs, rng.choice(["A", "B", None], 2000), runs[:0], runs[:1]):
        array = pa.array(values.tolist(), pa.string())
        want, uniques = pd.factorize(pd.Series(values.tolist(), dtype=object))
        for cuts in ([], [0, len(values) // 3, len(values) // 3], [len(values)]):
            cuts = [c for c in cuts if c <= len(values)]
            column = chunked_of(_chunked(array, cuts))
            for codes, labels in (arrow_codes(column), _run_codes(column)):
                assert codes.tolist() == want.tolist()
                assert labels.tolist() == uniques.tolist()
    coded = pd.Series(pd.arrays.ArrowExtensionArray(  # a dictionary column: no run kernel
        pa.chunked_array([pa.array(["b", "a", "b", None]).dictionary_encode()])))
    assert _run_codes(chunked_of(coded))[0].tolist() == [0, 1, 0, -1]


def _reference_clusters(sharing, max_share: int) -> pd.DataFrame:
    """The cluster report made the plain way: components of the text-carrying sharing
    table (networkx), every record id of every entity, and pandas sorts of the text."""
    import networkx as nx

    from graphkit.rings.records import resolved_of
    from graphkit.rings.sharing import node_values

    table = sharing.table
    shared = table[(table["n_entities"] >= 2) & (table["n_entities"] <= max_share)]
    graph = nx.Graph()
    graph.add_edges_from(zip("e:" + shared["entity"], "i:" + shared["ident"]))
    comp = {n: k for k, c in enumerate(nx.connected_components(graph)) for n in c}
    idents = shared.drop_duplicates("ident")
    res = resolved_of(sharing.tables, ["people", "companies"])  # every record's entity
    records = pd.DataFrame({"entity_id": res["entity_id"].to_numpy(np.int64),
                            "record_id": node_values(sharing.tables, "record_id",
                                                     res["record"].to_numpy())
                            .to_numpy(dtype=object).astype(str)})
    key_of = dict(zip(sharing.rows["entity_id"], table["entity"]))
    records = records[records["entity_id"].isin(list(key_of))]
    rows = []
    for k in sorted(set(comp.values())):
        members = sorted(n[2:] for n, c in comp.items() if c == k and n.startswith("e:"))
        own = idents[[comp["i:" + i] == k for i in idents["ident"]]].sort_values(
            ["n_entities", "ident"], ascending=[False, True])
        recs = sorted(r for e, r in zip(records["entity_id"], records["record_id"])
                      if f"e:{key_of[e]}" in comp and comp[f"e:{key_of[e]}"] == k)
        rows.append({"members": ";".join(members), "n_records": len(recs),
                     "record_ids": ";".join(recs),
                     "shared_identifiers": ";".join(
                         f"{i} ({n})" for i, n in zip(own["ident"], own["n_entities"]))})
    frame = pd.DataFrame(rows)
    frame["size"] = frame["members"].str.count(";") + 1
    return frame.sort_values(["size", "members"], ascending=[False, True],
                             ignore_index=True)


def test_cluster_report_equals_the_plain_computation(world_build) -> None:
    from graphkit.rings.clusters import shared_identifier_clusters
    sharing = sharing_table(_fresh(world_build))
    got = shared_identifier_clusters(sharing, 20).clusters
    want = _reference_clusters(sharing, 20)
    assert len(got) == len(want) > 20
    for column in ("members", "n_records", "record_ids", "shared_identifiers"):
        assert got[column].tolist() == want[column].tolist(), column


def test_identifier_texts_without_keys_in_id_order_sort_the_text() -> None:
    from graphkit.rings.clusters import _identifier_texts
    keys = ["Phone:9", "Email:b", "Email:a", "IP:1", "Account:7"]  # not in id order
    nodes = pd.DataFrame({"node_id": np.arange(5), "key": pd.array(keys, "string[pyarrow]"),
                          "label": ["Phone", "Email", "Email", "IP", "Account"]})
    tables = GraphTables(nodes, pd.DataFrame({"start_id": [], "end_id": [], "type": []}))
    ids, rows = np.array([0, 1, 2, 3, 4]), np.array([0, 1, 2, 3, 4, 4])
    count, comp = np.array([2, 3, 3, 2, 3, 3]), np.array([1, 0, 0, 1, 1], np.int32)
    got_comp, text = _identifier_texts(tables, ids, rows, count, comp)
    assert got_comp.tolist() == [0, 0, 1, 1, 1]
    assert text.tolist() == ["Email:a (3)", "Email:b (3)", "Account:7 (3)", "IP:1 (2)",
                             "Phone:9 (2)"]
    ordered = GraphTables(nodes.assign(key=pd.array(sorted(keys), "string[pyarrow]")),
                          tables.relationships)  # keys ascending with ids: the lexsort
    got_comp, text = _identifier_texts(ordered, ids, rows, count, comp)
    assert got_comp.tolist() == [0, 0, 1, 1, 1]
    assert text.tolist() == ["Email:a (3)", "Email:b (3)", "Phone:9 (3)", "Account:7 (2)",
                             "IP:1 (2)"]


def _reference_runs(values: list) -> list[tuple[int, int]]:
    """(start, end) of each run of equal neighbours, one comparison at a time."""
    runs: list[tuple[int, int]] = []
    for i, v in enumerate(values):
        if runs and values[runs[-1][0]] == v:
            runs[-1] = (runs[-1][0], i + 1)
        else:
            runs.append((i, i + 1))
    return runs


def test_run_and_group_bounds_equal_a_plain_scan() -> None:
    from graphkit.rings.grouped import group_bounds, run_bounds
    rng = np.random.default_rng(4)
    for n, span in ((0, 1), (1, 1), (7, 1), (500, 9), (3000, 400)):
        groups = rng.integers(0, span, n)
        within = rng.integers(0, 5, n)  # many ties: the row order decides among them
        starts, ends = run_bounds(np.sort(groups))
        assert list(zip(starts.tolist(), ends.tolist())) == _reference_runs(
            sorted(groups.tolist()))
        for key in (None, within):
            order, starts, ends = group_bounds(groups, key)
            rows = list(range(n))
            want = sorted(rows, key=lambda i: (groups[i], 0 if key is None else key[i]))
            assert order.tolist() == want  # stable: ties keep the row order
            assert list(zip(starts.tolist(), ends.tolist())) == _reference_runs(
                groups[want].tolist())
            assert starts.dtype == ends.dtype == np.int64


def test_node_codes_and_record_kinds_equal_the_text() -> None:
    from graphkit.rings.records import resolved_of, resolved_records
    from graphkit.rings.sharing import node_codes, rows_of_type
    kinds = [None, None, "people", "people", "logins", None, "people", "companies", "x"]
    nodes = pd.DataFrame({"node_id": np.arange(9), "key": [f"k{i}" for i in range(9)],
                          "label": ["Person"] * 2 + ["Record"] * 6 + ["Person"],
                          "kind": pd.array(kinds, "string[pyarrow]")})
    rels = pd.DataFrame({"start_id": [2, 3, 4, 4, 6, 7, 8, 12],  # 12: no such node
                         "end_id": [0, 1, 0, 1, 1, 0, 0, 1],
                         "type": pd.array(["RESOLVED_TO"] * 3 + ["PAYS"] + ["RESOLVED_TO"] * 4,
                                          "string[pyarrow]")})
    tables = GraphTables(nodes, rels)
    codes, values = node_codes(tables, "kind")
    assert [values[c] if c >= 0 else None for c in codes.tolist()] == kinds
    assert rows_of_type(tables, "RESOLVED_TO").tolist() == [0, 1, 2, 4, 5, 6, 7]
    assert rows_of_type(tables, "PAYS").tolist() == [3]
    assert rows_of_type(tables, "NO_SUCH_TYPE").tolist() == []
    frame = resolved_records(tables)
    assert frame["record"].tolist() == [2, 3, 4, 6, 7, 8, 12]
    assert [k if isinstance(k, str) else None for k in frame["kind"]] == [
        "people", "people", "logins", "people", "companies", "x", None]
    assert resolved_of(tables, ["people", "companies"])["record"].tolist() == [2, 3, 6, 7]
    assert resolved_of(tables, ["nobody"]).empty
    empty = GraphTables(nodes.iloc[:0], rels.iloc[:0])
    assert node_codes(empty, "kind")[0].tolist() == []
    assert resolved_records(empty).empty and rows_of_type(empty, "PAYS").tolist() == []


def test_evidence_made_in_bulk_equals_the_constructor() -> None:
    import pickle

    from graphkit.rings.model import Evidence, evidence_of
    rows = [("shared_ip", 3.25, "2 people share IP 1.2.3.4", ("IP:1.2.3.4",), ("p:1", "p:2"),
             ("L1", "L2"), "a VPN exit"), ("vpn_logins", 0.0, "", (), (), (), "")]
    made = evidence_of(rows)
    want = [Evidence(*row) for row in rows]
    assert made == want and [hash(e) for e in made] == [hash(e) for e in want]
    assert [vars(e) for e in made] == [vars(e) for e in want]
    assert [list(vars(e)) for e in made] == [list(vars(e)) for e in want]  # field order
    assert pickle.loads(pickle.dumps(made)) == want
    assert evidence_of([]) == []
    with pytest.raises(ValueError):  # a row missing a field is refused, not padded
        evidence_of([rows[0][:6]])


def _reference_entity_rows(labels: list, starts: list, ends: list) -> list[tuple]:
    """(row, start label, end label) of each relationship from an entity to an
    identifier, one relationship at a time (ids outside the nodes have no label)."""
    from graphkit.rings.sharing import ENTITY_LABELS, IDENTIFIER_LABELS

    def label(i: int):
        return labels[i] if 0 <= i < len(labels) else None
    return [(row, label(s), label(e)) for row, (s, e) in enumerate(zip(starts, ends))
            if label(s) in ENTITY_LABELS and label(e) in IDENTIFIER_LABELS]


def test_entity_to_identifier_rows_by_slices_equal_a_code_per_row() -> None:
    from graphkit.rings import sharing as S
    rng = np.random.default_rng(9)
    names = ["Account", "Address", "Company", "Device", "IP", "Person", "Record", None]
    in_runs = np.repeat(names, rng.integers(0, 40, len(names))).tolist()
    mixed = rng.choice(np.array(names, dtype=object), 300).tolist()  # > 64 entity runs
    for labels in (in_runs, mixed, in_runs[:0], ["Person"], ["Person", "Email"]):
        n = len(labels)
        nodes = pd.DataFrame({"node_id": np.arange(n), "key": [f"k{i}" for i in range(n)],
                              "label": pd.array(labels, "string[pyarrow]")})
        for size in (0, 1, 500):
            starts = np.sort(rng.integers(-2, n + 2, size))  # a few unknown ids (-1 rows)
            ends = rng.integers(-1, n + 2, size)
            for shuffled in (False, True):
                if shuffled:  # not in start order: the code of every row is read
                    order = rng.permutation(size)
                    starts, ends = starts[order], ends[order]
                tables = GraphTables(nodes, pd.DataFrame({"start_id": starts,
                                                          "end_id": ends}))
                _, codes_of = S.label_codes(tables)
                is_entity = np.r_[np.isin(codes_of, list(S.ENTITY_LABELS)), False]
                is_ident = np.r_[np.isin(codes_of, list(S.IDENTIFIER_LABELS)), False]
                keep, start_code, end_code = S._entity_to_identifier(
                    tables, starts, ends, is_entity, is_ident)
                got = [(r, codes_of[a], codes_of[b]) for r, a, b in
                       zip(keep.tolist(), start_code.tolist(), end_code.tolist())]
                assert got == _reference_entity_rows(labels, starts.tolist(), ends.tolist())
    assert sum(1 for a, b in pairwise([None, *mixed])
                                   if b in S.ENTITY_LABELS and a != b) > S.MAX_ENTITY_RUNS


def test_key_rank_is_the_rank_in_sorted_order() -> None:
    from graphkit.rings.assemble import _key_rank
    rng = np.random.default_rng(12)
    keys = sorted(f"person:P{i:04d}" for i in rng.integers(0, 9000, 400))  # ties too
    for values in (keys, keys[::-1], list(rng.permutation(keys)), ["b", "a\ud800", "a"],
                   [], ["x"]):
        array = np.array(values, dtype=object)
        want = sorted(range(len(values)), key=lambda i: (values[i], i))
        rank = _key_rank(array)
        assert sorted(range(len(values)), key=rank.__getitem__) == want
        assert sorted(rank.tolist()) == list(range(len(values)))


def _python_joined(groups: np.ndarray, values: list, sep: str) -> pd.Series:
    """Per group (ascending), its values joined in row order: one Python join per group."""
    out: dict = {}
    for g, v in zip(groups.tolist(), values):
        out.setdefault(g, []).append(v)
    keys = sorted(out)
    return pd.Series([sep.join(out[k]) for k in keys], index=pd.Index(keys, dtype=np.int64),
                     dtype="str")


def test_joined_in_arrow_equals_a_python_join_per_group() -> None:
    from graphkit.rings.grouped import joined
    rng = np.random.default_rng(14)
    text = ["b", "a", "Zoë", "李", "", "b;c", "10", "x y"]
    for n in (1, 7, 400):
        groups = rng.integers(-3, 9, n)
        values = rng.choice(np.array(text, dtype=object), n).tolist()
        want = _python_joined(groups, values, ";")
        for given in (values, np.array(values, dtype=object), pd.Series(values, dtype="str"),
                      pd.Series(pd.arrays.ArrowExtensionArray(pa.chunked_array(
                          [pa.array(values[:n // 2], pa.string()),
                           pa.array(values[n // 2:], pa.string())])))):
            got = joined(groups, given, sep=";")
            pd.testing.assert_series_equal(got, want)
        assert joined(groups, values, sep=" | ").tolist() == \
            _python_joined(groups, values, " | ").tolist()
    empty = joined(np.zeros(0, np.int64), [])
    assert empty.tolist() == [] and str(empty.dtype) == "str"
    # what is no Arrow string is left to Python as before: a lone surrogate cannot be held
    # in a ``str`` column, a number or a missing value cannot be joined
    with pytest.raises(UnicodeEncodeError):
        joined(np.array([1, 1]), ["a\ud800", "b"])
    with pytest.raises(TypeError):
        joined(np.array([1, 1]), ["a", 3])
    with pytest.raises(TypeError):
        joined(np.array([1, 1]), pd.Series(["a", None], dtype="str"))
    with pytest.raises(TypeError):  # bytes are no text, even valid UTF-8
        joined(np.array([1, 0, 1]), ["a", b"b", "c"])


def test_documents_joined_by_entity_first_equal_the_merge() -> None:
    """The people rows with their documents equal pandas' inner merge on (record id,
    entity): people's order, each row's matches in the documents' order, a missing
    record id matching a missing one; documents sorted by entity or not."""
    from graphkit.rings.population import _with_documents
    rng = np.random.default_rng(17)
    ids = ["P1", "P2", "P3", "PAY9", None]
    for n_people, n_held in ((0, 0), (3, 0), (0, 3), (40, 50), (600, 700)):
        people = pd.DataFrame({
            "entity_id": rng.integers(0, 30, n_people),
            "record": rng.integers(100, 200, n_people),
            "dob": pd.array(rng.choice(["1990-01-02", ""], n_people).tolist(), "str"),
            "record_id": pd.array(rng.choice(np.array(ids, dtype=object), n_people).tolist(),
                                  "str")})
        held = pd.DataFrame({
            "nid": pd.array([f"Document:nid:{i}" for i in rng.integers(0, 9, n_held)], "str"),
            "record_id": pd.array(rng.choice(np.array(ids, dtype=object), n_held).tolist(),
                                  "string[pyarrow]"),
            "entity_id": np.sort(rng.integers(0, 30, n_held))})
        for documents in (held, held.sample(frac=1.0, random_state=3)):
            codes = pd.factorize(pd.concat([people["record_id"].astype(object),
                                            documents["record_id"].astype(object)]),
                                 use_na_sentinel=False)[0]  # a missing id is one value
            want = people.assign(_r=codes[:n_people]).merge(
                documents.drop(columns="record_id").assign(_r=codes[n_people:]),
                on=["_r", "entity_id"], how="inner").drop(columns="_r")
            pd.testing.assert_frame_equal(_with_documents(people, documents), want)


def test_sharing_groups_text_and_sanction_hits_equal_the_row_by_row_text(world_build
                                                                          ) -> None:
    """An identifier group's key and value (gathered once per group) are those of its
    rows' text; the sanctions matches (found by type codes) are the text filter's."""
    from graphkit.rings import build_population
    from graphkit.rings.detectors import SHARED, _groups
    from graphkit.rings.sharing import _sanction_hits
    tables = _fresh(world_build)
    sharing = sharing_table(tables)
    pop = build_population(sharing, 20)
    seen = 0
    for rel in (*SHARED, "HAS_DOCUMENT"):
        groups = _groups(pop, rel)
        if groups.empty:
            continue
        rows = sharing.with_text(sharing.shared_of_type(20, rel), ("ident", "value"))
        rows = rows[rows["ident_id"].isin(groups.index)].groupby("ident_id").first()
        assert groups["ident"].tolist() == rows.loc[groups.index, "ident"].tolist()
        assert groups["value"].tolist() == rows.loc[groups.index, "value"].tolist()
        assert str(groups["ident"].dtype) == str(groups["value"].dtype) == "str"
        seen += len(groups)
    assert seen > 50
    rels = tables.relationships
    matches = rels[(rels["type"] == "MATCHES").to_numpy(bool)]
    hits = _sanction_hits(tables)
    assert hits["entity_id"].tolist() == matches["start_id"].tolist() and len(hits) >= 1
    assert hits["score"].tolist() == matches["score"].astype(float).tolist()


def test_entity_rows_by_runs_of_consecutive_ids_equal_a_binary_search() -> None:
    from graphkit.intcodes import sorted_positions
    from graphkit.rings import population as P
    rng = np.random.default_rng(23)
    in_runs = np.r_[np.arange(5, 40), np.arange(100, 160), np.arange(161, 170), [400]]
    scattered = np.sort(rng.choice(10_000, 2 * P.MAX_ID_RUNS, replace=False))
    for ids in (in_runs, scattered, in_runs[:1], np.arange(3, 9)):
        pop = P.Population(pd.DataFrame({"entity_id": ids}), None, 20)
        wanted = np.r_[ids, ids[::-1] + 1, ids - 1, [-5, 0, 10_001, 2 ** 40],
                       rng.integers(-3, 10_005, 500)]
        assert P.entity_rows(pop, wanted).tolist() == sorted_positions(ids, wanted).tolist()
        assert P.entity_rows(pop, wanted[:0]).tolist() == []
    assert P._id_runs(in_runs)[0].tolist() == [0, 35, 95, 104]
    assert P._id_runs(scattered) is None  # too many runs: a binary search among all ids
    empty = P.Population(pd.DataFrame({"entity_id": np.zeros(0, np.int64)}), None, 20)
    assert P.entity_rows(empty, np.array([1, 2])).tolist() == [-1, -1]


def test_small_codes_slice_by_slice_are_factorize_codes() -> None:
    from graphkit.graph.assemble import arrow_chunks as chunked_of
    from graphkit.rings.sharing import small_codes
    rng = np.random.default_rng(11)
    few = rng.choice(["HAS_IP", "PAYS", "RESOLVED_TO", None], 500)
    many = np.array([f"t{i}" for i in rng.integers(0, 300, 900)], dtype=object)
    many[::50] = None  # more than 127 values: the codes widen to int32 mid-way
    for values in (few, many, few[:0], few[:1], np.array([None, None], dtype=object)):
        array = pa.array(values.tolist(), pa.string())
        want, uniques = pd.factorize(pd.Series(values.tolist(), dtype=object))
        for cuts in ([], [0, len(values) // 3, len(values) // 3], [len(values)]):
            column = chunked_of(_chunked(array, [c for c in cuts if c <= len(values)]))
            for step in (1, 7, 64, 1 << 20):  # slices within and across the chunks
                codes, labels = small_codes(column, step)
                assert codes.tolist() == want.tolist()
                assert labels.tolist() == uniques.tolist()
                assert codes.dtype == (np.int8 if len(uniques) < 128 else np.int32)
    coded = pa.chunked_array([pa.array(["b", "a", "b", None]).dictionary_encode(),
                              pa.array(["c", "a"]).dictionary_encode()])
    codes, labels = small_codes(coded, 3)
    assert codes.tolist() == [0, 1, 0, -1, 2, 1] and labels.tolist() == ["b", "a", "c"]


def test_entity_keys_from_arrow_equal_the_object_keys() -> None:
    """Keys in Arrow (one chunk or several, in order or not, ties, empty) give the
    strings and ranks the object array of every key gives."""
    from graphkit.rings.assemble import _key_rank, entity_keys
    rng = np.random.default_rng(4)
    ordered = sorted(f"person:P{i:04d}" for i in rng.integers(0, 9000, 300))  # ties too
    for values in (ordered, list(rng.permutation(ordered)), ["é", "z", "ÿ"], [], ["x"]):
        array = pa.array(values, pa.string())
        for cuts in ([], [0, len(values) // 2, len(values) // 2]):
            cuts = [c for c in cuts if c <= len(values)]
            column = _chunked(array, cuts)
            for series in (column, column.astype("str")):
                keys_at, rank = entity_keys(series)
                want = np.array(values, dtype=object)
                assert rank.tolist() == _key_rank(want).tolist()
                rows = rng.integers(0, len(values), 50) if values else np.zeros(0, np.int64)
                assert keys_at(rows) == want[rows].tolist()
                assert keys_at(np.zeros(0, np.int64)) == []
                if len(values):  # each row's string made once, shared by later requests
                    first, again = keys_at(np.array([0, 0])), keys_at(np.array([0]))
                    assert first[0] is first[1] is again[0]


def _plain_lone_entities(pop, findings: pd.DataFrame, groups: list) -> list[np.ndarray]:
    """Rings of one the plain way: a lookup of each lone finding's entity by id."""
    grouped = set(np.concatenate(groups).tolist()) if groups else set()
    row = pd.Series(np.arange(len(pop.entities)), index=pop.entities["entity_id"].to_numpy())
    alone = findings[(findings["members"].map(len) == 1) & (findings["weight"] > 0)]
    rows = {int(row[m[0]]) for m in alone["members"]} - grouped
    return [np.array([r]) for r in sorted(rows)]


def test_lone_entities_equal_a_lookup_by_id(world_build) -> None:
    """Rings of one (weighty findings of one entity outside every group), with every
    group, none, and findings that repeat an entity or weigh nothing (NaN too)."""
    from graphkit.rings import _lone_entities
    from graphkit.rings.detectors import run_detectors
    from graphkit.rings.population import build_population
    from graphkit.rings.scoring import calibrate
    pop = build_population(sharing_table(_fresh(world_build)), 20)
    findings = calibrate(run_detectors(pop), pop.n_people)
    ids = pop.entities["entity_id"].to_numpy(np.int64)
    extra = pd.DataFrame({"members": [(int(ids[3]),), (int(ids[3]),), (int(ids[7]),),
                                      (int(ids[9]),), (int(ids[1]), int(ids[2]))],
                          "weight": [2.0, 1.0, 0.0, np.nan, 4.0]})
    findings = pd.concat([findings[["members", "weight"]], extra], ignore_index=True)
    rng = np.random.default_rng(2)
    for groups in ([], [np.array([3, 5])], [np.sort(rng.choice(len(ids), 40, replace=False))
                                           for _ in range(5)]):
        got = _lone_entities(pop, findings, groups)
        want = _plain_lone_entities(pop, findings, groups)
        assert [g.tolist() for g in got] == [w.tolist() for w in want] and len(want) >= 1
        assert all(g.dtype == w.dtype for g, w in zip(got, want))
    assert _lone_entities(pop, findings.iloc[:0], []) == []


def test_entity_nodes_equal_the_boolean_loc(world_build, demo_build) -> None:
    """The entities' three columns taken one by one equal the boolean ``.loc`` of the
    node table (dtypes, order and index too); a node without a label is no entity."""
    from graphkit.rings.population import _entity_nodes
    from graphkit.rings.sharing import label_codes
    for build in (world_build, demo_build):
        tables = _fresh(build)
        nodes = tables.nodes
        codes, labels = label_codes(tables)
        want = nodes.loc[nodes["label"].isin(["Person", "Company"]).to_numpy(bool),
                         ["node_id", "key", "label"]].rename(
            columns={"node_id": "entity_id"}).reset_index(drop=True)
        pd.testing.assert_frame_equal(_entity_nodes(nodes, codes, labels), want)
        chunked = nodes.copy()  # text columns held in several chunks (as a build's are)
        for column in ("key", "label"):
            array = pa.array(nodes[column].array).combine_chunks() if isinstance(
                pa.array(nodes[column].array), pa.ChunkedArray) else pa.array(
                nodes[column].array)
            chunked[column] = _chunked(array, [len(array) // 3, len(array) // 2])
        pd.testing.assert_frame_equal(_entity_nodes(chunked, codes, labels), want)
        first = int(np.flatnonzero(nodes["node_id"].to_numpy() == want["entity_id"][0])[0])
        unlabelled = codes.copy()
        unlabelled[first] = -1  # that entity's node has no label now
        got = _entity_nodes(nodes, unlabelled, labels)
        assert got["entity_id"].tolist() == want["entity_id"].tolist()[1:]
    empty = _entity_nodes(nodes.iloc[:0], codes[:0], labels)
    assert list(empty.columns) == ["entity_id", "key", "label"] and len(empty) == 0


def test_resolved_records_of_one_run_of_rows_are_views_equal_to_the_gather() -> None:
    """Where the rows of a type are one run (each record's only relationship is its
    RESOLVED_TO), they are one slice and the frame holds views of the id columns, equal
    to the gathered rows; rows of a type in several runs (or none) are gathered."""
    from graphkit.rings.records import ends_of_type, resolved_records
    from graphkit.rings.sharing import rows_of_type, type_run
    nodes = pd.DataFrame({"node_id": np.arange(6), "key": [f"k{i}" for i in range(6)],
                          "label": ["Person"] * 2 + ["Record"] * 4,
                          "kind": pd.array([None, None, "people", "logins", "people",
                                            "companies"], "string[pyarrow]")})
    rels = pd.DataFrame({"start_id": [0, 2, 3, 4, 5], "end_id": [1, 0, 1, 1, 0],
                         "type": pd.array(["PAYS"] + ["RESOLVED_TO"] * 4,
                                          "string[pyarrow]")})
    tables = GraphTables(nodes, rels)
    frame = resolved_records(tables)
    assert frame["record"].tolist() == [2, 3, 4, 5]
    assert frame["entity_id"].tolist() == [0, 1, 1, 0]
    assert frame["kind"].astype(str).tolist() == ["people", "logins", "people", "companies"]
    assert frame["record"].dtype == np.int64 and frame["entity_id"].dtype == np.int64
    assert np.shares_memory(frame["record"].to_numpy(), rels["start_id"].to_numpy())
    pays = ends_of_type(tables, "PAYS")
    assert pays.index.tolist() == [0] and pays["end_id"].tolist() == [1]
    assert type_run(tables, "RESOLVED_TO") == slice(1, 5) and type_run(tables, "X") is None
    rng = np.random.default_rng(8)
    for _ in range(200):  # type_run against the rows: one run, several, none
        types = rng.choice(["A", "B"], int(rng.integers(0, 9)))
        coded = GraphTables(nodes.iloc[:0], pd.DataFrame({
            "start_id": np.zeros(len(types), np.int64), "end_id": np.zeros(len(types),
                                                                            np.int64),
            "type": pd.array(types.tolist(), "string[pyarrow]")}))
        rows = rows_of_type(coded, "A")
        run = type_run(coded, "A")
        one = len(rows) > 0 and rows[-1] - rows[0] + 1 == len(rows)
        assert (run is not None) == one
        if one:
            assert list(range(len(types)))[run] == rows.tolist()


def test_distinct_sharers_slice_by_slice_equal_a_group_by() -> None:
    """Slices cut between entities (one entity's rows longer than a slice too; repeats
    of a pair across types) give the counts of a group-by; rows out of entity order fall
    back to the lexsort."""
    from graphkit.rings.sharing import _entity_slices
    rng = np.random.default_rng(17)
    entities = np.sort(np.r_[rng.integers(0, 300, 3000), np.full(40, 77)])  # 77: long
    idents = rng.integers(10, 500, len(entities))
    repeat = rng.integers(0, len(entities), 400)
    entities, idents = np.r_[entities, entities[repeat]], np.r_[idents, idents[repeat]]
    order = np.argsort(entities, kind="stable")
    entities, idents = entities[order], idents[order]
    want = pd.DataFrame({"e": entities, "i": idents}).groupby("i")["e"].transform(
        "nunique").to_numpy()
    for step in (1, 2, 7, 33, 1000, 1 << 20):
        slices = _entity_slices(entities, step)
        assert slices[0][0] == 0 and slices[-1][1] == len(entities)
        assert all(a < b and (b == len(entities) or entities[b - 1] != entities[b])
                   for a, b in slices)
        assert all(b1 == a2 for (_, b1), (a2, _) in pairwise(slices))
        assert _distinct_sharers(idents, entities, step).tolist() == want.tolist()
        shuffled = rng.permutation(len(entities))
        assert _distinct_sharers(idents[shuffled], entities[shuffled], step).tolist() == \
            want[shuffled].tolist()


def test_gathered_counts_equal_the_plain_gather_in_every_width() -> None:
    """Counts read through a narrowed copy (a byte, two, four) come out as int64 equal to
    ``counts[at]``, at any slice size, also for no positions."""
    from graphkit.rings.sharing import _gathered_counts
    rng = np.random.default_rng(5)
    for top in (3, 255, 256, 70_000, 2**40):
        counts = rng.integers(0, top + 1, 500).astype(np.int64)
        counts[7] = top  # the largest count decides the width
        at = rng.integers(0, len(counts), 2000)
        for step in (1, 13, 1 << 20):
            got = _gathered_counts(counts, at, step)
            assert got.dtype == np.int64 and got.tolist() == counts[at].tolist()
    assert _gathered_counts(np.zeros(4, np.int64), np.zeros(0, np.int64)).tolist() == []
