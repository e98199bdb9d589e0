"""``graphkit serve``'s registry: one serve per build folder, found by other commands.

A serve holds an exclusive ``flock`` on ``serve-<folder hash>.lock`` in the private runtime
folder for its whole life (the kernel drops it however the process ends) and writes how to
reach its engine (socket, password: the file is 0600 in a 0700 folder) beside it. Another
command on the same folder shares that engine; a second serve gets a clear error.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

from graphkit.store.server import StoreError, runtime_root


def _paths(folder: str | Path) -> tuple[Path, Path]:
    digest = hashlib.sha256(str(Path(folder).resolve()).encode()).hexdigest()[:20]
    root = runtime_root()
    return root / f"serve-{digest}.lock", root / f"serve-{digest}.json"


def _open_lock(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)


def find_served(folder: str | Path) -> dict | None:
    """How to reach the engine of a ``graphkit serve`` running on ``folder``, if any."""
    lock, info = _paths(folder)
    if not lock.exists():
        return None
    fd = _open_lock(lock)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            pass  # held: a serve is running
        else:
            return None
    finally:
        os.close(fd)
    try:
        return json.loads(info.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise StoreError(f"graphkit serve is starting on {folder}; try again in a moment") \
            from None


@contextlib.contextmanager
def registered(folder: str | Path, details: dict) -> Iterator[None]:
    """Register a serve of ``folder`` for the duration; ``StoreError`` if one runs."""
    lock, info = _paths(folder)
    fd = _open_lock(lock)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = find_served(folder) or {}
            raise StoreError(f"graphkit serve is already running on {folder} (pid "
                             f"{other.get('pid', '?')}); 'graphkit query run' uses it, or "
                             "stop it first") from None
        tmp = info.with_suffix(".tmp")
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w",
                       encoding="utf-8") as handle:
            json.dump(details, handle)
        tmp.replace(info)
        try:
            yield
        finally:
            info.unlink(missing_ok=True)
    finally:
        os.close(fd)
