"""Run pack queries against a Bolt server: the one given, or the embedded default.

Connection: ``uri`` argument, else ``NEO4J_URI``; credentials from ``NEO4J_USER`` and
``NEO4J_PASSWORD`` (never printed). With neither, graphkit starts the embedded server with
its data under ``<out>/falkordb`` and loads ``<out>/graph.json`` when the server does not
hold that build yet.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from neo4j import Driver, GraphDatabase

from graphkit.graph import GRAPH_JSON, read_graph_json
from graphkit.issues import InputError
from graphkit.store.packs import PackQuery, get_query
from graphkit.store.server import (
    EMBEDDED_MAX_MESSAGE_BYTES,
    EmbeddedServer,
    escape_for_falkordb,
)
from graphkit.store.writer import BoltWriter

EMBEDDED_DIR = "falkordb"
_MARKER = "loaded-build.sha256"


@dataclass
class Connection:
    """Where to connect: a URI and credentials (the password is never shown)."""

    uri: str
    user: str = "neo4j"
    password: str = ""
    database: str | None = None

    def __repr__(self) -> str:
        return f"Connection(uri={self.uri!r}, user={self.user!r}, database={self.database!r})"

    def driver(self) -> Driver:
        """A driver for this connection."""
        return GraphDatabase.driver(self.uri, auth=(self.user, self.password))


def connection_from(uri: str | None = None, user: str | None = None,
                    password: str | None = None, database: str | None = None
                    ) -> Connection | None:
    """The connection given by arguments or ``NEO4J_*`` variables; ``None`` for embedded."""
    uri = uri or os.environ.get("NEO4J_URI")
    if not uri:
        return None
    return Connection(uri, user or os.environ.get("NEO4J_USER", "neo4j"),
                      password if password is not None else os.environ.get("NEO4J_PASSWORD", ""),
                      database)


def build_digest(out_dir: Path) -> str:
    """Fingerprint of the build in ``out_dir`` (its graph.json)."""
    path = out_dir / GRAPH_JSON
    if not path.exists():
        raise InputError(f"{out_dir}: no {GRAPH_JSON}; run 'graphkit build … --out {out_dir}' "
                         "first")
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_build(driver: Driver, out_dir: Path, database: str | None = None,
               wipe: bool = True, show_progress: bool = True,
               max_batch_bytes: int | None = None, escape: Callable | None = None) -> int:
    """Write the build in ``out_dir`` to the server; returns the number of nodes."""
    graph = read_graph_json(out_dir / GRAPH_JSON)
    BoltWriter(driver, database, show_progress=show_progress, max_batch_bytes=max_batch_bytes,
               escape=escape).write(graph, wipe=wipe)
    return graph.number_of_nodes()


@dataclass
class Session:
    """An open connection to a Bolt server: a driver and the database to use."""

    driver: Driver
    database: str | None = None
    embedded: bool = False
    uri: str = ""

    def params(self, params: dict) -> dict:
        """Parameters as this server needs them sent (escaped for the embedded one)."""
        return escape_for_falkordb(params) if self.embedded else params


@contextmanager
def embedded(out_dir: str | Path, show_progress: bool = True) -> Iterator[Session]:
    """Start the embedded server for the build in ``out_dir``, loaded with that build."""
    out = Path(out_dir)
    digest = build_digest(out)
    server = EmbeddedServer(out / EMBEDDED_DIR)
    server.start()
    try:
        assert server.driver is not None
        marker = out / EMBEDDED_DIR / _MARKER
        if not marker.exists() or marker.read_text().strip() != digest:
            load_build(server.driver, out, wipe=True, show_progress=show_progress,
                       max_batch_bytes=EMBEDDED_MAX_MESSAGE_BYTES, escape=escape_for_falkordb)
            marker.write_text(digest + "\n")
        yield Session(server.driver, embedded=True, uri=server.uri)
    finally:
        server.stop()


@contextmanager
def connect(out_dir: str | Path = "out", uri: str | None = None, user: str | None = None,
            password: str | None = None, database: str | None = None,
            show_progress: bool = True) -> Iterator[Session]:
    """A session on the given server (arguments or ``NEO4J_*``), else on the embedded one."""
    conn = connection_from(uri, user, password, database)
    if conn is None:
        with embedded(out_dir, show_progress) as session:
            yield session
        return
    with conn.driver() as driver:
        yield Session(driver, conn.database)


def run_query(query: PackQuery, session: Session, params: dict | None = None) -> pd.DataFrame:
    """Run one pack query; columns in the order of its ``returns`` header."""
    with session.driver.session(database=session.database) as bolt:
        records = bolt.run(query.cypher, **session.params(query.bind(params))).data()
    frame = pd.DataFrame.from_records(records)
    if frame.empty:
        return pd.DataFrame(columns=query.returns)
    return frame[[c for c in query.returns if c in frame.columns]]


def query(ref: str, params: dict | None = None, out_dir: str | Path = "out",
          uri: str | None = None, database: str | None = None) -> pd.DataFrame:
    """Run pack query ``ref`` ('rings/shared_accounts') and return its rows as a frame.

    With no ``uri`` (and no ``NEO4J_URI``), the embedded server for ``out_dir`` is used.
    """
    pack_query = get_query(ref)
    with connect(out_dir, uri, database=database, show_progress=False) as session:
        return run_query(pack_query, session, params)
