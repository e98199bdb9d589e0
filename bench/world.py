"""A fast, vectorised writer of large generated worlds in graphkit's native files.

``graphkit demo-data`` builds rows one by one in Python (about 8 GB and many minutes at
a million people); this writes the same five files with numpy and pandas, in seconds per
million rows, for the scale benchmark. Per person: one people row (5% have a second,
differently sourced record with a name typo: duplicates for resolution), three payroll
rows, one shipment and one or two logins. Households (10% of people in pairs) share an
address and a home IP; rings of five (one per 2,000 people) share a bank account, a
device and a shipping address. Names, cities and streets come from the demo's lists.

    python bench/world.py OUT_DIR --people 1000000 [--seed 7]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from graphkit.schema import NATIVE_COLUMNS, Layout
from graphkit.world.base import CITIES, DOMAINS, FIRST, LAST, ROUTING, STREETS

EMPLOYER = ("C0001", "Northwind Analytics Inc.", "DE-5521907", "US",
            "500 Market Street Suite 1200", "San Francisco", "94105")


def _pick(rng: np.random.Generator, values, n: int) -> np.ndarray:
    return np.asarray(values, dtype=object)[rng.integers(0, len(values), n)]


def _digits(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    return pd.Series(rng.integers(0, 10 ** width, n)).astype(str).str.zfill(width).to_numpy()


def _native(frame: pd.DataFrame, layout: Layout) -> pd.DataFrame:
    return frame.reindex(columns=list(NATIVE_COLUMNS[layout]), fill_value="")


def write_world(out_dir: str | Path, people: int, seed: int = 7) -> dict[str, int]:
    """Write people.csv, payroll.csv, shipments.csv, logins.csv and companies.csv for
    ``people`` people; returns the rows written per file."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for layout, frame in world_frames(people, seed).items():
        frame.to_csv(out / f"{layout.value}.csv", index=False)
        counts[f"{layout.value}.csv"] = len(frame)
    return counts


