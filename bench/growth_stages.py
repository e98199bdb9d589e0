"""CPU seconds of each sub-step of the graph and clusters stages, per world size.

Runs a build's stages up to screening once (or loads them from ``--cache``, a pickle made
by an earlier run on the same world), then the graph stage (``households_table``,
``build_tables`` and the functions it calls, ``assemble`` and its helpers) and the
clusters stage (``sharing_table``, ``shared_identifier_clusters`` and its helpers) with a
timer around each sub-step: ``time.process_time()`` (CPU of every thread) and wall time,
inclusive of nested timed steps, and "self" (without them). No profiler, so the figures
hold at a million people. One world per process; ``--json`` appends a line per run.

``--in-build`` runs the stages inside a real build instead (``pipeline.run_build``: the
same process, background writers and memory as ``graphkit build``), the sub-steps timed
the same way, the stage figures taken from the build's own stage measurements. Each
sub-step also records the CPU of the calling thread alone (``main_cpu``), so that CPU
spent meanwhile by background threads (the ingest cache's writer) is told apart.

    python bench/growth_stages.py WORLD [--cache FILE] [--json OUT.jsonl]
    python bench/growth_stages.py WORLD --in-build [--json OUT.jsonl] [--no-huge-pages]
    python bench/growth_stages.py --table OUT.jsonl      # sizes side by side, exponents
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import math
import pickle
import resource
import time
from collections import defaultdict
from pathlib import Path

import pandas as pd

from graphkit import pipeline as P
from graphkit.graph import assemble as A
from graphkit.graph import columns as C
from graphkit.graph import households as H
from graphkit.heap import heap_kept
from graphkit.incremental import screen_reusing
from graphkit.ingest.project import native_project
from graphkit.issues import IssueLog
from graphkit.progress import max_rss_mib, rss_mib
from graphkit.rings import clusters as K
from graphkit.rings import sharing as S
from graphkit.schema import Layout

#: (module or class, attribute, label) of every sub-step timed
TIMED = [
    (H, "households_table", "graph.households_table"),
    (C, "build_tables", "graph.build_tables"),
    (C, "record_owners", "graph.record_owners"),
    (C, "identifier_parts", "graph.identifier_parts"),
    (C, "_identifier_owners", "columns._identifier_owners"),
    (C, "_identifier_nodes", "columns._identifier_nodes"),
    (C, "_identifier_relationships", "columns._identifier_relationships"),
    (C, "_rows_by_label", "columns._rows_by_label"),
    (C, "ordered_positions", "columns.ordered_positions"),
    (C, "identifier_keys", "columns.identifier_keys"),
    (C, "_ordered_parts", "columns._ordered_parts"),
    (C, "_grouped_rows", "columns._grouped_rows"),
    (C, "_text_at", "columns._text_at"),
    (C, "_list_array", "columns._list_array"),
    (C, "_payers", "graph._payers"),
    (C, "payment_relationships", "graph.payment_relationships"),
    (C, "match_parts", "graph.match_parts"),
    (C, "linked_record_relationships", "graph.linked_record_relationships"),
    (C, "review_relationships", "graph.review_relationships"),
    (C, "household_relationships", "graph.household_relationships"),
    (C, "record_nodes", "graph.record_nodes"),
    (C, "release_record_fields", "graph.release_record_fields"),
    (C, "assemble", "graph.assemble"),
    (A, "_arrow_part", "assemble._arrow_part"),
    (A, "_typed_part", "assemble._typed_part"),
    (A, "_sorted_rows", "assemble._sorted_rows"),
    (A._Places, "node_ids", "assemble.node_ids"),
    (A, "_lay_out", "assemble._lay_out"),
    (A, "_first_of_repeats", "assemble._first_of_repeats"),
    (A, "_type_codes", "assemble._type_codes"),
    (A, "_groups", "assemble._groups"),
    (A, "_relationships", "assemble._relationships"),
    (A._Gather, "take", "assemble._Gather.take"),
    (A._Gather, "__init__", "assemble._Gather.__init__"),
    (A._Gather, "_index_of", "assemble._Gather._index_of"),
    (A, "_ordered_ends", "assemble._ordered_ends"),
    (A, "_key_columns", "assemble._key_columns"),
    (A, "_type_column", "assemble._type_column"),
    (A, "_part_column", "assemble._part_column"),
    (A, "_node_keys", "assemble._node_keys"),
    (A, "_plain_text", "assemble._plain_text"),
    (A, "_stack", "assemble._stack"),
    (A._Places, "node_ids_of", "assemble.node_ids_of"),
    (A._Places, "keys", "assemble._Places.keys"),
    (A._Places, "_local_rows", "assemble._local_rows"),
    (A._Places, "_ids_of", "assemble._ids_of"),
    (A, "_select", "assemble._select"),
    (A, "to_pandas", "assemble.to_pandas"),
    (S, "sharing_table", "clusters.sharing_table"),
    (S, "label_codes", "sharing.label_codes"),
    (S, "node_positions", "sharing.node_positions"),
    (S, "_text_column", "sharing._text_column"),
    (S.Sharing, "shared", "sharing.Sharing.shared"),
    (S.Sharing, "hubs", "sharing.Sharing.hubs"),
    (K, "shared_identifier_clusters", "clusters.shared_identifier_clusters"),
    (K, "connected_components", "clusters.connected_components"),
    (K, "node_values", "clusters.node_values"),
    (K, "_cluster_records", "clusters._cluster_records"),
    (K, "_identifier_texts", "clusters._identifier_texts"),
    (K, "sanction_hits", "clusters.sanction_hits"),
]


def _minor_faults() -> int:
    """Minor page faults of this process so far (a fresh big allocation faults its pages
    in one by one: the cost of memory handed back to the OS and asked for again)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def huge_pages_off() -> None:
    """Transparent huge pages off for this process (``prctl(PR_SET_THP_DISABLE)``, Linux):
    each page fault is then one 4 KiB page, so a sub-step's faults times 4 KiB are the
    fresh memory it touched (with huge pages a fault may be 4 KiB or 2 MiB)."""
    import ctypes

    if ctypes.CDLL(None).prctl(41, 1, 0, 0, 0) != 0:  # 41: PR_SET_THP_DISABLE
        raise OSError("prctl(PR_SET_THP_DISABLE) failed")


