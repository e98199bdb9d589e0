"""Freed memory kept for reuse during a build (graphkit.freedmemory), on glibc."""

from __future__ import annotations

import resource

import numpy as np
import pytest

from graphkit import freedmemory
from graphkit.freedmemory import freed_memory_kept

glibc_only = pytest.mark.skipif(freedmemory._glibc() is None, reason="glibc's malloc only")

#: above glibc's largest mmap threshold (32 MiB): such blocks are mapped afresh each time
_BIG = 96 * 1024 * 1024 // 8


def _faults_of_big_arrays(times: int = 6) -> int:
    """Page faults of making, touching and dropping a 96 MiB array ``times`` times."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(times):
        block = np.empty(_BIG, dtype=np.int64)
        block.fill(1)
        del block
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


@glibc_only
def test_big_blocks_are_reused_inside_and_mapped_afresh_outside():
    plain = _faults_of_big_arrays()
    with freed_memory_kept() as active:
        assert active
        _faults_of_big_arrays(1)  # the heap grows once
        kept = _faults_of_big_arrays()
    after = _faults_of_big_arrays()
    assert plain > 0 and after > 0
    assert kept * 4 < plain  # reused: no fresh pages to fault in and zero
    assert kept * 4 < after  # glibc's defaults are back


@glibc_only
def test_nested_uses_keep_the_setting_until_the_outer_one_ends():
    with freed_memory_kept():
        with freed_memory_kept():
            _faults_of_big_arrays(1)
        assert freedmemory._depth == 1
        kept = _faults_of_big_arrays()
    assert freedmemory._depth == 0
    assert kept * 4 < _faults_of_big_arrays()


def test_disabled_does_nothing():
    with freed_memory_kept(enabled=False) as active:
        assert not active
        assert freedmemory._depth == 0


@glibc_only
def test_an_exception_inside_still_restores_the_defaults():
    with pytest.raises(RuntimeError), freed_memory_kept():
        raise RuntimeError("stage failed")
    assert freedmemory._depth == 0
    assert _faults_of_big_arrays(2) > 0
