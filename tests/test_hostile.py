"""The hostile-input corpus (``tests/hostile/<case>/``, see its README): every case ends in
a named error or warning with the documented exit code, never a traceback, and loses no
valid record of any other file."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from graphkit.cli import main

HOSTILE = Path(__file__).resolve().parent / "hostile"
CASES = sorted(p for p in HOSTILE.iterdir() if (p / "expected.yml").is_file())
#: Keys of expected.yml; ``command``/``stderr_contains``/``loaded`` are the same checks
#: as ``args``/``stderr``/``rows`` under the names the ingest cases use.
KNOWN_KEYS = {"about", "args", "command", "rc", "stderr", "stderr_contains", "stdout",
              "stderr_lacks", "files_contain", "files_lack", "rows", "loaded", "counts"}


def _loaded(summary: str) -> dict[str, int]:
    line = next(x for x in summary.splitlines() if x.startswith("Loaded rows:"))
    return {k: int(v.replace(",", ""))
            for k, v in re.findall(r"(\w+) ([\d,]+)", line.removeprefix("Loaded rows:"))}


@pytest.mark.parametrize("case", CASES, ids=[p.name for p in CASES])
def test_hostile_input(case: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    expected = yaml.safe_load((case / "expected.yml").read_text(encoding="utf-8"))
    assert set(expected) <= KNOWN_KEYS, f"unknown keys in {case.name}/expected.yml"
    work = tmp_path / "case"
    shutil.copytree(case, work, symlinks=True, ignore=shutil.ignore_patterns("expected.yml"))
    monkeypatch.chdir(work)
    out = tmp_path / "out"

    def fill(text: str) -> str:
        return (str(text).replace("{tmp}", str(tmp_path)).replace("{case}", str(work))
                .replace("{out}", str(out)))

    args = expected.get("args") or expected["command"]
    rc = main([fill(a) for a in args])
    stdout, err = capsys.readouterr()
    assert "Traceback" not in err
    assert rc == expected["rc"], err
    for text in (expected.get("stderr") or []) + (expected.get("stderr_contains") or []):
        assert text in err, f"{text!r} not in stderr:\n{err}"
    for text in expected.get("stdout") or []:
        assert text in stdout
    for text in expected.get("stderr_lacks") or []:
        assert text not in err
    for name, texts in (expected.get("files_contain") or {}).items():
        content = Path(fill(name)).read_text(encoding="utf-8")
        for text in texts:
            assert text in content, f"{name} lacks {text!r}"
    for name, texts in (expected.get("files_lack") or {}).items():
        content = Path(fill(name)).read_text(encoding="utf-8")
        for text in texts:
            assert text not in content, f"{name} holds {text!r}"
    built = Path(fill(args[args.index("--out") + 1])) if "--out" in args else out
    if "rows" in expected or "counts" in expected:
        counts = json.loads((built / "manifest.json").read_text(encoding="utf-8"))["counts"]
        for layout, rows in (expected.get("rows") or {}).items():
            assert counts["rows"][layout] == rows
        for key, value in (expected.get("counts") or {}).items():
            assert counts[key] == value
    if expected.get("loaded"):
        loaded = _loaded((built / "summary.txt").read_text(encoding="utf-8"))
        for layout, rows in expected["loaded"].items():
            assert loaded.get(layout) == rows, (layout, loaded)
    if built.is_dir() and (built / "graph.graphml").exists():
        ET.parse(built / "graph.graphml")  # raises on a control character in the XML


def test_corpus_is_not_empty() -> None:
    assert len(CASES) >= 20
