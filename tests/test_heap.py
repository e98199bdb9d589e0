"""glibc's heap kept for reuse in a scope (``graphkit.heap``) and its build setting."""

from __future__ import annotations

import ctypes
from contextlib import contextmanager
from pathlib import Path

import pytest

import graphkit.heap as heap
import graphkit.pipeline as pipeline
from graphkit.ingest.project import native_project
from graphkit.pipeline import run_build, write_outputs

#: a block above glibc's mmap threshold after a scope (32 MiB), below the scope's (64 MiB)
BLOCK = heap.MMAP_THRESHOLD_AFTER + 8 * 1024**2
#: files that hold times, build ids, output paths or the settings themselves
VARYING = {"build.json", "manifest.json", "report.html", "summary.txt"}


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def _mmapped_by_malloc(size: int) -> bool:
    """Whether glibc serves a ``size`` block from a fresh mmap (its mmapped bytes grow)."""
    libc = ctypes.CDLL(None)
    if not hasattr(libc, "mallinfo2"):
        pytest.skip("glibc older than 2.33: no mallinfo2")
    libc.mallinfo2.restype = _MallInfo2
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    before = libc.mallinfo2().hblkhd
    block = libc.malloc(size)
    assert block
    try:
        return libc.mallinfo2().hblkhd >= before + size
    finally:
        libc.free(block)


glibc_only = pytest.mark.skipif(not heap.available(), reason="needs Linux with glibc")


@glibc_only
def test_a_scope_serves_big_blocks_from_the_heap_and_restores_the_threshold_after():
    with heap.heap_kept(64) as tuned:
        assert tuned
        assert not _mmapped_by_malloc(BLOCK)  # from the heap, kept for reuse
    assert _mmapped_by_malloc(BLOCK)  # above the 32 MiB threshold set afterwards


@glibc_only
def test_a_failing_scope_still_restores_the_threshold():
    with pytest.raises(RuntimeError), heap.heap_kept(64):
        assert not _mmapped_by_malloc(BLOCK)
        raise RuntimeError("stage failed")
    assert _mmapped_by_malloc(BLOCK)


def test_off_or_without_glibc_nothing_is_changed(monkeypatch):
    with heap.heap_kept(0) as tuned:
        assert not tuned
    monkeypatch.setattr(heap, "_glibc", lambda: None)  # musl, macOS, Windows
    assert not heap.available()
    with heap.heap_kept(64) as tuned:
        assert not tuned
    assert heap.trim() is False


def _build_recording(folder: Path, keep_mib: int, tmp: Path, monkeypatch) -> list:
    """A build of ``folder`` with ``heap_keep_mib``, written to ``tmp``; the (size asked,
    tuned) of every scope the build opened."""
    opened = []
    real = heap.heap_kept

    @contextmanager
    def recording(mib: int):
        with real(mib) as tuned:
            opened.append((mib, tuned))
            yield tuned

    monkeypatch.setattr(pipeline, "heap_kept", recording)
    project = native_project(folder)
    project.settings = project.settings.with_overrides(heap_keep_mib=keep_mib)
    write_outputs(run_build(project, show_progress=False), tmp)
    return opened


def test_the_setting_reaches_the_stages_and_changes_no_output(
        demo_dir: Path, tmp_path: Path, monkeypatch):
    off = _build_recording(demo_dir, 0, tmp_path / "off", monkeypatch)
    on = _build_recording(demo_dir, 64, tmp_path / "on", monkeypatch)
    assert off and all(mib == 0 and not tuned for mib, tuned in off)
    assert (64, heap.available()) in on  # the setting's size reached a stage's scope
    names = sorted(p.relative_to(tmp_path / "off") for p in (tmp_path / "off").rglob("*")
                   if p.is_file() and p.name not in VARYING)
    assert len(names) > 5
    for name in names:
        assert (tmp_path / "on" / name).read_bytes() == (tmp_path / "off" / name).read_bytes(), name


def test_a_project_file_may_turn_the_heap_setting_off_but_not_below(tmp_path: Path) -> None:
    from graphkit.ingest.project import load_project
    from graphkit.issues import InputError

    (tmp_path / "people.csv").write_text("name,date_of_birth\n", encoding="utf-8")
    project = tmp_path / "project.yml"
    for value, expected in (("0", 0), ("2048", 2048), ("-1", None), ("0.5", None)):
        project.write_text("sources:\n  - file: people.csv\n    loader: people\n"
                           f"heap_keep_mib: {value}\n", encoding="utf-8")
        if expected is None:
            with pytest.raises(InputError, match="heap_keep_mib"):
                load_project(project)
        else:
            assert load_project(project).settings.heap_keep_mib == expected
