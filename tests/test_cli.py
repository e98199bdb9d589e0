"""The ``graphkit`` command as people meet it: help, version, suggestions, the build-folder
flag, output formats, connection failures and progress. Most checks run the real command
in a subprocess (its exit code, standard error and what a terminal or a log file sees)."""

from __future__ import annotations

import csv
import fcntl
import importlib.metadata
import io
import json
import os
import pty
import re
import shlex
import shutil
import struct
import subprocess
import sys
import termios
import textwrap
import threading
from pathlib import Path

import pandas as pd
import pytest

from graphkit.cli import COMMANDS, Command, main, parse_args
from graphkit.demo import generate_demo
from graphkit.issues import InputError
from graphkit.progress import Progress
from graphkit.store.falkor import FalkorStore
from graphkit.store.packs import get_query, list_queries
from graphkit.store.server import StoreUnavailable

HEAVY = ("pandas", "numpy", "networkx", "pyarrow", "redis", "neo4j", "scipy")


def _graphkit(*args: str, cwd: Path | None = None, timeout: float = 300,
              **kw) -> subprocess.CompletedProcess:
    """Run the real command (``python -m graphkit.cli``), output captured (not a terminal)."""
    return subprocess.run([sys.executable, "-m", "graphkit.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout, **kw)


def _leaves(commands: tuple[Command, ...] = COMMANDS, path: tuple[str, ...] = ()):
    """(words, command) of every visible command and command group."""
    for command in commands:
        if command.hidden:
            continue
        words = (*path, command.name)
        yield words, command
        yield from _leaves(command.subcommands, words)


@pytest.fixture(scope="module")
def formula_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo build whose people's first names start with '=' (a spreadsheet
    formula), built by the real command."""
    root = tmp_path_factory.mktemp("cli")
    data = root / "data"
    generate_demo(data, seed=4, n_people=150)
    people = pd.read_csv(data / "people.csv", dtype=str, keep_default_na=False)
    people["first_name"] = "=" + people["first_name"]
    people.to_csv(data / "people.csv", index=False)
    assert main(["build", "--input", str(data), "--out", str(root / "out"), "--quiet"]) == 0
    return root / "out"


# -- help and version -------------------------------------------------------------------

def test_version_is_the_installed_package_version():
    done = _graphkit("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"graphkit {importlib.metadata.version('graphkit')}"


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["query", "--help"]])
def test_help_and_version_import_nothing_heavy(args):
    probe = textwrap.dedent(f"""
        import sys
        from graphkit.cli import main
        try:
            main({args!r})
        except SystemExit as stop:
            assert stop.code == 0, stop.code
        print("heavy:" + ",".join(m for m in {HEAVY!r} if m in sys.modules))
    """)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "heavy:"  # none of the heavy modules


@pytest.mark.parametrize("words", [w for w, _ in _leaves()], ids=" ".join)
def test_every_command_help_has_a_description_and_examples(words, capsys):
    command = dict(_leaves())[words]
    with pytest.raises(SystemExit) as stop:
        main([*words, "--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    assert " ".join(command.description.split()) in " ".join(text.split())
    assert "examples:" in text and command.examples
    for example in command.examples:
        assert example in text
    assert "SUPPRESS" not in text and "old_out" not in text and "--build" not in text


def test_top_help_lists_every_visible_command_and_no_hidden_one():
    done = _graphkit("--help")
    assert done.returncode == 0
    for command in COMMANDS:
        assert (f"    {command.name} " in done.stdout) != command.hidden, command.name
    assert "SUPPRESS" not in done.stdout
    assert "ingest-bench" not in done.stdout


def test_every_example_is_a_valid_command_line():
    for words, command in _leaves():
        for example in command.examples:
            tokens = shlex.split(example)
            while "=" in tokens[0]:  # NAME=value before the command
                tokens.pop(0)
            assert tokens[0] == "graphkit", example
            args = parse_args(tokens[1:])
            assert args.func is not None, example
            assert tokens[1:1 + len(words)] == list(words) or command.subcommands, example


# -- did you mean -----------------------------------------------------------------------

@pytest.mark.parametrize(("args", "hint"), [
    (["buidl", "--out", "x"], "did you mean 'build'?"),
    (["query", "rn", "shared_accounts"], "did you mean 'run'?"),
    (["query", "run", "shared_accounts", "--format", "ndjsn"], "did you mean 'ndjson'"),
    (["query", "run", "shared_acounts"], "did you mean 'rings/shared_accounts'?"),
])
def test_a_mistyped_name_gets_a_suggestion(args, hint, tmp_path):
    done = _graphkit(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert hint in done.stderr
    assert "Traceback" not in done.stderr
    assert "ingest-bench" not in done.stderr


def test_a_bare_query_name_resolves_when_one_pack_has_it():
    for query in list_queries():
        if sum(q.name == query.name for q in list_queries()) == 1:
            assert get_query(query.name) == query
    assert get_query("shared_accounts").ref == "rings/shared_accounts"


def test_an_ambiguous_bare_query_name_lists_the_candidates(tmp_path):
    source = get_query("rings/shared_accounts").path
    for pack in ("alpha", "beta"):
        (tmp_path / pack).mkdir()
        shutil.copy(source, tmp_path / pack / source.name)
    with pytest.raises(InputError, match="several packs; give one of: "
                                         "alpha/shared_accounts, beta/shared_accounts"):
        get_query("shared_accounts", tmp_path)
    assert get_query("beta/shared_accounts", tmp_path).pack == "beta"
    with pytest.raises(InputError, match="unknown query 'nothing_like_it'; 'graphkit query "
                                         "list' lists them"):
        get_query("nothing_like_it", tmp_path)


# -- one spelling of the build folder ---------------------------------------------------

def test_export_reads_the_build_folder_from_out_and_its_old_spellings(formula_build,
                                                                      tmp_path, capsys,
                                                                      monkeypatch):
    monkeypatch.chdir(formula_build.parent)  # the default build folder 'out' is there
    listings = []
    for i, flag in enumerate((["--out", str(formula_build)], ["--build", str(formula_build)],
                              [])):
        target = tmp_path / f"import{i}"
        assert main(["export", "neo4j-admin", str(target), *flag]) == 0
        assert "[export] export: " in capsys.readouterr().err  # a status line in a log
        listings.append(sorted((p.name, p.read_bytes()) for p in target.iterdir()))
    assert listings[0] and listings[0] == listings[1] == listings[2]


@pytest.mark.parametrize("command", ["load", "serve"])
def test_load_and_serve_take_out_and_the_old_positional_folder(command, tmp_path):
    new = parse_args([command, "--out", "b1"])
    old = parse_args([command, "b1"])
    default = parse_args([command])
    from graphkit.cli import _build_folder

    assert _build_folder(new) == _build_folder(old) == Path("b1")
    assert _build_folder(default) == Path("out")
    assert main([command, "b1", "--out", "b2"]) == 2


def test_every_build_folder_flag_is_spelled_out(capsys):
    for words in (["query", "run"], ["load"], ["serve"], ["export", "neo4j-admin"]):
        with pytest.raises(SystemExit):
            main([*words, "--help"])
        assert "--out FOLDER" in capsys.readouterr().out, words


# -- output formats ---------------------------------------------------------------------

def test_query_formats_agree_and_csv_neutralises_formulas(formula_build, capsys):
    base = ["query", "run", "shared_accounts", "--out", str(formula_build), "--quiet",
            "--param", "min_members=2"]

    def output(*extra: str) -> str:
        assert main([*base, *extra]) == 0
        return capsys.readouterr().out

    as_json, as_ndjson = output("--format", "json"), output("--format", "ndjson")
    as_csv, raw_csv = output("--format", "csv"), output("--format", "csv", "--no-csv-safety")
    rows = json.loads(as_json)
    assert rows and any(n.startswith("=") for r in rows for n in r["names"])
    lines = as_ndjson.splitlines()
    assert as_ndjson.endswith("\n") and [json.loads(x) for x in lines] == rows
    safe = list(csv.DictReader(io.StringIO(as_csv)))
    raw = list(csv.DictReader(io.StringIO(raw_csv)))
    assert len(safe) == len(raw) == len(rows)
    assert [r["names"] for r in raw] == [";".join(r["names"]) for r in rows]
    for cell in (r["names"] for r in safe):
        assert not cell.startswith(("=", "+", "-", "@"))
    assert [r["names"] for r in safe] == ["'" + r["names"] if r["names"].startswith("=")
                                          else r["names"] for r in raw]


def test_ndjson_of_no_rows_is_empty(formula_build, capsys):
    assert main(["query", "run", "shared_accounts", "--out", str(formula_build), "--quiet",
                 "--param", "min_members=100000", "--format", "ndjson"]) == 0
    assert capsys.readouterr().out == ""


# -- connection failures ----------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["load", "--uri", "bolt://127.0.0.1:1"],
    ["query", "run", "overview/node_counts", "--uri", "neo4j://127.0.0.1:1"],
])
def test_an_unreachable_server_is_one_line_and_exit_3(args, formula_build):
    done = _graphkit(*args, "--out", str(formula_build), "--timeout", "2")
    assert done.returncode == 3
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("graphkit: error: ") and "127.0.0.1:1" in lines[0]


def test_an_embedded_engine_that_does_not_start_in_time_is_one_line_and_exit_3(tmp_path):
    out = tmp_path / "out"  # a build of its own: a failed start drops the saved graph
    assert main(["build", "--demo", "--demo-people", "60", "--out", str(out), "--quiet"]) == 0
    done = _graphkit("query", "run", "node_counts", "--out", str(out), "--timeout", "0.001")
    assert done.returncode == 3, done.stderr
    errors = [line for line in done.stderr.splitlines() if "error" in line]
    # the engine does not start within 1 ms; or (on a fast machine) it starts, and then its
    # 1 ms load lock runs out or its first answer comes too late: each is one line, a time-out
    # naming the engine, exit 3
    assert len(errors) == 1, done.stderr
    assert re.fullmatch(r"graphkit: error: ([\w/]+: )?the embedded engine"
                        r"( did not open its socket within 0\.001s"
                        r"| did not answer within 0\.001s \(.+\)"
                        r"|: lost the load lock \(another command took over after a time-out\); "
                        r"run again)", errors[0]), done.stderr
    assert "Traceback" not in done.stderr


def test_an_engine_that_does_not_answer_is_store_unavailable(tmp_path):
    with pytest.raises(StoreUnavailable, match=r"did not answer|not ready"):
        FalkorStore.attach(tmp_path / "no-such.sock", "password", timeout=0.5)


# -- progress ---------------------------------------------------------------------------

def test_progress_off_a_terminal_is_plain_status_lines(capsys):
    with Progress(3, "check", unit="name", interval=0) as progress:
        for _ in range(3):
            progress.update()
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "[check] …"
    assert lines[1].startswith("[check] 1 / 3 names (33%) in ")
    assert lines[-1].startswith("[check] 3 / 3 names (100%) in ") and lines[-1].endswith(
        ", done")


def test_long_commands_print_status_lines_into_a_log(tmp_path, capsys):
    assert main(["demo-data", str(tmp_path / "data"), "--people", "120"]) == 0
    assert "[demo-data] generate: " in capsys.readouterr().err
    assert main(["resolve", str(tmp_path / "data" / "people.csv"), "--out",
                 str(tmp_path / "entities.csv")]) == 0
    err = capsys.readouterr().err
    for stage in ("ingest", "resolve", "write"):
        assert f"[resolve] {stage}: " in err
    names = tmp_path / "names.csv"
    names.write_text("record_id,name\n1,Kim Jong Un\n2,Jane Smith\n", encoding="utf-8")
    assert main(["screen", str(names), "--out", str(tmp_path / "hits.csv")]) == 0
    assert "[screen] 2 / 2 names (100%)" in capsys.readouterr().err
    assert main(["screen", str(names), "--out", str(tmp_path / "hits.csv"), "--quiet"]) == 0
    assert "[screen]" not in capsys.readouterr().err


def test_build_status_lines_and_terminal_bar_cover_writing_outputs(tmp_path, capsys):
    assert main(["build", "--demo", "--demo-people", "120", "--out", str(tmp_path / "a")]) == 0
    err = capsys.readouterr().err
    started = [line.split()[1] for line in err.splitlines()
               if line.startswith("[build] ") and line.endswith(" …")]
    assert started == ["ingest", "resolve", "screen", "graph", "clusters", "rings", "write"]
    assert "[build] write: " in err

    primary, secondary = pty.openpty()  # standard error on a terminal: one bar, no lines
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    seen = bytearray()

    def read() -> None:
        while True:
            try:
                chunk = os.read(primary, 4096)
            except OSError:
                return
            if not chunk:
                return
            seen.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        proc = subprocess.run([sys.executable, "-m", "graphkit.cli", "build", "--demo",
                               "--demo-people", "120", "--out", str(tmp_path / "b")],
                              stdout=subprocess.PIPE, stderr=secondary, timeout=300)
    finally:
        os.close(secondary)
        reader.join(timeout=10)
        os.close(primary)
    text = seen.decode("utf-8", "replace")
    assert proc.returncode == 0, text
    assert "7/7" in text and "6/6" not in text and "1/1" not in text
    assert "[build]" not in text


# -- the package stays light and whole --------------------------------------------------

def test_importing_graphkit_keeps_its_api():
    probe = textwrap.dedent(f"""
        import sys
        import graphkit
        light = [m for m in {HEAVY!r} if m in sys.modules]
        import graphkit.rings.clusters
        print(light, callable(graphkit.rings), graphkit.rings.__name__,
              callable(graphkit.resolve), callable(graphkit.screen),
              graphkit.Rings.__name__)
    """)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[]", "True", "rings", "True", "True", "Rings"]
