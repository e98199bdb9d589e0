"""CPU seconds of each sub-step of the clusters and rings stages, per world size.

The graph tables of a real build are made once per world (``run_build`` stopped where
the clusters stage starts, the tables pickled to ``--tables``); later runs load the
pickle, so before/after comparisons read the very same tables. Then the clusters stage
(``sharing_table``, ``shared_identifier_clusters``) and the rings stage (``find_rings``
and its helpers) run with a timer around each sub-step: ``time.process_time()``
inclusive of nested timed steps, and "self" (without them), as in
``bench/growth_stages.py``. One world per process; ``--json`` appends a line per run.

``--in-build`` times the same sub-steps inside a real build instead (``pipeline.run_build``:
the process as large as in ``graphkit build``, the stage figures the build's own), and per
sub-step also the minor page faults (``ru_minflt``), the kernel's CPU seconds
(``self_system_cpu``: mostly zeroing freshly mapped pages) and the seconds and passes of
Python's cyclic garbage collector (``gc.callbacks``) spent within it. ``--gc off`` disables the
collector for the clusters and rings stages, to see what its passes cost.

    python bench/growth_rings.py WORLD --tables FILE [--json OUT.jsonl] [--label NAME]
    python bench/growth_rings.py WORLD --in-build [--gc off] [--json OUT.jsonl] [--label NAME]
    python bench/growth_rings.py --table OUT.jsonl [--label NAME]

``--alternate`` runs several in-build runs, each in its own child process, alternating
the code under test (this checkout) with another copy of the code (``--base``: a folder
holding ``graphkit`` and ``bench``, e.g. ``git archive`` of a commit), size after size,
``--repeat`` rounds, so that both see the machine in the same state; the runs go to
``--json`` tagged ``base`` and ``branch`` (and ``round``). ``--compare A B`` prints two
labels side by side: per size the median CPU and kernel seconds and their range, and the
growth exponent of the medians with its span over every pairing of the repeats (the
lowest and highest exponent the runs allow).

    python bench/growth_rings.py --alternate --base SNAP --worlds W100 W300 --repeat 3 \
        --json OUT.jsonl
    python bench/growth_rings.py --table OUT.jsonl --compare base branch
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import importlib
import itertools
import json
import math
import os
import pickle
import statistics
import subprocess
import sys
import time
from pathlib import Path

from growth_stages import Timers, _minor_faults, growth_parser, wrap_timed

from graphkit import pipeline as P
from graphkit.heap import heap_kept
from graphkit.ingest.project import native_project
from graphkit.progress import max_rss_mib, rss_mib
from graphkit.rings import assemble as AS
from graphkit.rings import clusters as K
from graphkit.rings import detectors as D
from graphkit.rings import links as L
from graphkit.rings import population as PO
from graphkit.rings import records as RC
from graphkit.rings import sharing as S

R = importlib.import_module("graphkit.rings")  # the package (graphkit.rings is a function)
CM = importlib.import_module("graphkit.rings.communities")  # the module, not the function

#: (module or class, attribute, label) of every sub-step timed
TIMED = [
    (S, "sharing_table", "clusters.sharing_table"),
    (K, "shared_identifier_clusters", "clusters.shared_identifier_clusters"),
    (R, "find_rings", "rings.find_rings"),
    (S, "label_codes", "sharing.label_codes"),
    (S, "type_codes", "sharing.type_codes"),
    (S, "_distinct_sharers", "sharing._distinct_sharers"),
    (S, "row_text", "sharing.row_text"),
    (S, "node_values", "sharing.node_values"),
    (S, "_text_column", "sharing._text_column"),
    (S.Sharing, "shared", "sharing.Sharing.shared"),
    (S.Sharing, "shared_of_type", "sharing.Sharing.shared_of_type"),
    (S.Sharing, "hubs", "sharing.Sharing.hubs"),
    (K, "connected_components", "clusters.connected_components"),
    (K, "_cluster_records", "clusters._cluster_records"),
    (K, "_identifier_texts", "clusters._identifier_texts"),
    (K, "sanction_hits", "clusters.sanction_hits"),
    (K, "joined", "clusters.joined"),
    (R, "build_population", "rings.build_population"),
    (PO, "_one_person", "population._one_person"),
    (PO, "_households", "population._households"),
    (PO, "_vpn_exits", "population._vpn_exits"),
    (PO, "_resolved", "population._resolved"),
    (PO, "_name_tokens", "population._name_tokens"),
    (PO, "_with_documents", "population._with_documents"),
    (RC, "resolved_records", "records.resolved_records"),
    (R, "run_detectors", "rings.run_detectors"),
    (D, "_groups", "detectors._groups"),
    (D, "_sorted_sets", "detectors._sorted_sets"),
    (D, "_surnames_shared", "detectors._surnames_shared"),
    (D, "_with_people", "detectors._with_people"),
    (R, "calibrate", "rings.calibrate"),
    (R, "_star_payers", "rings._star_payers"),
    (R, "link_matrix", "rings.link_matrix"),
    (R, "communities", "rings.communities"),
    (CM, "_leiden", "communities._leiden"),
    (R, "_lone_entities", "rings._lone_entities"),
    (R, "assemble_rings", "rings.assemble_rings"),
    (AS, "_findings_in_rings", "assemble._findings_in_rings"),
    (AS, "_repeats", "assemble._repeats"),
    (R, "Rings", "rings.Rings"),
]
_ = L  # links is timed through rings.link_matrix


class FaultTimers(Timers):
    """``Timers`` (which count each label's minor page faults, ``self_faults``) that also
    count, per label (self, without nested timed steps), the garbage collector's seconds
    and passes."""

    def __init__(self) -> None:
        super().__init__()
        self.gc_seconds: dict[str, float] = {}
        self.gc_passes: dict[str, int] = {}
        self._gc_start = 0.0
        self._gc_now = [0.0, 0]  # GC seconds and passes so far
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._gc_start = time.process_time()
        else:
            self._gc_now[0] += time.process_time() - self._gc_start
            self._gc_now[1] += 1

    def wrap(self, label: str, fn):
        timed = super().wrap(label, fn)

        def counted(*args, **kwargs):
            frame = {"gc": 0.0, "passes": 0}
            counts = getattr(self, "_frames", None)
            if counts is None:
                counts = self._frames = []
            counts.append(frame)
            gc_s, passes = self._gc_now
            try:
                return timed(*args, **kwargs)
            finally:
                gc_spent, gc_n = self._gc_now[0] - gc_s, self._gc_now[1] - passes
                counts.pop()
                self.gc_seconds[label] = self.gc_seconds.get(label, 0.0) + gc_spent - \
                    frame["gc"]
                self.gc_passes[label] = self.gc_passes.get(label, 0) + gc_n - frame["passes"]
                if counts:
                    counts[-1]["gc"] += gc_spent
                    counts[-1]["passes"] += gc_n
        return counted


class _Stop(Exception):
    """Raised once the build's tables are pickled."""


def make_tables(world: str, path: Path) -> None:
    """Run a build of ``world`` up to the clusters stage and pickle its tables."""
    def stop(tables, settings, stages):
        with path.open("wb") as handle:
            pickle.dump(tables, handle, protocol=5)
        raise _Stop

    P.clusters_and_rings = stop
    with contextlib.suppress(_Stop):
        P.run_build(native_project(world), show_progress=False)


def install(timers: Timers) -> None:
    """Wrap every sub-step of ``TIMED`` and each detector's ``find``."""
    wrap_timed(timers.wrap, TIMED)
    D.DETECTORS = tuple(dataclasses.replace(d, find=timers.wrap(f"detect.{d.name}", d.find))
                        for d in D.DETECTORS)


def measure(world: str, tables_path: Path) -> dict:
    """One run: sub-step seconds of the clusters and rings stages on ``world``."""
    if not tables_path.exists():
        make_tables(world, tables_path)
    settings = native_project(world).settings
    with tables_path.open("rb") as handle:
        tables = pickle.load(handle)
    gc.collect()
    timers = Timers()
    install(timers)
    rss = {"before": rss_mib()}
    # glibc's heap kept for reuse as a build keeps it over these stages
    with heap_kept(settings.heap_keep_mib):
        cpu0, wall0 = time.process_time(), time.perf_counter()
        sharing = S.sharing_table(tables)
        K.shared_identifier_clusters(sharing, settings.max_identifier_share)
        clusters_cpu, clusters_wall = time.process_time() - cpu0, time.perf_counter() - wall0
        rss["after_clusters"], rss["peak_clusters"] = rss_mib(), max_rss_mib()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        found = R.find_rings(sharing, settings)
        rings_cpu, rings_wall = time.process_time() - cpu0, time.perf_counter() - wall0
    rss["after_rings"], rss["peak_rings"] = rss_mib(), max_rss_mib()
    people = int((tables.nodes["label"] == "Person").sum())
    return {"world": world, "people": people, "nodes": len(tables.nodes),
            "relationships": len(tables.relationships), "rings": len(found),
            "stage_cpu": {"clusters": clusters_cpu, "rings": rings_cpu},
            "stage_wall": {"clusters": clusters_wall, "rings": rings_wall},
            "cpu": dict(timers.cpu), "self_cpu": dict(timers.self_cpu),
            "calls": dict(timers.calls), "rss_mib": rss}


def measure_in_build(world: str, gc_off: bool = False) -> dict:
    """One run inside a real build of ``world`` (no output files written): sub-step CPU
    seconds, page faults and GC time of the clusters and rings stages, and every stage's
    own figures from the build."""
    timers = FaultTimers()
    install(timers)
    P.find_rings = R.find_rings  # the pipeline's own imports, timed too
    P.sharing_table = S.sharing_table
    P.shared_identifier_clusters = K.shared_identifier_clusters
    if gc_off:
        inner = P.clusters_and_rings

        def without_gc(*args, **kwargs):
            gc.disable()
            try:
                return inner(*args, **kwargs)
            finally:
                gc.enable()
        P.clusters_and_rings = without_gc
    faults0 = _minor_faults()
    result = P.run_build(native_project(world), show_progress=False)
    stages = {s.name: s for s in result.stages}
    people = int((result.tables.nodes["label"] == "Person").sum())
    return {"world": world, "in_build": True, "gc_off": gc_off, "people": people,
            "nodes": len(result.tables.nodes),
            "relationships": len(result.tables.relationships), "rings": len(result.rings),
            "stage_cpu": {name: s.cpu_seconds for name, s in stages.items()},
            "stage_wall": {name: s.seconds for name, s in stages.items()},
            "cpu": dict(timers.cpu), "self_cpu": dict(timers.self_cpu),
            "main_cpu": dict(timers.main_cpu), "calls": dict(timers.calls),
            "faults": dict(timers.self_faults), "gc_seconds": timers.gc_seconds,
            "self_system_cpu": dict(timers.self_system),
            "stage_system_cpu": {name: s.system_cpu_seconds for name, s in stages.items()},
            "gc_passes": timers.gc_passes,
            "build_faults": _minor_faults() - faults0,
            "rss_mib": {name: s.peak_rss_mib for name, s in stages.items()}}


def table(path: Path, label: str | None) -> None:
    """Print the runs of ``path`` (those tagged ``label``; the median of repeats per size)
    side by side, with the exponent between the smallest and largest size."""
    runs = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    runs = [r for r in runs if label is None or r.get("label") == label]
    by_size: dict[int, list[dict]] = {}
    for r in runs:
        by_size.setdefault(r["people"], []).append(r)
    sizes = sorted(by_size)
    lo, hi = sizes[0], sizes[-1]
    span = math.log(hi / lo) or 1.0
    nlogn = math.log(hi * math.log(hi) / (lo * math.log(lo))) / span
    print(f"entities (Person): {', '.join(f'{s:,}' for s in sizes)};  "
          f"N log N over this range = N^{nlogn:.3f}; runs per size: "
          f"{[len(by_size[s]) for s in sizes]}")
    known = [lab for *_, lab in TIMED]
    steps = sorted({k for r in runs for k in r["self_cpu"]},
                   key=lambda k: known.index(k) if k in known else len(known))
    labels = ["clusters", "rings", *steps]

    def median(values: list[float]) -> float:
        values = sorted(values)
        return values[len(values) // 2]

    print(f"{'CPU s (self), median [min-max]':38}" +
          "".join(f"{s:>22,}" for s in sizes) + "  exponent")
    for name in labels:
        cells, meds = [], []
        for s in sizes:
            vals = [r["stage_cpu"][name] if name in ("clusters", "rings")
                    else r["self_cpu"].get(name, 0.0) for r in by_size[s]]
            meds.append(median(vals))
            cells.append(f"{median(vals):8.2f} [{min(vals):.2f}-{max(vals):.2f}]")
        if not any(meds):
            continue
        exp = (math.log(meds[-1] / meds[0]) / span
               if meds[0] > 0.005 and meds[-1] > 0 else float("nan"))
        shown = name if name in ("clusters", "rings") else "  " + name
        extra = ""
        if name not in ("clusters", "rings") and any("faults" in r for r in runs):
            extra = "  faults (k) " + "/".join(
                f"{median([r.get('faults', {}).get(name, 0) for r in by_size[s]]) / 1000:.0f}"
                for s in sizes) + "  GC s " + "/".join(
                f"{median([r.get('gc_seconds', {}).get(name, 0.0) for r in by_size[s]]):.2f}"
                for s in sizes)
        kernel_of = "stage_system_cpu" if name in ("clusters", "rings") else "self_system_cpu"
        if all(kernel_of in r for r in runs):
            extra += "  kernel s " + "/".join(
                f"{median([r[kernel_of].get(name, 0.0) for r in by_size[s]]):.2f}"
                for s in sizes)
        print(f"{shown:38}" + "".join(f"{c:>22}" for c in cells) + f"  {exp:8.2f}" + extra)
    for s in sizes:
        r = by_size[s][-1]
        print(f"{s:>10,}: nodes {r['nodes']:,} rels {r['relationships']:,} "
              f"rings {r['rings']:,} rss {r['rss_mib']}")


def alternate(worlds: list[str], base: Path, repeat: int, out: Path,
              python: str = sys.executable) -> None:
    """``repeat`` rounds of in-build runs of every world, base then branch (swapped every
    other round), one child process each, appended to ``out``."""
    here = Path(__file__).resolve().parent
    codes = {"base": base.resolve(), "branch": here.parent}
    for number in range(repeat):
        order = ["base", "branch"] if number % 2 == 0 else ["branch", "base"]
        for world in worlds:
            for label in order:
                env = dict(os.environ, PYTHONPATH=str(codes[label]))
                command = [python, str(codes[label] / "bench" / "growth_rings.py"), world,
                           "--in-build", "--json", str(out), "--label", label]
                print(f"round {number + 1}/{repeat} {label} {world}", flush=True)
                subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)


def _step_figures(run: dict, name: str) -> tuple[float, float]:
    """CPU and kernel seconds of a stage (``clusters``, ``rings``) or a sub-step (self)."""
    if name in ("clusters", "rings"):
        return run["stage_cpu"].get(name, 0.0), run.get("stage_system_cpu", {}).get(name, 0.0)
    return run["self_cpu"].get(name, 0.0), run.get("self_system_cpu", {}).get(name, 0.0)


def exponent_span(low: list[float], high: list[float], ratio: float
                  ) -> tuple[float, float, float]:
    """Growth exponent of the medians from ``low`` to ``high`` (seconds of repeated runs
    at two sizes ``ratio`` apart), and the lowest and highest exponent any pairing of one
    run at each size gives (NaN where a figure is too small to read)."""
    def exp(a: float, b: float) -> float:
        return math.log(b / a) / math.log(ratio) if a > 0.005 and b > 0.005 else math.nan
    return (exp(statistics.median(low), statistics.median(high)),
            exp(max(low), min(high)), exp(min(low), max(high)))


def compare(path: Path, labels: list[str]) -> None:
    """Print the runs of two labels of ``path`` side by side: per size and sub-step the
    median CPU seconds [min-max] and the kernel's median, then per pair of sizes the
    exponent of the medians and its span."""
    runs = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    by = {(r.get("label"), r["people"]): [] for r in runs}
    for r in runs:
        by[(r.get("label"), r["people"])].append(r)
    sizes = sorted({r["people"] for r in runs if r.get("label") in labels})
    known = [lab for *_, lab in TIMED]
    steps = sorted({k for r in runs if r.get("label") in labels for k in r["self_cpu"]},
                   key=lambda k: known.index(k) if k in known else len(known))
    print("runs: " + ", ".join(f"{lab} {s:,}: {len(by.get((lab, s), []))}"
                               for lab in labels for s in sizes))
    print("cells: CPU s median [min-max] (kernel s median); exponents: of the medians "
          "[span over the repeats]")
    head = "".join(f"{lab[:8]} {s // 1000}k".rjust(24) for lab in labels for s in sizes)
    pairs = list(itertools.pairwise(sizes))
    print(f"{'':40}{head}   " + "   ".join(
        f"{lab[:6]} {a // 1000}k-{b // 1000}k" for lab in labels for a, b in pairs))
    for name in ["clusters", "rings", *steps]:
        cells, exps = [], []
        for lab in labels:
            for s in sizes:
                figs = [_step_figures(r, name) for r in by.get((lab, s), [])]
                if not figs:
                    cells.append(f"{'-':>24}")
                    continue
                cpu = [c for c, _ in figs]
                kern = statistics.median(k for _, k in figs)
                cells.append(f"{statistics.median(cpu):6.2f}[{min(cpu):.2f}-{max(cpu):.2f}]"
                             f"({kern:.2f})".rjust(24))
            for a, b in pairs:
                lo = [_step_figures(r, name)[0] for r in by.get((lab, a), [])]
                hi = [_step_figures(r, name)[0] for r in by.get((lab, b), [])]
                if lo and hi:
                    mid, least, most = exponent_span(lo, hi, b / a)
                    text = f"{mid:5.2f} [{least:.2f}-{most:.2f}]"
                    if name in ("clusters", "rings"):  # and of the CPU outside the kernel
                        user = [exponent_span([c - k for c, k in (_step_figures(r, name)
                                                                  for r in by[(lab, x)])],
                                              [c - k for c, k in (_step_figures(r, name)
                                                                  for r in by[(lab, y)])],
                                              b / a)[0] for x, y in [(a, b)]]
                        text += f" user {user[0]:.2f}"
                    exps.append(text)
                else:
                    exps.append(f"{'-':>17}")
        if all(c.strip() in ("-",) or c.strip().startswith("0.00[0.00-0.00]")
               for c in cells):
            continue
        shown = name if name in ("clusters", "rings") else "  " + name
        print(f"{shown:40}" + "".join(cells) + "   " + "  ".join(exps))


def main() -> None:
    parser = growth_parser(__doc__.splitlines()[0], huge_pages=False)
    parser.add_argument("--tables", type=Path, help="pickle of the build's graph tables")
    parser.add_argument("--label", help="tag of the run (e.g. before / after)")
    parser.add_argument("--in-build", action="store_true",
                        help="time the sub-steps inside a real build (pipeline.run_build)")
    parser.add_argument("--gc", choices=("on", "off"), default="on",
                        help="with --in-build: 'off' disables the cyclic GC in clusters+rings")
    parser.add_argument("--compare", nargs=2, metavar="LABEL",
                        help="with --table: two labels side by side, exponents with spans")
    parser.add_argument("--alternate", action="store_true",
                        help="in-build runs of --worlds, this code alternating with --base")
    parser.add_argument("--base", type=Path, help="with --alternate: the other code's folder")
    parser.add_argument("--worlds", nargs="+", default=[], help="with --alternate")
    parser.add_argument("--repeat", type=int, default=3, help="with --alternate: rounds")
    args = parser.parse_args()
    if args.table:
        if args.compare:
            compare(args.table, list(args.compare))
        else:
            table(args.table, args.label)
        return
    if args.alternate:
        if args.base is None or args.json is None or not args.worlds:
            parser.error("--alternate needs --base, --worlds and --json")
        alternate(args.worlds, args.base, args.repeat, args.json)
        return
    run = measure_in_build(args.world, args.gc == "off") if args.in_build else \
        measure(args.world, args.tables)
    run["label"] = args.label
    line = json.dumps(run)
    if args.json:
        with args.json.open("a") as handle:
            handle.write(line + "\n")
    print(json.dumps({k: run[k] for k in ("people", "stage_cpu", "rss_mib")}))


if __name__ == "__main__":
    main()
