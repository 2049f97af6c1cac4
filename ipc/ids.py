"""Identifiers that tie a request to its reply and to its log lines.

* A **correlation id** is short random hex (12 characters, 48 bits): unique enough to find
  one request in a day of logs, short enough for a person to read out as ``(ref ...)``.
  It is created where a user action starts and travels with every request it causes.
* A **request id** is a u32 that matches a reply to its request on one connection. The
  counter is process-wide, skips 0 (which marks a notification) and wraps.

What it does not do: it does not keep ids unique across processes; correlation ids are
random, request ids only matter per connection.
"""

from __future__ import annotations

import itertools
import os
import threading

__all__ = ["CORRELATION_ID_LENGTH", "RequestIds", "new_correlation_id", "next_request_id"]

CORRELATION_ID_LENGTH = 12
_MAX_REQUEST_ID = 0xFFFF_FFFF


def new_correlation_id() -> str:
    """A fresh correlation id: 12 lowercase hex characters."""
    # os.urandom, as ``secrets`` does; importing ``secrets`` loads OpenSSL (~3 MB).
    return os.urandom(CORRELATION_ID_LENGTH // 2).hex()


class RequestIds:
    """A thread-safe counter of request ids: 1, 2, ... 2**32 - 1, then 1 again."""

    __slots__ = ("_counter", "_lock")

    def __init__(self, start: int = 1) -> None:
        if not 1 <= start <= _MAX_REQUEST_ID:
            raise ValueError(f"start {start} is not a valid request id")
        self._counter = itertools.count(start - 1)
        self._lock = threading.Lock()

    def next(self) -> int:
        with self._lock:
            return next(self._counter) % _MAX_REQUEST_ID + 1


_default = RequestIds()


def next_request_id() -> int:
    """The next id from the process-wide counter."""
    return _default.next()
