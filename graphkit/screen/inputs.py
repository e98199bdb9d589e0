"""Read a names file for ``graphkit screen`` (columns ``record_id, name`` and optional
``kind, dob, country, id_number``), reporting bad rows by file, line and column."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from graphkit.issues import InputError, IssueLog
from graphkit.settings import DEFAULT_SETTINGS

#: A longer field is not a name; the row is reported and skipped.
MAX_FIELD_CHARS = DEFAULT_SETTINGS.max_field_chars
REQUIRED = ("record_id", "name")
OPTIONAL = ("kind", "dob", "country", "id_number")


def _decode(path: Path, log: IssueLog) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        log.warn(path, line, None, "not UTF-8; the file was read as Windows-1252")
        return raw.decode("cp1252", errors="replace")


def read_names(path: str | Path, log: IssueLog) -> pd.DataFrame:
    """Rows to screen; a malformed row is reported to ``log`` and skipped, the rest kept."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    csv.field_size_limit(2**31 - 1)
    reader = csv.reader(io.StringIO(_decode(path, log), newline=""))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InputError(f"{path.name} line 1: missing required column(s) "
                         f"{', '.join(missing)} (have: {', '.join(header) or 'nothing'})")
    keep = [c for c in (*REQUIRED, *OPTIONAL) if c in header]
    at = {c: header.index(c) for c in keep}
    rows = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            log.error(path, line, None, f"expected {len(header)} fields, got {len(row)}; "
                      "row skipped")
            continue
        values = {c: row[at[c]].strip() for c in keep}
        long = [c for c in keep if len(values[c]) > MAX_FIELD_CHARS]
        if long:
            log.error(path, line, long[0], f"field of {len(values[long[0]]):,} characters "
                      f"(limit {MAX_FIELD_CHARS:,}); row skipped")
            continue
        if not values["record_id"] or not values["name"]:
            column = "record_id" if not values["record_id"] else "name"
            log.error(path, line, column, "empty; row skipped")
            continue
        if values.get("kind") and values["kind"].lower() not in ("person", "company",
                                                                 "organization", "vessel",
                                                                 "aircraft"):
            log.warn(path, line, "kind", f"unknown kind '{values['kind']}'; screened as any")
            values["kind"] = ""
        rows.append(values)
    frame = pd.DataFrame(rows, columns=keep)
    if "kind" in frame:
        frame["kind"] = frame["kind"].str.lower().replace({"organization": "company"})
    return frame