def _system_seconds() -> float:
    """CPU seconds the kernel spent for this process so far (mostly zeroing fresh pages)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_stime


def _user_seconds() -> float:
    """CPU seconds this process spent in its own code so far (every thread): the stage's
    own work, apart from the kernel's."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_utime


class Timers:
    """Inclusive and self CPU/wall seconds and calls per label."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = defaultdict(float)
        self.wall: dict[str, float] = defaultdict(float)
        self.self_cpu: dict[str, float] = defaultdict(float)
        self.main_cpu: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.faults: dict[str, int] = defaultdict(int)
        self.self_faults: dict[str, int] = defaultdict(int)
        self.self_system: dict[str, float] = defaultdict(float)
        self.system: dict[str, float] = defaultdict(float)
        self.user: dict[str, float] = defaultdict(float)
        self.self_user: dict[str, float] = defaultdict(float)
        self.stack: list[list] = []

    def wrap(self, label: str, fn):
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            # label, CPU, page faults, kernel s, user s of nested steps
            frame = [label, 0.0, 0, 0.0, 0.0]
            self.stack.append(frame)
            faults, system, user = _minor_faults(), _system_seconds(), _user_seconds()
            cpu, wall = time.process_time(), time.perf_counter()
            own = time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent = time.process_time() - cpu
                faulted = _minor_faults() - faults
                self.faults[label] += faulted
                self.self_faults[label] += faulted - frame[2]
                in_kernel = _system_seconds() - system
                self.self_system[label] += in_kernel - frame[3]
                self.system[label] += in_kernel
                in_user = _user_seconds() - user
                self.user[label] += in_user
                self.self_user[label] += in_user - frame[4]
                self.main_cpu[label] += time.thread_time() - own
                self.cpu[label] += spent
                self.wall[label] += time.perf_counter() - wall
                self.self_cpu[label] += spent - frame[1]
                self.calls[label] += 1
                self.stack.pop()
                if self.stack:
                    self.stack[-1][1] += spent
                    self.stack[-1][2] += faulted
                    self.stack[-1][3] += in_kernel
                    self.stack[-1][4] += in_user
        return timed

    def install(self) -> None:
        wrap_timed(self.wrap, TIMED)


def wrap_timed(wrap, timed: list[tuple[object, str, str]]) -> None:
    """Replace each ``(owner, attribute, label)`` of ``timed`` by ``wrap(label, it)``: a
    name that is gone fails here, not silently."""
    for owner, name, label in timed:
        setattr(owner, name, wrap(label, getattr(owner, name)))


def upstream(world: str, cache: Path | None):
    """The inputs of the graph stage: ingested data, resolutions, hits, sanctions and the
    entity nodes screening made (from ``cache`` when it exists)."""
    if cache is not None and cache.exists():
        with cache.open("rb") as handle:
            return pickle.load(handle)
    project = native_project(world)
    settings, log = project.settings, IssueLog()
    data = P.ingest(project.sources, log, settings=settings)
    people = P.resolve_people(data.records[Layout.PEOPLE], settings)
    companies = P.resolve_companies_exact(data.records[Layout.COMPANIES])
    entities = C.entity_nodes(data, people, companies)
    sanctions = P.load_sanctions(project, log)
    names = P.entities_to_screen(pd.concat(entities[0], ignore_index=True), data, people)
    hits, _ = screen_reusing(names, sanctions, settings.screen_threshold)
    state = (data, people, companies, hits, sanctions, entities)
    if cache is not None:
        with cache.open("wb") as handle:
            pickle.dump(state, handle, protocol=5)
    return state


def measure(world: str, cache: Path | None) -> dict:
    """One run: sub-step seconds of the graph and clusters stages on ``world``."""
    data, people, companies, hits, sanctions, entities = upstream(world, cache)
    settings = native_project(world).settings
    n_people = len(data.records[Layout.PEOPLE])
    gc.collect()
    timers = Timers()
    timers.install()
    rss = {"before_graph": rss_mib()}
    # glibc's heap kept for reuse as a build keeps it over these stages
    with heap_kept(settings.heap_keep_mib):
        cpu0, wall0 = time.process_time(), time.perf_counter()
        tables = C.build_tables(data, people, companies, hits, sanctions, entities=entities,
                                release_records=True,
                                households=H.households_table(people))
        del entities
        graph_cpu, graph_wall = time.process_time() - cpu0, time.perf_counter() - wall0
        rss["after_graph"], rss["peak_graph"] = rss_mib(), max_rss_mib()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        sharing = S.sharing_table(tables)
        K.shared_identifier_clusters(sharing, settings.max_identifier_share)
        clusters_cpu = time.process_time() - cpu0
        clusters_wall = time.perf_counter() - wall0
    rss["after_clusters"], rss["peak_clusters"] = rss_mib(), max_rss_mib()
    return {"world": world, "records_people": n_people, "nodes": len(tables.nodes),
            "relationships": len(tables.relationships),
            "stage_cpu": {"graph": graph_cpu, "clusters": clusters_cpu},
            "stage_wall": {"graph": graph_wall, "clusters": clusters_wall},
            "cpu": dict(timers.cpu), "self_cpu": dict(timers.self_cpu),
            "wall": dict(timers.wall), "calls": dict(timers.calls), "rss_mib": rss,
            **_rusage_figures(timers)}


def _rusage_figures(timers: Timers) -> dict:
    """Each sub-step's page faults, kernel and user CPU seconds (self and inclusive)."""
    return {"self_faults": dict(timers.self_faults),
            "self_system_cpu": dict(timers.self_system),
            "system_cpu": dict(timers.system), "user_cpu": dict(timers.user),
            "self_user_cpu": dict(timers.self_user)}


