"""The growth benches time sub-steps by name: every name they list must still exist, or
the bench fails on start (``growth_stages``) or times nothing under that name."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.mark.parametrize("bench", ["growth_stages", "growth_rings"])
def test_every_timed_sub_step_exists(bench: str, monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(BENCH))
    module = importlib.import_module(bench)
    try:
        missing = [label for owner, name, label in module.TIMED if not hasattr(owner, name)]
        assert missing == []
        assert len(module.TIMED) > 20
    finally:
        for name in ("growth_stages", "growth_rings"):
            sys.modules.pop(name, None)
