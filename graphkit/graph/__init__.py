"""The property graph of DESIGN.md: built from the resolved tables (``build``), held as node
and relationship tables (``tables``, the columnar form written as Parquet) and, for the
analyst, as a networkx ``MultiDiGraph``."""

from graphkit.graph.build import (
    GRAPH_JSON,
    add_matches,
    build_graph,
    payer_entity_id,
    read_graph_json,
    record_node,
    sanction_node,
    write_graph_json,
    write_graphml,
)
from graphkit.graph.tables import (
    NODES_FILE,
    RELATIONSHIPS_FILE,
    GraphTables,
    graph_from_tables,
    read_tables,
    tables_from_graph,
    write_tables,
)

__all__ = [
    "GRAPH_JSON", "NODES_FILE", "RELATIONSHIPS_FILE", "GraphTables", "add_matches",
    "build_graph", "graph_from_tables", "payer_entity_id", "read_graph_json", "read_tables",
    "record_node", "sanction_node", "tables_from_graph", "write_graph_json", "write_graphml",
    "write_tables",
]
