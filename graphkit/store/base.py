"""The store interface: load a build, run a pack query, close. One implementation per
engine (``falkor.FalkorStore``, the embedded default; ``writer.Neo4jStore``, Neo4j over
Bolt), so each engine's quirks stay in its own module."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pandas as pd

from graphkit.store.build import Build
from graphkit.store.packs import PackQuery


@dataclass
class LoadStats:
    """What a load did (zeros when the store held the build already)."""

    nodes: int
    relationships: int
    seconds: float
    node_seconds: float = 0.0
    relationship_seconds: float = 0.0
    cleaned: list[str] = field(default_factory=list)


class Store(Protocol):
    """A graph store graphkit can load and query."""

    def load(self, build: Build, show_progress: bool = True) -> LoadStats:
        """Load ``build`` (the embedded store: unless it holds that build already)."""
        ...

    def run(self, query: PackQuery, params: dict | None = None, folder: str | Path = "out",
            show_progress: bool = True) -> pd.DataFrame:
        """Rows of ``query`` as a frame, columns in the order of its ``returns``."""
        ...

    def close(self) -> None:
        """Release the connection (and stop an engine the store started)."""
        ...
