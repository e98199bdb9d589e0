"""The Neo4j store: write a build to a Neo4j server over Bolt and run pack queries there.

Nodes are merged on a ``key`` property in UNWIND batches, one statement per label;
relationships in batches per (type, start label, end label). Labels and types come from
``graphkit.schema`` only and every value travels as a parameter, so nothing from the data
is ever spliced into Cypher. Loading twice changes nothing. A failed batch is retried with
exactly the rows it was first given.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd
from neo4j import Driver, GraphDatabase, Query
from neo4j.exceptions import (
    AuthError,
    ClientError,
    DatabaseError,
    ServiceUnavailable,
    TransientError,
)

from graphkit.graph import GraphTables
from graphkit.issues import InputError
from graphkit.progress import Progress
from graphkit.schema import Label, Rel
from graphkit.store.base import LoadStats
from graphkit.store.build import Build
from graphkit.store.packs import PackQuery
from graphkit.store.rows import KEY, node_batches, relationship_batches
from graphkit.store.server import DEFAULT_TIMEOUT, StoreError, StoreUnavailable

DEFAULT_BATCH = 5000
_IDEMPOTENT_RETRY = (TransientError, ServiceUnavailable, DatabaseError)
#: URI schemes of the Neo4j driver.
BOLT_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")


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


def merge_nodes_statement(label: Label) -> str:
    """UNWIND-batched MERGE of nodes of one label (label from the schema enum only)."""
    return (f"UNWIND $rows AS row MERGE (n:{Label(label).value} {{{KEY}: row.key}}) "
            "SET n += row.props")


def merge_relationships_statement(rel: Rel, start: Label, end: Label) -> str:
    """UNWIND-batched MERGE of relationships of one type between two labels."""
    return (f"UNWIND $rows AS row MATCH (a:{Label(start).value} {{{KEY}: row.src}}) "
            f"MATCH (b:{Label(end).value} {{{KEY}: row.dst}}) "
            f"MERGE (a)-[r:{Rel(rel).value}]->(b) SET r += row.props")


def node_rows(tables: GraphTables, batch: int) -> Iterable[tuple[Label, list[dict]]]:
    """``(label, rows {key, props})`` batches of the node table."""
    for part in node_batches(tables.nodes, batch):
        yield part.kind, [{"key": r[KEY], "props": properties(r)} for r in part.records()]


def relationship_rows(tables: GraphTables, batch: int
                      ) -> Iterable[tuple[tuple[Rel, Label, Label], list[dict]]]:
    """``((type, start label, end label), rows {src, dst, props})`` batches."""
    nodes = tables.nodes
    key_of = pd.Series(nodes["key"].to_numpy(), index=nodes["node_id"].to_numpy())
    label_of = pd.Series(nodes["label"].to_numpy(), index=nodes["node_id"].to_numpy())
    for part in relationship_batches(tables.relationships, batch):
        starts, ends = key_of[part.ids].tolist(), key_of[part.ends].tolist()
        groups: dict[tuple[Rel, Label, Label], list[dict]] = {}
        for src, dst, s_label, e_label, props in zip(
                starts, ends, label_of[part.ids].tolist(), label_of[part.ends].tolist(),
                part.records()):
            groups.setdefault((part.kind, Label(s_label), Label(e_label)), []).append(
                {"src": src, "dst": dst, "props": properties(props)})
        yield from groups.items()


class BoltWriter:
    """Loads a build's tables into a Neo4j server."""

    def __init__(self, driver: Driver, database: str | None = None,
                 batch_size: int = DEFAULT_BATCH, retries: int = 4,
                 show_progress: bool = True) -> None:
        self.driver = driver
        self.database = database
        self.batch_size = batch_size
        self.retries = retries
        self.show_progress = show_progress  # a bar on a terminal, else status lines

    def run(self, statement: str, retry_on: tuple = (TransientError, ServiceUnavailable),
            **params) -> list[dict]:
        """Run one statement (auto-commit), retrying ``retry_on`` failures with back-off;
        every attempt sends the same ``params``."""
        for attempt in range(self.retries + 1):
            try:
                with self.driver.session(database=self.database) as session:
                    return session.run(statement, **params).data()
            except retry_on:
                if attempt == self.retries:
                    raise
                time.sleep(0.2 * 2 ** attempt)
        raise AssertionError("unreachable")

    def ensure_constraints(self, labels: Iterable[Label]) -> None:
        """A uniqueness constraint on ``key`` per label (Neo4j 5, ``IF NOT EXISTS``)."""
        for label in labels:
            name = Label(label).value
            self.run(f"CREATE CONSTRAINT IF NOT EXISTS FOR (n:{name}) "
                     f"REQUIRE n.{KEY} IS UNIQUE")

    def wipe(self) -> None:
        """Delete every node and relationship in the database."""
        self.run("MATCH (n) DETACH DELETE n")

    def write(self, tables: GraphTables, wipe: bool = False) -> LoadStats:
        """Merge all nodes, then all relationships, of ``tables``."""
        started = time.perf_counter()
        if wipe:
            self.wipe()
        self.ensure_constraints(sorted(set(tables.nodes["label"].unique())))
        total = len(tables.nodes) + len(tables.relationships)
        with Progress(total, "load", unit="item", show=self.show_progress) as bar:
            self._write_groups(node_rows(tables, self.batch_size), merge_nodes_statement,
                               bar.update)
            rel_start = time.perf_counter()
            self._write_groups(relationship_rows(tables, self.batch_size),
                               lambda group: merge_relationships_statement(*group), bar.update)
        done = time.perf_counter()
        return LoadStats(len(tables.nodes), len(tables.relationships), done - started,
                         rel_start - started, done - rel_start)

    def _write_groups(self, batches: Iterable, statement: Callable, advance: Callable) -> None:
        for group, rows in batches:
            # MERGE is idempotent, so a batch that failed for a server-side reason is retried
            self.run(statement(group), retry_on=_IDEMPOTENT_RETRY, rows=rows)
            advance(len(rows))


