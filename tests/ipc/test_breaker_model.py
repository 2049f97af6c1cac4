"""The breaker against a tiny reference model, under random interleavings (hypothesis).

The model keeps every outcome in a plain list and recomputes rates from scratch with exact
fractions; the breaker keeps one-second buckets and running totals. Any disagreement in
state, open time, window counts or whether a call is let through is a bug in one of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from ipc.breaker import CircuitBreaker, Permit


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@dataclass
class ModelPermit:
    generation: int
    probe: bool


@dataclass
class Model:
    window: int
    min_calls: int
    failure_rate: Fraction
    slow_rate: Fraction
    slow_seconds: float
    open_seconds: float
    max_open: float
    backoff: float
    probe_timeout: float
    state: str = "closed"
    generation: int = 0
    trips: int = 0
    open_until: float = 0.0
    probe_since: float | None = None
    outcomes: list[tuple[int, bool, bool]] = field(default_factory=list)  # second, fail, slow

    def advance(self, now: float) -> None:
        if self.state == "open" and now >= self.open_until:
            self.enter("half_open")
        elif (self.state == "half_open" and self.probe_since is not None
              and now - self.probe_since >= self.probe_timeout):
            self.trip(now)

    def enter(self, state: str) -> None:
        self.state = state
        self.generation += 1
        self.probe_since = None
        if state == "closed":
            self.trips = 0
            self.outcomes = []

    def trip(self, now: float) -> None:
        self.open_until = now + min(self.open_seconds * self.backoff**self.trips, self.max_open)
        self.trips += 1
        self.enter("open")

    def recent(self, now: float) -> list[tuple[int, bool, bool]]:
        return [o for o in self.outcomes if o[0] > math.floor(now) - self.window]

    def acquire(self, now: float) -> ModelPermit | None:
        self.advance(now)
        if self.state == "closed":
            return ModelPermit(self.generation, False)
        if self.state == "half_open" and self.probe_since is None:
            self.probe_since = now
            return ModelPermit(self.generation, True)
        return None

    def report(self, permit: ModelPermit, now: float, failed: bool, duration: float) -> None:
        self.advance(now)
        if permit.generation != self.generation:
            return
        slow = duration >= self.slow_seconds
        if permit.probe:
            if failed or slow:
                self.trip(now)
            else:
                self.enter("closed")
            return
        self.outcomes.append((math.floor(now), failed, slow))
        recent = self.recent(now)
        if len(recent) < self.min_calls:
            return
        failures = sum(1 for o in recent if o[1])
        slows = sum(1 for o in recent if o[2])
        total = len(recent)
        if (Fraction(failures, total) >= self.failure_rate
                or Fraction(slows, total) >= self.slow_rate):
            self.trip(now)

    def release(self, permit: ModelPermit) -> None:
        if permit.probe and permit.generation == self.generation:
            self.probe_since = None


RATES = st.sampled_from([Fraction(1, 4), Fraction(1, 2), Fraction(3, 4), Fraction(1)])


class BreakerMachine(RuleBasedStateMachine):
    @initialize(
        window=st.integers(1, 5),
        min_calls=st.integers(1, 6),
        failure_rate=RATES,
        slow_rate=RATES,
        open_seconds=st.sampled_from([0.5, 1.0, 3.0]),
        backoff=st.sampled_from([1.0, 2.0, 3.0]),
        max_factor=st.sampled_from([1, 4, 20]),
        probe_timeout=st.sampled_from([1.0, 5.0]),
    )
    def setup(self, window: int, min_calls: int, failure_rate: Fraction, slow_rate: Fraction,
              open_seconds: float, backoff: float, max_factor: int,
              probe_timeout: float) -> None:
        self.clock = Clock()
        self.breaker = CircuitBreaker(
            "model", clock=self.clock, jitter=0.0, window_seconds=window, min_calls=min_calls,
            failure_rate=float(failure_rate), slow_call_rate=float(slow_rate),
            slow_call_seconds=1.0, open_seconds=open_seconds,
            max_open_seconds=open_seconds * max_factor, backoff=backoff,
            probe_timeout_seconds=probe_timeout,
        )
        self.model = Model(window, min_calls, failure_rate, slow_rate, 1.0, open_seconds,
                           open_seconds * max_factor, backoff, probe_timeout)
        self.permits: list[tuple[Permit, ModelPermit]] = []

    @rule()
    def acquire(self) -> None:
        real = self.breaker.try_acquire()
        expected = self.model.acquire(self.clock.now)
        assert (real is None) == (expected is None)
        if real is not None and expected is not None:
            assert real.probe == expected.probe
            self.permits.append((real, expected))

    @precondition(lambda self: bool(self.permits))
    @rule(
        index=st.integers(0, 100),
        outcome=st.sampled_from(["ok", "slow ok", "fail", "slow fail", "ignore"]),
    )
    def report(self, index: int, outcome: str) -> None:
        real, expected = self.permits.pop(index % len(self.permits))
        duration = 2.0 if outcome.startswith("slow") else 0.1
        if outcome == "ignore":
            real.ignore()
            self.model.release(expected)
        elif outcome.endswith("ok"):
            real.success(duration)
            self.model.report(expected, self.clock.now, False, duration)
        else:
            real.failure(duration)
            self.model.report(expected, self.clock.now, True, duration)

    @rule(seconds=st.sampled_from([0.1, 0.25, 0.5, 1.0, 2.0, 7.5, 40.0]))
    def wait(self, seconds: float) -> None:
        self.clock.now += seconds

    @invariant()
    def agrees(self) -> None:
        now = self.clock.now
        snap = self.breaker.snapshot()
        self.model.advance(now)
        assert str(snap.state) == self.model.state
        if self.model.state == "open":
            assert snap.open_until == self.model.open_until
        if self.model.state == "closed":
            recent = self.model.recent(now)
            assert snap.calls == len(recent)
            assert snap.failures == sum(1 for o in recent if o[1])
            assert snap.slow == sum(1 for o in recent if o[2])


BreakerMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=60,
                                            deadline=None)
TestBreakerModel = BreakerMachine.TestCase
