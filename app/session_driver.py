"""Drive a ``terminal.session.Session`` from a Qt event loop (QtCore only).

Both hosts of sessions use this: the worker (``app.worker.host``) and the GUI's local
fallback (``app.gui.local_backend``). The session's PTY file descriptor is watched by two
``QSocketNotifier``s: *read* is always on (output is drained as it arrives), *write* only
while the session holds input the PTY would not take yet, so a large paste never blocks
the loop.

Frames are paced by one named single-shot timer (``frame_tick``): output that arrives when
no frame went out in the last interval (1/60 s by default) is announced at once, so typing
echoes without delay; under a flood the session keeps parsing everything and at most one
``frame_due`` per interval is emitted, so intermediate screens are skipped, not queued.
The owner answers ``frame_due`` by calling ``session.take_frame()`` itself (the worker
absorbs it into per-client state; the local backend hands it to its view).

What it does not do: no sockets, no widgets; QtCore only, so the worker may use it.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QSocketNotifier, QTimer, Signal

log = logging.getLogger(__name__)

DEFAULT_MAX_FPS = 60


class SessionDriver(QObject):
    """Notifiers and frame pacing for one session. Emits; never takes frames itself."""

    frame_due = Signal()  # time to take a frame (output arrived, pacing allows)
    exited = Signal(object)  # exit status (int) or None; emitted once
    output = Signal()  # output arrived (for activity marks, idle timers)

    def __init__(
        self,
        session: Any,
        *,
        max_fps: float = DEFAULT_MAX_FPS,
        clock: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self._clock = clock
        self._interval = 1.0 / max_fps
        self._last_frame_at = -math.inf
        self._stopped = False
        self._exit_reported = False
        fd = session.fd
        self._read = QSocketNotifier(fd, QSocketNotifier.Type.Read, self)
        self._read.activated.connect(self._on_readable)
        # A relayed terminal (the worker's) takes input on another descriptor.
        write_fd = getattr(session, "write_fd", fd)
        self._write = QSocketNotifier(write_fd, QSocketNotifier.Type.Write, self)
        self._write.setEnabled(False)
        self._write.activated.connect(self._on_writable)
        self._tick = QTimer(self)
        self._tick.setObjectName("frame_tick")
        self._tick.setSingleShot(True)
        self._tick.timeout.connect(self._due)
        # After end of output the program may take a moment to exit (or keep running
        # with its terminal closed): look for its exit now and then until it is reaped.
        self._reap = QTimer(self)
        self._reap.setObjectName("reap_poll")
        self._reap.setInterval(100)
        self._reap.timeout.connect(self.check_exit)

    @property
    def running(self) -> bool:
        return not self._stopped

    def write(self, data: bytes) -> None:
        if self._stopped or not data:
            return
        try:
            self.session.write(data)
        except OSError as exc:
            log.warning("write to session failed: %s", exc)
        self._update_write_notifier()

    def resize(self, columns: int, rows: int) -> None:
        if self._stopped:
            return
        self.session.resize(columns, rows)
        self.schedule_frame()

    def schedule_frame(self) -> None:
        """A frame is wanted: now if the last one is old enough, else at the next tick."""
        if self._tick.isActive():
            return
        wait = self._last_frame_at + self._interval - self._clock()
        if wait <= 0:
            self._due()
        else:
            self._tick.start(max(1, math.ceil(wait * 1000)))

    def check_exit(self) -> None:
        """Report the exit if the program has ended (e.g. after a terminate)."""
        self.session.check_exit()
        if self.session.exited:
            self._report_exit(self.session.exit_status)

    def stop(self) -> None:
        """Stop watching the fd (the session is closed or gone)."""
        self._stopped = True
        self._read.setEnabled(False)
        self._write.setEnabled(False)
        self._tick.stop()
        self._reap.stop()

    # -- event loop side ---------------------------------------------------------------
    def _on_readable(self) -> None:
        try:
            self.session.on_readable()
        except OSError as exc:
            log.debug("read ended: %s", exc)
        self.output.emit()
        self.schedule_frame()
        self._update_write_notifier()
        if self.session.eof:
            # The descriptor stays readable for ever once output ended.
            self._read.setEnabled(False)
            self.check_exit()
            if not self._exit_reported:
                self._reap.start()

    def _on_writable(self) -> None:
        try:
            self.session.on_writable()
        except OSError as exc:
            log.debug("write ended: %s", exc)
        self._update_write_notifier()

    def _update_write_notifier(self) -> None:
        if not self._stopped:
            self._write.setEnabled(bool(getattr(self.session, "wants_write", False)))

    def _due(self) -> None:
        self._last_frame_at = self._clock()
        self.frame_due.emit()

    def _report_exit(self, status: int | None) -> None:
        if self._exit_reported:
            return
        self._exit_reported = True
        self._tick.stop()
        self._due()  # the last output before the exit still reaches the screen
        self.stop()
        self.exited.emit(status)
