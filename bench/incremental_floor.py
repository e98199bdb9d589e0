"""The floor of ``graphkit build --previous``: what any incremental build must pay while
its folder stays complete and self-contained (the next night's ``--previous``, and what
analysts open) and its rings equal a full rebuild's.

Measured on a changed world and the previous build (``bench/incremental.py --floor`` runs
it after its builds, on its folders), each part timed alone, wall and CPU seconds:

* ``start+imports``: a fresh interpreter importing ``graphkit.pipeline`` (best of 3);
* ``hash inputs``: SHA-256 of every input file (the manifest and the ingest cache key);
* ``read changed``: the input files that differ from the previous build's, read by Arrow;
* ``read state``: every file of the previous build's ``state/`` (what a build reuses);
* ``write outputs``: ``write_outputs`` of this build's full result (every output file:
  graph tables, CSV and JSON, report.html, state/), without the changes files;
* ``diff``: reading the previous build (``BuildView``) and ``diff_builds`` (changes.csv);
* ``manifest``: hashing every output file, as the manifest does;
* ``clusters+rings``: the "who shares what" table, clusters and rings on the whole graph
  (ring scores are calibrated on the whole population, ranks are global).

Also measured, outside the floor: ``read graph`` (the previous build's nodes.parquet and
relationships.parquet, what reusing its graph tables would read first). And whether a
night's changes move rings that did not change: of the rings whose members are the same
in the previous build and the full rebuild, how many changed points, score or rank.

    nice -n 10 python bench/incremental_floor.py --input DIR/changed-100000-7-people \\
        --previous DIR/builds/old --full DIR/builds/full --out DIR/builds/floor [--json F]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

#: The parts every ``--previous`` build pays (in this order), and one measured beside them.
FLOOR_PARTS = ("start+imports", "hash inputs", "read changed", "read state", "write outputs",
               "diff", "manifest", "clusters+rings")
BESIDE = ("read graph",)


def timed(work: Callable[[], object]) -> tuple[float, float, object]:
    """Wall and CPU seconds (this process, all threads) of ``work()``, and its result."""
    wall, cpu = time.perf_counter(), time.process_time()
    value = work()
    return time.perf_counter() - wall, time.process_time() - cpu, value


def start_and_imports(repeat: int = 3) -> tuple[float, float]:
    """Best wall and CPU seconds of a fresh interpreter importing ``graphkit.pipeline``."""
    best = (float("inf"), float("inf"))
    for _ in range(repeat):
        started = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-c", "import graphkit.pipeline"])
        _, status, usage = os.wait4(child.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit("importing graphkit.pipeline failed")
        best = min(best, (time.perf_counter() - started, usage.ru_utime + usage.ru_stime))
    return best


def input_files(world: Path) -> list[Path]:
    """The source files the world's project reads (``native_project``)."""
    from graphkit.ingest.project import native_project

    return [Path(path) for path, _ in native_project(world).sources]


def changed_inputs(inputs: list[Path], previous: Path) -> list[Path]:
    """The ``inputs`` whose SHA-256 is not among the previous build's inputs (its
    manifest), i.e. the files a ``--previous`` build must parse."""
    from graphkit.filedigest import sha256_of

    manifest = json.loads((previous / "manifest.json").read_text(encoding="utf-8"))
    known = {item.get("sha256") for item in manifest.get("inputs", [])}
    return [p for p in inputs if sha256_of(p) not in known]


def read_folder_files(folder: Path) -> int:
    """Read every Parquet, Arrow and JSON file under ``folder`` into memory; bytes read."""
    import pyarrow.feather as feather
    import pyarrow.parquet as pq

    size = 0
    for path in sorted(folder.rglob("*")):
        if path.suffix == ".parquet":
            pq.read_table(path)
        elif path.suffix == ".arrow":
            feather.read_table(path)
        elif path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
        else:
            continue
        size += path.stat().st_size
    return size


def rings_moved(previous: Path, full: Path) -> dict[str, int]:
    """Of the rings whose members are the same in ``previous`` and ``full`` (rings.json),
    how many changed points, score, rank, or any finding's weight."""
    def by_members(folder: Path) -> dict[tuple, dict]:
        rows = json.loads((folder / "rings.json").read_text(encoding="utf-8"))
        return {tuple(row["members"]): row for row in rows}

    old, new = by_members(previous), by_members(full)
    same = [m for m in new if m in old]

    def weights(row: dict) -> list:
        return [(e["pattern"], e["weight"]) for e in row["evidence"]]

    return {"rings_before": len(old), "rings_after": len(new), "same_members": len(same),
            "points_moved": sum(old[m]["points"] != new[m]["points"] for m in same),
            "score_moved": sum(old[m]["score"] != new[m]["score"] for m in same),
            "rank_moved": sum(old[m]["rank"] != new[m]["rank"] for m in same),
            "weights_moved": sum(weights(old[m]) != weights(new[m]) for m in same)}


