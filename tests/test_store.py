"""The embedded store (FalkorDB over a private Unix socket), the pack runner and the
Neo4j writer, on the real engine: answers equal independent computations, values round-trip
exactly, nothing listens on TCP, the engine dies with its command, a query answers from the
build its folder holds now, and a stuck engine ends in a clear error."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import redis
from neo4j.exceptions import TransientError

from graphkit.cli import main
from graphkit.demo import generate_demo
from graphkit.graph import GRAPH_JSON, tables_from_graph, write_graph_json, write_tables
from graphkit.ingest.project import native_project
from graphkit.pipeline import run_build, write_outputs
from graphkit.rings.clusters import shared_identifier_groups
from graphkit.store.build import build_id, read_build
from graphkit.store.export import ARRAY_DELIMITER, export_neo4j_admin
from graphkit.store.falkor import FalkorStore
from graphkit.store.packs import PackQuery, get_query, list_queries
from graphkit.store.runner import run_query
from graphkit.store.server import EngineProcess, StoreError
from graphkit.store.writer import BoltWriter

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def build_dir(demo_build, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build")
    write_outputs(demo_build, out)
    return out


@pytest.fixture(scope="module")
def store(build_dir):
    """A private engine (no saved-graph cache) for the demo build."""
    store = FalkorStore.start(folder=build_dir, cache=False)
    yield store
    store.close()


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    """Environment for graphkit commands: private runtime and cache folders (short paths:
    a Unix socket path has at most 107 bytes)."""
    runtime = Path(tempfile.mkdtemp(prefix="gkrt"))
    environ = {**os.environ, "XDG_RUNTIME_DIR": str(runtime),
               "XDG_CACHE_HOME": str(tmp_path / "cache"), "PYTHONUNBUFFERED": "1"}
    yield environ
    shutil.rmtree(runtime, ignore_errors=True)


def _graphkit(*args: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "graphkit", *args], env=env, cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _children(pid: int) -> list[int]:
    """Process ids of the living (not zombie) children of ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def _tcp_listening_inodes() -> set[str]:
    """Socket inodes of every TCP socket in LISTEN state (IPv4 and IPv6)."""
    inodes = set()
    for name in ("tcp", "tcp6"):
        path = Path("/proc/net") / name
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A":  # LISTEN
                inodes.add(fields[9])
    return inodes


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        pass
    return inodes


def _tcp_listeners_of(pids: list[int]) -> set[str]:
    mine = set().union(*(_socket_inodes(p) for p in pids)) if pids else set()
    return mine & _tcp_listening_inodes()


def _wait_for_line(process: subprocess.Popen, text: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if text in line:
            return line
        if process.poll() is not None:
            raise AssertionError(f"exited {process.returncode}: {process.stderr.read()}")
    raise AssertionError(f"no line with {text!r} within {timeout}s")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
    process.communicate(timeout=30)


def _wait_gone(pids: list[int], timeout: float = 10) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if _alive(p)]


def _small_build(folder: Path, seed: int, people: int) -> Path:
    data = folder.parent / f"{folder.name}-data"
    generate_demo(data, seed=seed, n_people=people)
    write_outputs(run_build(native_project(data), show_progress=False), folder)
    return folder


# -- answers --------------------------------------------------------------------------------

def test_every_pack_query_runs_and_returns_its_columns(store, build_dir):
    queries = list_queries()
    assert {q.pack for q in queries} == {"overview", "rings", "sanctions"}
    for query in queries:
        frame = run_query(query, store, None, build_dir, show_progress=False)
        assert list(frame.columns) == query.returns, query.ref


def test_counts_equal_the_graph(store, build_dir, demo_build):
    g = demo_build.graph
    nodes = run_query(get_query("overview/node_counts"), store, None, build_dir)
    labels = pd.Series([a["label"] for _, a in g.nodes(data=True)]).value_counts()
    assert dict(zip(nodes["label"], nodes["nodes"])) == labels.to_dict()
    rels = run_query(get_query("overview/relationship_counts"), store, None, build_dir)
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
def test_ring_queries_equal_the_python_functions(ref, store, build_dir, demo_build):
    rels, labels, exclude, column = RING_TWINS[ref]
    query = get_query(ref)
    frame = run_query(query, store, {"limit": 1_000_000}, build_dir)
    in_cypher = {row[column]: set(row["entity_ids"]) for row in frame.to_dict("records")
                 if not row["hub"]}
    params = query.bind()
    in_python = shared_identifier_groups(demo_build.graph, rels, labels, params["min_members"],
                                         params["max_members"], exclude_rel=exclude)
    assert in_cypher == in_python
    assert in_cypher  # the demo plants at least one of each