def _without_gc(fn):
    """``fn`` with Python's cyclic garbage collector off while it runs."""
    @functools.wraps(fn)
    def call(*args, **kwargs):
        was = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if was:
                gc.enable()
    return call


def measure_in_build(world: str, no_gc: bool = False) -> dict:
    """One run inside a real build of ``world`` (no output files written): sub-step
    seconds of the graph and clusters stages, and every stage's own figures. ``no_gc``:
    the cyclic garbage collector off during the graph stage's ``build_tables``."""
    timers = Timers()
    timers.install()
    for owner, name in ((C, "build_tables"), (H, "households_table"),
                        (S, "sharing_table"), (K, "shared_identifier_clusters")):
        setattr(P, name, getattr(owner, name))  # the pipeline's own imports, timed too
    if no_gc:
        P.build_tables = _without_gc(P.build_tables)
    project = native_project(world)
    result = P.run_build(project, show_progress=False)
    stages = {s.name: s for s in result.stages}
    return {"world": world, "in_build": True,
            "records_people": len(result.data.records[Layout.PEOPLE]),
            "nodes": len(result.tables.nodes), "relationships": len(result.tables.relationships),
            "stage_cpu": {name: s.cpu_seconds for name, s in stages.items()},
            "stage_wall": {name: s.seconds for name, s in stages.items()},
            "cpu": dict(timers.cpu), "self_cpu": dict(timers.self_cpu),
            "main_cpu": dict(timers.main_cpu), "wall": dict(timers.wall),
            "calls": dict(timers.calls), **_rusage_figures(timers),
            "stage_user_cpu": {name: s.cpu_seconds - s.system_cpu_seconds
                               for name, s in stages.items()},
            "stage_system_cpu": {name: s.system_cpu_seconds for name, s in stages.items()},
            "gc": "off in build_tables" if no_gc else "on",
            "rss_mib": {name: s.peak_rss_mib for name, s in stages.items()}}


def load_runs(path: Path) -> tuple[list[dict], list[int]]:
    """The runs of a JSON-lines file, smallest world first, and their people records;
    the sizes and N log N's exponent over them printed."""
    runs = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    runs.sort(key=lambda r: r["records_people"])
    sizes = [r["records_people"] for r in runs]
    lo, hi = sizes[0], sizes[-1]
    nlogn = (math.log(hi * math.log(hi) / (lo * math.log(lo))) / math.log(hi / lo)
             if hi > lo else float("nan"))
    print(f"people records: {', '.join(f'{s:,}' for s in sizes)};  "
          f"N log N over this range = N^{nlogn:.2f}")
    return runs, sizes


