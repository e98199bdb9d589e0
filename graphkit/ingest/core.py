"""Read source files through loader specs into records and identifiers frames, streaming.

``read_source`` reads one file in chunks of rows (Arrow record batches of
``fastcsv.BLOCK_BYTES`` for a clean file, ``rows.CHUNK_ROWS`` rows otherwise): each chunk is
turned into Arrow-backed string columns, mapped onto the layout's native columns and
checked column-wise, so memory grows with the loaded data, not with the text of the file.
``ingest`` reads several files, makes record ids unique across the files of a layout and
extracts the identifiers.
"""

from __future__ import annotations

import csv
import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from graphkit.ingest.columns import header_index
from graphkit.ingest.fastcsv import ArrowRows, is_clean, parse_line
from graphkit.ingest.fields import (
    STR,
    apply_rule,
    check_amounts,
    check_flags,
    constant,
    convert_dates,
    drop_huge,
    unique_ids,
)
from graphkit.ingest.files import check_file, open_binary, open_text
from graphkit.ingest.identifiers import empty_identifiers, extract_identifiers
from graphkit.ingest.rows import Chunk, Limits, RowReader
from graphkit.ingest.spec import LoaderSpec
from graphkit.intcodes import ascending
from graphkit.issues import InputError, IssueLog
from graphkit.limits import LimitError
from graphkit.schema import DATE_COLUMNS, NATIVE_COLUMNS, Layout, record_columns
from graphkit.settings import Settings


@dataclass
class Ingested:
    """Everything ingested: one records frame per layout, all identifiers, and the issues."""

    records: dict[Layout, pd.DataFrame]
    identifiers: pd.DataFrame
    log: IssueLog = field(default_factory=IssueLog)

    def count(self) -> dict[str, int]:
        """Rows loaded per layout."""
        return {layout.value: len(frame) for layout, frame in self.records.items()}


def empty_records(layout: Layout) -> pd.DataFrame:
    """A records frame of ``layout`` with no rows."""
    frame = pd.DataFrame({c: pd.Series(dtype=STR) for c in record_columns(layout)})
    frame["line"] = frame["line"].astype("int64")
    return frame


def limits_of(settings: Settings | None, spec: LoaderSpec | None = None) -> Limits:
    """Read limits from the settings; a loader spec's own ``max_field_chars`` wins."""
    settings = settings or Settings()
    field_chars = settings.max_field_chars
    if spec is not None and spec.max_field_chars is not None:
        field_chars = spec.max_field_chars
    return Limits(max_columns=settings.max_columns, max_field_chars=field_chars,
                  max_decompressed_bytes=settings.max_decompressed_bytes,
                  max_compression_ratio=settings.max_compression_ratio)


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of row lists come and go (ingest
    makes no reference cycles; the collector would rescan them all, again and again)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _raw_frame(chunk: Chunk, index: dict[str, int]) -> pd.DataFrame:
    columns = list(zip(*chunk.rows))
    return pd.DataFrame({name: pd.Series(columns[i], dtype=STR) for name, i in index.items()},
                        index=pd.RangeIndex(len(chunk.rows)))


def _map_chunk(raw: pd.DataFrame, lines: np.ndarray, spec: LoaderSpec, path: Path,
               limits: Limits, log: IssueLog) -> pd.DataFrame:
    drop_huge(raw, lines, path, limits.max_field_chars, log)
    dates = DATE_COLUMNS[spec.layout]
    out = {}
    for col in NATIVE_COLUMNS[spec.layout]:
        rule = spec.columns.get(col)
        if rule is None:
            out[col] = constant("", raw.index)
            continue
        values = apply_rule(rule, raw)
        if col in dates and rule.date_format:
            values = convert_dates(values, col, rule.date_format, lines, path, log)
        elif col == "amount":
            values = check_amounts(values, lines, path, log)
        elif col == "vpn":
            values = check_flags(values, lines, path, log)
        out[col] = values
    return pd.DataFrame(out, index=raw.index)


@dataclass
class ParsedRows:
    """One file's rows mapped onto its layout's native columns, before record ids are
    made unique: ``frame`` (``None`` when the file has no rows), each row's physical
    ``lines``, and whether Arrow read it (``fast``: the file is clean, every physical line
    one record, see :mod:`graphkit.ingest.fastcsv`)."""

    frame: pd.DataFrame | None
    lines: np.ndarray
    fast: bool


def read_source(path: str | Path, spec: LoaderSpec, log: IssueLog,
                source_name: str | None = None, settings: Settings | None = None
                ) -> pd.DataFrame:
    """Read one file through ``spec`` into a records frame of ``spec.layout``.

    Raises :class:`InputError` when the file cannot be used at all (missing, empty, not a
    regular file, a required column absent; :class:`LimitError` for a resource limit);
    row- and field-level problems go to ``log``. A clean UTF-8 file is parsed by Arrow
    (:mod:`graphkit.ingest.fastcsv`), any other by the csv module with every repair
    (:mod:`graphkit.ingest.rows`); both give the same records and issues.
    """
    return finish_records(parse_rows(path, spec, log, settings), path, spec, log,
                          source_name)


