"""Scale benchmark: ``graphkit build`` on generated worlds of 10k, 100k and 1M people.

For each size, the world is written once with ``graphkit demo-data`` (planted rings in an
innocent population; per person ~3 payroll rows, ~1.5 logins, 1 shipment) or, with
``--generator fast``, with the vectorised ``bench/world.py`` (same files and shape), then
``graphkit build`` runs in a child process. Printed per size: wall time and peak RSS of
the child (``os.wait4``), each stage's seconds, rows/s and peak memory from its
``build.json`` (wall and CPU seconds), the child's wall time outside every stage, and
between consecutive sizes the growth exponent of each stage in wall and in CPU seconds
(``log(t2/t1) / log(n2/n1)``: 1 is linear, 2 quadratic). The target "every stage grows at
most like n log n" is checked on the CPU seconds outside the kernel ("user": the code's
own work, steadier than wall on a shared machine); the exponents of all CPU (with the
kernel's) and of wall seconds are shown beside it, with their own verdict. The kernel's
seconds are mostly page faults on memory the process touches for the first time, and on
a virtual machine what one costs depends on the host: where it takes idle memory back, a
first touch of memory idle for a few seconds costs many times one of memory freed a
moment ago (``bench/cold_memory.py``, which this bench runs first unless
``--no-cold-probe``; 12-24x for huge pages on the machine of the README's figures). So each
stage's new memory (MiB by which it raised the process's high-water mark) is printed with
the kernel's seconds per GiB of it. On such a host a build started right after another
reuses the memory its predecessor freed, still warm, and the next size pays for cold
memory: so each build starts after ``--settle`` seconds idle (by default 20 where the
balloon reports free pages, else none). The whole build's wall time and peak memory are
checked against the issue's targets. ``--repeat K`` builds each size K times, sizes
alternating, and takes each stage's best (``--pick median``: median) CPU and wall
seconds; the targets on wall time and memory are checked on every run. The machine's load
average (1 min) before and after each build is printed too: on a busy machine CPU
seconds also grow (shared cores and caches), so compare sizes built at a similar load.
One build per size gives each stage one figure, and a stage's exponent moves by ±0.15
between identical runs as the host's load moves; ``--stage-repeat K`` runs the graph,
clusters and rings stages K more times in one child (each size's world ingested, resolved
and screened once, then the rounds with sizes alternating) and prints their median user
CPU per size and its growth. ``--pool A.json B.json …`` builds nothing: it pools every
run of each size in earlier runs' ``--json`` files and prints the tables and growth of
their medians (runs of several windows and seeds, one verdict).

A build that dies (out of memory, a timeout) is reported with the last stage it started
(its status lines). ``--tables-only`` measures the columnar stages alone at any size: the
world made as tables in memory (no files, no ingest), identity resolution, then the
graph tables, clusters and rings (unless ``--no-rings``), the Parquet files, the
streamed neo4j-admin export (and GraphML/JSON with ``--graphml``) and reading the tables
back. ``--own-stages`` replaces probabilistic
resolution by exact identity (``resolve_people_exact``), to measure the other stages at
sizes where resolution does not yet finish. ``--with-resolve`` also runs the resolution
comparison with Splink from ``bench/scale_resolve.py`` (its ``resolve_scale``) when that
module is present.

    python bench/scale.py --sizes 10000 100000 [--work DIR] [--graphml] [--json out.json]
    python bench/scale.py --sizes 100000 300000 --generator fast --repeat 3 --pick median
    python bench/scale.py --sizes 300000 1000000 --generator fast --repeat 2 --stage-repeat 7
    python bench/scale.py --pool run-seed7.json run-seed11.json
    flock BIGRUN.lock python bench/scale.py --sizes 1000000 --timeout 1500
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
#: The issue's targets: people → (wall seconds, peak RSS MiB).
TARGETS = {100_000: (120.0, 2048.0), 1_000_000: (1200.0, 12288.0)}

_OWN_STAGES = """
import sys
import graphkit.pipeline as pipeline
from graphkit.cli import main
from graphkit.resolve import resolve_people_exact
pipeline.resolve_people = resolve_people_exact
sys.exit(main(sys.argv[1:]))
"""


def _rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_child(argv: list[str], log: Path, timeout: float, max_rss_mib: float = 0.0
              ) -> tuple[int, float, float]:
    """Run ``argv`` with stderr to ``log``; returns (exit status, wall seconds, peak RSS
    MiB of that child alone). A child past ``timeout`` seconds or ``max_rss_mib`` of
    memory is killed (status -9), so a run cannot take the machine down with it."""
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as err:
        child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err)
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            over = max_rss_mib and _rss_mib(child.pid) > max_rss_mib
            if time.perf_counter() - started > timeout or over:
                if over:
                    err.write(f"[bench] killed: over {max_rss_mib:,.0f} MiB\n")
                    err.flush()
                child.kill()
                pid, status, usage = os.wait4(child.pid, 0)
                break
            time.sleep(0.2)
    code = os.waitstatus_to_exitcode(status)
    return code, time.perf_counter() - started, usage.ru_maxrss / 1024


def world(people: int, work: Path, seed: int, generator: str) -> tuple[Path, float]:
    """The generated world of ``people`` (written once, then reused): ``graphkit
    demo-data``, or ``bench/world.py`` (vectorised, for a million people and more)."""
    folder = work / (f"world-{people}-{seed}" if generator == "demo" else
                     f"fastworld-{people}-{seed}")
    if (folder / "logins.csv").exists():
        return folder, 0.0
    started = time.perf_counter()
    command = ([sys.executable, "-m", "graphkit", "demo-data", str(folder)] if generator ==
               "demo" else [sys.executable, str(BENCH / "world.py"), str(folder)])
    subprocess.run([*command, "--people", str(people), "--seed", str(seed)], check=True,
                   stdout=subprocess.DEVNULL)
    return folder, time.perf_counter() - started


def last_stage(log: Path) -> str:
    """The last stage a build's status lines say it started."""
    started = [line.split("]", 1)[1].strip(" …\n") for line in
               log.read_text(encoding="utf-8", errors="replace").splitlines()
               if line.startswith("[build]") and line.endswith("…")]
    return started[-1] if started else "before the first stage"


