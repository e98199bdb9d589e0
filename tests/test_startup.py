"""What every ``graphkit`` command pays before and after its work: the modules it imports
(checked in the real command, ``python -X importtime -m graphkit …``, so that a heavy
import moved back to a module's top fails here) and how the process ends (``cli.run``:
``os._exit`` only when nothing can be lost)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from graphkit.cli import main

#: Third-party (and slow standard) modules no quick command should load.
HEAVY = ("pandas", "numpy", "pyarrow", "scipy", "networkx", "igraph", "leidenalg",
         "rapidfuzz", "jellyfish", "jinja2", "redis", "neo4j", "falkordb", "yaml", "tqdm",
         "importlib.metadata")


def _command(*args: str, cwd: Path | None = None) -> tuple[subprocess.CompletedProcess,
                                                          set[str]]:
    """Run ``python -X importtime -m graphkit ARGS``; the process and the modules it
    imported (every module, at any depth, read from the import-time lines)."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "graphkit", *args],
                          capture_output=True, text=True, timeout=300, cwd=cwd)
    modules = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines()
               if line.startswith("import time:") and line.count("|") == 2}
    modules.discard("package")  # the header line
    return done, modules


def _loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    """The ``names`` (packages) of which some module was imported."""
    return [n for n in names if any(m == n or m.startswith(n + ".") for m in modules)]


def test_the_check_sees_a_heavy_import():
    done, modules = _command("build", "--help")
    assert done.returncode == 0, done.stderr
    assert "graphkit.cli" in modules and "argparse" in modules
    done, modules = _command("loaders")  # reads the loader specs: YAML, no frames
    assert done.returncode == 0, done.stderr
    assert "people" in done.stdout
    assert _loaded(modules, HEAVY) == ["yaml"]


def test_import_graphkit_cli_loads_nothing_heavy():
    probe = ("import sys, graphkit, graphkit.cli; "
             f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


@pytest.mark.parametrize("args", [["--help"], ["build", "--help"], ["build", "--bogus"],
                                  ["bulid"], ["diff", "--help"], ["query", "run", "--help"],
                                  ["screen", "--help"], ["screen"], ["sdn", "--help"]],
                         ids=" ".join)
def test_help_and_argument_errors_load_nothing_heavy(args):
    done, modules = _command(*args)
    assert done.returncode in (0, 2), done.stderr
    assert _loaded(modules, HEAVY) == []
    if done.returncode == 2:  # argparse's one-line error ends the output
        assert ": error: " in done.stderr.splitlines()[-1]


def test_version_reads_the_package_metadata_only_when_asked():
    done, modules = _command("--version")
    assert done.returncode == 0
    assert done.stdout.startswith("graphkit ")
    assert _loaded(modules, HEAVY) == ["importlib.metadata"]


@pytest.fixture(scope="module")
def small_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo build (150 people), made in this process."""
    out = tmp_path_factory.mktemp("startup") / "out"
    assert main(["build", "--demo", "--demo-people", "150", "--out", str(out),
                 "--quiet"]) == 0
    return out


def test_diff_loads_neither_the_graph_builders_nor_the_rings(small_build: Path):
    done, modules = _command("diff", str(small_build), str(small_build))
    assert done.returncode == 0, done.stderr
    assert "rings: 0 new" in done.stdout
    assert _loaded(modules, HEAVY) == ["pandas", "numpy", "pyarrow"]
    assert not {"graphkit.graph.columns", "graphkit.resolve", "graphkit.rings"} & modules


def test_screen_loads_no_graph_store_or_progress_bar(tmp_path: Path):
    names = tmp_path / "names.csv"
    names.write_text("record_id,name,dob,country\nN1,Pak Jin Hyok,,KP\n"
                     "N2,Mary Smith,1970-02-02,US\n", encoding="utf-8")
    done, modules = _command("screen", str(names), "--out", str(tmp_path / "hits.csv"),
                             "--quiet")
    assert done.returncode == 0, done.stderr
    assert "2 names screened" in done.stdout
    assert not _loaded(modules, ("scipy", "networkx", "igraph", "redis", "neo4j", "tqdm"))
    assert (tmp_path / "hits.csv").read_text(encoding="utf-8").startswith("record_id")


def test_graph_tables_alone_load_neither_networkx_nor_resolve():
    probe = ("import sys; from graphkit.graph.tables import GraphTables; "
             "from graphkit.graph import NODES_FILE; "
             "print(NODES_FILE, [m for m in ('networkx', 'scipy', 'graphkit.resolve', "
             "'graphkit.graph.columns') if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "nodes.parquet []"


def test_graph_package_names_load_on_first_use():
    import graphkit.graph as graph

    assert "build_tables" in dir(graph) and "GraphTables" in dir(graph)
    from graphkit.graph import build_tables, graph_from_tables
    from graphkit.graph.columns import build_tables as defined

    assert build_tables is defined and callable(graph_from_tables)
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        graph.nothing_here  # noqa: B018


# -- how the process ends ---------------------------------------------------------------

def test_a_build_that_ends_at_once_leaves_a_whole_build(tmp_path: Path):
    out, scratch = tmp_path / "out", tmp_path / "scratch"
    scratch.mkdir()  # the build's temporary files (ingest staging) go here, and must go
    done = subprocess.run([sys.executable, "-m", "graphkit", "build", "--demo",
                           "--demo-people", "150", "--out", str(out)],
                          capture_output=True, text=True, timeout=300,
                          env={**_buffered_env(), "TMPDIR": str(scratch)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith(f"to {out} (build "
                                         + json.loads((out / "manifest.json").read_text())
                                         ["build_id"] + ")")  # the last line, flushed
    assert "[build] write:" in done.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["outputs"]:  # every file whole, as hashed before the swap
        data = (out / entry["file"]).read_bytes()
        assert len(data) == entry["size"] and hashlib.sha256(data).hexdigest() == \
            entry["sha256"], entry["file"]
    assert not list(tmp_path.glob(".out.tmp-*"))
    assert not list(scratch.iterdir())  # nothing left behind in the temporary folder


def test_exit_codes_pass_through_the_quick_exit(tmp_path: Path):
    done = subprocess.run([sys.executable, "-m", "graphkit", "diff", str(tmp_path / "a"),
                           str(tmp_path / "b")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.startswith("graphkit: error:")


def _buffered_env() -> dict[str, str]:
    """The environment with standard streams buffered, as a program's usually are (with
    ``PYTHONUNBUFFERED`` set, nothing would be left to flush and the checks could not
    fail)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}


