"""The property graph of DESIGN.md: built as node and relationship tables (``columns``:
table operations only), held as ``GraphTables`` (``tables``, written as Parquet), viewed
as a networkx ``MultiDiGraph`` on demand (``build``), and written for other tools
(``files``: streamed GraphML and node-link JSON).

The names below load their submodule on first use (``graphkit.lazy``), so importing one
submodule (``graphkit.graph.tables``) does not load the others (``columns`` loads resolve
and scipy)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphkit.lazy import lazy_exports

if TYPE_CHECKING:
    from graphkit.graph.build import (
        add_matches,
        build_graph,
        payer_entity_id,
        record_node,
        sanction_node,
    )
    from graphkit.graph.columns import build_tables
    from graphkit.graph.files import (
        GRAPH_JSON,
        read_graph_json,
        write_graph_json,
        write_graphml,
    )
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

_MODULES = {
    "graphkit.graph.build": ("add_matches", "build_graph", "payer_entity_id", "record_node",
                             "sanction_node"),
    "graphkit.graph.columns": ("build_tables",),
    "graphkit.graph.files": ("GRAPH_JSON", "read_graph_json", "write_graph_json",
                             "write_graphml"),
    "graphkit.graph.tables": ("NODES_FILE", "RELATIONSHIPS_FILE", "GraphTables",
                              "arrow_tables", "graph_from_tables", "read_tables",
                              "tables_from_graph", "write_tables"),
}
__getattr__, __dir__ = lazy_exports(__name__, {name: module for module, names in
                                               _MODULES.items() for name in names})

__all__ = [
    "GRAPH_JSON", "NODES_FILE", "RELATIONSHIPS_FILE", "GraphTables", "add_matches",
    "arrow_tables", "build_graph", "build_tables", "graph_from_tables", "payer_entity_id",
    "read_graph_json", "read_tables", "record_node", "sanction_node", "tables_from_graph",
    "write_graph_json", "write_graphml", "write_tables",
]
