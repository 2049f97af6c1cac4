"""Circuit breakers per channel, and a call timeout that adapts to observed latency.

A ``CircuitBreaker`` watches the outcomes of calls over a time-based sliding window of
one-second buckets (as resilience4j's TIME_BASED window does) and moves through

    closed --(failure rate or slow-call rate >= threshold, at least min_calls)--> open
    open --(open time passed, read from the injected clock; no timers)--> half-open
    half-open --(the one probe succeeds, and is not slow)--> closed
    half-open --(the probe fails, is slow, or never reports)--> open, for longer

The open time starts at ``open_seconds``, is multiplied by ``backoff`` on every trip that
follows without the breaker closing in between, is capped at ``max_open_seconds`` and is
spread by ``jitter`` so that many clients do not probe a restarted worker together. It
goes back to ``open_seconds`` once the breaker closes.

A caller asks ``try_acquire()`` for a ``Permit`` (``None``: the breaker is open, or the
one half-open probe is already out) and reports exactly one outcome on it: ``success``,
``failure`` or ``ignore`` (cancelled, or an error that says nothing about the worker's
health: see ``IpcError.counts_as_failure``). Outcomes of permits issued before a state
change are ignored, so a call that started while closed cannot close a breaker that has
since opened.

Channels: ``control`` (handshake, session lifecycle, list, status), ``input`` (writes and
resizes: short timeouts, tolerant thresholds, so a hiccup does not cut typing off) and
``query`` (history and search: long timeouts). ``Breakers`` holds one breaker and one
``AdaptiveTimeout`` per channel.

What it does not do: no I/O, no timers, no retries; the client decides what to do with a
refused call (its declared fallback).
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from ipc.errors import CircuitOpen, IpcError

__all__ = [
    "CHANNELS",
    "DEFAULT_CONFIGS",
    "AdaptiveTimeout",
    "BreakerConfig",
    "Breakers",
    "CircuitBreaker",
    "Permit",
    "Snapshot",
    "State",
    "Transition",
]

log = logging.getLogger(__name__)
Clock = Callable[[], float]
T = TypeVar("T")


class State(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True, slots=True)
class BreakerConfig:
    """How one channel's breaker judges health, and how long its calls may take."""

    window_seconds: int = 10
    min_calls: int = 5
    failure_rate: float = 0.5
    slow_call_rate: float = 0.5
    slow_call_seconds: float = 1.0
    open_seconds: float = 1.0
    max_open_seconds: float = 30.0
    backoff: float = 2.0
    jitter: float = 0.1
    # A half-open probe that has not reported after this long counts as failed, so a lost
    # permit cannot leave the breaker half-open for ever (resilience4j issue #903).
    probe_timeout_seconds: float = 30.0
    # The call timeout of the channel: AdaptiveTimeout(base, minimum, maximum).
    timeout_seconds: float = 2.0
    min_timeout_seconds: float = 0.5
    max_timeout_seconds: float = 10.0

    def __post_init__(self) -> None:
        problems = [
            name
            for name, ok in (
                ("window_seconds", self.window_seconds >= 1),
                ("min_calls", self.min_calls >= 1),
                ("failure_rate", 0 < self.failure_rate <= 1),
                ("slow_call_rate", 0 < self.slow_call_rate <= 1),
                ("slow_call_seconds", self.slow_call_seconds > 0),
                ("open_seconds", 0 < self.open_seconds <= self.max_open_seconds),
                ("backoff", self.backoff >= 1),
                ("jitter", 0 <= self.jitter < 1),
                ("probe_timeout_seconds", self.probe_timeout_seconds > 0),
                ("timeout_seconds", 0 < self.min_timeout_seconds <= self.timeout_seconds
                 <= self.max_timeout_seconds),
            )
            if not ok
        ]
        if problems:
            raise ValueError(f"invalid breaker config: {', '.join(problems)}")


