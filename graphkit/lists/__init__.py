"""Parsers for published sanctions-list formats, all returning the sanctions frame."""

from graphkit.lists.entries import ListFormatError
from graphkit.lists.ftm_json import read_ftm_json
from graphkit.lists.ofac_csv import (
    DPRK_NEXUS,
    SCOPES,
    SdnFormatError,
    dprk_nexus,
    parse_remarks,
    parse_sdn_date,
    read_sdn,
    select_dprk,
    select_programs,
)
from graphkit.lists.ofac_xml import read_ofac_consolidated_xml, read_ofac_xml
from graphkit.lists.read import LIST_FORMATS, detect_format, read_list
from graphkit.lists.un_xml import read_un_xml

__all__ = [
    "DPRK_NEXUS",
    "LIST_FORMATS",
    "SCOPES",
    "ListFormatError",
    "SdnFormatError",
    "detect_format",
    "dprk_nexus",
    "parse_remarks",
    "parse_sdn_date",
    "read_ftm_json",
    "read_list",
    "read_ofac_consolidated_xml",
    "read_ofac_xml",
    "read_sdn",
    "read_un_xml",
    "select_dprk",
    "select_programs",
]