def build(people: int, work: Path, args: argparse.Namespace) -> dict:
    """Generate (once) and build one world; the measurements."""
    folder, gen_seconds = (world(people, work, args.seed, args.generator)
                           if not args.tables_only else (work, 0.0))
    out = work / f"build-{people}"
    shutil.rmtree(out, ignore_errors=True)
    flags = ["build", "--input", str(folder), "--out", str(out)]
    flags += ["--graphml", "--graph-json"] if args.graphml else []
    argv = ([sys.executable, "-c", _OWN_STAGES, *flags] if args.own_stages
            else [sys.executable, "-m", "graphkit", *flags])
    if args.tables_only:
        argv = [sys.executable, __file__, "--child-tables", str(people), str(out),
                "--seed", str(args.seed)] + (["--graphml"] if args.graphml else []) + \
            (["--no-export"] if args.no_export else []) + \
            (["--no-rings"] if args.no_rings else [])
    log = work / f"build-{people}.log"
    load_before = os.getloadavg()[0]
    code, wall, peak = run_child(argv, log, args.timeout, args.max_rss_mib)
    # the machine's load: CPU seconds too grow on a busy machine (shared cores, caches)
    result = {"people": people, "generate_seconds": round(gen_seconds, 1), "exit": code,
              "wall_seconds": round(wall, 1), "peak_rss_mib": round(peak),
              "load": [round(load_before, 1), round(os.getloadavg()[0], 1)]}
    record = out / "build.json"
    if code == 0 and record.exists():
        data = json.loads(record.read_text(encoding="utf-8"))
        result.update(rows=sum(data["loaded_rows"].values()), nodes=data["nodes"],
                      relationships=data["relationships"], stages=data["stages"],
                      notes=data["notes"])
    else:
        result["died_in"] = last_stage(log)
    return result