def world_frames(people: int, seed: int = 7) -> dict[Layout, pd.DataFrame]:
    """The world's five native tables (all columns, strings)."""
    rng = np.random.default_rng(seed)
    n = people
    pid = np.arange(n)
    first, last = _pick(rng, FIRST, n), _pick(rng, LAST, n)
    city_i = rng.integers(0, len(CITIES), n)
    cities = np.array([c[0] for c in CITIES], dtype=object)[city_i]
    regions = np.array([c[1] for c in CITIES], dtype=object)[city_i]
    zips = np.array([c[2] for c in CITIES], dtype=object)[city_i] + _digits(rng, n, 2)
    street = pd.Series(rng.integers(1, 9999, n)).astype(str).to_numpy() + " " + \
        _pick(rng, STREETS, n)
    home_ip = (pd.Series(rng.integers(11, 223, n)).astype(str) + "." +
               pd.Series(rng.integers(0, 256, n)).astype(str) + "." +
               pd.Series(rng.integers(0, 256, n)).astype(str) + "." +
               pd.Series(rng.integers(1, 255, n)).astype(str)).to_numpy()
    # households: person 2k+1 lives with person 2k for 10% of pairs
    partner = (pid % 2 == 1) & (rng.random(n) < 0.2)
    for column in (street, cities, regions, zips, home_ip):
        column[partner] = column[pid[partner] - 1]
    dob = pd.to_datetime("1960-01-01") + pd.to_timedelta(rng.integers(0, 15000, n), unit="D")
    dob = dob.strftime("%Y-%m-%d").to_numpy()
    email = (pd.Series(first).str.lower() + "." + pd.Series(last).str.lower().str.replace(
        "'", "") + pd.Series(pid).astype(str) + "@" + pd.Series(_pick(rng, DOMAINS, n))
             ).to_numpy()
    phone = ("(" + pd.Series(rng.integers(201, 989, n)).astype(str) + ") " +
             pd.Series(rng.integers(200, 999, n)).astype(str) + "-" +
             pd.Series(_digits(rng, n, 4))).to_numpy()
    ssn = (pd.Series(rng.integers(100, 899, n)).astype(str) + "-" +
           pd.Series(rng.integers(10, 99, n)).astype(str) + "-" +
           pd.Series(_digits(rng, n, 4))).to_numpy()
    device = "C02" + pd.Series(_digits(rng, n, 9)).to_numpy()
    account = _digits(rng, n, 10)
    ring = (pid // 2000) * 2000 + 7  # one ring of five per 2,000 people
    member = (pid >= ring) & (pid < ring + 5) & (ring + 5 <= n)
    device[member] = device[ring[member]]
    account[member] = account[ring[member]]
    record = pd.Series(pid).map("P{:07d}".format).to_numpy()
    frame = pd.DataFrame({
        "record_id": record, "role": "employee", "first_name": first, "last_name": last,
        "dob": dob, "email": email, "phone": phone, "street": street, "city": cities,
        "region": regions, "postcode": zips, "country": "US", "national_id": ssn,
        "ip": home_ip, "device_id": device, "source": "hris"})
    dup = rng.random(n) < 0.05
    extra = frame[dup].copy()
    extra["record_id"] = extra["record_id"] + "D"
    extra["source"] = "ats"
    extra["role"] = "applicant"
    extra["first_name"] = extra["first_name"].str[:-1] + extra["first_name"].str[-1:].str.upper()
    frames = {Layout.PEOPLE: _native(pd.concat([frame, extra], ignore_index=True),
                                     Layout.PEOPLE)}
    pay_person = np.repeat(pid, 3)
    months = np.tile(np.array(["2026-01-28", "2026-02-27", "2026-03-28"], dtype=object), n)
    frames[Layout.PAYROLL] = _native(pd.DataFrame({
        "record_id": pd.Series(np.arange(3 * n)).map("PAY{:08d}".format).to_numpy(),
        "person_record_id": record[pay_person], "payer": EMPLOYER[1],
        "payee_name": (pd.Series(first[pay_person]) + " " + pd.Series(last[pay_person])
                       ).to_numpy(),
        "bank_name": "Chase", "routing_number": _pick(rng, ROUTING, n)[pay_person],
        "account_number": account[pay_person],
        "amount": pd.Series(rng.integers(4000, 12000, 3 * n)).astype(str).to_numpy() + ".00",
        "currency": "USD", "paid_at": months}), Layout.PAYROLL)
    farm = member & (pid != ring)  # ring members' laptops go to the ring leader's home
    ship_street, ship_city = street.copy(), cities.copy()
    ship_region, ship_zip = regions.copy(), zips.copy()
    for column, source in ((ship_street, street), (ship_city, cities),
                           (ship_region, regions), (ship_zip, zips)):
        column[farm] = source[ring[farm]]
    frames[Layout.SHIPMENTS] = _native(pd.DataFrame({
        "record_id": pd.Series(pid).map("S{:07d}".format).to_numpy(),
        "person_record_id": record, "street": ship_street, "city": ship_city,
        "region": ship_region, "postcode": ship_zip, "country": "US",
        "asset_tag": pd.Series(pid).map("NW-LT-{:07d}".format).to_numpy(),
        "shipped_at": "2025-11-03"}), Layout.SHIPMENTS)
    logins = rng.random(n) < 0.6
    who = np.r_[pid, pid[logins]]
    frames[Layout.LOGINS] = _native(pd.DataFrame({
        "record_id": pd.Series(np.arange(len(who))).map("L{:08d}".format).to_numpy(),
        "person_record_id": record[who], "ip": home_ip[who], "device_id": device[who],
        "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5)",
        "vpn": np.where(member[who], "true", "false"), "at": "2026-02-14T03:12:00"}),
        Layout.LOGINS)
    frames[Layout.COMPANIES] = _native(pd.DataFrame([dict(zip(
        ("record_id", "name", "registration_number", "country", "street", "city",
         "postcode"), EMPLOYER))]), Layout.COMPANIES)
    return frames


#: Identifier kinds each native column feeds, as ingest extracts them.
_ID_COLUMNS = {
    Layout.PEOPLE: (("email", "email"), ("phone", "phone"), ("national_id", "national_id"),
                    ("ip", "ip"), ("device_id", "device"), ("street", "address")),
    Layout.PAYROLL: (("account_number", "bank_account"),),
    Layout.SHIPMENTS: (("street", "ship_address"),),
    Layout.LOGINS: (("ip", "ip"), ("device_id", "device")),
}


def ingested_world(people: int, seed: int = 7):
    """The world as ``graphkit.ingest.Ingested`` without reading files: the records
    (with provenance columns) and identifiers with simply normalised values (lower
    case; address = street|city|region|postcode|us), for measuring the stages after
    ingest at sizes where ingest is not the question."""
    from graphkit.ingest import Ingested
    from graphkit.schema import PROVENANCE_COLUMNS

    frames = world_frames(people, seed)
    records, ids = {}, []
    for layout, frame in frames.items():
        frame = frame.copy()
        frame["source_name"], frame["file"] = layout.value, f"{layout.value}.csv"
        frame["line"] = np.arange(2, len(frame) + 2)
        records[layout] = frame[[*NATIVE_COLUMNS[layout], *PROVENANCE_COLUMNS]]
        for column, kind in _ID_COLUMNS.get(layout, ()):
            raw = frame[column]
            if kind in ("address", "ship_address"):
                value = (frame["street"].str.lower() + "|" + frame["city"].str.lower() + "|" +
                         frame["region"].str.lower() + "|" + frame["postcode"] + "|us")
            elif kind == "bank_account":
                value = frame["routing_number"] + ":" + raw
            elif kind == "national_id":
                value = "nid:" + raw.str.replace("-", "")
            else:
                value = raw.str.lower()
            keep = (raw != "").to_numpy()
            ids.append(pd.DataFrame({"layout": layout.value,
                                     "record_id": frame["record_id"].to_numpy()[keep],
                                     "kind": kind, "value": value.to_numpy()[keep],
                                     "raw": raw.to_numpy()[keep], "column": column}))
    return Ingested(records=records, identifiers=pd.concat(ids, ignore_index=True))


def resolved_by_identity(data):
    """Resolutions of the world's people and companies: records sharing a national id
    are one person (the generator's duplicates), vectorised; companies one each."""
    from graphkit.resolve import Resolution
    from graphkit.resolve.exact import ENTITY_COLUMNS, PAIR_COLUMNS

    people = data.records[Layout.PEOPLE]
    code, _ = pd.factorize(people["national_id"])
    first = pd.Series(people["record_id"].to_numpy()).groupby(code).transform("first")
    entities = pd.DataFrame({"record_id": people["record_id"].to_numpy(),
                             "entity_id": ("person:" + first).to_numpy(), "score": 1.0,
                             "evidence": "exact national_id"}, columns=list(ENTITY_COLUMNS))
    companies = data.records[Layout.COMPANIES]
    company_entities = pd.DataFrame({"record_id": companies["record_id"].to_numpy(),
                                     "entity_id": ("company:" + companies["record_id"]
                                                   ).to_numpy(), "score": 1.0,
                                     "evidence": "single record"})
    empty = pd.DataFrame(columns=list(PAIR_COLUMNS))
    return Resolution(entities, empty), Resolution(company_entities, empty.copy())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir")
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    started = time.perf_counter()
    counts = write_world(args.out_dir, args.people, args.seed)
    for name, rows in counts.items():
        print(f"{name}: {rows:,} rows")
    print(f"written in {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
