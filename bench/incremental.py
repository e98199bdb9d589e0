"""Incremental benchmark: ``graphkit build --previous`` against a full rebuild.

Makes a world (``graphkit demo-data``, as ``bench/scale.py``), builds it once (the
"previous" build), applies a night's changes to ``people.csv`` (by default 1% of records:
a third of them edited, new near-copies and bridging records, and a few removed), then on
the changed inputs runs a full build and an incremental build (``--previous``), each in a
child process. Prints both builds' wall time, peak RSS and stage seconds, what the
incremental build reused, the ratio of the two times, and whether the outputs are equal
(entities, merge pairs, hits, clusters, rings, nodes and relationships).

    nice -n 10 python bench/incremental.py --people 100000 [--change 0.01] [--work DIR]
        [--night people|append|none] [--floor]

``--floor`` then measures, in the same run, the floor any ``--previous`` build must pay
while its folder stays complete and its rings equal a full rebuild's
(``bench/incremental_floor.py``: start and imports, hashing the inputs, reading the
changed input and the previous state, writing every output file, the diff, the
manifest's hashes, clusters and rings on the whole graph), part by part, each as a share
of the full rebuild.

``--night append`` also appends ``--change`` of rows to payroll, logins and shipments
(for new and existing people), as the history exports grow each night. ``--night none``
changes nothing: the incremental build then costs the least any ``--previous`` build
can cost with today's outputs (the floor), stage by stage.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from incremental_floor import floor_lines  # noqa: E402
from scale import world  # noqa: E402

#: Output files that must be equal between the full and the incremental build.
COMPARED = ("entities.csv", "sanctions_hits.csv", "clusters.csv", "rings.csv", "rings.json",
            "nodes.parquet", "relationships.parquet", "review_pairs.csv")


def change_people(folder: Path, seed: int, share: float = 0.02, tag: str = ""
                  ) -> dict[str, int]:
    """Edit ``people.csv`` in place the way a night's data changes, ``share`` of records
    per kind of change: edited records (a new email, a changed date of birth that may
    split an entity, a new surname), new records (near-copies that may join an entity,
    and bridges carrying one person's name and another's contacts, that may join two),
    and three removed (``tag`` goes into the new record ids, for a second night).
    Returns the counts."""
    path = folder / "people.csv"
    people = pd.read_csv(path, dtype=str, keep_default_na=False)
    rng = np.random.default_rng(seed)
    n = len(people)
    k = max(3, int(n * share))
    edit = rng.choice(n, 3 * k, replace=False)
    a, b, c = edit[:k], edit[k:2 * k], edit[2 * k:]
    people.loc[a, "email"] = "changed." + people.loc[a, "email"]
    people.loc[b, "dob"] = "1970-01-0" + pd.Series(rng.integers(1, 9, k)).astype(str).values
    people.loc[c, "last_name"] = people.loc[c, "last_name"] + "son"
    copies = people.iloc[rng.choice(n, k, replace=False)].copy()
    copies["record_id"] = [f"NEW{tag}{i:05d}" for i in range(k)]
    copies["first_name"] = copies["first_name"].str[:-1]
    left, right = rng.choice(n, k, replace=False), rng.choice(n, k, replace=False)
    bridges = people.iloc[left].copy()
    for column in ("email", "phone", "street", "postcode"):
        bridges[column] = people.iloc[right][column].to_numpy()
    bridges["record_id"] = [f"BRIDGE{tag}{i:05d}" for i in range(k)]
    removed = rng.choice(np.setdiff1d(np.arange(n), edit), 3, replace=False)
    people = pd.concat([people.drop(index=removed), copies, bridges], ignore_index=True)
    people.to_csv(path, index=False)
    return {"edited": 3 * k, "added": 2 * k, "removed": 3}


#: The history files a night appends to, with each one's id and time columns.
HISTORY = {"payroll.csv": ("PAY", "paid_at"), "logins.csv": ("LOG", "at"),
           "shipments.csv": ("SHIP", "shipped_at")}


def append_history(folder: Path, seed: int, share: float = 0.01, tag: str = "",
                   new_people: list[str] | None = None) -> dict[str, int]:
    """Append a night's rows to the history files (:data:`HISTORY`), ``share`` of each
    file's rows: copies of existing rows with new record ids and a later date, half of
    them for existing people, half for ``new_people`` (record ids of people added this
    night; all for existing people when none). The files are appended to, never
    rewritten, as exports that only grow. Returns rows appended per file."""
    rng = np.random.default_rng(seed + 1)
    counts = {}
    for name, (prefix, when) in HISTORY.items():
        path = folder / name
        if not path.exists():
            continue
        rows = pd.read_csv(path, dtype=str, keep_default_na=False)
        k = max(3, int(len(rows) * share))
        new = rows.iloc[rng.choice(len(rows), k, replace=False)].copy()
        new["record_id"] = [f"{prefix}{tag}N{i:06d}" for i in range(k)]
        new[when] = "2026-06-30" + new[when].str[10:]
        if new_people and "person_record_id" in new.columns:
            half = k // 2
            new.iloc[:half, new.columns.get_loc("person_record_id")] = rng.choice(
                new_people, half)
        with path.open("rb") as stream:
            stream.seek(-1, 2)
            ends = stream.read(1) == b"\n"
        with path.open("a", encoding="utf-8", newline="") as stream:
            if not ends:
                stream.write("\n")
            new.to_csv(stream, header=False, index=False)
        counts[name] = k
    return counts


def differences(full: Path, incremental: Path) -> list[str]:
    """Output files (of :data:`COMPARED`) that differ between two build folders."""
    out = []
    for name in COMPARED:
        if name.endswith(".parquet"):
            same = pd.read_parquet(full / name).equals(pd.read_parquet(incremental / name))
        else:
            same = (full / name).read_bytes() == (incremental / name).read_bytes()
        if not same:
            out.append(name)
    return out


def _build(world_dir: Path, out: Path, log: Path, previous: Path | None = None,
           full: bool = False) -> dict:
    """Run ``graphkit build`` in a child; its wall and CPU seconds, peak RSS, stages.
    ``full``: with ``previous``, reuse nothing (ring ids still carried over)."""
    argv = [sys.executable, "-m", "graphkit", "build", "--input", str(world_dir), "--out",
            str(out), "--quiet"] + (["--previous", str(previous)] if previous else []) + (
            ["--full"] if full else [])
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as err:
        child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err)
        try:
            _, status, usage = os.wait4(child.pid, 0)
        finally:
            if child.poll() is None:  # interrupted: stop the build we started
                child.kill()
                child.wait()
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"build failed ({os.waitstatus_to_exitcode(status)}); see {log}")
    record = json.loads((out / "build.json").read_text(encoding="utf-8"))
    return {"seconds": round(seconds, 1), "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
            "peak_rss_mib": round(usage.ru_maxrss / 1024),
            "stages": {s["name"]: s["seconds"] for s in record["stages"]},
            "stages_cpu": {s["name"]: s.get("cpu_seconds", float("nan"))
                           for s in record["stages"]},
            "incremental": record.get("incremental", {}), "notes": record["notes"]}


def measure_floor(changed: Path, builds: Path) -> dict:
    """``bench/incremental_floor.py`` on the changed world and the builds, in a child
    (its interpreter start and imports are measured fresh); its figures."""
    figures = builds / "floor.json"
    argv = [sys.executable, str(BENCH / "incremental_floor.py"), "--input", str(changed),
            "--previous", str(builds / "old"), "--full", str(builds / "full"),
            "--out", str(builds / "floor"), "--json", str(figures), "--quiet"]
    subprocess.run(argv, check=True)
    return json.loads(figures.read_text(encoding="utf-8"))


def side_by_side(full: dict, inc: dict) -> str:
    """Per-stage wall and CPU seconds of the full and the incremental build, one stage a
    line, then the time outside the stages (interpreter start, imports, hashing,
    reading state, publishing) and the part up to the end of screening."""
    lines = [f"{'stage':<10} {'full wall':>9} {'incr wall':>9} {'full CPU':>9} {'incr CPU':>9}"]

    def row(name: str, values: list[float]) -> str:
        return f"{name:<10} " + " ".join(f"{v:>8.1f}s" for v in values)

    for stage in full["stages"]:
        lines.append(row(stage, [full["stages"][stage], inc["stages"].get(stage, float("nan")),
                                 full["stages_cpu"][stage],
                                 inc["stages_cpu"].get(stage, float("nan"))]))
    outside = [b["seconds"] - sum(b["stages"].values()) for b in (full, inc)]
    outside_cpu = [b["cpu_seconds"] - sum(b["stages_cpu"].values()) for b in (full, inc)]
    lines.append(row("outside", [*outside, *outside_cpu]))
    front = [sum(b[k].get(s, 0.0) for s in ("ingest", "resolve", "screen"))
             for k in ("stages", "stages_cpu") for b in (full, inc)]
    lines.append(row("to screen", front) + "  (ingest + resolve + screen)")
    lines.append(row("start+front", [front[0] + outside[0], front[1] + outside[1],
                                     front[2] + outside_cpu[0], front[3] + outside_cpu[1]])
                 + "  (with the time outside stages)")
    lines.append(row("whole", [full["seconds"], inc["seconds"], full["cpu_seconds"],
                               inc["cpu_seconds"]]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--change", type=float, default=0.01,
                        help="share of records new or changed (default 0.01)")
    parser.add_argument("--work", type=Path, default=None, help="folder for worlds and builds")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--night", choices=("people", "append", "none"), default="people",
                        help="people: edit people.csv only (default); append: also append "
                             "rows to payroll, logins and shipments for new and existing "
                             "people, as a real night does; none: change nothing (the "
                             "floor of an incremental build)")
    parser.add_argument("--floor", action="store_true",
                        help="also measure the floor of any --previous build, part by part "
                             "(bench/incremental_floor.py)")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="graphkit-incremental-"))
    work.mkdir(parents=True, exist_ok=True)
    base, _ = world(args.people, work, args.seed, "demo")
    changed = work / f"changed-{args.people}-{args.seed}-{args.night}"
    shutil.rmtree(changed, ignore_errors=True)
    shutil.copytree(base, changed)
    # edited + added = the share asked for: k edits of each of three kinds, 2k additions
    counts = change_people(changed, args.seed, share=args.change / 5) \
        if args.night != "none" else {}
    if args.night == "append":
        people = pd.read_csv(changed / "people.csv", dtype=str, usecols=["record_id"])
        added = [r for r in people["record_id"] if r.startswith(("NEW", "BRIDGE"))]
        counts["appended"] = append_history(changed, args.seed, args.change, new_people=added)
    builds = work / "builds"
    shutil.rmtree(builds, ignore_errors=True)
    builds.mkdir()
    old = _build(base, builds / "old", builds / "old.log")
    full = _build(changed, builds / "full", builds / "full.log", previous=builds / "old",
                  full=True)
    inc = _build(changed, builds / "incremental", builds / "incremental.log",
                 previous=builds / "old")
    differ = differences(builds / "full", builds / "incremental")
    ratio = inc["seconds"] / full["seconds"]
    cpu_ratio = inc["cpu_seconds"] / full["cpu_seconds"]
    print(f"world: {args.people:,} people; night: {args.night}; changes: {counts}")
    for name, b in (("previous build", old), ("full rebuild", full), ("incremental", inc)):
        stages = ", ".join(f"{k} {v:.1f}s" for k, v in b["stages"].items())
        print(f"{name}: {b['seconds']:.1f}s wall, {b['cpu_seconds']:.1f}s CPU, "
              f"peak {b['peak_rss_mib']:,} MiB ({stages})")
    print(side_by_side(full, inc))
    for stage, counts_ in inc["incremental"].items():
        print(f"  reused in {stage}: {counts_}")
    print(f"incremental / full: {ratio:.2f} wall, {cpu_ratio:.2f} CPU (target ≤ 0.20)")
    print("outputs equal: " + ("yes, all of " + ", ".join(COMPARED) if not differ
                               else "NO, differ: " + ", ".join(differ)))
    floor = measure_floor(changed, builds) if args.floor else None
    if floor is not None:
        print("floor of any --previous build, as a share of the full rebuild's whole process:")
        print("\n".join(floor_lines(floor, full["seconds"], full["cpu_seconds"])))
    if args.json:
        args.json.write_text(json.dumps({"people": args.people, "night": args.night,
                                         "changes": counts,
                                         "previous": old, "full": full, "incremental": inc,
                                         "ratio": round(ratio, 3),
                                         "cpu_ratio": round(cpu_ratio, 3), "differ": differ,
                                         "floor": floor},
                                        indent=1), encoding="utf-8")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
