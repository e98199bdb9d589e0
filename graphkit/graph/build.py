"""The property graph of DESIGN.md: node keys, and the networkx view of a build.

Node keys: ``Record:<layout>:<record_id>``, entity ids (``person:…``, ``company:…``),
identifier keys (``Email:…``, ``Address:…``; see ``schema.id_key``) and
``Sanction:<list>:<list_id>``. Every node has a ``label``; every edge a ``type`` (also its
key), plus the properties of the schema. The graph is built as tables
(:func:`graphkit.graph.columns.build_tables`); ``build_graph`` gives its networkx view.
"""

from __future__ import annotations

import networkx as nx
import pandas as pd

from graphkit.graph.columns import build_tables, match_parts
from graphkit.graph.payer_ids import payer_entity_id
from graphkit.graph.tables import graph_from_tables
from graphkit.ingest import Ingested
from graphkit.resolve import Resolution
from graphkit.schema import Layout


def record_node(layout: Layout | str, record_id: str) -> str:
    """Node id of a record."""
    return f"Record:{Layout(layout).value}:{record_id}"


def sanction_node(list_name: str, list_id: str) -> str:
    """Node id of a sanctions-list entry."""
    return f"Sanction:{list_name}:{list_id}"


def build_graph(data: Ingested, people: Resolution, companies: Resolution,
                hits: pd.DataFrame | None = None, sanctions: pd.DataFrame | None = None
                ) -> nx.MultiDiGraph:
    """Property graph of records, entities, identifiers and sanctions matches, as a
    networkx ``MultiDiGraph`` (the view of :func:`build_tables`; for small builds)."""
    return graph_from_tables(build_tables(data, people, companies, hits, sanctions))


def add_matches(graph: nx.MultiDiGraph, hits: pd.DataFrame, sanctions: pd.DataFrame) -> None:
    """Add a Sanction node per listed entry hit and a MATCHES edge from the entity, to a
    networkx graph (the table form: ``columns.match_parts``)."""
    nodes, rels = match_parts(hits, sanctions)
    for row in nodes.to_dict("records"):
        key = row.pop("key")
        if key not in graph:
            row["aliases"], row["programs"] = list(row["aliases"]), list(row["programs"])
            graph.add_node(key, **row)
    for row in rels.to_dict("records"):
        start, end, rel = row.pop("start"), row.pop("end"), row.pop("type")
        if not graph.has_edge(start, end, key=rel):
            graph.add_edge(start, end, key=rel, type=rel, **row)


__all__ = ["add_matches", "build_graph", "payer_entity_id", "record_node", "sanction_node"]