def tables_child(people: int, out: Path, seed: int, graph_files: bool, export: bool = True,
                 rings: bool = True) -> None:
    """In this process: the world as tables (no files), then the graph, its clusters and
    rings, its Parquet files, the streamed neo4j-admin export (and GraphML/JSON when
    asked), and reading the tables back; each stage measured; written to
    ``out/build.json``."""
    sys.path.insert(0, str(BENCH))
    from world import ingested_world, resolved_by_identity

    from graphkit.graph import build_tables, read_tables, write_graph_json, write_graphml
    from graphkit.graph import write_tables as write_parquet
    from graphkit.progress import Stages
    from graphkit.rings import find_rings, sharing_table
    from graphkit.rings.clusters import shared_identifier_clusters
    from graphkit.settings import DEFAULT_SETTINGS
    from graphkit.store.export import export_neo4j_admin_tables

    out.mkdir(parents=True, exist_ok=True)
    stages = Stages([], show=True)
    with stages.stage("world") as st:
        data = ingested_world(people, seed)
        st.rows_out = sum(data.count().values()) + len(data.identifiers)
    with stages.stage("resolve", rows_in=len(data.records["people"])) as st:
        persons, companies = resolved_by_identity(data)
        st.rows_out = persons.entities["entity_id"].nunique()
    with stages.stage("graph", rows_in=sum(data.count().values()) + len(data.identifiers)
                      ) as st:
        tables = build_tables(data, persons, companies, release_records=True)
        st.rows_out = len(tables.nodes) + len(tables.relationships)
    rows = len(tables.nodes) + len(tables.relationships)
    del data, persons, companies
    if rings:
        with stages.stage("clusters", rows_in=len(tables.relationships)) as st:
            sharing = sharing_table(tables)
            clusters = shared_identifier_clusters(sharing, DEFAULT_SETTINGS.max_identifier_share)
            st.rows_out = len(clusters.clusters)
        with stages.stage("rings", rows_in=len(tables.relationships)) as st:
            st.rows_out = len(find_rings(sharing, DEFAULT_SETTINGS))
        del sharing, clusters
    with stages.stage("parquet", rows_in=rows) as st:
        write_parquet(tables, out)
        st.rows_out = rows
    del tables
    if graph_files:
        with stages.stage("graphml", rows_in=rows) as st:
            write_graphml(out, out / "graph.graphml")
            st.rows_out = rows
        with stages.stage("graph_json", rows_in=rows) as st:
            write_graph_json(out, out / "graph.json")
            st.rows_out = rows
    if export:
        with stages.stage("export", rows_in=rows) as st:
            export_neo4j_admin_tables(out, out / "import")
            st.rows_out = rows
    with stages.stage("read", rows_in=rows) as st:
        back = read_tables(out)
        st.rows_out = len(back.nodes) + len(back.relationships)
    stages.close()
    record = {"loaded_rows": {"all": rows}, "nodes": len(back.nodes),
              "relationships": len(back.relationships), "notes": [],
              "stages": [s.to_dict() for s in stages.stats]}
    (out / "build.json").write_text(json.dumps(record, indent=1), encoding="utf-8")


#: The stages ``--stage-repeat`` runs again, from the graph stage's inputs.
REPEATED_STAGES = ("graph", "clusters", "rings")


def stages_child(worlds: list[tuple[int, Path]], repeat: int) -> None:
    """In this process: each size's world ingested, resolved and screened once (the graph
    stage's inputs), then ``repeat`` rounds of the graph, clusters and rings stages on
    every size in turn (sizes alternate, so a busy spell of the machine hits them all),
    as a build runs them (its settings, glibc's heap kept, NumPy's huge pages as set);
    each stage's wall, user and kernel CPU seconds printed as one JSON line per round and
    size."""
    import dataclasses
    import gc
    import resource

    sys.path.insert(0, str(BENCH))
    from growth_stages import upstream

    from graphkit.graph import build_tables
    from graphkit.graph.households import households_table
    from graphkit.heap import heap_kept, numpy_huge_pages
    from graphkit.ingest.project import native_project
    from graphkit.rings import find_rings, sharing_table
    from graphkit.rings.clusters import shared_identifier_clusters

    def mark() -> tuple[resource.struct_rusage, float]:
        return resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()

    inputs = {people: upstream(str(world), None) for people, world in worlds}
    settings = {people: native_project(world).settings for people, world in worlds}
    gc.collect()
    gc.freeze()  # as a build's stages leave their results: not walked by every collection
    for round_ in range(repeat):
        for people, (data, persons, companies, hits, sanctions, entities) in inputs.items():
            chosen = settings[people]
            # the graph stage lets go of the records' fields (as a build does): on a copy
            # of the records' dict, so the next round starts from every field again
            data = dataclasses.replace(data, records=dict(data.records))
            gc.collect()
            marks = [mark()]
            with heap_kept(chosen.heap_keep_mib):
                with numpy_huge_pages(chosen.huge_pages):
                    tables = build_tables(data, persons, companies, hits, sanctions,
                                          entities=entities, release_records=True,
                                          households=households_table(persons))
                marks.append(mark())
                made = (len(tables.nodes), len(tables.relationships))
                sharing = sharing_table(tables)
                shared_identifier_clusters(sharing, chosen.max_identifier_share)
                marks.append(mark())
                rings = len(find_rings(sharing, chosen))
                marks.append(mark())
                del sharing, tables, data
            print(json.dumps({"round": round_, "people": people, "nodes": made[0],
                              "relationships": made[1], "rings": rings, "stages": [
                {"name": name, "seconds": round(b[1] - a[1], 3),
                 "user_cpu_seconds": round(b[0].ru_utime - a[0].ru_utime, 3),
                 "system_cpu_seconds": round(b[0].ru_stime - a[0].ru_stime, 3)}
                for name, a, b in zip(REPEATED_STAGES, marks, marks[1:])]}),
                file=sys.stderr, flush=True)  # (the child's log: its stdout is not kept)


