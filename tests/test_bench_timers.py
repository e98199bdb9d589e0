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
