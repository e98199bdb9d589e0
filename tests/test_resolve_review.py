"""The review budget: the uncertain pairs are ranked, the top ``budget × records / 1000``
are queued for review and the rest kept apart as ``over_budget`` (never merged, still
listed), in ``resolve()``, in a build's outputs, and the same in ``build --previous``.

The generated worlds resolve very surely (their band at the default thresholds is
empty), so the tests widen the band with the thresholds: merge only at a probability of
0.999999 and review from 0 (nine uncertain pairs in the 500-person world of seed 3), and
give a budget of 5 per 1,000 records (three pairs for its 554 records)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import graphkit
from graphkit.cli import main
from graphkit.ingest import ingest
from graphkit.ingest.project import load_project, native_project
from graphkit.issues import InputError, IssueLog
from graphkit.pipeline import BUILD_JSON, run_build, write_outputs
from graphkit.resolve.review import (
    OVER_BUDGET,
    REVIEW,
    REVIEW_COLUMNS,
    REVIEW_FILE,
    REVIEW_PARQUET,
    review_capacity,
    review_rank,
)
from graphkit.schema import Layout, Rel
from graphkit.settings import DEFAULT_SETTINGS
from graphkit.world import WorldParams, generate_world

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from incremental import change_people

#: thresholds that widen the band of the generated worlds (see the module docstring)
WIDE = {"merge_threshold": 0.999999, "review_threshold": 0.0}
#: and a budget it exceeds
BUDGET = 5.0


def _world(folder: Path) -> Path:
    generate_world(folder, WorldParams(people=500, seed=3, rings=3))
    return folder


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _world(tmp_path_factory.mktemp("world"))


def _people(folder: Path) -> pd.DataFrame:
    return ingest(native_project(folder).sources, IssueLog()).records[Layout.PEOPLE]


def test_capacity_is_the_budget_per_thousand_records_rounded_up():
    assert review_capacity(None, 10_000) is None
    assert review_capacity(0, 10_000) is None
    assert review_capacity(1.0, 3_254) == 4
    assert review_capacity(0.5, 2_000) == 1
    assert review_capacity(0.3, 10_000) == 3  # not 4 from 0.3 * 10 = 3.0000000000000004
    for bad in (-1, float("nan"), "1"):
        with pytest.raises(ValueError, match="review_budget"):
            review_capacity(bad, 1000)


def test_rank_puts_refused_merges_first_then_probability_then_record_ids():
    prob = np.array([0.7, 0.9, 0.7, 0.96, 0.7, 0.5])
    refused = prob >= 0.95
    first = np.array(["P3", "P1", "P2", "P9", "P2", "P0"])
    second = np.array(["P4", "P5", "P8", "P9", "P7", "P1"])
    order = review_rank(prob, refused, first, second)
    assert order.tolist() == [3, 1, 4, 2, 0, 5]


def test_the_queue_is_the_top_of_the_ranking_and_the_rest_is_kept_apart(world):
    people = _people(world)
    wide = {"merge": WIDE["merge_threshold"], "review": WIDE["review_threshold"]}
    free = graphkit.resolve(people, review_budget=None, **wide)
    capped = graphkit.resolve(people, review_budget=BUDGET, **wide)
    band = free.review.pairs
    capacity = review_capacity(BUDGET, len(people))
    assert len(band) > capacity + 2, "the band must exceed the budget for this test"
    # without a cap every uncertain pair is queued, in rank order: probability falls
    assert (band["decision"] == REVIEW).all()
    assert (np.diff(band["score"].to_numpy(float)) <= 0).all()
    # with it, the queue is exactly the top of that ranking, the rest over the budget
    queue = capped.review.pairs
    assert list(queue.columns) == list(REVIEW_COLUMNS)
    assert_frame_equal(queue.drop(columns="decision"), band.drop(columns="decision"))
    assert queue["decision"].tolist() == [REVIEW] * capacity + \
        [OVER_BUDGET] * (len(band) - capacity)
    assert capped.review.queued == capacity
    assert capped.review.over_budget == len(band) - capacity
    assert capped.review.line().startswith(f"{len(band) - capacity:,} further uncertain pairs")
    # nothing over the budget is merged: the entities are those of the uncapped run
    assert_frame_equal(capped.entities, free.entities)
    # and the pairs table differs only in the decision of the pairs over the budget
    over = capped.pairs["decision"] == OVER_BUDGET
    assert over.sum() == len(band) - capacity
    assert (free.pairs.loc[over, "decision"] == REVIEW).all()
    assert_frame_equal(capped.pairs.drop(columns="decision"), free.pairs.drop(columns="decision"))
    assert capped.pairs.loc[~over, "decision"].equals(free.pairs.loc[~over, "decision"])
    over_pairs = set(zip(queue.record_id_l[queue.decision == OVER_BUDGET],
                         queue.record_id_r[queue.decision == OVER_BUDGET]))
    assert over_pairs == set(zip(capped.pairs.record_id_l[over], capped.pairs.record_id_r[over]))


def test_no_budget_or_zero_keeps_every_uncertain_pair_for_review(world):
    people = _people(world)
    wide = {"merge": WIDE["merge_threshold"], "review": WIDE["review_threshold"]}
    none = graphkit.resolve(people, review_budget=None, **wide)
    zero = graphkit.resolve(people, review_budget=0, **wide)
    assert_frame_equal(none.pairs, zero.pairs)
    assert set(none.pairs["decision"]) <= {"merge", REVIEW, "household"}
    assert none.review.capacity is None and none.review.over_budget == 0
    # at the default thresholds this set's band is far below the default budget
    default = graphkit.resolve(people)
    assert_frame_equal(default.pairs, graphkit.resolve(people, review_budget=None).pairs)


def _wide_project(folder: Path, budget: float | None):
    project = native_project(folder)
    project.settings = project.settings.with_overrides(**WIDE, review_budget=budget)
    return project


def test_a_build_counts_lists_and_names_the_pairs_over_the_budget(world, tmp_path):
    result = run_build(_wide_project(world, BUDGET), show_progress=False)
    out = tmp_path / "out"
    write_outputs(result, out)
    queue = result.people.review
    assert queue.over_budget > 0 and queue.queued == queue.capacity
    record = json.loads((out / BUILD_JSON).read_text(encoding="utf-8"))
    assert record["people_review_pairs"] == queue.queued
    assert record["people_over_budget_pairs"] == queue.over_budget
    assert record["settings"]["review_budget"] == BUDGET
    summary = (out / "summary.txt").read_text(encoding="utf-8")
    assert f"{queue.queued:,} for review)" in summary
    assert f"Review budget: {queue.over_budget:,} further uncertain pairs over the review " \
        f"budget ({BUDGET:g} per 1,000 records: {queue.capacity:,} queued), kept apart; see " \
        f"{REVIEW_FILE}" in summary
    written = pd.read_csv(out / REVIEW_FILE, dtype=str, keep_default_na=False)
    assert list(written.columns) == list(REVIEW_COLUMNS)
    assert written["rank"].astype(int).tolist() == list(range(1, len(written) + 1))
    assert written["decision"].value_counts().to_dict() == {
        REVIEW: queue.queued, OVER_BUDGET: queue.over_budget}
    report = (out / "report.html").read_text(encoding="utf-8")
    assert f"{queue.over_budget:,} further uncertain pairs over the review budget" in report
    # the analyst API reads the same pairs with exact values (review_pairs.parquet) …
    exact = queue.pairs.astype({"record_id_l": str, "record_id_r": str}).reset_index(drop=True)
    assert_frame_equal(graphkit.open(out).review_pairs, exact, check_dtype=False)
    # … and, for builds made before that file, the people's CSV
    (out / REVIEW_PARQUET).unlink()
    from_csv = graphkit.open(out).review_pairs
    assert from_csv[["rank", "decision", "record_id_l", "record_id_r"]].equals(
        exact[["rank", "decision", "record_id_l", "record_id_r"]].astype({"rank": int}))
    assert np.allclose(from_csv["score"], exact["score"].astype(float))
    # only the queued pairs are drawn as POSSIBLY_SAME_AS between their entities
    entity = result.people.entity_of()
    nodes = result.tables.nodes.set_index("node_id")["key"]
    rels = result.tables.relationships
    drawn = rels[rels["type"] == Rel.POSSIBLY_SAME_AS.value]
    drawn = {frozenset((nodes[a], nodes[b])) for a, b in zip(drawn.start_id, drawn.end_id)}
    band = queue.pairs
    wanted = {frozenset((entity[a], entity[b])) for a, b, d in
              zip(band.record_id_l, band.record_id_r, band.decision)
              if d == REVIEW and entity[a] != entity[b]}
    assert drawn == wanted


def test_the_default_budget_leaves_the_demo_build_as_it_was(demo_build, tmp_path):
    assert demo_build.project.settings.review_budget == DEFAULT_SETTINGS.review_budget
    assert demo_build.people.review.over_budget == 0
    write_outputs(demo_build, tmp_path)
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "over the review budget" not in report
    assert "Review budget" not in (tmp_path / "summary.txt").read_text(encoding="utf-8")
    assert len(pd.read_csv(tmp_path / REVIEW_FILE)) == demo_build.people.review.queued


def test_build_previous_cuts_the_budget_over_all_pairs_as_a_full_build(tmp_path):
    world = _world(tmp_path / "world")

    def build(out: str, previous: Path | None = None, reuse: bool = True):
        result = run_build(_wide_project(world, BUDGET), show_progress=False,
                           previous=previous, reuse=reuse)
        write_outputs(result, tmp_path / out)
        return result

    build("old")
    change_people(world, 3)
    full = build("full", previous=tmp_path / "old", reuse=False)
    incremental = build("new", previous=tmp_path / "old")
    assert incremental.incremental["resolve"]["pairs_reused"] > 0
    assert full.people.review.over_budget > 0  # the budget binds
    assert_frame_equal(full.people.pairs, incremental.people.pairs)
    assert_frame_equal(full.people.review.pairs, incremental.people.review.pairs)
    assert_frame_equal(full.people.entities, incremental.people.entities)
    assert_frame_equal(full.tables.relationships, incremental.tables.relationships)
    for name in (REVIEW_FILE, BUILD_JSON):
        assert (tmp_path / "full" / name).is_file()
    assert (tmp_path / "full" / REVIEW_FILE).read_bytes() == \
        (tmp_path / "new" / REVIEW_FILE).read_bytes()


def test_cli_takes_the_budget_and_refuses_a_negative_one(world, tmp_path, capsys):
    out, pairs = tmp_path / "entities.csv", tmp_path / "pairs.csv"
    assert main(["resolve", str(world / "people.csv"), "--out", str(out), "--pairs",
                 str(pairs), "--merge", "0.999999", "--review", "0", "--review-budget",
                 f"{BUDGET:g}", "--quiet"]) == 0
    printed = capsys.readouterr().out
    decisions = pd.read_csv(pairs)["decision"].value_counts()
    assert decisions[OVER_BUDGET] > 0
    assert f"{decisions[OVER_BUDGET]:,} over the review budget, kept apart" in printed
    with pytest.raises(SystemExit):
        main(["build", "--input", str(world), "--out", str(tmp_path / "b"),
              "--review-budget", "-1"])
    assert "expected a number of 0 or more" in capsys.readouterr().err


def test_a_project_file_sets_the_budget_and_a_negative_one_is_named(world, tmp_path):
    lines = ["name: budget", "sources:"] + [
        f"  - file: {world / layout}.csv\n    loader: {layout}" for layout in
        ("people", "payroll", "shipments", "logins", "companies")]
    path = tmp_path / "project.yml"
    path.write_text("\n".join([*lines, "allow_outside_paths: true", "review_budget: 0.5"])
                    + "\n", encoding="utf-8")
    assert load_project(path).settings.review_budget == 0.5
    path.write_text("\n".join([*lines, "review_budget: -1"]) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"project.yml: 'review_budget': expected a number "
                                         r"of 0 or more, got the number -1"):
        load_project(path)


def test_a_project_file_sets_the_optional_switches(world, tmp_path):
    """``graphml``, ``graph_json`` and ``keep_record_fields`` (true, false or left out)
    are switches in a project file, not lists."""
    lines = ["name: switches", "allow_outside_paths: true", "sources:"] + [
        f"  - file: {world / layout}.csv\n    loader: {layout}" for layout in
        ("people", "payroll", "shipments", "logins", "companies")]
    path = tmp_path / "project.yml"
    path.write_text("\n".join([*lines, "graphml: true", "graph_json: false",
                               "keep_record_fields: true"]) + "\n", encoding="utf-8")
    settings = load_project(path).settings
    assert (settings.graphml, settings.graph_json, settings.keep_record_fields) == \
        (True, False, True)
    path.write_text("\n".join([*lines, "graphml: [a]"]) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"project.yml: 'graphml': expected true or false"):
        load_project(path)
