"""OpenSanctions / FollowTheMoney entities, one JSON object per line.

Each line is ``{"id", "schema", "properties": {prop: [values]}, "datasets", ...}``.
``Person`` becomes a person, ``Company``/``Organization``/``LegalEntity``/``PublicBody``
a company, ``Vessel`` and ``Airplane`` themselves; ``Sanction`` entities (separate lines
or nested in the ``properties`` of OpenSanctions' ``targets.nested.json``) give their
``entity`` its programs, and ``Passport``/``Identification`` entities give their
``holder`` its documents. Other schemata (addresses, ownership …) are skipped.
"""

from __future__ import annotations

import io
import json
import warnings
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from graphkit.issues import IssueLog
from graphkit.limits import open_maybe_gzip
from graphkit.lists.entries import ListFormatError, add_unique, entries_frame, new_entry

if TYPE_CHECKING:  # pandas is loaded by the functions that make frames
    import pandas as pd


_KIND = {"Person": "person", "Company": "company", "Organization": "company",
         "LegalEntity": "company", "PublicBody": "company", "Vessel": "vessel",
         "Airplane": "aircraft"}
_COLUMNS = {
    "alias": "aliases", "previousName": "aliases", "weakAlias": "weak_aliases",
    "birthDate": "dobs", "birthPlace": "pobs", "nationality": "nationalities",
    "citizenship": "citizenships", "passportNumber": "passports", "idNumber": "national_ids",
    "email": "emails", "website": "websites", "phone": "phones", "address": "addresses",
    "cryptoWallets": "wallets", "programId": "programs",
}
_OTHER_IDS = ("registrationNumber", "innCode", "taxNumber", "ogrnCode", "swiftBic",
              "imoNumber", "leiCode", "uscCode", "vatCode")


def _values(props: dict[str, Any], name: str) -> list[str]:
    return [v for v in props.get(name) or [] if isinstance(v, str)]


def clean_properties(props: Any, where: str, report) -> dict[str, Any]:
    """FtM ``properties`` with every value a list of strings, as the format declares.

    A string where a list belongs (``"name": "Kim"``) is one value, not a list of
    letters; a number becomes its text; anything else is dropped. Each change is passed
    to ``report(message)``. Nested entities (``sanctions``) are cleaned the same way."""
    if not isinstance(props, dict):
        if props is not None:
            report(f"{where}'properties' is not an object; ignored")
        return {}
    clean: dict[str, Any] = {}
    for name, value in props.items():
        if name == "sanctions" and isinstance(value, list):
            clean[name] = [{**v, "properties": clean_properties(
                v.get("properties"), f"{where}sanctions.", report)}
                for v in value if isinstance(v, dict)]
            continue
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            report(f"{where}property '{name}' is a single value, not a list; read as one "
                   f"value {str(value)[:60]!r}")
            value = [value]
        elif not isinstance(value, list):
            report(f"{where}property '{name}' is {type(value).__name__}, not a list of "
                   "strings; dropped")
            continue
        items = []
        for item in value:
            if isinstance(item, str):
                items.append(item)
            elif isinstance(item, int | float) and not isinstance(item, bool):
                items.append(str(item))
            else:
                report(f"{where}property '{name}' holds a {type(item).__name__}, not a "
                       "string; that value dropped")
        clean[name] = items
    return clean


def _entry(obj: dict[str, Any], list_name: str) -> dict[str, Any]:
    props = obj.get("properties") or {}
    names = _values(props, "name")
    entry = new_entry(list_name, str(obj.get("id") or ""), names[0] if names else "",
                      _KIND[obj["schema"]])
    add_unique(entry, "aliases", *names[1:])
    for prop, column in _COLUMNS.items():
        add_unique(entry, column, *_values(props, prop))
    for prop in _OTHER_IDS:
        for value in _values(props, prop):
            add_unique(entry, "other_ids", f"{prop}: {value}")
    entry["title"] = "; ".join(_values(props, "position") + _values(props, "title"))
    entry["gender"] = ";".join(_values(props, "gender"))
    entry["remarks"] = " ".join(_values(props, "notes"))
    for nested in props.get("sanctions") or []:
        if isinstance(nested, dict):
            _add_sanction(entry, nested.get("properties") or {})
    return entry


def _add_sanction(entry: dict[str, Any], props: dict[str, Any]) -> None:
    add_unique(entry, "programs", *(_values(props, "programId") or _values(props, "program")))


def _open(path: Path) -> IO[str]:
    return io.TextIOWrapper(open_maybe_gzip(path), encoding="utf-8", errors="replace")


def read_ftm_json(path: str | Path, list_name: str = "OpenSanctions",
                  issues: IssueLog | None = None) -> pd.DataFrame:
    """Read FollowTheMoney JSON lines into the sanctions frame.

    A line that is not a JSON entity is skipped and reported to ``issues`` (file, line);
    without a log the first such line raises :class:`ListFormatError`.
    """
    path = Path(path)
    entries: dict[str, dict[str, Any]] = {}
    sanctions: list[dict[str, Any]] = []
    documents: list[dict[str, Any]] = []
    with _open(path) as stream:
        for line_no, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                schema = obj["schema"]
                if not isinstance(schema, str):
                    raise TypeError("schema is not a string")
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                message = f"not a FollowTheMoney entity ({type(exc).__name__}); line skipped"
                if issues is None:
                    raise ListFormatError(f"{path.name} line {line_no}: {message}") from exc
                issues.error(path, line_no, None, message)
                continue

            def report(message: str, line_no: int = line_no) -> None:
                if issues is None:
                    warnings.warn(f"{path.name} line {line_no}: {message}", stacklevel=2)
                else:
                    issues.warn(path, line_no, None, message)

            obj["properties"] = clean_properties(obj.get("properties"), "", report)
            if schema in _KIND:
                entry = _entry(obj, list_name)
                if not entry["name"]:
                    message = f"{schema} without a name; not read"
                    if issues is None:
                        warnings.warn(f"{path.name} line {line_no}: {message}", stacklevel=2)
                    else:
                        issues.error(path, line_no, None, message)
                    continue
                entries[entry["list_id"]] = entry
            elif schema == "Sanction":
                sanctions.append(obj.get("properties") or {})
            elif schema in ("Passport", "Identification"):
                documents.append({**(obj.get("properties") or {}), "_schema": schema})
    for props in sanctions:
        for target in _values(props, "entity"):
            if target in entries:
                _add_sanction(entries[target], props)
    for props in documents:
        column = "passports" if props["_schema"] == "Passport" else "national_ids"
        for holder in _values(props, "holder"):
            if holder in entries:
                add_unique(entries[holder], column, *_values(props, "number"))
    if not entries:
        raise ListFormatError(f"{path.name}: no Person, Company, Organization, Vessel or "
                              "Airplane entities: not a FollowTheMoney list")
    return entries_frame(list(entries.values()))