def repeat_stages(results: list[dict], work: Path, args: argparse.Namespace) -> list[dict]:
    """``stages_child`` in a child process on each size's world (``--stage-repeat``
    rounds); the rounds it printed."""
    argv = [sys.executable, __file__, "--child-stages", str(args.stage_repeat)]
    for r in results:
        if r.get("exit") == 0:
            argv += [str(r["people"]), str(world(r["people"], work, args.seed,
                                                 args.generator)[0])]
    log = work / "repeated-stages.log"
    code, _, peak = run_child(argv, log, args.timeout, args.max_rss_mib)
    if code != 0:
        print(f"\n--stage-repeat: the child failed (exit {code}; see {log})")
        return []
    print(f"\n(--stage-repeat's child: peak {peak:,.0f} MiB, every size's inputs held at once)")
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()
            if line.startswith("{")]


def report_repeated_stages(rounds: list[dict]) -> None:
    """Per size, the median of each repeated stage's user and kernel CPU seconds over the
    rounds (with their span), and between sizes the growth exponent of the medians,
    checked against n log n."""
    sizes = sorted({r["people"] for r in rounds})
    if not sizes:
        return
    user = {(r["people"], s["name"]): [] for r in rounds for s in r["stages"]}
    system = {key: [] for key in user}
    for r in rounds:
        for s in r["stages"]:
            user[(r["people"], s["name"])].append(s["user_cpu_seconds"])
            system[(r["people"], s["name"])].append(s["system_cpu_seconds"])
    count = len(user[(sizes[0], REPEATED_STAGES[0])])
    print(f"\nstages run again on each size's inputs, {count} rounds, sizes alternating "
          "(--stage-repeat): median user CPU s [min–max] (kernel's median)")
    print(f"  {'stage':<10}" + "".join(f"{people:>26,}" for people in sizes))
    for name in REPEATED_STAGES:
        cells = []
        for people in sizes:
            values = user[(people, name)]
            cells.append(f"{statistics.median(values):.3f} [{min(values):.2f}–"
                         f"{max(values):.2f}] ({statistics.median(system[(people, name)]):.2f})")
        print(f"  {name:<10}" + "".join(f"{c:>26}" for c in cells))
    for a, b in itertools.pairwise(sizes):
        bound = n_log_n_exponent(a, b)
        cells = []
        for name in REPEATED_STAGES:
            e = exponent(statistics.median(user[(a, name)]),
                         statistics.median(user[(b, name)]), a, b)
            cells.append(f"{name} {_fmt(e)} {growth_verdict(e, bound)}")
        print(f"  growth {a:,} → {b:,} (n log n = {bound:.3f}), user CPU medians: "
              + "; ".join(cells))


def exponent(a: float, b: float, n_a: int, n_b: int) -> float | None:
    """Growth exponent between two sizes (None when a time is ~0)."""
    if a <= 0.05 or b <= 0.05:
        return None
    return math.log(b / a) / math.log(n_b / n_a)


def n_log_n_exponent(n_a: int, n_b: int) -> float:
    """The exponent at which n log n grows from ``n_a`` to ``n_b`` (1.08 from 100k to 1M,
    1.076 from 300k to 1M): the issue's bound on every stage."""
    return 1 + math.log(math.log(n_b) / math.log(n_a)) / math.log(n_b / n_a)


#: How the runs of one size are combined, per stage and figure.
PICKS = {"best": min, "median": statistics.median}


