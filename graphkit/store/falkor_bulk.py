"""FalkorDB's bulk-insert format (``GRAPH.BULK``), written from a build's table batches.

One blob per label or relationship type: its name and property names (NUL-terminated), then
per entity each property as a type byte and a value (``0`` alone: missing). Relationships
start with their start and end node ids as two unsigned 64-bit integers. The engine numbers
nodes in the order they arrive, from 0 in a new graph. Values the engine cannot hold are
changed and counted in ``Cleaned``: a NUL character (it ends the engine's strings) becomes
U+FFFD; a float that is not finite is left out.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graphkit.store.rows import Batch

_NULL = b"\x00"
_STRING_TAG = pa.scalar(b"\x03", type=pa.large_binary())
_END = pa.scalar(b"\x00", type=pa.large_binary())
_EMPTY = pa.scalar(b"", type=pa.large_binary())
_BOOL, _DOUBLE, _STRING, _LONG, _ARRAY = 1, 2, 3, 4, 5


@dataclass
class Cleaned:
    """Values changed so that the engine can hold them, per ``(file, column)``."""

    nul_replaced: dict[tuple[str, str], int] = field(default_factory=dict)
    non_finite: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, counts: dict, where: tuple[str, str], n: int) -> None:
        """Count ``n`` more changes of one kind at ``where``."""
        if n:
            counts[where] = counts.get(where, 0) + n

    def lines(self) -> list[str]:
        """One plain line per kind of change and column."""
        return ([f"{f} column '{c}': NUL replaced by U+FFFD in {n:,} values"
                 for (f, c), n in sorted(self.nul_replaced.items())]
                + [f"{f} column '{c}': {n:,} values not finite, left out"
                   for (f, c), n in sorted(self.non_finite.items())])


def _cstring(text: str) -> bytes:
    return text.encode("utf-8") + _NULL


def header(name: str, properties: list[str]) -> bytes:
    """The blob header: entity name, property count, property names."""
    return (_cstring(name) + struct.pack("=I", len(properties))
            + b"".join(_cstring(p) for p in properties))


class _Encoder:
    def __init__(self, where: tuple[str, str], cleaned: Cleaned) -> None:
        self.where, self.cleaned = where, cleaned

    def text(self, value: str) -> bytes:
        if "\x00" in value:
            self.cleaned.add(self.cleaned.nul_replaced, self.where, 1)
            value = value.replace("\x00", "\ufffd")
        return b"\x03" + value.encode("utf-8") + _NULL

    def value(self, value) -> bytes:
        if value is None or value is pd.NA:
            return _NULL
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, bool | np.bool_):
            return struct.pack("=B?", _BOOL, bool(value))
        if isinstance(value, int | np.integer):
            return struct.pack("=Bq", _LONG, int(value))
        if isinstance(value, float | np.floating):
            if math.isnan(value):
                return _NULL
            if math.isinf(value):
                self.cleaned.add(self.cleaned.non_finite, self.where, 1)
                return _NULL
            return struct.pack("=Bd", _DOUBLE, float(value))
        if isinstance(value, list | tuple | np.ndarray):
            items = [self.value(v) for v in value if v is not None]
            if not items:
                return _NULL
            return struct.pack("=Bq", _ARRAY, len(items)) + b"".join(items)
        return self.text(str(value))


def _is_text(values: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(values.dtype) and \
        pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")


def encode_column(values: pd.Series, where: tuple[str, str], cleaned: Cleaned) -> pa.Array:
    """Each cell of a column in the bulk format (a binary array without nulls); text
    columns are encoded by Arrow, in bulk."""
    if not _is_text(values):
        encoder = _Encoder(where, cleaned)
        return pa.array([encoder.value(v) for v in values.tolist()], type=pa.large_binary())
    text = pa.array(values, type=pa.large_string(), from_pandas=True)
    with_nul = pc.sum(pc.greater(pc.count_substring(text, "\x00"), 0)).as_py() or 0
    if with_nul:
        cleaned.add(cleaned.nul_replaced, where, with_nul)
        text = pc.replace_substring(text, "\x00", "\ufffd")
    cells = pc.binary_join_element_wise(_STRING_TAG, text.cast(pa.large_binary()), _END,
                                        _EMPTY)
    return pc.fill_null(cells, _END)


def _joined(arrays: list[pa.Array]) -> bytes:
    """The cells of ``arrays`` concatenated row by row, as one bytes object."""
    rows = pc.binary_join_element_wise(*arrays, _EMPTY) if len(arrays) > 1 else arrays[0]
    rows = rows.combine_chunks() if isinstance(rows, pa.ChunkedArray) else rows
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int64)
    start, end = offsets[rows.offset], offsets[rows.offset + len(rows)]
    return rows.buffers()[2].to_pybytes()[start:end]


def node_blob(batch: Batch, file: str, cleaned: Cleaned) -> bytes:
    """The blob of a batch of nodes of one label."""
    cells = [encode_column(values, (file, name), cleaned)
             for name, values in batch.columns.items()]
    return header(batch.kind.value, list(batch.columns)) + _joined(cells)


def relationship_blob(batch: Batch, starts: np.ndarray, ends: np.ndarray, file: str,
                      cleaned: Cleaned) -> bytes:
    """The blob of a batch of relationships of one type, between engine node ids."""
    pairs = np.stack([starts, ends], axis=1).astype("=u8")
    head = header(batch.kind.value, list(batch.columns))
    if not batch.columns:
        return head + pairs.tobytes()
    ids = pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), len(pairs),
                                               [None, pa.py_buffer(pairs.tobytes())])
    cells = [encode_column(values, (file, name), cleaned)
             for name, values in batch.columns.items()]
    return head + _joined([ids.cast(pa.large_binary()), *cells])
