"""Nightly-rebuild benchmark: what ``build --previous`` adds to a build, and what
``graphkit diff`` costs, on a generated world.

The world is written with ``graphkit demo-data``, built once, then changed as a night's
data would be (``--change`` of the people records removed, as many new ones appended
with new ids, names and contacts), and built again with ``--previous``. Printed: wall
seconds and peak RSS of both builds (child processes, ``os.wait4``), the seconds of a
separate ``graphkit diff`` of the two folders, the headline counts, and whether every ring
untouched by the change kept its id.

    python bench/nightly_diff.py --people 100000 [--change 0.01] [--work DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _run(args: list[str]) -> tuple[float, float]:
    """Run ``graphkit ARGS`` in a child; its wall seconds and peak RSS in MiB."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "graphkit", *args])
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"graphkit {' '.join(args)} failed ({status})")
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def _change_people(path: Path, share: float, seed: int) -> tuple[int, int]:
    """Remove ``share`` of the person records and append as many new ones."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    fields = list(rows[0])
    rng = random.Random(seed)
    n = max(1, int(len(rows) * share))
    gone = set(rng.sample(range(len(rows)), n))
    kept = [r for i, r in enumerate(rows) if i not in gone]
    fresh = []
    for k, base in enumerate(rng.sample(kept, n)):
        fresh.append(dict(base, record_id=f"PN{k:07d}", first_name=f"Newname{k}",
                          last_name=f"Nightly{k}", full_name="", email=f"new{k}@example.org",
                          phone=f"+1 555 {k:07d}", national_id="", passport="",
                          device_id=f"DEVNEW{k:07d}", street=f"{k} Nightly Road",
                          ip=f"198.51.{k // 250 % 250}.{k % 250}"))
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(kept + fresh)
    return n, n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--change", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", help="folder to work in (default: a temporary one)")
    args = parser.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="nightly-bench-"))
    data, old, new = work / "data", work / "old", work / "new"
    _run(["demo-data", str(data), "--people", str(args.people), "--seed", str(args.seed)])
    t_old, rss_old = _run(["build", "--input", str(data), "--out", str(old), "--quiet"])
    removed, added = _change_people(data / "people.csv", args.change, args.seed)
    t_new, rss_new = _run(["build", "--input", str(data), "--out", str(new), "--quiet",
                           "--previous", str(old)])
    t_diff, rss_diff = _run(["diff", str(old), str(new), "--out", str(work / "diff")])
    changes = json.loads((new / "changes.json").read_text(encoding="utf-8"))
    old_rings = json.loads((old / "rings.json").read_text(encoding="utf-8"))
    new_rings = {r["ring_id"]: r for r in
                 json.loads((new / "rings.json").read_text(encoding="utf-8"))}
    touched = {i for row in changes["changes"] for i in
               [row["ring_id"], *str(row["old_ids"]).split(";")] if i}
    same = [r for r in old_rings if r["ring_id"] not in touched]
    kept = sum(1 for r in same if r["ring_id"] in new_rings
               and len(new_rings[r["ring_id"]]["members"]) == len(r["members"]))
    print(f"people {args.people:,}; {removed:,} person records removed, {added:,} added")
    print(f"build:            {t_old:7.1f}s, peak {rss_old:,.0f} MiB")
    print(f"build --previous: {t_new:7.1f}s, peak {rss_new:,.0f} MiB")
    print(f"graphkit diff:    {t_diff:7.1f}s, peak {rss_diff:,.0f} MiB")
    print("counts: " + ", ".join(f"{k} {v}" for k, v in changes["counts"].items() if v))
    print(f"rings named in no change that kept their id and size: {kept:,} of {len(same):,}")


if __name__ == "__main__":
    main()