def combine(runs: list[dict], pick: str) -> dict:
    """One result per size from its ``--repeat`` runs: each stage's wall and CPU seconds
    (and the wall time outside the stages) the ``pick`` (best or median) of the runs that
    finished, each figure on its own; the whole build's wall time and peak memory the
    worst run's (the targets are checked on every run, never on a lucky one)."""
    first = runs[0]
    if len(runs) == 1:
        return first
    done = [r for r in runs if "stages" in r]
    worst = max(runs, key=lambda r: (r["exit"] != 0, r["wall_seconds"]))
    result = {**worst, "wall_seconds": max(r["wall_seconds"] for r in runs),
              "peak_rss_mib": max(r["peak_rss_mib"] for r in runs), "runs": runs}
    if not done:
        return result
    take = PICKS[pick]
    stages = []
    for stage in done[0]["stages"]:
        same = [s for r in done for s in r["stages"] if s["name"] == stage["name"]]
        stages.append({**stage, "seconds": take([s["seconds"] for s in same]),
                       "cpu_seconds": take([s.get("cpu_seconds", 0.0) for s in same]),
                       **({"other_threads_cpu_seconds": take(
                           [s.get("other_threads_cpu_seconds", 0.0) for s in same])}
                          if "other_threads_cpu_seconds" in stage else {}),
                       **({"system_cpu_seconds": take(
                           [s.get("system_cpu_seconds", 0.0) for s in same]),
                           "user_cpu_seconds": take([user_cpu(s) for s in same])}
                          if "system_cpu_seconds" in stage else {}),
                       "peak_rss_mib": max(s["peak_rss_mib"] for s in same),
                       **({"new_memory_mib": take([s["new_memory_mib"] for s in same])}
                          if all("new_memory_mib" in s for s in same) else {}),
                       "spread_cpu": (min(s.get("cpu_seconds", 0.0) for s in same),
                                      max(s.get("cpu_seconds", 0.0) for s in same))})
    result.update(stages=stages, outside_seconds=take([outside_stages(r) for r in done]))
    return result


def pooled_runs(paths: list[Path]) -> dict[int, list[dict]]:
    """Every build of each size in these ``--json`` files (each size's runs), sizes
    ascending, for ``--pool``."""
    runs: dict[int, list[dict]] = {}
    for path in paths:
        for result in json.loads(path.read_text(encoding="utf-8")):
            if "people" in result:
                runs.setdefault(result["people"], []).extend(result.get("runs", [result]))
    return dict(sorted(runs.items()))


def user_cpu(stage: dict) -> float:
    """A stage's CPU seconds outside the kernel (its CPU less ``system_cpu_seconds``)."""
    if "user_cpu_seconds" in stage:
        return stage["user_cpu_seconds"]
    return stage.get("cpu_seconds", 0.0) - stage.get("system_cpu_seconds", 0.0)


def exponent_range(sa: dict, sb: dict, n_a: int, n_b: int) -> str:
    """The span of CPU growth exponents the repeated runs allow: from the slowest run at
    the smaller size and the fastest at the larger to the other way round ("-" for one run)."""
    if "spread_cpu" not in sa or "spread_cpu" not in sb:
        return "-"
    low = exponent(sa["spread_cpu"][1], sb["spread_cpu"][0], n_a, n_b)
    high = exponent(sa["spread_cpu"][0], sb["spread_cpu"][1], n_a, n_b)
    return "-" if low is None or high is None else f"{low:.2f}–{high:.2f}"


def outside_stages(result: dict) -> float:
    """Wall seconds of the child outside every stage in its build.json: start-up,
    reading the project, the manifest (hashes of the outputs), the atomic publish and
    the process's exit (freeing its memory)."""
    return max(0.0, result["wall_seconds"] - sum(s["seconds"] for s in result["stages"]))


def _stage_line(results: list[dict], title: str, figure) -> None:
    """One line of a figure per size and stage (``figure``: its text, or None where the
    stage does not have it); nothing when no stage has it."""
    sizes = [r for r in results if any(figure(s) is not None for s in r["stages"])]
    if sizes:
        print(title + "; ".join(f"{r['people']:,}: " + ", ".join(
            f"{s['name']} {figure(s)}" for s in r["stages"] if figure(s) is not None)
            for r in sizes))


