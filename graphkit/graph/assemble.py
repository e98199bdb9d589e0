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
from graphkit.intcodes import FEW_GROUPS, ascending, grouped_positions
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


def to_pandas(table: pa.Table, writable_ids: bool = False) -> pd.DataFrame:
    """An Arrow node or relationship table as the in-memory form of ``GraphTables``:
    int64 ids as numpy, every other column Arrow-backed (``pd.ArrowDtype``, no copy).
    The id columns are read-only (the Arrow buffer itself where it can be, no copy)
    unless ``writable_ids`` asks for copies that can be written in place."""
    frame = table.to_pandas(types_mapper=pd.ArrowDtype)
    for column in ("node_id", "start_id", "end_id"):
        if column in frame.columns:
            values = _int64_values(table.column(column), frame[column])
            if writable_ids and not values.flags.writeable:
                values = values.copy()
            elif not writable_ids:
                values.flags.writeable = False  # the same whatever the chunks
            frame[column] = pd.Series(values, index=frame.index, copy=False)
    return frame


def _int64_values(column: pa.ChunkedArray, series: pd.Series) -> np.ndarray:
    """An id column as int64 numpy: the Arrow buffer itself (read-only, no copy) when it
    is one chunk of int64 with no nulls, else a copy."""
    if column.num_chunks == 1 and column.type == pa.int64() and not column.null_count:
        return column.chunk(0).to_numpy(zero_copy_only=True)
    return series.to_numpy(dtype=np.int64, copy=True)


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


def _node_order(parts: dict[str, pa.Table]
                ) -> tuple[list[tuple[str, pa.Array | None]], bool]:
    """Each part's rows in key order (None: the part is in key order already), parts
    ordered by their first key, and whether the parts' key ranges are disjoint (then
    laying the sorted parts end to end is the global key order: keys start with the
    label or the layout)."""
    ordered = []
    for name, table in parts.items():
        if len(table):
            keys = table.column("key")
            # a part already in key order (records often are) needs no sort: checking
            # costs one comparison per row, sorting strings ~n log n with cache misses
            in_order = keys.null_count == 0 and (len(keys) < 2 or pc.all(pc.less_equal(
                keys.slice(0, len(keys) - 1), keys.slice(1))).as_py())
            order = None if in_order else pc.sort_indices(table, [("key", "ascending")])
            lo, hi = (0, len(table) - 1) if order is None else \
                (order[0].as_py(), order[len(order) - 1].as_py())
            ordered.append((keys[lo].as_py(), keys[hi].as_py(), name, order))
    ordered.sort(key=lambda item: item[0])
    disjoint = all(a[1] < b[0] for a, b in itertools.pairwise(ordered))
    return [(name, order) for _, _, name, order in ordered], disjoint


def _sorted_rows(parts: dict[str, pa.Table]
                 ) -> tuple[dict[str, np.ndarray | int],
                            list[tuple[str, pa.Array | None]] | np.ndarray]:
    """Per part, the sorted position of each of its rows (an int: the part keeps its
    order from that position on, no array made); and how to lay the nodes out: per part
    orders (disjoint ranges) or one order over the parts stacked in their given order
    (the first of a repeated key stays first)."""
    ordered, disjoint = _node_order(parts)
    rows: dict[str, np.ndarray | int] = {}
    if disjoint:
        offset = 0
        for name, order in ordered:
            n = len(parts[name])
            if order is None:
                rows[name] = offset
            else:
                rank = np.empty(n, dtype=np.int64)
                rank[order.to_numpy()] = np.arange(offset, offset + n)
                rows[name] = rank
            offset += n
        return rows, ordered
    names = [name for name in parts if len(parts[name])]
    keys = pa.chunked_array([chunk for n in names for chunk in parts[n].column("key").chunks],
                            pa.string())
    order = pc.sort_indices(keys).to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    offset = 0
    for name in names:
        rows[name] = rank[offset:offset + len(parts[name])]
        offset += len(parts[name])
    return rows, order


def _lay_out(parts: dict[str, pa.Table],
            layout: list[tuple[str, pa.Array | None]] | np.ndarray) -> pa.Table:
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
            tables.append(table if order is None else table.take(order))
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

    def __init__(self, parts: dict[str, pa.Table], ids: dict[str, np.ndarray | int]) -> None:
        self.parts = parts
        self.ids = ids
        self._keys: dict[str | None, pa.Array] = {}

    def keys(self, part: str | None) -> pa.Array:
        """The keys of a part (of all parts for None), rows in order, as one array."""
        if part not in self._keys:
            names = list(self.parts) if part is None else [part]
            # the chunks themselves: ``pa.chunked_array`` of chunked arrays converts each
            # one as a sequence (0.1 s per 300k keys) before joining
            chunks = [chunk for n in names if n in self.parts and len(self.parts[n])
                      for chunk in self.parts[n].column("key").cast(pa.string()).chunks]
            joined = pa.chunked_array(chunks, pa.string())
            # one chunk is the array itself: joining would copy it
            self._keys[part] = joined.chunk(0) if joined.num_chunks == 1 else \
                joined.combine_chunks()
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
            ids = np.concatenate([self._ranks(n) for n in self.parts if n in self.ids]
                                 or [np.zeros(0, np.int64)])
        elif part in self.ids:
            ids = self.ids[part]
        else:
            return np.full(len(local), -1, dtype=np.int64)
        if isinstance(ids, int):  # the part keeps its order from node id ``ids`` on
            return _shifted(local, ids, len(self.parts[part]))
        if not len(ids):
            return np.full(len(local), -1, dtype=np.int64)
        found = ids[local]  # -1 (not found) picks the last id: set back to -1 below
        missing = local < 0
        if missing.any():
            found[missing] = -1
        return found

    def _ranks(self, part: str) -> np.ndarray:
        """The node ids of the rows of ``part`` as an array."""
        ids = self.ids[part]
        if isinstance(ids, int):
            return np.arange(ids, ids + len(self.parts[part]), dtype=np.int64)
        return ids


