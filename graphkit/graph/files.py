"""Whole-graph files for other tools, streamed: GraphML and networkx node-link JSON.

Both writers read the graph in record batches (from the Parquet files a build wrote, from
``GraphTables``, or from a networkx graph) and write element by element, so memory stays
bounded by one batch whatever the graph's size. ``nodes.parquet`` and
``relationships.parquet`` remain the lossless graph; these files are conveniences (Gephi,
yEd, ``networkx.read_graphml``; ``graphkit.load`` on old builds).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from graphkit.graph.tables import (
    NODES_FILE,
    RELATIONSHIPS_FILE,
    GraphTables,
    arrow_tables,
    tables_from_graph,
)

#: File name of the node-link JSON graph (read by ``read_graph_json``).
GRAPH_JSON = "graph.json"
#: Rows per batch when streaming a graph out.
BATCH_ROWS = 50_000

GraphSource = GraphTables | nx.MultiDiGraph | str | Path


def graph_batches(source: GraphSource, which: str, batch_rows: int = BATCH_ROWS
                  ) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    """Schema and record batches of the ``"nodes"`` or ``"relationships"`` table of
    ``source``: a build folder (its Parquet files, read batch by batch), tables or a
    networkx graph."""
    if isinstance(source, str | Path):
        handle = pq.ParquetFile(Path(source) / (NODES_FILE if which == "nodes"
                                                else RELATIONSHIPS_FILE))
        return handle.schema_arrow, handle.iter_batches(batch_size=batch_rows)
    if isinstance(source, nx.MultiDiGraph):
        source = tables_from_graph(source)
    table = arrow_tables(source)[0 if which == "nodes" else 1]
    return table.schema, iter(table.to_batches(max_chunksize=batch_rows))


# --- GraphML ----------------------------------------------------------------------------

_XML_INVALID = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
_GRAPHML_HEAD = (
    "<?xml version='1.0' encoding='utf-8'?>\n"
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
    'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n')


def _graphml_type(typ: pa.DataType) -> str:
    if pa.types.is_floating(typ):
        return "double"
    if pa.types.is_integer(typ):
        return "long"
    return "string"


def _escaped(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """A column as XML-escaped text; lists joined with '; ', empty lists as null."""
    if pa.types.is_list(column.type):
        column = pc.if_else(pc.greater(pc.list_value_length(column), 0),
                            pc.binary_join(column, "; "), None)
    elif not pa.types.is_string(column.type):
        column = column.cast(pa.string())
    text = pc.replace_substring_regex(column, _XML_INVALID, "")
    for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        text = pc.replace_substring(text, raw, entity)
    return text


def _data_cells(batch: pa.RecordBatch, keys: dict[str, str]) -> pa.Array:
    """Per row, the ``<data>`` elements of its present, non-empty properties."""
    out = pa.array([""] * batch.num_rows, pa.string())
    for name, key in keys.items():
        text = _escaped(batch.column(name))
        cell = pc.binary_join_element_wise(f'<data key="{key}">', text, "</data>", "")
        keep = pc.fill_null(pc.not_equal(text, ""), False)
        out = pc.binary_join_element_wise(out, pc.if_else(keep, cell, ""), "")
    return out


def write_graphml(source: GraphSource, path: str | Path, batch_rows: int = BATCH_ROWS
                  ) -> None:
    """Write the graph as GraphML, streamed (nodes carry ``label``, edges ``type``; lists
    joined with '; '; empty values left out; an edge's id is its type)."""
    node_schema, nodes = graph_batches(source, "nodes", batch_rows)
    rel_schema, rels = graph_batches(source, "relationships", batch_rows)
    node_keys = {name: f"n{i}" for i, name in enumerate(
        f.name for f in node_schema if f.name not in ("node_id", "key"))}
    rel_keys = {name: f"e{i}" for i, name in enumerate(
        f.name for f in rel_schema if f.name not in ("start_id", "end_id", "start", "end"))}
    with Path(path).open("w", encoding="utf-8", newline="\n") as out:
        out.write(_GRAPHML_HEAD)
        for kind, schema, keys in (("node", node_schema, node_keys),
                                   ("edge", rel_schema, rel_keys)):
            for name, key in keys.items():
                out.write(f'  <key id="{key}" for="{kind}" attr.name="{name}" '
                          f'attr.type="{_graphml_type(schema.field(name).type)}"/>\n')
        out.write('  <graph edgedefault="directed">\n')
        for batch in nodes:
            head = pc.binary_join_element_wise('    <node id="', _escaped(batch.column("key")),
                                               '">', "")
            lines = pc.binary_join_element_wise(head, _data_cells(batch, node_keys),
                                                "</node>\n", "")
            out.write("".join(lines.to_pylist()))
        for batch in rels:
            head = pc.binary_join_element_wise(
                '    <edge source="', _escaped(batch.column("start")), '" target="',
                _escaped(batch.column("end")), '" id="', _escaped(batch.column("type")), '">',
                "")
            lines = pc.binary_join_element_wise(head, _data_cells(batch, rel_keys),
                                                "</edge>\n", "")
            out.write("".join(lines.to_pylist()))
        out.write("  </graph>\n</graphml>\n")


# --- node-link JSON ---------------------------------------------------------------------

def _json_items(batch: pa.RecordBatch, skip: tuple[str, ...], last: dict[str, str]
                ) -> list[dict]:
    """One dict per row of ``batch``: its present (non-null) values in column order,
    except the ``skip`` columns, then ``last`` (item key: column) at the end. Columns
    null on every row of the batch are left out before any row is looked at."""
    names = [n for n in batch.schema.names
             if n not in skip and batch.column(n).null_count < batch.num_rows]
    columns = [batch.column(n).to_pylist() for n in names]
    tails = [batch.column(c).to_pylist() for c in last.values()]
    tail_keys = list(last)
    return [{**{n: v for n, v in zip(names, values, strict=True) if v is not None},
             **dict(zip(tail_keys, tail, strict=True))}
            for values, tail in zip(zip(*columns, strict=True), zip(*tails, strict=True),
                                    strict=True)]


def write_graph_json(source: GraphSource, path: str | Path, batch_rows: int = BATCH_ROWS
                     ) -> None:
    """Write the graph losslessly (lists kept) as networkx node-link JSON
    (``edges="edges"``), streamed a batch at a time (one item a line)."""
    _, nodes = graph_batches(source, "nodes", batch_rows)
    _, rels = graph_batches(source, "relationships", batch_rows)
    encode = json.JSONEncoder(ensure_ascii=False).encode  # one encoder, not one per item
    with Path(path).open("w", encoding="utf-8") as out:
        out.write('{"directed": true, "multigraph": true, "graph": {}, "nodes": [')
        first = True
        for batch in nodes:
            items = _json_items(batch, ("node_id", "key"), {"id": "key"})
            if items:
                out.write(("" if first else ",\n") + ",\n".join(map(encode, items)))
                first = False
        out.write('],\n"edges": [')
        first = True
        for batch in rels:
            items = _json_items(batch, ("start_id", "end_id", "start", "end"),
                                {"source": "start", "target": "end", "key": "type"})
            if items:
                out.write(("" if first else ",\n") + ",\n".join(map(encode, items)))
                first = False
        out.write("]}\n")


def graph_from_json(data: dict) -> nx.MultiDiGraph:
    """The graph of a parsed graph.json document (relationships under ``"edges"``)."""
    # networkx 3.4 renamed node_link_graph's keyword ``link`` to ``edges`` (3.6 dropped ``link``)
    keyword = "edges" if "edges" in inspect.signature(nx.node_link_graph).parameters else "link"
    return nx.node_link_graph(data, directed=True, multigraph=True, **{keyword: "edges"})


def read_graph_json(path: str | Path) -> nx.MultiDiGraph:
    """Read a graph written by :func:`write_graph_json` (small graphs: read whole)."""
    return graph_from_json(json.loads(Path(path).read_text(encoding="utf-8")))


__all__ = ["GRAPH_JSON", "graph_batches", "graph_from_json", "read_graph_json", "write_graph_json",
           "write_graphml"]
