"""A build folder opened for analysis: ``graphkit.open("out")``.

One object gives every view of what ``graphkit build`` wrote, each read on first use:
the node and relationship tables (``nodes``, ``relationships``, ``entities``,
``records``), the uncertain pairs in review order (``review_pairs``), the ranked rings
with their ids as the build wrote them (``rings``), a neighbourhood of any entities as
networkx (``neighbourhood``), records with their source file and line (``records_of``),
the whole graph (``graph()``, for small builds), and pack queries (``query`` for one,
``session()`` for many over one engine).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import fields
from functools import cached_property
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from graphkit.graph import GRAPH_JSON, NODES_FILE, RELATIONSHIPS_FILE
from graphkit.graph.index import ENTITY_LABELS, GraphIndex
from graphkit.graph.neighbourhood import entity_degree, neighbourhood
from graphkit.graph.provenance import entities_of, records_of
from graphkit.graph.tables import GraphTables, graph_from_tables
from graphkit.issues import InputError
from graphkit.resolve.review import REVIEW_FILE, REVIEW_PARQUET, review_frame
from graphkit.rings.model import RingContext, Rings
from graphkit.schema import Label
from graphkit.settings import DEFAULT_SETTINGS, Settings

MANIFEST = "manifest.json"
RINGS_JSON = "rings.json"
#: Labels of identifier nodes (what hubs are among).
IDENTIFIER_LABELS = tuple(label.value for label in Label
                          if label not in (Label.RECORD, Label.PERSON, Label.COMPANY,
                                           Label.SANCTION))


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: unreadable ({exc})") from None


class Build:
    """The build in one folder (see the module docstring)."""

    def __init__(self, folder: str | Path = "out") -> None:
        self.folder = Path(folder)
        tables = [self.folder / NODES_FILE, self.folder / RELATIONSHIPS_FILE]
        if not all(p.exists() for p in tables) and not (self.folder / GRAPH_JSON).exists():
            raise InputError(f"{self.folder}: no build there ({NODES_FILE} and "
                             f"{RELATIONSHIPS_FILE}); run 'graphkit build … --out "
                             f"{self.folder}' first")

    def __repr__(self) -> str:
        return f"graphkit.open({str(self.folder)!r})  # build {self.build_id}"

    # -- what the build is ---------------------------------------------------------------
    @cached_property
    def manifest(self) -> dict:
        """``manifest.json`` (``{}`` for builds made before manifests)."""
        path = self.folder / MANIFEST
        if not path.exists():
            return {}
        data = _read_json(path)
        if not isinstance(data, dict):
            raise InputError(f"{path}: not a JSON object")
        return data

    @property
    def build_id(self) -> str:
        """The build's identity (the manifest's ``build_id``, else a hash of its tables)."""
        from graphkit.store.build import build_id

        return build_id(self.folder)

    @cached_property
    def settings(self) -> Settings:
        """The settings the build ran with (from its manifest; defaults where absent)."""
        saved = self.manifest.get("settings") or {}
        known = {f.name for f in fields(Settings)}
        values = {k: v for k, v in saved.items() if k in known}
        if isinstance(values.get("programs"), list):
            values["programs"] = tuple(values["programs"])
        return DEFAULT_SETTINGS.with_overrides(**values)

    # -- tables ----------------------------------------------------------------------------
    @cached_property
    def tables(self) -> GraphTables:
        """The node and relationship tables (``graphkit.graph.tables``)."""
        from graphkit.graph import read_graph_json, read_tables, tables_from_graph

        if (self.folder / NODES_FILE).exists():
            return read_tables(self.folder)
        return tables_from_graph(read_graph_json(self.folder / GRAPH_JSON))

    @property
    def nodes(self) -> pd.DataFrame:
        """Every node: ``node_id``, ``key``, ``label``, then property columns."""
        return self.tables.nodes

    @property
    def relationships(self) -> pd.DataFrame:
        """Every relationship: ``start_id``, ``end_id``, ``start``, ``end``, ``type``, then
        property columns."""
        return self.tables.relationships

    def nodes_of(self, label: str) -> pd.DataFrame:
        """The nodes of one label, with only the columns they fill."""
        if label not in {item.value for item in Label}:
            raise KeyError(f"unknown label {label!r}; labels: "
                           f"{', '.join(item.value for item in Label)}")
        nodes = self.nodes[self.nodes["label"] == label]
        return nodes.dropna(axis=1, how="all").reset_index(drop=True)

    @property
    def entities(self) -> pd.DataFrame:
        """The resolved people and companies (the columns they fill)."""
        nodes = self.nodes[self.nodes["label"].isin(ENTITY_LABELS)]
        return nodes.dropna(axis=1, how="all").reset_index(drop=True)

    @property
    def records(self) -> pd.DataFrame:
        """Every ingested record with its source, file and line."""
        return self.nodes_of(Label.RECORD.value)

    @property
    def review_pairs(self) -> pd.DataFrame:
        """The uncertain record pairs in review order (``review_pairs.parquet``: ``rank``,
        ``decision`` "review" or "over_budget", ``record_id_l``, ``record_id_r``, ``score``,
        ``refused_merge``, ``evidence``); builds made before that file read their
        ``review_pairs.csv`` (as written for people), older ones have none."""
        exact, csv = self.folder / REVIEW_PARQUET, self.folder / REVIEW_FILE
        if exact.exists():
            return pd.read_parquet(exact)
        if csv.exists():
            return pd.read_csv(csv, dtype={"record_id_l": str, "record_id_r": str},
                               keep_default_na=False, na_values=[""])
        return review_frame(None)

    # -- lookups -----------------------------------------------------------------------------
    @cached_property
    def index(self) -> GraphIndex:
        """Array lookups over the tables (``graphkit.graph.index``)."""
        return self.context.index

    @cached_property
    def context(self) -> RingContext:
        """What the rings of this build share: tables, lookups, the hub threshold."""
        return RingContext(self.tables, self.settings.max_identifier_share)

    @cached_property
    def hubs(self) -> dict[str, int]:
        """Identifiers joined to more than ``max_identifier_share`` entities → how many."""
        ids = np.flatnonzero(self.index.has_label(IDENTIFIER_LABELS))
        degree = entity_degree(self.index, ids)
        big = degree > self.settings.max_identifier_share
        keys = self.index.column("key", ids[big])
        return dict(zip(keys.tolist(), degree[big].tolist()))

    def entities_of(self, ref: str) -> list[str]:
        """Entity ids named by ``ref``: an entity id, a record key or a bare record id."""
        return entities_of(self.index, ref)

    def records_of(self, refs: str | Iterable[str], fields: bool = True) -> pd.DataFrame:
        """The records of the entities ``refs`` name (entity ids, record keys or record ids),
        with source, file and line (``graphkit.graph.provenance.records_of``)."""
        refs = [refs] if isinstance(refs, str) else list(refs)
        entities = sorted({e for ref in refs for e in self.entities_of(ref)})
        return records_of(self.index, entities, fields)

    # -- rings and graphs -------------------------------------------------------------------
    @cached_property
    def rings(self) -> Rings:
        """The ranked rings as the build wrote them (``rings.json``: ids kept); builds
        without it have their rings found again with the build's settings."""
        path = self.folder / RINGS_JSON
        if path.exists():
            rows = _read_json(path)
            if not isinstance(rows, list):
                raise InputError(f"{path}: not a JSON list of rings")
            for number, row in enumerate(rows):
                missing = [k for k in ("ring_id", "members") if k not in row]
                if missing:
                    raise InputError(f"{path}: ring {number + 1}: key '{missing[0]}' missing")
            return Rings.from_json(rows, self.context, self.hubs)
        from graphkit.rings import find_rings

        return find_rings(self.tables, self.settings)

    def neighbourhood(self, refs: str | Iterable[str], hops: int = 2,
                      exclude_hubs: bool = True, records: bool = False) -> nx.MultiDiGraph:
        """Entities (ids, record keys or record ids) and all within ``hops`` of them as
        networkx; hubs set aside unless ``exclude_hubs`` is false (see
        ``graphkit.graph.neighbourhood``)."""
        refs = [refs] if isinstance(refs, str) else list(refs)
        entities = sorted({e for ref in refs for e in self.entities_of(ref)})
        limit = self.settings.max_identifier_share if exclude_hubs else None
        return neighbourhood(self.index, entities, hops, limit, records)

    def graph(self) -> nx.MultiDiGraph:
        """The whole graph as networkx (suits builds of up to a few hundred thousand
        nodes; prefer ``neighbourhood`` and the tables beyond)."""
        return graph_from_tables(self.tables)

    # -- queries -----------------------------------------------------------------------------
    def query(self, ref: str, params: dict | None = None, **options) -> pd.DataFrame:
        """One pack query on this build (starts an engine for the call; see ``session``)."""
        from graphkit.store.runner import query

        return query(ref, params, self.folder, **options)

    def session(self, **options):
        """A :class:`graphkit.store.session.Session` on this build: one engine, many
        queries; use ``with build.session() as s: s.query(...)``."""
        from graphkit.store.session import session

        return session(self.folder, **options)


def open_build(folder: str | Path = "out") -> Build:
    """The build ``graphkit build --out folder`` wrote, opened for analysis."""
    return Build(folder)


__all__ = ["Build", "open_build"]
