"""The ``graphkit`` command."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from graphkit.csvsafe import write_csv
from graphkit.ingest.spec import available_specs, load_spec
from graphkit.issues import InputError, IssueLog, stderr_log
from graphkit.lists.ofac_csv import DPRK_NEXUS, SCOPES
from graphkit.lists.read import LIST_FORMATS
from graphkit.screen import DEFAULT_THRESHOLD
from graphkit.settings import DEFAULT_SETTINGS

EXIT_OK, EXIT_ISSUES, EXIT_USAGE = 0, 1, 2


def _settings_overrides(args: argparse.Namespace) -> dict:
    """Settings given on the command line (``None``: not given)."""
    return {
        "max_identifier_share": args.max_identifier_share,
        "max_decompressed_bytes": args.max_decompressed_bytes,
        "max_compression_ratio": args.max_compression_ratio,
        "max_yaml_nodes": args.max_yaml_nodes,
        "max_columns": args.max_columns,
        "max_field_chars": args.max_field_chars,
        "csv_safety": False if args.no_csv_safety else None,
        "graphml": args.graphml,
        "graph_json": args.graph_json,
    }


def _check_out_file(path: str | Path | None, flag: str = "--out") -> None:
    """Before the long work: a CSV to write must go to a file in an existing, writable
    folder."""
    if path is None:
        return
    target = Path(path)
    if target.is_dir():
        raise InputError(f"{flag} {path}: is a folder; give a file name")
    parent = target.absolute().parent
    if not parent.is_dir():
        raise InputError(f"{flag} {path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"{flag} {path}: cannot write in {parent} (read-only?)")


def _inside(folder: Path, path: Path) -> bool:
    root = os.path.abspath(folder)
    return os.path.commonpath([root, os.path.abspath(path)]) == root


def _check_build_inputs(project, out: Path, demo: bool) -> None:
    """Before the long work: lists must be readable files, and no input may live in the
    output folder (the build replaces it)."""
    for path, _fmt in project.sanctions:
        if not Path(path).is_file():
            state = "is not a file" if Path(path).exists() else "no such file"
            raise InputError(f"sanctions list {path}: {state}")
        if not os.access(path, os.R_OK):
            raise InputError(f"sanctions list {path}: not readable (permission denied)")
    if demo:
        return
    for path in [p for p, _ in project.sources] + [p for p, _ in project.sanctions]:
        if _inside(out, Path(path)):
            raise InputError(f"input {path} is inside --out {out}, which the build replaces; "
                             "move it or choose another --out")


def _cmd_build(args: argparse.Namespace) -> int:
    from graphkit.buildfolder import BuildFolder, check_out
    from graphkit.demo import generate_demo
    from graphkit.ingest.project import Project, load_project, native_project
    from graphkit.limits import use_limits
    from graphkit.manifest import utc_now, write_manifest
    from graphkit.pipeline import run_build, write_outputs

    out = Path(args.out)
    log = IssueLog(echo=None if args.quiet else sys.stderr)
    overrides = _settings_overrides(args)
    check_out(out)
    project: Project | None = None
    if args.config:
        project = load_project(args.config, log, max_yaml_nodes=args.max_yaml_nodes)
    elif args.input:
        if not Path(args.input).is_dir():
            raise InputError(f"--input {args.input}: not a folder")
        project = native_project(args.input)
        if not project.sources:
            raise InputError(f"{args.input}: no native files (people.csv, payroll.csv, …) found")
    with BuildFolder(out) as folder:
        started_at, started = utc_now(), time.perf_counter()
        shown: dict[Path, str] = {}
        if args.demo:
            demo_dir = folder.tmp / "demo-data"
            counts = generate_demo(demo_dir, seed=args.seed, n_people=args.demo_people)
            print(f"demo data written to {out / 'demo-data'} ({counts['people.csv']:,} people "
                  "records)", file=sys.stderr)
            project = native_project(demo_dir)
            project.name = f"demo (seed {args.seed})"
            shown = {p: f"demo-data/{p.name}" for p, _ in project.sources}
        assert project is not None
        project.settings = project.settings.with_overrides(**overrides)
        _check_build_inputs(project, out, args.demo)
        with use_limits(project.settings):
            result = run_build(project, log, show_progress=not args.quiet,
                               previous=args.previous)
        write_started = time.perf_counter()
        paths = write_outputs(result, folder.tmp, show_progress=not args.quiet)
        seconds = {**result.seconds, "write": time.perf_counter() - write_started}
        write_manifest(folder.tmp, build_id=folder.build_id, started=started_at, result=result,
                       seconds=seconds, shown=shown, command=args.argv)
        folder.hold_for_tests()
        folder.commit()
    clusters = result.clusters.clusters
    print(f"built in {time.perf_counter() - started:.1f}s: {len(clusters):,} shared-identifier "
          f"clusters, {len(result.hits):,} sanctions hits; wrote "
          + ", ".join(p.name for p in paths) + f", manifest.json to {out} "
          f"(build {folder.build_id})")
    counts = log.counts
    if counts:
        print(f"{counts.get('error', 0)} errors, {counts.get('warning', 0)} warnings "
              f"(see {out / 'issues.csv'})", file=sys.stderr)
    if args.strict and counts:
        print("--strict: input issues make this build fail", file=sys.stderr)
        return EXIT_ISSUES
    return EXIT_OK


def _cmd_demo_data(args: argparse.Namespace) -> int:
    from graphkit.demo import generate_demo
    from graphkit.world import WorldParams, generate_world

    if args.rings is None:
        counts = generate_demo(args.out_dir, seed=args.seed, n_people=args.people)
    else:
        counts = generate_world(args.out_dir, WorldParams().with_overrides(
            people=args.people, seed=args.seed, rings=args.rings,
            household_rate=args.household_rate, ring_scale=args.ring_scale,
            vpn_rate=args.vpn_rate))
    for name, n in counts.items():
        print(f"{name}: {n:,} rows")
    return EXIT_OK


def _cmd_resolve(args: argparse.Namespace) -> int:
    from graphkit.ingest import ingest
    from graphkit.resolve import resolve
    from graphkit.schema import Layout

    _check_out_file(args.out)
    _check_out_file(args.pairs, "--pairs")
    if args.labels and not Path(args.labels).is_file():
        raise InputError(f"--labels {args.labels}: no such file")
    log = IssueLog(echo=sys.stderr)
    data = ingest([(args.people, load_spec(args.loader))], log)
    people = data.records[Layout.PEOPLE]
    if people.empty:
        raise InputError(f"{args.people}: no person records loaded")
    started = time.perf_counter()
    labels = None
    if args.labels:
        import pandas as pd

        labels = pd.read_csv(args.labels, dtype=str, keep_default_na=False)
    result = resolve(people, merge=args.merge, review=args.review, labels=labels)
    seconds = time.perf_counter() - started
    write_csv(result.entities, args.out, not args.no_csv_safety)
    if args.pairs:
        write_csv(result.pairs, args.pairs, not args.no_csv_safety)
    decisions = result.pairs["decision"].value_counts()
    print(f"{len(people):,} records -> {result.entities['entity_id'].nunique():,} entities in "
          f"{seconds:.1f}s ({len(result.blocking):,} candidate pairs; "
          f"{decisions.get('merge', 0):,} merged, {decisions.get('review', 0):,} for review); "
          f"wrote {args.out}" + (f" and {args.pairs}" if args.pairs else ""))
    return EXIT_OK


def _cmd_loaders(args: argparse.Namespace) -> int:
    for name, path in available_specs().items():
        spec = load_spec(path)
        print(f"{name:<16} {spec.layout.value:<10} {spec.description}")
    return EXIT_OK


def _cmd_sdn(args: argparse.Namespace) -> int:
    from graphkit.lists import read_list, read_sdn, select_programs

    _check_out_file(args.out)
    frame = read_list(args.sdn, args.format, stderr_log()) if args.sdn else read_sdn()
    frame = select_programs(frame, args.program or [args.scope])
    flat = frame.copy()
    for col in flat.columns:
        if flat[col].map(lambda v: isinstance(v, list)).any():
            flat[col] = flat[col].map("; ".join)
    write_csv(flat, args.out if args.out else sys.stdout, not args.no_csv_safety)
    print(f"{len(frame):,} entries", file=sys.stderr)
    return EXIT_OK


def _cmd_screen(args: argparse.Namespace) -> int:
    import pandas as pd

    from graphkit.lists import read_list, read_sdn, select_programs
    from graphkit.screen import Screener, screen
    from graphkit.screen.inputs import read_names

    _check_out_file(args.out)
    log = IssueLog(echo=sys.stderr)
    names = read_names(args.names, log)
    formats = args.format or []
    lists = [read_list(path, formats[i] if i < len(formats) else None, log)
             for i, path in enumerate(args.list or [])] or [read_sdn()]
    sanctions = select_programs(pd.concat(lists, ignore_index=True),
                                args.program or [args.scope])
    started = time.perf_counter()
    screener = Screener(sanctions)
    hits = screen(names, sanctions, threshold=args.threshold, screener=screener,
                  show_progress=True)
    seconds = time.perf_counter() - started
    write_csv(hits, args.out, not args.no_csv_safety)
    errors = log.counts.get("error", 0)
    print(f"{len(names):,} names screened against {len(sanctions):,} entries "
          f"({screener.index.size:,} names and aliases) in {seconds:.1f}s: "
          f"{hits['record_id'].nunique():,} with hits at >= {args.threshold}, "
          f"{len(hits):,} hits; wrote {args.out}"
          + (f"; {errors:,} rows skipped (see messages above)" if errors else ""))
    return EXIT_ISSUES if errors and args.strict else EXIT_OK


def _cmd_ingest_bench(args: argparse.Namespace) -> int:
    """Hidden helper for bench scripts: time one ingest and report peak RSS."""
    import resource

    from graphkit.ingest import ingest

    started = time.perf_counter()
    data = ingest([(args.file, load_spec(args.loader))], IssueLog())
    seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"rows={sum(data.count().values())} identifiers={len(data.identifiers)} "
          f"ingest_seconds={seconds:.2f} peak_rss_mib={peak_mib:.0f}")
    return EXIT_OK


def _parse_params(items: list[str] | None) -> dict[str, str]:
    params = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InputError(f"--param expects NAME=VALUE, got {item!r}")
        params[key.strip()] = value
    return params


def _cmd_query_list(args: argparse.Namespace) -> int:
    from graphkit.store.packs import list_queries

    for q in list_queries():
        params = ", ".join(f"{k}={v}" for k, v in q.params.items()) or "-"
        print(f"{q.ref:<34} {q.description}  [params: {params}]")
    return EXIT_OK


def _cmd_query_run(args: argparse.Namespace) -> int:
    from graphkit.store.lifetime import exit_cleanly_on_signals
    from graphkit.store.packs import get_query
    from graphkit.store.runner import open_store, run_query

    exit_cleanly_on_signals()
    query = get_query(args.query)
    params = query.bind(_parse_params(args.param))  # check before starting any engine
    with open_store(args.out, args.uri, args.user, args.database, args.timeout) as store:
        frame = run_query(query, store, params, args.out, show_progress=not args.quiet)
    if args.format == "csv":  # lists as 'a;b;c' cells
        frame = frame.map(lambda v: ";".join(map(str, v)) if isinstance(v, list) else v)
        frame.to_csv(sys.stdout, index=False)
    elif args.format == "json":
        print(frame.to_json(orient="records", force_ascii=False, indent=1))
    else:
        with pd_options():
            print(frame.to_string(index=False) if len(frame) else "(no rows)")
    return EXIT_OK


def pd_options():
    """Wide, untruncated table output for ``--format table``."""
    import pandas as pd

    return pd.option_context("display.width", 200, "display.max_colwidth", 80,
                             "display.max_rows", 500)


def _cmd_load(args: argparse.Namespace) -> int:
    from graphkit.store.build import read_build
    from graphkit.store.runner import neo4j_from

    store = neo4j_from(args.uri, args.user, args.database, args.timeout)
    if store is None:
        raise InputError("graphkit load writes to a Neo4j server: give --uri or NEO4J_URI "
                         "(the embedded engine loads builds itself, in 'graphkit serve' and "
                         "'graphkit query run')")
    try:
        stats = store.load(read_build(args.out), show_progress=not args.quiet, wipe=args.wipe)
    finally:
        store.close()
    print(f"loaded {stats.nodes:,} nodes and {stats.relationships:,} relationships into "
          f"{store.uri} in {stats.seconds:.1f}s")
    return EXIT_OK


def _cmd_serve(args: argparse.Namespace) -> int:
    from graphkit.store.build import build_id, signature
    from graphkit.store.falkor import FalkorStore
    from graphkit.store.lifetime import exit_cleanly_on_signals
    from graphkit.store.serve import registered

    exit_cleanly_on_signals()
    out = Path(args.out)
    build_id(out)  # a clear error before starting anything when there is no build
    store = FalkorStore.start(args.timeout, folder=out)
    try:
        engine = store.engine
        assert engine is not None
        details = {"pid": os.getpid(), "engine_pid": engine.pid, "folder": str(out.resolve()),
                   "socket": str(engine.socket_path), "password": engine.password}
        with registered(out, details):
            name = store.ensure(out, show_progress=True)
            seen = signature(out)
            print(f"serving {out} (graph '{name}') over FalkorDB's protocol on the Unix socket "
                  f"{engine.socket_path}, password required; no TCP port is open. "
                  f"'graphkit query run … --out {out}' uses this engine; the socket and "
                  "password are in the serve file of the private runtime folder beside it. "
                  "Ctrl-C stops.", flush=True)
            try:
                while True:
                    time.sleep(2.0)
                    if signature(out) == seen:
                        continue
                    try:  # rebuilt: load the new build now (queries check it anyway)
                        name = store.ensure(out, show_progress=True)
                    except InputError as exc:  # mid-rebuild: keep serving, try again
                        if engine.process is None or engine.process.poll() is not None:
                            raise
                        print(f"graphkit: {exc}; trying again", file=sys.stderr, flush=True)
                        continue
                    seen = signature(out)
                    print(f"now serving graph '{name}'", flush=True)
            except KeyboardInterrupt:
                print("stopping", file=sys.stderr)
    finally:
        store.close()
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    from graphkit.graph import GRAPH_JSON, NODES_FILE, read_graph_json
    from graphkit.store.export import export_neo4j_admin, export_neo4j_admin_tables

    build = Path(args.build)
    started = time.perf_counter()
    if (build / NODES_FILE).exists():
        files, command = export_neo4j_admin_tables(build, args.out_dir, args.database)
    elif (build / GRAPH_JSON).exists():
        files, command = export_neo4j_admin(read_graph_json(build / GRAPH_JSON), args.out_dir,
                                            args.database)
    else:
        raise InputError(f"{build / NODES_FILE} not found; run 'graphkit build … --out "
                         f"{args.build}' first")
    print(f"wrote {len(files)} files to {args.out_dir} in {time.perf_counter() - started:.1f}s")
    print(command)
    return EXIT_OK


def _add_timeout_flag(parser: argparse.ArgumentParser) -> None:
    from graphkit.store.server import DEFAULT_TIMEOUT

    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help="seconds to wait for the store to start, answer or load a batch "
                             f"(default {DEFAULT_TIMEOUT:g})")


def _add_connection_flags(parser: argparse.ArgumentParser) -> None:
    _add_timeout_flag(parser)
    parser.add_argument("--uri", help="Neo4j Bolt URI (default: NEO4J_URI, else the embedded "
                                      "engine)")
    parser.add_argument("--user", help="user name (default: NEO4J_USER or 'neo4j'); the "
                                       "password is read from NEO4J_PASSWORD only")
    parser.add_argument("--database", help="database name (default: the server's default)")


def _positive_int(text: str) -> int:
    """argparse type: a whole number above 0."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a whole number above 0, got {text!r}")
    return value


