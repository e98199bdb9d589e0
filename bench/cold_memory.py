"""What the kernel charges this machine's processes for memory touched the first time.

Every page a process touches the first time costs a page fault in which the kernel zeroes
it. On bare metal that costs about the same every time. On a virtual machine whose host
takes idle memory back (virtio-balloon's free page reporting: the guest tells the host
which pages are free, a few seconds after they were freed, and the host drops them), a
page the guest has not used for a while is backed by nothing: its first touch also makes
the host find and zero a page, and the guest's kernel is charged the wait. Memory freed a
moment ago and touched again at once is still backed, so it costs a fraction.

This probe maps ``--gib`` GiB of private anonymous memory and touches every page,
counting the kernel's CPU seconds (``getrusage``) and the page faults: first after
``--settle`` seconds of idling (cold), again at once after unmapping it (warm), then after
each pause of ``--pauses``; once in 4 KiB pages (as Arrow's pool gets them) and once with
transparent huge pages asked for (``madvise``, as NumPy does for arrays of 4 MiB and
more). It prints seconds per GiB for each, the cold/warm ratio, and whether the balloon
device offers free page reporting (``graphkit.heap.free_page_reporting``: where it does,
a build's graph stages turn NumPy's huge pages off, setting ``huge_pages``).
``bench/scale.py`` runs it before its builds: a build's kernel time is mostly the first
touch of the memory its stages grow into, so these figures say how much of that time
belongs to the machine rather than the code.

    python bench/cold_memory.py [--gib 1] [--settle 10] [--pauses 1 2 4 8]
"""

from __future__ import annotations

import argparse
import mmap
import resource
import sys
import time
from dataclasses import dataclass

from graphkit.heap import free_page_reporting


@dataclass(frozen=True)
class Touch:
    """One pass over the block: what touching every page the first time cost."""

    label: str
    gib: float
    kernel_seconds: float
    wall_seconds: float
    page_faults: int

    @property
    def kernel_per_gib(self) -> float:
        """Kernel CPU seconds per GiB touched."""
        return self.kernel_seconds / self.gib


def touch(nbytes: int, label: str, huge_pages: bool = False) -> Touch:
    """Map ``nbytes`` of anonymous memory, write one byte in every page, unmap it; the
    kernel's CPU seconds, wall seconds and page faults of that."""
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    # private, as malloc's and NumPy's memory is (shared anonymous memory is the shmem
    # file system's, with its own huge-page setting)
    with mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS) as block:
        if hasattr(mmap, "MADV_HUGEPAGE"):  # asked either way: THP may be "always"
            block.madvise(mmap.MADV_HUGEPAGE if huge_pages else mmap.MADV_NOHUGEPAGE)
        view = memoryview(block)
        for at in range(0, nbytes, mmap.PAGESIZE):
            view[at] = 1
        view.release()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    return Touch(label, nbytes / 2**30, after.ru_stime - before.ru_stime, wall,
                 after.ru_minflt - before.ru_minflt)


def probe(gib: float = 1.0, settle: float = 10.0, pauses: tuple[float, ...] = (),
          huge_pages: bool = False) -> list[Touch]:
    """Touch ``gib`` GiB after ``settle`` idle seconds (cold), again at once (warm), then
    after each pause in ``pauses``."""
    nbytes = max(mmap.PAGESIZE, int(gib * 2**30) // mmap.PAGESIZE * mmap.PAGESIZE)
    time.sleep(settle)
    passes = [touch(nbytes, f"after {settle:g} s idle (cold)", huge_pages),
              touch(nbytes, "again at once (warm)", huge_pages)]
    for pause in pauses:
        time.sleep(pause)
        passes.append(touch(nbytes, f"again after {pause:g} s", huge_pages))
    return passes


def summary(passes: list[Touch]) -> str:
    """One line: cold and warm seconds per GiB and their ratio, and free page reporting."""
    cold, warm = passes[0], passes[1]
    ratio = cold.kernel_per_gib / warm.kernel_per_gib if warm.kernel_seconds > 0 else None
    reporting = {True: "on", False: "off", None: "no balloon device"}[free_page_reporting()]
    return (f"first touch of memory: {cold.kernel_per_gib:.2f} kernel s/GiB "
            f"{cold.label.removeprefix('after ').removesuffix(' (cold)')}, "
            f"{warm.kernel_per_gib:.2f} s/GiB again at once"
            + (f" ({ratio:.1f}x)" if ratio else "")
            + f"; free page reporting: {reporting}")


PAGE_KINDS = {"4 KiB pages": False, "huge pages": True}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gib", type=float, default=1.0, help="GiB touched per pass")
    parser.add_argument("--settle", type=float, default=10.0,
                        help="idle seconds before the first (cold) pass")
    parser.add_argument("--pauses", type=float, nargs="*", default=[1.0, 2.0, 4.0, 8.0],
                        help="idle seconds before each further pass")
    args = parser.parse_args(argv)
    for kind, huge in PAGE_KINDS.items():
        passes = probe(args.gib, args.settle, tuple(args.pauses), huge)
        print(f"\n{kind:<28} {'kernel s':>9} {'s/GiB':>7} {'wall s':>7} {'faults':>9}")
        for p in passes:
            print(f"{p.label:<28} {p.kernel_seconds:>9.2f} {p.kernel_per_gib:>7.2f} "
                  f"{p.wall_seconds:>7.2f} {p.page_faults:>9,}")
        print(f"{kind}: {summary(passes)}")


if __name__ == "__main__":
    main(sys.argv[1:])
