"""OFAC SDN list in its published legacy CSV format (``sdn.csv``, ``alt.csv``, ``add.csv``).

The files have no header row; ``-0-`` (often followed by a space) means empty, and the
file ends with a DOS end-of-file byte (0x1A). Everything an investigator needs beyond the
name lives in the free-text Remarks column; :func:`parse_remarks` pulls it apart. In these
files the a.k.a.s written in Remarks are the *weak* ones (OFAC FAQ 123); the strong ones
are in ``alt.csv``.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from graphkit.limits import open_maybe_gzip
from graphkit.lists.entries import ListFormatError
from graphkit.schema import DPRK_PROGRAMS, SANCTION_COLUMNS

if TYPE_CHECKING:  # pandas is loaded by the functions that make frames
    import pandas as pd


SDN_COLUMNS = (
    "ent_num", "sdn_name", "sdn_type", "program", "title", "call_sign", "vess_type",
    "tonnage", "grt", "vess_flag", "vess_owner", "remarks",
)
ALT_COLUMNS = ("ent_num", "alt_num", "alt_type", "alt_name", "alt_remarks")
ADD_COLUMNS = ("ent_num", "add_num", "address", "city_state_postal", "country", "add_remarks")

#: The snapshot shipped inside the package (2024-05-03), used by the demo.
BUNDLED_SDN = "ofac_sdn_2024-05-03.csv.gz"

_KIND = {"individual": "person", "vessel": "vessel", "aircraft": "aircraft", "": "company"}
_MONTHS = {m: i for i, m in enumerate(
    "jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}


class SdnFormatError(ListFormatError):
    """A row of an SDN file that cannot be read; names the file and line."""


def _empty(value: str) -> str:
    value = value.strip()
    return "" if value == "-0-" else value


@dataclass
class RemarkFacts:
    """What :func:`parse_remarks` extracts from one Remarks field."""

    aliases: list[str] = field(default_factory=list)
    weak_aliases: list[str] = field(default_factory=list)
    dobs: list[str] = field(default_factory=list)
    pobs: list[str] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)
    citizenships: list[str] = field(default_factory=list)
    passports: list[str] = field(default_factory=list)
    national_ids: list[str] = field(default_factory=list)
    other_ids: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    websites: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    wallets: list[str] = field(default_factory=list)
    linked_to: list[str] = field(default_factory=list)
    gender: str = ""


_ALIAS = re.compile(r"\b([afn])\.k\.a\.,?\s+'(.+?)'(?=\s*(?:[;.,]|$))")
_SIMPLE_FIELDS = (
    (re.compile(r"^DOB\s+(.+)$", re.I), "dobs"),
    (re.compile(r"^POB\s+(.+)$", re.I), "pobs"),
    (re.compile(r"^nationality\s+(.+)$", re.I), "nationalities"),
    (re.compile(r"^citizen\s+(.+)$", re.I), "citizenships"),
    (re.compile(r"^Passport\s+(.+)$", re.I), "passports"),
    (re.compile(r"^(?:National ID No\.|National ID Number|Cedula No\.|D\.N\.I\.)\s+(.+)$", re.I),
     "national_ids"),
    (re.compile(r"^(?:Email Address|EMAIL)\s+(\S+)$", re.I), "emails"),
    (re.compile(r"^Website\s+(\S+)$", re.I), "websites"),
    (re.compile(r"^(?:PHONE|Phone Number|Telephone)\s+(.+)$", re.I), "phones"),
    (re.compile(r"^Digital Currency Address - (\w+)\s+(\S+)$"), "wallets"),
    (re.compile(r"^Linked To:\s+(.+)$", re.I), "linked_to"),
)
_OTHER_ID = re.compile(
    r"^((?:[A-Z][\w.()/'-]*\s+){0,6}?(?:No\.?|Number|ID|Code(?: \(\w+\))?|IMO|MMSI|"
    r"SWIFT/BIC|License|Registration|Identification))\s+([A-Z0-9][\w/.-]*\d[\w/.-]*)(.*)$"
)


def parse_remarks(remarks: str) -> RemarkFacts:
    """Split an SDN Remarks field into aliases, dates and places of birth, ids and contacts.

    The a.k.a.s (and f.k.a.s, n.k.a.s) of a Remarks field are weak aliases.

    >>> f = parse_remarks("DOB 07 Aug 1965; nationality Korea, North; Passport 563410081; "
    ...                   "a.k.a. 'RYU, Chin'.")
    >>> f.dobs, f.nationalities, f.passports, f.weak_aliases
    (['07 Aug 1965'], ['Korea, North'], ['563410081'], ['RYU, Chin'])
    """
    facts = RemarkFacts()
    text = _empty(remarks or "")
    if ".k.a." in text:  # most remarks have no alias: skip the (slow) alias scan
        for match in _ALIAS.finditer(text):
            facts.weak_aliases.append(match.group(2).strip())
        text = _ALIAS.sub("", text)
    for part in text.split(";"):
        section = part.strip().rstrip(".").strip()
        if section.lower().startswith("alt. "):
            section = section[5:].strip()
        if not section:
            continue
        if section.lower().startswith("gender "):
            facts.gender = section[7:].strip()
            continue
        for pattern, name in _SIMPLE_FIELDS:
            match = pattern.match(section)
            if match:
                value = " ".join(match.groups()) if name == "wallets" else match.group(1)
                getattr(facts, name).append(value.strip())
                break
        else:
            other = _OTHER_ID.match(section)
            if other:
                facts.other_ids.append(f"{other.group(1).strip()}: {other.group(2)}"
                                       + other.group(3).rstrip())
    return facts


def parse_sdn_date(text: str) -> str | None:
    """First date of an SDN DOB text as ISO ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``.

    >>> parse_sdn_date("circa 07 Aug 1965"), parse_sdn_date("Jun 1964")
    ('1965-08-07', '1964-06')
    >>> parse_sdn_date("1962 to 1964")
    '1962'
    """
    match = re.search(r"(?:(\d{1,2})\s+)?(?:([A-Za-z]{3})[a-z]*\s+)?(\d{4})", text or "")
    if not match:
        return None
    day, month, year = match.groups()
    month_num = _MONTHS.get((month or "").lower())
    if month_num and day:
        return f"{year}-{month_num:02d}-{int(day):02d}"
    if month_num:
        return f"{year}-{month_num:02d}"
    return year


def parse_programs(program: str) -> list[str]:
    """``'DPRK3] [DPRK4'`` → ``['DPRK3', 'DPRK4']``."""
    return [p.strip(" []") for p in _empty(program).split("] [") if p.strip(" []")]


def _read_text(path: Path) -> str:
    with open_maybe_gzip(path) as stream:  # a gzip bomb is refused (graphkit.limits)
        raw = stream.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    return text.replace("\x1a", "")


def _rows(path: Path, width: int) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(_read_text(path), newline=""))
    rows = []
    for row in reader:
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != width:
            raise SdnFormatError(
                f"{path.name} line {reader.line_num}: expected {width} columns, got {len(row)}"
            )
        rows.append((reader.line_num, row))
    return rows


def read_sdn(
    sdn_path: str | Path | None = None,
    alt_path: str | Path | None = None,
    add_path: str | Path | None = None,
) -> pd.DataFrame:
    """Read an SDN legacy CSV set into the sanctions frame (``schema.SANCTION_COLUMNS``).

    With no ``sdn_path`` the bundled 2024-05-03 snapshot is read. ``alt.csv`` and
    ``add.csv`` are picked up from beside ``sdn.csv`` when not given and present.
    """
    import pandas as pd

    if sdn_path is None:
        with resources.as_file(resources.files("graphkit.data") / BUNDLED_SDN) as bundled:
            return read_sdn(bundled)
    sdn_path = Path(sdn_path)
    alt_path = Path(alt_path) if alt_path else _sibling(sdn_path, "alt")
    add_path = Path(add_path) if add_path else _sibling(sdn_path, "add")
    alt_names: dict[str, list[str]] = {}
    weak_names: dict[str, list[str]] = {}
    if alt_path and alt_path.exists():
        for _, row in _rows(alt_path, len(ALT_COLUMNS)):
            target = weak_names if "weak" in _empty(row[4]).lower() else alt_names
            target.setdefault(row[0].strip(), []).append(_empty(row[3]))
    addresses: dict[str, list[str]] = {}
    if add_path and add_path.exists():
        for _, row in _rows(add_path, len(ADD_COLUMNS)):
            parts = [_empty(c) for c in row[2:5]]
            if any(parts):
                addresses.setdefault(row[0].strip(), []).append(", ".join(p for p in parts if p))
    records = []
    for _line, row in _rows(sdn_path, len(SDN_COLUMNS)):
        ent_num = row[0].strip()
        facts = parse_remarks(row[11])
        aliases = list(dict.fromkeys(facts.aliases + alt_names.get(ent_num, [])))
        weak = [a for a in dict.fromkeys(facts.weak_aliases + weak_names.get(ent_num, []))
                if a not in aliases]
        records.append({
            "list": "OFAC-SDN",
            "list_id": ent_num,
            "name": _empty(row[1]),
            "kind": _KIND.get(_empty(row[2]).lower(), "company"),
            "programs": parse_programs(row[3]),
            "title": _empty(row[4]),
            "aliases": aliases,
            "weak_aliases": weak,
            "dobs": facts.dobs,
            "pobs": facts.pobs,
            "nationalities": facts.nationalities,
            "citizenships": facts.citizenships,
            "passports": facts.passports,
            "national_ids": facts.national_ids,
            "other_ids": facts.other_ids,
            "emails": facts.emails,
            "websites": facts.websites,
            "phones": facts.phones,
            "wallets": facts.wallets,
            "addresses": addresses.get(ent_num, []),
            "linked_to": facts.linked_to,
            "gender": facts.gender,
            "remarks": _empty(row[11]),
        })
    return pd.DataFrame.from_records(records, columns=list(SANCTION_COLUMNS))


def _sibling(sdn_path: Path, stem: str) -> Path | None:
    for suffix in (".csv", ".CSV", ".csv.gz"):
        candidate = sdn_path.with_name(stem + suffix)
        if candidate.exists():
            return candidate
    return None


#: The scope name that selects the DPRK nexus (see :func:`dprk_nexus`) in a program list.
DPRK_NEXUS = "dprk-nexus"
#: Scopes of ``graphkit screen --scope`` and project ``programs``.
SCOPES = (DPRK_NEXUS, "all")
_NORTH_KOREA = re.compile(
    r"korea,?\s*north|north\s*korea|\bdprk\b|democratic\s+people'?s\s+republic\s+of\s+korea"
    r"|\bpyongyang\b", re.I)


def _says_north_korea(values: object) -> bool:
    if isinstance(values, str):
        return bool(_NORTH_KOREA.search(values))
    return any(_says_north_korea(v) for v in values or ())


def dprk_nexus(sanctions: pd.DataFrame) -> pd.Series:
    """Mask of the entries with a North Korea nexus: a DPRK program, or a nationality,
    citizenship, address, place of birth or remarks naming North Korea (so KIM Song Chol,
    listed under NPWMD only, is in)."""
    import pandas as pd

    programs = sanctions["programs"].map(
        lambda ps: any(fnmatchcase(p.upper(), w) for p in ps for w in DPRK_PROGRAMS))
    said = pd.Series(False, index=sanctions.index)
    for column in ("nationalities", "citizenships", "addresses", "pobs", "remarks"):
        if column in sanctions:
            said |= sanctions[column].map(_says_north_korea)
    return programs | said


def select_programs(sanctions: pd.DataFrame, patterns: list[str] | tuple[str, ...]) -> pd.DataFrame:
    """Entries with at least one program matching a pattern (``fnmatch``: ``'DPRK*'``); the
    pattern ``dprk-nexus`` stands for the DPRK nexus (:func:`dprk_nexus`), ``all`` for
    every entry."""
    wanted = [p.upper() for p in patterns]
    if "ALL" in wanted:
        return sanctions.reset_index(drop=True)
    mask = sanctions["programs"].map(
        lambda programs: any(fnmatchcase(p.upper(), w) for p in programs for w in wanted)
    )
    if DPRK_NEXUS.upper() in wanted:
        mask |= dprk_nexus(sanctions)
    return sanctions[mask].reset_index(drop=True)


def select_dprk(sanctions: pd.DataFrame) -> pd.DataFrame:
    """Entries under any North Korea program (DPRK, DPRK2, DPRK3, DPRK4, DPRK-NKSPEA)."""
    return select_programs(sanctions, DPRK_PROGRAMS)
