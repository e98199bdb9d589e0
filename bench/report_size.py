"""report.html at scale: its size and render time on generated worlds.

For each size the world is written once (``graphkit demo-data``, or ``bench/world.py``
with ``--generator fast``), built in this process (``run_build``), then report.html is
rendered ``--rounds`` times; printed: rings (scoring at least the threshold, drawn), page
bytes, best and median render seconds, the build's seconds and this process's peak RSS.
Renders twice more to check the page is byte-identical.

    python bench/report_size.py --sizes 600 100000 [--work DIR] [--rounds 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from graphkit.ingest.project import native_project
from graphkit.pipeline import run_build
from graphkit.report import build_info, render_report

BENCH = Path(__file__).resolve().parent


def _scale():
    spec = importlib.util.spec_from_file_location("bench_scale", BENCH / "scale.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measure(people: int, work: Path, seed: int, generator: str, rounds: int) -> dict:
    """Build one world and time its report."""
    folder, _ = _scale().world(people, work, seed, generator)
    started = time.perf_counter()
    result = run_build(native_project(folder), show_progress=False)
    build_seconds = time.perf_counter() - started
    settings = result.project.settings
    info = build_info(result, "2026-01-01T00:00:00Z")
    times, pages = [], []
    for _ in range(max(rounds, 2)):
        began = time.perf_counter()
        pages.append(render_report(result.rings, f"graphkit rings: {people:,} people",
                                   settings.report_rings, min_score=settings.report_min_score,
                                   seed=settings.seed, info=info))
        times.append(time.perf_counter() - began)
    flagged = sum(r.score >= settings.report_min_score for r in result.rings)
    return {"people": people, "rings": len(result.rings), "flagged": flagged,
            "drawn": min(flagged, settings.report_rings),
            "bytes": len(pages[0].encode()), "identical": len(set(pages)) == 1,
            "render_best": min(times), "render_median": statistics.median(times),
            "build_seconds": build_seconds,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[600, 100_000])
    parser.add_argument("--work", help="folder for the worlds (default: a temporary one)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--generator", choices=("demo", "fast"), default="demo")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="report-bench-"))
    print(f"{'people':>9} {'rings':>7} {'flagged':>7} {'drawn':>5} {'KiB':>7} "
          f"{'render s':>9} {'median s':>9} {'build s':>8} {'peak MiB':>8} identical")
    for people in args.sizes:
        m = measure(people, work, args.seed, args.generator, args.rounds)
        print(f"{m['people']:>9,} {m['rings']:>7,} {m['flagged']:>7,} {m['drawn']:>5} "
              f"{m['bytes'] / 1024:>7.0f} {m['render_best']:>9.2f} {m['render_median']:>9.2f} "
              f"{m['build_seconds']:>8.1f} {m['peak_rss_mib']:>8.0f} {m['identical']}",
              flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
