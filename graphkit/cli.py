"""The ``graphkit`` command.

Subcommands are declared as data: ``COMMANDS`` lists one ``Command`` per subcommand (its
name, the line in ``graphkit --help``, the description and examples of its own ``--help``,
a function declaring its arguments and the one running it). Adding a subcommand is
writing those two functions and appending one ``Command``. Only the command being run has
its arguments declared, and this module imports nothing heavy at the top, so ``graphkit
--help`` and ``graphkit --version`` answer at once.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

#: Exit codes (README, "Exit codes"): done; input issues under ``--strict``; unusable input
#: or settings; a store or server that cannot be reached (worth retrying). 128+N: signal N.
EXIT_OK, EXIT_ISSUES, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3

#: The default build folder of the commands that read one (``--out`` everywhere).
DEFAULT_OUT = "out"


def _input_error(message: str) -> Exception:
    """An ``InputError`` (imported on use: ``graphkit.issues`` needs pandas)."""
    from graphkit.issues import InputError

    return InputError(message)


# -- arguments shared by several commands -----------------------------------------------

def _add_build_folder(parser: argparse.ArgumentParser, old_flag: str | None = None,
                      old_positional: bool = False) -> None:
    """``--out FOLDER``, the build folder, with an older spelling kept working but hidden
    (a flag such as ``--build``, or a positional folder)."""
    parser.add_argument("--out", metavar="FOLDER",
                        help=f"build folder, as written by 'graphkit build --out' (default: "
                             f"{DEFAULT_OUT})")
    if old_flag:
        parser.add_argument(old_flag, dest="out", default=argparse.SUPPRESS,
                            help=argparse.SUPPRESS)
    if old_positional:
        parser.add_argument("old_out", nargs="?", default=None, help=argparse.SUPPRESS)


def _build_folder(args: argparse.Namespace) -> Path:
    """The build folder given by ``--out`` (or its older spelling), else ``out``."""
    old, out = getattr(args, "old_out", None), args.out
    if old and out and Path(old) != Path(out):
        raise _input_error(f"build folder given twice ({old} and --out {out}); give --out "
                           "only")
    return Path(old or out or DEFAULT_OUT)


def _add_timeout_flag(parser: argparse.ArgumentParser) -> None:
    from graphkit.store.timeouts import DEFAULT_TIMEOUT  # not the server: no Redis client

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


def _budget(text: str) -> float:
    """argparse type: review pairs per 1,000 records, a number of 0 or more."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of 0 or more, got {text!r}")
    return value


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


