"""Token buckets: the per-client rate limits on requests and on input bytes.

A bucket holds up to ``burst`` tokens and gains ``rate`` tokens a second, measured with
the injected ``clock``, so tests drive it with a fake clock instead of sleeping. Taking
more than is available takes nothing (the request is refused whole, never half-served).

What it does not do: it does not decide what an over-limit request gets (the server sends
an ``overloaded`` error reply and keeps the connection) and it never sleeps.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["INPUT_BURST", "INPUT_RATE", "TokenBucket"]

# The worker's per-client bucket of session.write bytes (``ServerLimits``' defaults); here
# so that a client paces its input under it without importing the server.
INPUT_RATE = 8 * 1024 * 1024  # bytes a second
INPUT_BURST = 16 * 1024 * 1024


class TokenBucket:
    """``rate`` tokens a second, at most ``burst`` stored; starts full."""

    __slots__ = ("_clock", "_last", "_tokens", "burst", "rate")

    def __init__(
        self, rate: float, burst: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0 or burst <= 0:
            raise ValueError("rate and burst must be positive")
        self.rate = float(rate)
        self.burst = float(burst)
        self._clock = clock
        self._tokens = float(burst)
        self._last = clock()

    def _refill(self) -> None:
        now = self._clock()
        elapsed = now - self._last
        self._last = now
        if elapsed > 0:  # a clock that steps back refills nothing rather than draining
            self._tokens = min(self.burst, self._tokens + elapsed * self.rate)

    @property
    def available(self) -> float:
        self._refill()
        return self._tokens

    def try_take(self, amount: float = 1.0) -> bool:
        """Take ``amount`` tokens if all of them are there; say whether it did."""
        self._refill()
        if amount > self._tokens:
            return False
        self._tokens -= amount
        return True

    def retry_after(self, amount: float = 1.0) -> float:
        """Seconds until ``amount`` tokens will be there (inf if over ``burst``)."""
        if amount > self.burst:
            return float("inf")
        self._refill()
        return max(0.0, (amount - self._tokens) / self.rate)
