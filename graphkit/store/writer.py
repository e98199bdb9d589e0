"""Write the property graph to any Bolt server (Neo4j, FalkorDB) with the official driver.

Nodes are merged on a ``key`` property (the networkx node id) in UNWIND batches, one
statement per label; relationships in batches per (type, start label, end label). Labels
and types come from ``graphkit.schema`` only and every value travels as a parameter, so
nothing from the data is ever spliced into Cypher. Loading twice changes nothing.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import networkx as nx
from neo4j import Driver
from neo4j.exceptions import ClientError, DatabaseError, ServiceUnavailable, TransientError
from tqdm import tqdm

from graphkit.progress import on_terminal
from graphkit.schema import Label, Rel

DEFAULT_BATCH = 5000
_IDEMPOTENT_RETRY = (TransientError, ServiceUnavailable, DatabaseError)
KEY = "key"


@dataclass
class WriteStats:
    """What a write did."""

    nodes: int
    relationships: int
    seconds: float
    node_seconds: float = 0.0
    relationship_seconds: float = 0.0


def _property(value):
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple | set):
        items = list(value)
        if all(isinstance(v, str) for v in items):
            return items
        if all(isinstance(v, bool | int | float) for v in items):
            return items
        return [str(v) for v in items]
    return json.dumps(value, default=str)


def properties(attrs: dict) -> dict:
    """Bolt-safe properties: scalars and lists of scalars; empty values left out."""
    return {k: _property(v) for k, v in attrs.items() if v not in (None, "", [], ())}


def node_batches(graph: nx.MultiDiGraph) -> dict[Label, list[dict]]:
    """Rows ``{key, props}`` per node label."""
    rows: dict[Label, list[dict]] = defaultdict(list)
    for node, attrs in graph.nodes(data=True):
        rows[Label(attrs["label"])].append({"key": node, "props": properties(attrs)})
    return rows


def relationship_batches(graph: nx.MultiDiGraph) -> dict[tuple[Rel, Label, Label], list[dict]]:
    """Rows ``{src, dst, props}`` per (type, start label, end label)."""
    rows: dict[tuple[Rel, Label, Label], list[dict]] = defaultdict(list)
    for src, dst, key, attrs in graph.edges(keys=True, data=True):
        group = (Rel(key), Label(graph.nodes[src]["label"]), Label(graph.nodes[dst]["label"]))
        props = properties({k: v for k, v in attrs.items() if k != "type"})
        rows[group].append({"src": src, "dst": dst, "props": props})
    return rows


def merge_nodes_statement(label: Label) -> str:
    """UNWIND-batched MERGE of nodes of one label (label from the schema enum only)."""
    return (f"UNWIND $rows AS row MERGE (n:{Label(label).value} {{{KEY}: row.key}}) "
            "SET n += row.props")


def merge_relationships_statement(rel: Rel, start: Label, end: Label) -> str:
    """UNWIND-batched MERGE of relationships of one type between two labels."""
    return (f"UNWIND $rows AS row MATCH (a:{Label(start).value} {{{KEY}: row.src}}) "
            f"MATCH (b:{Label(end).value} {{{KEY}: row.dst}}) "
            f"MERGE (a)-[r:{Rel(rel).value}]->(b) SET r += row.props")


class BoltWriter:
    """Loads a graphkit graph into a Bolt server."""

    def __init__(self, driver: Driver, database: str | None = None,
                 batch_size: int = DEFAULT_BATCH, retries: int = 4,
                 show_progress: bool = True, max_batch_bytes: int | None = None,
                 escape: Callable | None = None) -> None:
        self.driver = driver
        self.escape = escape
        self.max_batch_bytes = max_batch_bytes
        self.database = database
        self.batch_size = batch_size
        self.retries = retries
        self.show_progress = show_progress and on_terminal()

    def run(self, statement: str, retry_on: tuple = (TransientError, ServiceUnavailable),
            **params) -> list[dict]:
        """Run one statement (auto-commit), retrying ``retry_on`` failures with back-off."""
        for attempt in range(self.retries + 1):
            try:
                if self.escape is not None:
                    params = self.escape(params)
                with self.driver.session(database=self.database) as session:
                    return session.run(statement, **params).data()
            except retry_on:
                if attempt == self.retries:
                    raise
                time.sleep(0.2 * 2 ** attempt)
        raise AssertionError("unreachable")

    def ensure_indexes(self, labels: list[Label]) -> None:
        """Index ``key`` on every label: on FalkorDB (which lists indexes with
        ``db.indexes()``) a range index, created once; elsewhere (Neo4j 5) a uniqueness
        constraint, ``IF NOT EXISTS``."""
        try:
            existing = self.run("CALL db.indexes() YIELD label, properties "
                                "RETURN label, properties")
        except (ClientError, DatabaseError):
            existing = None
        for label in labels:
            name = Label(label).value
            if existing is None:
                self.run(f"CREATE CONSTRAINT IF NOT EXISTS FOR (n:{name}) "
                         f"REQUIRE n.{KEY} IS UNIQUE")
            elif not any(r["label"] == name and KEY in r["properties"] for r in existing):
                self.run(f"CREATE INDEX FOR (n:{name}) ON (n.{KEY})")
        self._wait_for_indexes()

    def _wait_for_indexes(self, timeout: float = 30.0) -> None:
        """Wait until no index is still being built (FalkorDB builds them in the background)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                rows = self.run("CALL db.indexes() YIELD status RETURN status")
            except (ClientError, DatabaseError):
                return  # a server without this procedure builds indexes synchronously
            if all(str(r["status"]).upper() == "OPERATIONAL" for r in rows):
                return
            time.sleep(0.1)

    def wipe(self) -> None:
        """Delete every node and relationship in the database."""
        self.run("MATCH (n) DETACH DELETE n")

    def _batches(self, rows: list[dict]) -> Iterator[list[dict]]:
        """Batches of at most ``batch_size`` rows and, when set, ``max_batch_bytes``."""
        if self.max_batch_bytes is None:
            for start in range(0, len(rows), self.batch_size):
                yield rows[start:start + self.batch_size]
            return
        batch: list[dict] = []
        size = 0
        for row in rows:
            row_size = len(json.dumps(row, default=str).encode("utf-8"))
            if batch and (size + row_size > self.max_batch_bytes
                          or len(batch) >= self.batch_size):
                yield batch
                batch, size = [], 0
            batch.append(row)
            size += row_size
        if batch:
            yield batch

    def write(self, graph: nx.MultiDiGraph, wipe: bool = False) -> WriteStats:
        """Merge all nodes, then all relationships, of ``graph``."""
        started = time.perf_counter()
        nodes = node_batches(graph)
        rels = relationship_batches(graph)
        if wipe:
            self.wipe()
        self.ensure_indexes(list(nodes))
        total = graph.number_of_nodes() + graph.number_of_edges()
        with tqdm(total=total, desc="write", unit="item", disable=not self.show_progress) as bar:
            node_start = time.perf_counter()
            self._write_groups(nodes, merge_nodes_statement, bar.update)
            rel_start = time.perf_counter()
            self._write_groups(rels, lambda group: merge_relationships_statement(*group),
                               bar.update)
        done = time.perf_counter()
        return WriteStats(graph.number_of_nodes(), graph.number_of_edges(), done - started,
                          rel_start - node_start, done - rel_start)

    def _write_groups(self, groups: dict, statement: Callable, advance: Callable) -> None:
        for group, rows in groups.items():
            query = statement(group)
            for batch in self._batches(rows):
                # MERGE is idempotent, so a batch that failed for any server-side reason
                # (FalkorDB reports a busy index as a general DatabaseError) is retried.
                self.run(query, retry_on=_IDEMPOTENT_RETRY, rows=batch)
                advance(len(batch))
