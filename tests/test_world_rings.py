"""Rings on a generated world with realistic innocent sharing, households kept apart by
resolution, and the hub threshold flowing from the CLI and the project file to the rings."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

from graphkit.cli import main
from graphkit.ingest.project import native_project
from graphkit.pipeline import run_build
from graphkit.resolve.households import given_names_differ
from graphkit.world import WorldParams, generate_world

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from rings_accuracy import metrics, ring_labels


def _truth(folder: Path) -> list[dict]:
    with (folder / "truth.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> tuple[Path, object]:
    """A 2,500-person world (seed 31) with seven planted rings, and its build."""
    folder = tmp_path_factory.mktemp("world")
    generate_world(folder, WorldParams(people=2500, seed=31, rings=7, household_rate=0.5))
    return folder, run_build(native_project(folder), show_progress=False)


def test_every_planted_ring_outranks_every_innocent_group(world):
    folder, result = world
    truth = {t["record_id"]: t["ring_id"] for t in _truth(folder)
             if t["layout"] in ("people", "companies")}
    planted = {r for r in truth.values() if r}
    labels = ring_labels(result, truth)
    found = metrics(labels, planted)
    assert set(found["best"]) == planted
    assert found["AP"] == 1.0, found
    assert max(found["best"].values()) < found["first_innocent"]


def _records_by_entity(result) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for rid, entity in zip(result.people.entities["record_id"],
                           result.people.entities["entity_id"]):
        out.setdefault(entity, []).append(rid)
    return out


@pytest.mark.parametrize("which", ["demo", "world"])
def test_no_two_members_of_a_household_are_merged(which, world, demo_dir, demo_build):
    folder, result = world if which == "world" else (demo_dir, demo_build)
    truth = {t["record_id"]: t for t in _truth(folder) if t["layout"] == "people"}
    assert any(t["household_id"] for t in truth.values())
    for records in _records_by_entity(result).values():
        people = {(truth[r]["household_id"], truth[r]["person_id"]) for r in records
                  if truth[r]["household_id"]}
        assert len({p for _, p in people}) <= 1, people
    assert (result.people.pairs["decision"] == "household").any()
    assert any(k == "SAME_HOUSEHOLD" for _, _, k in result.graph.edges(keys=True))


@pytest.mark.parametrize("which", ["demo", "world"])
def test_review_band_holds_no_household_pair_with_different_given_names(which, world,
                                                                         demo_dir, demo_build):
    from graphkit.resolve.prepare import prepare

    folder, result = world if which == "world" else (demo_dir, demo_build)
    truth = {t["record_id"]: t for t in _truth(folder) if t["layout"] == "people"}
    people = result.data.records["people"]
    tokens = dict(zip(people["record_id"], prepare(people).frame["name_tokens"]))
    review = result.people.pairs[result.people.pairs["decision"] == "review"]
    for a, b in zip(review["record_id_l"], review["record_id_r"]):
        same_home = truth[a]["household_id"] and truth[a]["household_id"] == \
            truth[b]["household_id"] and truth[a]["person_id"] != truth[b]["person_id"]
        assert not (same_home and given_names_differ(tokens[a], tokens[b])), (a, b)


def _project_file(folder: Path, share: int) -> Path:
    path = folder / f"project-{share}.yml"
    lines = [f"name: share-{share}", "sources:"]
    lines += [f"  - file: {lay}.csv\n    loader: {lay}" for lay in
              ("people", "payroll", "shipments", "logins", "companies")]
    lines.append(f"max_identifier_share: {share}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_max_identifier_share_from_cli_and_project_file_changes_the_rings(tmp_path):
    from graphkit.demo import generate_demo

    data = tmp_path / "data"
    generate_demo(data, seed=5, n_people=300)
    rings = {}
    for share in (2, 20):
        out = tmp_path / f"cli-{share}"
        assert main(["build", "--input", str(data), "--out", str(out), "--quiet",
                     "--max-identifier-share", str(share)]) == 0
        rings[("cli", share)] = (out / "rings.csv").read_bytes()
        out = tmp_path / f"project-{share}"
        assert main(["build", "--config", str(_project_file(data, share)), "--out", str(out),
                     "--quiet"]) == 0
        rings[("project", share)] = (out / "rings.csv").read_bytes()
    assert rings[("cli", 2)] != rings[("cli", 20)]
    assert rings[("project", 2)] != rings[("project", 20)]
    assert rings[("cli", 20)] == rings[("project", 20)]
