"""graphkit: find DPRK remote-IT-worker rings in hiring and payroll data.

The analyst's entry points::

    b = graphkit.open("out")           # a build folder: tables, rings, neighbourhoods
    b.nodes, b.relationships, b.entities, b.records     # pandas frames
    ring = b.rings.get(b.rings.top(1)[0].ring_id)       # also rings.of(entity or record id)
    b.rings.filter(pattern="laptop_farm", min_score=60).to_pandas()
    ring.members_df(), ring.records_df()               # with source file and line
    ring.neighbourhood(hops=2), ring.draw()            # networkx; SVG as in report.html
    with graphkit.session("out") as s:                 # one engine for many queries
        s.query("rings/shared_accounts", {"min_members": 3})
    g = graphkit.load("out")           # the whole graph (networkx MultiDiGraph)
    rings = graphkit.rings(g)          # rings found again, ranked, with evidence
    graphkit.query("rings/shared_accounts", {"min_members": 3}, out_dir="out")
    graphkit.resolve(people_df)        # records → entities, with evidence per merge
    graphkit.screen(names_df, "sdn.xml")  # sanctions hits, calibrated, with evidence

Submodules load on first use, so ``import graphkit`` is quick and ``dir(graphkit)`` lists
the public API only.
"""

from __future__ import annotations

import importlib as _importlib
import sys as _sys
import types as _types
from pathlib import Path as _Path
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

if _TYPE_CHECKING:  # imported on first use (``__getattr__``): ``graphkit --help`` stays fast
    import networkx as nx

    from graphkit.build import Build
    from graphkit.rings import Rings
    from graphkit.store.session import Session

#: Public names found in submodules, loaded on first use: name → module.
_LAZY = {
    "Build": "graphkit.build",
    "Rings": "graphkit.rings",
    "Session": "graphkit.store.session",
    "session": "graphkit.store.session",
}
#: Public subpackages (callable modules: ``graphkit.resolve(df)``, ``graphkit.screen(...)``).
_SUBMODULES = ("resolve", "screen")


def open(out_dir: str | _Path = "out") -> Build:
    """The build ``graphkit build --out out_dir`` wrote, opened for analysis
    (``graphkit.build.Build``: tables, rings, neighbourhoods, queries)."""
    from graphkit.build import Build

    return Build(out_dir)

def load(out_dir: str | _Path = "out") -> nx.MultiDiGraph:
    """The graph written by ``graphkit build --out out_dir``, as a networkx graph (read
    from ``nodes.parquet`` and ``relationships.parquet``; ``graph.json`` for builds made
    before those existed). Whole graphs this way suit builds of up to a few hundred
    thousand nodes; ``graphkit.open(out_dir)`` reads any size as tables."""
    from graphkit.graph import (
        GRAPH_JSON,
        NODES_FILE,
        graph_from_tables,
        read_graph_json,
        read_tables,
    )

    folder = _Path(out_dir)
    if (folder / NODES_FILE).exists():
        return graph_from_tables(read_tables(folder))
    return read_graph_json(folder / GRAPH_JSON)


def rings(source, **options) -> Rings:
    """Ranked rings: of a build folder (a path: the rings the build wrote, ids kept), or
    found in a networkx graph or ``GraphTables`` (options: see
    ``graphkit.rings.find_rings``)."""
    if isinstance(source, str | _Path):
        if options:
            raise TypeError("options apply to rings found in a graph, not to a build "
                            "folder's rings")
        return open(source).rings
    from graphkit.rings import find_rings

    return find_rings(source, **options)


def query(ref: str, params: dict | None = None, out_dir: str | _Path = "out", **kwargs):
    """Run a Cypher pack query and return a pandas frame (starts an engine per call; use
    ``session`` for many; see ``graphkit.store.runner``)."""
    from graphkit.store.runner import query as run

    return run(ref, params, out_dir, **kwargs)


def __getattr__(name: str) -> _Any:
    """Load the public names of submodules when first asked for (PEP 562)."""
    if name in _LAZY:
        value = getattr(_importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return _importlib.import_module(f"graphkit.{name}")
    raise AttributeError(f"module 'graphkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


class _Package(_types.ModuleType):
    """``graphkit`` itself: importing the subpackage ``graphkit.rings`` (done lazily, after
    this module ran) must not replace the function ``graphkit.rings``."""

    @property
    def rings(self) -> _Any:
        return _rings_function

    @rings.setter
    def rings(self, value: _Any) -> None:
        pass  # the import system setting the subpackage; the function stays


_rings_function = rings
del rings
_sys.modules[__name__].__class__ = _Package

__all__ = ["Build", "Rings", "Session", "load", "open", "query", "resolve", "rings", "screen",
           "session"]
