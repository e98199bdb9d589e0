"""The integer codes resolution compares by: the same as the plain per-record definitions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from graphkit.resolve.compare import _columns
from graphkit.resolve.prepare import prepare, value_codes


def _people(demo_dir) -> pd.DataFrame:
    return pd.read_csv(demo_dir / "people.csv", dtype=str, keep_default_na=False)


def _plain_codes(values: list[str]) -> tuple[list[int], list[str]]:
    """Code per value in order of first appearance, -1 for the empty string."""
    seen: dict[str, int] = {}
    codes = [-1 if v == "" else seen.setdefault(v, len(seen)) for v in values]
    return codes, list(seen)


def test_value_codes_number_values_by_first_appearance_and_leave_empties_out():
    values = ["b", "", "a", "b", "", "c", "a"]
    for given in (values, pd.Series(values, dtype=object), pd.Series(values, dtype="string")):
        codes, distinct = value_codes(given)
        assert codes.tolist() == [0, -1, 1, 0, -1, 2, 1]
        assert distinct.tolist() == ["b", "a", "c"]
    codes, distinct = value_codes(["", ""])
    assert codes.tolist() == [-1, -1] and distinct.tolist() == []


def test_comparison_codes_equal_the_per_record_definitions(demo_dir):
    f = prepare(_people(demo_dir)).frame
    emails, phones = f["email"].tolist(), f["phone"].tolist()
    addresses = f["address"].tolist()
    plain = {
        "email": emails,
        "email_local": [e.split("@")[0] for e in emails],
        "phone": phones,
        "phone_tail": [p[-7:] for p in phones],
        "address": addresses,
        "street": [a.split("|", 1)[0] for a in addresses],
        "place": [f"{p}|{n}" if p and n else "" for p, n in
                  zip(f["postcode"].tolist(), f["street_number"].tolist())],
        "dob": f["dob"].tolist(),
        "national_id": f["national_id"].tolist(),
    }
    columns = _columns(prepare(_people(demo_dir)))
    for name, values in plain.items():
        codes, distinct = columns[name]
        want_codes, want_distinct = _plain_codes(values)
        assert np.asarray(codes).tolist() == want_codes, name
        assert list(distinct) == want_distinct, name
    assert (columns["email_local"][0] >= 0).sum() > 0  # the demo people have e-mails
