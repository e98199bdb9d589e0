"""Assembling node and relationship parts into ``GraphTables``: the last step of
``build_tables``, usable by any stage that makes graph rows.

Node parts (one per layout's records, entities, identifiers, sanctions) are sorted one by
one and laid end to end when their key ranges do not overlap; relationships refer to rows
of node parts (integer endpoints) or to keys; the result is sorted by key and by
(start, type, end), so the same graph always gives the same tables and the same files.
Absent columns of the wide, sparse node table share one zeroed buffer. A text column
with few distinct values (labels, kinds, relationship types) may come as codes into its
values (``coded_text``, or a pandas categorical): rows are then moved as integer codes
and the strings are made once, in the final order.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graphkit.graph.tables import GraphTables
from graphkit.schema import NODE_PROPERTY_TYPES, REL_PROPERTY_TYPES

LIST_DTYPE = pd.ArrowDtype(pa.list_(pa.string()))
ARROW_TYPES = {"list": pa.list_(pa.string()), "float": pa.float64(), "int": pa.int64(),
               "str": pa.string()}
#: Names of the node parts relationships refer to (records: ``Record:<layout>``).
ENTITIES, IDENTIFIERS, SANCTIONS = "entities", "identifiers", "sanctions"
#: A text column held as codes into its few distinct values until the tables are made.
CODED_TEXT = pa.dictionary(pa.int32(), pa.string())


def coded_text(codes: np.ndarray, values: list[str] | np.ndarray) -> pa.DictionaryArray:
    """A text column of few distinct values as ``values[codes]``, without a string per
    row: assembling moves the codes and writes the strings once (as plain text)."""
    return pa.DictionaryArray.from_arrays(
        pa.array(np.asarray(codes, dtype=np.int32)),
        pa.array(np.asarray(values, dtype=object), pa.string()))


def repeated_text(value: str, n: int) -> pa.DictionaryArray:
    """``value`` on each of ``n`` rows, as :func:`coded_text`."""
    return coded_text(np.zeros(n, dtype=np.int32), [value])



@dataclass
class RelPart:
    """Relationships of one kind: ``frame`` has ``start``, ``end``, ``type`` and property
    columns. An endpoint column holds row numbers in the node part it names
    (``start_part``/``end_part``) when it is integer, else node keys, looked up in that
    part (or among all nodes when no part is named)."""

    frame: pd.DataFrame
    start_part: str | None = None
    end_part: str | None = None


def _arrow_column(series: pd.Series, typ: str) -> pa.Array:
    """One column of a part as an Arrow array of its declared type (a categorical text
    column stays coded)."""
    if typ == "str" and isinstance(series.dtype, pd.CategoricalDtype):
        return pa.array(series.array).cast(CODED_TEXT)
    if isinstance(series.dtype, pd.ArrowDtype):
        if typ == "str" and pa.types.is_dictionary(series.dtype.pyarrow_dtype):
            return pa.array(series.array).cast(CODED_TEXT)
        return pa.array(series.array).cast(ARROW_TYPES[typ])
    if typ == "list":
        return pa.array(series.to_numpy(dtype=object), type=ARROW_TYPES[typ], from_pandas=True)
    if typ in ("int", "float"):
        return pa.array(series, type=ARROW_TYPES[typ], from_pandas=True)
    if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow":
        return arrow_text(series)  # Arrow already: no Python string per row
    values = series.to_numpy(dtype=object) if series.dtype == object else series.astype(object)
    return pa.array(values, type=pa.string(), from_pandas=True)


def _arrow_part(frame: pd.DataFrame | pa.Table, types: dict[str, str]) -> pa.Table:
    if isinstance(frame, pa.Table):
        return frame
    return pa.table({c: _arrow_column(frame[c], types.get(c, "str")) for c in frame.columns})


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """An Arrow node or relationship table as the in-memory form of ``GraphTables``:
    int64 ids as numpy, every other column Arrow-backed (``pd.ArrowDtype``, no copy)."""
    frame = table.to_pandas(types_mapper=pd.ArrowDtype)
    for column in ("node_id", "start_id", "end_id"):
        if column in frame.columns:
            frame[column] = frame[column].to_numpy(dtype=np.int64)
    return frame


def _declared(field: pa.Field, types: dict[str, str]) -> pa.DataType:
    """A column's declared type; coded text stays coded."""
    typ = types.get(field.name, "str")
    if typ == "str" and pa.types.is_dictionary(field.type):
        return CODED_TEXT
    return ARROW_TYPES[typ]