def growth(values: list[float], sizes: list[int]) -> float:
    """Growth exponent of ``values`` from the smallest to the largest of ``sizes`` (nan
    when the smallest value is too small to tell)."""
    lo, hi = sizes[0], sizes[-1]
    return (math.log(values[-1] / values[0]) / math.log(hi / lo)
            if values[0] > 0.005 and values[-1] > 0 and hi > lo else float("nan"))


def save_run(run: dict, out: Path | None, huge_pages_were_off: bool,
             shown: int | None = None) -> None:
    """``run`` with how its pages were counted, appended to ``out`` as a JSON line (when
    given) and printed (its first ``shown`` characters)."""
    run["huge_pages"] = "off" if huge_pages_were_off else "as the system sets them"
    line = json.dumps(run)
    if out:
        with out.open("a") as handle:
            handle.write(line + "\n")
    print(line[:shown])


def table(path: Path) -> None:
    """Print the runs of ``path`` side by side (by people records), with the growth
    exponent between the smallest and largest size, and N log N's for comparison."""
    runs, sizes = load_runs(path)
    labels = ["graph", "clusters"] + [label for _, _, label in TIMED]
    head = "".join(f"{s:>10,}" for s in sizes)
    print(f"{'CPU s (self); user s self, inclusive;':42}{head}  exponent")
    print(f"{'  page faults (k) or fresh MiB, kernel s':42}")

    def row(name: str, values: list[float]) -> None:
        print(f"{name:42}" + "".join(f"{v:10.2f}" for v in values)
              + f"  {growth(values, sizes):8.2f}")

    for label in labels:
        stage = label in ("graph", "clusters")
        values = [r["stage_cpu"][label] if stage else r["self_cpu"].get(label, 0.0)
                  for r in runs]
        if not any(values):
            continue
        row(label if stage else "  " + label, values)
        if stage:
            user = [r.get("stage_user_cpu", {}).get(label) for r in runs]
            if all(u is not None for u in user):
                row("  of which user", user)
            kernel = [r.get("stage_system_cpu", {}).get(label) for r in runs]
            if all(k is not None for k in kernel):
                row("  of which the kernel", kernel)
            continue
        user = [r.get("self_user_cpu", {}).get(label) for r in runs]
        if all(u is not None for u in user):
            row("    user self", user)
            row("    user inclusive", [r["user_cpu"].get(label, 0.0) for r in runs])
        faults = [r.get("self_faults", {}).get(label) for r in runs]
        if all(f is not None for f in faults):
            kernel = [r.get("self_system_cpu", {}).get(label) for r in runs]
            # huge pages off: a fault is one page, shown as MiB of fresh memory
            print(f"{'':42}" + "".join(
                (f"{f * resource.getpagesize() / 2**20:4.0f}M" if r.get("huge_pages") == "off" else
                 f"{f / 1000:4.0f}k") + (f"{k:5.2f}" if k is not None else "     ")
                for f, k, r in zip(faults, kernel, runs, strict=True)))
    for r in runs:
        print(f"{r['records_people']:>10,}: nodes {r['nodes']:,} rels {r['relationships']:,} "
              f"rss {r['rss_mib']}")


def growth_parser(description: str, huge_pages: bool = True) -> argparse.ArgumentParser:
    """The arguments every growth bench takes: a world, ``--json`` to append the run to,
    ``--table`` to print recorded runs instead, and (``huge_pages``) ``--no-huge-pages``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("world", nargs="?")
    parser.add_argument("--json", type=Path, help="append this run as a JSON line")
    parser.add_argument("--table", type=Path, help="print the runs of a JSON-lines file")
    if huge_pages:
        parser.add_argument("--no-huge-pages", action="store_true",
                            help="transparent huge pages off for this process: page faults "
                                 "x 4 KiB = fresh memory touched (the table shows MiB)")
    return parser


def main() -> None:
    parser = growth_parser(__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, help="pickle of the stages before the graph")
    parser.add_argument("--in-build", action="store_true",
                        help="time the sub-steps inside a real build (pipeline.run_build)")
    parser.add_argument("--no-gc", action="store_true",
                        help="with --in-build: the cyclic GC off during build_tables")
    args = parser.parse_args()
    if args.table:
        table(args.table)
        return
    if args.no_huge_pages:
        huge_pages_off()
    run = measure_in_build(args.world, args.no_gc) if args.in_build else \
        measure(args.world, args.cache)
    save_run(run, args.json, args.no_huge_pages)


if __name__ == "__main__":
    main()
