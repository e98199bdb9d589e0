"""Bounded reading of compressed input: a gzip bomb ends in a clear error, not 5 GB of RAM.

The limits are ``Settings`` fields (``max_decompressed_bytes``, ``max_compression_ratio``);
a build makes its settings the active limits with :func:`use_limits`, and every list
parser opens files through :func:`open_maybe_gzip`, so the parsers need no extra argument.
Past the first 16 MiB a gzip stream may unpack to at most ``max_compression_ratio`` times
its packed size (text compresses 5-20x, a bomb ~1000x) and never beyond
``max_decompressed_bytes``.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import IO

from graphkit.issues import InputError
from graphkit.settings import DEFAULT_SETTINGS, Settings

#: Unpacked bytes always allowed before the ratio is checked.
FREE_BYTES = 16 * 1024**2

_ACTIVE: ContextVar[Settings] = ContextVar("graphkit_limits", default=DEFAULT_SETTINGS)


class LimitError(InputError):
    """Input refused because it exceeds a configured resource limit."""


class DecompressionLimitError(LimitError):
    """A compressed file unpacks to more than the limits allow."""


@contextmanager
def use_limits(settings: Settings) -> Iterator[Settings]:
    """Make ``settings`` the limits of every file opened inside the ``with`` block."""
    token = _ACTIVE.set(settings)
    try:
        yield settings
    finally:
        _ACTIVE.reset(token)


def active_limits() -> Settings:
    """The settings whose limits apply now (defaults outside :func:`use_limits`)."""
    return _ACTIVE.get()


class _CappedStream(io.RawIOBase):
    """A read-only byte stream that stops with :class:`DecompressionLimitError` once the
    wrapped gzip stream has produced more than ``max_bytes`` or, past ``FREE_BYTES``, more
    than ``max_ratio`` times the packed size of ``path``."""

    def __init__(self, inner: IO[bytes], path: Path, max_bytes: int, max_ratio: int,
                 owned: IO[bytes] | None = None) -> None:
        super().__init__()
        self.inner = inner
        self.owned = owned  # the packed file, when this stream opened it
        self.path = path
        self.packed = max(path.stat().st_size, 1)
        self.limit = max_bytes
        self.ratio = max_ratio
        self.total = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            n = self.inner.readinto(buffer)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"{self.path.name}: not a valid gzip file ({exc}); "
                             f"{self.total:,} bytes were unpacked before it") from None
        self.total += n
        if self.total > self.limit:
            raise DecompressionLimitError(
                f"{self.path.name}: unpacks to more than {self.limit:,} bytes (setting "
                "max_decompressed_bytes); refused as a possible gzip bomb")
        if self.total > FREE_BYTES and self.total > self.ratio * self.packed:
            raise DecompressionLimitError(
                f"{self.path.name}: {self.packed:,} packed bytes unpack to more than "
                f"{self.total:,} (over {self.ratio}x, setting max_compression_ratio); "
                "file refused as a possible gzip bomb")
        return n

    def close(self) -> None:
        self.inner.close()  # a GzipFile given a fileobj leaves that file open
        if self.owned is not None:
            self.owned.close()
        super().close()


def capped_gzip(fileobj: IO[bytes], path: str | Path, max_bytes: int, max_ratio: int,
                buffer_size: int = 1 << 16, close_fileobj: bool = False) -> io.BufferedReader:
    """The unpacked bytes of the gzip stream ``fileobj`` (the file ``path``), within the
    limits (see ``_CappedStream``); closing it closes ``fileobj`` too when
    ``close_fileobj``."""
    stream = _CappedStream(gzip.GzipFile(fileobj=fileobj, mode="rb"), Path(path), max_bytes,
                           max_ratio, owned=fileobj if close_fileobj else None)
    return io.BufferedReader(stream, buffer_size=buffer_size)


def open_gzip(path: str | Path, settings: Settings | None = None) -> IO[bytes]:
    """A gzip file opened for reading its unpacked bytes, within the limits."""
    limits = settings or active_limits()
    return capped_gzip(Path(path).open("rb"), path, limits.max_decompressed_bytes,
                       limits.max_compression_ratio, close_fileobj=True)


def open_maybe_gzip(path: str | Path, settings: Settings | None = None) -> IO[bytes]:
    """``path`` opened for reading bytes; ``.gz`` files are unpacked within the limits."""
    path = Path(path)
    return open_gzip(path, settings) if path.suffix == ".gz" else path.open("rb")


__all__ = ["DecompressionLimitError", "active_limits", "open_gzip", "open_maybe_gzip",
           "use_limits"]