def _add_csv_safety_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-csv-safety", action="store_true",
                        help="write CSV cells starting with = + - @ as they are (default: "
                             "prefixed with ' so spreadsheets do not run them)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``graphkit`` command."""
    parser = argparse.ArgumentParser(
        prog="graphkit",
        description="Find DPRK remote-IT-worker rings in hiring and payroll data, as a graph.")
    sub = parser.add_subparsers(dest="command", required=True)

    build = sub.add_parser("build", help="ingest, resolve, screen and cluster; write outputs")
    source = build.add_mutually_exclusive_group(required=True)
    source.add_argument("--demo", action="store_true", help="generate and use the demo data")
    source.add_argument("--config", help="project file (YAML) listing sources and loaders")
    source.add_argument("--input", help="folder of native files (people.csv, payroll.csv …)")
    build.add_argument("--out", required=True, help="output folder")
    build.add_argument("--previous", dest="previous", type=Path, default=None,
                       metavar="OLD_BUILD",
                       help="an earlier build folder: reuse its resolution and screening "
                            "for unchanged records (the result equals a full build)")
    build.add_argument("--strict", action="store_true",
                       help="exit non-zero when any input row or field had an issue")
    build.add_argument("--seed", type=int, default=7, help="demo data seed (default 7)")
    build.add_argument("--demo-people", type=int, default=3000,
                       help="innocent people in the demo data (default 3000)")
    build.add_argument("--max-identifier-share", type=int, default=None,
                       help="identifiers shared by more entities are hubs (default 20)")
    build.add_argument("--graphml", action=argparse.BooleanOptionalAction, default=None,
                       help="write graph.graphml (default: only for builds of at most "
                            "100,000 nodes)")
    build.add_argument("--graph-json", action=argparse.BooleanOptionalAction, default=None,
                       help="write graph.json, node-link JSON (default: as for --graphml)")
    build.add_argument("--quiet", action="store_true", help="no progress, no issue echo")
    limits = build.add_argument_group("limits on hostile input (see README, 'Exit codes')")
    limits.add_argument("--max-decompressed-bytes", type=_positive_int, default=None,
                        help="bytes a .gz input may unpack to (default 4 GiB)")
    limits.add_argument("--max-compression-ratio", type=_positive_int, default=None,
                        help="unpacked/packed size a .gz input may reach past 16 MiB "
                             "(default 200)")
    limits.add_argument("--max-yaml-nodes", type=_positive_int, default=None,
                        help="nodes a project file or loader spec may expand to (default "
                             "100000)")
    limits.add_argument("--max-columns", type=_positive_int, default=None,
                        help="columns a data file may have (default 2000)")
    limits.add_argument("--max-field-chars", type=_positive_int, default=None,
                        help="characters one field may hold (default 10000)")
    _add_csv_safety_flag(build)
    build.set_defaults(func=_cmd_build)

    demo = sub.add_parser("demo-data", help="write the seeded demo files and truth.csv")
    demo.add_argument("out_dir")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--people", type=int, default=3000)
    demo.add_argument("--rings", type=int, default=None,
                      help="plant this many varied rings (a generated world) instead of "
                           "the six demo rings")
    demo.add_argument("--household-rate", type=float, default=None,
                      help="with --rings: share of people living in families")
    demo.add_argument("--ring-scale", type=float, default=None,
                      help="with --rings: factor on planted ring sizes")
    demo.add_argument("--vpn-rate", type=float, default=None,
                      help="with --rings: share of innocent privacy-VPN users")
    demo.set_defaults(func=_cmd_demo_data)

    res = sub.add_parser("resolve", help="resolve person records into entities")
    res.add_argument("people", help="people.csv (native layout, or see --loader)")
    res.add_argument("--out", required=True, help="CSV: record_id, entity_id, score, evidence")
    res.add_argument("--pairs", help="CSV of merged and reviewable pairs with their waterfall")
    res.add_argument("--loader", default="people", help="loader spec (default: people)")
    res.add_argument("--merge", type=float, default=DEFAULT_SETTINGS.merge_threshold,
                     help="merge threshold (probability)")
    res.add_argument("--review", type=float, default=DEFAULT_SETTINGS.review_threshold,
                     help="review threshold")
    res.add_argument("--labels", help="CSV of judged pairs: record_id_l, record_id_r, is_match")
    _add_csv_safety_flag(res)
    res.set_defaults(func=_cmd_resolve)

    loaders = sub.add_parser("loaders", help="list the bundled loader specs")
    loaders.set_defaults(func=_cmd_loaders)

    sdn = sub.add_parser("sdn", help="parse a sanctions list to CSV (default: bundled SDN)")
    sdn.add_argument("sdn", nargs="?", default=None,
                     help="sdn.csv (alt.csv/add.csv beside it), sdn.xml, UN XML or FtM JSON")
    sdn.add_argument("--format", choices=list(LIST_FORMATS), help="default: detected")
    sdn.add_argument("--program", action="append",
                     help="program pattern, e.g. 'DPRK*' (instead of --scope)")
    sdn.add_argument("--scope", choices=SCOPES, default="all",
                     help="entries kept (default all; dprk-nexus: DPRK programs, or North "
                          "Korea in nationality, citizenship, address or remarks)")
    sdn.add_argument("--out", help="CSV file to write (default: standard output)")
    _add_csv_safety_flag(sdn)
    sdn.set_defaults(func=_cmd_sdn)

    scr = sub.add_parser("screen", help="screen names against sanctions lists")
    scr.add_argument("names", help="CSV with record_id, name [, kind, dob, country, id_number]")
    scr.add_argument("--list", action="append",
                     help="sanctions list file (repeatable; default: bundled OFAC SDN)")
    scr.add_argument("--format", action="append", choices=list(LIST_FORMATS),
                     help="format of each --list, in order (default: detected)")
    scr.add_argument("--program", action="append",
                     help="program pattern, e.g. 'DPRK*' (instead of --scope)")
    scr.add_argument("--scope", choices=SCOPES, default=DPRK_NEXUS,
                     help="entries screened against (default dprk-nexus: DPRK programs, or "
                          "North Korea in nationality, citizenship, address or remarks; all)")
    scr.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD,
                     help=f"calibrated score for a hit (default {DEFAULT_THRESHOLD})")
    scr.add_argument("--strict", action="store_true", help="exit 1 when rows were skipped")
    scr.add_argument("--out", required=True, help="hits CSV to write")
    _add_csv_safety_flag(scr)
    scr.set_defaults(func=_cmd_screen)

    query = sub.add_parser("query", help="Cypher query packs")
    query_sub = query.add_subparsers(dest="query_command", required=True)
    qlist = query_sub.add_parser("list", help="list the pack queries")
    qlist.set_defaults(func=_cmd_query_list)
    qrun = query_sub.add_parser("run", help="run one pack query, e.g. rings/shared_accounts")
    qrun.add_argument("query", help="pack/name")
    qrun.add_argument("--param", action="append", help="NAME=VALUE (repeatable)")
    qrun.add_argument("--out", default="out", help="build folder the embedded engine answers "
                                                   "from (default: out)")
    qrun.add_argument("--format", choices=("table", "csv", "json"), default="table")
    qrun.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_connection_flags(qrun)
    qrun.set_defaults(func=_cmd_query_run)

    load = sub.add_parser("load", help="write a build's graph to a Neo4j server (Bolt)")
    load.add_argument("out", help="build folder (holds nodes.parquet, relationships.parquet)")
    load.add_argument("--wipe", action="store_true", help="delete everything in it first")
    load.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_connection_flags(load)
    load.set_defaults(func=_cmd_load)

    serve = sub.add_parser("serve", help="keep the embedded engine (private Unix socket, no "
                                         "TCP) loaded with a build until Ctrl-C")
    serve.add_argument("out", help="build folder (holds nodes.parquet, relationships.parquet)")
    _add_timeout_flag(serve)
    serve.set_defaults(func=_cmd_serve)

    export = sub.add_parser("export", help="export a build for other tools")
    export_sub = export.add_subparsers(dest="export_format", required=True)
    admin = export_sub.add_parser("neo4j-admin",
                                  help="CSVs for 'neo4j-admin database import full'")
    admin.add_argument("out_dir")
    admin.add_argument("--build", default="out", help="build folder (default: out)")
    admin.add_argument("--database", default="neo4j")
    admin.set_defaults(func=_cmd_export)

    bench = sub.add_parser("ingest-bench", help=argparse.SUPPRESS)
    bench.add_argument("file")
    bench.add_argument("--loader", default="people")
    bench.set_defaults(func=_cmd_ingest_bench)
    return parser