def _shifted(local: np.ndarray, offset: int, n: int) -> np.ndarray:
    """``local + offset`` where ``local`` >= 0, else -1 (rows of a part laid out in its
    own order from ``offset`` on: no gather)."""
    if len(local) and local.max() >= n:
        raise IndexError(f"row {int(local.max())} is out of bounds for a part of {n} rows")
    ids = local + offset
    missing = local < 0
    if missing.any():
        ids[missing] = -1
    return ids


def arrow_text(values: pd.Series) -> pa.Array:
    """A string column as one Arrow string array, missing as null (no Python objects
    made for Arrow-backed columns; a column held in one chunk is that chunk, not a copy
    of its text: ``combine_chunks`` copies even one chunk)."""
    if isinstance(values.dtype, pd.ArrowDtype | pd.StringDtype):
        array = pa.array(values.array)
        if isinstance(array, pa.ChunkedArray):
            array = array.chunk(0) if array.num_chunks == 1 else array.combine_chunks()
        return array.cast(pa.string())
    return pa.array(values.to_numpy(dtype=object), pa.string(), from_pandas=True)


def arrow_chunks(values: pd.Series) -> pa.ChunkedArray:
    """A text column as Arrow chunks as they are (no chunks joined: no copy of the
    column), missing as null."""
    if isinstance(values.dtype, pd.ArrowDtype | pd.StringDtype):
        array = pa.array(values.array)
    else:
        array = pa.array(values.to_numpy(dtype=object), pa.string(), from_pandas=True)
    return array if isinstance(array, pa.ChunkedArray) else pa.chunked_array([array])


def arrow_codes(array: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Small integer codes of ``array``'s values in order of first appearance (-1 where
    missing), and the values they stand for: ``pd.factorize`` done in Arrow (chunk by
    chunk on a chunked array: one dictionary for all chunks, no joined copy)."""
    encoded = array.dictionary_encode()
    if isinstance(encoded, pa.ChunkedArray):
        chunks = encoded.chunks
        dictionary = chunks[-1].dictionary if chunks else pa.array([], pa.string())
        indices = [c.indices.fill_null(-1).to_numpy(zero_copy_only=False) for c in chunks]
        codes = np.concatenate(indices).astype(np.int32) if indices else \
            np.zeros(0, np.int32)
        return codes, np.asarray(dictionary.to_pylist(), dtype=object)
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
    return codes, np.asarray(encoded.dictionary.to_pylist(), dtype=object)


def take_rows(series: pd.Series, rows: np.ndarray, typ: pa.DataType | None = None
              ) -> pa.Array:
    """``series`` at positions ``rows`` (each within it) as one Arrow array, gathered
    chunk by chunk: a column of the tables is held in several Arrow chunks, and joining
    them first (as ``ChunkedArray.take`` and ``combine_chunks`` do) would copy the whole
    column, every key of every node, for each gather of a few rows. ``typ``: the type
    wanted (each chunk's part cast to it as soon as it is gathered: a large string's
    offsets narrowed before the parts are joined and put in order)."""
    rows = _positions_of(rows)
    if not isinstance(series.dtype, pd.ArrowDtype | pd.StringDtype):
        array = pa.array(series.to_numpy(dtype=object), from_pandas=True)
        array = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
        return _as_type(array.take(pa.array(rows)), typ)
    column = pa.array(series.array)
    if isinstance(column, pa.Array):
        return _as_type(column.take(pa.array(rows)), typ)
    return take_chunked(column, rows, typ)


def column_at(column: pd.Series, rows: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``column.array.take(rows)``, gathered chunk by chunk where the column is Arrow
    (:func:`take_rows`: an Arrow take of a column held in chunks first joins them all, a
    copy of the whole column for a few rows)."""
    if isinstance(column.dtype, pd.ArrowDtype):
        return pd.arrays.ArrowExtensionArray(take_rows(column, rows))
    return column.array.take(rows)


def _as_type(values: pa.Array, typ: pa.DataType | None) -> pa.Array:
    return values if typ is None or values.type == typ else values.cast(typ)


def _positions_of(rows: np.ndarray) -> np.ndarray:
    """Row positions as an integer array: int32 or int64 as given (an int32 one is not
    widened into a copy), anything else as int64."""
    rows = np.asarray(rows)
    return rows if rows.dtype in (np.int32, np.int64) else rows.astype(np.int64)


