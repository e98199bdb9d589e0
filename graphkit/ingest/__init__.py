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
"""

from graphkit.ingest.core import Ingested, empty_records, ingest, limits_of, read_source
from graphkit.ingest.files import check_file
from graphkit.ingest.identifiers import empty_identifiers, extract_identifiers
from graphkit.ingest.rows import Limits
from graphkit.limits import LimitError

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