def _typed_part(table: pa.Table, types: dict[str, str]) -> pa.Table:
    """A part with every column of its declared type."""
    return table.cast(pa.schema([pa.field(f.name, _declared(f, types))
                                 for f in table.schema]))


def _plain_text(table: pa.Table) -> pa.Table:
    """``table`` with its coded text columns as plain strings (made once, in order)."""
    for i, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type):
            table = table.set_column(i, field.name, table.column(i).cast(pa.string()))
    return table


def _select(table: pa.Table, fixed: tuple[str, ...]) -> pa.Table:
    """Fixed columns first, then the property columns some row fills, by name."""
    props = sorted(c for c in table.column_names if c not in fixed
                   and table.column(c).null_count < len(table))
    return table.select([c for c in fixed if c in table.column_names] + props)


class _Nulls:
    """All-null arrays that share one zeroed buffer: a node table is wide and sparse
    (each layout's record fields are null on every other node), and a null column
    costs no memory this way instead of an offsets buffer per column and part."""

    def __init__(self) -> None:
        self.zeros = pa.py_buffer(b"")

    def array(self, typ: pa.DataType, n: int) -> pa.Array:
        if pa.types.is_dictionary(typ):
            return pa.nulls(n, typ)
        if self.zeros.size < (n + 1) * 8:
            self.zeros = pa.py_buffer(np.zeros((n + 1) * 8, dtype=np.uint8))
        zeros = self.zeros
        if pa.types.is_list(typ):
            return pa.Array.from_buffers(typ, n, [zeros, zeros], null_count=n,
                                         children=[pa.array([], typ.value_type)])
        if pa.types.is_string(typ):
            return pa.Array.from_buffers(typ, n, [zeros, zeros, pa.py_buffer(b"")],
                                         null_count=n)
        return pa.Array.from_buffers(typ, n, [zeros, zeros], null_count=n)


def _stack(tables: list[pa.Table]) -> pa.Table:
    """Tables one after another; a column a table lacks is null there (shared buffer)."""
    fields: dict[str, pa.DataType] = {}
    for table in tables:
        for field in table.schema:
            known = fields.setdefault(field.name, field.type)
            if known != field.type:  # coded in one part, plain in another: coded
                fields[field.name] = CODED_TEXT
    nulls = _Nulls()

    def column(table: pa.Table, name: str, typ: pa.DataType):
        if name not in table.column_names:
            return nulls.array(typ, len(table))
        values = table.column(name)
        if values.type == typ:
            return values
        return pc.dictionary_encode(values).cast(typ) if typ == CODED_TEXT else \
            values.cast(typ)

    full = [pa.Table.from_arrays([column(table, name, typ) for name, typ in fields.items()],
                                 names=list(fields)) for table in tables]
    return pa.concat_tables(full)


def _concat(parts: list[pd.DataFrame | pa.Table], fixed: tuple[str, ...],
            types: dict[str, str]) -> pa.Table:
    tables = [_typed_part(_arrow_part(p, types), types) for p in parts if len(p)] or \
        [pa.table({c: pa.array([], pa.string()) for c in fixed})]
    return _select(_stack(tables), fixed)


