"""Shared fixtures: the real SDN snapshot, a small demo data set and its build."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphkit.demo import generate_demo
from graphkit.pipeline import BuildResult, run_build
from graphkit.project import native_project

REPO = Path(__file__).resolve().parent.parent
SHARED_SDN = REPO.parent / "shared" / "data" / "ofac" / "sdn.csv"


@pytest.fixture(scope="session")
def shared_sdn() -> Path:
    """The shared 2024-05-03 SDN snapshot (skips when the shared folder is absent)."""
    if not SHARED_SDN.exists():
        pytest.skip("shared SDN snapshot not present beside the repository")
    return SHARED_SDN


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Demo data with 600 innocent people (seed 11)."""
    folder = tmp_path_factory.mktemp("demo")
    generate_demo(folder, seed=11, n_people=600)
    return folder


@pytest.fixture(scope="session")
def demo_build(demo_dir: Path) -> BuildResult:
    """The build of the small demo data set."""
    return run_build(native_project(demo_dir), show_progress=False)