CHANNELS = ("control", "input", "query")
DEFAULT_CONFIGS: dict[str, BreakerConfig] = {
    "control": BreakerConfig(),
    # Keystrokes: a reply that is slow because another tab floods the worker is not a
    # failure (the input arrived; the worker is busy), so slowness never opens this
    # breaker -- slow_call_seconds lies beyond the longest timeout -- and the timeout is
    # generous. Measured: with 0.5 s here, typing during a `cat` flood opened it and
    # dropped keys (scripts/bench_e2e.py, p99 reply 970 ms).
    "input": BreakerConfig(
        min_calls=10, failure_rate=0.8, slow_call_rate=1.0, slow_call_seconds=60.0,
        open_seconds=0.5, max_open_seconds=5.0, probe_timeout_seconds=15.0,
        timeout_seconds=5.0, min_timeout_seconds=2.0, max_timeout_seconds=15.0,
    ),
    "query": BreakerConfig(
        window_seconds=30, min_calls=3, slow_call_seconds=5.0, open_seconds=2.0,
        max_open_seconds=60.0, probe_timeout_seconds=60.0,
        timeout_seconds=10.0, min_timeout_seconds=2.0, max_timeout_seconds=30.0,
    ),
}


@dataclass(frozen=True, slots=True)
class Transition:
    """A state change, as told to listeners."""

    breaker: str
    old: State
    new: State
    at: float
    reason: str
    open_seconds: float = 0.0  # how long it stays open, when ``new`` is OPEN


@dataclass(frozen=True, slots=True)
class Snapshot:
    state: State
    calls: int
    failures: int
    slow: int
    open_until: float | None

    @property
    def failure_rate(self) -> float:
        return self.failures / self.calls if self.calls else 0.0

    @property
    def slow_call_rate(self) -> float:
        return self.slow / self.calls if self.calls else 0.0


class Permit:
    """Leave to make one call; report its outcome once (later reports are no-ops)."""

    __slots__ = ("_breaker", "_done", "generation", "probe")

    def __init__(self, breaker: CircuitBreaker, generation: int, probe: bool) -> None:
        self._breaker = breaker
        self.generation = generation
        self.probe = probe
        self._done = False

    def success(self, duration: float) -> None:
        self._report(False, duration)

    def failure(self, duration: float, err: BaseException | None = None) -> None:
        """A failed call. An ``IpcError`` that does not count (rejected, not found,
        cancelled...) is treated as ``ignore``."""
        if isinstance(err, IpcError) and not err.counts_as_failure:
            self.ignore()
        else:
            self._report(True, duration)

    def ignore(self) -> None:
        if not self._done:
            self._done = True
            self._breaker._release(self)

    def _report(self, failed: bool, duration: float) -> None:
        if not self._done:
            self._done = True
            self._breaker._record(self, failed, duration)


