"""Lookups over one graph's tables, built once: node key → node id, labels by id, and the
relationship endpoints as plain arrays (so neighbourhoods and provenance are array
operations, never a walk over the whole graph in Python)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property

import numpy as np
import pandas as pd

from graphkit.graph.tables import GraphTables
from graphkit.schema import Label, Rel

#: Labels of resolved entities.
ENTITY_LABELS: tuple[str, ...] = (Label.PERSON.value, Label.COMPANY.value)


class GraphIndex:
    """Array views of ``tables`` indexed by node id (built once per graph)."""

    def __init__(self, tables: GraphTables) -> None:
        self.tables = tables
        nodes = tables.nodes
        ids = nodes["node_id"].to_numpy(np.int64)
        size = int(ids.max()) + 1 if len(ids) else 0
        #: row of each node id in the node table (-1: no such node)
        self.row = np.full(size, -1, dtype=np.int64)
        self.row[ids] = np.arange(len(ids), dtype=np.int64)
        #: node keys in table row order
        self.keys = nodes["key"].to_numpy(dtype=object)
        self.id_of = pd.Series(ids, index=pd.Index(self.keys))
        codes, names = pd.factorize(nodes["label"])
        names = np.asarray(names, dtype=object)
        self.label = np.full(size, "", dtype=object)
        self.label[ids] = names[codes]
        self._label_names = names
        self._label_code = np.full(size, -1, dtype=np.int64)
        self._label_code[ids] = codes
        self.is_entity = self.has_label(ENTITY_LABELS)
        rels = tables.relationships
        self.start = rels["start_id"].to_numpy(np.int64)
        self.end = rels["end_id"].to_numpy(np.int64)
        self._types: dict[str, np.ndarray] = {}

    def of_type(self, rel: str) -> np.ndarray:
        """Mask of the relationships of type ``rel`` (computed once per type)."""
        rel = str(rel)
        if rel not in self._types:
            self._types[rel] = (self.tables.relationships["type"] == rel).to_numpy(
                dtype=bool, na_value=False)
        return self._types[rel]

    def has_label(self, labels: Iterable[str]) -> np.ndarray:
        """Mask over node ids of the nodes with one of ``labels``."""
        wanted = np.flatnonzero(np.isin(self._label_names, list(labels)))
        return np.isin(self._label_code, wanted)

    @property
    def size(self) -> int:
        """One more than the largest node id."""
        return len(self.row)

    @cached_property
    def resolved(self) -> np.ndarray:
        """Mask of the RESOLVED_TO relationships (record → entity)."""
        return self.of_type(Rel.RESOLVED_TO.value)

    @cached_property
    def links(self) -> tuple[np.ndarray, np.ndarray]:
        """Start and end ids of every relationship but RESOLVED_TO (what joins entities,
        identifiers, companies and sanctions entries)."""
        keep = ~self.resolved
        return self.start[keep], self.end[keep]

    @cached_property
    def records_by_id(self) -> pd.Series:
        """Node ids of the Record nodes, indexed by their ``record_id`` (an id may repeat
        across sources)."""
        nodes = self.tables.nodes
        if "record_id" not in nodes.columns:
            return pd.Series([], dtype=np.int64)
        records = nodes[nodes["label"] == Label.RECORD.value]
        return pd.Series(records["node_id"].to_numpy(np.int64),
                         index=pd.Index(records["record_id"].to_numpy(dtype=object)))

    @cached_property
    def entity_of_record(self) -> np.ndarray:
        """For each node id: the entity its record resolved to (-1: none)."""
        out = np.full(self.size, -1, dtype=np.int64)
        out[self.start[self.resolved]] = self.end[self.resolved]
        return out

    def ids(self, keys: Iterable[str]) -> np.ndarray:
        """Node ids of ``keys`` (keys not in the graph are left out), sorted."""
        found = self.id_of.reindex(list(keys)).dropna()
        return np.unique(found.to_numpy(np.int64))

    def mask(self, ids: np.ndarray) -> np.ndarray:
        """A boolean array over node ids, true at ``ids``."""
        out = np.zeros(self.size, dtype=bool)
        out[ids] = True
        return out

    @cached_property
    def label_columns(self) -> dict[str, list[int]]:
        """For each label, the positions of the node columns its nodes fill (taking only
        those keeps small selections quick on wide tables)."""
        nodes = self.tables.nodes
        labels = nodes["label"].to_numpy(dtype=object)
        names, codes = np.unique(labels, return_inverse=True)
        used: dict[str, list[int]] = {str(n): [] for n in names}
        for position, column in enumerate(nodes.columns):
            filled = np.bincount(codes[nodes[column].notna().to_numpy()],
                                 minlength=len(names))
            for code in np.flatnonzero(filled).tolist():
                used[str(names[code])].append(position)
        return used

    def nodes(self, ids: np.ndarray) -> pd.DataFrame:
        """Rows of the node table for ``ids`` (in id order), with the columns their labels
        fill."""
        ids = np.unique(ids)
        labels = np.unique(self.label[ids]).tolist()
        positions = sorted({p for label in labels for p in self.label_columns.get(label, [])}
                           | {0, 1, 2})
        return self.tables.nodes.iloc[self.row[ids], positions]

    def key(self, ids: np.ndarray) -> np.ndarray:
        """Node keys of ``ids``."""
        return self.keys[self.row[ids]]

    def column(self, name: str, ids: np.ndarray) -> np.ndarray:
        """Values of node column ``name`` for ``ids`` (``None`` where the column is absent)."""
        nodes = self.tables.nodes
        if name not in nodes.columns:
            return np.full(len(ids), None, dtype=object)
        return nodes[name].iloc[self.row[ids]].to_numpy(dtype=object)


__all__ = ["ENTITY_LABELS", "GraphIndex"]
