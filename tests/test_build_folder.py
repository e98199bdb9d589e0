"""Atomic, locked builds: a killed, failed or concurrent build never damages the previous
one; manifest.json describes what was read and written. Builds run as real processes."""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from graphkit.buildfolder import HOLD_ENV, BuildBusy, BuildFolder, publish_build
from graphkit.demo import generate_demo
from graphkit.issues import InputError
from graphkit.manifest import read_manifest
from graphkit.settings import Settings


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("data")
    generate_demo(folder, seed=5, n_people=40)
    return folder


def _build(data: Path, out: Path, env: dict | None = None, **kw) -> subprocess.Popen:
    # the build's temporary files (ingest staging) beside the test's folders, so that a
    # build these tests kill with SIGKILL leaves nothing in the machine's temporary folder
    scratch = out.parent / "scratch"
    scratch.mkdir(exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "graphkit", "build", "--input", str(data), "--out", str(out),
         "--quiet"], env={**os.environ, "TMPDIR": str(scratch), **(env or {})},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def _run(data: Path, out: Path, **kw) -> subprocess.CompletedProcess:
    proc = _build(data, out, **kw)
    stdout, stderr = proc.communicate(timeout=300)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def _snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _wait_for(predicate, proc: subprocess.Popen, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.002)


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.glob(f".{out.name}.*") if p.is_dir())


@pytest.fixture(scope="module")
def finished(data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One finished build (made once, copied by each test)."""
    out = tmp_path_factory.mktemp("finished") / "out"
    done = _run(data, out)
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture()
def previous(finished: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A copy of the finished build in tmp_path/out and the hashes of its files."""
    out = tmp_path / "out"
    shutil.copytree(finished, out)
    return out, _snapshot(out)


def test_build_writes_a_manifest_of_inputs_outputs_and_settings(data, previous):
    out, files = previous
    manifest = read_manifest(out)
    assert manifest["build_id"] and manifest["finished"] >= manifest["started"]
    people = next(i for i in manifest["inputs"] if i["file"].endswith("people.csv"))
    raw = (data / "people.csv").read_bytes()
    assert people["sha256"] == hashlib.sha256(raw).hexdigest()
    assert people["size"] == len(raw)
    assert people["rows"] == manifest["counts"]["rows"]["people"] > 40
    assert {o["file"]: o["sha256"] for o in manifest["outputs"]} == {
        k: v for k, v in files.items() if k != "manifest.json"}
    assert manifest["settings"] == Settings().to_dict()
    assert manifest["dependencies"]["pandas"]
    assert set(manifest["stage_seconds"]) >= {"ingest", "resolve", "write"}
    assert _leftovers(out) == []


def test_sigkill_mid_write_leaves_the_previous_build_byte_identical(data, previous):
    out, before = previous
    old_id = read_manifest(out)["build_id"]
    proc = _build(data, out)
    # kill as soon as the first output file appears in the temporary folder
    _wait_for(lambda: any(p.is_file() for t in out.parent.glob(".out.tmp-*")
                          for p in t.iterdir()), proc)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert _snapshot(out) == before
    assert any(n.startswith(".out.tmp-") for n in _leftovers(out))  # what SIGKILL leaves
    # the next build cleans the stale folder up and replaces the build whole
    done = _run(data, out)
    assert done.returncode == 0, done.stderr
    assert "left by an interrupted build" in done.stderr
    assert _leftovers(out) == []
    assert read_manifest(out)["build_id"] != old_id
    assert set(_snapshot(out)) == set(before)


def test_sigkill_before_the_swap_leaves_the_previous_build(data, previous):
    out, before = previous
    proc = _build(data, out, env={HOLD_ENV: "120"})
    _wait_for(lambda: any((t / ".holding").exists() for t in out.parent.glob(".out.tmp-*")),
              proc)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert _snapshot(out) == before


def test_a_second_build_into_the_same_folder_is_refused_and_sigterm_cleans_up(data, previous):
    out, before = previous
    first = _build(data, out, env={HOLD_ENV: "120"})
    _wait_for(lambda: any((t / ".holding").exists() for t in out.parent.glob(".out.tmp-*")),
              first)
    second = _run(data, out)
    assert second.returncode == 2
    assert f"another graphkit build (pid {first.pid}) is writing into this folder" \
        in second.stderr
    assert "Traceback" not in second.stderr
    first.send_signal(signal.SIGTERM)
    _, stderr = first.communicate(timeout=60)
    assert first.returncode == 128 + signal.SIGTERM
    assert "removed its temporary folder; the previous build in" in stderr
    assert "is intact" in stderr
    assert _snapshot(out) == before
    assert _leftovers(out) == []


def _limit_file_size() -> None:  # runs in the child: writes past 150 kB fail with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (150_000, 150_000))


def test_a_failed_write_leaves_the_previous_build_and_says_so(data, previous):
    out, before = previous
    failed = _run(data, out, preexec_fn=_limit_file_size)  # like a full disk
    assert failed.returncode == 2, failed.stderr
    assert "graphkit: error: " in failed.stderr and "File too large" in failed.stderr
    assert f"the previous build in {out} is intact" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert _snapshot(out) == before
    assert _leftovers(out) == []


def test_build_folder_lock_is_exclusive_within_one_process_too(tmp_path):
    out = tmp_path / "out"
    with BuildFolder(out, echo=None) as first:
        (first.tmp / "a.txt").write_text("a")
        (first.tmp / "manifest.json").write_text("{}")
        with pytest.raises(BuildBusy, match="another graphkit build"), \
                BuildFolder(out, echo=None):
            pass
        first.commit()
    assert (out / "a.txt").read_text() == "a"
    (out / "manifest.json").unlink()
    with pytest.raises(InputError, match="not a graphkit build"):  # never deletes others' files
        BuildFolder(out, echo=None).__enter__()
    (out / "manifest.json").write_text("{}")
    with BuildFolder(out, echo=None) as second:
        (second.tmp / "manifest.json").write_text("{}")
        second.commit()
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json"]  # replaced whole


def test_publish_build_from_python_replaces_a_build_whole(demo_build, tmp_path):
    out = tmp_path / "out"
    first = publish_build(demo_build, out)
    (out / "stray.txt").write_text("from the first build")
    second = publish_build(demo_build, out)
    assert first != second == read_manifest(out)["build_id"]
    assert not (out / "stray.txt").exists() and (out / "graph.json").is_file()
    assert _leftovers(out) == []
