"""Read any supported sanctions list by format name, or by looking at the file."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from graphkit.issues import IssueLog
from graphkit.lists.entries import ListFormatError
from graphkit.lists.ftm_json import read_ftm_json
from graphkit.lists.ofac_csv import read_sdn
from graphkit.lists.ofac_xml import read_ofac_consolidated_xml, read_ofac_xml
from graphkit.lists.un_xml import read_un_xml

if TYPE_CHECKING:  # pandas is loaded by the functions that make frames
    import pandas as pd


#: Format names accepted by ``read_list``, ``graphkit screen --format`` and project files.
LIST_FORMATS: dict[str, Callable[[Path], pd.DataFrame]] = {
    "ofac-sdn-csv": read_sdn,
    "ofac-sdn-xml": read_ofac_xml,
    "ofac-cons-xml": read_ofac_consolidated_xml,
    "un-sc-xml": read_un_xml,
    "ftm-json": read_ftm_json,
}


def detect_format(path: str | Path) -> str:
    """Format name of a list file, from its first bytes (and its name for CSV, and for
    OFAC's consolidated XML, whose layout is the SDN's: ``cons`` or ``non_sdn`` in it)."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as stream:
            head = stream.read(4096).decode("utf-8", errors="replace")
    except OSError as exc:
        raise ListFormatError(f"{path.name}: cannot read ({exc})") from exc
    if "<sdnList" in head or "<sdnEntry" in head:
        lowered = path.name.lower().replace("-", "_")
        if "cons" in lowered or "non_sdn" in lowered or "nonsdn" in lowered:
            return "ofac-cons-xml"
        return "ofac-sdn-xml"
    if "<CONSOLIDATED_LIST" in head:
        return "un-sc-xml"
    if head.lstrip().startswith("{") and '"schema"' in head:
        return "ftm-json"
    if ".csv" in path.name.lower():
        return "ofac-sdn-csv"
    raise ListFormatError(f"{path.name}: unknown sanctions-list format (known: "
                          f"{', '.join(LIST_FORMATS)}); name it with a format")


def read_list(path: str | Path, fmt: str | None = None,
              issues: IssueLog | None = None) -> pd.DataFrame:
    """Read one sanctions list into the sanctions frame; ``fmt`` defaults to detection.
    Record-level problems of FtM JSON lists go to ``issues`` when given."""
    fmt = fmt or detect_format(path)
    if fmt not in LIST_FORMATS:
        raise ListFormatError(f"unknown sanctions-list format '{fmt}' "
                              f"(known: {', '.join(LIST_FORMATS)})")
    if fmt == "ftm-json" and issues is not None:
        return read_ftm_json(Path(path), issues=issues)
    return LIST_FORMATS[fmt](Path(path))
