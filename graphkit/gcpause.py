"""The cyclic garbage collector paused while a step makes many small, long-lived objects.

Finding rings (an object per finding, evidence and ring), carrying ring ids over and
diffing two builds (the rings of both builds as Python rows: hundreds of thousands of
dicts, lists and sets at 100k people) make few reference cycles, yet each allocation
counts towards the collector's next pass, and its full passes walk every tracked object
the build holds: about 1.5 s of a 100k ``build --previous`` and 1.1 s of the rings stage
at 1M (measured with ``gc.callbacks``). So the collector waits until these steps end;
inside a build, whose stages freeze what they leave (``progress.Stages``), what the step
leaves is frozen with it, so that it is not walked again either (the build's stages thaw
it all when they close)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: Whether a build's stages froze what they left (``progress.Stages``, which thaws it all
#: when it closes): only then is what a paused step leaves frozen with it. Objects its
#: host froze (a server that forks workers) say nothing about the step's own objects.
_stages_frozen = False


def stages_froze(frozen: bool) -> None:
    """Told by ``progress.Stages`` when it froze what its stages left, and when it thawed it."""
    global _stages_frozen
    _stages_frozen = frozen


@contextmanager
def gc_paused() -> Iterator[None]:
    """Automatic garbage collection off for the block (restored as it was, also when
    the block fails); nested uses leave it to the outermost. Inside a build whose stages
    froze what they left, what the block leaves is frozen too when it ends normally, as a
    stage's is."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    except BaseException:
        if was_on:
            gc.enable()
        raise
    if was_on:
        if _stages_frozen:
            gc.freeze()
        gc.enable()


__all__ = ["gc_paused", "stages_froze"]
