"""report.html opens in headless Chromium (Debian's package) with its rings and drawings
rendered and no console errors."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from graphkit.pipeline import write_outputs

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--enable-logging=stderr",
                  "--v=0"]


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if shutil.which("apt-get") and os.geteuid() == 0:  # the test setup installs it
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env)
        found = shutil.which("chromium")
    if not found:
        pytest.fail("Debian's chromium is needed for the report test (apt-get install chromium)")
    return found


def _run(chromium: str, page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra,
                           page.as_uri()], capture_output=True, text=True, timeout=120,
                          check=True)


def _flagged(build, limit: int | None = None) -> list[str]:
    settings = build.project.settings
    ids = [r.ring_id for r in build.rings if r.score >= settings.report_min_score]
    return ids[:settings.report_rings if limit is None else limit]


def test_report_renders_in_headless_chromium(demo_build, tmp_path):
    chromium = _chromium()
    write_outputs(demo_build, tmp_path / "out")
    page = tmp_path / "out" / "report.html"
    dom = _run(chromium, page, tmp_path / "profile", "--dump-dom")
    sections = re.findall(r"<section class=\"ring-section\" id=\"(R-[0-9a-f]+)\"", dom.stdout)
    assert sections == _flagged(demo_build) and len(sections) >= 5
    assert dom.stdout.count("<svg") == len(sections)
    assert dom.stdout.count("<circle") >= 2 * len(sections)
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line]
    assert console == []
    # the script ran: every triage row is shown and counted, the fold is closed
    assert f"{len(sections)} of {len(sections)} rings shown" in dom.stdout
    assert re.search(r"<details class=\"folded\" id=\"folded\"><summary>", dom.stdout)
    shot = tmp_path / "report.png"
    _run(chromium, page, tmp_path / "profile2", f"--screenshot={shot}",
         "--window-size=1200,1600", "--hide-scrollbars")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000  # a drawn page, not blank


def _rows(dom: str) -> list[tuple[str, bool, str]]:
    """(ring id, hidden, members, rank) of each triage row, in page order."""
    return [(m.group(1), m.group(0).endswith('hidden="">') or " hidden" in m.group(0),
             m.group(2), int(m.group(3)))
            for m in re.finditer(r'<tr class="ring-row" data-id="(R-[0-9a-f]+)" data-score="[^"]*" '
                                 r'data-members="(\d+)" data-rank="(\d+)"[^>]*>', dom)]


def test_report_filters_by_pattern_in_the_page(demo_build, tmp_path):
    chromium = _chromium()
    write_outputs(demo_build, tmp_path / "out")
    page = tmp_path / "out" / "report.html"
    farms = {r.ring_id for r in demo_build.rings if r.ring_id in _flagged(demo_build)
             and any(e.pattern == "laptop_farm" and e.weight > 0 for e in r.evidence)}
    assert 0 < len(farms) < len(_flagged(demo_build))
    dom = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'p'}",
                          "--dump-dom", page.as_uri() + "#pattern=laptop_farm"],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    rows = _rows(dom)
    assert len(rows) == len(_flagged(demo_build))
    assert {ring for ring, hidden, _, _ in rows if not hidden} == farms
    shown = re.findall(r'<section class="ring-section" id="(R-[0-9a-f]+)"[^>]*>', dom)
    hidden = re.findall(r'<section class="ring-section" id="(R-[0-9a-f]+)"[^>]*hidden[^>]*>', dom)
    assert set(shown) - set(hidden) == farms
    assert f"{len(farms)} of {len(rows)} rings shown" in dom
    assert '<option value="laptop_farm">' in dom


def test_report_sorts_by_members_in_the_page(demo_build, tmp_path):
    chromium = _chromium()
    write_outputs(demo_build, tmp_path / "out")
    page = tmp_path / "out" / "report.html"
    dom = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'p'}",
                          "--dump-dom", page.as_uri() + "#sort=members"],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    rows = _rows(dom)
    by_rank = sorted(rows, key=lambda r: r[3])
    assert [r[0] for r in by_rank] == _flagged(demo_build, limit=len(rows))
    expected = sorted(by_rank, key=lambda r: (-int(r[2]), r[3]))
    assert [r[0] for r in rows] == [r[0] for r in expected] != [r[0] for r in by_rank]
    assert 'data-sorted="members"' in dom
