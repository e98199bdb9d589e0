"""CPU seconds of each part of the write stage (``pipeline.write_outputs``), per world size.

Runs a real build of ``WORLD`` (``pipeline.run_build``, the stages ``graphkit build``
runs, without their timers), then ``write_outputs`` into ``--out`` with a timer around
each writer it calls and the functions they call. Every call is timed on the thread that
runs it (the stage's own thread, or the background thread writing the Parquet tables and
state/): that thread's CPU (``time.thread_time``), its user and kernel seconds
(``getrusage(RUSAGE_THREAD)``) and wall time, inclusive of nested timed calls and "self"
(without them). The stage's figures are those of the build's own stage measurement (CPU of
every thread, and of threads other than the stage's: the background writer and Arrow's
pools). No profiler, so the figures hold at a million people. One world per process;
``--json`` appends a line per run; ``--table`` prints the sizes side by side with the
growth exponent between the smallest and largest.

    python bench/growth_write.py WORLD --out DIR [--json OUT.jsonl] [--no-huge-pages]
    python bench/growth_write.py --table OUT.jsonl
"""

from __future__ import annotations

import functools
import resource
import shutil
import threading
import time
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
from growth_stages import (
    growth,
    growth_parser,
    huge_pages_off,
    load_runs,
    save_run,
    wrap_timed,
)

from graphkit import csvsafe
from graphkit import pipeline as P
from graphkit.graph import tables as T
from graphkit.incremental import state as ST
from graphkit.ingest.project import native_project
from graphkit.limits import use_limits
from graphkit.nightly import view as V
from graphkit.progress import Stages, max_rss_mib
from graphkit.report import html as R
from graphkit.schema import Layout

#: (module or class, attribute, label) of every call timed; the pipeline's own imports
#: (``P``) are the calls ``write_outputs`` makes
TIMED = [
    (P, "_write_and_hash_tables", "tables (write + hash)"),
    (T, "arrow_tables", "  tables.arrow_tables"),
    (P, "file_digest", "  tables.file_digest"),
    (P, "write_state", "state"),
    (ST, "_features_table", "  state._features_table"),
    (P, "write_csv", "write_csv (all)"),
    (csvsafe, "neutralise_frame", "  csv.neutralise_frame"),
    (pd.DataFrame, "to_csv", "  DataFrame.to_csv"),
    (P, "write_graphml", "graphml"),
    (P, "write_graph_json", "graph_json"),
    (P, "write_review_pairs", "review pairs"),
    (P, "result_entities", "result_entities"),
    (P, "write_entities", "entities.parquet"),
    (P, "write_hits", "sanctions_hits.parquet"),
    (P, "write_entries", "sanctions.parquet"),
    (V, "entry_table", "  view.entry_table"),
    (P, "rings_rows", "rings_rows"),
    (P, "diff_builds", "diff_builds"),
    (P, "rings_frame", "rings_frame"),
    (P, "write_json_list", "rings.json"),
    (P, "build_info", "build_info"),
    (P, "write_report", "report.html"),
    (R, "render_report", "  report.render_report"),
    (P, "summary_text", "summary_text"),
    (P, "build_record", "build_record"),
    (pd.DataFrame, "to_parquet", "  DataFrame.to_parquet"),
    (pq, "write_table", "  pq.write_table"),
]


def _thread_usage() -> tuple[float, float]:
    """User and kernel CPU seconds of the calling thread so far."""
    usage = resource.getrusage(resource.RUSAGE_THREAD)
    return usage.ru_utime, usage.ru_stime


class Timers:
    """Inclusive and self CPU (user, kernel) and wall seconds per label and thread."""

    def __init__(self) -> None:
        self.figures: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.local = threading.local()

    def wrap(self, label: str, fn):
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            stack = self.local.__dict__.setdefault("stack", [])
            frame = [0.0, 0.0, 0.0]  # CPU, user, kernel of nested timed calls
            stack.append(frame)
            user, system = _thread_usage()
            cpu, wall = time.thread_time(), time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent = time.thread_time() - cpu
                user2, system2 = _thread_usage()
                du, ds = user2 - user, system2 - system
                where = "main" if threading.current_thread() is threading.main_thread() \
                    else "bg"
                row = self.figures[f"{label} [{where}]"]
                row["cpu"] += spent
                row["self_cpu"] += spent - frame[0]
                row["user"] += du
                row["self_user"] += du - frame[1]
                row["system"] += ds
                row["self_system"] += ds - frame[2]
                row["wall"] += time.perf_counter() - wall
                row["calls"] += 1
                stack.pop()
                if stack:
                    stack[-1][0] += spent
                    stack[-1][1] += du
                    stack[-1][2] += ds
        return timed

    def install(self) -> None:
        wrap_timed(self.wrap, TIMED)


