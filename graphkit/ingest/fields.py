"""Column rules and field checks on a chunk of rows, as column operations.

Values are pandas string columns (Arrow-backed). Functions that are not vectorised
(date parsing, ``split``/``map`` rules) run once per distinct value, not once per row;
issues are reported per row, naming file, line and column.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from graphkit.distinct import map_distinct
from graphkit.ingest.spec import ColumnRule
from graphkit.issues import IssueLog

try:
    STR = pd.StringDtype("pyarrow", na_value=np.nan)
except TypeError:  # pandas < 2.3 names the same dtype (NaN for missing) "pyarrow_numpy"
    STR = pd.StringDtype("pyarrow_numpy")

_MONEY = re.compile(r"[,\s$€£]")
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


def constant(value: str, index: pd.Index) -> pd.Series:
    """A string column holding ``value`` in every row."""
    return pd.Series(value, index=index, dtype=STR)


def drop_huge(frame: pd.DataFrame, lines: np.ndarray, path: Path, limit: int,
              log: IssueLog) -> None:
    """Empty every field longer than ``limit`` characters (the row is kept), with a warning."""
    for col in frame.columns:
        lengths = frame[col].str.len().to_numpy()
        for i in np.flatnonzero(lengths > limit):
            log.warn(path, int(lines[i]), col,
                     f"field too large: {int(lengths[i]):,} characters (limit {limit:,}); "
                     "value dropped, rest of the row kept")
            frame.iloc[i, frame.columns.get_loc(col)] = ""


def _pick(value: str, sep: str, parts: tuple[int, ...]) -> str:
    pieces = [p.strip() for p in value.split(sep)]
    chosen = [pieces[i] for i in parts if -len(pieces) <= i < len(pieces)]
    return " ".join(p for p in chosen if p)


def apply_rule(rule: ColumnRule, frame: pd.DataFrame) -> pd.Series:
    """Values of one native column from the source columns of ``frame`` (stripped)."""
    if rule.value is not None:
        return constant(rule.value, frame.index)
    cols = [frame[c].str.strip() if c in frame.columns else constant("", frame.index)
            for c in rule.sources]
    if len(cols) == 1:
        values = cols[0]
    else:
        values = cols[0]
        for col in cols[1:]:  # sep between non-empty parts only
            both = (values != "") & (col != "")
            values = values.where(~both, values + rule.sep) + col
    if rule.split is not None:
        values = map_distinct(values, lambda v: _pick(v, rule.split, rule.parts)).astype(STR)
    if rule.mapping:
        values = map_distinct(values, lambda v: rule.mapping.get(v, v)).astype(STR)
    if rule.default:
        values = values.mask(values == "", rule.default)
    return values


def parse_date(value: str, fmt: str) -> str | None:
    """ISO text of ``value`` read with ``fmt`` (``"ISO8601"`` or a strptime format)."""
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


def convert_dates(values: pd.Series, column: str, fmt: str, lines: np.ndarray, path: Path,
                  log: IssueLog) -> pd.Series:
    """Dates as ISO text; unparseable ones left empty with a warning."""
    parsed = map_distinct(values, lambda v: (parse_date(v, fmt) or "") if v else "")
    bad = np.flatnonzero(((values != "") & (parsed == "")).to_numpy())
    for i in bad:
        log.warn(path, int(lines[i]), column,
                 f"unparseable date {values.iloc[i][:40]!r} (expected format {fmt}); left empty")
    return parsed.astype(STR)


def check_amounts(values: pd.Series, lines: np.ndarray, path: Path,
                  log: IssueLog) -> pd.Series:
    """Amounts without thousands separators and currency signs; non-numbers left empty."""
    codes, uniques = pd.factorize(values)
    cleaned = np.asarray(uniques, dtype=object)
    cleaned[:] = [_MONEY.sub("", v) for v in cleaned]
    numbers = pd.to_numeric(pd.Series(cleaned, dtype=object), errors="coerce")
    cleaned = pd.Series(cleaned[codes], index=values.index, dtype=STR)
    ok = numbers.notna().to_numpy()[codes]
    for i in np.flatnonzero((values != "").to_numpy() & ~ok):
        log.warn(path, int(lines[i]), "amount",
                 f"not a number: {values.iloc[i][:40]!r}; left empty")
    return cleaned.where(ok, "")


def check_flags(values: pd.Series, lines: np.ndarray, path: Path, log: IssueLog) -> pd.Series:
    """Yes/no values as ``true``/``false``; others left empty with a warning."""
    out = map_distinct(values, lambda v: "true" if v.lower() in _TRUE
                       else "false" if v.lower() in _FALSE else "").astype(STR)
    for i in np.flatnonzero(((values != "") & (out == "")).to_numpy()):
        log.warn(path, int(lines[i]), "vpn", f"not a yes/no value: {values.iloc[i][:40]!r}")
    return out


def unique_ids(ids: pd.Series, lines: np.ndarray, path: Path, log: IssueLog) -> pd.Series:
    """Record ids made unique within a file: empty ones named by line, repeats suffixed
    (a name another row already holds gets a further ``~n``)."""
    empty = np.flatnonzero((ids == "").to_numpy())
    repeats = np.flatnonzero(ids.duplicated(keep="first").to_numpy())
    if not len(empty) and not len(repeats):
        return ids
    ids = ids.copy()
    taken = set(ids.tolist())
    for i in empty:
        new_id = _unused(f"{path.stem}:{int(lines[i])}", taken)
        ids.iloc[i] = new_id
        log.warn(path, int(lines[i]), "record_id", f"empty record_id; set to '{new_id}'")
    for i in np.flatnonzero(ids.duplicated(keep="first").to_numpy()):  # empties named
        new_id = _unused(f"{ids.iloc[i]}#{int(lines[i])}", taken)
        log.warn(path, int(lines[i]), "record_id",
                 f"record_id '{ids.iloc[i]}' repeats an earlier row; kept as '{new_id}'")
        ids.iloc[i] = new_id
    return ids


def _unused(candidate: str, taken: set[str]) -> str:
    """``candidate``, or ``candidate~2``, ``~3`` … whichever no row holds yet (then held)."""
    new_id, n = candidate, 1
    while new_id in taken:
        n += 1
        new_id = f"{candidate}~{n}"
    taken.add(new_id)
    return new_id