def report(results: list[dict], pick: str = "best", repeat: int = 1) -> None:
    """Print the table of sizes, the per-stage table (wall and CPU seconds) and the
    growth exponents of each stage in wall and CPU seconds, CPU checked against n log n."""
    print(f"\n{'people':>10} {'rows':>11} {'nodes':>11} {'wall s':>8} {'peak MiB':>9} "
          f"{'load':>11}  target")
    for r in results:
        target = TARGETS.get(r["people"])
        verdict = ""
        if target:
            runs = r.get("runs", [r])
            ok = all(x["exit"] == 0 and x["wall_seconds"] < target[0] and
                     x["peak_rss_mib"] < target[1] for x in runs)
            verdict = f"{'met' if ok else 'MISSED'} (< {target[0]:.0f} s, < {target[1]:.0f} MiB"
            verdict += f", every one of {len(runs)} runs)" if len(runs) > 1 else ")"
        if r["exit"] != 0:
            verdict += f" exit {r['exit']}, died in {r.get('died_in')}"
        loads = [x["load"] for x in r.get("runs", [r]) if "load" in x]
        load = (f"{min(min(x) for x in loads):.1f}–{max(max(x) for x in loads):.1f}"
                if loads else "-")
        print(f"{r['people']:>10,} {r.get('rows', 0):>11,} {r.get('nodes', 0):>11,} "
              f"{r['wall_seconds']:>8.1f} {r['peak_rss_mib']:>9,.0f} {load:>11}  {verdict}")
    done = [r for r in results if "stages" in r]
    if not done:
        return
    how = (f"{pick} of {repeat} runs per stage and figure; whole-build wall and peak: the "
           "worst run" if repeat > 1 else "one run")
    names = [s["name"] for s in done[0]["stages"]]
    print(f"\nper stage ({how}): wall s / CPU s of all threads (of which other threads "
          "than the stage's own: writers, Arrow's pool, workers) / peak MiB / rows per second")
    print(f"{'stage':<10}" + "".join(f"{r['people']:>48,}" for r in done))
    for name in names:
        cells = []
        for r in done:
            stage = next((s for s in r["stages"] if s["name"] == name), None)
            other = stage.get("other_threads_cpu_seconds")
            cells.append(f"{stage['seconds']:>8.1f} {stage.get('cpu_seconds', 0.0):>8.1f} "
                         + (f"({other:>5.1f})" if other is not None else " " * 7)
                         + f" {stage['peak_rss_mib']:>7,.0f} MiB "
                         f"{stage['rows_per_second']:>9,.0f}/s" if stage else " " * 48)
        print(f"{name:<10}" + "".join(f"{c:>48}" for c in cells))
    print(f"{'outside':<10}" + "".join(
        f"{r.get('outside_seconds', outside_stages(r)):>8.1f}" + " " * 40 for r in done))
    _stage_line(done, "CPU spread (min–max of the runs): ", lambda s: (
        f"{s['spread_cpu'][0]:.1f}–{s['spread_cpu'][1]:.1f}" if "spread_cpu" in s else None))
    _stage_line(done, "of the CPU, the kernel's (page faults, file I/O): ", lambda s: (
        f"{s['system_cpu_seconds']:.1f}" if "system_cpu_seconds" in s else None))
    _stage_line(done, "memory new to the process (MiB the stage raised the high-water mark "
                "by; the kernel's seconds per GiB of it): ", new_memory)
    print("('outside': the child's wall time outside every stage: start-up, manifest, "
          "publish, exit)")
    for a, b in itertools.pairwise(done):
        bound = n_log_n_exponent(a["people"], b["people"])
        print(f"\ngrowth exponent {a['people']:,} → {b['people']:,} people (1 = linear; "
              f"n log n = {bound:.3f}); the target (every stage ≤ n log n) is checked on "
              "'user', the CPU outside the kernel; 'CPU' adds the kernel's (first touches "
              "of memory, whose cost the host sets), with its own verdict; wall shown "
              "beside them; 'runs': the span of the CPU exponent the repeated runs allow:")
        print(f"  {'stage':<10} {'wall':>6} {'CPU':>6} {'user':>6} {'runs':>11}  "
              f"{'target':<7} {'with kernel'}")
        for name in names:
            sa = next((s for s in a["stages"] if s["name"] == name), None)
            sb = next((s for s in b["stages"] if s["name"] == name), None)
            if sa and sb:
                e = exponent(sa["seconds"], sb["seconds"], a["people"], b["people"])
                c = exponent(sa.get("cpu_seconds", 0.0), sb.get("cpu_seconds", 0.0),
                             a["people"], b["people"])
                u = (exponent(user_cpu(sa), user_cpu(sb), a["people"], b["people"])
                     if "system_cpu_seconds" in sa and "system_cpu_seconds" in sb else None)
                span = exponent_range(sa, sb, a["people"], b["people"])
                own = growth_verdict(u if "system_cpu_seconds" in sa else c, bound)
                print(f"  {name:<10} {_fmt(e):>6} {_fmt(c):>6} {_fmt(u):>6} {span:>11}  "
                      f"{own:<7} {growth_verdict(c, bound)}")
        o = exponent(a.get("outside_seconds", outside_stages(a)),
                     b.get("outside_seconds", outside_stages(b)), a["people"], b["people"])
        e = exponent(a["wall_seconds"], b["wall_seconds"], a["people"], b["people"])
        m = exponent(a["peak_rss_mib"], b["peak_rss_mib"], a["people"], b["people"])
        print(f"  {'outside':<10} {_fmt(o):>6}")
        print(f"  {'total':<10} {_fmt(e):>6}         (peak memory {_fmt(m)})")


