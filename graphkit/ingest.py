"""Read source files through loader specs into records and identifiers frames.

``read_source`` turns one file into a records frame with the native columns of its layout
(``schema.record_columns``); ``extract_identifiers`` turns records into the identifiers
frame (``schema.IDENTIFIER_COLUMNS``), one row per normalised identifier. Problems go to an
:class:`~graphkit.issues.IssueLog` naming file, line and column; a bad row or field never
stops the other rows from loading.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from graphkit import normalize
from graphkit.issues import InputError, IssueLog
from graphkit.loaderspec import COMPOSITE_KINDS, ColumnRule, LoaderSpec
from graphkit.schema import (
    DATE_COLUMNS,
    IDENTIFIER_COLUMNS,
    NATIVE_COLUMNS,
    IdKind,
    Layout,
    record_columns,
)

csv.field_size_limit(sys.maxsize)

_SURROGATE = re.compile("[\udc80-\udcff]")
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


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
    return pd.DataFrame({c: pd.Series(dtype=object) for c in record_columns(layout)})


def empty_identifiers() -> pd.DataFrame:
    """An identifiers frame with no rows."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in IDENTIFIER_COLUMNS})


# --- reading one file --------------------------------------------------------------------

def _decode(raw: bytes, spec: LoaderSpec) -> tuple[str, bool]:
    """Text of the file and whether it held bytes invalid in its declared encoding."""
    encoding = spec.encoding.lower().replace("_", "-")
    if encoding in ("utf-8", "utf8", "utf-8-sig"):
        try:
            return raw.decode("utf-8-sig"), False
        except UnicodeDecodeError:
            return raw.decode("utf-8-sig", errors="surrogateescape"), True
    try:
        return raw.decode(spec.encoding), False
    except UnicodeDecodeError:
        return raw.decode(spec.encoding, errors="surrogateescape"), True
    except LookupError:
        raise InputError(f"loader spec {spec.name}: unknown encoding '{spec.encoding}'") from None


def _repair(value: str) -> str:
    """Re-read a field whose bytes were not UTF-8 as Windows-1252 (the usual culprit)."""
    return value.encode("utf-8", "surrogateescape").decode("cp1252", errors="replace")