def take_chunked(column: pa.ChunkedArray, rows: np.ndarray, typ: pa.DataType | None = None
                 ) -> pa.Array:
    """``column`` at positions ``rows`` (each within it) as one Arrow array, taken from
    each chunk alone: ``ChunkedArray.take`` joins every chunk first, a copy of the whole
    column for each take. ``typ``: as :func:`take_rows`."""
    rows = _positions_of(rows)
    chunks = [c for c in column.chunks if len(c)]
    if len(chunks) <= 1:
        return _as_type((chunks[0] if chunks else pa.array([], column.type)).take(
            pa.array(rows)), typ)
    starts = np.cumsum([0] + [len(c) for c in chunks[:-1]])
    if ascending(rows):
        # ascending rows (as most callers ask): each chunk's rows are one slice of them
        bounds = np.searchsorted(rows, np.r_[starts, len(column)])
        runs = [(k, a, b) for k, (a, b) in enumerate(zip(bounds[:-1].tolist(),
                                                         bounds[1:].tolist())) if b > a]
    else:
        chunk_of = _chunk_numbers(rows, starts)
        runs = _chunk_runs(chunk_of)
        if runs is None:
            return _take_by_chunk(chunks, starts, rows, chunk_of, typ)
    # rows in runs of one chunk each (ascending rows, or rows such as the first rows of
    # identifiers in key order: each label's from one file): the runs' parts are the
    # answer in order, with no sort and no second gather to put them back
    parts = [_as_type(chunks[k].take(pa.array(rows[a:b] - int(starts[k]))), typ)
             for k, a, b in runs]
    return pa.concat_arrays(parts) if parts else pa.array([], typ or column.type)


#: ``take_chunked``: rows that fall in at most this many runs of one chunk each are
#: gathered run by run (a gather each); more, chunk by chunk, then put in order
_CHUNK_RUNS = 256


def _chunk_runs(chunk_of: np.ndarray) -> list[tuple[int, int, int]] | None:
    """``(chunk, first, end)`` of each run of rows of one chunk (``chunk_of``: the chunk
    of each row), None when there are more than ``_CHUNK_RUNS``."""
    if not len(chunk_of):
        return []
    breaks = np.flatnonzero(chunk_of[1:] != chunk_of[:-1])
    if len(breaks) >= _CHUNK_RUNS:
        return None
    bounds = [0, *(breaks + 1).tolist(), len(chunk_of)]
    return [(int(chunk_of[a]), a, b) for a, b in itertools.pairwise(bounds)]


#: ``take_chunked``: up to this many chunks, rows are told apart by chunk with one
#: comparison pass per chunk (a byte or two per row) instead of a search and a sort
_FEW_CHUNKS = FEW_GROUPS


