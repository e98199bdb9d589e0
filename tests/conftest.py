"""Shared fixtures: the real SDN snapshot, a small demo data set and its build."""

from __future__ import annotations

import gzip
import os
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from graphkit.demo import generate_demo
from graphkit.ingest.project import native_project
from graphkit.lists.ofac_csv import BUNDLED_SDN
from graphkit.pipeline import BuildResult, run_build

REPO = Path(__file__).resolve().parent.parent

# In CI (``CI`` set, as CI services do) property tests draw the same examples every run, so
# that a run is repeatable; elsewhere they explore new ones each time.
hypothesis_settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")
# A long local search for counter-examples: ``pytest --hypothesis-profile=search``.
hypothesis_settings.register_profile("search", max_examples=5000, deadline=None)


@pytest.fixture(scope="session", autouse=True)
def private_store_cache(tmp_path_factory: pytest.TempPathFactory):
    """The embedded store saves loaded graphs under XDG_CACHE_HOME: in tests, a temporary
    folder, so the suite leaves nothing in the user's cache."""
    previous = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if previous is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = previous
SHARED_SDN = REPO.parent / "shared" / "data" / "ofac" / "sdn.csv"


@pytest.fixture(scope="session")
def shared_sdn(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared 2024-05-03 SDN snapshot; where the shared folder is absent, the identical
    copy bundled in the package, unpacked to a plain sdn.csv."""
    if SHARED_SDN.exists():
        return SHARED_SDN
    bundled = resources.files("graphkit.data") / BUNDLED_SDN
    path = tmp_path_factory.mktemp("sdn") / "sdn.csv"
    path.write_bytes(gzip.decompress(bundled.read_bytes()))
    return path


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
