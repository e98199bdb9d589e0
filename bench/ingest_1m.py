"""Ingest benchmark: a world of N people in all five native layouts, timed end to end.

Writes (once, kept in ``--dir``) a world of ``--people`` people with a fast column-wise
generator: per person ~1.05 people rows (some duplicate records), 3 payroll rows,
1 shipment and ~1.6 logins, plus companies; shared addresses, IPs and accounts in a small
share of rows, a few non-ASCII names, quoted addresses with commas. Then, each in its own
child process (wall time and peak RSS of that process):

- peer: Arrow's CSV reader merely parsing every file (all columns as strings);
- ``ingest()`` on the native project of the folder (headline: rows/s, peak RSS);
- with ``--per-file``: read and identifier extraction per file (rows/s per layout);
- with ``--graphkit-src DIR``: the same ``ingest()`` run with another graphkit source tree
  on ``PYTHONPATH`` (e.g. a checkout of the previous version), for before/after figures.

    python bench/ingest_1m.py --people 1000000 --dir /tmp/world1m [--per-file]
        [--graphkit-src ../other-checkout]

Run 1M-people worlds under the machine's shared lock for big runs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

FIRST = np.array(
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Lisa Matthew Nancy Priya "
    "Rahul Anjali Vikram Wei Jing Li Hao Mei Carlos Maria Jose Sofia Luis Ana Minji Jisoo "
    "Hyunwoo Seojun Olga Dmitri Ivan Natalia Fatima Omar Aisha Kwame Ama Yuki Hiroshi Grace "
    "Ethan Olivia Noah Emma Liam Ava Lucas Mia José Zoë Björn Łukasz".split())
LAST = np.array(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White "
    "Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres "
    "Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Kim Park "
    "Choi Chen Wang Zhang Liu Patel Shah Singh Kumar Ivanov Petrov Novak Kowalski Okafor "
    "Mensah Tanaka Sato Cohen Murphy O'Brien Schmidt Müller Rossi".split())
STREETS = np.array(
    "Oak Street|Maple Avenue|Cedar Lane|Pine Road|Elm Drive|Washington Boulevard|Lakeview Court|"
    "Hillcrest Drive|Sunset Boulevard|Park Place|River Road|Highland Avenue|Meadow Lane|"
    "Forest Drive|Church Street|Willow Way|Spring Street|Ridge Road|Valley View Drive".split("|"))
CITIES = np.array([
    ("Austin", "TX", "787"), ("Denver", "CO", "802"), ("Seattle", "WA", "981"),
    ("Portland", "OR", "972"), ("Chicago", "IL", "606"), ("Atlanta", "GA", "303"),
    ("Phoenix", "AZ", "850"), ("Columbus", "OH", "432"), ("Raleigh", "NC", "276"),
    ("Boston", "MA", "021"), ("Minneapolis", "MN", "554"), ("Tampa", "FL", "336"),
    ("San Diego", "CA", "921"), ("Pittsburgh", "PA", "152"), ("Salt Lake City", "UT", "841")])
DOMAINS = np.array(["gmail.com", "yahoo.com", "outlook.com", "icloud.com", "proton.me"])
ROUTING = np.array(["021000021", "026009593", "121000248", "111000025", "322271627"])
AGENTS = np.array(["Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5)",
                   "Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "Mozilla/5.0 (X11; Linux x86_64)"])
OFFICE = ("500 Market Street, Suite 1200", "San Francisco", "CA", "94105", "US")


def _s(values) -> pd.Series:
    return pd.Series(values, dtype="str")


def _num(values: np.ndarray, width: int = 0) -> pd.Series:
    text = _s(values.astype(np.int64).astype(str))
    return text.str.zfill(width) if width else text


def _ids(prefix: str, n: int, width: int) -> pd.Series:
    return prefix + _num(np.arange(1, n + 1), width)


def _dates(rng: np.random.Generator, n: int, start: str, days: int) -> pd.Series:
    base = np.datetime64(start) + rng.integers(0, days, n).astype("timedelta64[D]")
    return _s(np.datetime_as_string(base, unit="D"))


def _write(frame: pd.DataFrame, path: Path) -> None:
    """CSV as a spreadsheet exports it: quotes only around fields that need them."""
    cols = []
    for name in frame.columns:
        values = frame[name].astype("str")
        need = values.str.contains('[,"\n\r]', regex=True)
        if need.any():
            values = values.where(~need, '"' + values.str.replace('"', '""') + '"')
        cols.append(values)
    lines = cols[0].str.cat(cols[1:], sep=",")
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(frame.columns) + "\n")
        for start in range(0, len(lines), 200_000):
            handle.write("\n".join(lines.iloc[start:start + 200_000].tolist()) + "\n")


def write_world(folder: Path, n: int, seed: int = 1) -> dict[str, int]:
    """Native files of ``n`` people (see the module docstring); rows written per file."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    # persons, then their people records (5% have a second, duplicate record)
    first, last = FIRST[rng.integers(0, len(FIRST), n)], LAST[rng.integers(0, len(LAST), n)]
    city = CITIES[rng.integers(0, len(CITIES), n)]
    street = (_num(rng.integers(1, 9999, n)) + " " + _s(STREETS[rng.integers(0, 19, n)])
              + pd.Series(np.where(rng.random(n) < 0.2, " Apt " + _num(rng.integers(1, 40, n)),
                                   ""), dtype="str"))
    home = rng.random(n) < 0.08  # households: the address of an earlier person
    donor = (rng.random(n) * np.arange(n)).astype(np.int64)
    street = street.where(~home, street.iloc[donor].to_numpy())
    ip = (_num(rng.integers(11, 223, n)) + "." + _num(rng.integers(0, 256, n)) + "."
          + _num(rng.integers(0, 256, n)) + "." + _num(rng.integers(1, 255, n)))
    ip = ip.where(~home, ip.iloc[donor].to_numpy())
    device = "C02" + _num(rng.integers(0, 10**9, n), 9)
    account = _num(rng.integers(10**8, 10**10, n))
    routing = _s(ROUTING[rng.integers(0, len(ROUTING), n)])
    split_name = rng.random(n) < 0.7
    full = _s(first) + " " + _s(last)
    email = (_s(first).str.lower() + "." + _s(last).str.lower().str.replace("'", "")
             + _num(np.arange(n)) + "@" + _s(DOMAINS[rng.integers(0, 5, n)]))
    area, mid, end = rng.integers(201, 989, n), rng.integers(200, 999, n), rng.integers(0, 9999, n)
    style = rng.integers(0, 3, n)
    phone = pd.Series(np.select(
        [style == 0, style == 1],
        ["+1 " + _num(area) + " " + _num(mid) + " " + _num(end, 4),
         "(" + _num(area) + ") " + _num(mid) + "-" + _num(end, 4)],
        _num(area) + "." + _num(mid) + "." + _num(end, 4)), dtype="str")
    dup = np.flatnonzero(rng.random(n) < 0.05)
    rows = np.concatenate([np.arange(n), dup])
    m = len(rows)
    people = pd.DataFrame({
        "record_id": _ids("P", m, 8),
        "role": _s(np.array(["employee", "contractor", "applicant"])[rng.integers(0, 3, m)]),
        "first_name": _s(np.where(split_name, first, ""))[rows].to_numpy(),
        "middle_name": "",
        "last_name": _s(np.where(split_name, last, ""))[rows].to_numpy(),
        "full_name": _s(np.where(split_name, "", full))[rows].to_numpy(),
        "dob": _dates(rng, n, "1960-01-01", 16000)[rows].to_numpy(),
        "email": email[rows].to_numpy(), "phone": phone[rows].to_numpy(),
        "street": street[rows].to_numpy(), "city": city[rows, 0], "region": city[rows, 1],
        "postcode": (_s(city[:, 2]) + _num(rng.integers(0, 100, n), 2))[rows].to_numpy(),
        "country": "US",
        "national_id": (_num(rng.integers(100, 899, n)) + "-" + _num(rng.integers(10, 99, n))
                        + "-" + _num(rng.integers(1000, 9999, n)))[rows].to_numpy(),
        "passport": _s(np.where(rng.random(n) < 0.1, _num(rng.integers(10**8, 10**9, n)),
                                ""))[rows].to_numpy(),
        "ip": ip[rows].to_numpy(), "device_id": device[rows].to_numpy(),
        "source": _s(np.where(np.arange(m) < n, "hris", "ats")),
    })
    _write(people, folder / "people.csv")
    pid = people["record_id"].iloc[:n].to_numpy()
    # payroll: three payments per person
    who = np.repeat(np.arange(n), 3)
    k = len(who)
    payroll = pd.DataFrame({
        "record_id": _ids("PAY", k, 9), "person_record_id": pid[who],
        "payer": "Northwind Analytics Inc.", "payee_name": full[who].to_numpy(),
        "bank_name": "Chase", "routing_number": routing[who].to_numpy(),
        "account_number": account[who].to_numpy(), "iban": "",
        "payment_handle": _s(np.where(rng.random(k) < 0.02, "@" + _s(first[who]).str.lower()
                                      + _num(who), "")),
        "wallet": "", "amount": _num(rng.integers(3000, 12000, k)) + ".00", "currency": "USD",
        "paid_at": _s(np.array(["2026-01-28", "2026-02-27", "2026-03-30"])[np.arange(k) % 3]),
    })
    _write(payroll, folder / "payroll.csv")
    # shipments: one per person, 3% to the office
    office = rng.random(n) < 0.03
    shipments = pd.DataFrame({
        "record_id": _ids("S", n, 8), "person_record_id": pid,
        "street": street.where(~office, OFFICE[0]), "city": np.where(office, OFFICE[1], city[:, 0]),
        "region": np.where(office, OFFICE[2], city[:, 1]),
        "postcode": people["postcode"].iloc[:n].where(~office, OFFICE[3]).to_numpy(),
        "country": "US", "asset_tag": "NW-LT-" + _num(np.arange(n), 7),
        "shipped_at": _dates(rng, n, "2024-01-01", 700),
    })
    _write(shipments, folder / "shipments.csv")
    # logins: ~1.6 per person, from home or the office
    who = np.concatenate([np.arange(n), np.flatnonzero(rng.random(n) < 0.6)])
    k = len(who)
    at_office = rng.random(k) < 0.2
    minutes = rng.integers(0, 90 * 24 * 60, k).astype("timedelta64[m]")
    logins = pd.DataFrame({
        "record_id": _ids("L", k, 8), "person_record_id": pid[who],
        "ip": np.where(at_office, "198.51.100.7", ip[who].to_numpy()),
        "device_id": device[who].to_numpy(), "user_agent": AGENTS[rng.integers(0, 3, k)],
        "vpn": np.where(rng.random(k) < 0.05, "true", "false"),
        "at": np.datetime_as_string(np.datetime64("2026-01-01T00:00") + minutes, unit="s"),
    })
    _write(logins, folder / "logins.csv")
    companies = pd.DataFrame({
        "record_id": ["C0001", "C0002"], "name": ["Northwind Analytics Inc.", "Bright Staffing"],
        "registration_number": ["DE-5521907", "IL-2290175"], "country": ["US", "US"],
        "street": [OFFICE[0], "233 South Wacker Drive"], "city": ["San Francisco", "Chicago"],
        "postcode": ["94105", "60606"], "directors": ["", ""], "email": ["", ""],
        "phone": ["", ""], "website": ["", ""], "account_number": ["", ""], "iban": ["", ""]})
    _write(companies, folder / "companies.csv")
    return {"people": m, "payroll": len(payroll), "shipments": n, "logins": k, "companies": 2}