def _check_out_file(path: str | Path | None, flag: str = "--out") -> None:
    """Before the long work: a CSV to write must go to a file in an existing, writable
    folder."""
    if path is None:
        return
    target = Path(path)
    if target.is_dir():
        raise _input_error(f"{flag} {path}: is a folder; give a file name")
    parent = target.absolute().parent
    if not parent.is_dir():
        raise _input_error(f"{flag} {path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise _input_error(f"{flag} {path}: cannot write in {parent} (read-only?)")


# -- build ------------------------------------------------------------------------------

def _args_build(build: argparse.ArgumentParser) -> None:
    from graphkit.settings import DEFAULT_SETTINGS as D

    source = build.add_mutually_exclusive_group(required=True)
    source.add_argument("--demo", action="store_true", help="generate and use the demo data")
    source.add_argument("--config", metavar="FILE",
                        help="project file (YAML) listing sources and loaders")
    source.add_argument("--input", metavar="FOLDER",
                        help="folder of native files (people.csv, payroll.csv …)")
    build.add_argument("--out", required=True, metavar="FOLDER",
                       help="build folder to write (replaced whole when the build is done; "
                            "README 'Build folders')")
    build.add_argument("--strict", action="store_true",
                       help="exit 1 when any input row or field had an issue")
    build.add_argument("--seed", type=int, default=7, help="demo data seed (default 7)")
    build.add_argument("--demo-people", type=int, default=3000, metavar="N",
                       help="innocent people in the demo data (default 3000)")
    build.add_argument("--max-identifier-share", type=int, default=None, metavar="N",
                       help="identifiers shared by more entities are hubs (default "
                            f"{D.max_identifier_share})")
    build.add_argument("--review-budget", type=_budget, default=None, metavar="N",
                       help="uncertain pairs queued for review per 1,000 records, the most "
                            "probable first; the rest are kept apart (0: no cap; default "
                            f"{D.review_budget:g})")
    build.add_argument("--graphml", action=argparse.BooleanOptionalAction, default=None,
                       help="write graph.graphml (default: only for builds of at most "
                            f"{D.graph_files_max_nodes:,} nodes)")
    build.add_argument("--graph-json", action=argparse.BooleanOptionalAction, default=None,
                       help="write graph.json, node-link JSON (default: as for --graphml)")
    build.add_argument("--quiet", action="store_true", help="no progress, no issue echo")
    build.add_argument("--previous", metavar="OLD_BUILD",
                       help="previous build folder (may be the --out folder itself): reuse "
                            "its resolution and screening for unchanged records (the result "
                            "equals a full build), keep its ring ids, write changes.csv and "
                            "changes.json")
    build.add_argument("--allow-settings-change", action="store_true",
                       help="with --previous: compare even if the settings differ")
    build.add_argument("--full", action="store_true",
                       help="with --previous: reuse nothing, compute every stage afresh (ring "
                            "ids and changes still come from the previous build)")
    limits = build.add_argument_group("limits on hostile input (see README, 'Exit codes')")
    limits.add_argument("--max-decompressed-bytes", type=_positive_int, default=None, metavar="N",
                        help="bytes a .gz input may unpack to (default "
                             f"{D.max_decompressed_bytes / 2**30:g} GiB)")
    limits.add_argument("--max-compression-ratio", type=_positive_int, default=None, metavar="N",
                        help="unpacked/packed size a .gz input may reach past 16 MiB "
                             f"(default {D.max_compression_ratio})")
    limits.add_argument("--max-yaml-nodes", type=_positive_int, default=None, metavar="N",
                        help="nodes a project file or loader spec may expand to (default "
                             f"{D.max_yaml_nodes})")
    limits.add_argument("--max-columns", type=_positive_int, default=None, metavar="N",
                        help=f"columns a data file may have (default {D.max_columns})")
    limits.add_argument("--max-field-chars", type=_positive_int, default=None, metavar="N",
                        help=f"characters one field may hold (default {D.max_field_chars})")
    _add_csv_safety_flag(build)


def _settings_overrides(args: argparse.Namespace) -> dict:
    """Settings given on the command line (``None``: not given)."""
    return {
        "max_identifier_share": args.max_identifier_share,
        "review_budget": args.review_budget,
        "max_decompressed_bytes": args.max_decompressed_bytes,
        "max_compression_ratio": args.max_compression_ratio,
        "max_yaml_nodes": args.max_yaml_nodes,
        "max_columns": args.max_columns,
        "max_field_chars": args.max_field_chars,
        "csv_safety": False if args.no_csv_safety else None,
        "graphml": args.graphml,
        "graph_json": args.graph_json,
    }


def _inside(folder: Path, path: Path) -> bool:
    root = os.path.abspath(folder)
    return os.path.commonpath([root, os.path.abspath(path)]) == root


def _check_build_inputs(project, out: Path, demo: bool) -> None:
    """Before the long work: lists must be readable files, and no input may live in the
    output folder (the build replaces it)."""
    for path, _fmt in project.sanctions:
        if not Path(path).is_file():
            state = "is not a file" if Path(path).exists() else "no such file"
            raise _input_error(f"sanctions list {path}: {state}")
        if not os.access(path, os.R_OK):
            raise _input_error(f"sanctions list {path}: not readable (permission denied)")
    if demo:
        return
    for path in [p for p, _ in project.sources] + [p for p, _ in project.sanctions]:
        if _inside(out, Path(path)):
            raise _input_error(f"input {path} is inside --out {out}, which the build "
                               "replaces; move it or choose another --out")


def _cmd_build(args: argparse.Namespace) -> int:
    from graphkit.buildfolder import BuildFolder, check_out
    from graphkit.ingest.project import Project, load_project, native_project
    from graphkit.issues import IssueLog
    from graphkit.limits import use_limits
    from graphkit.manifest import utc_now, write_manifest
    from graphkit.pipeline import STAGES, run_build, write_outputs
    from graphkit.progress import Stages

    out = Path(args.out)
    log = IssueLog(echo=None if args.quiet else sys.stderr)
    overrides = _settings_overrides(args)
    check_out(out)
    project: Project | None = None
    if args.config:
        project = load_project(args.config, log, max_yaml_nodes=args.max_yaml_nodes)
    elif args.input:
        if not Path(args.input).is_dir():
            raise _input_error(f"--input {args.input}: not a folder")
        project = native_project(args.input)
        if not project.sources:
            raise _input_error(f"{args.input}: no native files (people.csv, payroll.csv, …) "
                               "found")
    with BuildFolder(out) as folder:
        started_at, started = utc_now(), time.perf_counter()
        shown: dict[Path, str] = {}
        if args.demo:
            from graphkit.demo import generate_demo

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
        previous = _check_previous(args, project.settings)
        stages = Stages([*STAGES, "write"], show=not args.quiet)  # one bar, outputs too
        try:
            with use_limits(project.settings):
                result = run_build(project, log, stages=stages, previous=previous,
                                   reuse=not args.full)
            write_started = time.perf_counter()
            paths = write_outputs(result, folder.tmp, stages=stages, built=started_at)
        finally:
            stages.close()
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


def _check_previous(args: argparse.Namespace, settings) -> Path | None:
    """``build --previous``: the folder, checked (complete build, same settings)."""
    if not args.previous:
        for flag in ("full", "allow_settings_change"):
            if getattr(args, flag):
                raise _input_error(f"--{flag.replace('_', '-')} needs --previous")
        return None
    from graphkit.nightly.diff import check_previous

    previous = Path(args.previous)
    differences = check_previous(previous, settings.to_dict(), args.allow_settings_change)
    if differences:
        print("settings changed since the previous build: " + "; ".join(differences),
              file=sys.stderr)
    return previous


def _args_diff(diff: argparse.ArgumentParser) -> None:
    diff.add_argument("old", help="the older build folder")
    diff.add_argument("new", help="the newer build folder")
    diff.add_argument("--out", metavar="FOLDER",
                      help="folder to write changes.csv and changes.json to (default: print "
                           "the headline counts only)")
    diff.add_argument("--allow-settings-change", action="store_true",
                      help="compare builds made with different settings (named in the "
                           "output)")
    _add_csv_safety_flag(diff)


def _cmd_diff(args: argparse.Namespace) -> int:
    from graphkit.nightly.diff import diff_builds

    changes = diff_builds(Path(args.old), Path(args.new),
                          allow_settings_change=args.allow_settings_change)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        paths = changes.write(out, not args.no_csv_safety)
        print("\n".join(changes.headline()) + "\nwrote " + ", ".join(str(p) for p in paths))
    else:
        print("\n".join(changes.headline()))
    return EXIT_OK


# -- demo-data, resolve, loaders --------------------------------------------------------

def _args_demo_data(demo: argparse.ArgumentParser) -> None:
    demo.add_argument("out_dir", metavar="FOLDER", help="folder to write the data files to")
    demo.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    demo.add_argument("--people", type=int, default=3000,
                      help="innocent people (default 3000)")
    demo.add_argument("--rings", type=int, default=None,
                      help="plant this many varied rings (a generated world) instead of "
                           "the six demo rings")
    demo.add_argument("--household-rate", type=float, default=None,
                      help="with --rings: share of people living in families")
    demo.add_argument("--ring-scale", type=float, default=None,
                      help="with --rings: factor on planted ring sizes")
    demo.add_argument("--vpn-rate", type=float, default=None,
                      help="with --rings: share of innocent privacy-VPN users")


def _cmd_demo_data(args: argparse.Namespace) -> int:
    from graphkit.demo import generate_demo
    from graphkit.progress import Stages
    from graphkit.world import WorldParams, generate_world

    stages = Stages(["generate"], label="demo-data")
    with stages.stage("generate") as st:
        if args.rings is None:
            counts = generate_demo(args.out_dir, seed=args.seed, n_people=args.people)
        else:
            counts = generate_world(args.out_dir, WorldParams().with_overrides(
                people=args.people, seed=args.seed, rings=args.rings,
                household_rate=args.household_rate, ring_scale=args.ring_scale,
                vpn_rate=args.vpn_rate))
        st.rows_out = sum(counts.values())
    stages.close()
    for name, n in counts.items():
        print(f"{name}: {n:,} rows")
    return EXIT_OK


def _args_resolve(res: argparse.ArgumentParser) -> None:
    from graphkit.settings import DEFAULT_SETTINGS

    res.add_argument("people", help="people.csv (native layout, or see --loader)")
    res.add_argument("--out", required=True, help="CSV: record_id, entity_id, score, evidence")
    res.add_argument("--pairs", help="CSV of merged and reviewable pairs with their waterfall")
    res.add_argument("--loader", default="people", help="loader spec (default: people)")
    res.add_argument("--merge", type=float, default=DEFAULT_SETTINGS.merge_threshold,
                     help="merge threshold (probability; default "
                          f"{DEFAULT_SETTINGS.merge_threshold:g})")
    res.add_argument("--review", type=float, default=DEFAULT_SETTINGS.review_threshold,
                     help=f"review threshold (default {DEFAULT_SETTINGS.review_threshold:g})")
    res.add_argument("--review-budget", type=_budget, default=DEFAULT_SETTINGS.review_budget,
                     metavar="N", help="uncertain pairs queued for review per 1,000 records; "
                     f"the rest are kept apart (0: no cap; default "
                     f"{DEFAULT_SETTINGS.review_budget:g})")
    res.add_argument("--labels", help="CSV of judged pairs: record_id_l, record_id_r, is_match")
    res.add_argument("--quiet", action="store_true", help="no progress")
    _add_csv_safety_flag(res)


def _cmd_resolve(args: argparse.Namespace) -> int:
    from graphkit.csvsafe import write_csv
    from graphkit.ingest import ingest
    from graphkit.ingest.spec import load_spec
    from graphkit.issues import IssueLog
    from graphkit.progress import Stages
    from graphkit.resolve import resolve
    from graphkit.schema import Layout

    _check_out_file(args.out)
    _check_out_file(args.pairs, "--pairs")
    if args.labels and not Path(args.labels).is_file():
        raise _input_error(f"--labels {args.labels}: no such file")
    log = IssueLog(echo=sys.stderr)
    stages = Stages(["ingest", "resolve", "write"], show=not args.quiet, label="resolve")
    try:
        with stages.stage("ingest") as st:
            data = ingest([(args.people, load_spec(args.loader))], log)
            people = data.records[Layout.PEOPLE]
            st.rows_out = len(people)
        if people.empty:
            raise _input_error(f"{args.people}: no person records loaded")
        labels = None
        if args.labels:
            import pandas as pd

            labels = pd.read_csv(args.labels, dtype=str, keep_default_na=False)
        with stages.stage("resolve", rows_in=len(people)) as st:
            result = resolve(people, merge=args.merge, review=args.review, labels=labels,
                             review_budget=args.review_budget)
            st.rows_out = result.entities["entity_id"].nunique()
        seconds = stages.stats[-1].seconds
        with stages.stage("write", rows_in=len(result.entities)) as st:
            write_csv(result.entities, args.out, not args.no_csv_safety)
            if args.pairs:
                write_csv(result.pairs, args.pairs, not args.no_csv_safety)
            st.rows_out = st.rows_in
    finally:
        stages.close()
    decisions = result.pairs["decision"].value_counts()
    print(f"{len(people):,} records -> {result.entities['entity_id'].nunique():,} entities in "
          f"{seconds:.1f}s ({len(result.blocking):,} candidate pairs; "
          f"{decisions.get('merge', 0):,} merged, {decisions.get('review', 0):,} for review"
          + (f", {decisions.get('over_budget', 0):,} over the review budget, kept apart"
             if decisions.get('over_budget', 0) else "") + "); "
          f"wrote {args.out}" + (f" and {args.pairs}" if args.pairs else ""))
    return EXIT_OK


def _cmd_loaders(args: argparse.Namespace) -> int:
    from graphkit.ingest.spec import available_specs, load_spec

    for name, path in available_specs().items():
        spec = load_spec(path)
        print(f"{name:<16} {spec.layout.value:<10} {spec.description}")
    return EXIT_OK


# -- sanctions lists and screening ------------------------------------------------------

def _args_sdn(sdn: argparse.ArgumentParser) -> None:
    from graphkit.lists.ofac_csv import SCOPES
    from graphkit.lists.read import LIST_FORMATS

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


def _cmd_sdn(args: argparse.Namespace) -> int:
    from graphkit.csvsafe import write_csv
    from graphkit.issues import stderr_log
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


def _args_screen(scr: argparse.ArgumentParser) -> None:
    from graphkit.lists.ofac_csv import DPRK_NEXUS, SCOPES
    from graphkit.lists.read import LIST_FORMATS
    from graphkit.settings import DEFAULT_SETTINGS

    threshold = DEFAULT_SETTINGS.screen_threshold
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
    scr.add_argument("--threshold", type=float, default=threshold,
                     help=f"calibrated score for a hit (default {threshold})")
    scr.add_argument("--strict", action="store_true", help="exit 1 when rows were skipped")
    scr.add_argument("--since", metavar="OLD_LIST",
                     help="an older version of the list: report only matches with entries "
                          "added since (newly_listed) or removed (cleared)")
    scr.add_argument("--since-format", choices=list(LIST_FORMATS),
                     help="format of --since (default: detected)")
    scr.add_argument("--out", required=True, help="hits CSV to write")
    scr.add_argument("--quiet", action="store_true", help="no progress")
    _add_csv_safety_flag(scr)


def _cmd_screen(args: argparse.Namespace) -> int:
    import pandas as pd

    from graphkit.csvsafe import write_csv
    from graphkit.issues import IssueLog
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
    if args.since:
        return _screen_since(args, names, sanctions, log)
    started = time.perf_counter()
    screener = Screener(sanctions)
    hits = screen(names, sanctions, threshold=args.threshold, screener=screener,
                  show_progress=not args.quiet)
    seconds = time.perf_counter() - started
    write_csv(hits, args.out, not args.no_csv_safety)
    errors = log.counts.get("error", 0)
    print(f"{len(names):,} names screened against {len(sanctions):,} entries "
          f"({screener.index.size:,} names and aliases) in {seconds:.1f}s: "
          f"{hits['record_id'].nunique():,} with hits at >= {args.threshold}, "
          f"{len(hits):,} hits; wrote {args.out}"
          + (f"; {errors:,} rows skipped (see messages above)" if errors else ""))
    return EXIT_ISSUES if errors and args.strict else EXIT_OK


def _screen_since(args: argparse.Namespace, names, sanctions, log) -> int:
    from graphkit.csvsafe import write_csv
    from graphkit.lists import read_list, select_programs
    from graphkit.nightly.listdiff import added_and_removed, screen_since

    old = select_programs(read_list(args.since, args.since_format, log),
                          args.program or [args.scope])
    added, removed = added_and_removed(old, sanctions)
    hits = screen_since(names, old, sanctions, args.threshold)
    write_csv(hits, args.out, not args.no_csv_safety)
    counts = hits["change"].value_counts()
    print(f"{len(names):,} names screened against the {len(added):,} entries added and "
          f"{len(removed):,} removed since {args.since}: "
          f"{int(counts.get('newly_listed', 0)):,} newly listed, "
          f"{int(counts.get('cleared', 0)):,} cleared; wrote {args.out}")
    errors = log.counts.get("error", 0)
    return EXIT_ISSUES if errors and args.strict else EXIT_OK


# -- query packs ------------------------------------------------------------------------

def _parse_params(items: list[str] | None) -> dict[str, str]:
    params = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise _input_error(f"--param expects NAME=VALUE, got {item!r}")
        params[key.strip()] = value
    return params


def _cmd_query_list(args: argparse.Namespace) -> int:
    from graphkit.store.packs import list_queries

    for q in list_queries():
        params = ", ".join(f"{k}={v}" for k, v in q.params.items()) or "-"
        print(f"{q.ref:<34} {q.description}  [params: {params}]")
    return EXIT_OK


#: Output formats of ``graphkit query run``.
QUERY_FORMATS = ("table", "csv", "json", "ndjson")


def _args_query_run(qrun: argparse.ArgumentParser) -> None:
    qrun.add_argument("query", help="pack/name, or a name only one pack has "
                                    "('graphkit query list')")
    qrun.add_argument("--param", action="append", help="NAME=VALUE (repeatable)")
    _add_build_folder(qrun)
    qrun.add_argument("--format", choices=QUERY_FORMATS, default="table",
                      help="table (default); csv (lists as a;b;c, spreadsheet formulas "
                           "neutralised); json (one array); ndjson (one object a line)")
    qrun.add_argument("--quiet", action="store_true", help="no progress")
    _add_csv_safety_flag(qrun)
    _add_connection_flags(qrun)


def _cmd_query_run(args: argparse.Namespace) -> int:
    from graphkit.csvsafe import write_csv
    from graphkit.store.lifetime import exit_cleanly_on_signals
    from graphkit.store.packs import get_query
    from graphkit.store.runner import open_store, run_query

    exit_cleanly_on_signals()
    query = get_query(args.query)
    params = query.bind(_parse_params(args.param))  # check before starting any engine
    out = _build_folder(args)
    with open_store(out, args.uri, args.user, args.database, args.timeout) as store:
        frame = run_query(query, store, params, out, show_progress=not args.quiet)
    if args.format == "csv":  # lists as 'a;b;c' cells
        frame = frame.map(lambda v: ";".join(map(str, v)) if isinstance(v, list) else v)
        write_csv(frame, sys.stdout, not args.no_csv_safety)
    elif args.format == "json":
        print(frame.to_json(orient="records", force_ascii=False, indent=1))
    elif args.format == "ndjson":
        text = frame.to_json(orient="records", lines=True, force_ascii=False) if len(frame) \
            else ""
        sys.stdout.write(text if not text or text.endswith("\n") else text + "\n")
    else:
        with pd_options():
            print(frame.to_string(index=False) if len(frame) else "(no rows)")
    return EXIT_OK


def pd_options():
    """Wide, untruncated table output for ``--format table``."""
    import pandas as pd

    return pd.option_context("display.width", 200, "display.max_colwidth", 80,
                             "display.max_rows", 500)


# -- stores: load, serve, export --------------------------------------------------------

def _args_load(load: argparse.ArgumentParser) -> None:
    _add_build_folder(load, old_positional=True)
    load.add_argument("--wipe", action="store_true", help="delete everything in it first")
    load.add_argument("--quiet", action="store_true", help="no progress")
    _add_connection_flags(load)


def _cmd_load(args: argparse.Namespace) -> int:
    from graphkit.store.build import read_build
    from graphkit.store.runner import neo4j_from

    out = _build_folder(args)
    store = neo4j_from(args.uri, args.user, args.database, args.timeout)
    if store is None:
        raise _input_error("graphkit load writes to a Neo4j server: give --uri or NEO4J_URI "
                           "(the embedded engine loads builds itself, in 'graphkit serve' "
                           "and 'graphkit query run')")
    try:
        stats = store.load(read_build(out), show_progress=not args.quiet, wipe=args.wipe)
    finally:
        store.close()
    print(f"loaded {stats.nodes:,} nodes and {stats.relationships:,} relationships into "
          f"{store.uri} in {stats.seconds:.1f}s")
    return EXIT_OK


def _args_serve(serve: argparse.ArgumentParser) -> None:
    _add_build_folder(serve, old_positional=True)
    _add_timeout_flag(serve)


def _cmd_serve(args: argparse.Namespace) -> int:
    from graphkit.issues import InputError
    from graphkit.store.build import build_id, signature
    from graphkit.store.falkor import FalkorStore
    from graphkit.store.lifetime import exit_cleanly_on_signals
    from graphkit.store.serve import registered

    exit_cleanly_on_signals()
    out = _build_folder(args)
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


def _args_export_neo4j_admin(admin: argparse.ArgumentParser) -> None:
    admin.add_argument("out_dir", metavar="EXPORT_DIR",
                       help="folder to write the import CSVs to")
    _add_build_folder(admin, old_flag="--build")
    admin.add_argument("--database", default="neo4j",
                       help="database the printed import command names (default neo4j)")


def _cmd_export(args: argparse.Namespace) -> int:
    from graphkit.graph import GRAPH_JSON, NODES_FILE, read_graph_json
    from graphkit.progress import Stages
    from graphkit.store.export import export_neo4j_admin, export_neo4j_admin_tables

    build = _build_folder(args)
    started = time.perf_counter()
    if not (build / NODES_FILE).exists() and not (build / GRAPH_JSON).exists():
        raise _input_error(f"{build / NODES_FILE} not found; run 'graphkit build … --out "
                           f"{build}' first")
    stages = Stages(["export"], label="export")
    with stages.stage("export") as st:
        if (build / NODES_FILE).exists():
            files, command = export_neo4j_admin_tables(build, args.out_dir, args.database)
        else:
            files, command = export_neo4j_admin(read_graph_json(build / GRAPH_JSON),
                                                args.out_dir, args.database)
        st.rows_out = len(files)
    stages.close()
    print(f"wrote {len(files)} files to {args.out_dir} in {time.perf_counter() - started:.1f}s")
    print(command)
    return EXIT_OK


# -- hidden helpers ---------------------------------------------------------------------

def _args_ingest_bench(bench: argparse.ArgumentParser) -> None:
    bench.add_argument("file")
    bench.add_argument("--loader", default="people")


def _cmd_ingest_bench(args: argparse.Namespace) -> int:
    """Hidden helper for bench scripts: time one ingest and report peak RSS."""
    import resource

    from graphkit.ingest import ingest
    from graphkit.ingest.spec import load_spec
    from graphkit.issues import IssueLog

    started = time.perf_counter()
    data = ingest([(args.file, load_spec(args.loader))], IssueLog())
    seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"rows={sum(data.count().values())} identifiers={len(data.identifiers)} "
          f"ingest_seconds={seconds:.2f} peak_rss_mib={peak_mib:.0f}")
    return EXIT_OK