def parse_rows(path: str | Path, spec: LoaderSpec, log: IssueLog,
               settings: Settings | None = None) -> ParsedRows:
    """The first half of :func:`read_source`: parse and map the rows of one file."""
    path = Path(path)
    check_file(path)
    limits = limits_of(settings, spec)
    pieces: list[pd.DataFrame] = []
    line_parts: list[np.ndarray] = []
    with open_text(path, spec.encoding, *limits.gzip) as stream, _no_gc():
        old_limit = csv.field_size_limit(limits.max_line_chars)
        try:
            reader = RowReader(stream, path, spec.delimiter, spec.encoding, limits, log)
            used = _used_columns(reader, spec, path, log)
            fast = (stream.encoding == "utf-8-sig" and reader.lines.next_line == 2
                    and not reader.lines.flagged)
            if fast:
                with open_binary(path, *limits.gzip) as binary:
                    fast = is_clean(binary, spec.delimiter, limits.max_line_chars)
            if fast:
                fast = _read_fast(path, reader, used, spec, limits, log, pieces, line_parts)
            if not fast:
                for chunk in reader.chunks(sorted(set(used.values()))):
                    _add_chunk(chunk, used, spec, path, limits, log, pieces, line_parts)
        finally:
            csv.field_size_limit(old_limit)
    if not pieces:
        return ParsedRows(None, np.zeros(0, dtype=np.int64), fast)
    out = pd.concat(pieces, ignore_index=True) if len(pieces) > 1 else pieces[0]
    lines = np.concatenate(line_parts)
    if not ascending(lines):  # rows Arrow handed back out of order
        order = np.argsort(lines, kind="stable")
        out, lines = out.iloc[order].reset_index(drop=True), lines[order]
    return ParsedRows(out, lines, fast)


def finish_records(parsed: ParsedRows, path: str | Path, spec: LoaderSpec, log: IssueLog,
                   source_name: str | None = None) -> pd.DataFrame:
    """The second half of :func:`read_source`: record ids made unique within the file,
    and the ``source_name``, ``file`` and ``line`` columns added."""
    path = Path(path)
    if parsed.frame is None:
        return empty_records(spec.layout)
    out, lines = parsed.frame, parsed.lines
    out["record_id"] = unique_ids(out["record_id"], lines, path, log)
    out["source_name"] = constant(source_name or spec.name, out.index)
    out["file"] = constant(path.name, out.index)
    out["line"] = lines
    return out[record_columns(spec.layout)]


def _read_fast(path: Path, reader: RowReader, used: dict[str, int], spec: LoaderSpec,
               limits: Limits, log: IssueLog, pieces: list[pd.DataFrame],
               line_parts: list[np.ndarray]) -> bool:
    """Read a clean file with Arrow; False (nothing added) if Arrow cannot, e.g. a file
    that ends with its header line."""
    fast_log, fast_pieces, fast_lines = IssueLog(), [], []
    try:
        with open_binary(path, *limits.gzip) as binary:
            batches = ArrowRows(binary, reader.width, used, spec.delimiter)
            for raw, lines in batches:
                fast_pieces.append(_map_chunk(raw, lines, spec, path, limits, fast_log))
                fast_lines.append(lines)
    except pa.ArrowInvalid:
        return False
    late = _late_rows(batches.late, reader, fast_log)
    if late.rows:
        _add_chunk(late, used, spec, path, limits, fast_log, fast_pieces, fast_lines)
    for issue in fast_log.issues:
        log.add(issue.level, path, issue.line, issue.column, issue.message)
    pieces.extend(fast_pieces)
    line_parts.extend(fast_lines)
    return True


def _used_columns(reader: RowReader, spec: LoaderSpec, path: Path,
                  log: IssueLog) -> dict[str, int]:
    """Header position of each source column the spec reads; refuses a file without the
    required columns (before reporting anything else about its header)."""
    header_log = IssueLog()
    index = header_index(reader.header, spec, path, header_log)
    missing = [c for c in spec.required if c not in index]
    if missing:
        raise InputError(
            f"{path.name} line 1: missing required column(s) "
            f"{', '.join(repr(c) for c in missing)} (loader spec {spec.name}); "
            "file not loaded")
    for issue in header_log.issues:
        log.add(issue.level, path, issue.line, issue.column, issue.message)
    return {c: index[c] for c in sorted(spec.source_columns) if c in index}


