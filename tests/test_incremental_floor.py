"""The floor of ``build --previous`` (``bench/incremental_floor.py``): why rings are scored
on the whole graph (calibration is global), and the bench's own counting."""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from graphkit.gcpause import gc_paused
from graphkit.rings.scoring import calibrate

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from incremental_floor import FLOOR_PARTS, floor_lines, rings_moved


def _findings(people: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"detector": ["shared_phone"] * len(people), "n_people": people,
                         "explained": [""] * len(people), "factor": [1.0] * len(people)})


def test_a_new_finding_elsewhere_moves_the_weight_of_an_untouched_one():
    """Rings cannot be rescored only where the data changed: a finding's weight is
    calibrated on every finding of its detector in the population, so a new ring
    elsewhere (or more people) changes the weight of findings nobody touched."""
    before = calibrate(_findings([3, 2]), n_people=1000)
    after = calibrate(_findings([3, 2, 2]), n_people=1000)  # a new two-person finding
    assert after["weight"].iloc[0] != before["weight"].iloc[0]
    assert after["bits"].iloc[1] < before["bits"].iloc[1]
    # 0.4% more people (a night's new records) moves the rounded bits as well
    grown = calibrate(_findings([3, 2]), n_people=1004)
    assert grown["bits"].iloc[0] != before["bits"].iloc[0]


def _rings(folder: Path, rows: list[dict]) -> Path:
    folder.mkdir()
    (folder / "rings.json").write_text(json.dumps(rows), encoding="utf-8")
    return folder


def _ring(members: list[str], rank: int, points: float, weight: float) -> dict:
    return {"members": members, "rank": rank, "points": points, "score": points * 1.4,
            "evidence": [{"pattern": "shared_phone", "weight": weight}]}


def test_rings_moved_counts_unchanged_rings_whose_points_or_rank_moved(tmp_path):
    old = _rings(tmp_path / "old", [_ring(["a", "b"], 1, 10.0, 10.0),
                                    _ring(["c", "d"], 2, 8.0, 8.0),
                                    _ring(["e", "f"], 3, 5.0, 5.0)])
    new = _rings(tmp_path / "new", [_ring(["x", "y", "z"], 1, 12.0, 12.0),  # a new ring
                                    _ring(["a", "b"], 2, 10.0, 10.0),  # rank only
                                    _ring(["c", "d"], 3, 7.5, 7.5),  # reweighed
                                    _ring(["e", "g"], 4, 5.0, 5.0)])  # other members
    moved = rings_moved(old, new)
    assert moved == {"rings_before": 3, "rings_after": 4, "same_members": 2,
                     "points_moved": 1, "score_moved": 1, "rank_moved": 2,
                     "weights_moved": 1}


def test_floor_is_the_sum_of_its_parts_as_a_share_of_the_full_build():
    parts = {name: [1.0, 0.5] for name in FLOOR_PARTS}
    parts["read graph"] = [2.0, 1.0]
    figures = {"parts": parts, "changed_inputs": ["people.csv"], "state_bytes": 2**20,
               "rings_moved": {"rings_before": 1, "rings_after": 1, "same_members": 1,
                               "points_moved": 0, "score_moved": 0, "rank_moved": 0,
                               "weights_moved": 0}}
    lines = floor_lines(figures, full_wall=20.0, full_cpu=16.0)
    floor = next(line for line in lines if line.startswith("floor ") and "(sum" in line)
    n = len(FLOOR_PARTS)
    assert floor.split()[1:5] == [f"{n:.2f}s", f"{n / 20:.3f}", f"{n * 0.5:.2f}s",
                                  f"{n * 0.5 / 16:.3f}"]
    assert any(line.startswith("read graph") and "not in the floor" in line for line in lines)
    assert "changed inputs: people.csv" in lines[-2]


def test_gc_paused_restores_the_collector_as_it_was():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():  # nested: the outer one turns it back on
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("a failing diff")
    assert gc.isenabled()
    gc.disable()
    try:  # off before: left off
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_gc_paused_inside_frozen_stages_freezes_what_it_leaves():
    """In a build whose stages froze what they left, the rows a paused step made are
    frozen too; outside one, or when the host itself froze objects, or when the step
    fails, nothing more is frozen (the collector would never free its cycles)."""
    from graphkit.progress import Stages

    assert gc.get_freeze_count() == 0
    with gc_paused():
        first = [{"members": [str(i)]} for i in range(1000)]
    assert gc.get_freeze_count() == 0
    del first
    gc.freeze()  # the host's own freeze: not a build's
    try:
        frozen = gc.get_freeze_count()
        with gc_paused():
            cycle = [[]]
            cycle[0].append(cycle)
        assert gc.get_freeze_count() == frozen
        del cycle
    finally:
        gc.unfreeze()
    stages = Stages(["one"])
    try:
        with stages.stage("one"):
            pass
        frozen = gc.get_freeze_count()
        assert frozen > 0
        with gc_paused():
            rows = [{"members": [str(i)]} for i in range(1000)]
        assert gc.get_freeze_count() >= frozen + len(rows)
        assert gc.isenabled()
        frozen = gc.get_freeze_count()
        with pytest.raises(RuntimeError), gc_paused():
            more = [{"members": [str(i)]} for i in range(1000)]
            raise RuntimeError("fails")
        assert gc.get_freeze_count() == frozen and len(more) == 1000
        assert gc.isenabled()
    finally:
        stages.close()
    assert gc.get_freeze_count() == 0
