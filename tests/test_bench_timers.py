"""The growth benches time sub-steps by name: every name they list must still exist, or
the bench fails on start (``growth_stages``) or times nothing under that name."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.mark.parametrize("bench", ["growth_stages", "growth_rings", "growth_write"])
def test_every_timed_sub_step_exists(bench: str, monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(BENCH))
    module = importlib.import_module(bench)
    try:
        missing = [label for owner, name, label in module.TIMED if not hasattr(owner, name)]
        assert missing == []
        assert len(module.TIMED) > 20
    finally:
        for name in ("growth_stages", "growth_rings", "growth_write"):
            sys.modules.pop(name, None)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
def test_huge_pages_off_holds_for_the_process_that_asks(tmp_path: Path) -> None:
    """``growth_stages --no-huge-pages`` turns transparent huge pages off in its own
    process (so that its page faults count 4 KiB pages), as the kernel then reports."""
    import subprocess

    code = ("import sys; sys.path.insert(0, sys.argv[1]); import growth_stages as g; "
            "g.huge_pages_off(); print(open('/proc/self/status').read())")
    status = subprocess.run([sys.executable, "-c", code, str(BENCH)], check=True,
                            capture_output=True, text=True, cwd=tmp_path).stdout
    line = [row for row in status.splitlines() if row.startswith("THP_enabled")]
    if not line:
        pytest.skip("this kernel does not report THP_enabled")
    assert line[0].split()[-1] == "0"


def test_cold_memory_probe_counts_every_page_it_touches(monkeypatch) -> None:
    """``bench/cold_memory.py`` touches each page of its block once: as many page faults
    as pages (4 KiB pages asked for), and a summary line naming both passes' costs."""
    import mmap

    monkeypatch.syspath_prepend(str(BENCH))
    cold_memory = importlib.import_module("cold_memory")
    try:
        passes = cold_memory.probe(gib=16 / 1024, settle=0.0, pauses=(0.0,))
        assert [p.label for p in passes] == ["after 0 s idle (cold)", "again at once (warm)",
                                             "again after 0 s"]
        pages = 16 * 2**20 // mmap.PAGESIZE
        for touched in passes:
            assert touched.gib == 16 / 1024
            assert pages <= touched.page_faults < pages + 256  # one per page, few others
            assert touched.kernel_seconds >= 0 and touched.wall_seconds > 0
        line = cold_memory.summary(passes)
        assert line.startswith("first touch of memory: ") and "again at once" in line
        assert cold_memory.free_page_reporting() in (True, False, None)
    finally:
        sys.modules.pop("cold_memory", None)
