"""One digest of the source files that compute a kind of cached state, so state made by
other code is not reused (the ingest cache, the sanctions cache, comparisons and hits)."""

from __future__ import annotations

from pathlib import Path

from graphkit.filedigest import files_digest

#: The ``graphkit`` package folder.
PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def code_digest(tag: str, packages: tuple[str, ...], modules: tuple[str, ...] = ()) -> str:
    """16 hex digits over ``tag`` and each ``.py`` file of ``packages`` (subfolders of
    ``graphkit``) and ``modules`` (files of ``graphkit``), by path and content."""
    paths = [p for package in packages for p in sorted((PACKAGE_ROOT / package).glob("*.py"))]
    return files_digest(paths + [PACKAGE_ROOT / m for m in modules], PACKAGE_ROOT, tag)[:16]
