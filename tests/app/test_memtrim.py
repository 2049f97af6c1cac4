"""app.memtrim: freed heap pages really go back to the system."""

from __future__ import annotations

import sys

import pytest

from app import memtrim


def _private_dirty_kb() -> int:
    with open("/proc/self/smaps_rollup") as f:
        for line in f:
            if line.startswith("Private_Dirty:"):
                return int(line.split()[1])
    raise AssertionError("no Private_Dirty in smaps_rollup")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_trim_returns_the_holes_a_burst_left_in_the_heap() -> None:
    assert memtrim.available()
    # 64 MB in blocks glibc serves from its heap (below its 128 KiB mmap threshold), each
    # followed by a small survivor, so the freed blocks are holes in the middle of the heap
    # that glibc keeps unless told to give them back. (How much free() alone gives back
    # depends on the heap's past -- in a fresh process nothing, after the GUI tests most
    # of it -- so the test asks where memory ends up, not how it got there.)
    blocks, survivors = [], []
    memtrim.trim()  # settle what an earlier test left behind
    before = _private_dirty_kb()
    for i in range(1_000):
        blocks.append(bytearray(64_000))
        survivors.append(bytearray(600 + i % 7))
    assert _private_dirty_kb() - before > 48_000  # the burst really took the memory
    blocks.clear()
    memtrim.trim()
    assert _private_dirty_kb() - before < 8_000  # back, but for the 0.6 MB of survivors
    assert len(survivors) == 1_000


def test_after_burst_trims_once_per_burst_and_never_during_one() -> None:
    trims: list[int] = []
    after = memtrim.AfterBurst(lambda: trims.append(1))
    assert not after.tick()  # nothing happened: nothing to give back
    for _ in range(5):  # a steady stream: every tick saw activity
        after.note()
        assert not after.tick()
    assert after.tick() and trims == [1]  # the first quiet tick
    assert not after.tick() and trims == [1]
    after.note()
    assert not after.tick()
    assert after.tick() and trims == [1, 1]