def _node_order(parts: dict[str, pa.Table]) -> tuple[list[tuple[str, pa.Array]], bool]:
    """Each part's rows in key order, parts ordered by their first key, and whether the
    parts' key ranges are disjoint (then laying the sorted parts end to end is the global
    key order: keys start with the label or the layout)."""
    ordered = []
    for name, table in parts.items():
        if len(table):
            keys = table.column("key")
            # a part already in key order (records often are) needs no sort: checking
            # costs one comparison per row, sorting strings ~n log n with cache misses
            in_order = keys.null_count == 0 and (len(keys) < 2 or pc.all(pc.less_equal(
                keys.slice(0, len(keys) - 1), keys.slice(1))).as_py())
            order = pa.array(np.arange(len(table), dtype=np.uint64)) if in_order else \
                pc.sort_indices(table, [("key", "ascending")])
            ordered.append((keys[order[0].as_py()].as_py(),
                            keys[order[len(order) - 1].as_py()].as_py(), name, order))
    ordered.sort(key=lambda item: item[0])
    disjoint = all(a[1] < b[0] for a, b in itertools.pairwise(ordered))
    return [(name, order) for _, _, name, order in ordered], disjoint


def _sorted_rows(parts: dict[str, pa.Table]
                 ) -> tuple[dict[str, np.ndarray], list[tuple[str, pa.Array]] | np.ndarray]:
    """Per part, the sorted position of each of its rows; and how to lay the nodes out:
    per part orders (disjoint ranges) or one order over the parts stacked in their
    given order (the first of a repeated key stays first)."""
    ordered, disjoint = _node_order(parts)
    rows: dict[str, np.ndarray] = {}
    if disjoint:
        offset = 0
        for name, order in ordered:
            rank = np.empty(len(order), dtype=np.int64)
            rank[order.to_numpy()] = np.arange(offset, offset + len(order))
            rows[name] = rank
            offset += len(order)
        return rows, ordered
    names = [name for name in parts if len(parts[name])]
    keys = pa.chunked_array([parts[n].column("key") for n in names], pa.string())
    order = pc.sort_indices(keys).to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    offset = 0
    for name in names:
        rows[name] = rank[offset:offset + len(parts[name])]
        offset += len(parts[name])
    return rows, order


def _lay_out(parts: dict[str, pa.Table], layout: list[tuple[str, pa.Array]] | np.ndarray
             ) -> pa.Table:
    """The node table in key order; consumes ``parts`` (each part is released as soon as
    its rows are copied)."""
    if isinstance(layout, np.ndarray):
        names = [name for name in parts if len(parts[name])]
        nodes = _stack([parts.pop(n) for n in names]).take(pa.array(layout))
    else:
        tables = []
        for name, order in layout:
            table = parts.pop(name)
            # a part already in key order (records often are) is laid out as it is:
            # no copy of its columns
            in_order = np.array_equal(order.to_numpy(), np.arange(len(order)))
            tables.append(table if in_order else table.take(order))
        nodes = _stack(tables) if tables else None
    parts.clear()
    if nodes is None:
        nodes = pa.table({"key": pa.array([], pa.string()), "label": pa.array([], pa.string())})
    return nodes


def _first_of_repeats(nodes: pa.Table) -> np.ndarray | None:
    """Node id of each sorted row when keys repeat (the first row of a key keeps it);
    None when every key is unique."""
    keys = nodes.column("key")
    if len(keys) < 2:
        return None
    repeated = pc.equal(keys.slice(1), keys.slice(0, len(keys) - 1)).to_numpy(
        zero_copy_only=False)
    if not repeated.any():
        return None
    return np.cumsum(np.r_[True, ~repeated]) - 1


