"""Engines stop with the command that started them: at exit, on SIGTERM and SIGHUP.

SIGKILL cannot be caught: for it the engine process itself asks the kernel to kill it when
its parent dies (``PR_SET_PDEATHSIG``, see ``graphkit.store.server``).
"""

from __future__ import annotations

import atexit
import contextlib
import signal
import threading
from typing import Protocol


class _Closable(Protocol):
    def close(self) -> None: ...


_LIVE: list[_Closable] = []


def track(engine: _Closable) -> None:
    """Remember ``engine`` so that it is closed at exit."""
    _LIVE.append(engine)


def untrack(engine: _Closable) -> None:
    """Forget ``engine`` (it has been closed)."""
    with contextlib.suppress(ValueError):
        _LIVE.remove(engine)


def close_all() -> None:
    """Close every engine still running."""
    for engine in list(_LIVE):
        with contextlib.suppress(Exception):
            engine.close()


def _exit_on_signal(signum: int, frame) -> None:
    raise SystemExit(128 + signum)


def exit_cleanly_on_signals() -> None:
    """Turn SIGTERM and SIGHUP into ``SystemExit`` so that ``finally`` blocks and context
    managers stop engines (main thread only; SIGINT already raises KeyboardInterrupt)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) in (signal.SIG_DFL, None):
            signal.signal(signum, _exit_on_signal)


atexit.register(close_all)
