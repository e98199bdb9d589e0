"""The property graph as two typed tables: the columnar form every stage can share.

``nodes``: one row per node — ``node_id`` (int64, the row's position), ``key`` (the node's
stable string id, e.g. ``person:P000123`` or ``Email:jsmith@gmail.com``), ``label``, then
one column per property (null where a node lacks it). ``relationships``: one row per
relationship — ``start_id``/``end_id`` (int64 node ids), ``start``/``end`` (node keys),
``type``, then property columns. Column types come from ``graphkit.schema``
(``NODE_PROPERTY_TYPES``, ``REL_PROPERTY_TYPES``: lists of strings, float64, int64;
every other property is a string). Rows are sorted by key (nodes) and by (start, type, end)
(relationships), so the same graph always gives the same tables and the same files.

On disk: ``nodes.parquet`` and ``relationships.parquet`` (``write_tables``/``read_tables``).
``graph_from_tables`` gives the analyst's networkx view back, losslessly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from graphkit.schema import (
    NODE_PROPERTY_TYPES,
    NODE_TABLE_COLUMNS,
    REL_PROPERTY_TYPES,
    REL_TABLE_COLUMNS,
)

if TYPE_CHECKING:  # networkx is loaded by the function that builds a graph
    import networkx as nx

NODES_FILE = "nodes.parquet"
RELATIONSHIPS_FILE = "relationships.parquet"


@dataclass
class GraphTables:
    """Node and relationship tables of one graph (see the module docstring). In the
    tables a build makes, the id columns (``node_id``, ``start_id``, ``end_id``) are
    read-only (shared with the Arrow tables they were made from: copy a frame before
    writing into it in place); :func:`read_tables` gives columns that can be written."""

    nodes: pd.DataFrame
    relationships: pd.DataFrame

    def node_properties(self) -> list[str]:
        """Property columns of the node table."""
        return [c for c in self.nodes.columns if c not in NODE_TABLE_COLUMNS]

    def relationship_properties(self) -> list[str]:
        """Property columns of the relationship table."""
        return [c for c in self.relationships.columns if c not in REL_TABLE_COLUMNS]

    def label_counts(self) -> dict[str, int]:
        """Nodes per label (counted once: summary.txt, build.json and the manifest all
        say it; the tables are only read once built)."""
        return dict(self._counts("labels", self.nodes["label"]))

    def type_counts(self) -> dict[str, int]:
        """Relationships per type (counted once, as :meth:`label_counts`)."""
        return dict(self._counts("types", self.relationships["type"]))

    def _counts(self, name: str, column: pd.Series) -> dict[str, int]:
        cache = self.__dict__.setdefault("_counted", {})
        if name not in cache:
            cache[name] = {str(k): int(v) for k, v in column.value_counts().items()}
        return cache[name]


_ARROW = {"list": pa.list_(pa.string()), "float": pa.float64(), "int": pa.int64(),
          "str": pa.string()}


_PANDAS = {"int": "Int64", "float": "Float64"}


def _types(fixed: tuple[str, ...]) -> dict[str, str]:
    return NODE_PROPERTY_TYPES if fixed == NODE_TABLE_COLUMNS else REL_PROPERTY_TYPES


def _fixed_type(name: str) -> pa.DataType:
    return pa.int64() if name.endswith("_id") and name != "list_id" else pa.string()


def _cell(typ: str, value):
    """A property value coerced to its declared type (``None`` when absent)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if typ == "list":
        return [str(v) for v in (value if isinstance(value, list | tuple | set) else [value])]
    if typ == "float":
        return float(value)
    if typ == "int":
        return int(value)
    return str(value)


def _frame(rows: list[dict], fixed: tuple[str, ...]) -> pd.DataFrame:
    props = sorted({k for row in rows for k in row} - set(fixed))
    columns = {c: [row.get(c) for row in rows] for c in fixed}
    types = _types(fixed)
    for name in props:
        typ = types.get(name, "str")
        values = [_cell(typ, row.get(name)) for row in rows]
        columns[name] = pd.array(values, dtype=_PANDAS[typ]) if typ in _PANDAS else values
    return pd.DataFrame(columns, columns=[*fixed, *props])


