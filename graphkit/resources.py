"""Locate the data folders graphkit ships (loader specs, query packs, bundled lists).

Installed, they live inside the package (``graphkit/loaders``, ``graphkit/queries``); in a
source checkout they are the top-level ``loaders/`` and ``queries/`` folders.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def shipped_dir(name: str) -> Path:
    """Folder ``name`` ('loaders' or 'queries') as installed, or from the source checkout."""
    for candidate in (_PACKAGE_DIR / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"graphkit is missing its '{name}' folder (broken install?)")
