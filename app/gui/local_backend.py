"""The local backend: a ``terminal.session.Session`` inside the GUI process.

This is what tabs use until the worker exists, and the fallback when it cannot be reached.
The event-loop side is ``app.session_driver.SessionDriver``, the same one the worker runs:
two ``QSocketNotifier``s on the session's PTY (*read* always on, *write* only while input
waits, so a megabyte paste never blocks the loop) and a named single-shot timer
(``frame_tick``) that lets a frame out at once when idle and at most 60 a second under a
flood. This module adds what the GUI needs on top: frames taken and emitted, the
emulator's events (bell, OSC 52) turned into signals, the exit reported, and the questions
the window asks (foreground process, cwd, busy).

What it does not do: no persistence (``persistent`` is False), no parsing of terminal
output (the session does that).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QObject

from app.gui.backend import SessionHandle
from app.session_driver import DEFAULT_MAX_FPS, SessionDriver
from terminal.events import NullListener
from terminal.frames import Line

log = logging.getLogger(__name__)

# How long a closed tab's program gets between SIGHUP and SIGKILL. Shells and most
# programs exit on SIGHUP at once; this bounds the pause of the GUI for one that does not.
CLOSE_GRACE = 0.5

SessionFactory = Callable[..., Any]


def _default_session_factory(argv: Sequence[str] | None, **kwargs: Any) -> Any:
    from terminal.session import Session

    return Session(argv, **kwargs)


class _Events(NullListener):
    """The emulator's events, passed on as the handle's signals."""

    def __init__(self, handle: LocalSessionHandle) -> None:
        self._handle = handle

    def bell(self) -> None:
        self._handle.bell.emit()

    def clipboard_set(self, selection: str, data: bytes) -> None:
        self._handle.clipboard.emit(selection, data.decode("utf-8", "replace"))


class LocalSessionHandle(SessionHandle):
    """One ``Session`` in this process, seen through the ``SessionHandle`` interface.

    Raises the session's own exception (``terminal.pty.SpawnError`` for a missing program
    or a bad ``cwd``) from the constructor, so the caller can show it instead of a screen.
    """

    def __init__(
        self,
        argv: Sequence[str] | None = None,
        *,
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
        columns: int = 80,
        rows: int = 24,
        history: int = 10000,
        session_factory: SessionFactory | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_fps: float = DEFAULT_MAX_FPS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._id = f"local-{uuid.uuid4().hex[:12]}"
        self._closed = False
        self._exited = False
        factory = session_factory or _default_session_factory
        self._session = factory(
            list(argv) if argv else None,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            cols=columns,
            rows=rows,
            history=history,
        )
        emulator = getattr(self._session, "emulator", None)
        if emulator is not None and hasattr(emulator, "listener"):
            emulator.listener = _Events(self)
        self._driver = SessionDriver(self._session, max_fps=max_fps, clock=clock, parent=self)
        self._driver.frame_due.connect(self._send_frame)
        self._driver.exited.connect(self._on_exited)

    # -- SessionHandle ---------------------------------------------------------------
    @property
    def session_id(self) -> str:
        return self._id

    @property
    def persistent(self) -> bool:
        return False

    @property
    def pid(self) -> int | None:
        """The program's process id (for tests and diagnostics)."""
        return getattr(self._session, "pid", None)

    @property
    def driver(self) -> SessionDriver:
        return self._driver

    def write(self, data: bytes) -> None:
        if self._closed or self._exited:
            return
        self._driver.write(data)

    def resize(self, columns: int, rows: int) -> None:
        if self._closed or self._exited:
            return
        self._driver.resize(columns, rows)

    def close(self) -> None:
        """End the program on purpose: SIGHUP, then SIGKILL after ``CLOSE_GRACE``."""
        if self._closed:
            return
        self._closed = True
        self._driver.stop()  # the session says: stop watching fd before terminate
        try:
            self._session.terminate(CLOSE_GRACE)
        except OSError as exc:  # already gone
            log.debug("terminate %s: %s", self._id, exc)
        try:
            self._session.close()
        except OSError as exc:
            log.debug("close %s: %s", self._id, exc)

    def foreground_process(self) -> str:
        return str(self._ask("foreground_process_name") or "")

    def cwd(self) -> str:
        return str(self._ask("cwd") or "")

    def is_busy(self) -> bool:
        return bool(self._ask("is_busy"))

    def fetch_history(self, first: int, count: int) -> list[tuple[int, Line]]:
        emulator = getattr(self._session, "emulator", None)
        fetch = getattr(emulator, "history_lines", None)
        return list(fetch(first, count)) if fetch is not None else []

    def request_full_frame(self) -> None:
        emulator = getattr(self._session, "emulator", None)
        damage_all = getattr(emulator, "damage_all", None)
        if callable(damage_all):
            damage_all(full=True)
        self._driver.schedule_frame()

    # -- the driver's signals ----------------------------------------------------------
    def _send_frame(self) -> None:
        frame = self._session.take_frame()
        if frame is not None:
            self.frame.emit(frame)

    def _on_exited(self, status: object) -> None:
        if self._exited:
            return
        self._exited = True
        log.info("session %s (pid %s) exited with %r", self._id, self.pid, status)
        try:
            self._session.close()  # the PTY's descriptor; the screen stays readable
        except OSError as exc:
            log.debug("close %s: %s", self._id, exc)
        self.exited.emit(status)

    def _ask(self, method: str) -> Any:
        if self._closed or self._exited:
            return None
        fn = getattr(self._session, method, None)
        if fn is None:
            return None
        try:
            return fn()
        except OSError:
            return None