def _unusable(exc: BaseException) -> str:
    """One line for an error that ended a command: what failed, on which file."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror}"
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _driver_errors() -> tuple[type[BaseException], ...]:
    try:
        from neo4j.exceptions import DriverError, Neo4jError
    except ImportError:  # pragma: no cover
        return ()
    return (DriverError, Neo4jError)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``graphkit`` command; returns the exit code (0 done, 1 input
    issues under ``--strict``, 2 unusable input or settings, 128+N stopped by signal N).

    Unusable input ends in one line ``graphkit: error: …``; ``GRAPHKIT_DEBUG=1`` adds the
    traceback of errors that were not foreseen."""
    import csv

    from graphkit.buildfolder import BuildInterrupted

    args = build_parser().parse_args(argv)
    args.argv = list(argv) if argv is not None else sys.argv[1:]
    try:
        return args.func(args)
    except BrokenPipeError:  # 'graphkit sdn | head': the reader left; stop quietly
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (no flush error at exit)
        return EXIT_ISSUES
    except InputError as exc:
        print(f"graphkit: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BuildInterrupted as exc:
        print(f"graphkit: {exc}", file=sys.stderr)
        return 128 + exc.signum
    except KeyboardInterrupt:
        print("graphkit: interrupted", file=sys.stderr)
        return 128 + 2
    except (OSError, ValueError, csv.Error, RecursionError, *_driver_errors()) as exc:
        if os.environ.get("GRAPHKIT_DEBUG"):
            import traceback

            traceback.print_exc()
        print(f"graphkit: error: {_unusable(exc)}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

