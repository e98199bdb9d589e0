"""Ingest: source files, through loader specs, into records and identifiers frames.

``read_source`` turns one file into a records frame with the native columns of its layout
(``schema.record_columns``); ``extract_identifiers`` turns records into the identifiers
frame (``schema.IDENTIFIER_COLUMNS``), one row per normalised identifier; ``ingest`` does
both for several files. Files are read as a stream of row chunks into Arrow-backed string
columns. Problems go to an :class:`~graphkit.issues.IssueLog` naming file, line and
column; a bad row or field never stops the other rows from loading, and every record not
loaded has an error. The modules follow the data: ``files`` (open, refuse, decode),
``rows`` (csv rows and their physical lines), ``columns`` (header to spec), ``fields``
(column rules and checks), ``identifiers`` (normalised identifiers), ``core``.

The names below load their submodule on first use (``graphkit.lazy``): reading a loader
spec (``graphkit.ingest.spec``) does not load pandas and Arrow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphkit.lazy import lazy_exports

if TYPE_CHECKING:
    from graphkit.ingest.core import (
        Ingested,
        empty_records,
        ingest,
        limits_of,
        read_source,
    )
    from graphkit.ingest.files import check_file
    from graphkit.ingest.identifiers import empty_identifiers, extract_identifiers
    from graphkit.ingest.rows import Limits
    from graphkit.limits import LimitError

_MODULES = {
    "graphkit.ingest.core": ("Ingested", "empty_records", "ingest", "limits_of", "read_source"),
    "graphkit.ingest.files": ("check_file",),
    "graphkit.ingest.identifiers": ("empty_identifiers", "extract_identifiers"),
    "graphkit.ingest.rows": ("Limits",),
    "graphkit.limits": ("LimitError",),
}
__getattr__, __dir__ = lazy_exports(__name__, {name: module for module, names in
                                               _MODULES.items() for name in names})

__all__ = [
    "Ingested",
    "LimitError",
    "Limits",
    "check_file",
    "empty_identifiers",
    "empty_records",
    "extract_identifiers",
    "ingest",
    "limits_of",
    "read_source",
]
