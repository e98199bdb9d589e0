"""A project with foreign-layout loader specs gives the same graph as the native files."""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

import yaml

from graphkit.ingest.project import load_project, native_project
from graphkit.pipeline import run_build

ATS_HEADER = ["Candidate ID", "Candidate Name", "Date of Birth (MM/DD/YYYY)", "Email Address",
              "Mobile", "Address Line 1", "Address Line 2", "City", "State", "ZIP", "Country",
              "SSN/National ID", "Passport No.", "Last Login IP", "Device Fingerprint",
              "Requisition", "Status"]
PAYROLL_HEADER = ["Check No", "Employee ID", "Employer", "Employee Name (Last, First)", "Bank",
                  "Bank Routing #", "Acct #", "IBAN", "Pay Platform Handle", "Crypto Wallet",
                  "Net Pay", "Currency", "Pay Date (DD.MM.YYYY)"]


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _us_date(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%m/%d/%Y") if iso else ""


def _to_foreign(native: Path, foreign: Path) -> None:
    foreign.mkdir()
    people = []
    for r in _rows(native / "people.csv"):
        name = r["full_name"] or " ".join(p for p in (r["first_name"], r["middle_name"],
                                                        r["last_name"]) if p)
        line1, _, line2 = r["street"].partition(" Apt ")
        people.append([r["record_id"], name, _us_date(r["dob"]), r["email"], r["phone"], line1,
                       f"Apt {line2}" if line2 else "", r["city"], r["region"], r["postcode"],
                       r["country"], r["national_id"], r["passport"], r["ip"], r["device_id"],
                       "REQ-7", "hired"])
    _write(foreign / "Candidates Export.csv", ATS_HEADER, people)
    pay = []
    for r in _rows(native / "payroll.csv"):
        first, _, last = r["payee_name"].rpartition(" ")
        paid = date.fromisoformat(r["paid_at"]).strftime("%d.%m.%Y")
        pay.append([r["record_id"], r["person_record_id"], r["payer"], f"{last}, {first}",
                    r["bank_name"], r["routing_number"], r["account_number"], r["iban"],
                    r["payment_handle"], r["wallet"], r["amount"], r["currency"], paid])
    _write(foreign / "payroll_2026Q1.csv", PAYROLL_HEADER, pay)
    for name in ("shipments.csv", "logins.csv", "companies.csv"):
        shutil.copy(native / name, foreign / name)
    project = {"name": "foreign", "sources": [
        {"file": "Candidates Export.csv", "loader": "ats_export"},
        {"file": "payroll_2026Q1.csv", "loader": "payroll_export"},
        {"file": "shipments.csv"}, {"file": "logins.csv"}, {"file": "companies.csv"}]}
    (foreign / "project.yml").write_text(yaml.safe_dump(project), encoding="utf-8")


def _shape(result) -> tuple[set, set]:
    g = result.graph
    nodes = {(n, a["label"], a.get("name", ""), a.get("value", "")) for n, a in g.nodes(data=True)}
    edges = {(s, d, k) for s, d, k in g.edges(keys=True)}
    return nodes, edges


def test_foreign_layout_project_gives_the_native_graph(demo_dir, demo_build, tmp_path):
    _to_foreign(demo_dir, tmp_path / "foreign")
    foreign = run_build(load_project(tmp_path / "foreign" / "project.yml"), show_progress=False)
    assert not foreign.data.log.issues
    native_nodes, native_edges = _shape(demo_build)
    foreign_nodes, foreign_edges = _shape(foreign)
    assert len(native_nodes) > 8_000  # families share a home, a phone, an account
    assert foreign_nodes == native_nodes
    assert foreign_edges == native_edges
    assert foreign.clusters.clusters["members"].tolist() == \
        demo_build.clusters.clusters["members"].tolist()
    people = foreign.data.records[next(iter(foreign.data.records))]
    assert set(people["source"]) == {"ats"}


def test_native_project_reads_what_the_demo_writes(demo_dir):
    project = native_project(demo_dir)
    assert [p.name for p, _ in project.sources] == [
        "people.csv", "payroll.csv", "shipments.csv", "logins.csv", "companies.csv"]
