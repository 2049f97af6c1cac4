"""Keep a worker running and connected: start it, reconnect, restart, give up to fallback.

``WorkerSupervisor`` owns the GUI's ``ipc.client.Client``. On ``start()`` it connects; when
no worker answers it starts one (``python -m app.worker`` in a new session, detached, so it
outlives the GUI) and connects as soon as the socket appears; ``start(started=...)`` waits
for a worker the GUI began before loading Qt instead. When the connection drops
it reconnects with backoff (100 ms doubling to 5 s), restarting the worker when nothing
listens. After ``max_restarts`` restarts within ``restart_window`` seconds it stops trying
and enters ``fallback``: new tabs then run in this process (not persistent) and the window
says so.

States (``state_changed``): ``starting``, ``connected``, ``reconnecting``, ``fallback``,
``stopped``.

What it does not do: it knows nothing of tabs or sessions; ``app.gui.remote_backend``
reattaches them when ``connected`` is emitted again.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from app.gui.spawn import spawn_worker
from app.paths import StatePaths
from ipc.client import Client
from ipc.security import read_token

__all__ = ["WorkerSupervisor", "spawn_worker"]

log = logging.getLogger("emberterm.gui.supervisor")

# How often a worker that is starting is checked for its socket. Short, because at a
# first start the first prompt waits on it (the check is a stat and a small read).
START_POLL_MS = 10


class WorkerSupervisor(QObject):
    """See the module docstring."""

    state_changed = Signal(str)
    connected = Signal()  # (re)connected: handles should reattach

    def __init__(
        self,
        paths: StatePaths,
        *,
        spawn: Callable[[StatePaths], Any] = spawn_worker,
        clock: Callable[[], float] = time.monotonic,
        max_restarts: int = 3,
        restart_window: float = 60.0,
        start_timeout: float = 5.0,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.paths = paths
        self._spawn = spawn
        self._clock = clock
        self.max_restarts = max_restarts
        self.restart_window = restart_window
        self.start_timeout = start_timeout
        self.state = "idle"
        self.client: Client | None = None
        self.restarts: list[float] = []
        self._children: list[Any] = []
        self._backoff = 0.1
        self._waiting_since: float | None = None
        self._connecting = False  # an attempt is under way that never reached "connected"
        self._retry = QTimer(self)
        self._retry.setObjectName("worker_reconnect")
        self._retry.setSingleShot(True)
        self._retry.timeout.connect(self._attempt)
        self._reap = QTimer(self)
        self._reap.setObjectName("worker_reap")
        self._reap.setInterval(1000)
        self._reap.timeout.connect(self._reap_children)

    # -- public ----------------------------------------------------------------------------
    def start(self, started: Any | None = None) -> None:
        """Connect, starting a worker when none answers. ``started``: a worker process this
        GUI already began (``app.gui.spawn.start_early``), waited for like one started
        here (and counted in the restart budget) instead of starting a second."""
        self._set_state("starting")
        if started is not None:
            now = self._clock()
            self.restarts.append(now)
            self._children.append(started)
            self._reap.start()
            self._waiting_since = now
        self._attempt()

    @property
    def fallback(self) -> bool:
        return self.state == "fallback"

    def stop(self) -> None:
        """Stop supervising (the GUI is quitting): no more reconnects or restarts."""
        self._set_state("stopped")
        self._retry.stop()
        if self.client is not None:
            self.client.close()

    # -- connecting ------------------------------------------------------------------------
    def _set_state(self, state: str) -> None:
        if state != self.state:
            log.info("worker link: %s -> %s", self.state, state)
            self.state = state
            self.state_changed.emit(state)

    def _make_client(self, token: str) -> Client:
        client = Client(self.paths.socket_name, token=token, parent=self)
        client.connected.connect(self._on_connected)
        client.disconnected.connect(self._on_disconnected)
        return client

    def _attempt(self) -> None:
        if self.fallback or self.state == "stopped":
            return
        try:
            token = read_token(self.paths.token_file)
        except (FileNotFoundError, PermissionError, ValueError):
            token = ""
        if token and self._socket_exists():
            if self.client is None or self.client.token != token:  # a new worker's token
                if self.client is not None:
                    self.client.close()
                    self.client.deleteLater()
                self.client = self._make_client(token)
            self._connecting = True
            self.client.open()
            return
        self._start_or_wait()

    def _socket_exists(self) -> bool:
        return sys.platform == "win32" or os.path.exists(self.paths.socket_name)

    def _start_or_wait(self) -> None:
        """No worker to talk to: start one (within the budget), then poll for its socket."""
        now = self._clock()
        if self._waiting_since is None:
            self.restarts = [t for t in self.restarts if now - t < self.restart_window]
            if len(self.restarts) >= self.max_restarts:
                log.error("worker restarted %d times in %.0f s: giving up, running tabs "
                          "in this process", len(self.restarts), self.restart_window)
                self._set_state("fallback")
                return
            self.restarts.append(now)
            try:
                self._children.append(self._spawn(self.paths))
            except OSError:
                log.exception("cannot start the worker")
                self._set_state("fallback")
                return
            self._reap.start()
            self._waiting_since = now
        elif now - self._waiting_since > self.start_timeout:
            log.error("the worker did not come up in %.1f s", self.start_timeout)
            self._waiting_since = None
        self._retry.start(START_POLL_MS)

    def _on_connected(self) -> None:
        self._connecting = False
        self._waiting_since = None
        self._backoff = 0.1
        self._set_state("connected")
        self.connected.emit()

    def _on_disconnected(self) -> None:
        if self.fallback or self.state == "stopped":
            return
        if self._connecting:
            # Nothing answered (no socket, a stale one, refused): start a worker, or keep
            # waiting for the one just started.
            self._connecting = False
            self._start_or_wait()
            return
        # An established connection was lost: the worker died or dropped us.
        if self.state == "connected":
            self._set_state("reconnecting")
        delay = self._backoff
        self._backoff = min(5.0, self._backoff * 2)
        self._retry.start(int(delay * 1000))

    def _reap_children(self) -> None:
        self._children = [c for c in self._children if c.poll() is None]
        if not self._children:
            self._reap.stop()
