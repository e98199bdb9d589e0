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


#: Unpacked bytes always allowed before the compression ratio is checked.
FREE_BYTES = 16 * 1024**2


class _Capped(io.RawIOBase):
    """A raw binary stream of unpacked gzip bytes that raises :class:`LimitError` past
    ``max_bytes`` or, once past ``FREE_BYTES``, past ``max_ratio`` times the packed size."""

    def __init__(self, inner: io.BufferedIOBase, path: Path, max_bytes: int,
                 max_ratio: int) -> None:
        super().__init__()
        self._inner, self._name, self._count = inner, path.name, 0
        self._max_bytes, self._max_ratio = max_bytes, max_ratio
        self._packed = max(path.stat().st_size, 1)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        try:
            data = self._inner.read(len(buffer))
        except (OSError, EOFError) as exc:
            raise InputError(f"{self._name}: corrupt gzip data: {exc}") from None
        self._count += len(data)
        if self._count > self._max_bytes:
            raise LimitError(f"{self._name}: unpacks to more than {self._max_bytes:,} bytes "
                             "(setting max_decompressed_bytes); file refused")
        if self._count > FREE_BYTES and self._count > self._max_ratio * self._packed:
            raise LimitError(f"{self._name}: {self._packed:,} packed bytes unpack to more "
                             f"than {self._count:,} (over {self._max_ratio}x, setting "
                             "max_compression_ratio); file refused")
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


def open_binary(path: str | Path, max_decompressed_bytes: int, max_compression_ratio: int
                ) -> io.BufferedReader:
    """Binary stream of a data file; gzip-compressed files (by magic bytes) are unpacked,
    raising :class:`LimitError` past the limits (see ``_Capped``)."""
    path = Path(path)
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise InputError(f"{path.name}: cannot read: {exc.strerror}") from None
    if raw.peek(2)[:2] != _GZIP_MAGIC:
        return raw
    capped = _Capped(gzip.GzipFile(fileobj=raw, mode="rb"), path, max_decompressed_bytes,
                     max_compression_ratio)
    return io.BufferedReader(capped, buffer_size=1 << 20)


def open_text(path: str | Path, declared_encoding: str, max_decompressed_bytes: int,
              max_compression_ratio: int) -> io.TextIOWrapper:
    """Text stream of a data file (``newline=''`` for the csv module; undecodable bytes
    come through as surrogate escapes, to be repaired and reported per field). Its
    ``encoding`` is the one used: a byte-order mark wins over ``declared_encoding``."""
    path = Path(path)
    binary = open_binary(path, max_decompressed_bytes, max_compression_ratio)
    try:
        encoding = _encoding(declared_encoding, binary.peek(4)[:4], path.name)
    except InputError:
        binary.close()
        raise
    return io.TextIOWrapper(binary, encoding=encoding, errors="surrogateescape", newline="")