# -- the commands, as data --------------------------------------------------------------

@dataclass(frozen=True)
class Command:
    """One subcommand: ``summary`` is its line in ``graphkit --help``; ``description``
    and ``examples`` make its own ``--help``; ``arguments`` declares its arguments on its
    parser and ``run`` runs it (returning the exit code). A command with ``subcommands``
    only chooses among them; a ``hidden`` one is left out of every help and suggestion."""

    name: str
    summary: str
    description: str
    examples: tuple[str, ...] = ()
    arguments: Callable[[argparse.ArgumentParser], None] | None = None
    run: Callable[[argparse.Namespace], int] | None = None
    subcommands: tuple[Command, ...] = ()
    hidden: bool = False


COMMANDS: tuple[Command, ...] = (
    Command("build", "ingest, resolve, screen, find rings; write a build folder",
            "Run every stage (ingest → resolve → screen → graph → clusters → rings) on a "
            "folder of native files, a project file or the demo data, and write the build "
            "folder: report.html, rings.csv/json, clusters.csv, entities.csv, "
            "sanctions_hits.csv, issues.csv, the graph (nodes.parquet, "
            "relationships.parquet), summary.txt, build.json and manifest.json. The folder "
            "is replaced whole, only once everything is written.",
            ("graphkit build --demo --out out",
             "graphkit build --input data/ --out out --strict",
             "graphkit build --config project.yml --out out --max-identifier-share 30",
             "graphkit build --input data/ --out out --previous out"),
            _args_build, _cmd_build),
    Command("demo-data", "write the seeded demo files and truth.csv",
            "Write native data files (people.csv, payroll.csv, shipments.csv, logins.csv, "
            "companies.csv) with planted rings and their truth.csv: the six demo rings, or "
            "with --rings a generated world of any size.",
            ("graphkit demo-data demo/",
             "graphkit demo-data world/ --people 100000 --rings 40 --seed 3"),
            _args_demo_data, _cmd_demo_data),
    Command("resolve", "resolve person records into entities",
            "Resolve person records into entities (one entity per real person) and write "
            "which record belongs to which entity, with the score and evidence of each "
            "merge; --pairs adds every merged and reviewable pair with its waterfall.",
            ("graphkit resolve people.csv --out entities.csv --pairs pairs.csv",
             "graphkit resolve candidates.csv --loader ats_export --out entities.csv"),
            _args_resolve, _cmd_resolve),
    Command("loaders", "list the bundled loader specs",
            "List the bundled loader specs (name, layout, description): the --loader values "
            "of 'graphkit resolve' and the loader names of a project file.",
            ("graphkit loaders",), None, _cmd_loaders),
    Command("sdn", "parse a sanctions list to CSV (default: bundled SDN)",
            "Parse a sanctions list (OFAC SDN CSV or XML, UN consolidated XML, FtM JSON; the "
            "bundled OFAC SDN by default) into one CSV row per entry.",
            ("graphkit sdn --scope dprk-nexus --out dprk.csv",
             "graphkit sdn consolidated.xml --program 'DPRK*' --out dprk.csv"),
            _args_sdn, _cmd_sdn),
    Command("screen", "screen names against sanctions lists",
            "Screen names against sanctions lists and write every hit at or above the "
            "calibrated threshold, with its evidence.",
            ("graphkit screen names.csv --out hits.csv",
             "graphkit screen names.csv --list un.xml --list sdn.xml --threshold 0.7 "
             "--out hits.csv",
             "graphkit screen names.csv --list sdn-new.csv --since sdn-old.csv --out new.csv"),
            _args_screen, _cmd_screen),
    Command("diff", "what changed between two build folders",
            "Compare two build folders: new, grown, shrunk and dissolved rings (who joined, "
            "who left, with the evidence), score changes, new, cleared and newly listed "
            "sanctions hits, entity merges and splits, records added and removed per source. "
            "Builds made with different settings are refused unless told otherwise.",
            ("graphkit diff old/ out/",
             "graphkit diff old/ out/ --out changes/ --allow-settings-change"),
            _args_diff, _cmd_diff),
    Command("query", "run Cypher query packs on a build",
            "Cypher query packs (queries/<pack>/<name>.cypher): list them, or run one on a "
            "build (the embedded engine, or a Neo4j server with --uri).",
            ("graphkit query list", "graphkit query run shared_accounts --out out"),
            subcommands=(
                Command("list", "list the pack queries",
                        "List every pack query with its description and parameters.",
                        ("graphkit query list",), None, _cmd_query_list),
                Command("run", "run one pack query, e.g. rings/shared_accounts",
                        "Run one pack query on the build in --out (loaded into the embedded "
                        "engine, or the engine of a 'graphkit serve' on it), or on a Neo4j "
                        "server (--uri or NEO4J_URI, NEO4J_PASSWORD) that 'graphkit load' "
                        "filled. A bare query name is enough when one pack alone has it.",
                        ("graphkit query run rings/shared_accounts --out out",
                         "graphkit query run shared_ips --param min_members=3 --format "
                         "ndjson",
                         "NEO4J_URI=bolt://localhost:7687 graphkit query run "
                         "overview/node_counts --format csv"),
                        _args_query_run, _cmd_query_run),
            )),
    Command("load", "write a build's graph to a Neo4j server (Bolt)",
            "Merge a build's nodes and relationships into a Neo4j server over Bolt (--uri "
            "or NEO4J_URI; the password from NEO4J_PASSWORD only).",
            ("graphkit load --out out --uri bolt://localhost:7687 --wipe",),
            _args_load, _cmd_load),
    Command("serve", "keep the embedded engine loaded with a build until Ctrl-C",
            "Keep the embedded engine (a private Unix socket, no TCP port) loaded with the "
            "build in --out until Ctrl-C, so that 'graphkit query run' answers at once; a "
            "rebuild of the folder is loaded as soon as it is done.",
            ("graphkit serve --out out",), _args_serve, _cmd_serve),
    Command("export", "export a build for other tools",
            "Export a build for other tools.",
            ("graphkit export neo4j-admin import/ --out out",),
            subcommands=(
                Command("neo4j-admin", "CSVs for 'neo4j-admin database import full'",
                        "Write a build's graph as the CSVs of 'neo4j-admin database import "
                        "full' (streamed from its Parquet tables) and print the import "
                        "command.",
                        ("graphkit export neo4j-admin import/ --out out --database neo4j",),
                        _args_export_neo4j_admin, _cmd_export),
            )),
    Command("ingest-bench", "", "Time one ingest (bench scripts).", (),
            _args_ingest_bench, _cmd_ingest_bench, hidden=True),
)