class CircuitBreaker:
    """One breaker; thread-safe. See the module docstring for the states."""

    def __init__(
        self,
        name: str,
        *,
        clock: Clock = time.monotonic,
        rng: random.Random | type[random.Random] | None = None,
        window_seconds: int = 10,
        min_calls: int = 5,
        failure_rate: float = 0.5,
        slow_call_rate: float = 0.5,
        slow_call_seconds: float = 1.0,
        open_seconds: float = 1.0,
        max_open_seconds: float = 30.0,
        backoff: float = 2.0,
        jitter: float = 0.1,
        probe_timeout_seconds: float = 30.0,
        config: BreakerConfig | None = None,
    ) -> None:
        if config is None:
            config = BreakerConfig(
                window_seconds=window_seconds, min_calls=min_calls,
                failure_rate=failure_rate, slow_call_rate=slow_call_rate,
                slow_call_seconds=slow_call_seconds, open_seconds=open_seconds,
                max_open_seconds=max(max_open_seconds, open_seconds), backoff=backoff,
                jitter=jitter, probe_timeout_seconds=probe_timeout_seconds,
            )
        self.name = name
        self.config = config
        self._clock = clock
        # Accept the class as well as an instance (``rng=random.Random`` reads naturally).
        self._rng = rng() if isinstance(rng, type) else (rng or random.Random())
        self._lock = threading.Lock()
        self._listeners: list[Callable[[Transition], None]] = []
        self._state = State.CLOSED
        self._generation = 0
        self._trips = 0  # trips since the breaker last closed
        self._open_until = 0.0
        self._probe_since: float | None = None  # when the half-open probe went out
        # The sliding window: [second, calls, failures, slow] buckets, oldest first.
        self._buckets: deque[list[int]] = deque()
        self._calls = self._failures = self._slow = 0

    @classmethod
    def from_config(
        cls, name: str, config: BreakerConfig, *, clock: Clock = time.monotonic,
        rng: random.Random | None = None,
    ) -> CircuitBreaker:
        return cls(name, clock=clock, rng=rng, config=config)

    # -- reading -----------------------------------------------------------------------
    @property
    def state(self) -> State:
        with self._lock:
            events = self._advance(self._clock())
        self._notify(events)
        return self._state

    def snapshot(self) -> Snapshot:
        with self._lock:
            now = self._clock()
            events = self._advance(now)
            self._evict(math.floor(now))
            snap = Snapshot(self._state, self._calls, self._failures, self._slow,
                            self._open_until if self._state is State.OPEN else None)
        self._notify(events)
        return snap

    def retry_after(self) -> float:
        """Seconds until an open breaker lets a probe through (0 when not open)."""
        with self._lock:
            events = self._advance(now := self._clock())
            remaining = self._open_until - now if self._state is State.OPEN else 0.0
        self._notify(events)
        return max(0.0, remaining)

    def add_listener(self, listener: Callable[[Transition], None]) -> None:
        """Called after every transition, outside the lock, on the thread that caused it."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[Transition], None]) -> None:
        self._listeners.remove(listener)

    # -- calling -----------------------------------------------------------------------
    def try_acquire(self) -> Permit | None:
        with self._lock:
            now = self._clock()
            events = self._advance(now)
            permit: Permit | None = None
            if self._state is State.CLOSED:
                permit = Permit(self, self._generation, probe=False)
            elif self._state is State.HALF_OPEN and self._probe_since is None:
                self._probe_since = now
                permit = Permit(self, self._generation, probe=True)
        self._notify(events)
        return permit

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` under the breaker (blocking callers such as the CLI).

        Raises ``CircuitOpen`` without calling when refused.
        """
        permit = self.try_acquire()
        if permit is None:
            raise CircuitOpen(f"breaker {self.name} is {self._state}")
        start = self._clock()
        try:
            result = fn()
        except BaseException as exc:
            permit.failure(self._clock() - start, exc)
            raise
        permit.success(self._clock() - start)
        return result

    def reset(self) -> None:
        """Close now and forget the window (e.g. after the supervisor restarted the worker)."""
        with self._lock:
            events = self._transition(State.CLOSED, self._clock(), "reset")
        self._notify(events)

    # -- internals (called with the lock held, except _notify) ------------------------
    def _record(self, permit: Permit, failed: bool, duration: float) -> None:
        with self._lock:
            now = self._clock()
            events = self._advance(now)
            if permit.generation == self._generation:
                slow = duration >= self.config.slow_call_seconds
                if permit.probe:
                    if failed or slow:
                        events += self._trip(now, "probe slow" if not failed else "probe failed")
                    else:
                        events += self._transition(State.CLOSED, now, "probe succeeded")
                elif self._state is State.CLOSED:
                    self._add(now, failed, slow)
                    events += self._judge(now)
        self._notify(events)

    def _release(self, permit: Permit) -> None:
        with self._lock:
            if permit.probe and permit.generation == self._generation:
                self._probe_since = None  # let the next caller probe

    def _add(self, now: float, failed: bool, slow: bool) -> None:
        second = math.floor(now)
        self._evict(second)
        if not self._buckets or self._buckets[-1][0] < second:
            self._buckets.append([second, 0, 0, 0])
        bucket = self._buckets[-1]  # a clock that stepped back lands in the newest bucket
        bucket[1] += 1
        bucket[2] += failed
        bucket[3] += slow
        self._calls += 1
        self._failures += failed
        self._slow += slow

    def _evict(self, second: int) -> None:
        oldest_kept = second - self.config.window_seconds + 1
        while self._buckets and self._buckets[0][0] < oldest_kept:
            _, calls, failures, slow = self._buckets.popleft()
            self._calls -= calls
            self._failures -= failures
            self._slow -= slow

    def _judge(self, now: float) -> list[Transition]:
        config = self.config
        if self._calls < config.min_calls:
            return []
        if self._failures >= config.failure_rate * self._calls:
            return self._trip(now, f"failure rate {self._failures}/{self._calls}")
        if self._slow >= config.slow_call_rate * self._calls:
            return self._trip(now, f"slow-call rate {self._slow}/{self._calls}")
        return []

    def _trip(self, now: float, reason: str) -> list[Transition]:
        config = self.config
        duration = min(config.open_seconds * config.backoff**self._trips,
                       config.max_open_seconds)
        if config.jitter:
            duration *= 1 + self._rng.uniform(-config.jitter, config.jitter)
            duration = min(duration, config.max_open_seconds)
        self._trips += 1
        self._open_until = now + duration
        return self._transition(State.OPEN, now, reason, duration)

    def _advance(self, now: float) -> list[Transition]:
        """The transitions that time alone causes."""
        if self._state is State.OPEN and now >= self._open_until:
            return self._transition(State.HALF_OPEN, now, "open time passed")
        if (
            self._state is State.HALF_OPEN
            and self._probe_since is not None
            and now - self._probe_since >= self.config.probe_timeout_seconds
        ):
            return self._trip(now, "probe never reported")
        return []

    def _transition(
        self, new: State, now: float, reason: str, open_seconds: float = 0.0
    ) -> list[Transition]:
        old = self._state
        self._state = new
        self._generation += 1
        self._probe_since = None
        if new is State.CLOSED:
            self._trips = 0
            self._buckets.clear()
            self._calls = self._failures = self._slow = 0
        if old is new:
            return []
        return [Transition(self.name, old, new, now, reason, open_seconds)]

    def _notify(self, events: list[Transition]) -> None:
        for event in events:
            log.log(
                logging.WARNING if event.new is State.OPEN else logging.INFO,
                "breaker %s: %s -> %s (%s)", event.breaker, event.old, event.new, event.reason,
                extra={"breaker": event.breaker, "state": str(event.new),
                       "open_seconds": round(event.open_seconds, 3)},
            )
            for listener in list(self._listeners):
                try:
                    listener(event)
                except Exception:
                    log.exception("breaker listener failed")


