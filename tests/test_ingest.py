"""Ingest through loader specs, and every kind of bad input the spine promises to survive."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphkit.cli import main
from graphkit.ingest import ingest, read_source
from graphkit.issues import InputError, IssueLog
from graphkit.loaderspec import load_spec, parse_spec
from graphkit.schema import Layout, record_columns

HEADER = "record_id,full_name,dob,email,phone,street,city,region,postcode,country,device_id\n"
GOOD = ("p1,Kim Jong Un,1984-01-08,J.Kim+x@gmail.com,(415) 555-0101,1 Main Street,"
        "Springfield,Illinois,62701,USA,ab:cd:ef:01\n"
        "p2,\"Pak, Chol\",1990-02-03,jkim@gmail.com,415.555.0101,1 main st,springfield,IL,"
        "62701-1234,US,ABCDEF01\n")


def _people(path: Path, body: str | bytes, header: str = HEADER) -> Path:
    data = body if isinstance(body, bytes) else body.encode("utf-8")
    path.write_bytes(header.encode("utf-8") + data)
    return path


def _read(path: Path, spec: str = "people") -> tuple:
    log = IssueLog()
    frame = read_source(path, load_spec(spec), log)
    return frame, log


def test_native_people_load_and_identifiers_meet(tmp_path):
    data = ingest([(_people(tmp_path / "people.csv", GOOD), load_spec("people"))])
    people = data.records[Layout.PEOPLE]
    assert list(people.columns) == record_columns(Layout.PEOPLE)
    assert people["record_id"].tolist() == ["p1", "p2"]
    assert people["line"].tolist() == [2, 3]
    ids = data.identifiers
    for kind, value in (("email", "jkim@gmail.com"), ("phone", "+14155550101"),
                        ("address", "1 main st|springfield|il|62701|us"), ("device", "ABCDEF01")):
        rows = ids[(ids["kind"] == kind) & (ids["value"] == value)]
        assert sorted(rows["record_id"]) == ["p1", "p2"], kind
    assert not data.log.issues


def test_malformed_row_is_reported_and_skipped(tmp_path):
    body = GOOD + "p3,too,many,fields,here,x,y,z,w,v,u,t\np4,Ana Lopez,,,,,,,,,\n"
    frame, log = _read(_people(tmp_path / "people.csv", body))
    assert frame["record_id"].tolist() == ["p1", "p2", "p4"]
    (issue,) = log.issues
    assert (issue.level, issue.file, issue.line) == ("error", "people.csv", 4)
    assert "expected 11 fields, got 12" in issue.message


def test_missing_required_column_names_file_and_column(tmp_path):
    path = _people(tmp_path / "candidates.csv", "Ana Lopez,01/02/1990\n",
                   header="Candidate Name,Date of Birth (MM/DD/YYYY)\n")
    with pytest.raises(InputError, match=r"candidates.csv line 1: missing required column\(s\) "
                                         r"'Candidate ID'"):
        read_source(path, load_spec("ats_export"), IssueLog())
    other = _people(tmp_path / "people.csv", GOOD)
    data = ingest([(path, load_spec("ats_export")), (other, load_spec("people"))])
    assert len(data.records[Layout.PEOPLE]) == 2  # the good file still loads
    assert [i.level for i in data.log.issues] == ["error"]
    assert data.log.issues[0].file == "candidates.csv"


def test_unparseable_date_is_left_empty_with_a_warning(tmp_path):
    body = GOOD.replace("1990-02-03", "1990-13-45")
    frame, log = _read(_people(tmp_path / "people.csv", body))
    assert frame["dob"].tolist() == ["1984-01-08", ""]
    (issue,) = log.issues
    assert (issue.line, issue.column) == (3, "dob")
    assert "unparseable date '1990-13-45'" in issue.message


def test_wrong_encoding_is_repaired_per_field(tmp_path):
    body = GOOD.encode("utf-8") + "p3,José Müller,1970-05-06,,,,,,,,\n".encode("cp1252")
    frame, log = _read(_people(tmp_path / "people.csv", body))
    assert frame["full_name"].tolist()[2] == "José Müller"
    (issue,) = log.issues
    assert (issue.line, issue.column) == (4, "full_name")
    assert "not valid utf-8" in issue.message


def test_declared_encoding_is_used(tmp_path):
    spec = parse_spec({"layout": "people", "encoding": "cp1252",
                       "identifiers": {"email": ["email"]}})
    path = _people(tmp_path / "people.csv", "p1,Zoë Ærø,,,,,,,,,\n".encode("cp1252"))
    frame = read_source(path, spec, IssueLog())
    assert frame["full_name"].tolist() == ["Zoë Ærø"]


def test_huge_field_is_dropped_and_the_row_kept(tmp_path):
    huge = "A" * 1_000_000
    body = GOOD + f"p3,{huge},1970-05-06,ana@example.com,,,,,,,\n"
    frame, log = _read(_people(tmp_path / "people.csv", body))
    assert frame["record_id"].tolist() == ["p1", "p2", "p3"]
    assert frame["full_name"].tolist()[2] == ""
    assert frame["email"].tolist()[2] == "ana@example.com"
    (issue,) = log.issues
    assert (issue.line, issue.column) == (4, "full_name")
    assert "1,000,000 characters" in issue.message


def test_cypher_in_a_name_is_kept_verbatim(tmp_path):
    evil = "Robert'}) MATCH (n) DETACH DELETE n //"
    body = GOOD + f'p3,"{evil}",1970-05-06,,,,,,,,\n'
    frame, log = _read(_people(tmp_path / "people.csv", body))
    assert frame["full_name"].tolist()[2] == evil
    assert not log.issues


def test_duplicate_and_empty_record_ids(tmp_path):
    body = GOOD + "p1,Ana Lopez,,,,,,,,,\n,Bo Chen,,,,,,,,,\n"
    frame, log = _read(_people(tmp_path / "people.csv", body))
    assert frame["record_id"].tolist() == ["p1", "p2", "p1#4", "people:5"]
    assert [(i.line, i.column) for i in log.issues] == [(5, "record_id"), (4, "record_id")]


def test_invalid_identifier_values_are_reported(tmp_path):
    body = "p1,Ana Lopez,,not-an-email,12,,,,,,\n"
    data = ingest([(_people(tmp_path / "people.csv", body), load_spec("people"))])
    assert data.identifiers.empty
    assert {(i.line, i.column) for i in data.log.issues} == {(2, "email"), (2, "phone")}


def test_strict_turns_warnings_into_a_failing_exit(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    _people(folder / "people.csv", GOOD.replace("1990-02-03", "31/31/1990"))
    assert main(["build", "--input", str(folder), "--out", str(tmp_path / "a"), "--quiet"]) == 0
    assert main(["build", "--input", str(folder), "--out", str(tmp_path / "b"), "--quiet",
                 "--strict"]) == 1
    issues = (tmp_path / "b" / "issues.csv").read_text()
    assert "people.csv,3,dob," in issues
    assert "--strict" in capsys.readouterr().err


def test_unusable_input_exits_2_with_a_clear_message(tmp_path, capsys):
    code = main(["build", "--config", str(tmp_path / "missing.yml"), "--out", str(tmp_path)])
    assert code == 2
    assert "missing.yml" in capsys.readouterr().err


def test_bad_loader_spec_is_named():
    with pytest.raises(InputError, match="column 'birthday' is not in the people layout"):
        parse_spec({"layout": "people", "columns": {"record_id": "id", "birthday": "DOB"}})
    with pytest.raises(InputError, match="unknown identifier kind 'fax'"):
        parse_spec({"layout": "people", "identifiers": {"fax": ["phone"]}})
