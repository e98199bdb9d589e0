"""Where a finding came from: the records behind entities, with their source file and line.

One lookup for every consumer (the analyst API's ``records_df``, report.html's member and
evidence tables): Record nodes carry ``source``, ``kind`` (the file's layout), ``file`` and
``line`` (the physical line of the row in that file, the header being line 1) beside the
row's own fields, and point to their entity with RESOLVED_TO.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from graphkit.graph.index import GraphIndex
from graphkit.schema import Label

#: The leading columns of :func:`records_of` (the row's own fields follow).
PROVENANCE_COLUMNS: tuple[str, ...] = ("entity", "record", "record_id", "kind", "source",
                                       "file", "line")
#: Record node columns that are not the row's own fields.
_NOT_FIELDS = frozenset({"node_id", "key", "label", "source_name", *PROVENANCE_COLUMNS})


def entities_of(index: GraphIndex, ref: str) -> list[str]:
    """The entity keys ``ref`` names: an entity key (``person:P000123``), a record key
    (``Record:people:P000123``) or a bare record id (``P000123``; every source's record
    with that id). ``KeyError`` when the build has none of these."""
    node = index.id_of.get(ref)
    if node is not None:
        node = int(node)
        if index.is_entity[node]:
            return [ref]
        if index.label[node] == Label.RECORD.value:
            ids = np.array([node])
        else:
            raise KeyError(f"{ref!r} is a {index.label[node]} node, not an entity or record")
    else:
        found = index.records_by_id.get(ref)
        if found is None:
            raise KeyError(f"no entity, record key or record id {ref!r} in this build")
        ids = np.atleast_1d(np.asarray(found, dtype=np.int64))
    entity = index.entity_of_record[ids]
    return sorted({str(k) for k in index.key(entity[entity >= 0]).tolist()})


def _fields(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c not in _NOT_FIELDS and frame[c].notna().any()]


def records_of(index: GraphIndex, entities: Iterable[str], fields: bool = True
               ) -> pd.DataFrame:
    """Every record resolved to ``entities`` (entity keys; unknown ones are skipped): one row
    per record with ``PROVENANCE_COLUMNS`` then, with ``fields``, the row's own values
    (columns no such record fills are left out). Sorted by entity, file and line."""
    ids = index.ids(entities)
    inside = index.mask(ids)
    chosen = index.resolved & inside[index.end]
    record_ids = index.start[chosen]
    entity_ids = index.end[chosen]
    record_ids, first = np.unique(record_ids, return_index=True)
    entity_ids = entity_ids[first]
    rows = index.nodes(record_ids).reset_index(drop=True)
    out = pd.DataFrame({"entity": index.key(entity_ids), "record": rows["key"]})
    for column in PROVENANCE_COLUMNS[2:]:
        values = rows[column] if column in rows.columns else pd.Series([None] * len(rows))
        out[column] = values.to_numpy(dtype=object)
    out["line"] = pd.array([None if pd.isna(v) else int(v) for v in out["line"]],
                           dtype="Int64")
    if fields:
        for column in _fields(rows):
            out[column] = rows[column].to_numpy(dtype=object)
    return out.sort_values(["entity", "file", "line", "record"], na_position="last",
                           kind="stable").reset_index(drop=True)


__all__ = ["PROVENANCE_COLUMNS", "entities_of", "records_of"]