def _why_unusable(exc: BaseException, timeout: float) -> str:
    """Why a Neo4j server could not be used, in a few words, then the driver's own."""
    text = " ".join(str(exc).split())
    if isinstance(exc, AuthError):
        why = "it refused the user name or password (--user/NEO4J_USER, NEO4J_PASSWORD)"
    elif "refused" in text.lower():
        why = "connection refused (is it running, on this host and port?)"
    elif "routing" in text.lower():
        why = "no routing information (is it running? a single server may want bolt://)"
    elif "timed out" in text.lower() or "timeout" in text.lower():
        why = f"no answer within {timeout:g}s (--timeout)"
    else:
        why = "not reachable"
    return f"{why} [{type(exc).__name__}: {text}]"


class Neo4jStore:
    """A Neo4j server over Bolt (``--uri``/``NEO4J_URI``): ``load``, ``run``, ``close``."""

    def __init__(self, uri: str, user: str, password: str, database: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        scheme = uri.split("://", 1)[0].lower() if "://" in uri else ""
        if scheme not in BOLT_SCHEMES:
            raise InputError(f"--uri {uri!r}: graphkit talks to Neo4j over Bolt "
                             f"({', '.join(s + '://' for s in BOLT_SCHEMES)}); the embedded "
                             "engine needs no --uri (it loads builds itself)")
        self.uri, self.database, self.timeout = uri, database, timeout
        self.driver = GraphDatabase.driver(uri, auth=(user, password),
                                           connection_timeout=timeout,
                                           connection_acquisition_timeout=timeout)
        try:
            self.driver.verify_connectivity()
        except (ServiceUnavailable, AuthError, OSError, ValueError) as exc:
            self.driver.close()
            raise StoreUnavailable(f"{uri}: cannot use this Neo4j server: "
                                   f"{_why_unusable(exc, timeout)}") from None

    def load(self, build: Build, show_progress: bool = True, wipe: bool = False) -> LoadStats:
        """Merge the build's nodes and relationships into the database."""
        return BoltWriter(self.driver, self.database, show_progress=show_progress).write(
            build.tables, wipe=wipe)

    def run(self, query: PackQuery, params: dict | None = None, folder: str | Path = "out",
            show_progress: bool = True) -> pd.DataFrame:
        """Run one pack query (on whatever the database holds: load it with ``load``)."""
        try:
            with self.driver.session(database=self.database) as session:
                records = session.run(Query(query.cypher, timeout=self.timeout),
                                      **query.bind(params)).data()
        except ServiceUnavailable as exc:
            raise StoreUnavailable(f"{query.ref}: {self.uri} stopped answering: "
                                   f"{' '.join(str(exc).split())}") from None
        except (ClientError, DatabaseError) as exc:
            raise StoreError(f"{query.ref}: {self.uri}: {exc}") from None
        frame = pd.DataFrame.from_records(records)
        if frame.empty:
            return pd.DataFrame(columns=query.returns)
        return frame[[c for c in query.returns if c in frame.columns]]

    def close(self) -> None:
        """Close the driver."""
        self.driver.close()
