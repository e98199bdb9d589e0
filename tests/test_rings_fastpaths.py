"""The clusters and rings stages' fast paths give the answers of the plain computations
they replace: the sharing table's integer rows with text gathered on demand equal the
text-carrying table (built here the old way, by taking every column of the relationship
table), node properties gathered for some nodes equal the whole converted column
reindexed, sharer counts and type codes equal pandas' group-bys, and the grouping of
linked entities equals one array per component."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
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
