"""Atomic, locked build folders: a build is either wholly in place or not at all.

``graphkit build --out out`` writes into a temporary folder beside ``out``
(``.out.tmp-<build id>``, same file system) and moves it into place only when every file
and ``manifest.json`` are written:

* the swap exchanges the two folders in one ``renameat2(RENAME_EXCHANGE)`` call (Linux),
  then deletes the old build; where that call is missing it renames ``out`` to
  ``.out.old-<id>``, the new folder to ``out`` and deletes the old one (a crash between
  the two renames is repaired by the next build, which puts ``.out.old-*`` back);
* a lock (``fcntl.flock`` on ``.out.lock`` beside ``out``) is held from before the first
  byte is read until the swap is done, so a second build into the same folder fails at
  once with :class:`BuildBusy`;
* an exception, a full disk, SIGINT or SIGTERM removes the temporary folder and leaves
  the previous build as it was; SIGKILL leaves a stale temporary folder that the next
  build into the same folder deletes.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import json
import os
import secrets
import shutil
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from graphkit.issues import InputError

#: What a build before manifests wrote (and the store kept) in its folder: such a folder is
#: replaced only when it holds nothing else, so no file of the user's is ever deleted.
PRE_MANIFEST_ENTRIES = frozenset({
    "clusters.csv", "nodes.parquet", "relationships.parquet", "graph.graphml", "graph.json",
    "entities.csv", "sanctions_hits.csv", "issues.csv", "rings.csv", "rings.json",
    "report.html", "summary.txt", "demo-data", "falkordb"})
#: Test hook: when set, the build waits this many seconds after writing its files into the
#: temporary folder, before the swap (tests kill it there).
HOLD_ENV = "GRAPHKIT_TEST_HOLD_BEFORE_SWAP"


class BuildBusy(InputError):
    """Another build holds the lock of the same output folder."""


class BuildInterrupted(Exception):
    """SIGTERM or SIGHUP arrived during a build (SIGINT stays ``KeyboardInterrupt``)."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum


