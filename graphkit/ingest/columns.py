"""Match a file's header to the columns a loader spec reads; name what does not match.

A native file's column that is not in its layout would silently lose its values, so each
gets a warning naming the nearest layout column when one is close (``difflib``); a column
that differs from a layout column only in case and punctuation (``E-mail``, ``nationalid``)
is read as that column, with a warning. A column a spec reads that is not in the file is
left empty, with a warning naming the nearest header column.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from graphkit.ingest.spec import LoaderSpec
from graphkit.issues import IssueLog
from graphkit.schema import NATIVE_COLUMNS

_PUNCT = re.compile(r"[^0-9a-z]+")


def _squash(name: str) -> str:
    return _PUNCT.sub("", name.lower())


def nearest(name: str, candidates: list[str]) -> str | None:
    """The candidate closest to ``name`` (case and punctuation ignored), if close enough."""
    by_key: dict[str, str] = {}
    for c in candidates:
        by_key.setdefault(_squash(c), c)
    found = difflib.get_close_matches(_squash(name), list(by_key), n=1, cutoff=0.6)
    return by_key[found[0]] if found else None


def _hint(name: str | None) -> str:
    return f" (did you mean '{name}'?)" if name else ""


def header_index(header: list[str], spec: LoaderSpec, path: Path,
                 log: IssueLog) -> dict[str, int]:
    """Position of each source column of ``spec`` found in ``header`` (first one wins)."""
    index: dict[str, int] = {}
    for i, col in enumerate(header):
        if col in index:
            log.warn(path, 1, col, "duplicate column name; the first one is used")
        else:
            index[col] = i
    wanted = spec.source_columns
    if not spec.explicit_columns:
        native = list(NATIVE_COLUMNS[spec.layout])
        by_key = {_squash(c): c for c in native}
        for col, i in list(index.items()):
            if col in wanted or not col:
                continue
            same = by_key.get(_squash(col))
            if same is not None and same not in index:
                index[same] = i
                log.warn(path, 1, col, f"read as the {spec.layout.value} column '{same}' "
                                       "(names differ only in case or punctuation)")
            else:
                log.warn(path, 1, col, f"column not in the {spec.layout.value} layout; its "
                                       "values are not loaded" + _hint(nearest(col, native)))
    else:
        unused = [c for c in index if c not in wanted]
        for col in sorted(wanted - set(index)):
            log.warn(path, 1, col, f"column not in file (loader spec {spec.name}); left empty"
                     + _hint(nearest(col, unused)))
    return index
