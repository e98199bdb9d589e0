"""Country names as the lists write them → ISO 3166 alpha-2 codes.

OFAC writes "Korea, North", the UN "Democratic People's Republic of Korea", OpenSanctions
"kp" and an applicant form "North Korea"; all of them become ``"KP"``. Common spellings
come from the address normaliser's table (:func:`graphkit.text.normalize.known_country_code`),
the rest from ISO's own names and codes (pycountry).
"""

from __future__ import annotations

from functools import cache

import pycountry

from graphkit.text.normalize import known_country_code, normalize_country


@cache
def country_code(text: str) -> str:
    """ISO alpha-2 code of a country name or code, or ``""`` when unknown.

    >>> country_code("Korea, North"), country_code("kp"), country_code("Russia")
    ('KP', 'KP', 'RU')
    """
    known = known_country_code(text or "")
    if known:
        return known.upper()
    for key in ((text or "").strip(), normalize_country(text or "")):
        if key:
            try:
                return str(pycountry.countries.lookup(key).alpha_2)
            except LookupError:
                continue
    return ""
