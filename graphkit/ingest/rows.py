"""Stream the rows of a delimited text file in chunks, each row with its physical line.

The csv module parses; this module watches what it is fed, so that no record disappears
quietly:

- a stray quote makes the csv module read on over line ends until the next quote, folding
  the records on those lines into one field. A row spanning several physical lines whose
  later lines parse on their own as complete records is such a case: the row is reported
  (its line range and the number of records it swallowed), and those lines are read again;
- a row with the wrong number of fields is skipped and reported with its line (range);
- a physical line longer than ``Limits.max_line_chars`` is skipped and reported;
- control characters (C0 except tab and line ends, DEL, C1, U+FFFE/U+FFFF) are removed
  from fields and reported; bytes invalid in the declared encoding are re-read as
  Windows-1252 and reported. Only the columns that are loaded are checked.
"""

from __future__ import annotations

import csv
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from graphkit.issues import InputError, IssueLog
from graphkit.limits import LimitError
from graphkit.settings import DEFAULT_SETTINGS

#: Rows per chunk: memory stays bounded by the chunk and the (Arrow) frames built from it.
CHUNK_ROWS = 100_000

_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_ESCAPED = re.compile("[\udc80-\udcff]")


@dataclass(frozen=True)
class Limits:
    """Size limits of one read (from :class:`graphkit.settings.Settings`)."""

    max_columns: int = DEFAULT_SETTINGS.max_columns
    max_field_chars: int = DEFAULT_SETTINGS.max_field_chars
    max_decompressed_bytes: int = DEFAULT_SETTINGS.max_decompressed_bytes
    max_compression_ratio: int = DEFAULT_SETTINGS.max_compression_ratio

    @property
    def gzip(self) -> tuple[int, int]:
        """Limits of a gzip-compressed file: unpacked bytes, compression ratio."""
        return self.max_decompressed_bytes, self.max_compression_ratio

    @property
    def max_line_chars(self) -> int:
        """A physical line longer than this is skipped (1,000 fields' worth)."""
        return self.max_field_chars * 1_000


@dataclass
class Chunk:
    """Rows (lists of field strings, header width) and the first physical line of each."""

    rows: list[list[str]]
    lines: list[int]


def repair(value: str) -> str:
    """Re-read a field whose bytes were not valid in their encoding as Windows-1252."""
    return value.encode("utf-8", "surrogateescape").decode("cp1252", errors="replace")


def _char_names(chars: set[str]) -> str:
    return ", ".join(f"U+{ord(c):04X}" for c in sorted(chars))


class _Lines:
    """Physical lines for the csv reader: remembers the lines of the current row, takes
    lines back to be read again, skips over-long lines and flags suspicious characters."""

    def __init__(self, stream: TextIO, path: Path, max_chars: int, log: IssueLog) -> None:
        self.stream, self.path, self.max_chars, self.log = stream, path, max_chars, log
        self.next_line = 1  # physical line number of the next line handed out
        self.current: list[str] = []
        self.flagged = False
        self.pending: deque[str] = deque()
        self.too_long = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self.pending.popleft() if self.pending else self._read()
        self.current.append(line)
        self.next_line += 1
        if _BAD.search(line):
            self.flagged = True
        return line

    def _read(self) -> str:
        line = self.stream.readline(self.max_chars)
        if not line:
            raise StopIteration
        if len(line) < self.max_chars or line.endswith(("\n", "\r")):
            return line
        length = len(line)
        while True:  # skip the rest of the over-long line
            more = self.stream.readline(self.max_chars)
            length += len(more)
            if len(more) < self.max_chars or more.endswith(("\n", "\r")):
                break
        self.too_long += 1
        self.log.error(self.path, self.next_line, None,
                       f"line longer than {self.max_chars:,} characters ({length:,}; limit "
                       "1,000 x max_field_chars); line skipped")
        return "\n"  # keeps the line numbering; the csv reader sees a blank line

    def start_row(self) -> int:
        """Forget the previous row's lines; the line number the next row starts on."""
        self.current = []
        self.flagged = False
        return self.next_line

    def push_back(self, lines: list[str]) -> None:
        """Hand ``lines`` out again, before any further line of the file."""
        self.pending.extendleft(reversed(lines))
        self.next_line -= len(lines)


