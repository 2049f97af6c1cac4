"""The local backend: a ``terminal.session.Session`` inside the GUI process.

This is what tabs use until the worker exists, and the fallback when it cannot be reached.
The session's PTY file descriptor is watched by two ``QSocketNotifier``s: *read* is always
on (the program's output is drained as it arrives), *write* only while the session holds
input the PTY would not take yet (``Session.wants_write``), so a paste of a megabyte never
blocks the event loop.

Frames are paced by one named single-shot timer (``frame_tick``): output that arrives when
no frame went out in the last 1/60 s is sent at once, so typing echoes without delay; under
a flood the session keeps parsing everything and at most one frame per tick is taken, so
intermediate screens are skipped rather than queued.

What it does not do: no persistence (``persistent`` is False, the window says so), no
parsing of terminal output (the session does that).
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QObject, QSocketNotifier, QTimer

from app.gui.backend import SessionHandle
from terminal.frames import Line

log = logging.getLogger(__name__)

# At most this many frames a second under a flood (one per display refresh).
MAX_FRAMES_PER_SECOND = 60

SessionFactory = Callable[..., Any]


def _default_session_factory(argv: Sequence[str] | None, **kwargs: Any) -> Any:
    from terminal.session import Session

    return Session(argv, **kwargs)


class LocalSessionHandle(SessionHandle):
    """One ``Session`` in this process, seen through the ``SessionHandle`` interface.

    Raises the session's own exception (a missing program, a bad ``cwd``) from the
    constructor, so the caller can show it instead of a terminal.
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
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._id = f"local-{uuid.uuid4().hex[:12]}"
        self._clock = clock
        self._interval = 1.0 / MAX_FRAMES_PER_SECOND
        self._last_frame_at = -math.inf
        self._exit_reported = False
        self._closed = False
        factory = session_factory or _default_session_factory
        self._session = factory(
            list(argv) if argv else None,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            cols=columns,
            rows=rows,
            history=history,
            on_exit=self._on_session_exit,
        )
        fd = self._session.fd
        self._read_notifier = QSocketNotifier(fd, QSocketNotifier.Type.Read, self)
        self._read_notifier.activated.connect(self._on_readable)
        self._write_notifier = QSocketNotifier(fd, QSocketNotifier.Type.Write, self)
        self._write_notifier.setEnabled(False)
        self._write_notifier.activated.connect(self._on_writable)
        self._frame_timer = QTimer(self)
        self._frame_timer.setObjectName("frame_tick")
        self._frame_timer.setSingleShot(True)
        self._frame_timer.timeout.connect(self._send_frame)

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
    def session(self) -> Any:
        return self._session

    def write(self, data: bytes) -> None:
        if self._closed or self._exit_reported or not data:
            return
        try:
            self._session.write(data)
        except OSError as exc:
            log.warning("write to %s failed: %s", self._id, exc)
        self._update_write_notifier()

    def resize(self, columns: int, rows: int) -> None:
        if self._closed or self._exit_reported:
            return
        self._session.resize(columns, rows)
        self._schedule_frame()

    def close(self) -> None:
        """End the program: the session sends SIGHUP, then SIGKILL after a grace period."""
        if self._closed:
            return
        self._closed = True
        self._stop_watching()
        try:
            self._session.terminate()
        except OSError as exc:  # already gone
            log.debug("terminate %s: %s", self._id, exc)

    def foreground_process(self) -> str:
        return self._ask("foreground_process_name", "")

    def cwd(self) -> str:
        return self._ask("cwd", "")

    def is_busy(self) -> bool:
        return bool(self._ask("is_busy", False))

    def fetch_history(self, first: int, count: int) -> list[tuple[int, Line]]:
        fetch = getattr(self._session, "fetch_history", None)
        if fetch is None:
            return []
        return list(fetch(first, count))

    def request_full_frame(self) -> None:
        request = getattr(self._session, "request_full_frame", None)
        if request is not None:
            request()
        self._schedule_frame()

    # -- the event loop side ---------------------------------------------------------
    def _on_readable(self) -> None:
        try:
            self._session.on_readable()
        except OSError as exc:
            # EIO: the program and every holder of the PTY's slave side are gone.
            log.debug("read from %s ended: %s", self._id, exc)
            self._stop_watching()
        self._take_events()
        self._schedule_frame()
        self._update_write_notifier()

    def _on_writable(self) -> None:
        try:
            self._session.on_writable()
        except OSError as exc:
            log.debug("write to %s ended: %s", self._id, exc)
        self._update_write_notifier()

    def _update_write_notifier(self) -> None:
        wants = bool(getattr(self._session, "wants_write", False))
        if not self._closed and not self._exit_reported:
            self._write_notifier.setEnabled(wants)

    def _schedule_frame(self) -> None:
        if self._frame_timer.isActive():
            return
        wait = self._last_frame_at + self._interval - self._clock()
        if wait <= 0:
            self._send_frame()
        else:
            self._frame_timer.start(max(1, math.ceil(wait * 1000)))

    def _send_frame(self) -> None:
        frame = self._session.take_frame()
        if frame is None:
            return
        self._last_frame_at = self._clock()
        self.frame.emit(frame)

    def _take_events(self) -> None:
        """Pass on the emulator's bell and clipboard events, when the session has them."""
        take = getattr(self._session, "take_events", None)
        if take is None:
            return
        for event in take():
            kind = event[0] if isinstance(event, tuple) else event
            if kind == "bell":
                self.bell.emit()
            elif kind == "clipboard" and isinstance(event, tuple) and len(event) == 3:
                self.clipboard.emit(str(event[1]), str(event[2]))

    def _on_session_exit(self, status: int | None) -> None:
        if self._exit_reported:
            return
        self._exit_reported = True
        self._stop_watching()
        if not self._closed:
            # The last output before the exit still reaches the screen.
            self._frame_timer.stop()
            self._send_frame()
        self.exited.emit(status)

    def _stop_watching(self) -> None:
        self._read_notifier.setEnabled(False)
        self._write_notifier.setEnabled(False)
        self._frame_timer.stop()

    def _ask(self, method: str, default: Any) -> Any:
        if self._closed:
            return default
        fn = getattr(self._session, method, None)
        if fn is None:
            return default
        try:
            return fn()
        except OSError:
            return default
