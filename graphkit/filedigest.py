"""SHA-256 of input files, computed once per build and shared; and digests of source files.

The manifest records each input's hash, and the incremental ingest keys its cache on it
and checks whether a file only grew (the hash of its first ``prefix`` bytes equals the
previous file's hash). :func:`file_digest` computes both in one pass and remembers the
answer while the file's size, modification time and inode stay the same, so a build
reads every input once for hashing, whoever asks first.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileDigest:
    """A file's size and SHA-256, and the SHA-256 of its first ``prefix`` bytes (when
    asked for and the file is at least that long, else ``None``)."""

    size: int
    sha256: str
    prefix: int | None = None
    prefix_sha256: str | None = None


_SEEN: dict[tuple[str, int, int, int, int], FileDigest] = {}


def _identity(path: Path) -> tuple[str, int, int, int, int]:
    info = os.stat(path)
    return (os.path.abspath(path), info.st_size, info.st_mtime_ns, info.st_ctime_ns,
            info.st_ino)


def forget() -> None:
    """Drop every remembered digest (a build starts with this: file times are coarse,
    and a file rewritten within the same tick must not keep its old hash)."""
    _SEEN.clear()


def file_digest(path: str | Path, prefix: int | None = None) -> FileDigest:
    """SHA-256 of ``path`` (and of its first ``prefix`` bytes), read once; a later call
    for the same unchanged file answers from memory."""
    path = Path(path)
    key = _identity(path)
    known = _SEEN.get(key)
    if known is not None and (prefix is None or known.prefix == prefix):
        return known
    digest = hashlib.sha256()
    head = None
    done = 0
    with path.open("rb") as stream:
        if prefix is not None and 0 < prefix <= key[1]:
            left = prefix
            while left and (block := stream.read(min(_CHUNK, left))):
                digest.update(block)
                left -= len(block)
                done += len(block)
            head = digest.hexdigest() if done == prefix else None
        while block := stream.read(_CHUNK):
            digest.update(block)
    found = FileDigest(key[1], digest.hexdigest(), prefix if head else None, head)
    _SEEN[key] = found
    return found


def sha256_of(path: str | Path) -> str:
    """Hex SHA-256 of a file (shared with every other caller in this process)."""
    return file_digest(path).sha256


def files_digest(paths: list[Path], root: Path, tag: str = "") -> str:
    """Hex SHA-256 over ``tag`` and each of ``paths`` in order, by its path relative to
    ``root`` and its content (a digest of source files: which code made a result)."""
    digest = hashlib.sha256(tag.encode())
    for path in paths:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()