class RowReader:
    """The header and the row chunks of one delimited text file (see the module docstring).

    ``lost`` counts the records not loaded; each has an error in the log.
    """

    def __init__(self, stream: TextIO, path: Path, delimiter: str, encoding: str,
                 limits: Limits, log: IssueLog) -> None:
        self.path, self.delimiter, self.encoding, self.log = path, delimiter, encoding, log
        self.limits = limits
        self.lines = _Lines(stream, path, limits.max_line_chars, log)
        self.reader = csv.reader(self.lines, delimiter=delimiter, strict=False)
        self.lost = 0
        self.header = self._read_header()
        self.width = len(self.header)

    def _read_header(self) -> list[str]:
        name = self.path.name
        self.lines.start_row()
        try:
            row = next(self.reader)
        except StopIteration:
            raise InputError(f"{name}: the file is empty (no header row)") from None
        except csv.Error as exc:
            raise InputError(f"{name} line 1: unreadable header: {exc}") from None
        if len(row) > self.limits.max_columns:
            raise LimitError(f"{name} line 1: the header has {len(row):,} columns (limit "
                             f"max_columns = {self.limits.max_columns:,}); file refused")
        if not any(c.strip() for c in row):
            raise InputError(f"{name} line 1: the header row is blank")
        if self.lines.flagged:
            row = [self._clean(h, 1, None) for h in row]
        return [h.strip() for h in row]

    def _clean(self, value: str, line: int, column: str | None) -> str:
        if not _BAD.search(value):
            return value
        if _ESCAPED.search(value):
            value = repair(value)
            self.log.warn(self.path, line, column, f"bytes not valid {self.encoding}: read as "
                                                   f"Windows-1252 ({value[:60]!r})")
        found = set(_BAD.findall(value))
        if found:
            value = _BAD.sub("", value)
            self.log.warn(self.path, line, column,
                          f"control characters removed ({_char_names(found)})")
        return value

    def _is_record(self, line: str) -> bool:
        fields = next(csv.reader([line], delimiter=self.delimiter, strict=False), [])
        return len(fields) == self.width

    def skip(self, start: int, why: str, end: int | None = None) -> None:
        """Report the row starting on line ``start`` as malformed and not loaded."""
        self.lost += 1
        where = f" (lines {start}-{end})" if end is not None and end > start else ""
        self.log.error(self.path, start, None, f"malformed row{where}: {why}; row skipped")

    def _swallowed(self, row: list[str], start: int) -> bool:
        """A row over several lines: True when it was reported (and its lines re-queued)."""
        span = list(self.lines.current)
        end = start + len(span) - 1
        held = sum(1 for line in span[1:] if self._is_record(line)) if self.width > 1 else 0
        if not held:
            if len(row) == self.width:
                return False  # a quoted field with line breaks in it: fine
            self.skip(start, f"expected {self.width} fields, got {len(row)}", end)
            return True
        self.lines.push_back(span[1:])
        self.lost += 1
        self.log.error(self.path, start, None,
                       f"unbalanced quote: a quoted field opened on line {start} ran to line "
                       f"{end} and swallowed {held} record(s) on lines {start + 1}-{end}; "
                       f"line {start} skipped, lines {start + 1}-{end} read again")
        return True

    def chunks(self, columns: list[int], size: int = CHUNK_ROWS) -> Iterator[Chunk]:
        """Rows in chunks of ``size``; only the fields at ``columns`` are cleaned."""
        rows: list[list[str]] = []
        starts: list[int] = []
        width, lines, reader = self.width, self.lines, self.reader
        names = self.header
        while True:
            start = lines.start_row()
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                span = list(lines.current)
                if len(span) > 1:
                    lines.push_back(span[1:])
                self.skip(start, str(exc))
                continue
            if len(lines.current) > 1 and self._swallowed(row, start):
                continue
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != width:
                if len(row) > width and not any(c.strip() for c in row[width:]):
                    row = row[:width]
                else:
                    self.skip(start, f"expected {width} fields, got {len(row)}")
                    continue
            if lines.flagged:
                for j in columns:
                    row[j] = self._clean(row[j], start, names[j])
            rows.append(row)
            starts.append(start)
            if len(rows) >= size:
                yield Chunk(rows, starts)
                rows, starts = [], []
        if rows:
            yield Chunk(rows, starts)