# --- child processes -------------------------------------------------------------------

def _peak_mib() -> float:
    """Peak RSS of this process, MiB: VmHWM (Linux), which starts afresh at exec, unlike
    ru_maxrss, which a child inherits from the parent that forked it."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_peer(folder: Path) -> dict:
    """Arrow's CSV reader parsing every file, every column a string."""
    started, rows = time.perf_counter(), 0
    for path in sorted(folder.glob("*.csv")):
        header = path.open(encoding="utf-8").readline().strip().split(",")
        table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in header}))
        rows += table.num_rows
        del table
    return {"rows": rows, "seconds": time.perf_counter() - started, "peak_rss_mib": _peak_mib()}


def child_ingest(folder: Path, per_file: bool) -> dict:
    """``ingest()`` of the folder's native project (or read + extract per file)."""
    from graphkit.ingest.project import native_project
    from graphkit.issues import IssueLog

    project = native_project(folder)
    log = IssueLog()
    started = time.perf_counter()
    result: dict = {}
    if per_file:
        from graphkit.ingest import extract_identifiers, read_source

        keep = []
        for path, spec in project.sources:
            t0 = time.perf_counter()
            frame = read_source(path, spec, log)
            t1 = time.perf_counter()
            ids = extract_identifiers(frame, spec.identifiers, spec.layout, log)
            t2 = time.perf_counter()
            result[spec.layout.value] = {"rows": len(frame), "read_s": t1 - t0,
                                         "identifiers_s": t2 - t1, "identifiers": len(ids)}
            keep.append((frame, ids))
    else:
        from graphkit.ingest import ingest

        data = ingest(project.sources, log)
        result = {"rows": data.count(), "identifiers": len(data.identifiers)}
    result.update(seconds=time.perf_counter() - started, peak_rss_mib=_peak_mib(),
                  issues=len(log.issues))
    return result


