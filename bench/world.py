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

from graphkit.demo import CITIES, DOMAINS, FIRST, LAST, ROUTING, STREETS
from graphkit.schema import NATIVE_COLUMNS, Layout

EMPLOYER = ("C0001", "Northwind Analytics Inc.", "DE-5521907", "US",
            "500 Market Street Suite 1200", "San Francisco", "94105")


def _pick(rng: np.random.Generator, values, n: int) -> np.ndarray:
    return np.asarray(values, dtype=object)[rng.integers(0, len(values), n)]


def _digits(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    return pd.Series(rng.integers(0, 10 ** width, n)).astype(str).str.zfill(width).to_numpy()


def _write(frame: pd.DataFrame, path: Path, layout: Layout) -> int:
    frame = frame.reindex(columns=list(NATIVE_COLUMNS[layout]), fill_value="")
    frame.to_csv(path, index=False)
    return len(frame)


def write_world(out_dir: str | Path, people: int, seed: int = 7) -> dict[str, int]:
    """Write people.csv, payroll.csv, shipments.csv, logins.csv and companies.csv for
    ``people`` people; returns the rows written per file."""
    rng = np.random.default_rng(seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
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
    counts = {"people.csv": _write(pd.concat([frame, extra], ignore_index=True),
                                   out / "people.csv", Layout.PEOPLE)}
    pay_person = np.repeat(pid, 3)
    months = np.tile(np.array(["2026-01-28", "2026-02-27", "2026-03-28"], dtype=object), n)
    counts["payroll.csv"] = _write(pd.DataFrame({
        "record_id": pd.Series(np.arange(3 * n)).map("PAY{:08d}".format).to_numpy(),
        "person_record_id": record[pay_person], "payer": EMPLOYER[1],
        "payee_name": (pd.Series(first[pay_person]) + " " + pd.Series(last[pay_person])
                       ).to_numpy(),
        "bank_name": "Chase", "routing_number": _pick(rng, ROUTING, n)[pay_person],
        "account_number": account[pay_person],
        "amount": pd.Series(rng.integers(4000, 12000, 3 * n)).astype(str).to_numpy() + ".00",
        "currency": "USD", "paid_at": months}), out / "payroll.csv", Layout.PAYROLL)
    farm = member & (pid != ring)  # ring members' laptops go to the ring leader's home
    ship_street, ship_city = street.copy(), cities.copy()
    ship_region, ship_zip = regions.copy(), zips.copy()
    for column, source in ((ship_street, street), (ship_city, cities),
                           (ship_region, regions), (ship_zip, zips)):
        column[farm] = source[ring[farm]]
    counts["shipments.csv"] = _write(pd.DataFrame({
        "record_id": pd.Series(pid).map("S{:07d}".format).to_numpy(),
        "person_record_id": record, "street": ship_street, "city": ship_city,
        "region": ship_region, "postcode": ship_zip, "country": "US",
        "asset_tag": pd.Series(pid).map("NW-LT-{:07d}".format).to_numpy(),
        "shipped_at": "2025-11-03"}), out / "shipments.csv", Layout.SHIPMENTS)
    logins = rng.random(n) < 0.6
    who = np.r_[pid, pid[logins]]
    counts["logins.csv"] = _write(pd.DataFrame({
        "record_id": pd.Series(np.arange(len(who))).map("L{:08d}".format).to_numpy(),
        "person_record_id": record[who], "ip": home_ip[who], "device_id": device[who],
        "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5)",
        "vpn": np.where(member[who], "true", "false"), "at": "2026-02-14T03:12:00"}),
        out / "logins.csv", Layout.LOGINS)
    counts["companies.csv"] = _write(pd.DataFrame([dict(zip(
        ("record_id", "name", "registration_number", "country", "street", "city",
         "postcode"), EMPLOYER))]), out / "companies.csv", Layout.COMPANIES)
    return counts


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
