"""The analyst's API on the demo build: ``graphkit.open`` and its tables, rings by id, by
entity or record and by pattern, member and record tables with provenance checked against
the source files, neighbourhoods checked against networkx on the whole graph, the report's
drawing, a persistent query session, and ``dir(graphkit)``."""

from __future__ import annotations

import csv
import html
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

import graphkit
from graphkit.buildfolder import publish_build
from graphkit.graph import read_tables
from graphkit.issues import InputError
from graphkit.report import ring_svg
from graphkit.rings.members import MEMBER_COLUMNS
from graphkit.store.server import StoreError

REPO = Path(__file__).resolve().parent.parent
ENTITY = ("Person", "Company")


@pytest.fixture(scope="module")
def out(demo_build, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("api-build") / "out"
    publish_build(demo_build, folder)
    return folder


@pytest.fixture(scope="module")
def build(out):
    return graphkit.open(out)


@pytest.fixture(scope="module")
def whole(out) -> nx.MultiDiGraph:
    return graphkit.load(out)


def _gone(pid: int, wait: float = 15.0) -> bool:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists():
            return True
        try:
            if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
                return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


# -- the package --------------------------------------------------------------------------
def test_dir_shows_the_public_api_only():
    import graphkit.store.runner  # loading submodules must not change dir()

    names = dir(graphkit)
    assert names == sorted(graphkit.__all__)
    assert {"open", "session", "load", "rings", "query", "Build", "Session"} <= set(names)
    assert not [n for n in names if n.startswith("_") or n in ("nx", "Path", "annotations")]
    for name in names:
        assert getattr(graphkit, name) is not None
    assert callable(graphkit.rings) and callable(graphkit.resolve)


def test_open_gives_the_tables_and_the_rings_as_written(out, build, demo_build):
    tables = read_tables(out)
    assert len(build.nodes) == len(tables.nodes)
    assert len(build.relationships) == len(tables.relationships)
    assert set(build.entities["label"]) == set(ENTITY)
    assert len(build.entities) == int(tables.nodes["label"].isin(ENTITY).sum())
    records = build.records
    assert len(records) == int((tables.nodes["label"] == "Record").sum())
    assert records["file"].notna().all() and records["line"].notna().all()
    written = json.loads((out / "rings.json").read_text(encoding="utf-8"))
    assert [r.ring_id for r in build.rings] == [r["ring_id"] for r in written]
    assert [r.members for r in build.rings] == [r["members"] for r in written]
    assert [r.score for r in build.rings] == [r["score"] for r in written]
    assert [r.ring_id for r in graphkit.rings(out)] == [r["ring_id"] for r in written]
    assert build.settings == demo_build.project.settings
    assert build.rings.hubs and min(build.rings.hubs.values()) > \
        build.settings.max_identifier_share
    with pytest.raises(KeyError, match="unknown label 'Persn'"):
        build.nodes_of("Persn")


def test_open_without_a_build_names_the_folder(tmp_path):
    with pytest.raises(InputError, match=str(tmp_path)):
        graphkit.open(tmp_path)


def _copy(out: Path, folder: Path, *names: str) -> None:
    for name in ("nodes.parquet", "relationships.parquet", *names):
        (folder / name).write_bytes((out / name).read_bytes())


def test_a_broken_rings_json_names_the_file_and_ring(out, tmp_path):
    _copy(out, tmp_path, "manifest.json")
    (tmp_path / "rings.json").write_text('[{"ring_id": "X1"}]', encoding="utf-8")
    with pytest.raises(InputError, match=r"rings\.json: ring 1: key 'members' missing"):
        _ = graphkit.open(tmp_path).rings


def test_a_build_without_rings_json_finds_its_rings_again(out, build, tmp_path):
    _copy(out, tmp_path, "manifest.json")
    again = graphkit.open(tmp_path).rings
    assert [r.members for r in again.top(10)] == [r.members for r in build.rings.top(10)]
    assert [r.score for r in again.top(10)] == [r.score for r in build.rings.top(10)]


def test_the_builds_hub_threshold_flows_to_hubs_and_neighbourhoods(out, build, tmp_path):
    _copy(out, tmp_path, "rings.json")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest["settings"]["max_identifier_share"] = 3
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    strict = graphkit.open(tmp_path)
    assert strict.settings.max_identifier_share == 3
    assert len(strict.hubs) > len(build.hubs) and min(strict.hubs.values()) > 3
    ring = strict.rings.top(1)[0]
    hubs = ring.neighbourhood().graph["excluded_hubs"]
    assert hubs and min(hubs.values()) > 3
    assert len(ring.neighbourhood()) <= len(build.rings.get(ring.ring_id).neighbourhood())


# -- finding rings ------------------------------------------------------------------------
def test_rings_get_by_id_and_a_clear_error_for_an_unknown_id(build):
    for ring in build.rings.top(5):
        assert build.rings.get(ring.ring_id) is ring
    with pytest.raises(KeyError, match="no ring 'nope'"):
        build.rings.get("nope")


def test_rings_of_an_entity_a_record_key_and_a_bare_record_id(build, whole):
    ring = build.rings.top(1)[0]
    member = ring.members[0]
    assert ring in build.rings.of(member)
    record_keys = [s for s, _, k in whole.in_edges(member, keys=True) if k == "RESOLVED_TO"]
    assert record_keys
    for key in record_keys:
        assert ring in build.rings.of(key)
        assert ring in build.rings.of(whole.nodes[key]["record_id"])
    in_rings = {m for r in build.rings for m in r.members}
    loner = next(k for k, a in whole.nodes(data=True)
                 if a["label"] == "Person" and k not in in_rings)
    assert build.rings.of(loner) == []
    with pytest.raises(KeyError, match="no entity, record key or record id 'Z999'"):
        build.rings.of("Z999")
    phone = next(k for k, a in whole.nodes(data=True) if a["label"] == "Phone")
    with pytest.raises(KeyError, match="is a Phone node"):
        build.rings.of(phone)


def test_rings_filter_by_pattern_and_score_keeps_ids_and_order(build):
    rings = build.rings
    picked = rings.filter(pattern="shared_device", min_score=50)
    ids = [r.ring_id for r in picked]
    assert ids and ids == [r.ring_id for r in rings if r.ring_id in set(ids)]
    for ring in rings:
        weighs = any(e.pattern == "shared_device" and e.weight > 0 for e in ring.evidence)
        assert (ring.ring_id in ids) == (weighs and ring.score >= 50)
    either = rings.filter(pattern=["laptop_farm", "shared_device"])
    assert set(ids) <= {r.ring_id for r in either}
    assert len(rings.filter(min_members=5)) == sum(len(r.members) >= 5 for r in rings)
    assert list(picked.to_pandas()["ring_id"]) == ids
    rank = dict(zip(rings.to_pandas()["ring_id"], rings.to_pandas()["rank"]))
    assert list(picked.to_pandas()["rank"]) == [rank[i] for i in ids]
    with pytest.raises(ValueError, match=r"unknown pattern.*laptop_frm"):
        rings.filter(pattern="laptop_frm")


# -- a ring's tables ----------------------------------------------------------------------
def test_members_df_against_the_relationships(build):
    rels = build.relationships
    names = build.nodes.set_index("key")["name"]
    listed = next(r for r in build.rings
                  if any(e.pattern == "sanctioned_counterparty" for e in r.evidence))
    for ring in [*build.rings.top(3), listed]:
        frame = ring.members_df()
        assert list(frame.columns) == ["ring_id", *MEMBER_COLUMNS]
        assert sorted(frame["entity"]) == sorted(ring.members)
        for row in frame.itertuples():
            pays = rels[(rels["type"] == "PAYS") & (rels["end"] == row.entity)]
            if len(pays):
                assert row.total_paid == pytest.approx(pays["amount"].astype(float).sum())
            works = rels[(rels["type"] == "WORKS_FOR") & (rels["start"] == row.entity)]
            assert row.employers == "; ".join(sorted(set(names[works["end"]])))
            matches = rels[(rels["type"] == "MATCHES") & (rels["start"] == row.entity)]
            assert bool(row.sanctions) == bool(len(matches))
            assert row.name == names[row.entity]
            named = {e.pattern for e in ring.evidence if row.entity in e.entities}
            assert set(filter(None, row.patterns.split("; "))) == named
            dated = build.records_of(row.entity)
            when = [v[:10] for c in ("paid_at", "shipped_at", "at") if c in dated.columns
                    for v in dated[c].dropna().astype(str)]
            if when:
                assert (row.first_seen, row.last_seen) == (min(when), max(when))
            else:
                assert pd.isna(row.first_seen) and pd.isna(row.last_seen)
    assert (listed.members_df()["sanctions"] != "").any()


def test_records_df_lines_point_at_the_rows_in_the_source_files(build, demo_dir):
    checked = 0
    for ring in build.rings.top(3):
        frame = ring.records_df()
        assert {"entity", "record", "record_id", "file", "line", "patterns"} <= set(frame.columns)
        assert set(frame["entity"]) <= set(ring.members)
        assert frame["line"].notna().all()
        cited = {r for e in ring.evidence for r in e.records}
        assert cited and cited <= set(frame["record_id"])
        for row in frame.itertuples():
            lines = (demo_dir / row.file).read_text(encoding="utf-8").splitlines()
            assert next(csv.reader([lines[row.line - 1]]))[0] == row.record_id
            assert bool(row.patterns) == (row.record_id in cited)
            checked += 1
    assert checked > 10


def test_records_of_by_entity_record_key_or_record_id(build):
    member = build.rings.top(1)[0].members[0]
    by_entity = build.records_of(member)
    key = by_entity["record"].iloc[0]
    assert by_entity.equals(build.records_of(key))
    assert by_entity.equals(build.records_of(by_entity["record_id"].iloc[0]))


# -- neighbourhoods -----------------------------------------------------------------------
def _ego(whole: nx.MultiDiGraph, seeds: list[str], hops: int, max_share: int | None
         ) -> set[str]:
    """The independent answer: networkx ego graphs over the whole graph without records
    (and without hubs, counted here from the whole graph, unless ``max_share`` is None)."""
    plain = nx.Graph()
    plain.add_nodes_from(n for n, a in whole.nodes(data=True) if a["label"] != "Record")
    plain.add_edges_from((a, b) for a, b in whole.to_undirected().edges()
                         if a in plain and b in plain)
    if max_share is not None:
        hubs = [n for n in plain if n not in seeds and sum(
            whole.nodes[m]["label"] in ENTITY for m in plain[n]) > max_share]
        plain.remove_nodes_from(hubs)
    return set().union(*(nx.ego_graph(plain, s, radius=hops) for s in seeds))


def test_neighbourhood_equals_ego_graphs_with_and_without_hubs(build, whole):
    share = build.settings.max_identifier_share
    for ring in build.rings.top(3):
        full = ring.neighbourhood(hops=2, exclude_hubs=False)
        assert set(full) == _ego(whole, ring.members, 2, None)
        assert full.number_of_edges() == whole.subgraph(full).number_of_edges()
        assert full.graph["excluded_hubs"] == {}
        small = ring.neighbourhood(hops=2)
        assert set(small) == _ego(whole, ring.members, 2, share)
        assert small.number_of_edges() == whole.subgraph(small).number_of_edges()
        assert len(small) < len(full)
        hubs = small.graph["excluded_hubs"]
        assert hubs and all(n > share and hub not in small for hub, n in hubs.items())
        employers = {b for m in ring.members for _, b, k in whole.out_edges(m, keys=True)
                     if k == "WORKS_FOR"}
        assert employers and employers <= set(hubs)
        one = ring.neighbourhood(hops=1)
        assert set(one) == _ego(whole, ring.members, 1, share)
    ring = build.rings.top(1)[0]
    with_records = ring.neighbourhood(records=True)
    added = set(with_records) - set(ring.neighbourhood())
    assert added and all(whole.nodes[n]["label"] == "Record" for n in added)
    assert set(ring.records_df()["record"]) <= added


def test_build_neighbourhood_of_a_record_id_and_unknown_refs(build, whole):
    member = build.rings.top(1)[0].members[0]
    record = build.records_of(member)["record_id"].iloc[0]
    assert set(build.neighbourhood(record)) == set(build.neighbourhood(member))
    with pytest.raises(KeyError, match="Z999"):
        build.neighbourhood("Z999")


def test_draw_is_the_report_drawing(build):
    ring = build.rings.top(1)[0]
    svg = ring.draw()
    assert svg.startswith("<svg") and svg == ring_svg(ring)
    # every member drawn, titled with its raw name as in report.html
    assert svg.count("<title>Person: ") + svg.count("<title>Company: ") >= len(ring.members)
    assert all(f": {html.escape(n)}</title>" in svg for n in ring.names)


# -- sessions -----------------------------------------------------------------------------
@pytest.fixture
def embedded(monkeypatch):
    """Sessions on the embedded engine, whatever NEO4J_URI the environment has."""
    monkeypatch.delenv("NEO4J_URI", raising=False)


def test_a_session_starts_one_engine_for_many_queries_and_stops_it(out, embedded):
    with graphkit.session(out) as session:
        pid = session.store.engine.pid
        counts = session.query("overview/node_counts")
        shared = session.query("rings/shared_accounts", {"min_members": 2})
        assert session.store.engine.pid == pid and not _gone(pid, 0.0)
    assert _gone(pid)
    persons = int((read_tables(out).nodes["label"] == "Person").sum())
    assert persons in counts.loc[counts["label"] == "Person", "nodes"].tolist()
    assert shared.equals(graphkit.query("rings/shared_accounts", {"min_members": 2},
                                        out_dir=out))
    with pytest.raises(StoreError, match="closed"):
        session.query("overview/node_counts")


def test_a_session_stops_its_engine_on_an_error_and_on_sigterm(out, embedded):
    with pytest.raises(ZeroDivisionError), graphkit.session(out) as session:
        pid = session.store.engine.pid
        _ = 1 / 0
    assert _gone(pid)
    script = ("import sys, time, graphkit\n"
              "s = graphkit.session(sys.argv[1])\n"
              "print(s.store.engine.pid, flush=True)\n"
              "time.sleep(120)\n")
    child = subprocess.Popen([sys.executable, "-c", script, str(out)], stdout=subprocess.PIPE,
                             text=True, cwd=REPO, env=os.environ.copy())
    try:
        engine = int(child.stdout.readline())
        child.send_signal(signal.SIGTERM)
        assert child.wait(30) == 128 + signal.SIGTERM
        assert _gone(engine)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


# -- the example --------------------------------------------------------------------------
def test_the_example_runs_on_the_demo_build(out, embedded):
    run = subprocess.run([sys.executable, str(REPO / "examples" / "analyst.py"), str(out)],
                         cwd=REPO, capture_output=True, text=True, timeout=300,
                         env=os.environ.copy())
    assert run.returncode == 0, run.stderr
    top = graphkit.open(out).rings.top(1)[0]
    assert top.ring_id in run.stdout and "file" in run.stdout
    frame = pd.read_csv(out / "rings.csv")
    assert str(frame["ring_id"].iloc[0]) in run.stdout
