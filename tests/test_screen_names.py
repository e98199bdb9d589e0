"""The names a build screens: one row per name of each person and company entity."""

from __future__ import annotations

import pandas as pd

from graphkit.ingest.core import Ingested
from graphkit.pipeline import entities_to_screen
from graphkit.resolve.exact import Resolution
from graphkit.schema import Layout


def test_screening_list_orders_names_by_key_then_name_then_aliases() -> None:
    """Entities come in key order; each gives its name then its aliases in their order;
    empty names are left out, missing alias lists give none; other labels are ignored;
    a person's dob is that of its first record (in resolution order) that has one."""
    nodes = pd.DataFrame({
        "key": ["person:p2", "company:c1", "person:p1", "acct:1", "company:c0"],
        "label": ["Person", "Company", "Person", "Account", "Company"],
        "name": ["Bo Li", "Acme Ltd", "", "acct", "Zeta"],
        "aliases": [["B. Li", "Li Bo"], None, ["Ann Kim"], [], []],
    })
    people = pd.DataFrame({"record_id": ["p1", "p1b", "p2", "p2b"],
                           "dob": ["", "1990-01-02", "1985-05-05", "1970-01-01"]})
    data = Ingested({Layout.PEOPLE: people}, pd.DataFrame())
    resolution = Resolution(pd.DataFrame({
        "record_id": ["p2b", "p1", "p2", "p1b"],
        "entity_id": ["person:p2", "person:p1", "person:p2", "person:p1"]}), pd.DataFrame())
    names = entities_to_screen(nodes, data, resolution)
    assert names.to_dict("list") == {
        "record_id": ["company:c0", "company:c1", "person:p1", "person:p2", "person:p2",
                      "person:p2"],
        "name": ["Zeta", "Acme Ltd", "Ann Kim", "Bo Li", "B. Li", "Li Bo"],
        "kind": ["company", "company", "person", "person", "person", "person"],
        "dob": ["", "", "1990-01-02", "1970-01-01", "1970-01-01", "1970-01-01"],
    }
