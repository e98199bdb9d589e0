"""Incremental builds (``build --previous``) equal full rebuilds on the same inputs:
entity by entity, pair by pair (merge evidence), hit by hit and ring by ring, on
generated worlds of several seeds with new, edited and removed records."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from graphkit.cli import main
from graphkit.incremental import STATE_DIR, read_state
from graphkit.ingest.project import native_project
from graphkit.pipeline import BUILD_JSON, entities_to_screen, run_build, write_outputs
from graphkit.screen import screen
from graphkit.world import WorldParams, generate_world

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from incremental import change_people


def _build(folder: Path, out: Path, previous: Path | None = None, reuse: bool = True):
    result = run_build(native_project(folder), show_progress=False, previous=previous,
                       reuse=reuse)
    write_outputs(result, out)
    return result


def assert_same_build(full, incremental) -> None:
    """Entities, merge evidence, hits, graph and rings of two builds are equal."""
    for part in ("people", "companies"):
        assert_frame_equal(getattr(full, part).entities, getattr(incremental, part).entities)
        assert_frame_equal(getattr(full, part).pairs, getattr(incremental, part).pairs)
    assert_frame_equal(full.hits, incremental.hits)
    assert_frame_equal(full.tables.nodes, incremental.tables.nodes)
    assert_frame_equal(full.tables.relationships, incremental.tables.relationships)
    assert_frame_equal(full.clusters.clusters, incremental.clusters.clusters)
    assert_frame_equal(full.rings.to_pandas(), incremental.rings.to_pandas())
    assert full.rings.to_json() == incremental.rings.to_json()


@pytest.mark.parametrize("seed", [3, 11, 29])
def test_incremental_build_equals_full_rebuild(tmp_path, seed):
    world = tmp_path / "world"
    generate_world(world, WorldParams(people=500, seed=seed, rings=3))
    _build(world, tmp_path / "old")
    changed = change_people(world, seed)
    # like for like: the full rebuild also carries ring ids over from the old build
    full = _build(world, tmp_path / "full", previous=tmp_path / "old", reuse=False)
    incremental = _build(world, tmp_path / "new", previous=tmp_path / "old")
    assert_same_build(full, incremental)
    # and the full build's hits are those of screening every name, as before state/
    names = entities_to_screen(full.tables.nodes, full.data, full.people)
    assert_frame_equal(full.hits, screen(names, full.sanctions,
                                         threshold=full.project.settings.screen_threshold))
    # the changes touched resolution: some entities differ from the old build's
    people = incremental.incremental["resolve"]
    assert people["records"] == len(full.people.entities)
    unchanged = people["records"] - changed["added"] - changed["edited"]
    assert people["records_reused"] == unchanged
    assert 0 < people["pairs_compared"] < people["pairs_reused"]
    names = incremental.incremental["screen"]
    assert 0 < names["names_screened"] < names["names_reused"]
    # and were reported
    record = json.loads((tmp_path / "new" / BUILD_JSON).read_text(encoding="utf-8"))
    assert record["incremental"]["resolve"] == people
    summary = (tmp_path / "new" / "summary.txt").read_text(encoding="utf-8")
    assert f"{people['pairs_compared']:,} compared" in summary
    assert full.incremental["resolve"]["pairs_reused"] == 0


def test_incremental_builds_chain_night_after_night(tmp_path):
    """The state an incremental build writes serves the next one as well as a full
    build's does."""
    world = tmp_path / "world"
    generate_world(world, WorldParams(people=400, seed=17, rings=2))
    _build(world, tmp_path / "night0")
    for night in (1, 2):
        change_people(world, 100 + night, tag=f"N{night}")
        result = _build(world, tmp_path / f"night{night}", previous=tmp_path / f"night{night - 1}")
        assert result.incremental["resolve"]["pairs_reused"] > 0
    assert_same_build(run_build(native_project(world), show_progress=False,
                                previous=tmp_path / "night1", reuse=False), result)


def test_changed_list_screens_every_name_again(tmp_path):
    world = tmp_path / "world"
    generate_world(world, WorldParams(people=400, seed=5, rings=2))
    _build(world, tmp_path / "old")
    project = native_project(world)
    project.settings = project.settings.with_overrides(screen_threshold=0.6)
    result = run_build(project, show_progress=False, previous=tmp_path / "old")
    full = run_build(project, show_progress=False)
    assert_same_build(full, result)
    names = result.incremental["screen"]
    assert names["names_reused"] == 0 and names["names_screened"] == names["distinct_names"]
    assert any("lists or threshold changed" in note for note in result.notes)
    assert result.incremental["resolve"]["pairs_compared"] == 0


def test_previous_without_state_builds_afresh_and_says_so(tmp_path):
    world = tmp_path / "world"
    generate_world(world, WorldParams(people=250, seed=9, rings=1))
    _build(world, tmp_path / "old")
    shutil.rmtree(tmp_path / "old" / STATE_DIR)
    result = run_build(native_project(world), show_progress=False,
                       previous=tmp_path / "old")
    note = next(n for n in result.notes if n.startswith("--previous not used"))
    assert str(tmp_path / "old") in note and "state.json" in note
    assert result.incremental["resolve"]["pairs_reused"] == 0


def test_broken_state_names_the_file(tmp_path):
    world = tmp_path / "world"
    generate_world(world, WorldParams(people=250, seed=9, rings=1))
    _build(world, tmp_path / "old")
    pd.DataFrame({"record_id": ["x"]}).to_parquet(tmp_path / "old" / STATE_DIR /
                                                  "people.parquet")
    with pytest.raises(ValueError, match=r"people\.parquet: lacks column\(s\) fingerprint"):
        read_state(tmp_path / "old")


def test_cli_build_previous(tmp_path, capsys):
    world = tmp_path / "world"
    generate_world(world, WorldParams(people=250, seed=13, rings=1))
    assert main(["build", "--input", str(world), "--out", str(tmp_path / "b1"),
                 "--quiet"]) == 0
    change_people(world, 13)
    # --previous may name the --out folder itself: it is read before being replaced
    assert main(["build", "--input", str(world), "--out", str(tmp_path / "b1"), "--quiet",
                 "--previous", str(tmp_path / "b1")]) == 0
    summary = (tmp_path / "b1" / "summary.txt").read_text(encoding="utf-8")
    assert "incremental resolve:" in summary and "incremental screen:" in summary
    manifest = json.loads((tmp_path / "b1" / "manifest.json").read_text(encoding="utf-8"))
    assert "state/pairs.parquet" in {o["file"] for o in manifest["outputs"]}
