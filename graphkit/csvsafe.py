"""CSV files meant for people: cells a spreadsheet would run as a formula are neutralised.

A name such as ``=HYPERLINK("http://x", "click")`` or ``@Kim Jong Un`` in an input file
would otherwise reach ``clusters.csv`` or ``hits.csv`` verbatim, and Excel, LibreOffice
or Google Sheets would evaluate it when an analyst opens the file (CSV injection). Per
OWASP, a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
written with a leading ``'``; plain numbers (``-12.5``, ``+14155550123``) are left as they
are. ``Settings.csv_safety`` (``--no-csv-safety``) turns this off. Machine formats keep
values exact: Parquet tables, graph.json, graph.graphml and the neo4j-admin import CSVs
are never neutralised.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import IO, Any

import pandas as pd

#: First characters a spreadsheet treats as the start of a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralise(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text a spreadsheet would run as a formula.

    >>> neutralise("=1+1"), neutralise("@Kim Jong Un"), neutralise("-5"), neutralise("Kim")
    ("'=1+1", "'@Kim Jong Un", '-5', 'Kim')
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) \
            and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell (and column name) neutralised."""
    safe = frame.copy()
    for column in safe.columns:
        if not (pd.api.types.is_object_dtype(safe[column])
                or pd.api.types.is_string_dtype(safe[column])):
            continue
        values = safe[column]
        try:  # vectorised test first: only cells that start like a formula are mapped
            risky = values.str.startswith(FORMULA_STARTS).fillna(False).to_numpy(bool)
        except (AttributeError, TypeError):  # no text cells to test
            risky = None
        if risky is None:
            safe[column] = values.map(neutralise, na_action="ignore")
        elif risky.any():
            safe[column] = values.where(~risky, values[risky].map(neutralise))
    safe.columns = [neutralise(c) for c in safe.columns]
    return safe


def write_csv(frame: pd.DataFrame, target: str | Path | IO[str], safe: bool = True) -> None:
    """Write a CSV meant for people (no index); ``safe`` neutralises formula cells. A file
    is written beside its target and renamed into place, so a failed write (a full disk)
    never leaves a truncated file where a whole one was."""
    data = neutralise_frame(frame) if safe else frame
    if not isinstance(target, str | Path):
        data.to_csv(target, index=False)
        return
    target = Path(target)
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        data.to_csv(partial, index=False)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


__all__ = ["FORMULA_STARTS", "neutralise", "neutralise_frame", "write_csv"]
