"""The embedded store: FalkorDB spoken over its own protocol on a private Unix socket.

Each build is held as its own graph, named for the build's identity (``gk_<id>``); a key
``graphkit:ready:<graph>`` is written only once the whole build is in, so a graph that is
half loaded is never queried. Before every query the build's identity is read again from
its folder, so an answer always comes from the build named: a rebuilt folder is loaded
afresh (and older graphs dropped). Loads use the engine's bulk insert (``GRAPH.BULK``,
``falkor_bulk``), 50,000 nodes or relationships per round trip, under a lock key so that
two commands sharing an engine never load the same build twice.
"""

from __future__ import annotations

import json
import secrets
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import redis
from falkordb.graph import Graph

from graphkit.graph import NODES_FILE, RELATIONSHIPS_FILE, GraphTables
from graphkit.schema import Label
from graphkit.store.base import LoadStats
from graphkit.store.build import Build, build_id, read_build
from graphkit.store.falkor_bulk import Cleaned, node_blob, relationship_blob
from graphkit.store.packs import PackQuery
from graphkit.store.rows import KEY, node_batches, relationship_batches
from graphkit.store.server import (
    DEFAULT_TIMEOUT,
    EngineProcess,
    StoreError,
    StoreUnavailable,
    cache_root,
    connect,
)

#: Nodes or relationships per ``GRAPH.BULK`` call.
BULK_BATCH = 50_000
#: Saved graphs kept in the cache (the newest builds').
KEEP_SAVED = 4
GRAPH_PREFIX = "gk_"
ENTITY_LABELS = ("Person", "Company")
_READY = "graphkit:ready:"
_LOADING = "graphkit:loading:"


def graph_name(identity: str) -> str:
    """The engine's graph name for a build identity."""
    safe = "".join(c for c in identity if c.isalnum() or c in "-_")[:48]
    return f"{GRAPH_PREFIX}{safe}"


def _status(message: str) -> None:
    """A plain status line on standard error (progress, also in pipes)."""
    print(f"graphkit: {message}", file=sys.stderr, flush=True)