def _chunk_numbers(rows: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The chunk of each row (chunks starting at ``starts``), as a small integer type:
    by one comparison pass per chunk when they are few (no int64 per row made)."""
    few = np.int16 if len(starts) < 1 << 15 else np.int64
    if len(starts) > _FEW_CHUNKS:
        chunk_of = np.searchsorted(starts, rows, side="right").astype(few)
        chunk_of -= 1
        return chunk_of
    chunk_of = np.zeros(len(rows), dtype=few)
    above = np.empty(len(rows), dtype=bool)
    for start in starts[1:].tolist():
        np.greater_equal(rows, start, out=above)
        chunk_of += above
    return chunk_of


def _take_by_chunk(chunks: list[pa.Array], starts: np.ndarray, rows: np.ndarray,
                   chunk_of: np.ndarray, typ: pa.DataType | None = None) -> pa.Array:
    """``take_chunked`` of rows in no chunk order: each chunk's rows gathered from it
    (cast to ``typ`` when given), then put back in the rows' order."""
    # positions as int32 below 2**31 rows: the index arrays, one row each, in half the
    # bytes
    small = np.int32 if max(len(rows), *(len(c) for c in chunks)) < 1 << 31 else np.int64
    order, bounds = grouped_positions(chunk_of, len(chunks))
    del chunk_of
    parts = []
    for k, (a, b) in enumerate(zip(bounds[:-1].tolist(), bounds[1:].tolist())):
        if b > a:
            local = np.take(rows, order[a:b])
            parts.append(_as_type(chunks[k].take(pa.array(
                np.subtract(local, starts[k], out=np.empty(b - a, small), casting="unsafe"))),
                typ))
            del local
    back = np.empty(len(rows), dtype=small)
    back[order] = np.arange(len(rows), dtype=small)
    del order
    return pa.concat_arrays(parts).take(pa.array(back))


def _relationship_order(start: np.ndarray, type_code: np.ndarray, end: np.ndarray,
                        n_nodes: int) -> np.ndarray:
    """The stable order of rows by (start, type, end): one sort of one int64 key when
    the three fit in it (node ids and type codes are small), else a lexsort."""
    n_types = int(type_code.max()) + 1 if len(type_code) else 1
    if n_nodes * n_nodes * n_types < 2 ** 62:
        key = (start * n_types + type_code) * n_nodes + end
        return np.argsort(key, kind="stable")
    return np.lexsort((end, type_code, start))


def _type_codes(columns: list[pa.ChunkedArray]) -> tuple[list[np.ndarray], list[str]]:
    """Per relationship part, the rank of each row's type among all parts' distinct
    types in text order (a small integer: ``pd.factorize(sort=True)``'s codes without a
    Python string per row), and those types. Chunk by chunk: a coded chunk's codes are
    mapped through its own few values (no chunks joined, no dictionaries unified)."""
    encoded = [[chunk if pa.types.is_dictionary(chunk.type) else
                pc.dictionary_encode(chunk.cast(pa.string())) for chunk in column.chunks]
               for column in columns]
    values = [[chunk.dictionary.to_numpy(zero_copy_only=False).astype(object)
               for chunk in part] for part in encoded]
    distinct = np.unique(np.concatenate([v for part in values for v in part]
                                        or [np.zeros(0, dtype=object)]))
    small = np.int8 if len(distinct) < 128 else np.int32
    codes = []
    for part, local in zip(encoded, values):
        out = np.empty(sum(len(chunk) for chunk in part), dtype=small)
        at = 0
        for chunk, names in zip(part, local):
            if chunk.null_count:
                raise ValueError("a relationship has no type")
            np.take(np.searchsorted(distinct, names).astype(small),
                    chunk.indices.to_numpy(zero_copy_only=False), out=out[at:at + len(chunk)],
                    mode="clip")  # valid indices; "clip" writes into out with no buffer
            at += len(chunk)
        codes.append(out)
    return codes, [str(v) for v in distinct]


@dataclass
class _Group:
    """Relationship rows whose start ids no other group's rows share, in their final
    order: ``rows[i]``, the rows kept of part ``members[i]`` (None: all, in order), and
    ``order``, positions in those rows laid end to end (None: as they are). ``keys``: the
    rows' (start, type, end) packed in one int64 each, laid end to end (before ``order``),
    when they fit in one: the ordered start and end ids are read off them (no gather of
    the parts' ids); None once read, or when they do not fit."""

    members: list[int]
    rows: list[np.ndarray | None]
    order: np.ndarray | None
    keys: np.ndarray | None = None


def _packed_keys(start: np.ndarray, type_code: np.ndarray, end: np.ndarray, n_nodes: int,
                 n_types: int, out: np.ndarray | None = None) -> np.ndarray | None:
    """(start, type, end) as one int64 sort key (written into ``out`` when given), None
    when they do not fit in one."""
    if n_nodes * n_nodes * n_types >= 2 ** 62:
        return None
    key = np.multiply(start, n_types, out=out, dtype=np.int64)
    key += type_code
    key *= n_nodes
    key += end
    return key


def _groups(starts: list[np.ndarray], types: list[np.ndarray], ends: list[np.ndarray],
            n_nodes: int, n_types: int) -> list[_Group]:
    """The relationship rows of every part with both ends known, in (start, type, end)
    order, ties in part order then row order (the stable sort of the parts laid end to
    end): parts whose start ranges overlap are sorted together, a part alone in its
    range and already in order (a layout's records, each with its ``RESOLVED_TO``) is
    laid out as it is, no key sorted and no row moved."""
    def picked(a: list[np.ndarray], i: int, rows: np.ndarray | None) -> np.ndarray:
        return a[i] if rows is None else a[i][rows]

    spans = []
    for i, (start, end) in enumerate(zip(starts, ends)):
        known = (start >= 0) & (end >= 0)
        rows = None if known.all() else np.flatnonzero(known)
        if not len(start) or (rows is not None and not len(rows)):
            continue
        s = picked(starts, i, rows)
        # starts rising row by row (a record's one RESOLVED_TO) are in order whatever
        # the types and ends: no key made
        rising = bool((s[1:] > s[:-1]).all())
        lo, hi = (int(s[0]), int(s[-1])) if rising else (int(s.min()), int(s.max()))
        spans.append((lo, hi, i, rows, rising))
    spans.sort(key=lambda span: (span[0], span[2]))
    merged: list[list[tuple]] = []
    for span in spans:
        if merged and span[0] <= max(other[1] for other in merged[-1]):
            merged[-1].append(span)
        else:
            merged.append([span])
    groups = []
    for members in merged:
        members.sort(key=lambda span: span[2])  # ties keep the parts' order
        if len(members) == 1 and members[0][4]:
            groups.append(_Group([members[0][2]], [members[0][3]], None))
            continue
        chosen = [(i, rows) for _, _, i, rows, _ in members]
        sizes = [len(starts[i]) if rows is None else len(rows) for i, rows in chosen]
        packed = np.empty(sum(sizes), dtype=np.int64) \
            if n_nodes * n_nodes * n_types < 2 ** 62 else None
        if packed is not None:  # each member's keys written straight into the group's
            at = 0
            for (i, rows), size in zip(chosen, sizes):
                _packed_keys(picked(starts, i, rows), picked(types, i, rows),
                             picked(ends, i, rows), n_nodes, n_types, out=packed[at:at + size])
                at += size
            if len(members) == 1 and ascending(packed):
                groups.append(_Group([members[0][2]], [members[0][3]], None))
                continue
        if packed is not None:
            order = np.argsort(packed, kind="stable")
        else:
            start, type_code, end = (np.concatenate([picked(a, i, rows) for i, rows in chosen])
                                     for a in (starts, types, ends))
            order = _relationship_order(start, type_code.astype(np.int64), end, n_nodes)
        groups.append(_Group([i for i, _ in chosen], [rows for _, rows in chosen], order,
                             packed))
    return groups


def _rel_columns(props: list[pa.Table]) -> list[str]:
    """The relationship table's columns after the ids and keys: ``type``, then the
    property columns some row of some part fills, by name."""
    filled = {name for table in props for name in table.column_names
              if table.column(name).null_count < len(table)}
    return ["type", *sorted(filled - {"type"})]


def _final_type(name: str) -> pa.DataType:
    """A relationship column's type in the tables (coded text as plain text)."""
    return ARROW_TYPES[REL_PROPERTY_TYPES.get(name, "str")]


def _plain(values: pa.Array | pa.ChunkedArray, typ: pa.DataType) -> pa.Array:
    """``values`` as one array of ``typ`` (coded text made plain)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    return values if values.type == typ else values.cast(typ)


class _Gather:
    """Where each row of a group of parts comes from: ``member[k]``, the index of its part
    among the group's (None: a group of one part), and its row in that part: ``local[k]``
    when some member keeps only some rows, else ``order[k]`` minus that member's start in
    the members laid end to end (no array made)."""

    def __init__(self, group: _Group, sizes: list[int]) -> None:
        counts = [sizes[i] if rows is None else len(rows)
                  for i, rows in zip(group.members, group.rows)]
        self.n_members = len(counts)
        self.counts = counts
        self.starts = np.cumsum([0, *counts])[:-1]
        self.order = group.order
        # positions fit in int32 (half the bytes of each index made) below 2**31 rows
        self.small = np.int32 if sum(sizes) < 2 ** 31 else np.int64
        self.member = None
        if len(counts) > 1:
            small = np.int8 if len(counts) < 128 else np.int32
            self.member = np.repeat(np.arange(len(counts), dtype=small), counts)
            self.member = self.member[group.order]
        self.local = None
        if any(rows is not None for rows in group.rows):
            if self.member is None:
                self.local = group.rows[0][group.order]
            else:
                self.local = group.order - self.starts[self.member]
                for k, rows in enumerate(group.rows):
                    if rows is not None:
                        at = self.member == k
                        self.local[at] = rows[self.local[at]]
        self._index: dict[tuple[int, ...], pa.Array | _Sparse] = {}
        self._uses: dict[tuple[int, ...], int] = {}

    def will_take(self, haves: list[tuple[int, ...]]) -> None:
        """The members that have each column still to be taken: the index of a set of
        members is let go after its last column (not held, one row each, until every
        column is made)."""
        for have in haves:
            if have:
                self._uses[have] = self._uses.get(have, 0) + 1

    def __len__(self) -> int:
        return len(self.order)

    def _index_of(self, have: tuple[int, ...], sizes: list[int]) -> pa.Array | _Sparse:
        """Per row, its position in the members ``have`` laid end to end (null: a row of
        another member), or for members that hold few of the group's rows, their rows
        alone (:class:`_Sparse`); made once per set of members (columns of one part share
        it)."""
        if have not in self._index:
            self._index[have] = self._sparse(have, sizes) if self._few(have) else \
                self._positions(have, sizes)
        return self._index[have]

    def _few(self, have: tuple[int, ...]) -> bool:
        """Whether the members ``have`` hold at most ``_SPARSE_SHARE`` of the rows."""
        return self.member is not None and \
            sum(self.counts[k] for k in have) <= _SPARSE_SHARE * len(self)

    def _shift(self, have: tuple[int, ...], sizes: list[int]) -> np.ndarray:
        """Per member, what its rows' ``local`` (or ``order``) positions are moved by to
        be positions in the members ``have`` laid end to end."""
        shift = np.zeros(self.n_members, dtype=np.int64)
        shift[list(have)] = np.cumsum([0, *sizes[:-1]])
        if self.local is None:
            shift -= self.starts
        return shift.astype(self.small)

    def _positions(self, have: tuple[int, ...], sizes: list[int]) -> pa.Array:
        base = self.order if self.local is None else self.local
        if self.member is None:  # one part, which has the column: its rows as they are
            return pa.array(base)
        index = self._shift(have, sizes)[self.member]
        np.add(index, base, out=index, casting="unsafe")
        if len(have) == self.n_members:
            return pa.array(index)
        absent = np.ones(self.n_members, dtype=bool)
        absent[list(have)] = False
        return pa.array(index, mask=absent[self.member])

    def _sparse(self, have: tuple[int, ...], sizes: list[int]) -> _Sparse:
        """The rows of the members ``have`` (a few of the group's) and their positions in
        those members laid end to end: no index of a row each is made."""
        base = self.order if self.local is None else self.local
        present = np.zeros(self.n_members, dtype=bool)
        present[list(have)] = True
        mask = present[self.member]
        at = np.flatnonzero(mask)
        index = self._shift(have, sizes)[self.member[at]]
        np.add(index, base[at], out=index, casting="unsafe")
        return _Sparse(at, pa.array(mask), pa.array(index))

    def take(self, columns: list[pa.ChunkedArray | None], typ: pa.DataType) -> pa.Array:
        """The group's rows of a column (``columns``: per member, its column, None where
        that part lacks it): one gather from the members that have it."""
        have = [k for k, column in enumerate(columns) if column is not None]
        if not have:
            return _Nulls().array(typ, len(self))
        if len(have) == 1:  # coded text stays coded through the gather
            column = columns[have[0]]
            sources = [column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)]
        else:
            sources = [_plain(columns[k], typ) for k in have]
        index = self._index_of(tuple(have), [len(source) for source in sources])
        values = sources[0] if len(sources) == 1 else pa.concat_arrays(sources)
        if isinstance(index, _Sparse):  # a few rows gathered, laid into a null column
            taken = index.spread(_plain(values.take(index.index), typ), typ)
        else:
            taken = values.take(index)
        del index, values, sources
        self._done_with(tuple(have))
        return _plain(taken, typ)

    def _done_with(self, have: tuple[int, ...]) -> None:
        if have in self._uses:
            self._uses[have] -= 1
            if not self._uses[have]:
                del self._uses[have]
                self._index.pop(have, None)


#: ``_Gather``: members that hold at most this share of a group's rows have their columns
#: gathered at their rows alone and laid into a null column (the payments, review pairs
#: and households among millions of identifier relationships), not by an index of a row
#: each over the whole group
_SPARSE_SHARE = 0.25


@dataclass
class _Sparse:
    """The rows of a group that a few of its members hold: ``at``, their positions in
    the group (increasing); ``present``, the same as a mask of the group's rows;
    ``index``, their positions in those members laid end to end."""

    at: np.ndarray
    present: pa.BooleanArray
    index: pa.Array

    def spread(self, values: pa.Array, typ: pa.DataType) -> pa.Array:
        """``values`` (one per row of ``at``, in order) at their rows of the group, null
        on every other row: the column written once, at its final size."""
        n = len(self.present)
        valid = self._valid(values)
        if pa.types.is_integer(typ) or pa.types.is_floating(typ):
            data = np.zeros(n, dtype=typ.to_pandas_dtype())
            data[self.at] = values.fill_null(0).to_numpy(zero_copy_only=False)
            buffers, children = [valid.buffers()[1], pa.py_buffer(data)], None
        elif pa.types.is_string(typ) or pa.types.is_list(typ):
            # each row's length at its place, the characters (items) as they are
            ends = np.frombuffer(values.buffers()[1], dtype=np.int32, count=len(values) + 1,
                                 offset=values.offset * 4)
            offsets = np.zeros(n + 1, dtype=np.int32)
            offsets[self.at + 1] = np.diff(ends)
            np.cumsum(offsets, out=offsets)
            offsets += ends[0]
            if pa.types.is_list(typ):
                buffers, children = [valid.buffers()[1], pa.py_buffer(offsets)], \
                    [values.values]
            else:
                buffers, children = [valid.buffers()[1], pa.py_buffer(offsets),
                                     values.buffers()[2] or pa.py_buffer(b"")], None
        else:
            return pc.replace_with_mask(_Nulls().array(typ, n), self.present, values)
        return pa.Array.from_buffers(typ, n, buffers, null_count=n - valid.true_count,
                                     children=children)

    def _valid(self, values: pa.Array) -> pa.BooleanArray:
        """Which rows of the group have a value: ``present``, less the nulls among
        ``values``."""
        if not values.null_count:
            return self.present
        known = np.zeros(len(self.present), dtype=bool)
        known[self.at] = values.is_valid().to_numpy(zero_copy_only=False)
        return pa.array(known)


def _column_of(table: pa.Table, name: str) -> pa.ChunkedArray | None:
    return table.column(name) if name in table.column_names else None


def _ordered_ends(groups: list[_Group], starts: list[np.ndarray], types: list[np.ndarray],
                  ends: list[np.ndarray], n_nodes: int, n_types: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start ids, type codes and end ids of the kept rows of every group, in order, each
    written once into its final array: a sorted group's ids are read off its packed keys
    in order (one gather of one array instead of a join and a gather per column)."""
    def kept(arrays: list[np.ndarray], i: int, rows: np.ndarray | None) -> np.ndarray:
        return arrays[i] if rows is None else arrays[i][rows]

    sizes = [len(g.order) if g.order is not None else
             len(starts[g.members[0]]) if g.rows[0] is None else len(g.rows[0])
             for g in groups]
    n = sum(sizes)
    start_id, end_id = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    type_code = np.empty(n, dtype=types[0].dtype if types else np.int8)
    at = 0
    for group, size in zip(groups, sizes):
        out = slice(at, at + size)
        at += size
        if group.order is None:
            i, rows = group.members[0], group.rows[0]
            for arrays, target in ((starts, start_id), (types, type_code), (ends, end_id)):
                if rows is None:
                    target[out] = arrays[i]
                else:  # rows are valid positions: "clip" gathers with no buffer
                    np.take(arrays[i], rows, out=target[out], mode="clip")
            continue
        chosen = list(zip(group.members, group.rows))
        pairs = ((types, type_code),) if group.keys is not None else \
            ((starts, start_id), (types, type_code), (ends, end_id))
        for arrays, target in pairs:
            joined = kept(arrays, *chosen[0]) if len(chosen) == 1 else \
                np.concatenate([kept(arrays, i, rows) for i, rows in chosen])
            np.take(joined, group.order, out=target[out], mode="clip")
            del joined
        if group.keys is not None:
            # key = (start * n_types + type) * n_nodes + end, all >= 0: sorted keys give
            # end = key % n_nodes and start = key // (n_types * n_nodes)
            sorted_keys = start_id[out]
            np.take(group.keys, group.order, out=sorted_keys, mode="clip")
            group.keys = None
            np.remainder(sorted_keys, n_nodes, out=end_id[out])
            np.floor_divide(sorted_keys, n_types * n_nodes, out=sorted_keys)
    return start_id, type_code, end_id


def _key_columns(keys: pa.ChunkedArray, start_id: np.ndarray, end_id: np.ndarray,
                 joined: _EndKeys | pa.Array | None = None
                 ) -> tuple[pa.ChunkedArray, pa.Array]:
    """The start and end node keys of each relationship row. Start ids rise (the rows
    are in start order), so each chunk of the node keys gives one run of them: gathered
    from that chunk alone, or sliced from it, with no copy, when the run is ids one
    after another (a layout's records, each with its one ``RESOLVED_TO``). End ids are
    in no order: gathered from the node keys in one array (``joined`` when the caller
    has it, else :func:`_node_keys`)."""
    chunks = [chunk for chunk in keys.chunks if len(chunk)]
    bounds = np.cumsum([0, *(len(chunk) for chunk in chunks)])
    at = np.searchsorted(start_id, bounds).tolist()
    # positions within a chunk fit in int32 below 2**31 nodes: half the bytes of each
    # gather's index
    small = np.int32 if len(keys) < 1 << 31 else np.int64
    pieces = []
    for chunk, first, a, b in zip(chunks, bounds[:-1].tolist(), at[:-1], at[1:]):
        if b > a:
            lo, hi = int(start_id[a]) - first, int(start_id[b - 1]) - first
            if hi - lo == b - a - 1 and bool((start_id[a + 1:b] != start_id[a:b - 1]).all()):
                pieces.append(chunk.slice(lo, b - a))
            else:
                local = np.subtract(start_id[a:b], first, out=np.empty(b - a, small),
                                    casting="unsafe")
                pieces.append(chunk.take(pa.array(local)))
                del local
    if joined is None:
        joined = _node_keys(keys)
    if not isinstance(joined, _EndKeys):
        joined = _EndKeys(joined)
    return pa.chunked_array(pieces, pa.string()), joined.take(end_id)


def _type_column(type_code: np.ndarray, type_names: list[str]) -> pa.Array:
    """The type text of each row (the text made once, in order)."""
    return pa.DictionaryArray.from_arrays(  # the codes (int8) as the indices: no copy
        pa.array(type_code), pa.array(type_names, pa.string())).cast(pa.string())


def _part_column(column: pa.ChunkedArray | None, rows: np.ndarray | None, n: int,
                 typ: pa.DataType) -> pa.Array:
    """A group of one part in order: its column (its ``rows``; null when it lacks it)."""
    if column is None:
        return _Nulls().array(typ, n)
    column = _plain(column, typ)
    return column if rows is None else column.take(pa.array(rows))


def _relationships(keys: pa.ChunkedArray, starts: list[np.ndarray], ends: list[np.ndarray],
                   props: list[pa.Table], n_nodes: int,
                   joined: _EndKeys | pa.Array | None = None) -> pa.Table:
    """The relationship table of the parts' rows whose ends are known, in (start, type,
    end) order: ids, keys, then the columns. A group of one part in order is laid out as
    that part's columns (no gather); the others are gathered once per column from the
    parts that have that column."""
    types, type_names = _type_codes([table.column("type") for table in props])
    groups = _groups(starts, types, ends, n_nodes, len(type_names))
    sizes = [len(table) for table in props]
    start_id, type_code, end_id = _ordered_ends(groups, starts, types, ends, n_nodes,
                                                len(type_names))
    del starts, ends, types
    columns = {"start_id": pa.array(start_id), "end_id": pa.array(end_id)}
    columns["start"], columns["end"] = _key_columns(keys, start_id, end_id, joined)
    del joined
    columns["type"] = _type_column(type_code, type_names)
    del start_id, end_id, type_code
    gathers = [None if g.order is None else _Gather(g, sizes) for g in groups]
    names = _rel_columns(props)[1:]
    for group, gather in zip(groups, gathers):
        if gather is not None:
            gather.will_take([tuple(k for k, i in enumerate(group.members)
                                    if name in props[i].column_names) for name in names])
    for name in names:
        typ = _final_type(name)
        chunks = []
        for group, gather in zip(groups, gathers):
            if gather is None:
                i, rows = group.members[0], group.rows[0]
                chunks.append(_part_column(_column_of(props[i], name), rows,
                                           sizes[i] if rows is None else len(rows), typ))
            else:
                chunks.append(gather.take([_column_of(props[i], name) for i in group.members],
                                          typ))
        columns[name] = pa.chunked_array(chunks, typ)
    return pa.table(columns)


@dataclass
class _EndKeys:
    """The node keys that relationships may end at, in one array (for the gather of end
    keys by node ids): ``keys``, the nodes of ``spans`` (node id ranges, in order; None:
    every node) laid end to end."""

    keys: pa.Array
    spans: list[tuple[int, int]] | None = None

    def take(self, ids: np.ndarray) -> pa.Array:
        """The keys of nodes ``ids`` (each within a span)."""
        if self.spans is None:
            return self.keys.take(pa.array(ids))
        # positions among the spans' keys as int32 below 2**31 nodes: each id less the
        # gaps before its span, one pass per span
        lo = self.spans[0][0]
        at = np.empty(len(ids), dtype=np.int32 if len(self.keys) < 1 << 31 else np.int64)
        np.subtract(ids, lo, out=at, casting="unsafe")
        beyond = np.empty(len(ids), dtype=bool)
        for (_, hi), (next_lo, _) in itertools.pairwise(self.spans):
            np.greater_equal(ids, next_lo, out=beyond)
            np.subtract(at, next_lo - hi, out=at, where=beyond)
        return self.keys.take(pa.array(at))


def _joined_keys(nodes: pa.Table, spans: list[tuple[int, int]] | None = None
                 ) -> tuple[pa.Table, _EndKeys]:
    """The node keys in one array (for the gather of end keys by node ids; only those of
    ``spans`` when given, the node id ranges of the parts relationships end at: the
    records' keys, the most and the longest, are not copied), and the node table with
    its key column made of slices of that array at its chunks' bounds: the chunks (every
    part's keys) are let go once joined, not held beside their copy while the
    relationships are made (the same keys, the same chunks)."""
    index = nodes.schema.get_field_index("key")
    keys = nodes.column(index).cast(pa.string())
    spans = _merged(spans, len(keys))
    if spans is None:
        joined = _node_keys(keys)
        if keys.num_chunks > 1:
            bounds = np.cumsum([0, *(len(chunk) for chunk in keys.chunks)]).tolist()
            keys = pa.chunked_array([joined.slice(a, b - a)
                                     for a, b in itertools.pairwise(bounds)], pa.string())
        return nodes.set_column(index, "key", keys), _EndKeys(joined)
    joined = _node_keys(pa.chunked_array(
        [chunk for lo, hi in spans for chunk in keys.slice(lo, hi - lo).chunks],
        pa.string()))
    bounds = np.cumsum([0, *(len(chunk) for chunk in keys.chunks)]).tolist()
    chunks = []
    for chunk, a, b in zip(keys.chunks, bounds[:-1], bounds[1:]):
        held = [(lo, hi) for lo, hi in spans if lo <= a and b <= hi]
        if held and len(chunk):  # where its span's keys start among the joined ones
            before = sum(hi - lo for lo, hi in spans if hi <= held[0][0])
            chunks.append(joined.slice(before + a - held[0][0], b - a))
        else:  # a chunk outside the spans (or across a bound): kept as it is
            chunks.append(chunk)
    keys = pa.chunked_array(chunks, pa.string())
    return nodes.set_column(index, "key", keys), _EndKeys(joined, spans)


def _merged(spans: list[tuple[int, int]] | None, n: int) -> list[tuple[int, int]] | None:
    """Node id ranges sorted, the empty ones left out and touching ones joined; None
    (every node) when they are not given or cover every node."""
    if spans is None:
        return None
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(span for span in spans if span[1] > span[0]):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    covered = sum(hi - lo for lo, hi in merged)
    return None if not merged or covered >= n else merged


def _spans_of(parts: dict[str, pa.Table],
              layout: list[tuple[str, pa.Array | None]] | np.ndarray,
              names: set[str | None]) -> list[tuple[int, int]] | None:
    """The node id range of each part named in ``names`` when the parts are laid out one
    after another (``_lay_out``); None when they are not, or when a name is None (a
    relationship that may end at any node)."""
    if isinstance(layout, np.ndarray) or None in names:
        return None
    spans, offset = [], 0
    for name, _ in layout:
        n = len(parts[name])
        if name in names:
            spans.append((offset, offset + n))
        offset += n
    return spans


def _node_keys(keys: pa.ChunkedArray) -> pa.Array:
    """The node keys in one array, for a gather by node ids (a gather over a chunked
    column joins its chunks each time); the node table keeps its own chunks."""
    return keys.combine_chunks() if keys.num_chunks != 1 else keys.chunk(0)


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
    end_spans = _spans_of(parts, layout, {p.end_part for p in rel_parts})
    ends = places.node_ids_of([(p.frame["start"], p.start_part) for p in rel_parts] +
                              [(p.frame["end"], p.end_part) for p in rel_parts])
    starts, ends = ends[:len(rel_parts)], ends[len(rel_parts):]
    del places
    props = [_typed_part(_arrow_part(p.frame.drop(columns=["start", "end"]),
                                     REL_PROPERTY_TYPES), REL_PROPERTY_TYPES)
             for p in rel_parts]
    rel_parts.clear()
    nodes = _lay_out(parts, layout)
    first = _first_of_repeats(nodes)
    if first is not None:
        nodes = nodes.filter(pa.array(np.r_[True, first[1:] != first[:-1]]))
        end_spans = None  # ids moved
        starts = [np.where(s >= 0, first[np.maximum(s, 0)], -1) for s in starts]
        ends = [np.where(e >= 0, first[np.maximum(e, 0)], -1) for e in ends]
    nodes = nodes.add_column(0, "node_id", pa.array(np.arange(len(nodes), dtype=np.int64)))
    nodes = _plain_text(_select(nodes, ("node_id", "key", "label")))
    if props:
        nodes, joined = _joined_keys(nodes, end_spans)
        rels = _relationships(nodes.column("key"), starts, ends, props, len(nodes), joined)
        del joined
    else:
        empty = pa.array([], pa.string())
        rels = pa.table({"start_id": pa.array([], pa.int64()), "end_id": pa.array([], pa.int64()),
                         "start": empty, "end": empty, "type": empty})
    return GraphTables(to_pandas(nodes), to_pandas(rels))


__all__ = ["ARROW_TYPES", "CODED_TEXT", "ENTITIES", "IDENTIFIERS", "LIST_DTYPE", "SANCTIONS",
           "RelPart", "arrow_chunks", "arrow_text", "assemble", "coded_text", "repeated_text",
           "take_rows", "to_pandas"]
