"""graphkit: find DPRK remote-IT-worker rings in hiring and payroll data.

The analyst's entry points::

    g = graphkit.load("out")          # the graph a build wrote (networkx MultiDiGraph)
    rings = graphkit.rings(g)         # ranked rings with evidence
    rings.top(10), rings.to_pandas(), rings.top(1)[0].subgraph()
    graphkit.query("rings/shared_accounts", {"min_members": 3}, out_dir="out")
    graphkit.resolve(people_df)        # records → entities, with evidence per merge
    graphkit.screen(names_df, "sdn.xml")  # sanctions hits, calibrated, with evidence
"""

from __future__ import annotations

import importlib
import sys
import types
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported on first use (``__getattr__``): ``graphkit --help`` stays fast
    import networkx as nx

    from graphkit import resolve, screen
    from graphkit.rings import Rings

#: Public names imported on first use, and the module that holds each.
_LAZY = {"resolve": "graphkit.resolve", "screen": "graphkit.screen", "Rings": "graphkit.rings"}


def __getattr__(name: str) -> Any:
    """Import ``resolve``, ``screen`` and ``Rings`` when first asked for (PEP 562)."""
    if name not in _LAZY:
        raise AttributeError(f"module 'graphkit' has no attribute {name!r}")
    module = importlib.import_module(_LAZY[name])
    value = module if name == _LAZY[name].rsplit(".", 1)[1] else getattr(module, name)
    globals()[name] = value
    return value


def load(out_dir: str | Path = "out") -> nx.MultiDiGraph:
    """The graph written by ``graphkit build --out out_dir``, as a networkx graph (read
    from ``nodes.parquet`` and ``relationships.parquet``; ``graph.json`` for builds made
    before those existed). Whole graphs this way suit builds of up to a few hundred
    thousand nodes; ``graphkit.graph.read_tables`` reads any size as tables."""
    from graphkit.graph import (
        GRAPH_JSON,
        NODES_FILE,
        graph_from_tables,
        read_graph_json,
        read_tables,
    )

    folder = Path(out_dir)
    if (folder / NODES_FILE).exists():
        return graph_from_tables(read_tables(folder))
    return read_graph_json(folder / GRAPH_JSON)


def rings(graph: nx.MultiDiGraph, **options) -> Rings:
    """Rings of ``graph`` ranked by risk score (options: see ``graphkit.rings.find_rings``)."""
    from graphkit.rings import find_rings

    return find_rings(graph, **options)


def query(ref: str, params: dict | None = None, out_dir: str | Path = "out", **kwargs):
    """Run a Cypher pack query and return a pandas frame (see ``graphkit.store.runner``)."""
    from graphkit.store.runner import query as run

    return run(ref, params, out_dir, **kwargs)


class _Package(types.ModuleType):
    """``graphkit`` itself: importing the subpackage ``graphkit.rings`` (done lazily, after
    this module ran) must not replace the function ``graphkit.rings``."""

    @property
    def rings(self) -> Any:
        return _rings_function

    @rings.setter
    def rings(self, value: Any) -> None:
        pass  # the import system setting the subpackage; the function stays


_rings_function = rings
del rings
sys.modules[__name__].__class__ = _Package

__all__ = ["Rings", "load", "query", "resolve", "rings", "screen"]
