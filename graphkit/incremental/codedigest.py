"""One digest of the source files that compute a kind of cached state, so state made by
other code is not reused (the ingest cache, the sanctions cache, comparisons and hits)."""

from __future__ import annotations

import hashlib
from pathlib import Path

#: The ``graphkit`` package folder.
PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def code_digest(tag: str, packages: tuple[str, ...], modules: tuple[str, ...] = ()) -> str:
    """16 hex digits over ``tag`` and each ``.py`` file of ``packages`` (subfolders of
    ``graphkit``) and ``modules`` (files of ``graphkit``), by path and content."""
    digest = hashlib.sha256(tag.encode())
    paths = [p for package in packages for p in sorted((PACKAGE_ROOT / package).glob("*.py"))]
    for path in paths + [PACKAGE_ROOT / m for m in modules]:
        digest.update(path.relative_to(PACKAGE_ROOT).as_posix().encode() + b"\0" +
                      path.read_bytes())
    return digest.hexdigest()[:16]
