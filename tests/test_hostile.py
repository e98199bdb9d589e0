"""The hostile-input corpus: one folder per case under ``tests/hostile/``.

Each folder holds the input files and an ``expected.yml``:

- ``command``: the argv after ``graphkit``; ``{case}`` is the case folder, ``{out}`` a
  fresh output folder;
- ``rc``: the exit code;
- ``stderr_contains``: texts standard error must contain (errors and warnings name file,
  line and column);
- ``loaded`` (optional): rows that must load per layout (from summary.txt), so that no
  valid record of any other row or file is lost.

Whatever the case, a graph.graphml that was written must be well-formed XML.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from graphkit.cli import main

HOSTILE = Path(__file__).resolve().parent / "hostile"
CASES = sorted(p for p in HOSTILE.iterdir() if (p / "expected.yml").is_file())


def _loaded(summary: str) -> dict[str, int]:
    line = next(x for x in summary.splitlines() if x.startswith("Loaded rows:"))
    return {k: int(v.replace(",", ""))
            for k, v in re.findall(r"(\w+) ([\d,]+)", line.removeprefix("Loaded rows:"))}


@pytest.mark.parametrize("case", CASES, ids=[p.name for p in CASES])
def test_hostile_case(case: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    expected = yaml.safe_load((case / "expected.yml").read_text(encoding="utf-8"))
    out = tmp_path / "out"
    argv = [str(a).replace("{case}", str(case)).replace("{out}", str(out))
            for a in expected["command"]]
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == expected["rc"], err
    for text in expected.get("stderr_contains") or []:
        assert text in err, f"{text!r} not in stderr:\n{err}"
    if expected.get("loaded"):
        loaded = _loaded((out / "summary.txt").read_text(encoding="utf-8"))
        for layout, rows in expected["loaded"].items():
            assert loaded.get(layout) == rows, (layout, loaded)
    if (out / "graph.graphml").exists():
        ET.parse(out / "graph.graphml")  # raises on a control character in the XML


def test_corpus_is_present() -> None:
    assert len(CASES) >= 10
