"""Run pack queries on a store: the Neo4j server given, or the embedded engine.

Connection: ``uri`` argument, else ``NEO4J_URI``; credentials from ``NEO4J_USER`` and
``NEO4J_PASSWORD`` (never printed). With neither, the embedded engine answers: the one of a
``graphkit serve`` running on the same build folder, else a private one started for this
command (and stopped with it). Either way the embedded engine answers from the build the
folder holds now (its identity is checked before every query).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from graphkit.store.base import Store
from graphkit.store.falkor import FalkorStore
from graphkit.store.packs import PackQuery, get_query
from graphkit.store.serve import find_served
from graphkit.store.server import DEFAULT_TIMEOUT
from graphkit.store.writer import Neo4jStore


def neo4j_from(uri: str | None = None, user: str | None = None, database: str | None = None,
               timeout: float = DEFAULT_TIMEOUT) -> Neo4jStore | None:
    """The Neo4j store given by ``uri`` or ``NEO4J_*`` variables; ``None`` for embedded."""
    uri = uri or os.environ.get("NEO4J_URI")
    if not uri:
        return None
    return Neo4jStore(uri, user or os.environ.get("NEO4J_USER", "neo4j"),
                      os.environ.get("NEO4J_PASSWORD", ""), database, timeout)


def embedded_store(out_dir: str | Path, timeout: float = DEFAULT_TIMEOUT) -> FalkorStore:
    """The engine of a ``graphkit serve`` on ``out_dir``, else a new private one."""
    served = find_served(out_dir)
    if served is not None:
        return FalkorStore.attach(served["socket"], served["password"], timeout,
                                  describe=f"the engine of graphkit serve (pid {served['pid']})")
    return FalkorStore.start(timeout, folder=out_dir)


@contextmanager
def open_store(out_dir: str | Path = "out", uri: str | None = None, user: str | None = None,
               database: str | None = None, timeout: float = DEFAULT_TIMEOUT
               ) -> Iterator[Store]:
    """A store for ``out_dir``'s build (see the module docstring), closed afterwards."""
    store: Store = neo4j_from(uri, user, database, timeout) or embedded_store(out_dir, timeout)
    try:
        yield store
    finally:
        store.close()


def run_query(query: PackQuery, store: Store, params: dict | None = None,
              out_dir: str | Path = "out", show_progress: bool = True) -> pd.DataFrame:
    """Run one pack query; columns in the order of its ``returns`` header."""
    frame = store.run(query, params, out_dir, show_progress)
    if frame.empty:
        return pd.DataFrame(columns=query.returns)
    return frame


def query(ref: str, params: dict | None = None, out_dir: str | Path = "out",
          uri: str | None = None, database: str | None = None,
          timeout: float = DEFAULT_TIMEOUT) -> pd.DataFrame:
    """Run pack query ``ref`` ('rings/shared_accounts') and return its rows as a frame.

    With no ``uri`` (and no ``NEO4J_URI``), the embedded engine answers from ``out_dir``.
    """
    pack_query = get_query(ref)
    with open_store(out_dir, uri, database=database, timeout=timeout) as store:
        return run_query(pack_query, store, params, out_dir, show_progress=False)
