"""OFAC SDN list in its published XML format (``sdn.xml``, also ``consolidated.xml``).

One ``sdnEntry`` per listed party: ``uid``, ``lastName``/``firstName``, ``sdnType``,
``programList``, ``akaList`` (each a.k.a. with its *category*, strong or weak), ``idList``
(passports, national ids, e-mail addresses, websites, digital-currency addresses …),
``dateOfBirthList``, ``placeOfBirthList``, ``nationalityList``, ``citizenshipList`` and
``addressList``. The file is streamed, so the full list (~100 MB) never sits in memory
as a tree. Namespaces differ between publications and are ignored.

The consolidated (non-SDN) list has the same layout; each of its entries is labelled by
the non-SDN list it is on (:func:`non_sdn_list`: ``OFAC-SSI``, ``OFAC-NS-MBS``,
``OFAC-NS-PLC``, ``OFAC-NS-CMIC``, ``OFAC-FSE``, ``OFAC-CAPTA``; ``OFAC-CONS`` when none
is named), never ``OFAC-SDN``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphkit.lists.entries import add_unique, new_entry, read_xml_entries

if TYPE_CHECKING:  # pandas is loaded by the functions that make frames
    import pandas as pd


_KIND = {"individual": "person", "vessel": "vessel", "aircraft": "aircraft", "entity": "company"}
_ID_COLUMNS = {
    "passport": "passports", "diplomatic passport": "passports",
    "national id no.": "national_ids", "national id number": "national_ids",
    "cedula no.": "national_ids", "d.n.i.": "national_ids",
    "email address": "emails", "website": "websites", "phone number": "phones",
}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text(element: ET.Element, name: str) -> str:
    for child in element:
        if _local(child.tag) == name:
            return " ".join((child.text or "").split())
    return ""


def _children(element: ET.Element, list_name: str) -> Iterator[ET.Element]:
    for child in element:
        if _local(child.tag) == list_name:
            yield from child


def _person_name(element: ET.Element) -> str:
    last, first = _text(element, "lastName"), _text(element, "firstName")
    return f"{last}, {first}" if last and first else last or first


def _entry(element: ET.Element, list_name: str) -> dict[str, Any]:
    kind = _KIND.get(_text(element, "sdnType").lower(), "company")
    entry = new_entry(list_name, _text(element, "uid"), _person_name(element), kind)
    entry["title"] = _text(element, "title")
    entry["remarks"] = _text(element, "remarks")
    add_unique(entry, "programs", *(" ".join((p.text or "").split())
                                    for p in _children(element, "programList")))
    for aka in _children(element, "akaList"):
        column = "weak_aliases" if _text(aka, "category").lower() == "weak" else "aliases"
        add_unique(entry, column, _person_name(aka))
    for ident in _children(element, "idList"):
        id_type, number = _text(ident, "idType"), _text(ident, "idNumber")
        column = _ID_COLUMNS.get(id_type.lower())
        if id_type.endswith(":"):  # "Secondary sanctions risk:" and similar advisories
            continue
        if id_type.lower().startswith("digital currency address"):
            add_unique(entry, "wallets", f"{id_type.rsplit('-', 1)[-1].strip()} {number}")
        elif id_type.lower() == "gender":
            entry["gender"] = number
        elif column:
            add_unique(entry, column, number)
        else:
            country = _text(ident, "idCountry")
            add_unique(entry, "other_ids",
                       f"{id_type}: {number}" + (f" ({country})" if country else ""))
    for item in _children(element, "dateOfBirthList"):
        add_unique(entry, "dobs", _text(item, "dateOfBirth"))
    for item in _children(element, "placeOfBirthList"):
        add_unique(entry, "pobs", _text(item, "placeOfBirth"))
    for item in _children(element, "nationalityList"):
        add_unique(entry, "nationalities", _text(item, "country"))
    for item in _children(element, "citizenshipList"):
        add_unique(entry, "citizenships", _text(item, "country"))
    for item in _children(element, "addressList"):
        parts = [_text(item, f) for f in ("address1", "address2", "address3", "city",
                                           "stateOrProvince", "postalCode", "country")]
        add_unique(entry, "addresses", ", ".join(p for p in parts if p))
    return entry


def non_sdn_list(programs: list[str], id_types: list[str]) -> str:
    """The non-SDN list an entry of the consolidated list is on, from its programs and
    the kinds of its ids (Sectoral Sanctions Identifications carry an "Executive Order
    13662 Directive Determination", Menu-Based Sanctions a directive of EO 14024 or 14014).

    >>> non_sdn_list(["UKRAINE-EO13662"], ["Executive Order 13662 Directive Determination -"])
    'OFAC-SSI'
    >>> non_sdn_list(["NS-PLC"], []), non_sdn_list(["CMIC-EO13959"], [])
    ('OFAC-NS-PLC', 'OFAC-NS-CMIC')
    """
    ids = " ".join(id_types).lower()
    upper = [p.upper() for p in programs]
    if "13662 directive determination" in ids:
        return "OFAC-SSI"
    if "directive information" in ids or "CAATSA - RUSSIA" in upper:
        return "OFAC-NS-MBS"
    for prefix, name in (("NS-PLC", "OFAC-NS-PLC"), ("CMIC", "OFAC-NS-CMIC"),
                         ("FSE", "OFAC-FSE"), ("561", "OFAC-CAPTA"), ("NS-ISA", "OFAC-NS-ISA")):
        if any(p.startswith(prefix) for p in upper):
            return name
    return "OFAC-CONS"


def _consolidated_entry(element: ET.Element) -> dict[str, Any]:
    entry = _entry(element, "")
    id_types = [_text(ident, "idType") for ident in _children(element, "idList")]
    entry["list"] = non_sdn_list(entry["programs"], id_types)
    return entry


def read_ofac_xml(path: str | Path, list_name: str = "OFAC-SDN") -> pd.DataFrame:
    """Read ``sdn.xml`` into the sanctions frame (every entry on ``list_name``)."""
    return read_xml_entries(Path(path), ("sdnEntry",),
                            lambda element: _entry(element, list_name), "an OFAC XML list")


def read_ofac_consolidated_xml(path: str | Path) -> pd.DataFrame:
    """Read OFAC's consolidated (non-SDN) list XML; each entry on its own non-SDN list."""
    return read_xml_entries(Path(path), ("sdnEntry",), _consolidated_entry,
                            "an OFAC XML list")