class FalkorStore:
    """The embedded store (see the module docstring): ``load``, ``run``, ``close``."""

    def __init__(self, client: redis.Redis, engine: EngineProcess | None = None,
                 timeout: float = DEFAULT_TIMEOUT, describe: str = "the embedded engine",
                 cache: Path | None = None) -> None:
        self.client = client
        self.engine = engine
        self.timeout = timeout
        self.describe = describe
        self.cache = cache  # folder of saved graphs the engine writes to, if any

    @classmethod
    def start(cls, timeout: float = DEFAULT_TIMEOUT, folder: str | Path | None = None,
              cache: bool = True) -> FalkorStore:
        """A store on a new private engine that stops with this process; it starts from the
        saved graph of the build in ``folder`` when the cache holds one."""
        root = cache_root() if cache else None
        dbfile = None
        if root is not None and folder is not None:
            dbfile = root / f"{graph_name(build_id(folder))}.rdb"
        try:
            engine = EngineProcess(timeout, dbfile).start()
        except StoreError:
            if dbfile is None or not dbfile.exists():
                raise
            dbfile.unlink(missing_ok=True)  # an unreadable saved graph: start without it
            _status(f"removed an unreadable saved graph ({dbfile.name}); loading afresh")
            engine = EngineProcess(timeout, dbfile).start()
        assert engine.client is not None
        return cls(engine.client, engine, timeout, cache=root)

    @classmethod
    def attach(cls, socket_path: str | Path, password: str, timeout: float = DEFAULT_TIMEOUT,
               describe: str = "the shared engine") -> FalkorStore:
        """A store on a running engine (``graphkit serve``'s), checked to answer."""
        from graphkit.store.server import wait_ready

        client = connect(Path(socket_path), password, timeout)
        wait_ready(client, timeout, describe)
        return cls(client, None, timeout, describe)

    # -- identity ---------------------------------------------------------------------
    def loaded_build(self, identity: str) -> dict | None:
        """What the engine holds for build ``identity`` (``None`` unless fully loaded)."""
        text = self._call("GET", _READY + graph_name(identity))
        return json.loads(text) if text else None

    def ensure(self, folder: str | Path, show_progress: bool = True) -> str:
        """Make sure the build in ``folder`` is loaded; returns its graph name."""
        identity = build_id(folder)
        name = graph_name(identity)
        if self.loaded_build(identity) is None:
            self.load(read_build(folder), show_progress=show_progress)
        return name

    # -- loading ----------------------------------------------------------------------
    def load(self, build: Build, show_progress: bool = True) -> LoadStats:
        """Load ``build`` unless the engine holds it already (another command may be
        loading it: then wait for that load, as long as it makes progress)."""
        name = graph_name(build.build_id)
        token = secrets.token_hex(8)
        lock = _LOADING + name
        while True:
            if self.loaded_build(build.build_id) is not None:
                return LoadStats(0, 0, 0.0)
            if self._call("SET", lock, token, "NX", "PX", max(1, int(self.timeout * 1000))):
                break
            time.sleep(0.1)  # the lock expires unless its holder keeps loading
        try:
            stats = self._load(build, name, lock, token, show_progress)
            self._call("SET", _READY + name, json.dumps(
                {"build_id": build.build_id, "folder": str(build.folder),
                 "nodes": stats.nodes, "relationships": stats.relationships}))
        finally:
            if self._call("GET", lock) == token:
                self._call("DEL", lock)
        self._drop_others(name)
        self._save(name, show_progress)
        return stats

    def _save(self, name: str, show_progress: bool) -> None:
        """Save the loaded graph in the cache, so that the next command starts from it."""
        if self.cache is None or self.engine is None:
            return
        started = time.perf_counter()
        try:
            self._call("CONFIG", "SET", "dbfilename", f"{name}.rdb")
            self._call("SAVE")
        except (StoreError, redis.ResponseError) as exc:
            _status(f"could not save the loaded graph for the next command ({exc})")
            return
        if show_progress:
            _status(f"saved for the next command in {time.perf_counter() - started:.1f}s")
        saved = sorted(self.cache.glob(f"{GRAPH_PREFIX}*.rdb"), key=lambda p: p.stat().st_mtime,
                       reverse=True)
        for old in saved[KEEP_SAVED:]:
            old.unlink(missing_ok=True)

    def _load(self, build: Build, name: str, lock: str, token: str,
              show_progress: bool) -> LoadStats:
        started = time.perf_counter()
        if name in self._call("GRAPH.LIST"):
            self._call("GRAPH.DELETE", name)  # left half loaded by a command that died
        tables = build.tables
        total_nodes, total_rels = len(tables.nodes), len(tables.relationships)
        if show_progress:
            _status(f"loading build {build.build_id[:12]} into the embedded engine: "
                    f"{total_nodes:,} nodes, {total_rels:,} relationships")
        cleaned = Cleaned()
        size = int(tables.nodes["node_id"].max()) + 1 if total_nodes else 0
        internal = np.full(size, -1, dtype=np.int64)
        first, done, last = True, 0, time.monotonic()
        for batch in node_batches(tables.nodes, BULK_BATCH):
            internal[batch.ids] = np.arange(done, done + len(batch), dtype=np.int64)
            self._bulk(name, first, len(batch), 0, [node_blob(batch, NODES_FILE, cleaned)],
                       [], lock, token)
            first = False
            done += len(batch)
            last = self._progress(show_progress, last, "nodes", done, total_nodes)
        node_seconds = time.perf_counter() - started
        done = 0
        for batch in relationship_batches(tables.relationships, BULK_BATCH):
            starts, ends = internal[batch.ids], internal[batch.ends]
            if (starts < 0).any() or (ends < 0).any():
                raise StoreError(f"{RELATIONSHIPS_FILE}: a {batch.kind.value} relationship "
                                 f"names a node id that {NODES_FILE} does not have")
            blob = relationship_blob(batch, starts, ends, RELATIONSHIPS_FILE, cleaned)
            self._bulk(name, first, 0, len(batch), [], [blob], lock, token)
            first = False
            done += len(batch)
            last = self._progress(show_progress, last, "relationships", done, total_rels)
        rel_seconds = time.perf_counter() - started - node_seconds
        self._check_ids(name, tables, internal)
        self._index(name, sorted(tables.nodes["label"].unique()))
        seconds = time.perf_counter() - started
        stats = LoadStats(total_nodes, total_rels, seconds, node_seconds, rel_seconds,
                          cleaned.lines())
        if show_progress:
            rate = total_rels / stats.relationship_seconds if stats.relationship_seconds else 0
            _status(f"loaded in {seconds:.1f}s (nodes {node_seconds:.1f}s, relationships "
                    f"{rel_seconds:.1f}s: {rate:,.0f}/s, checks and indexes "
                    f"{seconds - node_seconds - rel_seconds:.1f}s)")
        for line in stats.cleaned:
            _status(line)
        return stats

    def _bulk(self, name: str, first: bool, nodes: int, rels: int, labels: list[bytes],
              types: list[bytes], lock: str, token: str) -> None:
        """One ``GRAPH.BULK`` call (the first one creates the graph)."""
        if self._call("GET", lock) != token:  # a time-out: worth retrying (exit 3)
            raise StoreUnavailable(f"{self.describe}: lost the load lock (another command "
                                   "took over after a time-out); run again")
        self._call("PEXPIRE", lock, max(1, int(self.timeout * 1000)))
        args = ["BEGIN"] if first else []
        try:
            self.client.execute_command("GRAPH.BULK", name, *args, nodes, rels, len(labels),
                                        len(types), *labels, *types)
        except redis.ResponseError as exc:
            raise StoreError(f"{self.describe} refused a load batch: {exc}") from exc
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise StoreUnavailable(f"{self.describe} stopped answering while loading "
                             f"(time-out {self.timeout:g}s): {exc}") from exc

    def _index(self, name: str, labels: list[str]) -> None:
        """Range indexes on ``key`` for every label (and ``entity_id`` for people and
        companies), so that lookups by key seek; waits until the engine has built them."""
        graph = Graph(self.client, name)
        for label in labels:
            for prop in (KEY, "entity_id") if label in ENTITY_LABELS else (KEY,):
                graph.query(f"CREATE INDEX FOR (n:{Label(label).value}) ON (n.{prop})")
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            status = graph.ro_query("CALL db.indexes() YIELD status RETURN status").result_set
            if all(str(row[0]).upper() == "OPERATIONAL" for row in status):
                return
            time.sleep(0.05)
        raise StoreError(f"{self.describe}: indexes not built within {self.timeout:g}s")

    def _check_ids(self, name: str, tables: GraphTables, internal: np.ndarray) -> None:
        """Check that the engine numbered the nodes as sent: the node count, and the key of
        every label's first and last node."""
        graph = Graph(self.client, name)
        count = graph.ro_query("MATCH (n) RETURN count(n)").result_set[0][0]
        if count != len(tables.nodes):
            raise StoreError(f"{self.describe}: {count:,} nodes loaded, "
                             f"{len(tables.nodes):,} sent")
        nodes = tables.nodes
        sample = pd.concat([nodes.groupby("label").head(1), nodes.groupby("label").tail(1)])
        ids = internal[sample["node_id"].to_numpy()].tolist()
        found = graph.ro_query("UNWIND $ids AS i MATCH (n) WHERE id(n) = i RETURN n.key",
                               {"ids": ids}).result_set
        if [r[0] for r in found] != sample["key"].tolist():
            raise StoreError(f"{self.describe}: node ids differ from the order sent")

    def _progress(self, say: bool, last: float, what: str, done: int, total: int) -> float:
        now = time.monotonic()
        if say and (now - last >= 2.0 or done == total):
            _status(f"  {what}: {done:,} of {total:,}")
            return now
        return last

    def _drop_others(self, keep: str) -> None:
        """Delete the graphs of other builds (a folder answers from its newest build)."""
        for name in self._call("GRAPH.LIST"):
            if name.startswith(GRAPH_PREFIX) and name != keep:
                self._call("DEL", _READY + name)
                self._call("GRAPH.DELETE", name)

    # -- queries ----------------------------------------------------------------------
    def run(self, query: PackQuery, params: dict | None = None, folder: str | Path = "out",
            show_progress: bool = True) -> pd.DataFrame:
        """Run one read-only pack query on the build in ``folder`` (loading it if the
        engine does not hold that very build)."""
        name = self.ensure(folder, show_progress)
        graph = Graph(self.client, name)
        try:
            result = graph.ro_query(query.cypher, query.bind(params),
                                    timeout=max(1, int(self.timeout * 1000)))
        except redis.ResponseError as exc:
            hint = " (a longer --timeout may help)" if "timed out" in str(exc) else ""
            raise StoreError(f"{query.ref}: {self.describe} refused the query: {exc}{hint}") \
                from exc
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise StoreUnavailable(f"{query.ref}: {self.describe} did not answer within "
                             f"{self.timeout:g}s ({exc})") from exc
        columns = [h[1] if isinstance(h, list | tuple) else h for h in result.header]
        frame = pd.DataFrame(result.result_set, columns=columns)
        return frame[[c for c in query.returns if c in frame.columns]]

    def _call(self, *args):
        try:
            return self.client.execute_command(*args)
        except redis.AuthenticationError as exc:
            raise StoreUnavailable(f"{self.describe} refused the password") from exc
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise StoreUnavailable(f"{self.describe} did not answer within {self.timeout:g}s "
                             f"({type(exc).__name__}: {exc})") from exc

    def close(self) -> None:
        """Disconnect; stop the engine if this store started it."""
        if self.engine is not None:
            self.engine.close()
            self.engine = None
        else:
            self.client.close()
