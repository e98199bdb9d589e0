"""The one place where graphkit names its layouts, labels, relationship types and columns.

Every other module imports these names instead of retyping strings.
"""

from __future__ import annotations

from enum import StrEnum


class Label(StrEnum):
    """Node labels of the property graph (DESIGN.md, graph schema)."""

    RECORD = "Record"
    PERSON = "Person"
    COMPANY = "Company"
    ACCOUNT = "Account"
    DEVICE = "Device"
    IP = "IP"
    EMAIL = "Email"
    PHONE = "Phone"
    ADDRESS = "Address"
    DOCUMENT = "Document"
    SANCTION = "Sanction"


class Rel(StrEnum):
    """Relationship types of the property graph."""

    RESOLVED_TO = "RESOLVED_TO"
    HAS_ACCOUNT = "HAS_ACCOUNT"
    USES_DEVICE = "USES_DEVICE"
    USES_IP = "USES_IP"
    HAS_EMAIL = "HAS_EMAIL"
    HAS_PHONE = "HAS_PHONE"
    LIVES_AT = "LIVES_AT"
    SHIPS_TO = "SHIPS_TO"
    HAS_DOCUMENT = "HAS_DOCUMENT"
    PAYS = "PAYS"
    WORKS_FOR = "WORKS_FOR"
    REGISTERED_AT = "REGISTERED_AT"
    MATCHES = "MATCHES"
    POSSIBLY_SAME_AS = "POSSIBLY_SAME_AS"
    SAME_HOUSEHOLD = "SAME_HOUSEHOLD"


class IdKind(StrEnum):
    """Identifier kinds: what a normalised value identifies, and how it is normalised.

    Each kind maps to one identifier node label (``ID_LABEL``) and, for a given role, one
    relationship type (``id_relationship``).
    """

    EMAIL = "email"
    PHONE = "phone"
    ADDRESS = "address"  # residential or registered address
    SHIP_ADDRESS = "ship_address"  # where equipment was shipped
    NATIONAL_ID = "national_id"
    PASSPORT = "passport"
    REGISTRATION = "registration"  # company registration number
    BANK_ACCOUNT = "bank_account"  # routing + account number
    IBAN = "iban"
    PAYMENT_HANDLE = "payment_handle"  # PayPal / Payoneer / Wise handle
    WALLET = "wallet"  # digital currency address
    DEVICE = "device"
    IP = "ip"


ID_LABEL: dict[IdKind, Label] = {
    IdKind.EMAIL: Label.EMAIL,
    IdKind.PHONE: Label.PHONE,
    IdKind.ADDRESS: Label.ADDRESS,
    IdKind.SHIP_ADDRESS: Label.ADDRESS,
    IdKind.NATIONAL_ID: Label.DOCUMENT,
    IdKind.PASSPORT: Label.DOCUMENT,
    IdKind.REGISTRATION: Label.DOCUMENT,
    IdKind.BANK_ACCOUNT: Label.ACCOUNT,
    IdKind.IBAN: Label.ACCOUNT,
    IdKind.PAYMENT_HANDLE: Label.ACCOUNT,
    IdKind.WALLET: Label.ACCOUNT,
    IdKind.DEVICE: Label.DEVICE,
    IdKind.IP: Label.IP,
}

_ID_REL: dict[Label, Rel] = {
    Label.EMAIL: Rel.HAS_EMAIL,
    Label.PHONE: Rel.HAS_PHONE,
    Label.ADDRESS: Rel.LIVES_AT,
    Label.DOCUMENT: Rel.HAS_DOCUMENT,
    Label.ACCOUNT: Rel.HAS_ACCOUNT,
    Label.DEVICE: Rel.USES_DEVICE,
    Label.IP: Rel.USES_IP,
}


def id_relationship(kind: IdKind, entity_label: Label) -> Rel:
    """Relationship type from an entity to an identifier node of ``kind``."""
    if kind is IdKind.SHIP_ADDRESS:
        return Rel.SHIPS_TO
    if entity_label is Label.COMPANY and kind is IdKind.ADDRESS:
        return Rel.REGISTERED_AT
    return _ID_REL[ID_LABEL[kind]]


def id_key(kind: IdKind | str, value: str) -> str:
    """Stable node key of an identifier node: label plus normalised value.

    Kinds that share a label (address and ship_address; national id and passport are kept
    apart by their value prefix) meet in one node when their values are equal.
    """
    return f"{ID_LABEL[IdKind(kind)].value}:{value}"


