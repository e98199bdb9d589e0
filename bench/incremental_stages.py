"""Per-stage wall and CPU seconds of one ``build --previous``, in this process.

Runs ``run_build(previous=...)`` and ``write_outputs`` on a world already changed (for
example ``bench/incremental.py --work DIR``'s ``changed-*`` folder and ``builds/old``)
and prints each stage's wall seconds and the process's CPU seconds during it (all
threads), plus what ran between the stages. CPU seconds stay comparable when other work
shares the machine, where wall seconds do not. Run it once with the code to compare
first on ``PYTHONPATH`` to get the "before" figures.

    nice -n 10 python bench/incremental_stages.py --input DIR/changed-100000-7 \\
        --previous DIR/builds/old --out DIR/builds/stages [--full] [--repeat 2]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from graphkit.ingest.project import native_project
from graphkit.pipeline import STAGES, run_build, write_outputs
from graphkit.progress import Stages


class CpuStages(Stages):
    """``Stages`` that also note the process's CPU seconds per stage."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(names, show=False)
        self.cpu: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str, rows_in: int = 0):
        """As ``Stages.stage``, and CPU seconds into ``cpu``."""
        start = time.process_time()
        with super().stage(name, rows_in) as stats:
            yield stats
        self.cpu[name] = time.process_time() - start


def measure(world: Path, previous: Path, out: Path, full: bool) -> dict[str, tuple[float, float]]:
    """Wall and CPU seconds per stage (and ``other``: outside every stage) of one build."""
    stages = CpuStages([*STAGES, "write"])
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        result = run_build(native_project(world), show_progress=False, stages=stages,
                           previous=previous, reuse=not full)
        shutil.rmtree(out, ignore_errors=True)
        write_outputs(result, out, stages=stages)
    finally:
        stages.close()  # as the build command does (the stages' gc freeze undone)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    figures = {s.name: (s.seconds, stages.cpu[s.name]) for s in stages.stats}
    figures["other"] = (wall - sum(w for w, _ in figures.values()),
                        cpu - sum(c for _, c in figures.values()))
    figures["total"] = (wall, cpu)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", type=Path, required=True, help="the changed world")
    parser.add_argument("--previous", type=Path, required=True, help="the previous build")
    parser.add_argument("--out", type=Path, required=True, help="folder to write to")
    parser.add_argument("--full", action="store_true", help="reuse nothing (build --full)")
    parser.add_argument("--repeat", type=int, default=1, help="runs; the fastest is shown")
    args = parser.parse_args(argv)
    runs = [measure(args.input, args.previous, args.out, args.full) for _ in range(args.repeat)]
    best = min(runs, key=lambda r: r["total"][1])
    back = ("graph", "clusters", "rings", "write", "other")
    print(" ".join(f"{k} {w:.1f}s wall/{c:.1f}s CPU," for k, (w, c) in best.items()))
    print(f"graph+clusters+rings+write+other: {sum(best[k][0] for k in back):.1f}s wall, "
          f"{sum(best[k][1] for k in back):.1f}s CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