class AdaptiveTimeout:
    """A call timeout that follows observed latency: ``factor`` x the ``quantile`` of the
    last ``samples`` durations, within ``[minimum, maximum]``; ``base`` until
    ``min_samples`` have been seen. A timed-out call is observed as its timeout, so a
    worker that got slower pulls the timeout up step by step (up to ``maximum``)."""

    def __init__(
        self, base: float, minimum: float, maximum: float, *, factor: float = 3.0,
        quantile: float = 0.99, samples: int = 200, min_samples: int = 20,
    ) -> None:
        if not 0 < minimum <= base <= maximum:
            raise ValueError("need 0 < minimum <= base <= maximum")
        self.base, self.minimum, self.maximum = base, minimum, maximum
        self.factor, self.quantile, self.min_samples = factor, quantile, min_samples
        self._durations: deque[float] = deque(maxlen=samples)
        self._lock = threading.Lock()
        self._cached: float | None = None  # current() sorts; calls outnumber observations

    def observe(self, duration: float) -> None:
        with self._lock:
            self._durations.append(max(0.0, duration))
            self._cached = None

    def observe_timeout(self, timeout: float) -> None:
        self.observe(timeout)

    def current(self) -> float:
        """The timeout to give the next call, in seconds."""
        with self._lock:
            if self._cached is None:
                if len(self._durations) < self.min_samples:
                    self._cached = self.base
                else:
                    ordered = sorted(self._durations)
                    index = min(len(ordered) - 1, math.ceil(self.quantile * len(ordered)) - 1)
                    self._cached = min(self.maximum,
                                       max(self.minimum, ordered[index] * self.factor))
            return self._cached


class Breakers:
    """The breaker and adaptive timeout of every channel, sharing one clock."""

    def __init__(
        self, configs: dict[str, BreakerConfig] | None = None, *,
        clock: Clock = time.monotonic, rng: random.Random | None = None,
    ) -> None:
        # One rng for all channels, so a seeded test is reproducible across them.
        rng = rng if rng is not None else random.Random()
        self.configs = {**DEFAULT_CONFIGS, **(configs or {})}
        self._breakers = {
            channel: CircuitBreaker.from_config(channel, config, clock=clock, rng=rng)
            for channel, config in self.configs.items()
        }
        self._timeouts = {
            channel: AdaptiveTimeout(
                c.timeout_seconds, c.min_timeout_seconds, c.max_timeout_seconds
            )
            for channel, c in self.configs.items()
        }

    def __getitem__(self, channel: str) -> CircuitBreaker:
        return self._breakers[channel]

    def __iter__(self) -> Iterator[CircuitBreaker]:
        return iter(self._breakers.values())

    def timeout(self, channel: str) -> AdaptiveTimeout:
        return self._timeouts[channel]

    def add_listener(self, listener: Callable[[Transition], None]) -> None:
        for breaker in self:
            breaker.add_listener(listener)

    def states(self) -> dict[str, State]:
        return {channel: breaker.state for channel, breaker in self._breakers.items()}

    def reset(self) -> None:
        for breaker in self:
            breaker.reset()