def new_memory(stage: dict) -> str | None:
    """A stage's new memory and its kernel seconds per GiB of it ("412 MiB (2.6 s/GiB)"),
    or None for a build.json without the figure."""
    if "new_memory_mib" not in stage:
        return None
    mib = stage["new_memory_mib"]
    per_gib = (f" ({stage.get('system_cpu_seconds', 0.0) / (mib / 1024):.1f} s/GiB)"
               if mib >= 64 else "")
    return f"{mib:,.0f} MiB{per_gib}"


def growth_verdict(exponent_: float | None, bound: float) -> str:
    """'met' when the exponent is within the bound, 'MISSED' above it, '-' without one."""
    return "-" if exponent_ is None else "met" if exponent_ <= bound else "MISSED"


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


#: ``--settle``'s default where the VM's balloon reports free memory to its host: idle
#: this long, the memory the previous build freed is the host's again, so each build
#: touches its memory as cold as every other (on the README's machine, without the wait
#: the 300k builds' ingest paid 0.8-1.1 kernel s/GiB of new memory and the 1M builds' 2.5-2.7;
#: with it, 2.5-3.7 and 3.1-3.6).
SETTLE_SECONDS = 20.0


def settle_seconds(asked: float | None) -> float:
    """The wait before each build: ``asked``, or by default ``SETTLE_SECONDS`` where the
    balloon reports free pages (``graphkit.heap.free_page_reporting``), else none."""
    if asked is not None:
        return max(asked, 0.0)
    from graphkit.heap import free_page_reporting

    return SETTLE_SECONDS if free_page_reporting() else 0.0


def cold_probe(gib: float = 1.0, settle: float = 10.0) -> list[dict]:
    """``bench/cold_memory.py``'s probe, printed: what a first touch of memory costs this
    machine's kernel when the memory has idled ``settle`` seconds and when it was freed a
    moment ago, in 4 KiB pages and in huge pages; the passes as plain values."""
    sys.path.insert(0, str(BENCH))
    import cold_memory

    print(f"this machine, {gib:g} GiB touched page by page:", flush=True)
    found = []
    for kind, huge in cold_memory.PAGE_KINDS.items():
        passes = cold_memory.probe(gib, settle, (), huge)
        print(f"  {kind}: {cold_memory.summary(passes)}", flush=True)
        found += [{"pages": kind, "label": p.label, "gib": p.gib,
                   "kernel_seconds": round(p.kernel_seconds, 3),
                   "page_faults": p.page_faults} for p in passes]
    return found