def measure(world: str, out: Path) -> dict:
    """One run: a build of ``world``, then its write stage into ``out`` timed."""
    project = native_project(world)
    stages = Stages([*P.STAGES, "write"], show=False)
    with use_limits(project.settings):
        result = P.run_build(project, show_progress=False, stages=stages)
    shutil.rmtree(out, ignore_errors=True)
    timers = Timers()
    timers.install()
    before = resource.getrusage(resource.RUSAGE_SELF)
    P.write_outputs(result, out, stages=stages)
    after = resource.getrusage(resource.RUSAGE_SELF)
    stages.close()
    write = stages.stats[-1]
    return {"world": world, "records_people": len(result.data.records[Layout.PEOPLE]),
            "nodes": len(result.tables.nodes), "relationships": len(result.tables.relationships),
            "stage": {"cpu": write.cpu_seconds, "wall": write.seconds,
                      "system": write.system_cpu_seconds,
                      "other_threads": write.other_threads_cpu_seconds,
                      "user": after.ru_utime - before.ru_utime,
                      "minor_faults": after.ru_minflt - before.ru_minflt},
            "peak_rss_mib": max_rss_mib(),
            "figures": {k: dict(v) for k, v in timers.figures.items()}}


def table(path: Path) -> None:
    """Print the runs of ``path`` side by side (by people records), with the growth
    exponent between the smallest and largest size, and N log N's for comparison."""
    runs, sizes = load_runs(path)

    def exponent(values: list[float]) -> float:
        return growth(values, sizes)

    head = "".join(f"{s:>10,}" for s in sizes)
    print(f"{'write stage':44}{head}  exponent")
    for key in ("cpu", "user", "system", "other_threads", "wall"):
        values = [r["stage"].get(key) or 0.0 for r in runs]
        print(f"  {key:42}" + "".join(f"{v:10.2f}" for v in values)
              + f"  {exponent(values):8.2f}")
    faults = [r["stage"]["minor_faults"] * resource.getpagesize() / 2**20 for r in runs]
    # a fault is one page only with huge pages off: else the figure is a count, not MiB
    label = ("fresh memory MiB (huge pages off)" if all(
        r.get("huge_pages") == "off" for r in runs) else "page faults x page size, MiB")
    print(f"  {label:42}" + "".join(f"{v:10.0f}" for v in faults)
          + f"  {exponent(faults):8.2f}")
    print(f"{'self CPU s on its thread (user/kernel)':44}{head}  exponent")
    order = {label: i for i, (_, _, label) in enumerate(TIMED)}
    labels = sorted({k for r in runs for k in r["figures"]},
                    key=lambda k: (k.endswith("[bg]"), order.get(k.rsplit(" [", 1)[0], 99)))
    for label in labels:
        values = [r["figures"].get(label, {}).get("self_cpu", 0.0) for r in runs]
        if max(values) < 0.01:
            continue
        print(f"{label:44}" + "".join(f"{v:10.2f}" for v in values)
              + f"  {exponent(values):8.2f}")
        print(f"{'':44}" + "".join(
            f"{r['figures'].get(label, {}).get('self_user', 0):5.1f}/"
            f"{r['figures'].get(label, {}).get('self_system', 0):<4.1f}" for r in runs))
    for r in runs:
        print(f"{r['records_people']:>10,}: nodes {r['nodes']:,} rels {r['relationships']:,} "
              f"peak rss {r['peak_rss_mib']:.0f} MiB")


def main() -> None:
    parser = growth_parser(__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="folder the outputs are written to")
    args = parser.parse_args()
    if args.table:
        table(args.table)
        return
    if args.no_huge_pages:
        huge_pages_off()
    run = measure(args.world, args.out)
    save_run(run, args.json, args.no_huge_pages, shown=2000)


if __name__ == "__main__":
    main()
