"""Give the heap memory a burst freed back to the system (glibc's ``malloc_trim``).

A flood leaves the C heap full of holes: Python frees the strings, lists and frames of
64 KiB reads as it goes, but glibc keeps the pages unless they sit at the top of the heap.
After a ``cat`` of 10 MB a process holds ~11 MB it no longer uses. ``malloc_trim(0)``
hands every free page back (``madvise``), at a cost of a millisecond or two, so the hosts
call ``trim()`` once output has gone quiet after a burst, not on a timer.

Elsewhere than glibc (macOS, Windows, musl without the symbol) ``trim()`` does nothing and
says so by returning False.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable

__all__ = ["AfterBurst", "available", "trim"]


def _load() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL(None).malloc_trim  # the process's own symbols: glibc's
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_size_t]
    fn.restype = ctypes.c_int
    return fn  # type: ignore[no-any-return]


_TRIM = _load()


def available() -> bool:
    return _TRIM is not None


def trim() -> bool:
    """Return free heap pages to the system; True if any were returned."""
    return bool(_TRIM(0)) if _TRIM is not None else False


class AfterBurst:
    """Trim once a burst of activity is followed by a quiet tick.

    The owner calls ``note()`` on activity (output, frames) and ``tick()`` from a timer
    (once a second): the first tick after activity arms it, the next tick without any
    trims. So a steady stream never trims, and a burst trims once, a tick or two after
    it ends."""

    def __init__(self, trim: Callable[[], object] = trim) -> None:
        self._trim = trim
        self._busy = False
        self._armed = False

    def note(self) -> None:
        self._busy = True

    def tick(self) -> bool:
        """Returns True when it trimmed."""
        if self._busy:
            self._busy = False
            self._armed = True
            return False
        if self._armed:
            self._armed = False
            self._trim()
            return True
        return False
