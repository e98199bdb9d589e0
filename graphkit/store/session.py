"""A persistent query session: one store for many pack queries.

``graphkit.query`` starts (and stops) an embedded engine per call; a session starts it once,
loads the build once, answers every query from it and stops it when the ``with`` block ends,
whatever ends it (an exception, Ctrl-C, SIGTERM: see ``graphkit.store.lifetime``).
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

import pandas as pd

from graphkit.store.base import Store
from graphkit.store.lifetime import exit_cleanly_on_signals
from graphkit.store.packs import get_query
from graphkit.store.runner import embedded_store, neo4j_from, run_query
from graphkit.store.server import DEFAULT_TIMEOUT, StoreError


class Session:
    """Pack queries on one build folder over one store connection (see the module
    docstring). Use as a context manager, or call :meth:`close`."""

    def __init__(self, out_dir: str | Path = "out", uri: str | None = None,
                 user: str | None = None, database: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        self.folder = Path(out_dir)
        self.timeout = timeout
        self._connect = (uri, user, database)
        self.store: Store | None = None

    def start(self) -> Session:
        """Connect (the embedded engine: start it, or attach to a ``graphkit serve``)."""
        if self.store is None:
            uri, user, database = self._connect
            exit_cleanly_on_signals()
            self.store = (neo4j_from(uri, user, database, self.timeout)
                          or embedded_store(self.folder, self.timeout))
        return self

    def query(self, ref: str, params: dict | None = None) -> pd.DataFrame:
        """Rows of pack query ``ref`` ('rings/shared_accounts') as a frame."""
        pack_query = get_query(ref)
        if self.store is None:
            raise StoreError("the session is closed; open a new one with graphkit.session()")
        return run_query(pack_query, self.store, params, self.folder, show_progress=False)

    def close(self) -> None:
        """Disconnect and stop the engine this session started (idempotent)."""
        store, self.store = self.store, None
        if store is not None:
            store.close()

    def __enter__(self) -> Session:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "open" if self.store is not None else "closed"
        return f"Session({str(self.folder)!r}, {state})"


def session(out_dir: str | Path = "out", uri: str | None = None, user: str | None = None,
            database: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> Session:
    """A started :class:`Session` on ``out_dir`` (Neo4j when ``uri`` or ``NEO4J_URI`` is
    given, else the embedded engine); use ``with graphkit.session("out") as s:``."""
    return Session(out_dir, uri, user, database, timeout).start()


__all__ = ["Session", "session"]
