"""The columnar build: tables equal to the row-by-row builder's, streamed outputs, the
analysis size limits, and the per-stage measurements of build.json."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import networkx as nx
import pytest
from reference_graph import reference_graph

import graphkit
from graphkit.cli import main
from graphkit.demo import generate_demo
from graphkit.graph import (
    GRAPH_JSON,
    build_tables,
    graph_from_tables,
    read_graph_json,
    tables_from_graph,
    write_graph_json,
    write_graphml,
    write_tables,
)
from graphkit.graph.households import append_households, households_table
from graphkit.ingest.project import native_project
from graphkit.pipeline import BUILD_JSON, BuildResult, entities_to_screen, run_build
from graphkit.pipeline import write_outputs as write_build
from graphkit.store.export import export_neo4j_admin, export_neo4j_admin_tables


def _same(a: nx.MultiDiGraph, b: nx.MultiDiGraph) -> None:
    assert dict(a.nodes(data=True)) == dict(b.nodes(data=True))
    assert sorted(a.edges(keys=True, data=True), key=repr) == \
        sorted(b.edges(keys=True, data=True), key=repr)


def test_tables_equal_the_row_by_row_builder(demo_build: BuildResult, tmp_path: Path) -> None:
    b = demo_build
    assert len(b.hits) >= 2  # sanctions matches are part of the comparison
    expected = reference_graph(b.data, b.people, b.companies, b.hits, b.sanctions)
    tables = build_tables(b.data, b.people, b.companies, b.hits, b.sanctions)
    _same(expected, graph_from_tables(tables))
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    write_tables(tables_from_graph(expected), tmp_path / "old")
    write_tables(tables, tmp_path / "new")
    for name in ("nodes.parquet", "relationships.parquet"):
        assert (tmp_path / "old" / name).read_bytes() == (tmp_path / "new" / name).read_bytes()
    assert tables.nodes["node_id"].tolist() == list(range(len(tables.nodes)))
    keys = tables.nodes["key"].tolist()
    assert [keys[i] for i in tables.relationships["end_id"]] == \
        tables.relationships["end"].tolist()


def test_build_result_graph_is_the_view_of_its_tables(demo_build: BuildResult) -> None:
    _same(demo_build.graph, graph_from_tables(demo_build.tables))
    labels = demo_build.tables.nodes["label"].value_counts()
    assert labels["Sanction"] == 2 and labels["Person"] > 600


def test_screening_list_has_every_entity_name_and_first_dob(demo_build: BuildResult) -> None:
    g = demo_build.graph
    names = entities_to_screen(demo_build.tables.nodes, demo_build.data, demo_build.people)
    expected = set()
    for node, attrs in g.nodes(data=True):
        if attrs["label"] in ("Person", "Company"):
            for name in [attrs.get("name", ""), *attrs.get("aliases", [])]:
                if name:
                    expected.add((node, name, attrs["label"].lower()))
    assert set(zip(names["record_id"], names["name"], names["kind"])) == expected
    people = demo_build.data.records["people"]
    dob_of = dict(zip(people["record_id"], people["dob"]))
    first_dob: dict[str, str] = {}
    for rid, entity in zip(demo_build.people.entities["record_id"],
                           demo_build.people.entities["entity_id"]):
        if dob_of.get(rid):
            first_dob.setdefault(entity, dob_of[rid])
    assert dict(zip(names["record_id"], names["dob"])) == \
        {e: first_dob.get(e, "") for e in names["record_id"]}


def test_streamed_graphml_reads_back(demo_build: BuildResult, tmp_path: Path) -> None:
    write_graphml(demo_build.tables, tmp_path / "g.graphml", batch_rows=700)
    back = nx.read_graphml(tmp_path / "g.graphml")
    g = demo_build.graph
    assert set(back.nodes) == set(g.nodes)
    assert {(s, d, k) for s, d, k in back.edges(keys=True)} == set(g.edges(keys=True))
    sanction = next(n for n, a in g.nodes(data=True) if a["label"] == "Sanction")
    assert back.nodes[sanction]["programs"] == "; ".join(g.nodes[sanction]["programs"])
    pays = next((s, d) for s, d, k in g.edges(keys=True) if k == "PAYS")
    assert back.edges[pays[0], pays[1], "PAYS"]["amount"] == \
        g.edges[pays[0], pays[1], "PAYS"]["amount"]  # typed double, not text


def test_streamed_graph_json_is_lossless(demo_build: BuildResult, tmp_path: Path) -> None:
    write_graph_json(demo_build.tables, tmp_path / GRAPH_JSON, batch_rows=333)
    _same(read_graph_json(tmp_path / GRAPH_JSON), demo_build.graph)


def test_neo4j_admin_export_streams_the_same_files(demo_build: BuildResult,
                                                   tmp_path: Path) -> None:
    write_tables(demo_build.tables, tmp_path)
    whole, command = export_neo4j_admin(demo_build.graph, tmp_path / "a")
    streamed, streamed_command = export_neo4j_admin_tables(tmp_path, tmp_path / "b",
                                                           batch_rows=500)
    assert [p.name for p in whole] == [p.name for p in streamed]
    for a, b in zip(whole, streamed):
        assert a.read_bytes() == b.read_bytes(), a.name
    assert command.replace(str(tmp_path / "a"), "") == \
        streamed_command.replace(str(tmp_path / "b"), "")


def _with_settings(result: BuildResult, **values) -> BuildResult:
    project = dataclasses.replace(result.project,
                                  settings=result.project.settings.with_overrides(**values))
    return dataclasses.replace(result, project=project, stages=list(result.stages), notes=[])


def test_large_builds_skip_graph_files_and_say_so(demo_build: BuildResult,
                                                  tmp_path: Path) -> None:
    big = _with_settings(demo_build, graph_files_max_nodes=1000)
    written = {p.name for p in write_build(big, tmp_path / "big")}
    assert "graph.graphml" not in written and GRAPH_JSON not in written
    assert {"nodes.parquet", "relationships.parquet", BUILD_JSON} <= written
    summary = (tmp_path / "big" / "summary.txt").read_text(encoding="utf-8")
    assert "graph.graphml not written" in summary and "--graph-json writes it" in summary
    record = json.loads((tmp_path / "big" / BUILD_JSON).read_text(encoding="utf-8"))
    assert any("graph.json not written" in n for n in record["notes"])
    asked = _with_settings(demo_build, graph_files_max_nodes=1000, graphml=True)
    written = {p.name for p in write_build(asked, tmp_path / "asked")}
    assert "graph.graphml" in written and GRAPH_JSON not in written
    assert graphkit.load(tmp_path / "big").number_of_nodes() == len(demo_build.tables.nodes)


def test_build_json_measures_every_stage(demo_build: BuildResult, tmp_path: Path) -> None:
    before = list(demo_build.stages)
    write_build(demo_build, tmp_path / "first")
    write_build(demo_build, tmp_path)
    assert demo_build.stages == before  # writing does not change the result
    record = json.loads((tmp_path / BUILD_JSON).read_text(encoding="utf-8"))
    names = [s["name"] for s in record["stages"]]
    assert names == ["ingest", "resolve", "screen", "graph", "clusters", "rings", "write"]
    for stage in record["stages"]:
        assert stage["seconds"] >= 0 and stage["peak_rss_mib"] > 0
        assert stage["rows_in"] >= 0 and stage["rows_out"] >= 0
    graph = record["stages"][names.index("graph")]
    assert graph["rows_out"] == record["nodes"] + record["relationships"]
    assert record["nodes"] == len(demo_build.tables.nodes)
    assert record["peak_rss_mib"] >= max(s["peak_rss_mib"] for s in record["stages"])
    assert record["settings"]["graph_files_max_nodes"] > 0
    summary = (tmp_path / "summary.txt").read_text(encoding="utf-8")
    assert "resolve:" in summary and "rows/s" in summary and "MiB" in summary


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny")
    generate_demo(folder, seed=5, n_people=80)
    return folder


def test_big_graphs_release_fields_and_find_rings_on_tables(tiny_dir: Path, capsys
                                                             ) -> None:
    small = run_build(native_project(tiny_dir), show_progress=False)
    project = native_project(tiny_dir)
    project.settings = project.settings.with_overrides(graph_view_max_nodes=10)
    result = run_build(project, show_progress=True)  # stderr is not a terminal here
    assert len(result.rings) > 0 and not result.clusters.clusters.empty
    assert result.rings.to_pandas().equals(small.rings.to_pandas())
    assert result._graph is None  # no networkx graph was built
    people = result.tables.nodes[result.tables.nodes["kind"] == "people"]
    assert list(result.data.records["people"].columns) == ["record_id"]  # fields released
    assert result.data.count()["people"] == len(people) and people["dob"].notna().any()
    err = capsys.readouterr().err
    assert "[build] graph …" in err and "[build] resolve:" in err and "rows/s" in err


def test_load_reads_parquet_and_old_builds(tiny_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["build", "--input", str(tiny_dir), "--out", str(out), "--quiet",
                 "--no-graphml"]) == 0
    assert not (out / "graph.graphml").exists() and (out / GRAPH_JSON).exists()
    from_tables = graphkit.load(out)
    (out / "nodes.parquet").unlink()
    _same(from_tables, graphkit.load(out))  # an old build: graph.json only


def test_assemble_sorts_parts_whose_key_ranges_overlap() -> None:
    import pandas as pd

    from graphkit.graph.assemble import RelPart, assemble

    parts = {"a": pd.DataFrame({"key": ["b", "d"], "label": "Person", "name": ["B", "D"]}),
             "b": pd.DataFrame({"key": ["c", "a", "b"], "label": "Email",
                                "value": ["c", "a", "b2"]})}
    rels = [RelPart(pd.DataFrame({"start": [1, 0], "end": ["a", "c"], "type": "HAS_EMAIL"}),
                    "a", "b"),
            RelPart(pd.DataFrame({"start": ["d"], "end": ["zz"], "type": "HAS_EMAIL"}))]
    tables = assemble(parts, rels)
    assert tables.nodes["key"].tolist() == ["a", "b", "c", "d"]  # the repeated "b": first
    assert tables.nodes["name"].tolist()[1] == "B" and tables.nodes["node_id"].tolist() == \
        [0, 1, 2, 3]
    rel = tables.relationships
    assert list(zip(rel["start"], rel["end"])) == [("b", "c"), ("d", "a")]  # "zz" dropped
    assert rel["start_id"].tolist() == [1, 3] and rel["end_id"].tolist() == [2, 0]


def test_report_draws_only_the_top_rings(demo_build: BuildResult, tmp_path: Path) -> None:
    from graphkit.report import write_report

    assert len(demo_build.rings) > 3
    write_report(demo_build.rings, tmp_path / "report.html", limit=3)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert page.count("class='ring-section'") == 3
    flagged = sum(r.score >= 40 for r in demo_build.rings)
    assert f"{len(demo_build.rings)} rings; {flagged} score 40 or more, the 3 highest shown" \
        in page


def test_households_assembled_with_the_graph_equal_appended_ones(demo_build: BuildResult
                                                                  ) -> None:
    """``build_tables(households=...)`` gives the same tables as appending the
    SAME_HOUSEHOLD rows afterwards (the build's path does not copy the relationships)."""
    b = demo_build
    table = households_table(b.people)
    assert len(table) > 0  # the demo world has households resolution kept apart
    together = build_tables(b.data, b.people, b.companies, b.hits, b.sanctions,
                            households=table)
    appended = append_households(build_tables(b.data, b.people, b.companies, b.hits,
                                              b.sanctions), table)
    rels_a, rels_b = together.relationships, appended.relationships
    assert (rels_a["type"] == "SAME_HOUSEHOLD").sum() == len(table)
    assert list(rels_a.columns) == list(rels_b.columns)
    for column in ("start_id", "end_id", "start", "end", "type", "evidence"):
        assert rels_a[column].astype(object).tolist() == rels_b[column].astype(object).tolist(), \
            column
    assert together.nodes.equals(appended.nodes)
