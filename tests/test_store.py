"""Query packs, the Bolt writer and the embedded server, on a real Bolt server (FalkorDB)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import networkx as nx
import pytest

from graphkit.cli import main
from graphkit.clusters import shared_identifier_groups
from graphkit.demo import generate_demo
from graphkit.pipeline import run_build, write_outputs
from graphkit.project import native_project
from graphkit.store.export import ARRAY_DELIMITER, export_neo4j_admin
from graphkit.store.packs import get_query, list_queries
from graphkit.store.runner import embedded, run_query
from graphkit.store.server import EMBEDDED_MAX_MESSAGE_BYTES, escape_for_falkordb
from graphkit.store.writer import BoltWriter


@pytest.fixture(scope="module")
def build_dir(demo_build, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build")
    write_outputs(demo_build, out)
    return out


@pytest.fixture(scope="module")
def bolt(build_dir):
    """The embedded server, loaded with the demo build."""
    with embedded(build_dir, show_progress=False) as session:
        yield session


def _writer(bolt) -> BoltWriter:
    return BoltWriter(bolt.driver, show_progress=False,
                      max_batch_bytes=EMBEDDED_MAX_MESSAGE_BYTES, escape=escape_for_falkordb)


def test_every_pack_query_runs_and_returns_its_columns(bolt):
    queries = list_queries()
    assert {q.pack for q in queries} == {"overview", "rings", "sanctions"}
    for query in queries:
        frame = run_query(query, bolt)
        assert list(frame.columns) == query.returns, query.ref


def test_counts_equal_the_graph(bolt, demo_build):
    g = demo_build.graph
    nodes = run_query(get_query("overview/node_counts"), bolt)
    assert int(nodes["nodes"].sum()) == g.number_of_nodes()
    rels = run_query(get_query("overview/relationship_counts"), bolt)
    assert int(rels["relationships"].sum()) == g.number_of_edges()


RING_TWINS = {
    "rings/shared_accounts": (("HAS_ACCOUNT",), ("Person", "Company"), None, "account"),
    "rings/shared_devices": (("USES_DEVICE",), ("Person",), None, "device"),
    "rings/shared_phones": (("HAS_PHONE",), ("Person", "Company"), None, "phone"),
    "rings/shared_addresses": (("LIVES_AT", "SHIPS_TO", "REGISTERED_AT"), ("Person", "Company"),
                               None, "address"),
    "rings/laptop_farms": (("SHIPS_TO",), ("Person",), "LIVES_AT", "address"),
}


@pytest.mark.parametrize("ref", sorted(RING_TWINS))
def test_ring_queries_equal_the_python_functions(ref, bolt, demo_build):
    rels, labels, exclude, column = RING_TWINS[ref]
    query = get_query(ref)
    frame = run_query(query, bolt, {"limit": 1_000_000})
    in_cypher = {row[column]: set(row["entity_ids"]) for row in frame.to_dict("records")
                 if not row["hub"]}
    params = query.bind()
    in_python = shared_identifier_groups(demo_build.graph, rels, labels, params["min_members"],
                                         params["max_members"], exclude_rel=exclude)
    assert in_cypher == in_python
    assert in_cypher  # the demo plants at least one of each


def test_sanctions_packs_find_the_planted_hits(bolt):
    matched = run_query(get_query("sanctions/matched_entities"), bolt)
    assert set(matched["list_id"]) == {"18668", "24977"}
    paid = run_query(get_query("sanctions/payments_to_sanctioned"), bolt)
    # R5: three workers paid into the front company's account; R6: an associate paid into
    # the payment handle of the worker who matches RI, Chong Chol.
    assert set(paid["listed_name"]) == {"YANBIAN SILVERSTAR NETWORK TECHNOLOGY CO., LTD.",
                                        "RI, Chong Chol"}
    assert len(set(paid["person"])) == 4


def test_loading_twice_changes_nothing(bolt, demo_build):
    before = run_query(get_query("overview/relationship_counts"), bolt)
    _writer(bolt).write(demo_build.graph)
    after = run_query(get_query("overview/relationship_counts"), bolt)
    assert before.to_dict("records") == after.to_dict("records")


def test_cypher_and_quotes_in_values_round_trip(bolt, demo_build):
    evil = ["x'}) MATCH (n) DETACH DELETE n //", "O'Brien \\ back\\slash", 'say "hi"']
    graph = nx.MultiDiGraph()
    for i, name in enumerate(evil):
        graph.add_node(f"person:evil{i}", label="Person", entity_id=f"person:evil{i}",
                       name=name, aliases=[name, "plain"])
    _writer(bolt).write(graph)
    hood = get_query("rings/member_neighbourhood")
    for i, name in enumerate(evil):
        with bolt.driver.session() as session:
            rows = session.run("MATCH (p:Person {entity_id: $id}) RETURN p.name AS name, "
                               "p.aliases AS aliases",
                               **bolt.params({"id": f"person:evil{i}"})).data()
        assert rows == [{"name": name, "aliases": [name, "plain"]}]
        assert run_query(hood, bolt, {"entity": name}).empty
    nodes = run_query(get_query("overview/node_counts"), bolt)
    assert int(nodes["nodes"].sum()) == demo_build.graph.number_of_nodes() + len(evil)


def test_query_command_on_a_fresh_build(tmp_path, capsys):
    generate_demo(tmp_path / "data", seed=2, n_people=120)
    out = tmp_path / "out"
    write_outputs(run_build(native_project(tmp_path / "data"), show_progress=False), out)
    args = ["query", "run", "rings/shared_accounts", "--out", str(out), "--format", "csv",
            "--param", "min_members=3", "--quiet"]
    assert main(args) == 0
    first = capsys.readouterr().out
    rows = list(csv.DictReader(first.splitlines()))
    assert rows and all(int(r["members"]) >= 3 for r in rows)
    assert all(len(r["entity_ids"].split(";")) == int(r["members"]) for r in rows)
    assert (out / "falkordb" / "graph.rdb").exists()  # persisted between runs
    assert main(args) == 0
    assert capsys.readouterr().out == first
    assert main(["query", "run", "rings/shared_accounts", "--out", str(out),
                 "--param", "min_members=three"]) == 2
    assert "expected int" in capsys.readouterr().err


def test_query_list_names_every_query(capsys):
    assert main(["query", "list"]) == 0
    listed = capsys.readouterr().out
    for query in list_queries():
        assert query.ref in listed


def test_neo4j_admin_export_headers_and_ids(demo_build, tmp_path, capsys):
    files, command = export_neo4j_admin(demo_build.graph, tmp_path / "import")
    node_ids: set[str] = set()
    for path in files:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            rows = list(reader)
        if path.name.startswith("nodes_"):
            assert header[:2] == ["key:ID(graphkit)", ":LABEL"]
            assert {r[1] for r in rows} == {path.stem.removeprefix("nodes_")}
            ids = [r[0] for r in rows]
            assert len(ids) == len(set(ids)) and not node_ids & set(ids)
            node_ids |= set(ids)
        else:
            assert header[:3] == [":START_ID(graphkit)", ":END_ID(graphkit)", ":TYPE"]
            assert all(r[0] in node_ids and r[1] in node_ids for r in rows)
        for column in header:
            _, _, typ = column.partition(":")
            assert typ in ("", "ID(graphkit)", "LABEL", "START_ID(graphkit)",
                           "END_ID(graphkit)", "TYPE", "long", "double", "boolean",
                           "string[]", "long[]", "double[]"), column
    assert node_ids == set(demo_build.graph.nodes)
    sanctions = (tmp_path / "import" / "nodes_Sanction.csv").read_text(encoding="utf-8")
    assert ("programs:string[]" in sanctions and ARRAY_DELIMITER in sanctions) or \
        "DPRK" in sanctions
    assert command.startswith("neo4j-admin database import full neo4j")
    assert "--array-delimiter=U+001F" in command
    again, _ = export_neo4j_admin(demo_build.graph, tmp_path / "again")
    for a, b in zip(files, again):
        assert a.read_bytes() == b.read_bytes()  # deterministic
    shutil.rmtree(tmp_path / "again")
