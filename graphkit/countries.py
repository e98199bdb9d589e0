"""Country names as the lists write them → ISO 3166 alpha-2 codes.

OFAC writes "Korea, North", the UN "Democratic People's Republic of Korea", OpenSanctions
"kp" and an applicant form "North Korea"; all of them become ``"KP"``.
"""

from __future__ import annotations

from functools import cache

import pycountry

#: Spellings used by sanctions lists and forms that ISO's own names do not cover.
_ALIASES = {
    "korea, north": "KP", "north korea": "KP", "dprk": "KP", "n. korea": "KP",
    "korea, democratic people's republic of": "KP",
    "korea, south": "KR", "south korea": "KR", "republic of korea": "KR", "korea": "KR",
    "russia": "RU", "russian federation": "RU", "burma": "MM", "syria": "SY", "iran": "IR",
    "laos": "LA", "vietnam": "VN", "taiwan": "TW", "macau": "MO", "macao": "MO",
    "hong kong": "HK", "uae": "AE", "united arab emirates": "AE", "usa": "US",
    "united states": "US", "united states of america": "US", "uk": "GB",
    "united kingdom": "GB", "great britain": "GB", "turkey": "TR", "turkiye": "TR",
    "venezuela": "VE", "bolivia": "BO", "tanzania": "TZ", "moldova": "MD",
    "congo, democratic republic of the": "CD", "democratic republic of the congo": "CD",
    "czech republic": "CZ", "cote d'ivoire": "CI", "ivory coast": "CI", "palestinian": "PS",
    "west bank": "PS", "gaza": "PS", "kosovo": "XK", "crimea": "UA", "region: crimea": "UA",
}


@cache
def country_code(text: str) -> str:
    """ISO alpha-2 code of a country name or code, or ``""`` when unknown.

    >>> country_code("Korea, North"), country_code("kp"), country_code("Russia")
    ('KP', 'KP', 'RU')
    """
    key = " ".join((text or "").replace(".", ". ").split()).strip().lower().rstrip(".")
    if not key:
        return ""
    if key in _ALIASES:
        return _ALIASES[key]
    try:
        return str(pycountry.countries.lookup(key).alpha_2)
    except LookupError:
        return ""
