"""Batches to load into a store, from a build's node and relationship tables.

Both engines load the same batches: per node label, node ids and property columns (``key``
among them); per relationship type, start and end node ids and property columns. Labels,
types and property names become part of a statement, so they are checked first: labels
and types must be ``graphkit.schema`` names, property names plain identifiers. Values
always travel as parameters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from graphkit.graph import NODES_FILE, RELATIONSHIPS_FILE
from graphkit.issues import InputError
from graphkit.schema import NODE_TABLE_COLUMNS, REL_TABLE_COLUMNS, Label, Rel

KEY = "key"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def present(value) -> bool:
    """Whether a table cell holds a value (not null, NaN, or an empty list)."""
    if value is None or value is pd.NA:
        return False
    if isinstance(value, float):
        return value == value
    if isinstance(value, list | tuple | np.ndarray):
        return len(value) > 0
    return True


def plain(value):
    """A table cell as a plain Python value (numpy arrays and scalars converted)."""
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


@dataclass
class Batch:
    """Rows of one label or relationship type: ids and property columns."""

    kind: Label | Rel
    ids: np.ndarray  # node ids (nodes) or start node ids (relationships)
    ends: np.ndarray | None  # end node ids (relationships only)
    columns: dict[str, pd.Series]

    def __len__(self) -> int:
        return len(self.ids)

    def records(self) -> list[dict]:
        """One dict per row of its present property values (plain Python values)."""
        names = list(self.columns)
        values = [self.columns[n].tolist() for n in names]
        return [{n: plain(v) for n, v in zip(names, row) if present(v)}
                for row in zip(*values)] if names else [{} for _ in range(len(self))]


def _check_names(frame: pd.DataFrame, column: str, kind: type, file: str) -> None:
    known = {m.value for m in kind}
    for name in frame[column].unique():
        if name not in known:
            row = int((frame[column] == name).to_numpy().argmax()) + 1
            raise InputError(f"{file} row {row}: column '{column}': unknown {kind.__name__} "
                             f"{name!r} (known: {', '.join(sorted(known))})")


def _properties(frame: pd.DataFrame, fixed: tuple[str, ...], file: str) -> list[str]:
    names = [c for c in frame.columns if c not in fixed]
    for name in names:
        if not _NAME.match(str(name)):
            raise InputError(f"{file}: column {name!r}: a property name must be letters, "
                             "digits and '_'")
    return names


def _groups(frame: pd.DataFrame, column: str) -> list[tuple[str, np.ndarray]]:
    """Row positions per value of ``column``, values sorted (rows stay in table order)."""
    codes, values = pd.factorize(frame[column].to_numpy(dtype=object), sort=True)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(values) + 1))
    return [(values[i], order[bounds[i]:bounds[i + 1]]) for i in range(len(values))]


def _batches(frame: pd.DataFrame, column: str, first: list[str], props: list[str],
             size: int) -> Iterator[tuple[str, pd.DataFrame]]:
    """Per value of ``column``, slices of at most ``size`` rows holding ``first`` and the
    property columns some row of that value fills. Rows are taken batch by batch (a
    group-by would copy every column of a group at once: gigabytes for the records of a
    million people)."""
    filled = {c: frame[c].notna().to_numpy(bool) for c in props}
    for value, rows in _groups(frame, column):
        used = first + [c for c in props if filled[c][rows].any()]
        picked = frame[used]
        for start in range(0, len(rows), size):
            yield value, picked.iloc[rows[start:start + size]]


def node_batches(nodes: pd.DataFrame, size: int) -> Iterator[Batch]:
    """Batches of at most ``size`` nodes of one label; ``key`` first among the columns."""
    _check_names(nodes, "label", Label, NODES_FILE)
    props = [c for c in _properties(nodes, NODE_TABLE_COLUMNS, NODES_FILE) if c != KEY]
    for label, part in _batches(nodes, "label", ["node_id", KEY], props, size):
        yield Batch(Label(label), part["node_id"].to_numpy(dtype=np.int64), None,
                    {c: part[c] for c in part.columns if c != "node_id"})


def relationship_batches(relationships: pd.DataFrame, size: int) -> Iterator[Batch]:
    """Batches of at most ``size`` relationships of one type."""
    rels = relationships
    _check_names(rels, "type", Rel, RELATIONSHIPS_FILE)
    props = _properties(rels, REL_TABLE_COLUMNS, RELATIONSHIPS_FILE)
    for rel, part in _batches(rels, "type", ["start_id", "end_id"], props, size):
        yield Batch(Rel(rel), part["start_id"].to_numpy(dtype=np.int64),
                    part["end_id"].to_numpy(dtype=np.int64),
                    {c: part[c] for c in part.columns if c not in ("start_id", "end_id")})


