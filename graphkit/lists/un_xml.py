"""UN Security Council Consolidated List in its published XML format.

``CONSOLIDATED_LIST`` holds ``INDIVIDUALS/INDIVIDUAL`` and ``ENTITIES/ENTITY``; each has a
``REFERENCE_NUMBER`` (``KPi.033`` for a DPRK individual), name parts ``FIRST_NAME`` …
``FOURTH_NAME``, its regime in ``UN_LIST_TYPE``, aliases with a ``QUALITY`` (``Good`` or
``a.k.a.`` are strong, ``Low`` is weak), dates of birth (exact date, year, or a range),
nationalities, documents and addresses.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphkit.lists.entries import add_unique, new_entry, read_xml_entries

if TYPE_CHECKING:  # pandas is loaded by the functions that make frames
    import pandas as pd


_NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
_PASSPORT = ("passport", "diplomatic passport", "official passport", "service passport")


def _text(element: ET.Element, tag: str) -> str:
    child = element.find(tag)
    return " ".join((child.text or "").split()) if child is not None else ""


def _values(element: ET.Element, tag: str) -> list[str]:
    return [" ".join((v.text or "").split()) for v in element.findall(f"{tag}/VALUE")]


def _dob(item: ET.Element) -> str:
    date = _text(item, "DATE")
    if date:
        return date[:10]
    year = _text(item, "YEAR")
    if year:
        return year
    low, high = _text(item, "FROM_YEAR"), _text(item, "TO_YEAR")
    return f"{low} to {high}" if low and high else low or high


def _entry(element: ET.Element, kind: str) -> dict[str, Any]:
    name = " ".join(p for p in (_text(element, t) for t in _NAME_PARTS) if p)
    reference = _text(element, "REFERENCE_NUMBER") or _text(element, "DATAID")
    entry = new_entry("UN-SC", reference, name, kind)
    add_unique(entry, "programs", _text(element, "UN_LIST_TYPE"))
    entry["title"] = "; ".join(_values(element, "TITLE") + _values(element, "DESIGNATION"))
    entry["remarks"] = _text(element, "COMMENTS1")
    entry["gender"] = _text(element, "GENDER")
    prefix = "INDIVIDUAL" if kind == "person" else "ENTITY"
    add_unique(entry, "aliases", _text(element, "NAME_ORIGINAL_SCRIPT"))
    for alias in element.findall(f"{prefix}_ALIAS"):
        column = "weak_aliases" if _text(alias, "QUALITY").lower() == "low" else "aliases"
        add_unique(entry, column, _text(alias, "ALIAS_NAME"))
    add_unique(entry, "nationalities", *_values(element, "NATIONALITY"))
    for item in element.findall("INDIVIDUAL_DATE_OF_BIRTH"):
        add_unique(entry, "dobs", _dob(item))
    for item in element.findall("INDIVIDUAL_PLACE_OF_BIRTH"):
        add_unique(entry, "pobs", ", ".join(
            p for p in (_text(item, t) for t in ("CITY", "STATE_PROVINCE", "COUNTRY")) if p))
    for doc in element.findall("INDIVIDUAL_DOCUMENT"):
        doc_type, number = _text(doc, "TYPE_OF_DOCUMENT"), _text(doc, "NUMBER")
        if not number:
            continue
        if doc_type.lower() in _PASSPORT:
            add_unique(entry, "passports", number)
        elif "national" in doc_type.lower():
            add_unique(entry, "national_ids", number)
        else:
            add_unique(entry, "other_ids", f"{doc_type or 'Document'}: {number}")
    for address in element.findall(f"{prefix}_ADDRESS"):
        add_unique(entry, "addresses", ", ".join(
            p for p in (_text(address, t) for t in ("STREET", "CITY", "STATE_PROVINCE",
                                                    "ZIP_CODE", "COUNTRY")) if p))
    return entry


def read_un_xml(path: str | Path) -> pd.DataFrame:
    """Read the UN Security Council consolidated list XML into the sanctions frame."""
    return read_xml_entries(
        Path(path), ("INDIVIDUAL", "ENTITY"),
        lambda element: _entry(element, "person" if element.tag == "INDIVIDUAL" else "company"),
        "a UN consolidated list")
