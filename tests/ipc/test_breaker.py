"""The circuit breaker, driven by a fake clock: transitions as a table, then the edges."""

from __future__ import annotations

import random
import threading
from typing import Any

import pytest
from ipc_helpers import FakeClock

from ipc import errors
from ipc.breaker import (
    CHANNELS,
    AdaptiveTimeout,
    BreakerConfig,
    Breakers,
    CircuitBreaker,
    Permit,
    State,
    Transition,
)


def make(clock: FakeClock, **overrides: Any) -> CircuitBreaker:
    settings: dict[str, Any] = {"jitter": 0.0, **overrides}
    return CircuitBreaker("test", clock=clock, **settings)


def run(breaker: CircuitBreaker, clock: FakeClock, script: str) -> list[str]:
    """Run a script of space-separated steps and return the state after each.

    ``S`` fast success, ``F`` fast failure, ``L`` slow (2 s) success, ``R`` a rejected
    (non-counting) error, ``C`` cancelled, ``+n`` advance the clock by n seconds.
    A refused call is recorded as ``-`` in place of the state.
    """
    seen = []
    for step in script.split():
        if step.startswith("+"):
            clock.advance(float(step[1:]))
            seen.append(str(breaker.state))
            continue
        permit = breaker.try_acquire()
        if permit is None:
            seen.append("-")
            continue
        if step == "S":
            permit.success(0.01)
        elif step == "F":
            permit.failure(0.01, errors.Unavailable())
        elif step == "L":
            permit.success(2.0)
        elif step == "R":
            permit.failure(0.01, errors.RejectedError("bad field"))
        elif step == "C":
            permit.ignore()
        else:
            raise AssertionError(step)
        seen.append(str(breaker.state))
    return seen


STATES = {"c": "closed", "o": "open", "h": "half_open", "-": "-"}  # "-": the call was refused

TABLE = [
    # name, breaker settings, script, state after each step (c closed, o open, h half-open)
    ("min calls respected", {}, "F F F F F", "cccco"),
    ("below failure rate stays closed", {}, "S S S F F F", "ccccco"),
    ("failure rate threshold inclusive", {"min_calls": 4}, "S S F F", "ccco"),
    ("slow-call rate opens", {}, "L L S S L", "cccco"),
    ("slow calls and failures counted apart", {}, "S S S L F", "ccccc"),
    # Counted as failures these would open at once; as successes they would dilute the rate.
    ("rejected errors are not counted", {}, "R R R R R R F F F F F", "cccccccccco"),
    ("cancellations are not counted", {}, "C C C C C C F F F F F", "cccccccccco"),
    ("window slides: old failures expire", {}, "F F F F +10 F F F F", "ccccccccc"),
    ("window keeps the last 10 seconds", {}, "F F F F +9.5 F", "ccccco"),
    ("open refuses, then half-opens", {}, "F F F F F S +0.99 S +0.01", "cccco-o-h"),
    ("probe success closes", {}, "F F F F F +1 S S", "ccccohcc"),
    ("probe failure reopens", {}, "F F F F F +1 F S", "ccccoho-"),
    ("slow probe reopens", {}, "F F F F F +1 L", "ccccoho"),
    ("rejected probe frees the slot", {}, "F F F F F +1 R S", "ccccohhc"),
    ("closing forgets the window", {}, "F F F F F +1 S F F F F", "ccccohccccc"),
]


@pytest.mark.parametrize(("name", "settings", "script", "expected"), TABLE,
                         ids=[row[0] for row in TABLE])
def test_transitions(name: str, settings: dict[str, Any], script: str, expected: str) -> None:
    clock = FakeClock()
    assert run(make(clock, **settings), clock, script) == [STATES[e] for e in expected]


def trip(breaker: CircuitBreaker) -> None:
    while (permit := breaker.try_acquire()) is not None:
        permit.failure(0.01)
    assert breaker.state is State.OPEN