class _Places:
    """Node ids of the rows of each node part, and lookups of keys in a part."""

    def __init__(self, parts: dict[str, pa.Table], ids: dict[str, np.ndarray]) -> None:
        self.parts = parts
        self.ids = ids
        self._keys: dict[str | None, pa.Array] = {}

    def keys(self, part: str | None) -> pa.Array:
        """The keys of a part (of all parts for None), rows in order, as one array."""
        if part not in self._keys:
            names = list(self.parts) if part is None else [part]
            chunks = [self.parts[n].column("key").cast(pa.string()) for n in names
                      if n in self.parts and len(self.parts[n])]
            self._keys[part] = pa.chunked_array(chunks, pa.string()).combine_chunks() \
                if chunks else pa.array([], pa.string())
        return self._keys[part]

    def node_ids_of(self, columns: list[tuple[pd.Series, str | None]]) -> list[np.ndarray]:
        """``node_ids`` of each endpoint column; the key columns of one part looked up
        together (Arrow's hash of a part's keys made once, not once per column)."""
        out: list[np.ndarray | None] = [None] * len(columns)
        text: dict[str | None, list[int]] = {}
        for i, (values, part) in enumerate(columns):
            if values.dtype.kind in "iu" or not len(values):
                out[i] = self.node_ids(values, part)
            else:
                text.setdefault(part, []).append(i)
        for part, at in text.items():
            joined = pa.chunked_array([arrow_text(columns[i][0]) for i in at], pa.string())
            local = self._local_rows(joined.combine_chunks(), part)
            bounds = np.cumsum([0] + [len(columns[i][0]) for i in at])
            for i, lo, hi in zip(at, bounds[:-1], bounds[1:]):
                out[i] = self._ids_of(local[lo:hi], part)
        return out

    def _local_rows(self, keys: pa.Array, part: str | None) -> np.ndarray:
        """Arrow's hash lookup: the row in ``part`` of the first of each key, -1: none."""
        found = pc.index_in(keys, value_set=self.keys(part))
        return pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)

    def node_ids(self, values: pd.Series, part: str | None) -> np.ndarray:
        """Node ids of an endpoint column (-1 where not found)."""
        if values.dtype.kind in "iu":
            local = values.to_numpy(dtype=np.int64)
        else:
            local = self._local_rows(arrow_text(values), part)
        return self._ids_of(local, part)

    def _ids_of(self, local: np.ndarray, part: str | None) -> np.ndarray:
        """Node ids of rows of ``part`` (of all parts stacked for None; -1 stays -1)."""
        if part is None:
            ids = np.concatenate([self.ids[n] for n in self.parts if n in self.ids]
                                 or [np.zeros(0, np.int64)])
        elif part in self.ids:
            ids = self.ids[part]
        else:
            return np.full(len(local), -1, dtype=np.int64)
        return np.where(local >= 0, ids[np.maximum(local, 0)] if len(ids) else -1, -1)


def arrow_text(values: pd.Series) -> pa.Array:
    """A string column as one Arrow string array, missing as null (no Python objects
    made for Arrow-backed columns)."""
    if isinstance(values.dtype, pd.ArrowDtype | pd.StringDtype):
        array = pa.array(values.array)
        array = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
        return array.cast(pa.string())
    return pa.array(values.to_numpy(dtype=object), pa.string(), from_pandas=True)


def _sorted_codes(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Per value of a string column (a few distinct values, no nulls), the rank of its
    value among the distinct values in sorted order: ``pd.factorize(sort=True)``'s codes
    without a Python string per row. Chunk by chunk: a coded chunk's codes are mapped
    through its own few values (no chunks joined, no dictionaries unified)."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    encoded = [chunk if pa.types.is_dictionary(chunk.type) else
               pc.dictionary_encode(chunk.cast(pa.string())) for chunk in chunks]
    values = [chunk.dictionary.to_numpy(zero_copy_only=False).astype(object)
              for chunk in encoded]
    distinct = np.unique(np.concatenate(values)) if values else np.zeros(0, dtype=object)
    out = np.empty(sum(len(chunk) for chunk in encoded), dtype=np.int64)
    at = 0
    for chunk, local in zip(encoded, values):
        np.take(np.searchsorted(distinct, local).astype(np.int64),
                chunk.indices.to_numpy(zero_copy_only=False), out=out[at:at + len(chunk)])
        at += len(chunk)
    return out