def measure(world: Path, previous: Path, full: Path, out: Path) -> dict:
    """Each part's wall and CPU seconds (see the module docstring), and ``rings_moved``."""
    import dataclasses

    import pyarrow.csv as pacsv

    from graphkit.filedigest import file_digest, forget
    from graphkit.graph import read_tables
    from graphkit.ingest.project import native_project
    from graphkit.manifest import output_files
    from graphkit.nightly.diff import diff_builds
    from graphkit.nightly.view import BuildView
    from graphkit.pipeline import run_build, write_outputs
    from graphkit.rings import find_rings, sharing_table
    from graphkit.rings.clusters import shared_identifier_clusters

    parts: dict[str, tuple[float, float]] = {}
    parts["start+imports"] = start_and_imports()
    forget()
    inputs = input_files(world)
    wall, cpu, _ = timed(lambda: [file_digest(p) for p in inputs])
    parts["hash inputs"] = (wall, cpu)
    changed = changed_inputs(inputs, previous)
    wall, cpu, _ = timed(lambda: [pacsv.read_csv(p) for p in changed])
    parts["read changed"] = (wall, cpu)
    wall, cpu, state_bytes = timed(lambda: read_folder_files(previous / "state"))
    parts["read state"] = (wall, cpu)
    wall, cpu, _ = timed(lambda: read_tables(previous))
    parts["read graph"] = (wall, cpu)
    # this build's complete result, made as a full build makes it (not timed); what it
    # holds is frozen for the garbage collector, as a build's stages freeze what they
    # leave, so the parts below pay what they would pay inside a build
    result = run_build(native_project(world), show_progress=False, previous=None)
    gc.collect()
    gc.freeze()
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    wall, cpu, _ = timed(lambda: write_outputs(result, out))
    parts["write outputs"] = (wall, cpu)
    with_previous = dataclasses.replace(result, previous=previous)
    wall, cpu, _ = timed(lambda: diff_builds(BuildView.from_folder(previous),
                                             BuildView.from_result(with_previous),
                                             allow_settings_change=True))
    parts["diff"] = (wall, cpu)
    forget()
    wall, cpu, _ = timed(lambda: output_files(out))
    parts["manifest"] = (wall, cpu)
    settings = result.project.settings

    def clusters_and_rings() -> None:
        sharing = sharing_table(result.tables)
        shared_identifier_clusters(sharing, settings.max_identifier_share)
        find_rings(sharing, settings)

    wall, cpu, _ = timed(clusters_and_rings)
    parts["clusters+rings"] = (wall, cpu)
    gc.unfreeze()
    return {"parts": {k: [round(w, 2), round(c, 2)] for k, (w, c) in parts.items()},
            "changed_inputs": [p.name for p in changed], "state_bytes": state_bytes,
            "rings_moved": rings_moved(previous, full)}


def floor_lines(figures: dict, full_wall: float, full_cpu: float) -> list[str]:
    """The floor table: each part's wall and CPU seconds and share of the full build's."""
    parts = figures["parts"]
    lines = [f"{'floor part':<16} {'wall':>7} {'/full':>6} {'CPU':>7} {'/full':>6}"]

    def row(name: str, wall: float, cpu: float) -> str:
        return (f"{name:<16} {wall:>6.2f}s {wall / full_wall:>6.3f} {cpu:>6.2f}s "
                f"{cpu / full_cpu:>6.3f}")

    for name in FLOOR_PARTS:
        lines.append(row(name, *parts[name]))
    wall = sum(parts[n][0] for n in FLOOR_PARTS)
    cpu = sum(parts[n][1] for n in FLOOR_PARTS)
    lines.append(row("floor", wall, cpu) + "  (sum of the parts above)")
    for name in BESIDE:
        lines.append(row(name, *parts[name]) + "  (not in the floor: graph reuse reads it)")
    lines.append(f"full build: {full_wall:.1f}s wall, {full_cpu:.1f}s CPU; changed inputs: "
                 f"{', '.join(figures['changed_inputs']) or 'none'}; state/ read: "
                 f"{figures['state_bytes'] / 2**20:.0f} MiB")
    moved = figures["rings_moved"]
    lines.append(f"rings with the same members before and after ({moved['same_members']:,} "
                 f"of {moved['rings_after']:,}): points moved in {moved['points_moved']:,}, "
                 f"score in {moved['score_moved']:,}, a finding's weight in "
                 f"{moved['weights_moved']:,}, rank in {moved['rank_moved']:,}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", type=Path, required=True, help="the changed world")
    parser.add_argument("--previous", type=Path, required=True, help="the previous build")
    parser.add_argument("--full", type=Path, required=True,
                        help="a full rebuild of the changed world (its build.json gives "
                             "the times the floor is compared with)")
    parser.add_argument("--out", type=Path, required=True, help="scratch folder to write to")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--quiet", action="store_true", help="print nothing (with --json)")
    args = parser.parse_args(argv)
    figures = measure(args.input, args.previous, args.full, args.out)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    if not args.quiet:
        record = json.loads((args.full / "build.json").read_text(encoding="utf-8"))
        wall = sum(s["seconds"] for s in record["stages"])
        cpu = sum(s.get("cpu_seconds", 0.0) for s in record["stages"])
        print("\n".join(floor_lines(figures, wall, cpu)))
        print("(full build: the sum of its stages' seconds; bench/incremental.py --floor "
              "compares with the whole build process)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
