"""The second half of ``build --previous``: graph tables, clusters, rings, the diff and the
files written equal a full rebuild's when a night's changes touch a ring, create one,
dissolve one and push an identifier past ``max_identifier_share``; the diff written by
the build equals ``graphkit diff`` of the two folders, with or without the exact entity
map (``entities.parquet``) a build now keeps."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from graphkit.cli import main
from graphkit.nightly.diff import diff_builds
from graphkit.nightly.view import ENTITIES_PARQUET, BuildView, entity_map
from graphkit.world import WorldParams, generate_world

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_incremental import _build, assert_same_build

#: The outputs that must be byte-equal between an incremental build and a full rebuild.
SAME_FILES = ("entities.csv", "sanctions_hits.csv", "clusters.csv", "rings.csv", "rings.json",
              "changes.csv", "report.html")
#: Names of the people who share ring C's phone: unlike each other, so that resolution
#: keeps them apart (``Name1 Family1`` and ``Name11 Family11`` with one phone are one person).
HUB_FIRST = ("Abel", "Brigid", "Cosmo", "Delphine", "Ezra", "Fenna", "Gideon", "Hester",
             "Ignatius", "Juno", "Kasimir")
HUB_LAST = ("Ashworth", "Bramley", "Castellanos", "Drummond")
CONTACT = ("email", "phone", "device_id", "ip", "street", "postcode", "national_id",
           "passport")


def _person_rows(people: pd.DataFrame, result, entity: str) -> pd.Index:
    records = result.people.entities.loc[result.people.entities["entity_id"] == entity,
                                         "record_id"]
    return people.index[people["record_id"].isin(set(records))]


def _night(world: Path, old) -> dict[str, str]:
    """Edit ``people.csv``: a new record joins ring A, three strangers form a new ring,
    ring B loses a member (its records removed), and one of ring C's phones is given to
    enough new records to make it a hub. Returns the ring ids touched."""
    path = world / "people.csv"
    people = pd.read_csv(path, dtype=str, keep_default_na=False)
    rings = [r for r in old.rings.to_json()
             if all(m.startswith("person:") for m in r["members"]) and len(r["members"]) >= 2]
    ring_a, ring_c, ring_b = rings[:3]
    template = people.loc[_person_rows(people, old, ring_a["members"][0])[0]].copy()
    joiner = template.copy()
    joiner[["record_id", "first_name", "last_name", "full_name", "dob", "national_id",
            "passport"]] = ["TOUCH0001", "Quentin", "Marlowe", "", "1979-03-14", "", ""]
    new = [joiner]
    for i, (first, last) in enumerate((("Ada", "Ferrant"), ("Bo", "Lindqvist"),
                                       ("Cyd", "Okafor"))):
        stranger = template.copy()
        stranger[list(CONTACT)] = ["ring.new@example.org", "+1 555 010 0199", "DEV-NEWRING",
                                   "203.0.113.77", f"{10 + i} New Street", f"9{i}001", "",
                                   ""]
        stranger[["record_id", "first_name", "last_name", "full_name", "dob"]] = [
            f"NEWRING{i}", first, last, "", f"198{i}-05-0{i + 1}"]
        new.append(stranger)
    gone = _person_rows(people, old, ring_b["members"][0])  # ring B loses a member
    phone = people.loc[_person_rows(people, old, ring_c["members"][0])[0], "phone"]
    for i in range(old.project.settings.max_identifier_share + 1):
        sharer = template.copy()
        sharer[list(CONTACT)] = [f"hub{i}@example.com", phone, f"DEV-HUB-{i}",
                                 f"192.0.2.{i + 1}", f"{i} Hub Road", f"7{i:04d}", "", ""]
        sharer[["record_id", "first_name", "last_name", "full_name", "dob"]] = [
            f"HUBSHARE{i:02d}", HUB_FIRST[i % len(HUB_FIRST)],
            HUB_LAST[i // len(HUB_FIRST)], "", f"1960-01-{i % 28 + 1:02d}"]
        new.append(sharer)
    people = pd.concat([people.drop(index=gone), pd.DataFrame(new)], ignore_index=True)
    people.to_csv(path, index=False)
    return {"a": ring_a["ring_id"], "b": ring_b["ring_id"], "c": ring_c["ring_id"]}


@pytest.mark.parametrize("seed", [4, 21])
def test_ring_changes_equal_full_rebuild(tmp_path, seed):
    world = tmp_path / "world"
    generate_world(world, WorldParams(people=450, seed=seed, rings=4))
    old = _build(world, tmp_path / "old")
    touched = _night(world, old)
    full = _build(world, tmp_path / "full", previous=tmp_path / "old", reuse=False)
    incremental = _build(world, tmp_path / "new", previous=tmp_path / "old")
    assert_same_build(full, incremental)
    for name in SAME_FILES:
        a = (tmp_path / "full" / name).read_bytes()
        assert a == (tmp_path / "new" / name).read_bytes(), name
    for name in ("nodes.parquet", "relationships.parquet", ENTITIES_PARQUET):
        assert_frame_equal(pd.read_parquet(tmp_path / "full" / name),
                           pd.read_parquet(tmp_path / "new" / name))
    changes = pd.read_csv(tmp_path / "new" / "changes.csv", dtype=str, keep_default_na=False)
    kinds = set(changes["change"])
    assert "ring_new" in kinds  # the three strangers
    assert touched["a"] in set(changes.loc[changes["change"].isin(
        ["ring_grown", "ring_changed", "ring_merged"]), "ring_id"])
    gone = changes[changes["change"].isin(["ring_dissolved", "ring_shrunk", "ring_changed",
                                           "ring_merged"])]
    assert touched["b"] in set(gone["ring_id"]) | {i for ids in gone["old_ids"]
                                                   for i in ids.split(";")}
    hubs_before = set(old.clusters.hubs["identifier"])
    hubs_after = set(incremental.clusters.hubs["identifier"])
    assert hubs_after - hubs_before  # ring C's phone is now a hub, set aside
    # the diff the build wrote is `graphkit diff` of the two folders
    again = diff_builds(tmp_path / "old", tmp_path / "new")
    assert_frame_equal(again.to_frame().astype(str), changes.astype(str), check_dtype=False)


def test_entity_map_from_parquet_equals_relationships(tmp_path):
    """The exact entity map a build keeps is the one read from its relationships, row for
    row; a diff gives the same changes with it or without it (older builds)."""
    world = tmp_path / "world"
    generate_world(world, WorldParams(people=300, seed=8, rings=2))
    old = _build(world, tmp_path / "old")
    _night(world, old)
    _build(world, tmp_path / "new")
    with_file = entity_map(tmp_path / "old")
    exact = pd.read_parquet(tmp_path / "old" / ENTITIES_PARQUET)
    (tmp_path / "old" / ENTITIES_PARQUET).unlink()
    assert_frame_equal(with_file, entity_map(tmp_path / "old"))
    assert_frame_equal(exact.astype(str), with_file)
    without = diff_builds(tmp_path / "old", tmp_path / "new").to_frame()
    view = BuildView.from_folder(tmp_path / "old")
    view.entities = exact.astype(str)
    assert_frame_equal(diff_builds(view, tmp_path / "new").to_frame(), without)


def test_cli_diff_matches_build_previous(tmp_path, capsys):
    """``graphkit diff OLD NEW`` writes the changes ``build --previous`` wrote."""
    world = tmp_path / "world"
    generate_world(world, WorldParams(people=300, seed=12, rings=2))
    old = _build(world, tmp_path / "old")
    _night(world, old)
    assert main(["build", "--input", str(world), "--out", str(tmp_path / "new"), "--quiet",
                 "--previous", str(tmp_path / "old")]) == 0
    assert main(["diff", str(tmp_path / "old"), str(tmp_path / "new"), "--out",
                 str(tmp_path / "diff")]) == 0
    assert (tmp_path / "diff" / "changes.csv").read_bytes() == \
        (tmp_path / "new" / "changes.csv").read_bytes()
