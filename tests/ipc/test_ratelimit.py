"""Token bucket on a fake clock."""

from __future__ import annotations

import pytest

from ipc.ratelimit import TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_starts_full_and_refuses_past_the_burst() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=10, burst=5, clock=clock)
    assert [bucket.try_take() for _ in range(6)] == [True] * 5 + [False]


def test_refills_at_the_rate_up_to_the_burst() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=10, burst=5, clock=clock)
    for _ in range(5):
        bucket.try_take()
    clock.now = 0.25
    assert bucket.available == pytest.approx(2.5)
    clock.now = 100
    assert bucket.available == 5


def test_a_take_is_all_or_nothing() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=8 << 20, burst=16 << 20, clock=clock)
    assert bucket.try_take(10 << 20)  # a 10 MiB paste
    assert not bucket.try_take(7 << 20)
    assert bucket.available == 6 << 20
    assert not bucket.try_take(17 << 20)  # never fits
    assert bucket.retry_after(17 << 20) == float("inf")
    assert bucket.retry_after(7 << 20) == pytest.approx(1 / 8)


def test_a_clock_stepping_back_does_not_drain_or_fill() -> None:
    clock = Clock()
    clock.now = 10
    bucket = TokenBucket(rate=1, burst=2, clock=clock)
    bucket.try_take(2)
    clock.now = 5
    assert bucket.available == 0
    clock.now = 6
    assert bucket.available == 1


def test_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate=0, burst=1)