def test_open_time_backs_off_caps_and_resets() -> None:
    clock = FakeClock()
    breaker = make(clock, open_seconds=1.0, backoff=2.0, max_open_seconds=5.0)
    trip(breaker)
    opened = []
    for _ in range(5):
        opened.append(breaker.retry_after())
        clock.advance(breaker.retry_after())
        assert breaker.state is State.HALF_OPEN
        permit = breaker.try_acquire()
        assert permit is not None and permit.probe
        permit.failure(0.01)
    assert opened == [1.0, 2.0, 4.0, 5.0, 5.0]
    clock.advance(5.0)
    permit = breaker.try_acquire()
    assert permit is not None
    permit.success(0.01)
    assert breaker.state is State.CLOSED
    trip(breaker)
    assert breaker.retry_after() == 1.0  # back to the first step after closing


def test_jitter_spreads_open_time_within_bounds() -> None:
    clock = FakeClock()
    seen = set()
    for seed in range(20):
        breaker = CircuitBreaker("j", clock=clock, rng=random.Random(seed), jitter=0.1,
                                 open_seconds=10.0, max_open_seconds=60.0)
        trip(breaker)
        seen.add(round(breaker.retry_after(), 6))
    assert all(9.0 <= s <= 11.0 for s in seen)
    assert len(seen) > 10


def test_stale_permit_cannot_close_an_open_breaker() -> None:
    clock = FakeClock()
    breaker = make(clock)
    early = breaker.try_acquire()
    assert early is not None
    trip(breaker)
    clock.advance(1.0)
    assert breaker.state is State.HALF_OPEN
    early.success(0.01)  # issued while closed; says nothing about the half-open worker
    assert breaker.state is State.HALF_OPEN
    assert breaker.try_acquire() is not None  # the probe slot is still free


def test_lost_probe_reopens_after_probe_timeout() -> None:
    clock = FakeClock()
    breaker = make(clock, probe_timeout_seconds=3.0)
    trip(breaker)
    clock.advance(1.0)
    lost = breaker.try_acquire()
    assert lost is not None and lost.probe
    clock.advance(2.9)
    assert breaker.try_acquire() is None
    assert breaker.state is State.HALF_OPEN
    clock.advance(0.1)
    assert breaker.state is State.OPEN
    assert breaker.retry_after() == 2.0  # counted as a failed probe: backed off
    lost.success(0.01)
    assert breaker.state is State.OPEN


def test_reporting_twice_counts_once() -> None:
    clock = FakeClock()
    breaker = make(clock, min_calls=1, failure_rate=1.0)
    permit = breaker.try_acquire()
    assert permit is not None
    permit.success(0.01)
    permit.failure(0.01)
    assert breaker.state is State.CLOSED
    assert breaker.snapshot().calls == 1


def test_non_ipc_exceptions_count() -> None:
    clock = FakeClock()
    breaker = make(clock, min_calls=1)
    permit = breaker.try_acquire()
    assert permit is not None
    permit.failure(0.01, OSError("connection reset"))
    assert breaker.state is State.OPEN


def test_snapshot_counts() -> None:
    clock = FakeClock()
    breaker = make(clock, min_calls=100)
    run(breaker, clock, "S F L R")
    snap = breaker.snapshot()
    assert (snap.state, snap.calls, snap.failures, snap.slow) == (State.CLOSED, 3, 1, 1)
    assert snap.failure_rate == pytest.approx(1 / 3)
    assert snap.open_until is None


def test_listeners_hear_every_transition() -> None:
    clock = FakeClock()
    breaker = make(clock)
    heard: list[Transition] = []
    breaker.add_listener(heard.append)
    breaker.add_listener(lambda t: 1 / 0)  # a broken listener does not break the breaker
    run(breaker, clock, "F F F F F +1 S")
    assert [(t.old, t.new) for t in heard] == [
        (State.CLOSED, State.OPEN), (State.OPEN, State.HALF_OPEN), (State.HALF_OPEN, State.CLOSED),
    ]
    assert heard[0].open_seconds == 1.0
    assert "failure rate 5/5" in heard[0].reason
    assert all(t.breaker == "test" for t in heard)


