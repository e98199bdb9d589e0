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


def _build_recording(folder: Path, keep_mib: int, huge_pages: bool, tmp: Path,
                     monkeypatch) -> tuple[list, list]:
    """A build of ``folder`` with ``heap_keep_mib`` and ``huge_pages``, written to
    ``tmp``; the (size asked, tuned) of every heap scope the build opened, and NumPy's
    huge-page advice in force in every huge-page scope."""
    opened, advised = [], []
    real, real_huge = heap.heap_kept, heap.numpy_huge_pages

    @contextmanager
    def recording(mib: int):
        with real(mib) as tuned:
            opened.append((mib, tuned))
            yield tuned

    @contextmanager
    def recording_huge(wanted: bool | None):
        with real_huge(wanted) as choice:
            advised.append((wanted, choice, _advice()))
            yield choice

    monkeypatch.setattr(pipeline, "heap_kept", recording)
    monkeypatch.setattr(pipeline, "numpy_huge_pages", recording_huge)
    project = native_project(folder)
    project.settings = project.settings.with_overrides(heap_keep_mib=keep_mib,
                                                       huge_pages=huge_pages)
    write_outputs(run_build(project, show_progress=False), tmp)
    return opened, advised


def _advice() -> bool:
    """Whether NumPy asks for huge pages for new arrays now."""
    switch = heap._numpy_madvise()
    assert switch is not None
    now = switch(True)
    switch(now)
    return now


def test_the_setting_reaches_the_stages_and_changes_no_output(
        demo_dir: Path, tmp_path: Path, monkeypatch):
    before = _advice()
    off, off_huge = _build_recording(demo_dir, 0, False, tmp_path / "off", monkeypatch)
    on, on_huge = _build_recording(demo_dir, 64, True, tmp_path / "on", monkeypatch)
    assert off and all(mib == 0 and not tuned for mib, tuned in off)
    assert (64, heap.available()) in on  # the setting's size reached a stage's scope
    assert off_huge == [(False, False, False)] and on_huge == [(True, True, True)]
    assert _advice() == before  # NumPy's advice is back as it was after each build
    names = sorted(p.relative_to(tmp_path / "off") for p in (tmp_path / "off").rglob("*")
                   if p.is_file() and p.name not in VARYING)
    assert len(names) > 5
    for name in names:
        assert (tmp_path / "on" / name).read_bytes() == (tmp_path / "off" / name).read_bytes(), name


def test_huge_pages_follow_the_setting_or_the_machine(tmp_path: Path, monkeypatch):
    """None follows the machine: off where a balloon reports free pages, NumPy's own
    choice elsewhere; True and False are kept whatever the machine; the advice is restored
    after the block, also when it fails."""
    balloon = tmp_path / "virtio_balloon"
    assert heap.free_page_reporting(balloon) is None  # no balloon driver
    (balloon / "virtio0").mkdir(parents=True)
    (balloon / "virtio0" / "features").write_text("0110010100000000\n", encoding="ascii")
    assert heap.free_page_reporting(balloon) is True  # bit 5: VIRTIO_BALLOON_F_REPORTING
    (balloon / "virtio0" / "features").write_text("0110000100000000\n", encoding="ascii")
    assert heap.free_page_reporting(balloon) is False
    before = _advice()
    for reporting, expected in ((True, False), (False, None), (None, None)):
        monkeypatch.setattr(heap, "free_page_reporting", lambda r=reporting: r)
        assert heap.huge_pages_choice(None) is expected
        assert heap.huge_pages_choice(True) is True and heap.huge_pages_choice(False) is False
        with heap.numpy_huge_pages(None) as choice:
            assert choice is expected
            assert _advice() == (before if expected is None else expected)
        assert _advice() == before
    with pytest.raises(RuntimeError), heap.numpy_huge_pages(not before):
        assert _advice() is (not before)
        raise RuntimeError("stage failed")
    assert _advice() == before


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


def test_a_project_file_may_set_huge_pages(tmp_path: Path) -> None:
    from graphkit.ingest.project import load_project
    from graphkit.issues import InputError

    (tmp_path / "people.csv").write_text("name,date_of_birth\n", encoding="utf-8")
    project = tmp_path / "project.yml"
    for value, expected in (("true", True), ("false", False), ("null", None)):
        project.write_text("sources:\n  - file: people.csv\n    loader: people\n"
                           f"huge_pages: {value}\n", encoding="utf-8")
        assert load_project(project).settings.huge_pages is expected
    project.write_text("sources:\n  - file: people.csv\n    loader: people\n"
                       "huge_pages: sometimes\n", encoding="utf-8")
    with pytest.raises(InputError, match="huge_pages"):
        load_project(project)
