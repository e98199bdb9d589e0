"""Incremental builds (``build --previous``) equal full rebuilds on the same inputs:
entity by entity, pair by pair (merge evidence), hit by hit and ring by ring, on
generated worlds of several seeds with new, edited and removed records."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal

from graphkit.cli import main
from graphkit.incremental import STATE_DIR, PairReuse, read_state
from graphkit.incremental.ingest_cache import IngestCache
from graphkit.ingest import ingest
from graphkit.ingest.project import native_project
from graphkit.issues import IssueLog
from graphkit.pipeline import BUILD_JSON, entities_to_screen, run_build, write_outputs
from graphkit.resolve.prepare import prepare
from graphkit.schema import Layout
from graphkit.screen import screen
from graphkit.world import WorldParams, generate_world

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from incremental import append_history, change_people


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
    # one hash per input, the same in the manifest and the ingest cache, and right
    index = json.loads((tmp_path / "b1" / STATE_DIR / "ingest" / "index.json").read_text(
        encoding="utf-8"))
    cached = {e["file"]: e["sha256"] for e in index["files"]}
    for entry in (i for i in manifest["inputs"] if i["role"] == "source"):
        path = Path(entry["file"])
        assert entry["sha256"] == cached[path.name] == hashlib.sha256(
            path.read_bytes()).hexdigest()


# -- the per-file ingest cache (state/ingest/) and the sanctions cache --------------------

def _ingest(project, previous: Path | None = None, out: Path | None = None, settings=None):
    """Ingest ``project`` through the cache of ``previous``; with ``out``, write this
    ingest's cache to ``out/state`` as a build does. Returns (data, cache)."""
    cache = IngestCache(previous)
    try:
        data = ingest(project.sources, IssueLog(), settings=settings or project.settings,
                      reader=cache)
    finally:  # as a build's ingest stage does: its writer never outlives the staging folder
        cache.finish_writes()
    if out is not None:
        cache.write(out / STATE_DIR)
    return data, cache


def _issues(data) -> list[tuple]:
    return [(i.level, i.file, i.line, i.column, i.message) for i in data.log.issues]


def assert_same_ingest(full, cached, same_issue_order: bool = True) -> None:
    """Records (every column, line numbers included), identifiers and issues are equal."""
    for layout, frame in full.records.items():
        assert_frame_equal(frame, cached.records[layout])
    assert_frame_equal(full.identifiers, cached.identifiers)
    if same_issue_order:
        assert _issues(full) == _issues(cached)
    else:  # an appended file: the same issues, the tail's after the head's
        assert sorted(_issues(full), key=str) == sorted(_issues(cached), key=str)


def _messy_rows(path: Path, ids: tuple[str, ...]) -> None:
    """Append rows with these record ids that raise issues (a bad amount, date, email,
    amount) to a payroll or logins file."""
    header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    rows = []
    for i, (rid, bad) in enumerate(zip(ids, ("amount", "paid_at", "email", "amount"))):
        row = {c: "" for c in header}
        row.update(record_id=rid, person_record_id="P000001", amount="12.50",
                   paid_at="2026-05-01", payer="Northwind Analytics Inc.",
                   account_number=f"99887766{i}", routing_number="121000248")
        if bad in row:
            row[bad] = "not-a-value"
        rows.append(",".join(row[c] for c in header))
    with path.open("a", encoding="utf-8") as stream:
        stream.write("\n".join(rows) + "\n")


@pytest.fixture()
def messy_world(tmp_path) -> Path:
    world = tmp_path / "world"
    generate_world(world, WorldParams(people=300, seed=21, rings=2))
    _messy_rows(world / "payroll.csv", ("X1", "X2", "X3", "X4"))
    return world


