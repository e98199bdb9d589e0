"""Open a data file for reading: refuse what cannot be a data file, pick the text encoding.

``check_file`` refuses, with one clear line, a path that is missing, a broken symbolic link
or a link loop, a directory or other non-regular file, an unreadable or an empty file.
``open_text`` returns a text stream: gzip-compressed files (by their magic bytes) are
unpacked on the fly under a decompressed-size cap, and a UTF-16/UTF-32 byte-order mark
overrides the declared encoding.
"""

from __future__ import annotations

import codecs
import errno
import gzip
import io
import os
import stat
from pathlib import Path

from graphkit.issues import InputError

_GZIP_MAGIC = b"\x1f\x8b"
_BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)


class LimitError(InputError):
    """Input refused because it exceeds a configured resource limit."""


def check_file(path: str | Path) -> None:
    """Raise :class:`InputError` unless ``path`` is a readable, non-empty regular file."""
    path = Path(path)
    try:
        info = path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(f"{path}: is a symbolic link loop; not a data file") from None
        if exc.errno == errno.ENOENT and path.is_symlink():
            raise InputError(f"{path}: is a broken symbolic link (target "
                             f"{os.readlink(path)} missing)") from None
        if exc.errno == errno.ENOENT:
            raise InputError(f"{path}: no such file") from None
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{path}: is a directory, not a data file")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"{path}: is not a regular file (device, pipe or socket)")
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    if info.st_size == 0:
        raise InputError(f"{path}: the file is empty (0 bytes; no header row)")


class _Capped(io.RawIOBase):
    """A raw binary stream that raises :class:`LimitError` once more than ``cap`` bytes pass."""

    def __init__(self, inner: io.BufferedIOBase, cap: int, name: str) -> None:
        self._inner, self._cap, self._name, self._count = inner, cap, name, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        try:
            data = self._inner.read(len(buffer))
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise InputError(f"{self._name}: corrupt gzip data: {exc}") from None
        self._count += len(data)
        if self._count > self._cap:
            raise LimitError(f"{self._name}: unpacks to more than {self._cap:,} bytes "
                             "(limit max_decompressed_bytes); file refused")
        buffer[:len(data)] = data
        return len(data)

    def close(self) -> None:
        self._inner.close()
        super().close()


def _encoding(declared: str, head: bytes, where: str) -> str:
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    name = declared.lower().replace("_", "-")
    if name in ("utf-8", "utf8", "utf-8-sig"):
        return "utf-8-sig"
    try:
        codecs.lookup(declared)
    except LookupError:
        raise InputError(f"{where}: unknown encoding '{declared}'") from None
    return declared


def open_binary(path: str | Path, max_decompressed_bytes: int) -> io.BufferedReader:
    """Binary stream of a data file; gzip-compressed files (by magic bytes) are unpacked,
    raising :class:`LimitError` past ``max_decompressed_bytes``."""
    path = Path(path)
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise InputError(f"{path.name}: cannot read: {exc.strerror}") from None
    if raw.peek(2)[:2] != _GZIP_MAGIC:
        return raw
    capped = _Capped(gzip.GzipFile(fileobj=raw, mode="rb"), max_decompressed_bytes, path.name)
    return io.BufferedReader(capped, buffer_size=1 << 20)


def open_text(path: str | Path, declared_encoding: str, max_decompressed_bytes: int
              ) -> io.TextIOWrapper:
    """Text stream of a data file (``newline=''`` for the csv module; undecodable bytes
    come through as surrogate escapes, to be repaired and reported per field). Its
    ``encoding`` is the one used: a byte-order mark wins over ``declared_encoding``."""
    path = Path(path)
    binary = open_binary(path, max_decompressed_bytes)
    try:
        encoding = _encoding(declared_encoding, binary.peek(4)[:4], path.name)
    except InputError:
        binary.close()
        raise
    return io.TextIOWrapper(binary, encoding=encoding, errors="surrogateescape", newline="")
