"""The hostile-input corpus (``tests/hostile/<case>/``, see its README): every case ends in
a named error or warning with the documented exit code, never a traceback, and loses no
valid record of any other file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from graphkit.cli import main

HOSTILE = Path(__file__).resolve().parent / "hostile"
CASES = sorted(p for p in HOSTILE.iterdir() if (p / "expected.yml").is_file())
KNOWN_KEYS = {"about", "args", "rc", "stderr", "stdout", "stderr_lacks", "files_contain",
              "files_lack", "rows", "counts"}


@pytest.mark.parametrize("case", CASES, ids=[p.name for p in CASES])
def test_hostile_input(case: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    expected = yaml.safe_load((case / "expected.yml").read_text(encoding="utf-8"))
    assert set(expected) <= KNOWN_KEYS, f"unknown keys in {case.name}/expected.yml"
    work = tmp_path / "case"
    shutil.copytree(case, work, ignore=shutil.ignore_patterns("expected.yml"))
    monkeypatch.chdir(work)

    def fill(text: str) -> str:
        return text.replace("{tmp}", str(tmp_path))

    rc = main([fill(a) for a in expected["args"]])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert rc == expected["rc"], err
    for text in expected.get("stderr", []):
        assert text in err
    for text in expected.get("stdout", []):
        assert text in out
    for text in expected.get("stderr_lacks", []):
        assert text not in err
    for name, texts in (expected.get("files_contain") or {}).items():
        content = Path(fill(name)).read_text(encoding="utf-8")
        for text in texts:
            assert text in content, f"{name} lacks {text!r}"
    for name, texts in (expected.get("files_lack") or {}).items():
        content = Path(fill(name)).read_text(encoding="utf-8")
        for text in texts:
            assert text not in content, f"{name} holds {text!r}"
    if "rows" in expected or "counts" in expected:
        out_dir = Path(fill(expected["args"][expected["args"].index("--out") + 1]))
        counts = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))["counts"]
        for layout, rows in (expected.get("rows") or {}).items():
            assert counts["rows"][layout] == rows
        for key, value in (expected.get("counts") or {}).items():
            assert counts[key] == value


def test_corpus_is_not_empty() -> None:
    assert len(CASES) >= 20