def test_unchanged_files_are_read_back_and_a_changed_byte_is_noticed(tmp_path, messy_world):
    project = native_project(messy_world)
    full, _ = _ingest(project, out=tmp_path / "b1")
    assert any(i.file == "payroll.csv" for i in full.log.issues)  # issues to carry over
    again, cache = _ingest(project, previous=tmp_path / "b1")
    assert cache.counts["files_reused"] == cache.counts["files"] == len(project.sources)
    assert cache.counts["rows_parsed"] == 0
    assert_same_ingest(full, again)
    # one byte changed in place (same size): that file, and only it, is parsed again
    path = messy_world / "logins.csv"
    text = path.read_bytes()
    at = text.index(b"\n", len(text) // 2) + 2
    path.write_bytes(text[:at] + bytes([text[at] ^ 1]) + text[at + 1:])
    changed, cache = _ingest(project, previous=tmp_path / "b1")
    assert cache.counts["files_reused"] == len(project.sources) - 1
    assert cache.counts["files_parsed"] == 1
    assert any("logins.csv changed" in n for n in cache.notes)
    # its other records keep their identifiers: only the changed record's are made again
    logins = changed.records[Layout.LOGINS]
    assert cache.counts["records_identifiers_reused"] == len(logins) - 1
    assert_same_ingest(_ingest(project)[0], changed)


def test_appended_file_parses_only_its_tail_and_equals_a_full_parse(tmp_path, messy_world):
    project = native_project(messy_world)
    _ingest(project, out=tmp_path / "b1")
    before = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p, _ in
              project.sources}
    appended = append_history(messy_world, seed=4, share=0.05, new_people=["P000002"])
    # issues in the tail too: an empty record id, one repeating the head's, one repeated
    _messy_rows(messy_world / "payroll.csv", ("", "X1", "X900", "X900"))
    _messy_rows(messy_world / "logins.csv", ("L1", "L2", "L3", "L4"))
    grown, cache = _ingest(project, previous=tmp_path / "b1")
    assert cache.counts["files_appended"] == len(appended), cache.notes
    assert cache.counts["files_reused"] == len(project.sources) - len(appended)
    assert cache.counts["rows_parsed"] == sum(appended.values()) + 8
    full = _ingest(project)[0]
    assert_same_ingest(full, grown, same_issue_order=False)
    payroll = grown.records[Layout.PAYROLL]
    tail = payroll[payroll["line"] > before["payroll.csv"]]
    assert len(tail) == appended["payroll.csv"] + 4
    assert tail["line"].min() == before["payroll.csv"] + 1  # line numbers go on
    first_messy = before["payroll.csv"] + appended["payroll.csv"] + 1
    assert {f"payroll:{first_messy}", f"X1#{first_messy + 1}", f"X900#{first_messy + 3}"
            } <= set(tail["record_id"])  # renamed as a full parse renames them
    # the appended file's entry serves the next night as well
    _, cache = _ingest(project, previous=tmp_path / "b1", out=tmp_path / "b2")
    again, cache = _ingest(project, previous=tmp_path / "b2")
    assert cache.counts["files_reused"] == len(project.sources)
    assert_same_ingest(full, again, same_issue_order=False)


def test_a_rewritten_head_or_an_unclean_tail_is_parsed_in_full(tmp_path, messy_world):
    project = native_project(messy_world)
    _ingest(project, out=tmp_path / "b1")
    path = messy_world / "shipments.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("2025-", "2024-", 1) + text.splitlines()[1] + "\n",
                    encoding="utf-8")  # grew, but its first bytes changed
    with (messy_world / "payroll.csv").open("a", encoding="utf-8") as stream:
        stream.write('PAYQ1,P000001,"Acme ""Q"" Inc,Bob\n')  # an unbalanced quote
    data, cache = _ingest(project, previous=tmp_path / "b1")
    assert cache.counts["files_appended"] == 0 and cache.counts["files_parsed"] == 2
    assert any("payroll.csv grew but its new part is not clean" in n for n in cache.notes)
    assert_same_ingest(_ingest(project)[0], data)