def test_output_written_to_a_pipe_is_flushed_before_the_quick_exit():
    """What the command and its exit handlers write (short lines without a newline stay
    in the stream's buffer) reaches the pipe."""
    probe = textwrap.dedent("""
        import atexit, sys
        import graphkit.cli as cli
        def command(argv=None):
            sys.stdout.write("done")
            atexit.register(lambda: sys.stdout.write(" and after"))
            return 0
        cli.main = command
        cli._command_run = "loaders"
        cli.run()
    """)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120, env=_buffered_env())
    assert done.returncode == 0, done.stderr
    assert done.stdout == "done and after"


def test_quick_exit_only_when_nothing_can_be_lost(tmp_path: Path):
    """In a fresh process (pytest's own capture files are open for writing here)."""
    probe = textwrap.dedent(f"""
        import subprocess, sys, threading
        from graphkit.cli import quick_exit_safe
        seen = [quick_exit_safe()]
        with open({str(tmp_path / "f.txt")!r}, "w", encoding="utf-8") as handle:
            handle.write("buffered")
            seen.append(quick_exit_safe())  # its buffer would be lost
        seen.append(quick_exit_safe())
        stop = threading.Event()
        worker = threading.Thread(target=stop.wait)
        worker.start()
        seen.append(quick_exit_safe())  # a thread still working
        stop.set(); worker.join()
        daemon = threading.Thread(target=stop.wait, daemon=True)
        daemon.start(); daemon.join()
        seen.append(quick_exit_safe())
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
        seen.append(quick_exit_safe())  # a child process still running
        child.kill(); child.wait()
        seen.append(quick_exit_safe())
        import gc
        gc.freeze()
        seen.append(quick_exit_safe())  # frozen objects cannot be looked at
        gc.unfreeze()
        print(seen)
    """)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[True, False, True, False, True, False, True, False]"