def test_reset_closes() -> None:
    clock = FakeClock()
    breaker = make(clock)
    trip(breaker)
    breaker.reset()
    assert breaker.state is State.CLOSED
    assert breaker.snapshot().calls == 0


def test_call_helper() -> None:
    clock = FakeClock()
    breaker = make(clock, min_calls=1)
    assert breaker.call(lambda: 42) == 42
    with pytest.raises(errors.NotFound):
        breaker.call(lambda: (_ for _ in ()).throw(errors.NotFound("x")))
    assert breaker.state is State.CLOSED
    with pytest.raises(ConnectionError):
        breaker.call(lambda: (_ for _ in ()).throw(ConnectionError()))
    with pytest.raises(errors.CircuitOpen):
        breaker.call(lambda: 42)


@pytest.mark.parametrize("_round", range(3))
def test_fifty_threads_in_half_open_get_one_probe(_round: int) -> None:
    clock = FakeClock()
    breaker = make(clock)
    trip(breaker)
    clock.advance(1.0)
    barrier = threading.Barrier(50)
    permits: list[Permit | None] = []
    lock = threading.Lock()

    def caller() -> None:
        barrier.wait()
        got = breaker.try_acquire()
        with lock:
            permits.append(got)

    threads = [threading.Thread(target=caller) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    granted = [p for p in permits if p is not None]
    assert len(permits) == 50
    assert len(granted) == 1 and granted[0].probe


def test_interleaved_callers_in_half_open_get_one_probe() -> None:
    clock = FakeClock()
    breaker = make(clock)
    trip(breaker)
    clock.advance(1.0)
    granted = [p for p in (breaker.try_acquire() for _ in range(50)) if p is not None]
    assert len(granted) == 1


def test_config_is_checked() -> None:
    with pytest.raises(ValueError, match="failure_rate"):
        BreakerConfig(failure_rate=0)
    with pytest.raises(ValueError, match="open_seconds"):
        BreakerConfig(open_seconds=10, max_open_seconds=5)


# -- the registry and adaptive timeouts ---------------------------------------------------------


def test_registry_has_a_breaker_per_channel() -> None:
    clock = FakeClock()
    breakers = Breakers(clock=clock)
    assert set(breakers.states()) == set(CHANNELS)
    assert [b.name for b in breakers] == list(CHANNELS)
    inp, query = breakers.configs["input"], breakers.configs["query"]
    control = breakers.configs["control"]
    assert control.timeout_seconds < query.timeout_seconds
    # Typing tolerates hiccups, and slowness (another tab flooding the worker) never
    # opens the input breaker: a slow call would time out before it counted as slow.
    assert inp.min_calls > control.min_calls
    assert inp.slow_call_seconds > inp.max_timeout_seconds
    assert inp.failure_rate > control.failure_rate
    heard: list[Transition] = []
    breakers.add_listener(heard.append)
    trip(breakers["query"])
    assert breakers.states() == {"control": State.CLOSED, "input": State.CLOSED,
                                 "query": State.OPEN}
    assert heard[0].breaker == "query"
    breakers.reset()
    assert set(breakers.states().values()) == {State.CLOSED}
    assert breakers.timeout("input").current() == inp.timeout_seconds


def test_registry_takes_overrides() -> None:
    breakers = Breakers({"query": BreakerConfig(min_calls=1)}, clock=FakeClock())
    assert breakers["query"].config.min_calls == 1
    assert breakers["control"].config == BreakerConfig()


def test_adaptive_timeout() -> None:
    timeout = AdaptiveTimeout(2.0, 0.5, 10.0, min_samples=5, samples=100)
    assert timeout.current() == 2.0
    for _ in range(100):
        timeout.observe(0.01)
    assert timeout.current() == 0.5  # 3 x 10 ms, raised to the floor
    for _ in range(5):
        timeout.observe(1.0)  # 5% slow: p99 is slow
    assert timeout.current() == pytest.approx(3.0)
    for _ in range(100):
        timeout.observe_timeout(10.0)
    assert timeout.current() == 10.0  # capped
    with pytest.raises(ValueError):
        AdaptiveTimeout(1.0, 2.0, 3.0)