def test_a_changed_loader_spec_or_setting_invalidates_the_cache(tmp_path, messy_world):
    project = native_project(messy_world)
    _ingest(project, out=tmp_path / "b1")
    settings = project.settings.with_overrides(max_field_chars=5_000)
    _, cache = _ingest(project, previous=tmp_path / "b1", settings=settings)
    assert cache.counts["files_reused"] == 0
    assert cache.counts["files_parsed"] == len(project.sources)
    path, spec = project.sources[0]
    rule = spec.columns["record_id"]
    project.sources[0] = (path, dataclasses.replace(
        spec, columns={**spec.columns, "record_id": dataclasses.replace(rule, default="?")}))
    _, cache = _ingest(project, previous=tmp_path / "b1")
    assert cache.counts["files_reused"] == len(project.sources) - 1
    assert cache.counts["files_parsed"] == 1


def test_broken_or_missing_ingest_cache_parses_in_full_and_says_so(tmp_path, messy_world):
    project = native_project(messy_world)
    full, _ = _ingest(project, out=tmp_path / "b1")
    folder = tmp_path / "b1" / STATE_DIR / "ingest"
    broken = sorted(folder.glob("*.records.arrow"))[0]
    broken.write_bytes(b"not an Arrow file")
    data, cache = _ingest(project, previous=tmp_path / "b1")
    assert cache.counts["files_parsed"] == 1
    assert any("unreadable" in n and "parsed in full" in n for n in cache.notes)
    assert_same_ingest(full, data)
    (folder / "index.json").write_text("{", encoding="utf-8")
    data, cache = _ingest(project, previous=tmp_path / "b1")
    assert cache.counts["files_parsed"] == len(project.sources)
    assert any("index.json unreadable" in n for n in cache.notes)
    (folder / "index.json").unlink()
    data, cache = _ingest(project, previous=tmp_path / "b1")
    assert any("index.json missing" in n for n in cache.notes)
    assert_same_ingest(full, data)


def test_ingest_cache_index_names_only_its_own_files(tmp_path, messy_world):
    project = native_project(messy_world)
    full, _ = _ingest(project, out=tmp_path / "b1")
    index = tmp_path / "b1" / STATE_DIR / "ingest" / "index.json"
    meta = json.loads(index.read_text(encoding="utf-8"))
    meta["files"][0]["stem"] = "../../outside"  # a hostile or damaged index
    index.write_text(json.dumps(meta), encoding="utf-8")
    data, cache = _ingest(project, previous=tmp_path / "b1")
    assert cache.counts["files_parsed"] == len(project.sources)
    assert any("index.json unreadable" in n and "not a cache key" in n for n in cache.notes)
    assert_same_ingest(full, data)


def test_two_sources_with_one_file_name_are_cached_apart(tmp_path, messy_world):
    project = native_project(messy_world)
    path, spec = next((p, s) for p, s in project.sources if p.name == "people.csv")
    other = tmp_path / "branch" / "people.csv"  # a second office's export, same name
    other.parent.mkdir()
    branch = pd.read_csv(path, dtype=str, keep_default_na=False).head(50)
    branch["record_id"] = "BR-" + branch["record_id"]
    branch.to_csv(other, index=False)
    project.sources.append((other, spec))
    _ingest(project, out=tmp_path / "b1")
    _, cache = _ingest(project, previous=tmp_path / "b1")
    assert cache.counts["files_reused"] == len(project.sources)
    assert cache.counts["files_parsed"] == 0
    entries = json.loads((tmp_path / "b1" / STATE_DIR / "ingest" / "index.json").read_text(
        encoding="utf-8"))["files"]
    assert len({e["key"] for e in entries}) == len(entries) == len(project.sources)