def _read_rows(path: Path, spec: LoaderSpec, log: IssueLog) -> tuple[list[str], pd.DataFrame]:
    """Header and raw string rows (plus a ``__line__`` column) of a delimited file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path.name}: cannot read: {exc.strerror}") from None
    text, had_bad_bytes = _decode(raw, spec)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=spec.delimiter, strict=False)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InputError(f"{path.name}: the file is empty (no header row)") from None
    except csv.Error as exc:
        raise InputError(f"{path.name} line 1: unreadable header: {exc}") from None
    if had_bad_bytes:
        header = [_repair(h) for h in header]
    seen: set[str] = set()
    for col in header:
        if col in seen:
            log.warn(path, 1, col, "duplicate column name; the first one is used")
        seen.add(col)
    width = len(header)
    rows: list[list[str]] = []
    lines: list[int] = []
    start = 2
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            log.error(path, reader.line_num, None, f"malformed row: {exc}; row skipped")
            continue
        finally:
            line = start
            start = reader.line_num + 1
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != width:
            if len(row) > width and not any(c.strip() for c in row[width:]):
                row = row[:width]
            else:
                log.error(path, line, None,
                          f"malformed row: expected {width} fields, got {len(row)}; row skipped")
                continue
        rows.append(row)
        lines.append(line)
    frame = pd.DataFrame(rows, columns=header, dtype=object) if rows else pd.DataFrame(
        {h: pd.Series(dtype=object) for h in header})
    frame = frame.loc[:, ~frame.columns.duplicated()]
    frame["__line__"] = lines
    if had_bad_bytes:
        _repair_encoding(frame, path, spec, log)
    _drop_huge_fields(frame, path, spec, log)
    return header, frame


def _repair_encoding(frame: pd.DataFrame, path: Path, spec: LoaderSpec, log: IssueLog) -> None:
    for col in frame.columns.drop("__line__"):
        bad = frame[col].str.contains(_SURROGATE, na=False)
        for idx in frame.index[bad]:
            fixed = _repair(frame.at[idx, col])
            log.warn(path, int(frame.at[idx, "__line__"]), col,
                     f"bytes not valid {spec.encoding}: read as Windows-1252 ({fixed[:60]!r})")
            frame.at[idx, col] = fixed


def _drop_huge_fields(frame: pd.DataFrame, path: Path, spec: LoaderSpec, log: IssueLog) -> None:
    limit = spec.max_field_chars
    for col in frame.columns.drop("__line__"):
        lengths = frame[col].str.len()
        for idx in frame.index[lengths > limit]:
            log.warn(path, int(frame.at[idx, "__line__"]), col,
                     f"field too large: {int(lengths[idx]):,} characters (limit {limit:,}); "
                     "value dropped, rest of the row kept")
            frame.at[idx, col] = ""


def _apply_rule(rule: ColumnRule, frame: pd.DataFrame, present: set[str]) -> pd.Series:
    n = len(frame)
    if rule.value is not None:
        return pd.Series([rule.value] * n, index=frame.index, dtype=object)
    cols = [frame[c] if c in present else pd.Series([""] * n, index=frame.index, dtype=object)
            for c in rule.sources]
    if len(cols) == 1:
        values = cols[0].str.strip()
    else:
        values = pd.Series(
            [rule.sep.join(p.strip() for p in parts if p.strip()) for parts in zip(*cols)],
            index=frame.index, dtype=object)
    if rule.split is not None:
        values = values.map(lambda v: _pick(v, rule.split, rule.parts))
    if rule.mapping:
        values = values.map(lambda v: rule.mapping.get(v, v))
    if rule.default:
        values = values.mask(values == "", rule.default)
    return values


def _pick(value: str, sep: str, parts: tuple[int, ...]) -> str:
    pieces = [p.strip() for p in value.split(sep)]
    chosen = [pieces[i] for i in parts if -len(pieces) <= i < len(pieces)]
    return " ".join(p for p in chosen if p)


def _parse_date(value: str, fmt: str) -> str | None:
    try:
        if fmt == "ISO8601":
            if len(value) <= 10:
                return date.fromisoformat(value).isoformat()
            return datetime.fromisoformat(value).isoformat()
        parsed = datetime.strptime(value, fmt)
    except ValueError:
        return None
    has_time = any(code in fmt for code in ("%H", "%I", "%M", "%S"))
    return parsed.isoformat() if has_time else parsed.date().isoformat()


def _convert_dates(values: pd.Series, column: str, fmt: str, lines: pd.Series, path: Path,
                   log: IssueLog) -> pd.Series:
    parsed = {v: _parse_date(v, fmt) for v in values.unique() if v}
    out = values.map(lambda v: (parsed[v] or "") if v else "")
    for idx in values.index[(values != "") & (out == "")]:
        log.warn(path, int(lines[idx]), column,
                 f"unparseable date {values[idx][:40]!r} (expected format {fmt}); left empty")
    return out


def _check_amounts(values: pd.Series, lines: pd.Series, path: Path, log: IssueLog) -> pd.Series:
    cleaned = values.str.replace(r"[,\s$€£]", "", regex=True)
    numbers = pd.to_numeric(cleaned, errors="coerce")
    for idx in values.index[(values != "") & numbers.isna()]:
        log.warn(path, int(lines[idx]), "amount", f"not a number: {values[idx][:40]!r}; left empty")
    return cleaned.where(numbers.notna(), "")


def _check_flags(values: pd.Series, lines: pd.Series, path: Path, log: IssueLog) -> pd.Series:
    lowered = values.str.lower()
    out = lowered.map(lambda v: "true" if v in _TRUE else "false" if v in _FALSE else "")
    for idx in values.index[(values != "") & (out == "")]:
        log.warn(path, int(lines[idx]), "vpn", f"not a yes/no value: {values[idx][:40]!r}")
    return out


def _unique_ids(ids: pd.Series, lines: pd.Series, path: Path, log: IssueLog) -> pd.Series:
    ids = ids.copy()
    for idx in ids.index[ids == ""]:
        ids[idx] = f"{path.stem}:{int(lines[idx])}"
        log.warn(path, int(lines[idx]), "record_id", f"empty record_id; set to '{ids[idx]}'")
    duplicated = ids.duplicated(keep="first")
    for idx in ids.index[duplicated]:
        new_id = f"{ids[idx]}#{int(lines[idx])}"
        log.warn(path, int(lines[idx]), "record_id",
                 f"record_id '{ids[idx]}' repeats an earlier row; kept as '{new_id}'")
        ids[idx] = new_id
    return ids


def read_source(path: str | Path, spec: LoaderSpec, log: IssueLog,
                source_name: str | None = None) -> pd.DataFrame:
    """Read one file through ``spec`` into a records frame of ``spec.layout``.

    Raises :class:`InputError` when the file cannot be used at all (missing, empty,
    a required column absent); row- and field-level problems go to ``log``.
    """
    path = Path(path)
    header, raw = _read_rows(path, spec, log)
    present = set(header)
    missing_required = [c for c in spec.required if c not in present]
    if missing_required:
        raise InputError(
            f"{path.name} line 1: missing required column(s) "
            f"{', '.join(repr(c) for c in missing_required)} (loader spec {spec.name}); "
            "file not loaded")
    for col in sorted(spec.source_columns - present) if spec.explicit_columns else ():
        log.warn(path, 1, col, f"column not in file (loader spec {spec.name}); left empty")
    lines = raw["__line__"]
    out = pd.DataFrame(index=raw.index)
    dates = DATE_COLUMNS[spec.layout]
    for col in NATIVE_COLUMNS[spec.layout]:
        rule = spec.columns.get(col)
        if rule is None:
            out[col] = ""
            continue
        values = _apply_rule(rule, raw, present)
        if col in dates and rule.date_format:
            values = _convert_dates(values, col, rule.date_format, lines, path, log)
        elif col == "amount":
            values = _check_amounts(values, lines, path, log)
        elif col == "vpn":
            values = _check_flags(values, lines, path, log)
        out[col] = values
    out["record_id"] = _unique_ids(out["record_id"], lines, path, log)
    out["source_name"] = source_name or spec.name
    out["file"] = path.name
    out["line"] = lines.astype(int)
    return out.reset_index(drop=True)[record_columns(spec.layout)]


# --- identifiers -------------------------------------------------------------------------

_COMPOSITE_NORMALIZERS: dict[IdKind, Callable[..., str | None]] = {
    IdKind.ADDRESS: normalize.normalize_address,
    IdKind.SHIP_ADDRESS: normalize.normalize_address,
    IdKind.BANK_ACCOUNT: normalize.normalize_account,
}


def extract_identifiers(records: pd.DataFrame, spec_identifiers: dict[IdKind, tuple[str, ...]],
                        layout: Layout, log: IssueLog | None = None) -> pd.DataFrame:
    """Identifiers frame of one records frame: one row per (record, kind, normalised value).

    Values that are present but not valid for their kind (an email without '@', an IP that
    is not one) make no identifier and are reported to ``log``.
    """
    pieces: list[pd.DataFrame] = []
    for kind, cols in spec_identifiers.items():
        if kind in COMPOSITE_KINDS:
            pieces.append(_composite(records, kind, cols, layout, log))
        else:
            for col in cols:
                pieces.append(_single(records, kind, col, layout, log))
    pieces = [p for p in pieces if len(p)]
    if not pieces:
        return empty_identifiers()
    return pd.concat(pieces, ignore_index=True)[list(IDENTIFIER_COLUMNS)]


def _single(records: pd.DataFrame, kind: IdKind, col: str, layout: Layout,
            log: IssueLog | None) -> pd.DataFrame:
    raw = records[col]
    present = raw != ""
    func = functools.cache(normalize.SINGLE_COLUMN_NORMALIZERS[kind])
    values = raw[present].map(func)
    _report_invalid(records, values, kind, col, log)
    ok = values.notna()
    return pd.DataFrame({
        "layout": layout.value, "record_id": records.loc[values.index[ok], "record_id"],
        "kind": kind.value, "value": values[ok], "raw": raw[values.index[ok]], "column": col,
    })


def _composite(records: pd.DataFrame, kind: IdKind, cols: tuple[str, ...], layout: Layout,
               log: IssueLog | None) -> pd.DataFrame:
    blank = pd.Series([""] * len(records), index=records.index, dtype=object)
    parts = [records[c] if c else blank for c in cols]
    func = functools.cache(_COMPOSITE_NORMALIZERS[kind])
    values = pd.Series([func(*args) for args in zip(*parts)], index=records.index, dtype=object)
    if kind is IdKind.BANK_ACCOUNT:
        _report_invalid(records, values[parts[0] != ""], kind, cols[0], log)
    raw = pd.Series([", ".join(p for p in args if p) for args in zip(*parts)],
                    index=records.index, dtype=object)
    ok = values.notna()
    return pd.DataFrame({
        "layout": layout.value, "record_id": records.loc[ok, "record_id"], "kind": kind.value,
        "value": values[ok], "raw": raw[ok], "column": "+".join(c for c in cols if c),
    })


def _report_invalid(records: pd.DataFrame, values: pd.Series, kind: IdKind, col: str,
                    log: IssueLog | None) -> None:
    if log is None:
        return
    for idx in values.index[values.isna()]:
        log.warn(records.at[idx, "file"], int(records.at[idx, "line"]), col,
                 f"not a valid {kind.value}: {str(records.at[idx, col])[:40]!r}; "
                 "no identifier made")


# --- several sources ---------------------------------------------------------------------

def ingest(sources: Iterable[tuple[str | Path, LoaderSpec]], log: IssueLog | None = None,
           source_names: Iterable[str | None] | None = None) -> Ingested:
    """Read every (file, spec) pair; files of one layout are stacked into one frame.

    A file that cannot be used is reported as an error in the log and skipped; the others
    load. Record ids repeated across files of one layout are made unique and reported.
    """
    log = log if log is not None else IssueLog()
    sources = list(sources)
    names = list(source_names) if source_names is not None else [None] * len(sources)
    frames: dict[Layout, list[pd.DataFrame]] = {layout: [] for layout in Layout}
    loaded: list[tuple[LoaderSpec, int]] = []  # spec and position of its frame in frames
    for (path, spec), name in zip(sources, names):
        try:
            frame = read_source(path, spec, log, source_name=name)
        except InputError as exc:
            log.error(Path(path), None, None, str(exc))
            continue
        loaded.append((spec, len(frames[spec.layout])))
        frames[spec.layout].append(frame)
    for parts in frames.values():
        if len(parts) > 1:
            stacked = _dedupe_across_files(pd.concat(parts, ignore_index=True), log)
            offsets = [0, *pd.Series([len(p) for p in parts]).cumsum()]
            for i, part in enumerate(parts):
                part["record_id"] = stacked[offsets[i]:offsets[i + 1]].to_numpy()
    id_frames = [extract_identifiers(frames[spec.layout][i], spec.identifiers, spec.layout, log)
                 for spec, i in loaded]
    records = {layout: pd.concat(parts, ignore_index=True) if parts else empty_records(layout)
               for layout, parts in frames.items()}
    id_frames = [f for f in id_frames if len(f)]
    identifiers = (pd.concat(id_frames, ignore_index=True) if id_frames
                   else empty_identifiers())
    return Ingested(records=records, identifiers=identifiers, log=log)


def _dedupe_across_files(frame: pd.DataFrame, log: IssueLog) -> pd.Series:
    ids = frame["record_id"].copy()
    for idx in ids.index[ids.duplicated(keep="first")]:
        new_id = f"{ids[idx]}@{frame.at[idx, 'file']}"
        log.warn(frame.at[idx, "file"], int(frame.at[idx, "line"]), "record_id",
                 f"record_id '{ids[idx]}' already used in another file; kept as '{new_id}'")
        ids[idx] = new_id
    return ids