# -- the parser -------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    """argparse, with "did you mean …?" for a mistyped command or choice."""

    def _check_value(self, action: argparse.Action, value: object) -> None:
        if action.choices is None or value in action.choices:
            return
        hidden = getattr(action, "hidden", set())
        names = [str(c) for c in action.choices if c not in hidden]
        close = difflib.get_close_matches(str(value), names, n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise argparse.ArgumentError(
            action, f"invalid choice: {value!r}{hint} (choose from {', '.join(names)})")


def package_version() -> str:
    """graphkit's version, from the installed package's metadata."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("graphkit")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "unknown (not installed)"


class _VersionAction(argparse.Action):
    """``--version``: the installed version, looked up only when asked (reading package
    metadata costs every other command its import of ``importlib.metadata``)."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS,
                 default: str = argparse.SUPPRESS,
                 help: str = "show program's version number and exit") -> None:
        super().__init__(option_strings=option_strings, dest=dest, default=default, nargs=0,
                         help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        print(f"graphkit {package_version()}", file=sys.stdout)
        parser.exit()


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Examples kept line by line; room for the longer command names."""

    def __init__(self, prog: str, max_help_position: int = 30, **kwargs) -> None:
        super().__init__(prog, max_help_position=max_help_position, **kwargs)

    def add_argument(self, action: argparse.Action) -> None:
        super().add_argument(action)
        for choice in getattr(action, "_choices_actions", ()):  # argparse leaves out the
            # command names' width when the list has a metavar ('COMMAND')
            width = len(choice.metavar or choice.dest) + self._current_indent + 4
            self._action_max_length = max(self._action_max_length, width)


def _examples(command: Command) -> str | None:
    if not command.examples:
        return None
    return "examples:\n" + "\n".join(f"  {e}" for e in command.examples)


def _add_commands(parser: argparse.ArgumentParser, commands: tuple[Command, ...],
                  chosen: list[str] | None, depth: int = 0) -> None:
    """Declare ``commands`` on ``parser``; arguments only for the one ``chosen`` names
    (all when ``chosen`` is None)."""
    sub = parser.add_subparsers(dest="command" if depth == 0 else f"command_{depth}",
                                metavar="COMMAND", required=True)
    sub.hidden = {c.name for c in commands if c.hidden}  # type: ignore[attr-defined]
    for command in commands:
        child = sub.add_parser(
            command.name, description=textwrap.fill(command.description, 79),
            epilog=_examples(command), formatter_class=_Formatter,
            **({} if command.hidden else {"help": command.summary}))
        if chosen is not None and (len(chosen) <= depth or chosen[depth] != command.name):
            continue  # not run: its name (and line in --help) is enough
        if command.subcommands:
            _add_commands(child, command.subcommands, chosen, depth + 1)
            continue
        if command.arguments is not None:
            command.arguments(child)
        child.set_defaults(func=command.run)


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser of the ``graphkit`` command. With ``argv``, only the command
    it names gets its arguments declared (which may import graphkit's heavy modules)."""
    parser = _Parser(
        prog="graphkit", formatter_class=_Formatter,
        description="Find DPRK remote-IT-worker rings in hiring and payroll data, as a graph.",
        epilog="examples:\n  graphkit build --demo --out out\n"
               "  graphkit query run shared_accounts --out out\n"
               "'graphkit COMMAND --help' tells more; exit codes: README, 'Exit codes'.")
    parser.add_argument("--version", action=_VersionAction)
    chosen = None if argv is None else [a for a in argv if not a.startswith("-")][:2]
    _add_commands(parser, COMMANDS, chosen)
    return parser


# -- running ----------------------------------------------------------------------------
def _unusable(exc: BaseException) -> str:
    """One line for an error that ended a command: what failed, on which file."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror}"
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _store_unavailable() -> tuple[type[BaseException], ...]:
    """``StoreUnavailable`` when the store's module was loaded (only a command that used a
    store can raise it; importing it for every command would load the Redis client)."""
    server = sys.modules.get("graphkit.store.server")
    return (server.StoreUnavailable,) if server is not None else ()


def _driver_errors() -> tuple[type[BaseException], ...]:
    try:
        from neo4j.exceptions import DriverError, Neo4jError
    except ImportError:  # pragma: no cover
        return ()
    return (DriverError, Neo4jError)


def _driver_unreachable() -> tuple[type[BaseException], ...]:
    """Neo4j driver errors of a server gone or unreachable mid-command (exit 3)."""
    try:
        from neo4j.exceptions import ServiceUnavailable, SessionExpired
    except ImportError:  # pragma: no cover
        return ()
    return (ServiceUnavailable, SessionExpired)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """``argv`` parsed; only the chosen command's arguments are declared."""
    args = build_parser(argv).parse_args(argv)
    if getattr(args, "func", None) is None:  # the quick guess of the command missed
        args = build_parser().parse_args(argv)
    return args


