"""Declared schemas, bounded YAML and gzip, FtM value types and spreadsheet safety."""

from __future__ import annotations

import csv
import gc
import gzip
import json
import warnings
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from graphkit.csvsafe import FORMULA_STARTS, neutralise, neutralise_frame, write_csv
from graphkit.ingest.files import open_binary
from graphkit.ingest.project import load_project
from graphkit.ingest.spec import parse_spec
from graphkit.issues import InputError, IssueLog
from graphkit.limits import DecompressionLimitError, open_gzip, use_limits
from graphkit.lists import read_ftm_json, read_list
from graphkit.safeyaml import YamlLimitError, expanded_size, load_yaml
from graphkit.settings import Settings
from graphkit.store.export import export_neo4j_admin


def _project(tmp_path: Path, body: str) -> Path:
    (tmp_path / "people.csv").write_text("record_id\nP1\n", encoding="utf-8")
    path = tmp_path / "project.yml"
    path.write_text("sources:\n  - file: people.csv\n" + body, encoding="utf-8")
    return path


def test_every_setting_can_be_set_in_a_project_file_and_is_type_checked(tmp_path):
    project = load_project(_project(tmp_path, "max_ring: 12\ncsv_safety: false\n"
                                               "programs: ['SDGT']\nmerge_threshold: 0.9\n"))
    assert project.settings == Settings().with_overrides(
        max_ring=12, csv_safety=False, programs=("SDGT",), merge_threshold=0.9)
    with pytest.raises(InputError, match="'csv_safety': expected true or false, got the "
                                         "string 'no way'"):
        load_project(_project(tmp_path, "csv_safety: no way\n"))
    with pytest.raises(InputError, match="'programs' is empty"):
        load_project(_project(tmp_path, "programs: []\n"))


def test_unknown_keys_name_the_nearest_known_one():
    with pytest.raises(InputError, match=r"unknown key 'layuot' \(did you mean 'layout'\?\)"):
        parse_spec({"layuot": "people", "layout": "people"})
    with pytest.raises(InputError, match="unknown layout 'peeple' \\(did you mean 'people'"):
        parse_spec({"layout": "peeple"})
    with pytest.raises(InputError, match="column 'emial' is not in the people layout "
                                         "\\(did you mean 'email'"):
        parse_spec({"layout": "people", "columns": {"record_id": "id", "emial": "Mail"}})
    with pytest.raises(InputError, match="unknown identifier kind 'emails' \\(did you mean "
                                         "'email'"):
        parse_spec({"layout": "people", "identifiers": {"emails": ["email"]}})


def test_alias_expansion_is_measured_without_expanding(tmp_path):
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"] + [
        f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]" for p, c in zip("abcdefgh", "bcdefghi")]
    node = yaml.SafeLoader("\n".join(levels)).get_single_node()
    assert expanded_size(node) > 10**9  # a billion laughs, counted in microseconds
    path = tmp_path / "bomb.yml"
    path.write_text("\n".join(levels), encoding="utf-8")
    with pytest.raises(YamlLimitError, match="alias bomb"):
        load_yaml(path, "project file")
    assert load_yaml(path, "project file", max_nodes=10**10)["a"][0] == "x"
    path.write_text("a: &a [1, *a]\n", encoding="utf-8")
    with pytest.raises(YamlLimitError, match="recursive alias"):
        load_yaml(path, "loader spec")


def test_gzip_reading_stops_at_the_limits(tmp_path):
    path = tmp_path / "x.csv.gz"
    path.write_bytes(gzip.compress(b"a,b\n" * 500_000))  # 2 MB unpacked
    small = Settings(max_decompressed_bytes=1_000_000)
    with pytest.raises(DecompressionLimitError, match="max_decompressed_bytes"), \
            open_gzip(path, small) as stream:
        stream.read()
    with open_gzip(path) as stream:  # the defaults let honest files through
        assert len(stream.read()) == 2_000_000
    sdn = tmp_path / "sdn.csv.gz"
    sdn.write_bytes(gzip.compress(b"\n" * 2_000_000))
    with use_limits(small), pytest.raises(DecompressionLimitError, match=sdn.name):
        read_list(sdn, "ofac-sdn-csv")  # the parsers read through the active limits