def tables_from_graph(graph: nx.MultiDiGraph) -> GraphTables:
    """The tables of a networkx property graph (node attribute ``label``, edge ``type``)."""
    keys = sorted(graph.nodes, key=str)
    node_id = {key: i for i, key in enumerate(keys)}
    node_rows = [{**{k: v for k, v in graph.nodes[key].items() if k != "label"},
                  "node_id": node_id[key], "key": str(key),
                  "label": graph.nodes[key].get("label", "")} for key in keys]
    edges = sorted(graph.edges(keys=True, data=True),
                   key=lambda e: (str(e[0]), str(e[3].get("type", e[2])), str(e[1])))
    rel_rows = [{**{k: v for k, v in attrs.items() if k != "type"},
                 "start_id": node_id[src], "end_id": node_id[dst], "start": str(src),
                 "end": str(dst), "type": attrs.get("type", key)}
                for src, dst, key, attrs in edges]
    return GraphTables(_frame(node_rows, NODE_TABLE_COLUMNS),
                       _frame(rel_rows, REL_TABLE_COLUMNS))


def _present(value) -> bool:
    if value is None or value is pd.NA:
        return False
    return not (isinstance(value, float) and value != value)


def _plain(value):
    """A table cell as a plain Python value (numpy arrays of lists become lists)."""
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def _attribute_dicts(frame: pd.DataFrame, first: str, props: list[str]) -> list[dict]:
    """Per row, ``{first: value}`` plus its present properties (work grows with the
    filled cells, not rows × columns)."""
    rows = [{first: value} for value in frame[first].tolist()]
    for name in props:
        column = frame[name]
        present = np.flatnonzero(column.notna().to_numpy())
        if not len(present):
            continue
        values = column.iloc[present].tolist()
        for i, value in zip(present.tolist(), values):
            rows[i][name] = _plain(value)
    return rows


def graph_from_tables(tables: GraphTables) -> nx.MultiDiGraph:
    """The networkx view of the tables (edges keyed by their type); the inverse of
    ``tables_from_graph``."""
    import networkx as nx

    graph = nx.MultiDiGraph()
    nodes, rels = tables.nodes, tables.relationships
    graph.add_nodes_from(zip(nodes["key"].tolist(),
                             _attribute_dicts(nodes, "label", tables.node_properties())))
    types = rels["type"].tolist()
    graph.add_edges_from(zip(rels["start"].tolist(), rels["end"].tolist(), types,
                             _attribute_dicts(rels, "type", tables.relationship_properties())))
    return graph


def _arrow_table(frame: pd.DataFrame, fixed: tuple[str, ...]) -> pa.Table:
    types = _types(fixed)
    fields = [pa.field(c, _fixed_type(c) if c in fixed else _ARROW[types.get(c, "str")])
              for c in frame.columns]
    arrays = [pa.array(frame[f.name], type=f.type, from_pandas=True) for f in fields]
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def arrow_tables(tables: GraphTables) -> tuple[pa.Table, pa.Table]:
    """The node and relationship tables as Arrow tables typed as on disk."""
    return (_arrow_table(tables.nodes, NODE_TABLE_COLUMNS),
            _arrow_table(tables.relationships, REL_TABLE_COLUMNS))


def write_tables(tables: GraphTables, folder: str | Path) -> list[Path]:
    """Write ``nodes.parquet`` and ``relationships.parquet`` into ``folder``."""
    folder = Path(folder)
    paths = [folder / NODES_FILE, folder / RELATIONSHIPS_FILE]
    for table, path in zip(arrow_tables(tables), paths):
        pq.write_table(table, path)
    return paths


def read_tables(folder: str | Path) -> GraphTables:
    """The tables a build wrote into ``folder``, in the in-memory form ``build_tables``
    gives: int64 ids as numpy, every other column Arrow-backed (no per-value Python
    objects, so large builds read back in about the memory of the files' contents)."""
    from graphkit.graph.assemble import to_pandas

    folder = Path(folder)
    return GraphTables(to_pandas(pq.read_table(folder / NODES_FILE), writable_ids=True),
                       to_pandas(pq.read_table(folder / RELATIONSHIPS_FILE), writable_ids=True))


__all__ = ["NODES_FILE", "RELATIONSHIPS_FILE", "GraphTables", "arrow_tables", "graph_from_tables",
           "read_tables", "tables_from_graph", "write_tables"]