#: The command ``main`` ran last (``run`` decides how the process ends by it).
_command_run: str | None = None


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``graphkit`` command; returns the exit code (0 done, 1 input
    issues under ``--strict``, 2 unusable input or settings, 3 a store or server that
    cannot be reached, 128+N stopped by signal N).

    Errors end in one line ``graphkit: error: …``; ``GRAPHKIT_DEBUG=1`` adds the traceback
    of errors that were not foreseen."""
    global _command_run
    argv = list(argv) if argv is not None else sys.argv[1:]
    args = parse_args(argv)
    args.argv = argv
    _command_run = args.command

    import csv
    import logging

    from graphkit.buildfolder import BuildInterrupted
    from graphkit.issues import InputError

    debug = bool(os.environ.get("GRAPHKIT_DEBUG"))
    if not debug:  # the driver's own warnings would add lines to our one-line error
        logging.getLogger("neo4j").addHandler(logging.NullHandler())
        logging.getLogger("neo4j").propagate = False
    try:
        return args.func(args)
    except BrokenPipeError:  # 'graphkit sdn | head': the reader left; stop quietly
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (no flush error at exit)
        return EXIT_ISSUES
    except _store_unavailable() as exc:
        print(f"graphkit: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_UNREACHABLE
    except InputError as exc:
        print(f"graphkit: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BuildInterrupted as exc:
        print(f"graphkit: {exc}", file=sys.stderr)
        return 128 + exc.signum
    except KeyboardInterrupt:
        print("graphkit: interrupted", file=sys.stderr)
        return 128 + 2
    except _driver_unreachable() as exc:
        print(f"graphkit: error: the Neo4j server stopped answering ({type(exc).__name__}: "
              f"{_one_line(exc)})", file=sys.stderr)
        return EXIT_UNREACHABLE
    except (OSError, ValueError, csv.Error, RecursionError, *_driver_errors()) as exc:
        if debug:
            import traceback

            traceback.print_exc()
        print(f"graphkit: error: {_unusable(exc)}", file=sys.stderr)
        return EXIT_USAGE


#: Commands whose process may end with ``os._exit`` once done (``run``): they start no
#: server and hold no file open when they return; tearing down the interpreter (every
#: module, every object: 0.3-0.6 s after a build) would change nothing on disk.
QUICK_EXIT_COMMANDS = frozenset({"build", "demo-data", "diff", "loaders", "resolve", "screen",
                                 "sdn"})


def run(argv: list[str] | None = None) -> NoReturn:
    """The ``graphkit`` program (console script, ``python -m graphkit``): ``main``, then
    end the process. After one of ``QUICK_EXIT_COMMANDS`` the process ends at once when
    ``quick_exit_safe()`` holds (the exit handlers run first, the standard streams are
    flushed); otherwise, and on any doubt, through the interpreter's normal exit."""
    code = main(argv)
    if _command_run in QUICK_EXIT_COMMANDS and quick_exit_safe():
        import atexit

        atexit._run_exitfuncs()  # logging.shutdown, tqdm's monitor, multiprocessing …
        if not quick_exit_safe():  # a handler opened a file or started a thread
            sys.exit(code)
        try:  # after the handlers: what they print is flushed too
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):  # e.g. the reader of stdout left: the normal exit
            sys.exit(code)
        os._exit(code)
    sys.exit(code)


