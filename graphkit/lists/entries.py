"""The one internal model of a sanctions-list entry, shared by every list parser.

An entry is a row of the sanctions frame (``schema.SANCTION_COLUMNS``): ``list``,
``list_id``, ``name``, ``kind`` (person, company, vessel, aircraft), ``programs``,
strong ``aliases`` and ``weak_aliases`` (the lists' "low quality" a.k.a.s), ``dobs``,
``nationalities``, id numbers, contacts and ``addresses``; list-valued columns hold lists.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from graphkit.limits import open_maybe_gzip
from graphkit.schema import SANCTION_COLUMNS

if TYPE_CHECKING:  # pandas is loaded by the functions that make frames
    import pandas as pd


_LIST_COLUMNS = tuple(c for c in SANCTION_COLUMNS
                      if c not in ("list", "list_id", "name", "kind", "title", "gender",
                                   "remarks"))


class ListFormatError(ValueError):
    """A sanctions-list file that cannot be read; names the file and the line."""


def new_entry(list_name: str, list_id: str, name: str, kind: str) -> dict[str, Any]:
    """An empty entry with every column of the sanctions frame."""
    entry: dict[str, Any] = {c: [] for c in _LIST_COLUMNS}
    entry.update(list=list_name, list_id=list_id, name=name, kind=kind, title="",
                 gender="", remarks="")
    return entry


def add_unique(entry: dict[str, Any], column: str, *values: str | None) -> None:
    """Append each non-empty value to a list column once."""
    for value in values:
        value = " ".join((value or "").split())
        if value and value not in entry[column]:
            entry[column].append(value)


def entries_frame(entries: list[dict[str, Any]]) -> pd.DataFrame:
    """The sanctions frame of parsed entries (an entry without a name is dropped)."""
    import pandas as pd

    named = [e for e in entries if e["name"]]
    return pd.DataFrame.from_records(named, columns=list(SANCTION_COLUMNS))


def open_binary(path: Path) -> IO[bytes]:
    """Open a list file for reading bytes, gunzipping ``.gz`` files within the limits
    (``graphkit.limits``: a gzip bomb is refused)."""
    return open_maybe_gzip(path)


def read_xml_entries(path: Path, tags: tuple[str, ...],
                     to_entry: Callable[[ET.Element], dict[str, Any]], what: str
                     ) -> pd.DataFrame:
    """Stream an XML list, turning every element named one of ``tags`` (namespace
    ignored) into an entry; a malformed file is reported with its line and column."""
    entries = []
    try:
        with open_binary(path) as stream:
            for _event, element in ET.iterparse(stream, events=("end",)):
                if element.tag.rsplit("}", 1)[-1] in tags:
                    entries.append(to_entry(element))
                    element.clear()
    except ET.ParseError as exc:
        line, column = exc.position
        raise ListFormatError(f"{path.name} line {line}, column {column}: not well-formed "
                              f"XML ({str(exc).split(':')[0]}); "
                              f"{len(entries)} entries were read before it") from exc
    if not entries:
        elements = " or ".join(f"<{t}>" for t in tags)
        raise ListFormatError(f"{path.name}: no {elements} elements: not {what}")
    return entries_frame(entries)