def new_build_id() -> str:
    """A sortable, unique build id: UTC time and 6 random hex digits."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(3)


def is_build_folder(folder: Path) -> bool:
    """Whether ``folder`` may be replaced by a build: empty, a build with a
    ``manifest.json``, or an older build holding only what builds wrote."""
    try:
        entries = {p.name for p in folder.iterdir()}
    except OSError:
        return False
    return "manifest.json" in entries or entries <= PRE_MANIFEST_ENTRIES


def check_out(out: Path) -> None:
    """Refuse an output folder a build cannot (or must not) replace: a file, a folder of
    other things, a folder without write access. Raises :class:`InputError`."""
    if out.is_symlink() and not out.exists():
        raise InputError(f"--out {out}: a broken symbolic link")
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: is a file, not a folder")
    if out.is_dir() and not is_build_folder(out):
        raise InputError(f"--out {out}: holds files that are not a graphkit build (no "
                         "manifest.json); a build replaces the whole folder, so choose a "
                         "new or empty folder (or move your files out)")
    if out.is_dir() and not os.access(out, os.W_OK | os.X_OK):
        raise InputError(f"--out {out}: not writable (read-only?)")
    parent = out.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--out {out}: cannot create {parent}: {exc.strerror}") from None
    if not parent.is_dir():
        raise InputError(f"--out {out}: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"--out {out}: cannot write in {parent} (read-only?); a build is "
                         "written beside its output folder and moved into place")


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False when the
    system or file system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    if result == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(a))


class BuildFolder:
    """Context manager: lock ``out``, give a temporary folder to write into, and
    :meth:`commit` it into place; on any failure, delete it and leave ``out`` alone."""

    def __init__(self, out: str | Path, build_id: str | None = None,
                 echo: object = "stderr") -> None:
        self.out = Path(os.path.abspath(out))  # '.', 'a/..' resolved: renames need a name
        self.build_id = build_id or new_build_id()
        parent, name = self.out.parent, self.out.name
        self.lock_path = parent / f".{name}.lock"
        self.tmp = parent / f".{name}.tmp-{self.build_id}"
        self._old_prefix = parent / f".{name}.old-"
        self._lock_fd: int | None = None
        self._handlers: dict[int, object] = {}
        self.committed = False
        self.echo = echo

    # --- lock and stale folders ------------------------------------------------------------
    def _lock(self) -> None:
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise InputError(f"--out {self.out}: cannot create the lock file "
                             f"{self.lock_path}: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise BuildBusy(f"--out {self.out}: another graphkit build (pid {holder}) is "
                            "writing into this folder; wait for it to finish") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._lock_fd = fd

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def _clean_stale(self) -> None:
        """Under the lock: repair an interrupted swap, delete what killed builds left."""
        parent, name = self.tmp.parent, self.out.name
        olds = sorted(parent.glob(f".{name}.old-*"))
        if olds and not self.out.exists():
            olds[-1].rename(self.out)
            self._say(f"restored the previous build from {olds[-1].name} (an earlier build "
                      "was stopped during its swap)")
        for stale in [*parent.glob(f".{name}.tmp-*"), *parent.glob(f".{name}.old-*")]:
            shutil.rmtree(stale, ignore_errors=True)
            self._say(f"removed {stale.name}, left by an interrupted build")

    # --- signals ---------------------------------------------------------------------------
    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        raise BuildInterrupted(signum)

    def _trap_signals(self) -> None:
        if sys.platform == "win32" or not _main_thread():
            return
        for signum in (signal.SIGTERM, signal.SIGHUP):
            self._handlers[signum] = signal.signal(signum, self._on_signal)

    def _restore_signals(self) -> None:
        for signum, handler in self._handlers.items():
            signal.signal(signum, handler)
        self._handlers.clear()

    # --- life cycle ------------------------------------------------------------------------
    def __enter__(self) -> BuildFolder:
        check_out(self.out)
        self._lock()
        try:
            self._clean_stale()
            self.tmp.mkdir()
            self._trap_signals()
        except BaseException:
            self._unlock()
            raise
        return self

    def hold_for_tests(self) -> None:
        """Pause before the swap when the test hook ``GRAPHKIT_TEST_HOLD_BEFORE_SWAP`` is
        set (a test kills the build there and finds the previous build whole)."""
        seconds = os.environ.get(HOLD_ENV)
        if seconds:
            (self.tmp / ".holding").touch()
            time.sleep(float(seconds))
            (self.tmp / ".holding").unlink()

    def commit(self) -> None:
        """Move the finished temporary folder into place as ``out`` and delete the
        previous build; signals are held off during the swap."""
        strays = self._strays()
        if strays:
            self._say(f"note: replacing {self.out}, which also held "
                      f"{', '.join(strays[:5])}{' …' if len(strays) > 5 else ''} "
                      "(not written by its build)")
        blocked = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
        try:
            if self.out.exists():
                if _exchange(self.tmp, self.out):
                    old = self.tmp  # the previous build now lives here
                else:
                    old = Path(f"{self._old_prefix}{self.build_id}")
                    self.out.rename(old)
                    self.tmp.rename(self.out)
            else:
                self.tmp.rename(self.out)
                old = None
            self.committed = True
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        if old is not None:
            shutil.rmtree(old, onerror=self._report_leftover)

    def _strays(self) -> list[str]:
        """Top-level entries of the previous build that its manifest does not list."""
        try:
            listed = json.loads((self.out / "manifest.json").read_text(encoding="utf-8"))
            written = {o["file"].split("/")[0] for o in listed.get("outputs", [])}
        except (OSError, ValueError, KeyError, AttributeError, TypeError):
            return []
        return sorted(p.name for p in self.out.iterdir()
                      if p.name not in written | PRE_MANIFEST_ENTRIES | {"manifest.json"})

    def _report_leftover(self, _func, path, exc_info) -> None:
        self._say(f"warning: could not delete {path} of the previous build: {exc_info[1]}")

    def previous_state(self) -> str:
        """What a failed build leaves in ``out``, in words."""
        if self.out.is_dir() and any(self.out.iterdir()):
            return f"the previous build in {self.out} is intact"
        return f"nothing was written to {self.out}"

    def __exit__(self, exc_type, exc, tb) -> bool:
        self._restore_signals()
        try:
            if not self.committed:
                shutil.rmtree(self.tmp, ignore_errors=True)
                if exc_type is not None and not isinstance(exc, InputError):
                    # (an input error is said in one line by the caller; nothing was written)
                    self._say(f"build failed ({_describe(exc)}); removed its temporary "
                              f"folder; {self.previous_state()}")
        finally:
            self._unlock()
        return False

    def _say(self, text: str) -> None:
        """A status line on ``echo`` (default: standard error at the time; None: silent)."""
        if self.echo is not None:
            stream = sys.stderr if self.echo == "stderr" else self.echo
            print(f"graphkit: {text}", file=stream, flush=True)


def _describe(exc: BaseException | None) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return str(exc) or type(exc).__name__


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def publish_build(result, out: str | Path, command: list[str] | None = None) -> str:
    """Write a ``pipeline.BuildResult`` to ``out`` atomically, under the lock, with its
    ``manifest.json``; returns the build id (the Python form of ``graphkit build``)."""
    from graphkit.manifest import utc_now, write_manifest
    from graphkit.pipeline import write_outputs

    with BuildFolder(out) as folder:
        started = utc_now()
        began = time.perf_counter()
        write_outputs(result, folder.tmp, built=started)
        seconds = {**result.seconds, "write": time.perf_counter() - began}
        write_manifest(folder.tmp, build_id=folder.build_id, started=started, result=result,
                       seconds=seconds, command=command or [])
        folder.commit()
    return folder.build_id


@contextlib.contextmanager
def build_folder(out: str | Path, build_id: str | None = None) -> Iterator[BuildFolder]:
    """``with build_folder(out) as folder: write into folder.tmp; folder.commit()``."""
    with BuildFolder(out, build_id) as folder:
        yield folder


__all__ = [
    "PRE_MANIFEST_ENTRIES",
    "BuildBusy",
    "BuildFolder",
    "BuildInterrupted",
    "build_folder",
    "check_out",
    "is_build_folder",
    "new_build_id",
    "publish_build",
]
