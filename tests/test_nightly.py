"""Nightly rebuilds: stable ids, ``build --previous`` and ``graphkit diff`` (changes.csv,
changes.json, report section, summary headline), newly listed sanctions entries,
``screen --since`` and the settings check."""

from __future__ import annotations

import csv
import json
import random
import shutil
from pathlib import Path

import pandas as pd
import pytest

from graphkit.cli import main
from graphkit.ingest import ingest
from graphkit.ingest.project import native_project
from graphkit.nightly.changes import CHANGE_COLUMNS
from graphkit.nightly.ids import match_rings, ring_content_id
from graphkit.pipeline import resolve_people, run_build, write_outputs
from graphkit.schema import Layout
from graphkit.screen import HIT_COLUMNS

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
CUT_2023 = DATA / "ofac_sdn_2023-01-05_cut.csv"
CUT_2024 = DATA / "ofac_sdn_2024-05-03_cut.csv"
SHARED_OFAC = REPO.parent / "shared" / "data" / "ofac"
CHINYONG_UID = "43379"


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _append(path: Path, rows: list[dict[str, str]]) -> None:
    with open(path, newline="", encoding="utf-8") as handle:
        fields = next(csv.reader(handle))
    with open(path, "a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        for row in rows:
            writer.writerow({f: row.get(f, "") for f in fields})


def _build(data: Path, out: Path, *extra: str) -> None:
    assert main(["build", "--input", str(data), "--out", str(out), "--quiet", *extra]) == 0


@pytest.fixture(scope="module")
def first_build(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo built once through the command line (a published build folder)."""
    out = tmp_path_factory.mktemp("nightly") / "old"
    _build(demo_dir, out)
    return out


def _grow_and_add_ring(data: Path, old_rings: list[dict]) -> tuple[str, list[str]]:
    """Add one person to the top ring (sharing a member's phone, device and IP) and a
    new ring of three strangers sharing a new phone, device and IP; returns the grown
    ring's id and the new people's record ids."""
    top = old_rings[0]
    member = top["members"][0].split(":", 1)[1]
    base = next(r for r in _rows(data / "people.csv") if r["record_id"] == member)
    joiner = dict(base, record_id="P900001", first_name="Zebulon", middle_name="",
                  last_name="Quixote", full_name="", dob="1977-03-09", email="zq@example.org",
                  national_id="912-44-1234", passport="", street="1 Nowhere Lane",
                  postcode="99999")
    ring = [dict(base, record_id=f"P90001{i}", first_name=first, middle_name="",
                 last_name=last, full_name="", dob=f"198{i}-0{i + 2}-1{i}",
                 email=f"{first.lower()}@example.net", phone="+1 555 010 7788",
                 national_id=f"93{i}-55-000{i}", passport="", ip="203.0.113.77",
                 device_id="C02NEWRINGX1", street=f"{i + 10} Elm Court", city="Tulsa",
                 region="OK", postcode=f"7410{i}")
            for i, (first, last) in enumerate([("Ottilie", "Brandvold"),
                                               ("Casimir", "Thornquist"),
                                               ("Perpetua", "Walsingham")])]
    _append(data / "people.csv", [joiner, *ring])
    return top["ring_id"], [r["record_id"] for r in ring]


def test_rebuild_with_previous_finds_exactly_the_grown_and_the_new_ring(
        demo_dir: Path, first_build: Path, tmp_path: Path):
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data)
    old_rings = json.loads((first_build / "rings.json").read_text(encoding="utf-8"))
    grown_id, new_people = _grow_and_add_ring(data, old_rings)
    new = tmp_path / "new"
    _build(data, new, "--previous", str(first_build))

    changes = pd.read_csv(new / "changes.csv", dtype=str, keep_default_na=False)
    assert list(changes.columns) == list(CHANGE_COLUMNS)
    assert sorted(changes["change"]) == ["records_added", "ring_grown", "ring_new"]
    grown = changes[changes["change"] == "ring_grown"].iloc[0]
    assert grown["ring_id"] == grown_id
    assert grown["joined"] == "person:P900001" and grown["left"] == ""
    assert "shared_phone" in grown["evidence"] or "shared_device" in grown["evidence"]
    fresh = changes[changes["change"] == "ring_new"].iloc[0]
    assert fresh["joined"].split(";") == [f"person:{r}" for r in new_people]
    assert fresh["ring_id"] == ring_content_id(f"person:{r}" for r in new_people)
    added = changes[changes["change"] == "records_added"].iloc[0]
    assert (added["source"], added["count"]) == ("people", "4")
    assert added["joined"].split(";") == ["P900001", *new_people]

    # every other ring keeps its id and its members; rank stays a column
    new_rings = {r["ring_id"]: r for r in
                 json.loads((new / "rings.json").read_text(encoding="utf-8"))}
    for ring in old_rings:
        assert ring["ring_id"] in new_rings
        if ring["ring_id"] != grown_id:
            assert new_rings[ring["ring_id"]]["members"] == ring["members"]
    assert "rank" in pd.read_csv(new / "rings.csv").columns

    summary = (new / "summary.txt").read_text(encoding="utf-8")
    assert summary.startswith(f"Changes since {first_build}: rings: 1 new, 1 grown")
    report = (new / "report.html").read_text(encoding="utf-8")
    assert report.index("id='changes'") < report.index("id='triage-table'")
    payload = json.loads((new / "changes.json").read_text(encoding="utf-8"))
    assert payload["counts"]["ring_new"] == 1 and payload["counts"]["ring_grown"] == 1
    manifest = json.loads((new / "manifest.json").read_text(encoding="utf-8"))
    assert {"changes.csv", "changes.json", "sanctions.parquet"} <= {
        o["file"] for o in manifest["outputs"]}
    # provenance: the previous build, the code, the lists and every input with its hash
    old_manifest = json.loads((first_build / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["previous"] == {"folder": str(first_build),
                                    "build_id": old_manifest["build_id"]}
    assert len(manifest["code"]["source_sha256"]) == 64
    assert manifest["lists_screened"] == {"OFAC-SDN": len(pd.read_parquet(
        new / "sanctions.parquet"))}
    people = next(i for i in manifest["inputs"] if i["file"].endswith("people.csv"))
    assert people["rows"] == 4 + next(i for i in old_manifest["inputs"]
                                      if i["file"].endswith("people.csv"))["rows"]
    assert len(people["sha256"]) == 64 and people["size"] > 0
    sdn = next(i for i in manifest["inputs"] if i["role"] == "sanctions")
    assert sdn["published"] == "2024-05-03" and len(sdn["sha256"]) == 64

    # graphkit diff on the two folders finds the same changes
    out = tmp_path / "diff"
    assert main(["diff", str(first_build), str(new), "--out", str(out)]) == 0
    again = pd.read_csv(out / "changes.csv", dtype=str, keep_default_na=False)
    assert again.drop(columns="detail").equals(changes.drop(columns="detail"))


def test_a_build_compared_with_itself_has_no_changes(first_build: Path, tmp_path: Path,
                                                      capsys):
    assert main(["diff", str(first_build), str(first_build), "--out", str(tmp_path)]) == 0
    assert pd.read_csv(tmp_path / "changes.csv").empty
    assert "rings: 0 new, 0 grown" in capsys.readouterr().out


def test_previous_may_be_the_out_folder_itself(demo_dir: Path, first_build: Path,
                                               tmp_path: Path):
    out = tmp_path / "latest"
    shutil.copytree(first_build, out)
    _build(demo_dir, out, "--previous", str(out))
    assert pd.read_csv(out / "changes.csv").empty
    old = json.loads((first_build / "rings.json").read_text(encoding="utf-8"))
    new = json.loads((out / "rings.json").read_text(encoding="utf-8"))
    assert [(r["ring_id"], r["members"]) for r in new] == \
        [(r["ring_id"], r["members"]) for r in old]


def test_diff_refuses_builds_with_other_settings_and_names_them(
        demo_dir: Path, first_build: Path, tmp_path: Path, capsys):
    other = tmp_path / "other"
    _build(demo_dir, other, "--max-identifier-share", "12")
    capsys.readouterr()
    assert main(["diff", str(first_build), str(other)]) == 2
    err = capsys.readouterr().err
    assert "max_identifier_share: 20 → 12" in err and "--allow-settings-change" in err
    assert main(["diff", str(first_build), str(other), "--allow-settings-change",
                 "--out", str(tmp_path / "d")]) == 0
    payload = json.loads((tmp_path / "d" / "changes.json").read_text(encoding="utf-8"))
    assert payload["settings_changed"] == ["max_identifier_share: 20 → 12"]
    # build --previous checks the same before it starts
    assert main(["build", "--input", str(demo_dir), "--out", str(tmp_path / "x"), "--quiet",
                 "--previous", str(first_build), "--max-identifier-share", "12"]) == 2
    assert "max_identifier_share" in capsys.readouterr().err
    assert not (tmp_path / "x" / "rings.csv").exists()


def test_diff_of_a_folder_that_is_not_a_build_names_the_missing_file(tmp_path: Path,
                                                                     first_build: Path,
                                                                     capsys):
    (tmp_path / "empty").mkdir()
    assert main(["diff", str(tmp_path / "empty"), str(first_build)]) == 2
    assert "manifest.json and build.json missing" in capsys.readouterr().err


def test_entity_ids_do_not_depend_on_record_order(demo_dir: Path, tmp_path: Path):
    people = pd.read_csv(demo_dir / "people.csv", dtype=str, keep_default_na=False)
    shuffled = people.sample(frac=1.0, random_state=random.Random(5).randrange(1000))
    tmp = tmp_path / "shuffled"
    tmp.mkdir()
    shuffled.to_csv(tmp / "people.csv", index=False)

    def ids(folder: Path) -> dict[str, str]:
        project = native_project(folder)
        project.sources = [s for s in project.sources if s[1].layout == Layout.PEOPLE]
        data = ingest(project.sources)
        res = resolve_people(data.records[Layout.PEOPLE]).entities
        return dict(zip(res["record_id"], res["entity_id"]))

    before, after = ids(demo_dir), ids(tmp)
    assert before == after
    # an entity's id is its smallest record id
    groups = pd.Series(before).groupby(pd.Series(before)).groups
    assert all(eid == f"person:{min(records)}" for eid, records in groups.items())


def _ring(ring_id: str, members: list[str], ident: str = "") -> dict:
    return {"ring_id": ring_id, "members": members, "score": 50.0, "evidence": [
        {"pattern": "shared_phone", "weight": 10.0, "description": "x",
         "identifiers": [ident] if ident else [], "entities": members}]}


def test_rings_match_by_overlap_one_to_one_and_through_entity_merges():
    old = [_ring("R-a", ["p:1", "p:2", "p:3", "p:4"], "Phone:1"), _ring("R-b", ["p:8", "p:9"])]
    # R-a split in two: the larger part keeps it; R-b's members merged into one entity p:8
    new = [_ring("R-x", ["p:3", "p:4"]), _ring("R-y", ["p:1", "p:2", "p:5"], "Phone:1"),
           _ring("R-z", ["p:8", "p:7"])]
    matches = match_rings(old, new, {"p:9": "p:8"})
    assert [(m.old, m.new) for m in matches] == [(0, 1), (1, 2)]
    # two strangers do not make a ring the same ring
    assert match_rings([_ring("R-a", ["p:1", "p:2", "p:3", "p:4"])],
                       [_ring("R-q", ["p:1", "p:6", "p:7", "p:8"])]) == []


def _lists_project(data: Path, sdn: Path):
    project = native_project(data)
    project.sanctions = [(sdn, None)]
    return project


@pytest.mark.parametrize("lists", ["cut", "shared"])
def test_a_vendor_newly_designated_is_newly_listed(lists: str, demo_dir: Path,
                                                   tmp_path: Path):
    if lists == "cut":
        old_list, new_list = CUT_2023, CUT_2024
    else:
        old_list = SHARED_OFAC / "history" / "sdn_2023-01-05.csv"
        new_list = SHARED_OFAC / "sdn.csv"
        if not (old_list.exists() and new_list.exists()):
            pytest.skip("shared OFAC history not present")
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data)
    _append(data / "companies.csv", [
        {"record_id": "C9101", "name": "Chinyong Information Technology Cooperation Co.",
         "country": "CN", "city": "Shenyang"},
        {"record_id": "C9102", "name": "Korea Mining Development Trading Corp",
         "country": "KP"}])
    _append(data / "people.csv", [
        {"record_id": "P909090", "first_name": "Irina", "middle_name": "Igorevna",
         "last_name": "Huish", "dob": "1973-01-18", "country": "RU", "source": "ats"}])
    old, new = tmp_path / "old", tmp_path / "new"
    write_outputs(run_build(_lists_project(data, old_list), show_progress=False), old)
    result = run_build(_lists_project(data, new_list), show_progress=False, previous=old)
    write_outputs(result, new)

    changes = pd.read_csv(new / "changes.csv", dtype=str, keep_default_na=False)
    listed = changes[changes["change"] == "newly_listed"]
    vendor = listed[listed["entity_id"] == "company:C9101"]
    assert list(vendor["list_id"]) == [CHINYONG_UID]
    assert "DPRK2" in vendor["programs"].iloc[0] and vendor["evidence"].iloc[0]
    # nothing newly listed on an entry the old list already had
    old_entries = set(pd.read_parquet(old / "sanctions.parquet")["list_id"])
    assert not set(listed["list_id"]) & old_entries
    if lists == "cut":
        assert len(listed) == 1
    # KOMID was listed both times: no change at all; HUISH was delisted: hit cleared
    assert "company:C9102" not in set(changes["entity_id"])
    cleared = changes[(changes["change"] == "hit_cleared")
                      & (changes["entity_id"] == "person:P909090")]
    assert list(cleared["list_id"]) == ["22611"]
    assert "no longer on the list" in cleared["detail"].iloc[0]
    assert "person:P909090" in set(pd.read_csv(old / "sanctions_hits.csv")["record_id"])


def test_screen_since_reports_newly_listed_and_cleared_names(tmp_path: Path, capsys):
    names = tmp_path / "names.csv"
    names.write_text("record_id,name,kind,dob\n"
                     "v1,Chinyong Information Technology Cooperation Company,company,\n"
                     "v2,Korea Mining Development Trading Corporation,company,\n"
                     "p1,Irina Igorevna Huish,person,1973-01-18\n", encoding="utf-8")
    out = tmp_path / "since.csv"
    assert main(["screen", str(names), "--list", str(CUT_2024), "--since", str(CUT_2023),
                 "--out", str(out)]) == 0
    hits = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert sorted(zip(hits["change"], hits["record_id"], hits["list_id"])) == [
        ("cleared", "p1", "22611"), ("newly_listed", "v1", CHINYONG_UID)]
    assert "1 newly listed, 1 cleared" in capsys.readouterr().out


def _view(name: str, rings: list[dict], entities: dict[str, str], hits: list[tuple],
          entries: list[str]):
    from graphkit.nightly.view import BuildView, record_keys

    hit_rows = [{"record_id": e, "name": "n", "list": "L", "list_id": i, "lists": "L",
                 "listed_name": f"LISTED {i}", "matched_name": "m", "alias_quality": "",
                 "programs": "DPRK2", "score": 0.9, "name_score": 0.9, "evidence": "name"}
                for e, i in hits]
    return BuildView(
        name, {"seed": 7}, rings,
        pd.DataFrame({"record_id": list(entities), "entity_id": list(entities.values())}),
        pd.DataFrame(hit_rows, columns=list(HIT_COLUMNS)),
        pd.DataFrame({"list": "L", "list_id": entries, "name": entries, "kind": "person",
                      "programs": "DPRK2"}),
        record_keys(pd.Series([f"Record:people:{r}" for r in entities])))


def test_diff_names_splits_merges_dissolved_rings_entity_merges_and_list_changes():
    from graphkit.nightly.diff import diff_builds

    ents_old = {f"r{n}": f"p:{n}" for n in (1, 2, 3, 4, 8, 9, 20, 21)}
    ents_new = {**{f"r{n}": f"p:{n}" for n in (1, 2, 3, 4, 5, 7, 8, 21)}, "r9": "p:8"}
    old = _view("old", [_ring("R-a", ["p:1", "p:2", "p:3", "p:4"]),
                        _ring("R-b", ["p:8", "p:9"]), _ring("R-c", ["p:20", "p:21"])],
                ents_old, [("p:20", "1")], ["1"])
    new = _view("new", [_ring("R-a", ["p:1", "p:2", "p:5"]), _ring("R-y", ["p:3", "p:4"]),
                        _ring("R-b", ["p:7", "p:8"])],
                ents_new, [("p:5", "2"), ("p:1", "1")], ["1", "2"])
    rows = diff_builds(old, new).to_frame()
    got = {(r.change, r.ring_id, r.old_ids, r.joined, r.left, r.entity_id, r.list_id)
           for r in rows.itertuples()}
    assert got == {
        ("ring_changed", "R-a", "", "p:5", "p:3;p:4", "", ""),
        ("ring_grown", "R-b", "", "p:7", "", "", ""),
        ("ring_split", "R-y", "R-a", "p:3;p:4", "", "", ""),
        ("ring_dissolved", "R-c", "", "", "p:20;p:21", "", ""),
        ("newly_listed", "", "", "", "", "p:5", "2"),
        ("hit_new", "", "", "", "", "p:1", "1"),
        ("hit_cleared", "", "", "", "", "p:20", "1"),
        ("entity_merged", "", "p:8;p:9", "", "", "p:8", ""),
        ("records_added", "", "", "r5;r7", "", "", ""),
        ("records_removed", "", "", "", "r20", "", ""),
    }
    cleared = rows[rows["change"] == "hit_cleared"].iloc[0]
    assert cleared["detail"].endswith("no longer matches")


def test_diff_names_a_ring_merged_into_another_and_keeps_the_larger_ones_id():
    from graphkit.nightly.diff import diff_builds

    ents = {f"r{n}": f"p:{n}" for n in range(30, 35)}
    old = _view("old", [_ring("R-d", ["p:30", "p:31"]),
                        _ring("R-e", ["p:32", "p:33", "p:34"])], ents, [], [])
    new = _view("new", [_ring("R-e", [f"p:{n}" for n in range(30, 35)])], ents, [], [])
    rows = diff_builds(old, new).to_frame()
    assert sorted(zip(rows["change"], rows["ring_id"], rows["old_ids"])) == [
        ("ring_grown", "R-e", ""), ("ring_merged", "R-e", "R-d")]


def test_an_entity_whose_naming_record_left_is_renamed_and_its_ring_kept():
    from graphkit.nightly.diff import diff_builds

    old = _view("old", [_ring("R-f", ["p:1", "p:3"])], {"r1": "p:1", "r2": "p:1", "r3": "p:3"},
                [], [])
    new = _view("new", [_ring("R-f", ["p:2", "p:3"])], {"r2": "p:2", "r3": "p:3"}, [], [])
    rows = diff_builds(old, new).to_frame()
    assert sorted(zip(rows["change"], rows["entity_id"], rows["old_ids"])) == [
        ("entity_renamed", "p:2", "p:1"), ("records_removed", "", "")]


def test_changes_csv_neutralises_formula_cells_and_json_keeps_them(tmp_path: Path):
    from graphkit.nightly.diff import diff_builds

    old = _view("old", [], {"r1": "p:1"}, [], [])
    new = _view("new", [], {"r1": "p:1", "=1+2": "p:=1+2"}, [], [])
    diff_builds(old, new).write(tmp_path)
    text = (tmp_path / "changes.csv").read_text(encoding="utf-8")
    assert ",'=1+2," in text and ",=1+2," not in text
    payload = json.loads((tmp_path / "changes.json").read_text(encoding="utf-8"))
    assert payload["changes"][0]["joined"] == "=1+2"


def test_manifest_records_the_date_a_list_file_says_it_was_published():
    from graphkit.manifest import list_published

    assert list_published(DATA / "ofac_sdn_sample.xml") == "05/03/2024"
    assert list_published(DATA / "un_consolidated_sample.xml") == \
        "2024-05-02T20:00:04.207-04:00"
    assert list_published(CUT_2023) is None  # the legacy CSV states no date


def test_only_settings_that_change_findings_block_a_diff():
    from graphkit.nightly.diff import settings_differences
    from graphkit.settings import DEFAULT_SETTINGS

    old = DEFAULT_SETTINGS.to_dict()
    faster = {**old, "resolve_workers": 1, "report_rings": 10}  # how fast, what is shown
    assert settings_differences(old, faster) == []
    stricter = {**old, "merge_threshold": 0.99}
    assert settings_differences(old, stricter) == [
        f"merge_threshold: {old['merge_threshold']} → 0.99"]


#: settings that change what a build finds: a change between two builds blocks a diff
FINDING_SETTINGS = {
    "max_identifier_share", "max_ring", "nat_min_households", "merge_threshold",
    "review_threshold", "review_budget", "resolve_max_block", "resolve_window",
    "resolve_chance_partners", "screen_threshold", "programs", "seed"}


def test_every_setting_is_either_an_output_or_a_finding_setting():
    """A new setting must be placed: if it only changes how fast or what is written, it
    goes into ``OUTPUT_SETTINGS``, else here (then two builds that differ in it are not
    compared unless asked)."""
    from dataclasses import fields

    from graphkit.nightly.diff import OUTPUT_SETTINGS, settings_differences
    from graphkit.settings import DEFAULT_SETTINGS, Settings

    names = {f.name for f in fields(Settings)}
    assert names == OUTPUT_SETTINGS | FINDING_SETTINGS
    assert not OUTPUT_SETTINGS & FINDING_SETTINGS
    old = DEFAULT_SETTINGS.to_dict()
    for name in OUTPUT_SETTINGS:  # a build that does not record it is no different either
        assert settings_differences({k: v for k, v in old.items() if k != name}, old) == []


def test_a_build_made_before_the_review_budget_counts_as_uncapped():
    """A previous build whose manifest has no ``review_budget`` (made before it existed)
    queued every uncertain pair: the default budget is a change, named, not silence."""
    from graphkit.nightly.diff import settings_differences
    from graphkit.settings import DEFAULT_SETTINGS

    new = DEFAULT_SETTINGS.to_dict()
    old = {k: v for k, v in new.items() if k != "review_budget"}
    assert settings_differences(old, new) == [
        f"review_budget: None → {new['review_budget']!r}"]
    assert settings_differences(old, {**new, "review_budget": None}) == []
