"""Clusters and rings of ``build --previous`` equal a full build's when a night's change
touches a ring, creates one, dissolves one, pushes an identifier past
``max_identifier_share`` (a hub now) and changes the population (the calibration's
``n_people``): cluster by cluster, ring by ring, evidence weight by evidence weight."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from pandas.testing import assert_frame_equal

from graphkit.ingest.project import native_project
from graphkit.pipeline import run_build, write_outputs
from graphkit.rings import sharing_table
from graphkit.rings.population import build_population
from graphkit.settings import DEFAULT_SETTINGS
from graphkit.world import WorldParams, generate_world

#: the shared phone of the group that becomes a hub
HUB_PHONE = "+1 555 010 2020"
HUB_KEY = "Phone:+15550102020"
FIRST = ("Hana", "Gil", "Nia", "Omar", "Lena", "Tariq", "Ines", "Bruno", "Keiko", "Dmitri",
         "Amara", "Felix", "Rosa", "Yusuf", "Greta", "Pavel", "Zara", "Miles", "Noor", "Ivo",
         "Selma", "Jonas")
LAST = ("Stone", "Moor", "Rowe", "Vance", "Ortiz", "Haddad", "Lund", "Quinn", "Sato",
        "Novak", "Mensah", "Brandt", "Cruz", "Demir", "Falk", "Horvat", "Ali", "Reyes",
        "Kaur", "Petrov", "Weiss", "Obi")


def _add_people(folder: Path, rows: list[dict]) -> None:
    """Append person records (unset columns empty) to ``people.csv``."""
    path = folder / "people.csv"
    people = pd.read_csv(path, dtype=str, keep_default_na=False)
    people = pd.concat([people, pd.DataFrame(rows, columns=people.columns, dtype=str).fillna("")],
                       ignore_index=True)
    people.to_csv(path, index=False)


def _person(record_id: str, number: int, street: str, year: int, **fields: str) -> dict:
    """A person record: ``number`` picks the name, ``year`` the date of birth."""
    return {"record_id": record_id, "role": "contractor", "first_name": FIRST[number % 22],
            "last_name": LAST[(number * 7 + 3) % 22], "dob": f"{year}-03-1{number % 10}",
            "street": street,
            "city": "Dayton", "region": "OH", "postcode": "45402", "country": "US",
            "email": f"{record_id.lower()}@example.org", "source": "hris", **fields}


def _planted_member(folder: Path) -> tuple[str, str]:
    """A planted ring member's person record id and phone."""
    truth = pd.read_csv(folder / "truth.csv", dtype=str, keep_default_na=False)
    people = pd.read_csv(folder / "people.csv", dtype=str, keep_default_na=False)
    planted = truth[(truth["ring_id"] != "") & (truth["layout"] == "people")]
    rows = people[people["record_id"].isin(planted["record_id"]) & (people["phone"] != "")]
    return rows["record_id"].iloc[0], rows["phone"].iloc[0]


def _build(world: Path, out: Path, previous: Path | None = None, reuse: bool = True):
    result = run_build(native_project(world), show_progress=False, previous=previous,
                       reuse=reuse)
    write_outputs(result, out)
    return result


def _members(result) -> list[set[str]]:
    return [set(r.members) for r in result.rings]


def _n_people(result) -> int:
    sharing = sharing_table(result.tables)
    return build_population(sharing, DEFAULT_SETTINGS.max_identifier_share).n_people


def test_rings_of_an_incremental_build_equal_a_full_build(tmp_path):
    world = tmp_path / "world"
    generate_world(world, WorldParams(people=400, seed=23, rings=3))
    member, phone = _planted_member(world)
    # the previous night: a group of 20 on one phone (a ring, not yet a hub) and a
    # group of three on one email (a ring that the next night dissolves)
    _add_people(world, [_person(f"HUB{i:03d}", i, f"{i} Elm St", 1960 + i,
                                phone=HUB_PHONE) for i in range(20)])
    _add_people(world, [_person(f"GONE{i}", i + 1, f"{i} Oak Rd", 1990 + i,
                                email="crew.mail@example.net") for i in range(3)])
    old = _build(world, tmp_path / "old")
    assert {f"person:GONE{i}" for i in range(3)} in _members(old)
    assert not any(h == HUB_KEY for h in old.rings.hubs)
    # the night: a 21st person on the hub phone, the three emails made distinct, a new
    # person on a planted ring member's phone, and a new ring of three on one device
    people = pd.read_csv(world / "people.csv", dtype=str, keep_default_na=False)
    gone = people["record_id"].str.startswith("GONE")
    people.loc[gone, "email"] = people.loc[gone, "record_id"].str.lower() + "@example.net"
    people.to_csv(world / "people.csv", index=False)
    _add_people(world, [_person("HUB020", 20, "20 Elm St", 1980, phone=HUB_PHONE),
                        _person("JOIN1", 21, "5 Pine Ct", 1999, phone=phone),
                        *[_person(f"NEWR{i}", i + 5, f"{i} Ash Ln", 1995 + i,
                                  device_id="DEV-RING-NEW", phone=f"+1 555 020 300{i}")
                          for i in range(3)]])
    full = _build(world, tmp_path / "full", previous=tmp_path / "old", reuse=False)
    incremental = _build(world, tmp_path / "new", previous=tmp_path / "old")

    assert_frame_equal(full.clusters.clusters, incremental.clusters.clusters)
    assert_frame_equal(full.clusters.hubs, incremental.clusters.hubs)
    assert_frame_equal(full.rings.to_pandas(), incremental.rings.to_pandas())
    assert full.rings.to_json() == incremental.rings.to_json()
    assert full.rings.hubs == incremental.rings.hubs
    for name in ("clusters.csv", "rings.csv", "rings.json"):
        assert (tmp_path / "full" / name).read_bytes() == (tmp_path / "new" / name).read_bytes()

    # and the night did what it was meant to: each case is in the new rings
    rings = _members(incremental)
    touched = next(r for r in rings if f"person:{member}" in r)
    assert "person:JOIN1" in touched                                  # a ring grew
    assert {f"person:NEWR{i}" for i in range(3)} in rings             # a ring was made
    assert not any({f"person:GONE{i}" for i in range(3)} <= r for r in rings)  # dissolved
    assert incremental.rings.hubs[HUB_KEY] == 21         # now a hub
    assert not any("person:HUB000" in r and "person:HUB001" in r for r in rings)
    assert _n_people(incremental) == _n_people(old) + 5               # calibration moved
