"""Ingest through loader specs, and every kind of bad input the spine promises to survive."""

from __future__ import annotations

import csv
import gzip
import io
import re
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphkit.cli import main
from graphkit.ingest import LimitError, core, ingest, read_source
from graphkit.ingest.spec import load_spec, parse_spec
from graphkit.issues import InputError, IssueLog
from graphkit.schema import Layout, record_columns
from graphkit.settings import Settings

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


def test_a_renamed_record_id_never_takes_the_name_of_another_row(tmp_path):
    """A repeat is named ``id#line`` and an empty id ``file:line``: a row that already
    holds that name (here literally ``p1#4`` and ``people:5``) keeps it, and the renamed
    row gets a further suffix, so every record id of the file stays unique."""
    body = GOOD + "p1,Ana Lopez,,,,,,,,,\n,Bo Chen,,,,,,,,,\np1#4,Cy,,,,,,,,,\n" \
        "people:5,Di,,,,,,,,,\n"
    frame, log = _read(_people(tmp_path / "people.csv", body))
    ids = frame["record_id"].tolist()
    assert ids == ["p1", "p2", "p1#4~2", "people:5~2", "p1#4", "people:5"]
    assert len(set(ids)) == len(ids)
    assert sorted(i.line for i in log.issues) == [4, 5]


