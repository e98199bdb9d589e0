"""Ring accuracy harness: on seeded demo data, where do the planted rings rank?

For each (seed, size): builds the demo, ranks rings, and prints precision and recall of
planted rings in the top k (k = number of planted rings), the rank of each planted ring,
the best-ranked innocent cluster, and the build time.

    python bench/rings_accuracy.py [--runs 7:3000 11:20000 5:200000]
"""

from __future__ import annotations

import argparse
import csv
import shutil
import tempfile
import time
from pathlib import Path

from graphkit.demo import demo_ring_ids, generate_demo
from graphkit.pipeline import run_build
from graphkit.project import native_project


def evaluate(seed: int, people: int) -> None:
    """Print the figures for one demo data set."""
    folder = Path(tempfile.mkdtemp(prefix="gk-rings-"))
    try:
        generate_demo(folder, seed=seed, n_people=people)
        started = time.perf_counter()
        result = run_build(native_project(folder), show_progress=False)
        seconds = time.perf_counter() - started
        with (folder / "truth.csv").open(encoding="utf-8", newline="") as handle:
            truth = {t["record_id"]: t["ring_id"] for t in csv.DictReader(handle)
                     if t["layout"] in ("people", "companies")}
        g = result.graph
        ranks: dict[str, int] = {}
        first_innocent = None
        for rank, ring in enumerate(result.rings, start=1):
            labels = {truth[g.nodes[s]["record_id"]] for m in ring.members
                      for s, _, k in g.in_edges(m, keys=True)
                      if k == "RESOLVED_TO" and g.nodes[s]["kind"] in ("people", "companies")}
            planted = labels - {""}
            for ring_id in planted:
                ranks.setdefault(ring_id, rank)
            if not planted and first_innocent is None:
                first_innocent = (rank, ring.score)
        k = len(demo_ring_ids())
        in_top = sum(1 for r in ranks.values() if r <= k)
        print(f"seed {seed}, {people:,} innocent people: build {seconds:.1f}s, "
              f"{len(result.rings):,} rings; top-{k} precision {in_top / k:.2f}, "
              f"recall {len(ranks) / k:.2f}; ranks "
              + ", ".join(f"{r}={ranks.get(r, '-')}" for r in demo_ring_ids())
              + (f"; best innocent rank {first_innocent[0]} (score {first_innocent[1]:g})"
                 if first_innocent else ""), flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", nargs="+", default=["7:3000", "11:20000"],
                        help="seed:people pairs")
    args = parser.parse_args()
    for run in args.runs:
        seed, people = run.split(":")
        evaluate(int(seed), int(people))


if __name__ == "__main__":
    main()