def quick_exit_safe() -> bool:
    """Whether ending the process without the interpreter's teardown loses nothing: no
    thread but daemons left running, no child process alive, and no Python file open for
    writing but the standard streams (its buffer would be flushed only by the teardown)."""
    import threading

    if any(t is not threading.main_thread() and t.is_alive() and not t.daemon
           for t in threading.enumerate()):
        return False
    return not _has_children() and not _open_files_for_writing()


def _has_children() -> bool:
    """Whether this process has a child process (True where /proc cannot tell)."""
    import glob

    tasks = glob.glob(f"/proc/{os.getpid()}/task/*/children")
    if not tasks:
        return True
    try:
        for path in tasks:
            with open(path, encoding="ascii") as handle:
                if handle.read().strip():
                    return True
    except OSError:
        return True
    return False


def _open_files_for_writing() -> bool:
    """Whether a Python file object other than the standard streams is open for writing
    (True where the garbage collector cannot show every object)."""
    import gc
    import io
    from itertools import compress

    if gc.get_freeze_count():
        return True  # frozen objects are out of gc.get_objects()' sight: cannot tell
    streams = set()
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        while stream is not None:
            streams.add(id(stream))
            stream = getattr(stream, "buffer", None) or getattr(stream, "raw", None)
    objects = gc.get_objects()
    files = {t for t in set(map(type, objects))  # one subclass test per type, loops in C
             if issubclass(t, io.IOBase) and not issubclass(t, io.BytesIO | io.StringIO)}
    for obj in compress(objects, map(files.__contains__, map(type, objects))):
        if id(obj) in streams:  # (BytesIO, StringIO: in memory, nothing to lose)
            continue
        try:
            if not obj.closed and obj.writable():
                return True
        except (OSError, ValueError):
            return True  # cannot tell (a detached wrapper …): it may hold unwritten data
    return False


if __name__ == "__main__":  # pragma: no cover
    run()