def test_sanctions_packs_find_the_planted_hits(store, build_dir):
    matched = run_query(get_query("sanctions/matched_entities"), store, None, build_dir)
    assert set(matched["list_id"]) == {"18668", "24977"}
    paid = run_query(get_query("sanctions/payments_to_sanctioned"), store, None, build_dir)
    # R5: three workers paid into the front company's account; R6: an associate paid into
    # the payment handle of the worker who matches RI, Chong Chol.
    assert set(paid["listed_name"]) == {"YANBIAN SILVERSTAR NETWORK TECHNOLOGY CO., LTD.",
                                        "RI, Chong Chol"}
    assert len(set(paid["person"])) == 4


EVIL = ["x'}) MATCH (n) DETACH DELETE n //", "O'Brien \\ back\\slash", 'say "hi"',
        'end\\', '\\"', "line\nbreak\ttab\r", "ünï 中文 😀", "$rows", "CYPHER p0=1 RETURN 1",
        "ctl\x01\x1f\x7f", "a\x00b", "x" * 20_000]


def test_values_round_trip_exactly(tmp_path):
    graph = nx.MultiDiGraph()
    for i, name in enumerate(EVIL):
        graph.add_node(f"person:E{i}", label="Person", entity_id=f"person:E{i}", name=name,
                       aliases=[name, "plain"])
    graph.add_node("sanction:S1", label="Sanction", list_id="S1", name="X", programs=["DPRK"])
    graph.add_edge("person:E0", "sanction:S1", key="MATCHES", type="MATCHES",
                   score=0.912345678901, evidence=EVIL[1])
    folder = tmp_path / "evil"
    folder.mkdir()
    write_tables(tables_from_graph(graph), folder)
    read = PackQuery("t", "read", "", {}, ["id", "name", "aliases"],
                     "MATCH (p:Person) RETURN p.entity_id AS id, p.name AS name, "
                     "p.aliases AS aliases ORDER BY id", folder)
    store = FalkorStore.start(folder=folder, cache=False)
    try:
        stats = store.load(read_build(folder), show_progress=False)
        assert stats.cleaned == ["nodes.parquet column 'aliases': NUL replaced by U+FFFD in "
                                 "1 values", "nodes.parquet column 'name': NUL replaced by "
                                 "U+FFFD in 1 values"]
        rows = run_query(read, store, None, folder).to_dict("records")
        expected = [v.replace("\x00", "\ufffd") for v in EVIL]
        by_id = {r["id"]: r for r in rows}
        for i, value in enumerate(expected):
            assert by_id[f"person:E{i}"]["name"] == value
            assert by_id[f"person:E{i}"]["aliases"] == [value, "plain"]
        matched = run_query(get_query("sanctions/matched_entities"), store, {"min_score": 0.3},
                            folder)
        assert matched.to_dict("records") == [
            {"entity_id": "person:E0", "name": EVIL[0], "list": None, "list_id": "S1",
             "listed_name": "X", "programs": ["DPRK"], "score": 0.912345678901,
             "evidence": EVIL[1]}]
        hood = get_query("rings/member_neighbourhood")
        for value in EVIL[:3]:  # hostile parameters are values, not Cypher
            assert run_query(hood, store, {"entity": value}, folder).empty
        assert len(run_query(read, store, None, folder)) == len(EVIL)
    finally:
        store.close()


def test_an_old_build_with_only_graph_json_is_loaded(tmp_path, store, build_dir, demo_build):
    old = tmp_path / "old"
    old.mkdir()
    write_graph_json(demo_build.graph, old / GRAPH_JSON)
    query = get_query("rings/shared_accounts")
    assert run_query(query, store, None, old).equals(run_query(query, store, None, build_dir))


# -- commands -------------------------------------------------------------------------------

