"""Ingest benchmark: write an N-row people.csv (default 1,000,000) and time its ingest.

Prints wall time and peak memory (RSS of a child process) of ``graphkit ingest-bench``,
and, as the same-run peer, the time for Python's csv module merely to parse the file, so
the ratio says what graphkit's mapping, checks and normalisation cost on top of reading.

    python bench/ingest_1m.py [--rows 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from graphkit.demo import CITIES, DOMAINS, FIRST, LAST, STREETS
from graphkit.schema import NATIVE_COLUMNS, Layout


def write_people(path: Path, rows: int, seed: int = 1) -> None:
    """A realistic people.csv: shared addresses and phones in a small share of rows."""
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(NATIVE_COLUMNS[Layout.PEOPLE])
        for i in range(rows):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            city, state, zip3 = rng.choice(CITIES)
            writer.writerow([
                f"P{i:07d}", "employee", first, "", last, "",
                f"{rng.randint(1960, 2003)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                f"{first}.{last}{i}@{rng.choice(DOMAINS)}".lower().replace("'", ""),
                f"({rng.randint(201, 989)}) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}",
                f"{rng.randint(1, 9999)} {rng.choice(STREETS)}", city, state,
                f"{zip3}{rng.randint(0, 99):02d}", "US",
                f"{rng.randint(100, 899)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}",
                "", f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.1",
                f"C02{i:09d}", "hris",
            ])


def child_peak_mib() -> float:
    """Peak RSS of finished child processes, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", help="folder to write the file to (kept)")
    args = parser.parse_args()
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="gk-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "people.csv"
    started = time.perf_counter()
    write_people(path, args.rows)
    print(f"wrote {args.rows:,} rows ({path.stat().st_size / 2**20:.0f} MiB) "
          f"in {time.perf_counter() - started:.1f}s")

    started = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as handle:
        parsed = sum(1 for _ in csv.reader(handle))
    csv_seconds = time.perf_counter() - started
    print(f"peer: csv.reader parse only: {parsed - 1:,} rows in {csv_seconds:.1f}s")

    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "graphkit", "ingest-bench", str(path)],
                            capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    print(f"graphkit ingest (process): {seconds:.1f}s, peak RSS {child_peak_mib():,.0f} MiB; "
          f"{result.stdout.strip()}")
    print(f"ratio ingest / csv parse: {seconds / csv_seconds:.1f}x; "
          f"rows per second: {args.rows / seconds:,.0f}")


if __name__ == "__main__":
    main()