def _relationship_order(start: np.ndarray, type_code: np.ndarray, end: np.ndarray,
                        n_nodes: int) -> np.ndarray:
    """The stable order of rows by (start, type, end): one sort of one int64 key when
    the three fit in it (node ids and type codes are small), else a lexsort."""
    n_types = int(type_code.max()) + 1 if len(type_code) else 1
    if n_nodes * n_nodes * n_types < 2 ** 62:
        key = (start * n_types + type_code) * n_nodes + end
        return np.argsort(key, kind="stable")
    return np.lexsort((end, type_code, start))


def assemble(node_parts: dict[str, pd.DataFrame | pa.Table],
             rel_parts: list[RelPart | pd.DataFrame]) -> GraphTables:
    """Concatenate node and relationship parts into the sorted, typed tables: node ids
    are positions in key order; relationships refer to them and are sorted by
    (start, type, end). Property columns no row has are left out; a relationship to a
    node no part holds is dropped; a key held twice keeps its first row. ``node_parts``
    and ``rel_parts`` are emptied as they are copied into the tables (memory is released
    early)."""
    parts = {}
    for name in list(node_parts):
        parts[name] = _typed_part(_arrow_part(node_parts.pop(name), NODE_PROPERTY_TYPES),
                                  NODE_PROPERTY_TYPES)
    rows, layout = _sorted_rows(parts)
    places = _Places(parts, rows)
    given, rel_parts = rel_parts, [p if isinstance(p, RelPart) else RelPart(p)
                                   for p in rel_parts]
    given.clear()
    rel_parts = [p for p in rel_parts if len(p.frame)]
    ends = places.node_ids_of([(p.frame["start"], p.start_part) for p in rel_parts] +
                              [(p.frame["end"], p.end_part) for p in rel_parts])
    start = np.concatenate(ends[:len(rel_parts)] or [np.zeros(0, np.int64)])
    end = np.concatenate(ends[len(rel_parts):] or [np.zeros(0, np.int64)])
    del places
    props = _concat([p.frame.drop(columns=["start", "end"]) for p in rel_parts],
                    ("type",), REL_PROPERTY_TYPES)
    rel_parts.clear()
    nodes = _lay_out(parts, layout)
    first = _first_of_repeats(nodes)
    if first is not None:
        nodes = nodes.filter(pa.array(np.r_[True, first[1:] != first[:-1]]))
        start = np.where(start >= 0, first[np.maximum(start, 0)], -1)
        end = np.where(end >= 0, first[np.maximum(end, 0)], -1)
    nodes = nodes.add_column(0, "node_id", pa.array(np.arange(len(nodes), dtype=np.int64)))
    nodes = _plain_text(_select(nodes, ("node_id", "key", "label")))
    known = np.flatnonzero((start >= 0) & (end >= 0))
    type_code = _sorted_codes(props.column("type"))[known]
    order = known[_relationship_order(start[known], type_code, end[known], len(nodes))]
    start_id, end_id = start[order], end[order]
    props = _plain_text(props.take(pa.array(order)))
    # the keys in one chunk for the two gathers (a gather over a chunked column joins
    # its chunks each time); the node table keeps its own chunks
    keys = nodes.column("key").combine_chunks()
    rels = pa.table({"start_id": pa.array(start_id), "end_id": pa.array(end_id),
                     "start": keys.take(pa.array(start_id)), "end": keys.take(pa.array(end_id)),
                     **{name: props.column(name) for name in props.column_names}})
    return GraphTables(to_pandas(nodes), to_pandas(rels))


__all__ = ["ARROW_TYPES", "CODED_TEXT", "ENTITIES", "IDENTIFIERS", "LIST_DTYPE", "SANCTIONS",
           "RelPart", "arrow_text", "assemble", "coded_text", "repeated_text", "to_pandas"]
