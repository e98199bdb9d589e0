"""The property graph of DESIGN.md: built as node and relationship tables (``columns``:
table operations only), held as ``GraphTables`` (``tables``, written as Parquet), viewed
as a networkx ``MultiDiGraph`` on demand (``build``), and written for other tools
(``files``: streamed GraphML and node-link JSON)."""

from graphkit.graph.build import (
    add_matches,
    build_graph,
    payer_entity_id,
    record_node,
    sanction_node,
)
from graphkit.graph.columns import build_tables
from graphkit.graph.files import GRAPH_JSON, read_graph_json, write_graph_json, write_graphml
from graphkit.graph.tables import (
    NODES_FILE,
    RELATIONSHIPS_FILE,
    GraphTables,
    arrow_tables,
    graph_from_tables,
    read_tables,
    tables_from_graph,
    write_tables,
)

__all__ = [
    "GRAPH_JSON", "NODES_FILE", "RELATIONSHIPS_FILE", "GraphTables", "add_matches",
    "arrow_tables", "build_graph", "build_tables", "graph_from_tables", "payer_entity_id",
    "read_graph_json", "read_tables", "record_node", "sanction_node", "tables_from_graph",
    "write_graph_json", "write_graphml", "write_tables",
]