def test_inputs_without_people_or_companies_end_in_a_clear_error(tmp_path, capsys):
    """Files holding a header only give no entity to build from: the build says so and
    writes nothing (it used to fail inside the graph stage)."""
    folder = tmp_path / "in"
    folder.mkdir()
    _people(folder / "people.csv", "")
    (folder / "payroll.csv").write_text(
        "record_id,person_record_id,payer,payee_name,bank_name,routing_number,account_number,"
        "iban,payment_handle,wallet,amount,currency,paid_at\n")
    out = tmp_path / "out"
    assert main(["build", "--input", str(folder), "--out", str(out), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert "nothing to build: no people or company records in" in error
    assert "people.csv" in error and "payroll.csv" in error
    assert not out.exists()


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


# --- hostile files (issue 12) and the streaming reader -------------------------------------

def _records(path: Path, settings=None, spec: str = "people") -> tuple:
    log = IssueLog()
    frame = read_source(path, load_spec(spec), log, settings=settings)
    return frame, log


def test_stray_quote_to_end_of_file_loses_only_its_own_record(tmp_path):
    rows = "".join(f"p{i},Name {i},,,,,,,,,\n" for i in range(3, 40))
    path = _people(tmp_path / "people.csv", GOOD + 'p99,"Bad Quote,,,,,,,,,\n' + rows)
    frame, log = _records(path)
    assert frame["record_id"].tolist() == ["p1", "p2", *[f"p{i}" for i in range(3, 40)]]
    assert frame["line"].tolist() == [2, 3, *range(5, 42)]
    (issue,) = log.issues
    assert (issue.level, issue.line) == ("error", 4)
    assert "ran to line 41 and swallowed 37 record(s) on lines 5-41" in issue.message


def test_quoted_line_breaks_are_kept_and_rows_keep_their_lines(tmp_path):
    body = GOOD + 'p3,Ana Lopez,,,,"1 Main St\nApt 2",Springfield,,,,\np4,Bo Chen,,,,,,,,,\n'
    frame, log = _records(_people(tmp_path / "people.csv", body))
    assert frame["street"].tolist()[2] == "1 Main St\nApt 2"
    assert frame["line"].tolist() == [2, 3, 4, 6]
    assert not log.issues


def test_control_characters_never_reach_records_or_identifiers(tmp_path):
    body = GOOD + "p3,Ana\x00 Lo\x1bpez,,ana\x07@example.com,,,,,,,C0\x7fFFEE\n"
    data = ingest([(_people(tmp_path / "people.csv", body), load_spec("people"))])
    people = data.records[Layout.PEOPLE]
    assert people["full_name"].tolist()[2] == "Ana Lopez"
    bad = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
    for frame in (people, data.identifiers):
        for col in frame.columns.drop("line", errors="ignore"):
            assert not frame[col].astype(str).str.contains(bad).any(), col
    assert "ana@example.com" in set(data.identifiers["value"])
    found = {(i.line, i.column) for i in data.log.issues}
    assert found == {(4, "full_name"), (4, "email"), (4, "device_id")}


def test_unknown_columns_are_named_and_near_names_read(tmp_path):
    header = "record_id,full_name,e-mail,nationalid,phone_nmber\n"
    path = _people(tmp_path / "people.csv", "p1,Ana Lopez,Ana@Example.com,512-44-9021,555\n",
                   header=header)
    data = ingest([(path, load_spec("people"))])
    assert set(data.identifiers["kind"]) == {"email", "national_id"}
    messages = {i.column: i.message for i in data.log.issues}
    assert "did you mean 'phone'" in messages["phone_nmber"]
    assert "read as the people column 'email'" in messages["e-mail"]


def test_a_foreign_spec_column_missing_from_the_file_names_the_nearest_header(tmp_path):
    header = "Candidate ID,Candidate Name,E-mail Adress\n"
    path = _people(tmp_path / "ats.csv", "c1,Ana Lopez,ana@example.com\n", header=header)
    _, log = _records(path, spec="ats_export")
    messages = {i.column: i.message for i in log.issues}
    assert "did you mean 'E-mail Adress'" in messages["Email Address"]


def test_utf16_people_file_is_read(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes((HEADER + GOOD + "p3,Zoë Ærø,,,,,,,,,\n").encode("utf-16"))
    frame, log = _records(path)
    assert frame["full_name"].tolist() == ["Kim Jong Un", "Pak, Chol", "Zoë Ærø"]
    assert not log.issues


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_bytes(b""), "the file is empty"),
    (lambda p: p.mkdir(), "is a directory"),
    (lambda p: p.symlink_to(p.name), "is a symbolic link loop"),
    (lambda p: p.symlink_to("gone.csv"), "is a broken symbolic link"),
])
def test_unusable_files_exit_2_with_one_line(tmp_path, capsys, make, message):
    folder = tmp_path / "in"
    folder.mkdir()
    make(folder / "people.csv")
    _people(folder / "payroll.csv", "", header="record_id,person_record_id\n")
    code = main(["build", "--input", str(folder), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("graphkit: error:") and message in err and err.count("\n") == 1


def test_unreadable_file_is_refused(tmp_path):
    path = _people(tmp_path / "people.csv", GOOD)
    path.chmod(0)
    try:
        path.read_bytes()
    except PermissionError:
        with pytest.raises(InputError, match=r"people\.csv: cannot read: Permission denied"):
            ingest([(path, load_spec("people"))])
    else:
        pytest.skip("running as a user who can read any file (root)")
    finally:
        path.chmod(0o644)


def test_a_million_column_header_is_refused_fast(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("record_id," + ",".join(f"c{i}" for i in range(1_000_000)) + "\np1\n")
    started = time.perf_counter()
    with pytest.raises(LimitError, match=r"the header has 1,000,001 columns \(limit "
                                         r"max_columns = 2,000\)"):
        ingest([(path, load_spec("people"))])
    assert time.perf_counter() - started < 30  # was 291 s and 3.5 GB
    path.write_text("record_id," + ",".join(f"c{i}" for i in range(1_999)) + "\np1"
                    + "," * 1_999 + "\n")
    data = ingest([(path, load_spec("people"))])  # 2,000 columns: within the limit
    assert len(data.records[Layout.PEOPLE]) == 1


def test_field_and_line_limits_come_from_settings(tmp_path):
    long_line = "p4," + "B" * 200_000 + ",,,,,,,,,\n"
    body = GOOD + "p3,Ana Lopez Garcia,,,,,,,,,\n" + long_line + "p5,Bo Chen,,,,,,,,,\n"
    frame, log = _records(_people(tmp_path / "people.csv", body),
                          settings=Settings(max_field_chars=12))
    assert frame["record_id"].tolist() == ["p1", "p2", "p3", "p5"]
    assert frame["full_name"].tolist()[2] == ""  # 17 characters > 12: dropped, row kept
    assert [(i.level, i.line) for i in log.issues if i.level == "error"] == [("error", 5)]
    assert any("longer than 12,000 characters" in i.message for i in log.issues)


def test_gzip_data_file_is_read_and_a_bomb_refused(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(gzip.compress((HEADER + GOOD).encode()))
    frame, _ = _records(path)
    assert frame["record_id"].tolist() == ["p1", "p2"]
    path.write_bytes(gzip.compress((HEADER + GOOD).encode() + b" " * 5_000_000))
    with pytest.raises(LimitError, match="max_decompressed_bytes"):
        _records(path, settings=Settings(max_decompressed_bytes=1_000_000))


def _both_paths(path: Path, monkeypatch) -> tuple:
    fast, fast_log = _records(path)
    monkeypatch.setattr(core, "is_clean", lambda *a, **k: False)
    slow, slow_log = _records(path)
    monkeypatch.undo()
    return fast, slow, [str(i) for i in fast_log.issues], [str(i) for i in slow_log.issues]


def test_arrow_and_csv_module_paths_agree_on_ragged_rows(tmp_path, monkeypatch):
    body = (GOOD + "p3,Ana,,,,,,,,,,,\n" + "p4,too,many,fields,here,x,y,z,w,v,u,t\n"
            + 'p5,"Lee, Min",,,,"1 ""Main"" St",,,,,\n' + "p6,short\n" + "p7,Bo,,,,,,,,,\n")
    path = _people(tmp_path / "people.csv", body)
    fast, slow, fast_issues, slow_issues = _both_paths(path, monkeypatch)
    assert fast.equals(slow)
    assert fast["record_id"].tolist() == ["p1", "p2", "p3", "p5", "p7"]
    assert fast["line"].tolist() == [2, 3, 4, 6, 8]
    assert fast["street"].tolist()[3] == '1 "Main" St'
    assert sorted(fast_issues) == sorted(slow_issues)
    assert len(fast_issues) == 2


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.text(alphabet=st.characters(codec="utf-8",
                                                        exclude_categories=("Cs",)),
                                 max_size=12), min_size=1, max_size=13),
                min_size=1, max_size=12))
def test_arrow_and_csv_module_paths_agree(tmp_path_factory, rows):
    """Any file: whichever path reads it, the same records and issues come out."""
    path = tmp_path_factory.mktemp("prop") / "people.csv"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER.strip().split(","))
    writer.writerows([[f"r{i}", *row] for i, row in enumerate(rows)])
    path.write_text(out.getvalue(), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        fast, fast_log = _records(path)
        mp.setattr(core, "is_clean", lambda *a, **k: False)
        slow, slow_log = _records(path)
    assert fast.equals(slow)
    assert sorted(map(str, fast_log.issues)) == sorted(map(str, slow_log.issues))


@pytest.mark.parametrize("text", ["record_id,full_name", "record_id,full_name\n",
                                  "record_id,full_name\r\n\r\n"])
def test_a_file_with_only_its_header_loads_no_rows(tmp_path, text):
    path = tmp_path / "people.csv"
    path.write_text(text, newline="")
    frame, log = _records(path)
    assert frame.empty and list(frame.columns) == record_columns(Layout.PEOPLE)
    assert not log.issues
