"""What ``build --previous`` does outside its stages: the previous build folder stays as it
was (its state files are linked, never written), the entity pairs of two builds equal a
merge of their entity maps, record keys per layout equal a scan of the key column, and
the garbage collector is paused over stage outputs only while the stages run."""

from __future__ import annotations

import gc
import hashlib
import os
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from pandas.testing import assert_frame_equal

from graphkit.cli import main
from graphkit.nightly.ids import entity_pairs, entity_translation
from graphkit.nightly.view import record_keys
from graphkit.progress import Stages
from graphkit.world import WorldParams, generate_world

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from incremental import change_people


def _hashes(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file under ``folder``: its SHA-256 and inode."""
    return {p.relative_to(folder).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest(),
                                              p.stat().st_ino)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_previous_build_folder_is_unchanged_by_the_next_build(tmp_path):
    world = tmp_path / "world"
    generate_world(world, WorldParams(people=300, seed=21, rings=2))
    assert main(["build", "--input", str(world), "--out", str(tmp_path / "old"),
                 "--quiet"]) == 0
    before = _hashes(tmp_path / "old")
    change_people(world, 21)
    assert main(["build", "--input", str(world), "--out", str(tmp_path / "new"),
                 "--quiet", "--previous", str(tmp_path / "old")]) == 0
    assert _hashes(tmp_path / "old") == before  # every byte, every file, the same inodes
    after = _hashes(tmp_path / "new")
    # unchanged inputs' ingest cache files are the previous build's files, linked
    shared = [name for name, (_, inode) in after.items()
              if name.startswith("state/ingest/") and name in before
              and before[name][1] == inode]
    assert shared and all(os.stat(tmp_path / "new" / n).st_nlink >= 2 for n in shared)
    # and people.csv, which changed, was parsed and cached afresh
    assert any(before.get(name, ("", 0))[0] != digest
               for name, (digest, _) in after.items() if name.endswith(".records.arrow"))


def _merge_pairs(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    both = old.merge(new, on="record_id", suffixes=("_old", "_new"))
    first = both[["entity_id_old", "entity_id_new"]].drop_duplicates().reset_index(drop=True)
    counts = both.groupby(["entity_id_old", "entity_id_new"]).size()
    first["n"] = counts.reindex(pd.MultiIndex.from_frame(first)).to_numpy("int64")
    return first


@pytest.mark.parametrize("duplicated", [False, True])
def test_entity_pairs_equal_a_merge_of_the_entity_maps(duplicated):
    old = pd.DataFrame({"record_id": ["a", "b", "c", "d", "e", "f"],
                        "entity_id": ["person:a", "person:a", "person:c", "person:c",
                                      "person:e", "company:f"]})
    new = pd.DataFrame({"record_id": ["f", "e", "d", "c", "b", "x"],
                        "entity_id": ["company:f", "person:b", "person:b", "person:c",
                                      "person:b", "person:x"]})
    if duplicated:  # a person and a company record with one id: the merge path
        new = pd.concat([new, pd.DataFrame({"record_id": ["c"], "entity_id": ["company:c"]})],
                        ignore_index=True)
    pairs = entity_pairs(old, new)
    assert_frame_equal(pairs, _merge_pairs(old, new), check_dtype=False)
    assert pairs["entity_id_old"].tolist()[:2] == ["person:a", "person:c"]  # old's order
    tie = "company:c" if duplicated else "person:b"  # most records; ties: the smaller id
    assert entity_translation(old, new) == {"person:a": "person:b", "person:c": tie,
                                            "person:e": "person:b"}


@pytest.mark.parametrize("ordered", [True, False])
def test_record_keys_equal_a_scan_of_the_key_column(ordered):
    keys = ["Account:1", "Record:logins:L1", "Record:payroll:P1", "Record:payroll:P2",
            "Record:people:A", "Record:people:B", "Record:people:É", "Recordx", "Z"]
    if not ordered:
        keys = keys[::-1]
    found = record_keys(pa.array(keys))
    array = pa.array(keys)
    for layout, ids in found.items():
        prefix = f"Record:{layout}:"
        expected = pc.utf8_slice_codeunits(array.filter(pc.starts_with(array, prefix)),
                                           len(prefix))
        assert ids.to_pylist() == expected.to_pylist()
    assert sorted(found) == ["logins", "payroll", "people"]
    assert sorted(found["people"].to_pylist()) == ["A", "B", "É"]


def test_stage_outputs_are_frozen_for_the_collector_until_close():
    gc.unfreeze()
    stages = Stages(["one"], show=False)
    with stages.stage("one"):
        kept = [[i] for i in range(1000)]
    assert gc.get_freeze_count() >= len(kept)
    stages.close()
    assert gc.get_freeze_count() == 0