def with_resolve(sizes: list[int], work: Path, splink_max: int) -> list[dict]:
    """Resolution at the same sizes with graphkit and Splink, from
    ``bench/scale_resolve.py`` (its ``resolve_scale``, ``print_rows`` and ``growth``) when
    that module is present."""
    path = BENCH / "scale_resolve.py"
    if not path.exists():
        print("\n--with-resolve: bench/scale_resolve.py is not present; skipped")
        return []
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location("scale_resolve", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    print("\nresolution, graphkit and Splink on the same people files:")
    rows = module.resolve_scale(sizes, splink_max=splink_max)
    for line in module.growth(rows):
        print("  " + line)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--work", help="folder for worlds and builds (default: a temporary "
                                       "folder, removed unless --keep)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--generator", choices=("demo", "fast"), default="demo",
                        help="demo: graphkit demo-data (planted rings; slow and ~8 GB at "
                             "1M people); fast: bench/world.py (vectorised)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per build")
    parser.add_argument("--max-rss-mib", type=float, default=14_000.0,
                        help="kill a build past this much memory (default 14,000 MiB)")
    parser.add_argument("--graphml", action="store_true",
                        help="also write graph.graphml and graph.json at every size")
    parser.add_argument("--own-stages", action="store_true",
                        help="exact-identity resolution instead of the probabilistic one")
    parser.add_argument("--with-resolve", action="store_true",
                        help="also run bench/scale_resolve.py (graphkit vs Splink)")
    parser.add_argument("--splink-max", type=int, default=100_000,
                        help="largest size Splink runs at with --with-resolve")
    parser.add_argument("--tables-only", action="store_true",
                        help="no files, no ingest: the world as tables (bench/world.py), "
                             "identity resolution, then graph, Parquet, export, read back")
    parser.add_argument("--no-export", action="store_true",
                        help="--tables-only without the neo4j-admin export")
    parser.add_argument("--no-rings", action="store_true",
                        help="--tables-only without the clusters and rings stages")
    parser.add_argument("--repeat", type=int, default=1,
                        help="build each size this many times (alternating sizes), so a "
                             "growth figure is not one noisy run")
    parser.add_argument("--pick", choices=sorted(PICKS), default=None,
                        help="with --repeat: each stage's figure is the best (least) or "
                             "median of its runs (default best; with --pool, median)")
    parser.add_argument("--json", help="write the measurements to this JSON file")
    parser.add_argument("--no-cold-probe", action="store_true",
                        help="skip bench/cold_memory.py's probe of first-touch costs")
    parser.add_argument("--settle", type=float, default=None,
                        help="seconds to wait before each build, so that every build "
                             "starts on memory as cold as the others' (default: "
                             f"{SETTLE_SECONDS:g} where the VM's balloon reports free "
                             "memory to its host, else 0)")
    parser.add_argument("--stage-repeat", type=int, default=0, metavar="K",
                        help="after the builds, run the graph, clusters and rings stages "
                             "K more times on each size's inputs in one child, sizes "
                             "alternating: their medians and growth")
    parser.add_argument("--pool", nargs="+", metavar="JSON",
                        help="no builds: pool every run of each size in these --json files "
                             "(earlier runs of this bench) and print the tables and growth "
                             "of their medians (--pick best: of their best)")
    parser.add_argument("--child-tables", nargs=2, metavar=("PEOPLE", "OUT"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--child-stages", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_stages:
        rest = args.child_stages[1:]
        stages_child([(int(p), Path(f)) for p, f in zip(rest[::2], rest[1::2])],
                     int(args.child_stages[0]))
        return
    if args.child_tables:
        tables_child(int(args.child_tables[0]), Path(args.child_tables[1]), args.seed,
                     args.graphml, not args.no_export, not args.no_rings)
        return
    pick = args.pick or ("median" if args.pool else "best")
    if args.pool:
        pooled = pooled_runs([Path(path) for path in args.pool])
        print(f"pooled from {len(args.pool)} files: " + ", ".join(
            f"{people:,} people {len(runs)} runs" for people, runs in pooled.items()))
        report([combine(runs, pick) for runs in pooled.values()], pick,
               min(len(runs) for runs in pooled.values()))
        return
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="gk-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    results = []
    try:
        probed = [] if args.no_cold_probe else cold_probe()
        settle = settle_seconds(args.settle)
        if settle:
            print(f"each build starts after {settle:g} s idle (--settle)", flush=True)
        runs: dict[int, list[dict]] = {people: [] for people in sorted(args.sizes)}
        for _ in range(max(args.repeat, 1)):  # sizes alternate: a busy spell hits them all
            for people in runs:
                time.sleep(settle)
                result = build(people, work, args)
                result["settle_seconds"] = settle
                runs[people].append(result)
                print(json.dumps({k: v for k, v in result.items() if k != "stages"}),
                      flush=True)
        results = [combine(found, pick) for found in runs.values()]
        report(results, pick, max(args.repeat, 1))
        if args.stage_repeat > 0 and not args.tables_only:
            rounds = repeat_stages(results, work, args)
            report_repeated_stages(rounds)
            results.append({"repeated_stages": rounds})
        if args.with_resolve:
            results.append({"resolve": with_resolve(sorted(args.sizes), work,
                                                    args.splink_max)})
        if probed:
            results.append({"cold_memory": probed})
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1), encoding="utf-8")
    finally:
        if not args.work and not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
