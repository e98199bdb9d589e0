"""Probabilistic resolution: accuracy on the demo, relatives and namesakes kept apart,
chaining guard, evidence, the CLI."""

from __future__ import annotations

import csv
import itertools

import numpy as np
import pandas as pd

import graphkit
from graphkit.cli import main
from graphkit.resolve.cluster import cluster_pairs
from graphkit.resolve.prepare import prepare
from graphkit.schema import NATIVE_COLUMNS, Layout


def _people(demo_dir) -> pd.DataFrame:
    return pd.read_csv(demo_dir / "people.csv", dtype=str, keep_default_na=False)


def _pairs(groups: dict[str, list[str]]) -> set[tuple[str, str]]:
    return {p for g in groups.values() for p in itertools.combinations(sorted(g), 2)}


def test_pairwise_accuracy_on_the_demo(demo_dir):
    people = _people(demo_dir)
    with (demo_dir / "truth.csv").open(encoding="utf-8", newline="") as handle:
        truth = {t["record_id"]: t["person_id"] for t in csv.DictReader(handle)
                 if t["layout"] == "people"}
    result = graphkit.resolve(people)
    entity = dict(zip(result.entities.record_id, result.entities.entity_id))
    true_groups: dict[str, list[str]] = {}
    found_groups: dict[str, list[str]] = {}
    for rid in people.record_id:
        true_groups.setdefault(truth[rid], []).append(rid)
        found_groups.setdefault(entity[rid], []).append(rid)
    true_pairs, found = _pairs(true_groups), _pairs(found_groups)
    precision = len(true_pairs & found) / len(found)
    recall = len(true_pairs & found) / len(true_pairs)
    assert precision >= 0.99 and recall >= 0.9, (precision, recall)
    review = result.pairs[result.pairs["decision"] == "review"]
    surfaced = found | {tuple(sorted(p)) for p in zip(review.record_id_l, review.record_id_r)}
    assert true_pairs <= surfaced  # every true pair is merged or put up for review


def _row(**values) -> dict:
    row = dict.fromkeys(NATIVE_COLUMNS[Layout.PEOPLE], "")
    row.update(values)
    return row


def test_relatives_and_namesakes_do_not_merge(demo_dir):
    extra = [
        _row(record_id="fam1", first_name="Min-jun", last_name="Kim", dob="1980-03-04",
             street="77 Orchard Lane", city="Austin", region="TX", postcode="78701",
             country="US", phone="512 555 0101", email="kim.family@example.com"),
        _row(record_id="fam2", first_name="Seo-yeon", last_name="Kim", dob="1982-09-10",
             street="77 Orchard Lane", city="Austin", region="TX", postcode="78701",
             country="US", phone="512 555 0101", email="kim.family@example.com"),
        _row(record_id="same1", first_name="James", last_name="Smith", dob="1975-01-01",
             email="j.smith.tx@example.com"),
        _row(record_id="same2", first_name="James", last_name="Smith", dob="1991-07-22",
             email="jsmith91@example.org"),
    ]
    people = pd.concat([_people(demo_dir), pd.DataFrame(extra)], ignore_index=True)
    entity = dict(zip(*graphkit.resolve(people).entities[["record_id", "entity_id"]].T.values))
    assert entity["fam1"] != entity["fam2"]
    assert entity["same1"] != entity["same2"]


def test_every_merge_carries_a_waterfall(demo_dir):
    result = graphkit.resolve(_people(demo_dir))
    merged = result.pairs[result.pairs["decision"] == "merge"]
    assert len(merged) > 10
    for text in merged["evidence"]:
        fields = [part.split(":")[0] for part in text.split("; ")]
        assert fields[:8] == ["prior", "name", "dob", "email", "phone", "national_id",
                              "address", "passport"]
        assert fields[8:] in ([], ["household"])
    weights = result.model.weights()
    assert weights["dob"][-1] > 0 > weights["dob"][0]  # exact dob for, different dob against


def test_chaining_guard_keeps_a_and_c_apart():
    people = pd.DataFrame([
        _row(record_id="a", full_name="Ri Song Chol", dob="1980-01-01"),
        _row(record_id="b", full_name="Ri Song Chol", dob=""),
        _row(record_id="c", full_name="Ri Song Chol", dob="1995-12-31"),
    ])
    features = prepare(people)
    left, right = np.array([0, 1]), np.array([1, 2])
    labels, merged, review = cluster_pairs(features, left, right, np.array([0.99, 0.98]),
                                           merge=0.95, review=0.5)
    assert labels[0] == labels[1] != labels[2]  # b joins a; c (other dob) is refused
    assert merged.tolist() == [True, False] and review.tolist() == [False, True]


def test_resolve_command(demo_dir, tmp_path, capsys):
    out, pairs = tmp_path / "clusters.csv", tmp_path / "pairs.csv"
    assert main(["resolve", str(demo_dir / "people.csv"), "--out", str(out),
                 "--pairs", str(pairs)]) == 0
    clusters = pd.read_csv(out, dtype=str)
    assert list(clusters.columns) == ["record_id", "entity_id", "score", "evidence"]
    assert clusters["entity_id"].nunique() < len(clusters)
    assert "merged" in capsys.readouterr().out
    assert set(pd.read_csv(pairs)["decision"]) <= {"merge", "review"}
