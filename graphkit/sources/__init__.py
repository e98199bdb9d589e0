"""Parsers for published sanctions-list formats, all returning the sanctions frame."""

from graphkit.sources.ofac_csv import (
    SdnFormatError,
    parse_remarks,
    parse_sdn_date,
    read_sdn,
    select_dprk,
    select_programs,
)

__all__ = [
    "SdnFormatError",
    "parse_remarks",
    "parse_sdn_date",
    "read_sdn",
    "select_dprk",
    "select_programs",
]