def test_an_appending_night_builds_as_a_full_rebuild(tmp_path):
    world = tmp_path / "world"
    generate_world(world, WorldParams(people=500, seed=31, rings=3))
    _build(world, tmp_path / "old")
    change_people(world, 31)
    added = [r for r in pd.read_csv(world / "people.csv", dtype=str)["record_id"]
             if r.startswith(("NEW", "BRIDGE"))]
    append_history(world, 31, share=0.02, new_people=added)
    full = _build(world, tmp_path / "full", previous=tmp_path / "old", reuse=False)
    incremental = _build(world, tmp_path / "new", previous=tmp_path / "old")
    assert_same_build(full, incremental)
    counts = incremental.incremental["ingest"]
    assert counts["files_appended"] == 3 and counts["files_parsed"] == 1  # people.csv
    assert any(n.startswith("incremental ingest:") for n in incremental.notes)
    assert full.incremental["ingest"]["files_reused"] == 0


def test_sanctions_entries_are_read_back_while_the_lists_are_unchanged(tmp_path):
    world = tmp_path / "world"
    generate_world(world, WorldParams(people=250, seed=9, rings=1))
    old = _build(world, tmp_path / "old")
    assert (tmp_path / "old" / STATE_DIR / "sanctions.json").is_file()
    again = run_build(native_project(world), show_progress=False, previous=tmp_path / "old")
    assert any("sanctions entries read back" in n for n in again.notes)
    assert_frame_equal(old.sanctions, again.sanctions)
    project = native_project(world)
    project.settings = project.settings.with_overrides(programs=("DPRK*",))
    other = run_build(project, show_progress=False, previous=tmp_path / "old")
    assert any("lists read again" in n for n in other.notes)
    assert_frame_equal(other.sanctions, run_build(project, show_progress=False).sanctions)


def test_reused_features_equal_prepared_ones(tmp_path):
    world = tmp_path / "world"
    generate_world(world, WorldParams(people=400, seed=19, rings=2))
    _build(world, tmp_path / "old")
    change_people(world, 19)
    people = ingest(native_project(world).sources).records[Layout.PEOPLE]
    reuse = PairReuse(people, read_state(tmp_path / "old").people)
    features = reuse.prepare(people.reset_index(drop=True))
    assert 0 < reuse.counts["features_reused"] < len(people)
    assert_frame_equal(features.frame, prepare(people.reset_index(drop=True)).frame)


def test_reused_feature_codes_equal_those_prepare_makes():
    """A reused categorical feature, coded by Arrow from the previous rows and the fresh
    ones, equals ``coded_column`` of the same values: codes in order of first appearance,
    a missing value -1 (not a category)."""
    from graphkit.incremental.resolve import _coded
    from graphkit.resolve.prepare import coded_column

    before = pd.Series(["b", "a", None, "c", "a"], dtype="str")
    fresh = pd.Series(pd.Categorical(["z", "a"]))
    source = np.array([5, 3, 1, 2, 6, 0, 1])  # rows of [before, fresh]
    pool = np.array(["b", "a", None, "c", "a", "z", "a"], dtype=object)
    made = _coded(before, fresh, source)
    assert_series_equal(made, coded_column(pool[source]))
    assert made.cat.codes.tolist() == [0, 1, 2, -1, 2, 3, 2]
    assert list(made.cat.categories) == ["z", "c", "a", "b"]


def test_records_match_their_previous_rows_by_id_and_fingerprint():
    """A record keeps its previous row when its id was there once with the same content;
    an id the previous build held twice, a changed record and a new one match nothing."""
    from graphkit.incremental.resolve import record_fingerprints
    from graphkit.incremental.state import PeopleState

    before = pd.DataFrame({"record_id": ["a", "b", "d", "d", "e"],
                           "first_name": ["Ann", "Bo", "Di", "Di", "Ed"]})
    now = pd.DataFrame({"record_id": ["e", "b", "a", "d", "n"],
                        "first_name": ["Ed", "Bob", "Ann", "Di", "Ny"]})
    previous = PeopleState(pd.DataFrame({"record_id": before["record_id"],
                                         "fingerprint": record_fingerprints(before)}),
                           np.zeros(0, np.int64), np.zeros(0, np.int64), {})
    reuse = PairReuse(now, previous)
    ids = now["record_id"].to_numpy(dtype=object)
    assert reuse._old_positions(ids, record_fingerprints(now)).tolist() == [4, -1, 0, -1, -1]
