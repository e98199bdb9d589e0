"""Normalisers: turn identifiers written in different ways into one comparable value.

Each function takes a raw string and returns the normalised value, or ``None`` when nothing
usable is left (empty, or not a valid identifier of that kind). All are idempotent:
``f(f(x)) == f(x)`` for every ``x`` where ``f(x)`` is not ``None``.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Callable

from graphkit.schema import IdKind

_SPACE = re.compile(r"\s+")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_NON_WORD = re.compile(r"[^\w]+")
_DIGITS = re.compile(r"\D+")


def fold(text: str) -> str:
    """Unicode-fold ``text``: NFKD, drop combining marks, casefold, collapse whitespace."""
    if text.isascii():
        return _SPACE.sub(" ", text.lower()).strip()
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACE.sub(" ", stripped.casefold()).strip()


# --- names -----------------------------------------------------------------------------

def name_tokens(name: str) -> list[str]:
    """Lower-case ASCII-folded name tokens; hyphens and punctuation split tokens.

    >>> name_tokens("KIM, Jong-Un")
    ['kim', 'jong', 'un']
    """
    folded = fold(name).replace("'", "").replace("\u2019", "")
    return [t for t in _NON_WORD.sub(" ", folded).replace("_", " ").split() if t]


def normalize_name(name: str) -> str | None:
    """Name in a canonical spelling: folded tokens joined by single spaces, order kept."""
    tokens = name_tokens(name or "")
    return " ".join(tokens) or None


def name_key(name: str) -> str | None:
    """Order-free name key (sorted tokens): 'KIM, Jong Un' and 'Jong Un Kim' share it."""
    tokens = name_tokens(name or "")
    return " ".join(sorted(tokens)) or None


#: Legal-form words a company name ends with (dropped from its key).
COMPANY_SUFFIXES = frozenset(
    "co company corp corporation inc incorporated ltd limited llc plc gmbh sa ag jsc ojsc "
    "pte pty bv nv oao ooo zao lp llp sarl srl spa kk".split()
)


def company_key(name: str) -> str | None:
    """Company name without legal-form suffixes ('CO., LTD.', 'Company Limited' …).

    >>> company_key("Yanbian Silverstar Network Technology Co., Ltd.")
    'yanbian silverstar network technology'
    """
    tokens = name_tokens(name or "")
    while tokens and tokens[-1] in COMPANY_SUFFIXES:
        tokens.pop()
    return " ".join(tokens) or None


# --- contact identifiers ---------------------------------------------------------------

_EMAIL = re.compile(r"^[^@\s]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+)+$")
_DOTLESS_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def normalize_email(email: str) -> str | None:
    """Lower-case address without ``+tags``; Gmail dots dropped; googlemail → gmail.

    >>> normalize_email(" J.Smith+jobs@GoogleMail.com ")
    'jsmith@gmail.com'
    """
    value = fold(email or "").replace(" ", "")
    if value.startswith("mailto:"):
        value = value[len("mailto:"):]
    if not _EMAIL.match(value):
        return None
    local, domain = value.rsplit("@", 1)
    local = local.split("+", 1)[0]
    if domain in _DOTLESS_DOMAINS:
        local = local.replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}" if local else None


_EXTENSION = re.compile(r"(?:ext\.?|extension|x|#)\s*\d+\s*$", re.IGNORECASE)


def normalize_phone(phone: str, default_country_code: str = "1") -> str | None:
    """E.164-style ``+<country><number>``; national numbers take ``default_country_code``.

    >>> normalize_phone("(415) 555-0123")
    '+14155550123'
    >>> normalize_phone("+1 415.555.0123 ext 7")
    '+14155550123'
    """
    text = _EXTENSION.sub("", (phone or "").strip())
    international = text.startswith("+") or text.startswith("00")
    digits = _DIGITS.sub("", text)
    if text.startswith("00"):
        digits = digits[2:]
    if not international:
        if default_country_code == "1" and len(digits) == 11 and digits.startswith("1"):
            pass
        else:
            digits = default_country_code + digits.lstrip("0")
    if not 8 <= len(digits) <= 15:
        return None
    return "+" + digits


# --- addresses -------------------------------------------------------------------------

_STREET_WORDS = {
    "street": "st", "str": "st", "avenue": "ave", "av": "ave", "road": "rd", "drive": "dr",
    "boulevard": "blvd", "lane": "ln", "court": "ct", "place": "pl", "terrace": "ter",
    "highway": "hwy", "parkway": "pkwy", "circle": "cir", "square": "sq", "suite": "ste",
    "apartment": "apt", "building": "bldg", "floor": "fl", "north": "n", "south": "s",
    "east": "e", "west": "w", "northeast": "ne", "northwest": "nw", "southeast": "se",
    "southwest": "sw", "unit": "unit", "number": "no", "mount": "mt", "fort": "ft",
    "saint": "st",
}
_COUNTRIES = {
    "us": "us", "usa": "us", "united states": "us", "united states of america": "us",
    "america": "us", "u s": "us", "u s a": "us", "uk": "gb", "united kingdom": "gb",
    "great britain": "gb", "gb": "gb", "canada": "ca", "ca": "ca", "china": "cn", "cn": "cn",
    "prc": "cn", "russia": "ru", "russian federation": "ru", "ru": "ru", "north korea": "kp",
    "korea north": "kp", "dprk": "kp", "kp": "kp", "democratic people s republic of korea": "kp",
    "south korea": "kr", "korea south": "kr", "republic of korea": "kr", "kr": "kr",
    "laos": "la", "la": "la", "ukraine": "ua", "ua": "ua", "poland": "pl", "pl": "pl",
    "germany": "de", "de": "de", "japan": "jp", "jp": "jp", "vietnam": "vn", "vn": "vn",
    "united arab emirates": "ae", "uae": "ae", "ae": "ae", "singapore": "sg", "sg": "sg",
    "india": "in", "in": "in", "philippines": "ph", "ph": "ph", "mexico": "mx", "mx": "mx",
    # as sanctions lists write them
    "n korea": "kp", "korea democratic people s republic of": "kp", "korea": "kr",
    "burma": "mm", "syria": "sy", "iran": "ir", "taiwan": "tw", "macau": "mo", "macao": "mo",
    "hong kong": "hk", "turkey": "tr", "turkiye": "tr", "venezuela": "ve", "bolivia": "bo",
    "tanzania": "tz", "moldova": "md", "congo democratic republic of the": "cd",
    "democratic republic of the congo": "cd", "czech republic": "cz", "cote d ivoire": "ci",
    "ivory coast": "ci", "palestinian": "ps", "west bank": "ps", "gaza": "ps", "kosovo": "xk",
    "crimea": "ua", "region crimea": "ua",
}
_US_STATES = {
    "alabama": "al", "alaska": "ak", "arizona": "az", "arkansas": "ar", "california": "ca",
    "colorado": "co", "connecticut": "ct", "delaware": "de", "florida": "fl", "georgia": "ga",
    "hawaii": "hi", "idaho": "id", "illinois": "il", "indiana": "in", "iowa": "ia",
    "kansas": "ks", "kentucky": "ky", "louisiana": "la", "maine": "me", "maryland": "md",
    "massachusetts": "ma", "michigan": "mi", "minnesota": "mn", "mississippi": "ms",
    "missouri": "mo", "montana": "mt", "nebraska": "ne", "nevada": "nv",
    "new hampshire": "nh", "new jersey": "nj", "new mexico": "nm", "new york": "ny",
    "north carolina": "nc", "north dakota": "nd", "ohio": "oh", "oklahoma": "ok",
    "oregon": "or", "pennsylvania": "pa", "rhode island": "ri", "south carolina": "sc",
    "south dakota": "sd", "tennessee": "tn", "texas": "tx", "utah": "ut", "vermont": "vt",
    "virginia": "va", "washington": "wa", "west virginia": "wv", "wisconsin": "wi",
    "wyoming": "wy", "district of columbia": "dc",
}


def _alnum_words(text: str) -> str:
    return _SPACE.sub(" ", _NON_ALNUM.sub(" ", fold(text or ""))).strip()


def known_country_code(country: str) -> str | None:
    """Two-letter lower-case code of a common spelling ("Korea, North" → "kp"), else None."""
    return _COUNTRIES.get(_alnum_words(country))


def normalize_country(country: str) -> str:
    """Two-letter lower-case code for common spellings; other values folded as they are."""
    return known_country_code(country) or _alnum_words(country)


def normalize_street(street: str) -> str:
    """Street line with common words abbreviated ('Avenue' → 'ave', 'Suite' → 'ste')."""
    words = _alnum_words(street.replace("#", " unit "))
    return " ".join(_STREET_WORDS.get(w, w) for w in words.split())


def normalize_postcode(postcode: str, country: str = "") -> str:
    """Postcode without spaces; US ZIP+4 cut to the five-digit ZIP."""
    code = _NON_ALNUM.sub("", fold(postcode or ""))
    if normalize_country(country) in ("us", "") and re.fullmatch(r"\d{9}", code):
        code = code[:5]
    return code


def normalize_address(
    street: str, city: str = "", region: str = "", postcode: str = "", country: str = ""
) -> str | None:
    """One address key ``street|city|region|postcode|country``; ``None`` without a street.

    >>> normalize_address("1428 Maple Ridge Drive, Suite 4", "Nashville", "Tennessee",
    ...                   "37201-1234", "USA")
    '1428 maple ridge dr ste 4|nashville|tn|37201|us'
    """
    line = normalize_street(street or "")
    if not line:
        return None
    parts = (
        line,
        normalize_city(city),
        normalize_region(region),
        normalize_postcode(postcode, country),
        normalize_country(country),
    )
    return "|".join(parts)


def normalize_city(city: str) -> str:
    """City as folded words of letters and digits (the city part of an address key)."""
    return _alnum_words(city)


def normalize_region(region: str) -> str:
    """US state names as their two-letter code; other regions as folded words."""
    words = _alnum_words(region)
    return _US_STATES.get(words, words)


# --- accounts, devices, documents, network ---------------------------------------------

def normalize_account(account_number: str, routing_number: str = "") -> str | None:
    """Bank account as ``<routing>:<account>`` (digits and letters only, upper case)."""
    account = re.sub(r"[^0-9A-Z]", "", fold(account_number or "").upper())
    if len(account) < 4:
        return None
    routing = re.sub(r"[^0-9A-Z]", "", fold(routing_number or "").upper())
    return f"{routing}:{account}" if routing else f":{account}"


def normalize_iban(iban: str) -> str | None:
    """Upper-case IBAN without spaces; ``None`` unless the ISO 13616 check digits hold."""
    value = re.sub(r"[^0-9A-Z]", "", (iban or "").upper())
    if not re.fullmatch(r"[A-Z]{2}\d{2}[0-9A-Z]{10,30}", value):
        return None
    rearranged = value[4:] + value[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return value if int(digits) % 97 == 1 else None


def normalize_handle(handle: str) -> str | None:
    """Payment-platform handle (PayPal, Payoneer, Wise …): folded, no leading '@' or spaces."""
    value = fold(handle or "").replace(" ", "").lstrip("@")
    if "@" in value:
        return normalize_email(value)
    return value or None


def normalize_wallet(address: str) -> str | None:
    """Digital currency address; hex (0x…) addresses are case-insensitive, others kept."""
    value = re.sub(r"\s+", "", address or "")
    if value.lower().startswith("0x"):
        value = value.lower()
    return value if len(value) >= 20 else None


def normalize_device(device_id: str) -> str | None:
    """Device id (serial, MAC, hardware UUID): upper case without separators."""
    value = re.sub(r"[^0-9A-Z]", "", fold(device_id or "").upper())
    return value if len(value) >= 4 else None


def normalize_document(number: str) -> str | None:
    """Identity document number: upper case letters and digits only."""
    value = re.sub(r"[^0-9A-Z]", "", fold(number or "").upper())
    return value if len(value) >= 4 else None


def normalize_ip(ip: str) -> str | None:
    """Canonical text of an IPv4/IPv6 address; ``None`` when it is not one."""
    try:
        return str(ipaddress.ip_address((ip or "").strip()))
    except ValueError:
        return None


#: Normaliser of each single-column identifier kind. Addresses and bank accounts combine
#: several columns and are built by ``graphkit.ingest``.
SINGLE_COLUMN_NORMALIZERS: dict[IdKind, Callable[[str], str | None]] = {
    IdKind.EMAIL: normalize_email,
    IdKind.PHONE: normalize_phone,
    IdKind.NATIONAL_ID: lambda v: _prefixed("nid", normalize_document(v)),
    IdKind.PASSPORT: lambda v: _prefixed("passport", normalize_document(v)),
    IdKind.REGISTRATION: lambda v: _prefixed("reg", normalize_document(v)),
    IdKind.IBAN: normalize_iban,
    IdKind.PAYMENT_HANDLE: lambda v: _prefixed("handle", normalize_handle(v)),
    IdKind.WALLET: normalize_wallet,
    IdKind.DEVICE: normalize_device,
    IdKind.IP: normalize_ip,
    IdKind.BANK_ACCOUNT: normalize_account,
}


def _prefixed(prefix: str, value: str | None) -> str | None:
    """Documents and handles share a node label with other kinds; a prefix keeps them apart."""
    if value is None:
        return None
    return value if value.startswith(prefix + ":") else f"{prefix}:{value}"
