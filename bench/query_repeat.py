"""Repeated ``graphkit query run`` on a large build: cold load, then 50 runs serial, 2 at a
time, and against a running ``graphkit serve``; every answer checked against pandas.

The build is made from seeded demo data (tables only: no graph.graphml/graph.json), or an
existing build folder is used. The first run starts with an empty saved-graph cache, so it
loads the build's Parquet tables into the engine (the load rate is printed); later runs
start the engine from the saved graph.

    python bench/query_repeat.py --people 100000 [--runs 50] [--build DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from graphkit.graph import read_tables, tables_from_graph, write_tables

QUERY = "rings/shared_accounts"


def make_build(folder: Path, people: int) -> None:
    """Demo data and its build's node and relationship tables."""
    from graphkit.demo import generate_demo
    from graphkit.ingest.project import native_project
    from graphkit.pipeline import run_build

    started = time.perf_counter()
    generate_demo(folder / "data", seed=7, n_people=people)
    result = run_build(native_project(folder / "data"), show_progress=False)
    (folder / "build").mkdir()
    write_tables(tables_from_graph(result.graph), folder / "build")
    print(f"build of {people:,} people: {time.perf_counter() - started:.0f}s", flush=True)


def expected_accounts(build: Path, low: int = 2, high: int = 20) -> dict[str, set[str]]:
    """shared_accounts computed with pandas from the tables, not through any store."""
    tables = read_tables(build)
    nodes = tables.nodes.set_index("node_id")
    rels = tables.relationships
    rels = rels[rels["type"] == "HAS_ACCOUNT"]
    start = nodes.loc[rels["start_id"]]
    keep = start["label"].isin(["Person", "Company"]).to_numpy()
    frame = rels[keep].assign(entity=start["entity_id"].to_numpy()[keep],
                              account=nodes.loc[rels["end_id"][keep], "value"].to_numpy())
    groups = frame.groupby("account")["entity"].agg(lambda s: set(s.dropna()))
    return {a: e for a, e in groups.items() if low <= len(e) <= high}


def run_once(build: Path, env: dict) -> tuple[float, dict[str, set[str]], str]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "graphkit", "query", "run", QUERY, "--out",
                           str(build), "--format", "json", "--timeout", "120"],
                          env=env, capture_output=True, text=True, timeout=900)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        return seconds, {}, done.stderr
    rows = json.loads(done.stdout)
    return seconds, {r["account"]: set(r["entity_ids"]) for r in rows}, done.stderr


def report(name: str, results: list, expected: dict, wall: float) -> None:
    times = [r[0] for r in results]
    correct = sum(1 for r in results if r[1] == expected)
    print(f"{name}: {len(results)} runs in {wall:.1f}s wall; per run min {min(times):.2f}s, "
          f"median {statistics.median(times):.2f}s, max {max(times):.2f}s; "
          f"{correct}/{len(results)} correct", flush=True)
    for r in results:
        if r[1] != expected:
            print("  wrong or failed run:", r[2][-400:], flush=True)
            break


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--build", help="an existing build folder (skips making one)")
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gk-qr-"))
    env = {**os.environ, "XDG_CACHE_HOME": str(work / "cache")}
    try:
        if args.build:
            build = Path(args.build)
        else:
            make_build(work, args.people)
            build = work / "build"
        tables = read_tables(build)
        print(f"build: {len(tables.nodes):,} nodes, {len(tables.relationships):,} "
              "relationships", flush=True)
        del tables
        expected = expected_accounts(build)
        print(f"expected: {len(expected):,} shared accounts (pandas)", flush=True)

        seconds, answer, stderr = run_once(build, env)
        rate = re.search(r"loaded in ([\d.]+)s .*relationships [\d.]+s: ([\d,]+)/s", stderr)
        saved = re.search(r"saved for the next command in ([\d.]+)s", stderr)
        print(f"cold run (load from Parquet, save): {seconds:.1f}s, correct: "
              f"{answer == expected}; load {rate.group(1) if rate else '?'}s at "
              f"{rate.group(2) if rate else '?'} relationships/s; save "
              f"{saved.group(1) if saved else '?'}s", flush=True)

        started = time.perf_counter()
        serial = [run_once(build, env) for _ in range(args.runs)]
        report("serial", serial, expected, time.perf_counter() - started)

        started = time.perf_counter()
        with ThreadPoolExecutor(2) as pool:
            paired = list(pool.map(lambda _: run_once(build, env), range(args.runs)))
        report("2 at a time", paired, expected, time.perf_counter() - started)

        serve = subprocess.Popen([sys.executable, "-m", "graphkit", "serve", str(build),
                                  "--timeout", "120"], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True)
        try:
            started = time.perf_counter()
            while "serving" not in (serve.stdout.readline() or "serving"):
                pass
            print(f"serve ready in {time.perf_counter() - started:.1f}s", flush=True)
            started = time.perf_counter()
            shared = [run_once(build, env) for _ in range(args.runs)]
            report("serial, sharing graphkit serve", shared, expected,
                   time.perf_counter() - started)
        finally:
            serve.terminate()
            serve.wait(60)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
