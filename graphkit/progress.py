"""Progress display: a bar on a terminal, silence in pipes and files."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from tqdm import tqdm


def on_terminal() -> bool:
    """Whether standard error is a terminal (progress is shown only then)."""
    return sys.stderr.isatty()


class Stages:
    """One progress bar over named stages, recording each stage's wall time."""

    def __init__(self, names: list[str], show: bool = True) -> None:
        self.seconds: dict[str, float] = {}
        self.bar = tqdm(total=len(names), desc="build", unit="stage",
                        disable=not (show and on_terminal()), file=sys.stderr)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the enclosed block as stage ``name`` and advance the bar after it."""
        self.bar.set_postfix_str(name)
        start = time.perf_counter()
        yield
        self.seconds[name] = time.perf_counter() - start
        self.bar.update(1)

    def close(self) -> None:
        """Close the bar."""
        self.bar.close()
