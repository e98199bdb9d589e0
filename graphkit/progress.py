"""Progress and measurement of a build's stages.

On a terminal: one bar over the stages. Elsewhere (a pipe, a log file, a scheduler): one
plain status line per stage start and end, so a nightly job's log shows where it is.
Every stage records its wall time, rows in and out, rows per second and peak memory
(``StageStats``); the pipeline writes them to ``summary.txt`` and ``build.json``.
"""

from __future__ import annotations

import gc
import re
import resource
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from graphkit.gcpause import stages_froze

_MIB = 1024 * 1024


def on_terminal() -> bool:
    """Whether standard error is a terminal (progress bars are shown only then)."""
    return sys.stderr.isatty()


class _NoBar:
    """The bar where none is shown (off a terminal, or not asked for): tqdm is not even
    loaded, and no monitor thread started."""

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


def _bar(shown: bool, **options: Any) -> Any:
    """A tqdm bar on standard error when ``shown``, else a bar that does nothing."""
    if not shown:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(file=sys.stderr, **options)


def rss_mib() -> float:
    """Resident memory of this process now, in MiB (0 where /proc is absent)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            pages = int(handle.read().split()[1])
        return pages * resource.getpagesize() / _MIB
    except (OSError, ValueError, IndexError):
        return 0.0


def max_rss_mib() -> float:
    """This process's peak resident memory so far, in MiB (the kernel's high-water mark)."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            found = re.search(r"VmHWM:\s+(\d+) kB", handle.read())
        if found:
            return int(found.group(1)) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _system_seconds() -> float:
    """CPU seconds the kernel has spent for this process (all threads) so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_stime


class _Sampler:
    """Samples resident memory in a background thread while a stage runs."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, rss_mib())

    def __enter__(self) -> _Sampler:
        self.peak = rss_mib()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mib())


@dataclass
class StageStats:
    """What one stage did: wall seconds, rows in and out, and memory.

    ``peak_rss_mib`` is the highest resident memory seen during the stage (exact when
    the stage raised the process's high-water mark, else sampled every 50 ms);
    ``rss_mib`` is what the process held when the stage ended.
    """

    name: str
    seconds: float = 0.0
    rows_in: int = 0
    rows_out: int = 0
    peak_rss_mib: float = 0.0
    rss_mib: float = 0.0
    #: CPU seconds of the process (all threads) during the stage: steadier than wall
    #: seconds on a shared machine
    cpu_seconds: float = 0.0
    #: of ``cpu_seconds``, what threads other than the one running the stage spent:
    #: background writers (which end within the stage that starts them, so no stage's
    #: figure holds another's writing), Arrow's thread pool, resolution's workers
    other_threads_cpu_seconds: float = 0.0
    #: of ``cpu_seconds``, what the kernel spent for the process (page faults: zeroing
    #: fresh memory, file reads and writes); the rest is the process's own work
    system_cpu_seconds: float = 0.0
    #: MiB by which the stage raised the process's high-water mark of resident memory:
    #: memory the build touched for the first time. Its page faults are the costliest
    #: kernel time, more so on a virtual machine whose host takes idle memory back
    new_memory_mib: float = 0.0

    @property
    def rows_per_second(self) -> float:
        """Input rows handled per second (0 for an instant stage)."""
        return self.rows_in / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict:
        """Plain values, rounded, for ``build.json``."""
        data = asdict(self)
        data.update(seconds=round(self.seconds, 3), cpu_seconds=round(self.cpu_seconds, 3),
                    other_threads_cpu_seconds=round(self.other_threads_cpu_seconds, 3),
                    system_cpu_seconds=round(self.system_cpu_seconds, 3),
                    new_memory_mib=round(self.new_memory_mib, 1),
                    peak_rss_mib=round(self.peak_rss_mib, 1),
                    rss_mib=round(self.rss_mib, 1),
                    rows_per_second=round(self.rows_per_second, 1))
        return data

    def line(self) -> str:
        """One readable line: ``resolve: 10,558 → 9,871 rows in 3.2s (3,299 rows/s),
        peak 512 MiB``."""
        return (f"{self.name}: {self.rows_in:,} → {self.rows_out:,} rows in "
                f"{self.seconds:.1f}s ({self.rows_per_second:,.0f} rows/s), "
                f"peak {self.peak_rss_mib:,.0f} MiB")