def _add_chunk(chunk: Chunk, used: dict[str, int], spec: LoaderSpec, path: Path,
               limits: Limits, log: IssueLog, pieces: list[pd.DataFrame],
               line_parts: list[np.ndarray]) -> None:
    lines = np.asarray(chunk.lines, dtype=np.int64)
    raw = _raw_frame(chunk, used)
    pieces.append(_map_chunk(raw, lines, spec, path, limits, log))
    line_parts.append(lines)


def _late_rows(late: list[tuple[int, str]], reader: RowReader, log: IssueLog) -> Chunk:
    """The rows Arrow refused, read by the csv module: kept, or reported and skipped."""
    chunk = Chunk([], [])
    for line, text in sorted(late):
        row = parse_line(text, reader.delimiter)
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) > reader.width and not any(c.strip() for c in row[reader.width:]):
            row = row[:reader.width]
        elif len(row) != reader.width:
            log.error(reader.path, line, None, f"malformed row: expected {reader.width} "
                      f"fields, got {len(row)}; row skipped")
            continue
        chunk.rows.append(row)
        chunk.lines.append(line)
    return chunk


class SourceReader:
    """How :func:`ingest` turns one file into records and identifiers: parsed afresh
    (this class), or taken from a cache (``graphkit.incremental.ingest_cache``)."""

    def records(self, path: Path, spec: LoaderSpec, log: IssueLog, source_name: str | None,
                settings: Settings | None) -> pd.DataFrame:
        """The records frame of one file (:func:`read_source`)."""
        return read_source(path, spec, log, source_name=source_name, settings=settings)

    def identifiers(self, records: pd.DataFrame, spec: LoaderSpec, log: IssueLog
                    ) -> pd.DataFrame:
        """The identifiers of one file's records (after ids are made unique across files)."""
        return extract_identifiers(records, spec.identifiers, spec.layout, log)


def ingest(sources: Iterable[tuple[str | Path, LoaderSpec]], log: IssueLog | None = None,
           source_names: Iterable[str | None] | None = None,
           settings: Settings | None = None, reader: SourceReader | None = None
           ) -> Ingested:
    """Read every (file, spec) pair; files of one layout are stacked into one frame.

    Every file is checked before any is read: a path that is not a readable, non-empty
    regular file raises :class:`InputError` (unusable input), as does a file over a
    resource limit (:class:`LimitError`). A file whose content cannot be used (a required
    column missing) is reported as an error in the log and skipped; the others load.
    Record ids repeated across files of one layout are made unique and reported.
    ``reader`` (default: parse every file) may take unchanged files from a cache.
    """
    log = log if log is not None else IssueLog()
    reader = reader if reader is not None else SourceReader()
    sources = list(sources)
    for path, _spec in sources:
        check_file(path)
    names = list(source_names) if source_names is not None else [None] * len(sources)
    frames: dict[Layout, list[pd.DataFrame]] = {layout: [] for layout in Layout}
    loaded: list[tuple[LoaderSpec, int]] = []  # spec and position of its frame in frames
    for (path, spec), name in zip(sources, names):
        try:
            frame = reader.records(Path(path), spec, log, name, settings)
        except LimitError:
            raise
        except InputError as exc:
            log.error(Path(path), None, None, str(exc))
            continue
        loaded.append((spec, len(frames[spec.layout])))
        frames[spec.layout].append(frame)
    for parts in frames.values():
        if len(parts) > 1:
            dedupe_across_files(parts, log)
    id_frames = [reader.identifiers(frames[spec.layout][i], spec, log) for spec, i in loaded]
    records = {layout: (pd.concat(parts, ignore_index=True) if len(parts) > 1 else
                        parts[0] if parts else empty_records(layout))
               for layout, parts in frames.items()}
    id_frames = [f for f in id_frames if len(f)]
    identifiers = (pd.concat(id_frames, ignore_index=True) if id_frames
                   else empty_identifiers())
    return Ingested(records=records, identifiers=identifiers, log=log)


def dedupe_across_files(parts: list[pd.DataFrame], log: IssueLog) -> None:
    """Suffix record ids already used by an earlier file of the layout (in place)."""
    ids = pd.concat([p["record_id"] for p in parts], ignore_index=True)
    dup = np.flatnonzero(ids.duplicated(keep="first").to_numpy())
    if not len(dup):
        return
    offsets = np.cumsum([0, *[len(p) for p in parts]])
    for i in dup:
        k = int(np.searchsorted(offsets, i, side="right") - 1)
        part, row = parts[k], int(i - offsets[k])
        old = part["record_id"].iloc[row]
        new_id = f"{old}@{part['file'].iloc[row]}"
        log.warn(part["file"].iloc[row], int(part["line"].iloc[row]), "record_id",
                 f"record_id '{old}' already used in another file; kept as '{new_id}'")
        part.iloc[row, part.columns.get_loc("record_id")] = new_id
