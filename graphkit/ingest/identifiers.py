"""Identifiers of a records frame: one row per (record, kind, normalised value).

Each distinct raw value is normalised once. Kinds whose normaliser has an exact
column-wise form for plain ASCII input (IP addresses, device ids, document numbers) take
it; every other value goes through the scalar normaliser of :mod:`graphkit.text.normalize`, so
the values are the same either way (a property test holds the two equal).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graphkit.distinct import map_distinct
from graphkit.ingest.fields import STR
from graphkit.ingest.spec import COMPOSITE_KINDS
from graphkit.issues import IssueLog
from graphkit.schema import IDENTIFIER_COLUMNS, IdKind, Layout
from graphkit.text import normalize

_NOT_ALNUM_UPPER = re.compile(r"[^0-9A-Z]")
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}"  # canonical dotted quad: its own normal form
_EMAIL_CHARS = r"[A-Za-z0-9._%+'@ -]*"  # plain ASCII: lower() and \s agree everywhere
_EMAIL_SHAPE = r"[^@\s]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+)+"
_PREFIX = {IdKind.NATIONAL_ID: "nid:", IdKind.PASSPORT: "passport:",
           IdKind.REGISTRATION: "reg:"}


#: ``layout`` and ``kind`` of the identifiers frame are categoricals over every value, so
#: that frames of several files stack without losing the dtype (1 byte a row, not ~20).
LAYOUT_DTYPE = pd.CategoricalDtype([layout.value for layout in Layout])
KIND_DTYPE = pd.CategoricalDtype([kind.value for kind in IdKind])


def empty_identifiers() -> pd.DataFrame:
    """An identifiers frame with no rows."""
    dtypes = {"layout": LAYOUT_DTYPE, "kind": KIND_DTYPE}
    return pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, STR)) for c in IDENTIFIER_COLUMNS})


def _per_distinct_pair(first: pd.Series, second: pd.Series,
                       func: Callable[[str, str], object]) -> np.ndarray:
    """``func(a, b)`` of each row, computed once per distinct pair (an object array)."""
    a_codes, a_uniques = pd.factorize(first.astype(STR))
    b_codes, b_uniques = pd.factorize(second.astype(STR))
    pair = a_codes.astype(np.int64) * max(len(b_uniques), 1) + b_codes
    codes, pairs = pd.factorize(pair)
    a_list, b_list = a_uniques.tolist(), b_uniques.tolist()
    width = max(len(b_uniques), 1)
    mapped = np.empty(len(pairs), dtype=object)
    mapped[:] = [func(a_list[p // width], b_list[p % width]) for p in pairs.tolist()]
    return mapped[codes]


def _fold_alnum_upper(value: str) -> str:
    return _NOT_ALNUM_UPPER.sub("", normalize.fold(value).upper())


def alnum_upper(values: pd.Series) -> np.ndarray:
    """``re.sub('[^0-9A-Z]', '', fold(v).upper())`` of each value (the core of device,
    document and account numbers); column-wise for ASCII values."""
    values = values.astype(STR).reset_index(drop=True)
    out = np.empty(len(values), dtype=object)
    # Arrow's kernel (pandas' ``str.isascii`` is new in pandas 3); missing values go
    # the slow way, which keeps them missing
    ascii_ = pc.string_is_ascii(pa.array(values, pa.string(), from_pandas=True)).fill_null(
        False).to_numpy(zero_copy_only=False)
    out[ascii_] = values[ascii_].str.upper().str.replace(
        r"[^0-9A-Z]", "", regex=True).to_numpy(dtype=object)
    if not ascii_.all():
        out[~ascii_] = map_distinct(values[~ascii_].astype(STR), _fold_alnum_upper).to_numpy()
    return out


def normalize_distinct(kind: IdKind, values: pd.Series) -> np.ndarray:
    """Normalised value of each of ``values`` (distinct, non-empty); ``None`` if invalid."""
    values = values.astype(STR).reset_index(drop=True)
    out = np.full(len(values), None, dtype=object)
    todo = np.ones(len(values), dtype=bool)
    if kind is IdKind.IP:
        fast = values.str.fullmatch(_IPV4).to_numpy(dtype=bool)
        out[fast] = values[fast].to_numpy(dtype=object)
        todo &= ~fast
    elif kind is IdKind.EMAIL:
        todo &= ~_emails(values, out)
    elif kind is IdKind.PHONE:
        todo &= ~_phones(values, out)
    elif kind is IdKind.DEVICE or kind in _PREFIX:
        cleaned = alnum_upper(values)
        keep = np.fromiter((len(v) >= 4 for v in cleaned), dtype=bool, count=len(cleaned))
        prefix = _PREFIX.get(kind, "")
        out[keep] = [prefix + v for v in cleaned[keep]]
        todo[:] = False
    func = normalize.SINGLE_COLUMN_NORMALIZERS[kind]
    if todo.any():
        out[todo] = [func(v) for v in values[todo].tolist()]
    return out


def _arrow(values: pd.Series) -> pa.Array:
    """The Arrow array of a string column, in one chunk."""
    array = pa.array(values)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _emails(values: pd.Series, out: np.ndarray) -> np.ndarray:
    """``normalize_email`` column-wise for plain ASCII addresses; which rows it did."""
    fast = values.str.fullmatch(_EMAIL_CHARS).to_numpy(dtype=bool)
    text = values[fast].str.lower().str.replace(" ", "", regex=False)
    text = text.where(~text.str.startswith("mailto:"), text.str.slice(7))
    valid = text.str.fullmatch(_EMAIL_SHAPE).to_numpy(dtype=bool)
    parts = pc.extract_regex(_arrow(text[valid]), r"^(?P<local>.*)@(?P<domain>[^@]*)$")
    local = pd.Series(parts.field("local"), dtype=STR).str.replace(r"\+.*$", "", regex=True)
    domain = pd.Series(parts.field("domain"), dtype=STR)
    gmail = domain.isin(("gmail.com", "googlemail.com"))
    local = local.where(~gmail, local.str.replace(".", "", regex=False))
    domain = domain.where(~gmail, "gmail.com")
    result = np.full(len(text), None, dtype=object)
    result[valid] = np.where((local != "").to_numpy(dtype=bool),
                             (local + "@" + domain).to_numpy(dtype=object), None)
    out[fast] = result
    return fast


def _phones(values: pd.Series, out: np.ndarray) -> np.ndarray:
    """``normalize_phone`` (country code 1) column-wise for plain numbers (digits and
    ``()+.-`` and spaces, nothing to strip, no extension); which rows it did."""
    fast = (values.str.fullmatch(r"[0-9()+.\- ]*") & (values.str.strip() == values)
            ).to_numpy(dtype=bool)
    text = values[fast]
    digits = text.str.replace(r"[^0-9]", "", regex=True)
    zeros = text.str.startswith("00")
    digits = digits.where(~zeros, digits.str.slice(2))
    international = (text.str.startswith("+") | zeros).to_numpy(dtype=bool)
    keep = (digits.str.len() == 11) & digits.str.startswith("1")
    national = digits.where(keep, "1" + digits.str.lstrip("0"))
    digits = pd.Series(np.where(international, digits, national), dtype=STR)
    length = digits.str.len().to_numpy()
    ok = (length >= 8) & (length <= 15)
    out[fast] = np.where(ok, ("+" + digits).to_numpy(dtype=object), None)
    return fast


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
            pieces.extend(_single(records, kind, col, layout, log) for col in cols)
    pieces = [p for p in pieces if len(p)]
    if not pieces:
        return empty_identifiers()
    return pd.concat(pieces, ignore_index=True)[list(IDENTIFIER_COLUMNS)]


def _frame(layout: Layout, record_ids: pd.Series, kind: IdKind, values: np.ndarray,
           raw: pd.Series | np.ndarray, column: str) -> pd.DataFrame:
    n = len(values)
    index = pd.RangeIndex(n)
    return pd.DataFrame({
        "layout": _category(LAYOUT_DTYPE, layout.value, n),
        "record_id": pd.Series(record_ids.astype(STR).to_numpy(), index=index, dtype=STR),
        "kind": _category(KIND_DTYPE, kind.value, n),
        "value": pd.Series(values, index=index, dtype=STR),
        "raw": pd.Series(np.asarray(raw, dtype=object), index=index, dtype=STR),
        "column": pd.Series(column, index=index, dtype=STR),
    }, index=index)


def _category(dtype: pd.CategoricalDtype, value: str, n: int) -> pd.Series:
    code = dtype.categories.get_loc(value)
    return pd.Series(pd.Categorical.from_codes(np.full(n, code, dtype=np.int8), dtype=dtype))


def _single(records: pd.DataFrame, kind: IdKind, col: str, layout: Layout,
            log: IssueLog | None) -> pd.DataFrame:
    raw = records[col]
    rows = np.flatnonzero((raw != "").to_numpy())
    present = raw.iloc[rows]
    codes, uniques = pd.factorize(present)
    values = normalize_distinct(kind, pd.Series(uniques))[codes]
    ok = np.array([v is not None for v in values], dtype=bool)
    _report_invalid(records, rows[~ok], kind, col, log)
    return _frame(layout, records["record_id"].iloc[rows[ok]], kind, values[ok],
                  present.to_numpy(dtype=object)[ok], col)


def _composite(records: pd.DataFrame, kind: IdKind, cols: tuple[str, ...], layout: Layout,
               log: IssueLog | None) -> pd.DataFrame:
    blank = pd.Series("", index=records.index, dtype=STR)
    parts = [records[c].astype(STR) if c else blank for c in cols]
    if kind is IdKind.BANK_ACCOUNT:
        values = _account_values(parts)
        first = (parts[0] != "").to_numpy()
        ok = np.fromiter((v is not None for v in values), dtype=bool, count=len(values))
        _report_invalid(records, np.flatnonzero(first & ~ok), kind, cols[0], log)
    else:
        values = _address_values(parts)
        ok = np.fromiter((v is not None for v in values), dtype=bool, count=len(values))
    raw = parts[0]
    for part in parts[1:]:  # ", " between non-empty parts
        both = (raw != "") & (part != "")
        raw = raw.where(~both, raw + ", ") + part
    rows = np.flatnonzero(ok)
    return _frame(layout, records["record_id"].iloc[rows], kind, values[rows],
                  raw.to_numpy(dtype=object)[rows], "+".join(c for c in cols if c))


def _address_values(parts: list[pd.Series]) -> np.ndarray:
    """``normalize.normalize_address`` of each row, one component at a time."""
    street, city, region, postcode, country = (
        [*parts, *[pd.Series("", index=parts[0].index, dtype=STR)] * (5 - len(parts))])

    def part(values: pd.Series, func) -> pd.Series:  # positional, like ``codes``
        return pd.Series(map_distinct(values.astype(STR), func).to_numpy(), dtype=STR)

    line = map_distinct(street.astype(STR), normalize.normalize_street).to_numpy()
    codes = pd.Series(_per_distinct_pair(postcode, country, normalize.normalize_postcode),
                      dtype=STR)
    key = (pd.Series(line, dtype=STR)
           + "|" + part(city, normalize.normalize_city)
           + "|" + part(region, normalize.normalize_region)
           + "|" + codes
           + "|" + part(country, normalize.normalize_country))
    values = key.to_numpy(dtype=object)
    values[np.fromiter((not v for v in line), dtype=bool, count=len(line))] = None
    return values


def _account_values(parts: list[pd.Series]) -> np.ndarray:
    """``normalize.normalize_account`` of each row: ``<routing>:<account>``, column-wise."""
    account = alnum_upper(parts[0])
    routing = alnum_upper(parts[1]) if len(parts) > 1 else np.full(len(account), "", object)
    values = (pd.Series(routing, dtype=STR) + ":" + pd.Series(account, dtype=STR)
              ).to_numpy(dtype=object)
    values[np.fromiter((len(v) < 4 for v in account), dtype=bool, count=len(account))] = None
    return values


def _report_invalid(records: pd.DataFrame, rows: np.ndarray, kind: IdKind, col: str,
                    log: IssueLog | None) -> None:
    if log is None:
        return
    files, lines, values = records["file"], records["line"], records[col]
    for i in rows:
        log.warn(Path(str(files.iloc[i])), int(lines.iloc[i]), col,
                 f"not a valid {kind.value}: {str(values.iloc[i])[:40]!r}; no identifier made")