def test_closing_a_gzip_stream_closes_its_file(tmp_path):
    path = tmp_path / "x.csv.gz"
    path.write_bytes(gzip.compress(b"a,b\n1,2\n"))
    for opener in (lambda: open_gzip(path), lambda: open_binary(path, 1 << 20, 100)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with opener() as stream:
                assert stream.read() == b"a,b\n1,2\n"
            del stream
            gc.collect()  # a file left open is closed here, with a ResourceWarning
        assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_ftm_strings_where_lists_belong_are_one_value_each(tmp_path):
    path = tmp_path / "list.ftm.json"
    lines = [{"id": "a", "schema": "Person",
              "properties": {"name": "KIM Jong Un", "alias": ["Kim Jong-un", 7],
                             "programId": "DPRK", "birthDate": 1984}},
             {"id": "b", "schema": "Person", "properties": {"alias": ["Nameless"]}},
             {"id": "c", "schema": "Sanction",
              "properties": {"entity": "a", "programId": ["DPRK3"]}}]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    log = IssueLog()
    entry = read_ftm_json(path, issues=log).set_index("list_id").loc["a"]
    assert entry["name"] == "KIM Jong Un"
    assert entry["programs"] == ["DPRK", "DPRK3"]
    assert entry["aliases"] == ["Kim Jong-un", "7"]
    assert entry["dobs"] == ["1984"]
    found = {(i.level, i.line, i.message.split(" is ")[0]) for i in log.issues}
    assert ("warning", 1, "property 'name'") in found
    assert ("warning", 3, "property 'entity'") in found
    assert ("error", 2, "Person without a name; not read") in {
        (i.level, i.line, i.message) for i in log.issues}


@given(st.text(max_size=30))
def test_neutralised_text_never_starts_a_formula(text):
    safe = neutralise(text)
    assert safe in (text, "'" + text)
    if safe == text and text.startswith(FORMULA_STARTS):
        assert float(text) == float(text)  # only plain numbers are left alone


def test_people_csvs_neutralise_and_machine_formats_keep_values(tmp_path):
    frame = pd.DataFrame({"name": ["=HYPERLINK(\"x\")", "@Kim", "-5", "\tx", "Kim"],
                          "n": [1, -2, 3, 4, 5]})
    write_csv(frame, tmp_path / "safe.csv")
    rows = list(csv.reader((tmp_path / "safe.csv").open(encoding="utf-8")))
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(\"x\")", "'@Kim", "-5", "'\tx", "Kim"]
    assert [r[1] for r in rows[1:]] == ["1", "-2", "3", "4", "5"]
    write_csv(frame, tmp_path / "exact.csv", safe=False)
    assert pd.read_csv(tmp_path / "exact.csv")["name"].tolist()[:2] == ["=HYPERLINK(\"x\")",
                                                                       "@Kim"]
    assert neutralise_frame(frame)["n"].tolist() == [1, -2, 3, 4, 5]
    graph = nx.MultiDiGraph()
    graph.add_node("person:=1+2", label="Person", name="@Kim Jong Un")
    files, _ = export_neo4j_admin(graph, tmp_path / "import")
    text = files[0].read_text(encoding="utf-8")
    assert "person:=1+2,Person,@Kim Jong Un" in text and "'" not in text


def test_a_failed_csv_write_leaves_the_previous_file_whole(tmp_path):
    import resource

    target = tmp_path / "hits.csv"
    target.write_text("record_id\nold\n", encoding="utf-8")
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (10_000, hard))  # writes past 10 kB fail
    try:
        with pytest.raises(OSError):
            write_csv(pd.DataFrame({"record_id": ["x" * 100] * 1_000}), target)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert target.read_text(encoding="utf-8") == "record_id\nold\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hits.csv"]


def test_settings_default_scope_is_the_dprk_nexus():
    from graphkit.lists import DPRK_NEXUS
    from graphkit.settings import Settings

    assert Settings().programs == (DPRK_NEXUS,)
