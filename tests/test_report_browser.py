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


def test_report_renders_in_headless_chromium(demo_build, tmp_path):
    chromium = _chromium()
    write_outputs(demo_build, tmp_path / "out")
    page = tmp_path / "out" / "report.html"
    dom = _run(chromium, page, tmp_path / "profile", "--dump-dom")
    sections = re.findall(r"<section class=\"ring-section\" id=\"(R-[0-9a-f]+)\">", dom.stdout)
    assert sections[:6] == [r.ring_id for r in demo_build.rings.top(6)]
    assert dom.stdout.count("<svg") == len(sections) >= 6
    assert dom.stdout.count("<circle") >= 2 * len(sections)
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line]
    assert console == []
    shot = tmp_path / "report.png"
    _run(chromium, page, tmp_path / "profile2", f"--screenshot={shot}",
         "--window-size=1200,1600", "--hide-scrollbars")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000  # a drawn page, not blank
