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
import io
import os
import stat
from pathlib import Path

from graphkit.issues import InputError
from graphkit.limits import capped_gzip

_GZIP_MAGIC = b"\x1f\x8b"
_BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)


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
    raising :class:`LimitError` past the limits (``limits.capped_gzip``)."""
    path = Path(path)
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise InputError(f"{path.name}: cannot read: {exc.strerror}") from None
    if raw.peek(2)[:2] != _GZIP_MAGIC:
        return raw
    return capped_gzip(raw, path, max_decompressed_bytes, max_compression_ratio, 1 << 20,
                       close_fileobj=True)


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