class Stages:
    """Named stages of a build: a bar on a terminal, status lines elsewhere, and the
    measurements of each stage (``stats``)."""

    def __init__(self, names: list[str], show: bool = True, label: str = "build") -> None:
        self.stats: list[StageStats] = []
        self.label = label
        self.lines = show and not on_terminal()
        self.bar = _bar(show and on_terminal(), total=len(names), desc=label, unit="stage")
        #: whether these stages froze the garbage collector's view (undone by ``close``)
        self._froze = False

    @property
    def seconds(self) -> dict[str, float]:
        """Wall seconds per stage."""
        return {s.name: s.seconds for s in self.stats}

    @contextmanager
    def stage(self, name: str, rows_in: int = 0) -> Iterator[StageStats]:
        """Measure the enclosed block as stage ``name``; the block may set ``rows_in`` and
        ``rows_out`` on the yielded ``StageStats``."""
        stats = StageStats(name, rows_in=rows_in)
        self.bar.set_postfix_str(name)
        if self.lines:
            print(f"[{self.label}] {name} …", file=sys.stderr, flush=True)
        high_before = max_rss_mib()
        start, cpu_start = time.perf_counter(), time.process_time()
        own_start, system_start = time.thread_time(), _system_seconds()
        with _Sampler() as sampler:
            try:
                yield stats
            except BaseException:
                self._unfreeze()  # a failed build leaves nothing frozen behind
                raise
        stats.seconds = time.perf_counter() - start
        stats.cpu_seconds = time.process_time() - cpu_start
        stats.other_threads_cpu_seconds = max(
            0.0, stats.cpu_seconds - (time.thread_time() - own_start))
        stats.system_cpu_seconds = min(stats.cpu_seconds,
                                       max(0.0, _system_seconds() - system_start))
        high_after = max_rss_mib()
        stats.peak_rss_mib = max(sampler.peak, high_after if high_after > high_before else 0)
        stats.new_memory_mib = max(0.0, high_after - high_before)
        stats.rss_mib = rss_mib()
        self.stats.append(stats)
        self.bar.update(1)
        if self.lines:
            print(f"[{self.label}] {stats.line()}", file=sys.stderr, flush=True)
        # what a stage leaves is long-lived (its tables): the cyclic garbage collector's
        # full passes, which would walk it again and again, skip it until ``close`` (the
        # young garbage is collected first, so that little of it is frozen with it). Only
        # when nothing else froze objects: ``close`` must not thaw what its host froze.
        if self._froze or gc.get_freeze_count() == 0:
            gc.collect(1)
            gc.freeze()
            self._froze = True
            stages_froze(True)

    def _unfreeze(self) -> None:
        if self._froze:
            gc.unfreeze()
            self._froze = False
            stages_froze(False)

    def close(self) -> None:
        """Close the bar; the objects the stages left are looked at by the garbage
        collector again. Whoever passes a ``Stages`` to a build must close it (a build
        that fails inside a stage undoes the freeze itself)."""
        self.bar.close()
        self._unfreeze()


#: Seconds between two plain status lines of a long step (off a terminal).
STATUS_INTERVAL = 10.0


class Progress:
    """Progress of one long step counted in items (names screened, rows written): a bar
    on a terminal; elsewhere a plain status line at the start, at most every ``interval``
    seconds, and at the end (``[screen] 12,000 / 100,000 names (12%) in 8.1s``)."""

    def __init__(self, total: int, label: str, unit: str = "item", show: bool = True,
                 interval: float = STATUS_INTERVAL) -> None:
        self.total, self.label, self.unit, self.interval = total, label, unit, interval
        self.done = 0
        self.lines = show and not on_terminal()
        self.bar = _bar(show and on_terminal(), total=total, desc=label, unit=unit)
        self._started = self._shown = time.perf_counter()
        if self.lines:
            self._line("…")

    def _line(self, text: str) -> None:
        print(f"[{self.label}] {text}", file=sys.stderr, flush=True)

    def _status(self) -> str:
        share = f" ({100 * self.done / self.total:.0f}%)" if self.total else ""
        return (f"{self.done:,} / {self.total:,} {self.unit}s{share} in "
                f"{time.perf_counter() - self._started:.1f}s")

    def update(self, n: int = 1) -> None:
        """Count ``n`` more items done."""
        self.done += n
        self.bar.update(n)
        if self.lines and time.perf_counter() - self._shown >= self.interval:
            self._shown = time.perf_counter()
            self._line(self._status())

    def close(self) -> None:
        """End the bar, or print the final status line."""
        self.bar.close()
        if self.lines:
            self.lines = False
            self._line(self._status() + ", done")

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
