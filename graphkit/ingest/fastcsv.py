"""The fast path: a clean UTF-8 file parsed by Arrow's CSV reader, in record batches.

A file is *clean* when one physical line is exactly one record and nothing in it needs a
repair: valid UTF-8, no control characters, no lone carriage returns, no blank lines, no
line over the length limit, and quotes only where the csv module and Arrow read them alike
(opening or closing a field, or doubled inside one) and balanced on every line. ``is_clean``
checks that with one pass of byte-level scans, without parsing. A clean file's rows keep
their physical line numbers (a row Arrow cannot take is handed back with its line, to be
read by the csv module); any other file is read by :mod:`graphkit.ingest.rows`.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from graphkit.ingest.fields import STR

BLOCK_BYTES = 16 << 20
_CONTROL = np.zeros(256, dtype=bool)  # C0 controls except tab, LF, CR; DEL
_CONTROL[[*range(9), 11, 12, *range(14, 32), 127]] = True


def _follows(arr: np.ndarray, lead: int, low: int, high: int) -> bool:
    """Whether byte ``lead`` is ever followed by a byte in ``low..high``."""
    at = np.flatnonzero(arr[:-1] == lead) + 1
    return bool(len(at)) and bool(np.any((arr[at] >= low) & (arr[at] <= high)))


def _unclean_bytes(part: bytes, arr: np.ndarray, delimiter: int) -> bool:
    """Control characters (C0, DEL, C1 as UTF-8), U+FFFE/U+FFFF, a lone CR, or a quote
    inside a field (neither opening, closing nor doubled)."""
    if _CONTROL[arr].any() or part.count(b"\r") != part.count(b"\r\n"):
        return True
    if _follows(arr, 0xC2, 0x80, 0x9F) or b"\xef\xbf\xbe" in part or b"\xef\xbf\xbf" in part:
        return True
    quotes = np.flatnonzero(arr == 34)
    if not len(quotes):
        return False
    before = np.where(quotes > 0, arr[np.maximum(quotes - 1, 0)], 10)
    after = np.where(quotes < len(arr) - 1, arr[np.minimum(quotes + 1, len(arr) - 1)], 10)
    opens = np.isin(before, (delimiter, 10, 34))
    closes = np.isin(after, (delimiter, 10, 13, 34))
    return bool(np.any(~opens & ~closes))


def is_clean(binary: BinaryIO, delimiter: str, max_line_chars: int) -> bool:
    """Whether a UTF-8 stream can take the fast path (see the module docstring)."""
    if len(delimiter.encode("utf-8")) != 1:
        return False
    delim = delimiter.encode("utf-8")[0]
    decoder = codecs.getincrementaldecoder("utf-8")()
    carry = b""
    while True:
        block = binary.read(BLOCK_BYTES)
        data = carry + block
        if not block:
            part, carry = (data + b"\n" if data else b""), b""
        else:
            cut = data.rfind(b"\n") + 1
            part, carry = data[:cut], data[cut:]
            if len(carry) > max_line_chars:
                return False
        if part:
            arr = np.frombuffer(part, dtype=np.uint8)
            if _unclean_bytes(part, arr, delim):
                return False
            try:
                decoder.decode(part)
            except UnicodeDecodeError:
                return False
            ends = np.flatnonzero(arr == 10)
            lengths = np.diff(ends, prepend=-1)
            if lengths.max() > max_line_chars or lengths.min() <= 2:
                return False
            quotes = np.searchsorted(np.flatnonzero(arr == 34), ends, side="right")
            if np.any(np.diff(quotes, prepend=0) % 2):
                return False
        if not block:
            return True


class ArrowRows:
    """Record batches of a clean file as frames of the ``used`` columns, with lines.

    ``late`` collects the rows Arrow refused (wrong number of fields): physical line and
    text, for the csv module to read (they are few).
    """

    def __init__(self, binary: BinaryIO, width: int, used: dict[str, int], delimiter: str,
                 block_bytes: int = BLOCK_BYTES) -> None:
        self.late: list[tuple[int, str]] = []
        names = [f"c{i}" for i in range(width)]
        self._used = {names[i]: name for name, i in used.items()}
        include = list(self._used)
        self._reader = pacsv.open_csv(
            binary,
            read_options=pacsv.ReadOptions(use_threads=False, block_size=block_bytes,
                                           skip_rows=1, column_names=names),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char='"',
                                             double_quote=True, escape_char=False,
                                             newlines_in_values=False,
                                             ignore_empty_lines=False,
                                             invalid_row_handler=self._refuse),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in include}, include_columns=include,
                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
        self._next_line = 2

    def _refuse(self, row) -> str:
        self.late.append((int(row.number), row.text))
        return "skip"

    def __iter__(self) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
        for batch in self._reader:
            n = batch.num_rows
            late = np.array([line for line, _ in self.late], dtype=np.int64)
            pending = late[late >= self._next_line]
            lines = np.arange(self._next_line, self._next_line + n + len(pending),
                              dtype=np.int64)
            if len(pending):
                lines = lines[~np.isin(lines, pending)]
            lines = lines[:n]
            if n:
                self._next_line = int(lines[-1]) + 1
            frame = pd.DataFrame(
                {name: pd.Series(pd.array(batch.column(col), dtype=STR))
                 for col, name in self._used.items()},
                index=pd.RangeIndex(n))
            yield frame, lines


def parse_line(text: str, delimiter: str) -> list[str]:
    """Fields of one physical line, as the csv module reads them."""
    return next(csv.reader([text], delimiter=delimiter, strict=False), [])