def _run_child(mode: str, folder: Path, src: str | None = None) -> dict:
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = str(Path(src).resolve())
    started = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, "--child", mode, "--dir", str(folder)],
                         capture_output=True, text=True, env=env, check=False)
    if out.returncode:
        raise SystemExit(f"child {mode} failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["wall_s"] = time.perf_counter() - started
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--dir", required=True, help="world folder (written when empty)")
    parser.add_argument("--per-file", action="store_true", help="also time each layout")
    parser.add_argument("--graphkit-src", help="another graphkit source tree to compare")
    parser.add_argument("--child", choices=("peer", "ingest", "per-file"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    folder = Path(args.dir)
    if args.child:
        result = (child_peer(folder) if args.child == "peer"
                  else child_ingest(folder, args.child == "per-file"))
        print(json.dumps(result))
        return
    if not (folder / "people.csv").exists():
        started = time.perf_counter()
        counts = write_world(folder, args.people)
        print(f"wrote {sum(counts.values()):,} rows {counts} in "
              f"{time.perf_counter() - started:.1f}s", flush=True)
    size = sum(p.stat().st_size for p in folder.glob("*.csv")) / 2**20
    peer = _run_child("peer", folder)
    print(f"peer (Arrow CSV parse only): {peer['rows']:,} rows, {size:,.0f} MiB in "
          f"{peer['seconds']:.1f}s ({peer['rows'] / peer['seconds']:,.0f} rows/s), "
          f"peak RSS {peer['peak_rss_mib']:,.0f} MiB", flush=True)
    runs = [("this graphkit", None)]
    if args.graphkit_src:
        runs.append((f"graphkit at {args.graphkit_src}", args.graphkit_src))
    for label, src in runs:
        result = _run_child("ingest", folder, src)
        rows = sum(result["rows"].values())
        print(f"{label}: ingest() {rows:,} rows -> {result['identifiers']:,} identifiers in "
              f"{result['seconds']:.1f}s ({rows / result['seconds']:,.0f} rows/s; process "
              f"{result['wall_s']:.1f}s), peak RSS {result['peak_rss_mib']:,.0f} MiB, "
              f"{result['issues']:,} issues; {result['rows']}", flush=True)
    if args.per_file:
        result = _run_child("per-file", folder)
        for layout, r in result.items():
            if isinstance(r, dict):
                total = r["read_s"] + r["identifiers_s"]
                print(f"  {layout:<10} {r['rows']:>10,} rows: read {r['read_s']:6.1f}s, "
                      f"identifiers {r['identifiers_s']:6.1f}s "
                      f"({r['rows'] / max(total, 1e-9):,.0f} rows/s)")


if __name__ == "__main__":
    main()
