"""The cyclic garbage collector paused while a step makes many small, long-lived objects.

Finding rings (an object per finding, evidence and ring), carrying ring ids over and
diffing two builds (the rings of both builds as Python rows: hundreds of thousands of
dicts, lists and sets at 100k people) make no reference cycles, yet each allocation counts
towards the collector's next pass, and its full passes walk every tracked object the
build holds: at 100k people they took about a second of a ``build --previous``, at 1M
about a second of the rings stage (measured with ``gc.callbacks``). So the collector
waits until these steps end; inside a build, whose stages
freeze what they leave (``progress.Stages``), what the step leaves is frozen with it, so
that it is not walked again either (the build's stages thaw it all when they close)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Automatic garbage collection off for the block (restored as it was, also when
    the block fails); nested uses leave it to the outermost. When objects are frozen
    already (a build's stages froze what they left), the objects alive at the end are
    frozen too, as a stage's are."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            if gc.get_freeze_count():
                gc.freeze()
            gc.enable()


__all__ = ["gc_paused"]