def test_query_command_on_a_fresh_build(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    out = _small_build(tmp_path / "out", seed=2, people=120)
    args = ["query", "run", "rings/shared_accounts", "--out", str(out), "--format", "csv",
            "--param", "min_members=3"]
    assert main(args) == 0
    captured = capsys.readouterr()
    first = captured.out
    assert "graphkit: loading build" in captured.err  # plain status lines, not a bar
    rows = list(csv.DictReader(first.splitlines()))
    assert rows and all(int(r["members"]) >= 3 for r in rows)
    assert all(len(r["entity_ids"].split(";")) == int(r["members"]) for r in rows)
    saved = list((tmp_path / "cache" / "graphkit" / "store").glob("gk_*.rdb"))
    assert len(saved) == 1  # the next command starts from the saved graph
    assert main(args) == 0
    captured = capsys.readouterr()
    assert captured.out == first and "loading build" not in captured.err
    assert main(["query", "run", "rings/shared_accounts", "--out", str(out),
                 "--param", "min_members=three"]) == 2
    assert "expected int" in capsys.readouterr().err


def test_query_command_without_a_build_is_a_clear_error(tmp_path, capsys):
    assert main(["query", "run", "overview/node_counts", "--out", str(tmp_path)]) == 2
    assert "no build there" in capsys.readouterr().err


def test_query_list_names_every_query(capsys):
    assert main(["query", "list"]) == 0
    listed = capsys.readouterr().out
    for query in list_queries():
        assert query.ref in listed


def test_a_query_after_a_rebuild_answers_from_the_new_build(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    out = _small_build(tmp_path / "out", seed=3, people=60)
    args = ["query", "run", "overview/node_counts", "--out", str(out), "--format", "json",
            "--quiet"]

    def persons() -> int:
        assert main(args) == 0
        rows = json.loads(capsys.readouterr().out)
        return next(r["nodes"] for r in rows if r["label"] == "Person")

    def expected() -> int:
        return int((read_build(out).tables.nodes["label"] == "Person").sum())

    first_id = build_id(out)
    assert persons() == expected()
    store = FalkorStore.start(folder=out, cache=False)  # an engine shared across the rebuild
    try:
        before = run_query(get_query("overview/node_counts"), store, None, out)
        shutil.rmtree(out)
        _small_build(out, seed=4, people=200)
        assert build_id(out) != first_id
        assert persons() == expected()
        after = run_query(get_query("overview/node_counts"), store, None, out)
        assert not after.equals(before)
        assert dict(zip(after["label"], after["nodes"]))["Person"] == expected()
    finally:
        store.close()


def test_load_refuses_a_uri_that_is_not_neo4j_and_the_engine_survives(store, build_dir,
                                                                       capsys):
    socket_path = store.engine.socket_path
    for uri in (f"unix://{socket_path}", str(socket_path), "redis://127.0.0.1:6379"):
        assert main(["load", str(build_dir), "--uri", uri]) == 2
        assert "over Bolt" in capsys.readouterr().err
    assert main(["load", str(build_dir), "--uri", "bolt://127.0.0.1:1", "--timeout", "2"]) == 3
    assert "cannot use this Neo4j server" in capsys.readouterr().err
    assert store.client.ping()


# -- exposure and lifetime ------------------------------------------------------------------

def test_the_engine_listens_on_no_tcp_port_and_wants_its_password(store):
    engine = store.engine
    assert not _tcp_listeners_of([engine.pid, os.getpid()])
    assert os.stat(engine.folder).st_mode & 0o777 == 0o700
    assert os.stat(engine.socket_path).st_mode & 0o077 == 0
    intruder = redis.Redis(unix_socket_path=str(engine.socket_path), socket_timeout=5)
    with pytest.raises(redis.AuthenticationError):
        intruder.execute_command("GRAPH.LIST")
    intruder.close()


def test_query_run_opens_no_tcp_port_and_leaves_no_engine(tmp_path, env):
    out = _small_build(tmp_path / "out", seed=5, people=150)
    process = _graphkit("query", "run", "overview/node_counts", "--out", str(out), env=env)
    engines: set[int] = set()
    listeners: set[str] = set()
    while process.poll() is None:
        children = _children(process.pid)
        engines.update(children)
        listeners |= _tcp_listeners_of([process.pid, *children])
        time.sleep(0.01)
    stdout, stderr = process.communicate()
    assert process.returncode == 0, stderr
    assert "Person" in stdout
    assert engines, "the engine was never seen"
    assert not listeners
    assert not _wait_gone(list(engines))


def test_serve_shares_refuses_a_second_serve_and_dies_with_sigkill(tmp_path, env):
    out = _small_build(tmp_path / "out", seed=6, people=150)
    serve = _graphkit("serve", str(out), env=env)
    try:
        line = _wait_for_line(serve, "serving")
        assert "no TCP port" in line and "127.0.0.1" not in line
        engines = _children(serve.pid)
        assert len(engines) == 1
        assert not _tcp_listeners_of([serve.pid, *engines])
        second = subprocess.run([sys.executable, "-m", "graphkit", "serve", str(out)],
                                env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
        assert second.returncode == 2
        assert "already running" in second.stderr and str(serve.pid) in second.stderr
        run = subprocess.run([sys.executable, "-m", "graphkit", "query", "run",
                              "overview/node_counts", "--out", str(out), "--format", "json"],
                             env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        assert "loading build" not in run.stderr  # it used serve's engine, already loaded
        persons = int((read_build(out).tables.nodes["label"] == "Person").sum())
        assert {"label": "Person", "nodes": persons} in json.loads(run.stdout)
        shutil.rmtree(out)  # rebuilt while serve is up: answers come from the new build
        _small_build(out, seed=7, people=40)
        run = subprocess.run([sys.executable, "-m", "graphkit", "query", "run",
                              "overview/node_counts", "--out", str(out), "--format", "json"],
                             env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        persons_now = int((read_build(out).tables.nodes["label"] == "Person").sum())
        assert persons_now != persons
        assert {"label": "Person", "nodes": persons_now} in json.loads(run.stdout)
        assert _children(serve.pid) == engines  # still the one engine, shared
        serve.send_signal(signal.SIGKILL)
        serve.wait(30)
        assert not _wait_gone(engines)
    finally:
        _stop(serve)


def test_serve_stops_its_engine_on_sigterm(tmp_path, env):
    out = _small_build(tmp_path / "out", seed=6, people=60)
    serve = _graphkit("serve", str(out), env=env)
    try:
        _wait_for_line(serve, "serving")
        engines = _children(serve.pid)
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(30) == 128 + signal.SIGTERM
        assert not _wait_gone(engines)
        assert not list(Path(env["XDG_RUNTIME_DIR"], "graphkit").glob("engine-*"))
    finally:
        _stop(serve)


def test_sigkill_of_query_run_midway_leaves_no_engine(tmp_path, env):
    out = _small_build(tmp_path / "out", seed=8, people=600)
    process = _graphkit("query", "run", "overview/node_counts", "--out", str(out), env=env)
    try:
        deadline = time.monotonic() + 60
        engines: list[int] = []
        while not engines and time.monotonic() < deadline and process.poll() is None:
            engines = _children(process.pid)
            time.sleep(0.005)
        assert engines, "the engine was never seen"
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        assert not _wait_gone(engines)
    finally:
        _stop(process)


def test_two_query_runs_at_once_both_answer(tmp_path, env):
    out = _small_build(tmp_path / "out", seed=9, people=150)
    args = ("query", "run", "rings/shared_accounts", "--out", str(out), "--format", "csv")
    first, second = _graphkit(*args, env=env), _graphkit(*args, env=env)
    results = [p.communicate(timeout=180) for p in (first, second)]
    assert first.returncode == second.returncode == 0, results
    assert results[0][0] == results[1][0] and "account,kind" in results[0][0]


def test_two_commands_sharing_an_engine_load_a_build_once(build_dir):
    from concurrent.futures import ThreadPoolExecutor

    owner = FalkorStore.start(cache=False)
    engine = owner.engine
    stores = [FalkorStore.attach(engine.socket_path, engine.password) for _ in range(2)]
    try:
        build = read_build(build_dir)
        with ThreadPoolExecutor(2) as pool:
            stats = list(pool.map(lambda s: s.load(build, show_progress=False), stores))
        assert sorted(s.nodes for s in stats) == [0, len(build.tables.nodes)]
        counts = [run_query(get_query("overview/relationship_counts"), s, None, build_dir)
                  for s in stores]
        assert counts[0].equals(counts[1])
        assert int(counts[0]["relationships"].sum()) == len(build.tables.relationships)
    finally:
        for store in stores:
            store.close()
        owner.close()


# -- time-outs ------------------------------------------------------------------------------

def test_a_stuck_engine_ends_in_a_clear_error_within_the_time_out(build_dir):
    store = FalkorStore.start(timeout=1.0, folder=build_dir, cache=False)
    try:
        run_query(get_query("overview/node_counts"), store, None, build_dir,
                  show_progress=False)
        os.kill(store.engine.pid, signal.SIGSTOP)
        started = time.monotonic()
        with pytest.raises(StoreError, match="did not answer within 1s"):
            run_query(get_query("overview/node_counts"), store, None, build_dir)
        assert time.monotonic() - started < 5
        with pytest.raises(StoreError, match="not ready after 1s"):
            FalkorStore.attach(store.engine.socket_path, store.engine.password, timeout=1.0)
        os.kill(store.engine.pid, signal.SIGCONT)
    finally:
        store.close()


def test_an_engine_that_never_gets_ready_is_stopped_with_a_clear_error():
    engine = EngineProcess(timeout=1.0)
    engine.spawn()
    pid = engine.pid
    os.kill(pid, signal.SIGSTOP)  # stuck before it could open its socket or answer
    started = time.monotonic()
    with pytest.raises(StoreError, match=r"within 1s|not ready after 1s"):
        engine.wait_ready()
    assert time.monotonic() - started < 5
    assert not _wait_gone([pid]) and engine.process is None and engine.folder is None


# -- Neo4j writer -----------------------------------------------------------------------------

class _FlakyNeo4j:
    """A driver whose first run of each statement fails with a TransientError, recording
    the parameters of every attempt (Neo4j itself cannot run here)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []

    def session(self, database=None):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def run(self, statement, **params):
        self.sent.append((statement, json.loads(json.dumps(params))))
        if len(self.sent) % 2 == 1:
            raise TransientError("deadlock detected, retry")
        return self

    def data(self) -> list:
        return []


def test_the_neo4j_writer_retries_with_the_values_it_was_given():
    graph = nx.MultiDiGraph()
    graph.add_node("person:P1", label="Person", entity_id="person:P1", name="O'Brien",
                   aliases=["O'Brien", "back\\slash"])
    graph.add_node("Email:o@x.ie", label="Email", value="o@x.ie")
    graph.add_edge("person:P1", "Email:o@x.ie", key="HAS_EMAIL", type="HAS_EMAIL")
    driver = _FlakyNeo4j()
    writer = BoltWriter(driver, show_progress=False, retries=2)
    stats = writer.write(tables_from_graph(graph))
    assert (stats.nodes, stats.relationships) == (2, 1)
    writes = [(s, p) for s, p in driver.sent if p.get("rows")]
    assert len(writes) == 6  # Email nodes, Person nodes, the relationship: each sent twice
    for first, retry in zip(writes[::2], writes[1::2]):
        assert first == retry
    person = next(p["rows"][0] for s, p in writes if ":Person" in s and "MERGE (n" in s)
    assert person["props"]["name"] == "O'Brien"
    assert person["props"]["aliases"] == ["O'Brien", "back\\slash"]
    rel = next(p["rows"][0] for s, p in writes if "HAS_EMAIL" in s)
    assert rel == {"src": "person:P1", "dst": "Email:o@x.ie", "props": {}}


# -- neo4j-admin export -----------------------------------------------------------------------

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


def test_batches_cover_every_row_once_by_label_with_filled_columns(demo_build) -> None:
    """Load batches (taken batch by batch, not by copying each label's group) hold every
    node and relationship once, labels and types in sorted order, rows in table order, at
    most ``size`` rows, and only the properties some row of that label or type fills."""
    from graphkit.store.rows import node_batches, relationship_batches

    nodes, rels = demo_build.tables.nodes, demo_build.tables.relationships
    batches = list(node_batches(nodes, 500))
    assert max(len(b) for b in batches) == 500
    labels = [b.kind.value for b in batches]
    assert labels == sorted(labels)
    ids = np.concatenate([b.ids for b in batches])
    assert sorted(ids.tolist()) == nodes["node_id"].tolist()
    for b in batches:
        rows = nodes.set_index("node_id").loc[b.ids]
        assert (rows["label"] == b.kind.value).all()
        names = list(b.columns)
        assert names[0] == "key" and b.columns["key"].tolist() == rows["key"].tolist()
        group = nodes[nodes["label"] == b.kind.value]
        filled = [c for c in nodes.columns if c not in ("node_id", "key", "label")
                  and group[c].notna().any()]
        assert names[1:] == filled
    rel_batches = list(relationship_batches(rels, 700))
    assert sum(len(b) for b in rel_batches) == len(rels)
    pairs = sorted(zip(np.concatenate([b.ids for b in rel_batches]).tolist(),
                       np.concatenate([b.ends for b in rel_batches]).tolist()))
    assert pairs == sorted(zip(rels["start_id"].tolist(), rels["end_id"].tolist()))
    assert all(np.all(np.diff(b.ids) >= 0) for b in rel_batches)  # table order kept
