"""The columnar graph: node and relationship tables, Parquet files, the networkx view."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pyarrow.parquet as pq

from graphkit.graph import graph_from_tables, read_tables, tables_from_graph, write_tables
from graphkit.pipeline import BuildResult


def _same(a: nx.MultiDiGraph, b: nx.MultiDiGraph) -> None:
    assert dict(a.nodes(data=True)) == dict(b.nodes(data=True))
    assert sorted(a.edges(keys=True, data=True), key=repr) == \
        sorted(b.edges(keys=True, data=True), key=repr)


def test_tables_round_trip_the_demo_graph(demo_build: BuildResult, tmp_path: Path) -> None:
    graph = demo_build.graph
    tables = tables_from_graph(graph)
    assert len(tables.nodes) == graph.number_of_nodes()
    assert len(tables.relationships) == graph.number_of_edges()
    assert tables.nodes["node_id"].tolist() == list(range(len(tables.nodes)))
    keys = tables.nodes["key"].tolist()
    rels = tables.relationships
    assert [keys[i] for i in rels["start_id"]] == rels["start"].tolist()
    assert [keys[i] for i in rels["end_id"]] == rels["end"].tolist()
    _same(graph, graph_from_tables(tables))
    write_tables(tables, tmp_path)
    _same(graph, graph_from_tables(read_tables(tmp_path)))
    schema = pq.read_schema(tmp_path / "relationships.parquet")
    assert str(schema.field("score").type) == "double"
    assert str(schema.field("records").type) == "list<element: string>"


def test_tables_are_deterministic(demo_build: BuildResult, tmp_path: Path) -> None:
    graph = demo_build.graph
    shuffled = nx.MultiDiGraph()
    shuffled.add_nodes_from(reversed(list(graph.nodes(data=True))))
    shuffled.add_edges_from(reversed(list(graph.edges(keys=True, data=True))))
    (tmp_path / "a").mkdir()
    write_tables(tables_from_graph(graph), tmp_path / "a")
    (tmp_path / "b").mkdir()
    write_tables(tables_from_graph(shuffled), tmp_path / "b")
    for name in ("nodes.parquet", "relationships.parquet"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_id_columns_are_read_only_in_a_build_and_writable_once_read(
        demo_build: BuildResult, tmp_path: Path) -> None:
    """A build's own tables share their id columns with Arrow (read-only, whatever the
    chunks); ``read_tables`` gives an analyst columns that can be written in place."""
    import pandas as pd
    import pyarrow as pa
    import pytest

    from graphkit.graph.assemble import to_pandas

    rels = demo_build.tables.relationships
    with pytest.raises(ValueError, match="read-only"):
        rels.loc[rels.index[0], "end_id"] = 0
    chunked = pa.table({"node_id": pa.chunked_array([[0, 1], [2]], pa.int64())})
    for table in (chunked, chunked.combine_chunks()):
        assert not to_pandas(table)["node_id"].to_numpy().flags.writeable
    write_tables(demo_build.tables, tmp_path)
    read = read_tables(tmp_path)
    for frame, column in ((read.nodes, "node_id"), (read.relationships, "start_id"),
                          (read.relationships, "end_id")):
        frame.loc[frame.index[0], column] = 7
        assert frame[column].iloc[0] == 7 and frame[column].dtype == "int64"
    assert isinstance(read.nodes, pd.DataFrame)