class Layout(StrEnum):
    """graphkit's native CSV layouts (one per kind of source file)."""

    PEOPLE = "people"
    PAYROLL = "payroll"
    SHIPMENTS = "shipments"
    LOGINS = "logins"
    COMPANIES = "companies"


#: Columns of each native layout, in file order. ``record_id`` is the only required one.
NATIVE_COLUMNS: dict[Layout, tuple[str, ...]] = {
    Layout.PEOPLE: (
        "record_id", "role", "first_name", "middle_name", "last_name", "full_name", "dob",
        "email", "phone", "street", "city", "region", "postcode", "country", "national_id",
        "passport", "ip", "device_id", "source",
    ),
    Layout.PAYROLL: (
        "record_id", "person_record_id", "payer", "payee_name", "bank_name", "routing_number",
        "account_number", "iban", "payment_handle", "wallet", "amount", "currency", "paid_at",
    ),
    Layout.SHIPMENTS: (
        "record_id", "person_record_id", "street", "city", "region", "postcode", "country",
        "asset_tag", "shipped_at",
    ),
    Layout.LOGINS: (
        "record_id", "person_record_id", "ip", "device_id", "user_agent", "vpn", "at",
    ),
    Layout.COMPANIES: (
        "record_id", "name", "registration_number", "country", "street", "city", "postcode",
        "directors", "email", "phone", "website", "account_number", "iban",
    ),
}

#: Columns holding dates (ISO ``YYYY-MM-DD`` in native files; timestamps for ``at``).
DATE_COLUMNS: dict[Layout, tuple[str, ...]] = {
    Layout.PEOPLE: ("dob",),
    Layout.PAYROLL: ("paid_at",),
    Layout.SHIPMENTS: ("shipped_at",),
    Layout.LOGINS: ("at",),
    Layout.COMPANIES: (),
}

#: Extra columns graphkit adds to every records frame: where the row came from.
PROVENANCE_COLUMNS: tuple[str, ...] = ("source_name", "file", "line")


def record_columns(layout: Layout) -> list[str]:
    """Columns of the records frame of one layout: native columns then provenance."""
    return [*NATIVE_COLUMNS[layout], *PROVENANCE_COLUMNS]


#: Columns of the identifiers frame: one row per (record, identifier) pair.
IDENTIFIER_COLUMNS: tuple[str, ...] = ("layout", "record_id", "kind", "value", "raw", "column")

#: Columns of the entity assignment frame produced by resolution.
CLUSTER_COLUMNS: tuple[str, ...] = ("record_id", "entity_id")

#: Columns of the sanctions list frame produced by ``graphkit.lists``.
SANCTION_COLUMNS: tuple[str, ...] = (
    "list", "list_id", "name", "kind", "programs", "title", "aliases", "weak_aliases",
    "dobs", "pobs", "nationalities", "citizenships", "passports", "national_ids",
    "other_ids", "emails", "websites", "phones", "wallets", "addresses", "linked_to",
    "gender", "remarks",
)

#: Columns of ``clusters.csv`` written by ``graphkit build``.
CLUSTER_REPORT_COLUMNS: tuple[str, ...] = (
    "cluster_id", "size", "n_records", "members", "names", "shared_identifiers",
    "sanctions_hits", "record_ids",
)

#: Columns of ``truth.csv`` written by the demo generator.
TRUTH_COLUMNS: tuple[str, ...] = ("record_id", "layout", "person_id", "ring_id",
                                  "household_id")

#: Programs of the OFAC SDN list that concern North Korea.
DPRK_PROGRAMS: tuple[str, ...] = ("DPRK", "DPRK2", "DPRK3", "DPRK4", "DPRK-NKSPEA")


#: Fixed columns of the node table (``nodes.parquet``); property columns follow.
NODE_TABLE_COLUMNS: tuple[str, ...] = ("node_id", "key", "label")

#: Fixed columns of the relationship table (``relationships.parquet``); properties follow.
REL_TABLE_COLUMNS: tuple[str, ...] = ("start_id", "end_id", "start", "end", "type")

#: Typed properties of nodes and of relationships: "list" (list of strings), "float",
#: "int". Every property not named here is a string (record fields stay as read).
NODE_PROPERTY_TYPES: dict[str, str] = {"aliases": "list", "programs": "list", "line": "int"}
REL_PROPERTY_TYPES: dict[str, str] = {"records": "list", "score": "float", "amount": "float",
                                      "payments": "int"}
