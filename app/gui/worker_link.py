"""The GUI's sessions in the worker, with the local fallback: what ``main`` wires up.

``WorkerLink`` owns the ``WorkerSupervisor`` and the ``RemoteBackend`` and gives
``AppState`` its ``handle_factory``: a new tab's session is created in the worker; when the
worker cannot be reached (not started in time, restart budget spent, circuit open) the tab
runs in this process instead and says it is not persistent. A program that cannot start
(missing, bad directory) is an error shown in the tab, not a reason to fall back.

It also reopens, at start, the tabs of a GUI that was killed (worker sessions no window is
attached to, grouped by the window and tab they were in), records the layout of every
window with the worker (``layout.set``) so that works, and shows the link's health in each
window (``status_text``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEventLoop, QObject, QTimer, Signal

from app.gui.backend import SessionHandle
from app.gui.remote_backend import RemoteBackend, RemoteError, RemoteSessionHandle
from app.gui.supervisor import WorkerSupervisor
from app.paths import StatePaths
from ipc.messages import MsgType

if TYPE_CHECKING:
    from app.gui.window import MainWindow

log = logging.getLogger("emberterm.gui.link")

NOT_PERSISTENT = ("Not persistent: the session server is unavailable, so this tab runs "
                  "inside this window and ends with it.")


class WorkerLink(QObject):
    """Supervisor + remote backend + fallback, for one GUI process."""

    status_changed = Signal(str)

    def __init__(self, paths: StatePaths, *, supervisor: WorkerSupervisor | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.supervisor = supervisor or WorkerSupervisor(paths, parent=self)
        self.backend = RemoteBackend(self.supervisor, self)
        self.supervisor.state_changed.connect(lambda _s: self.status_changed.emit(
            self.status_text()))
        self._layout: tuple[list[tuple[str, int, int]], list[str]] = ([], [])

    def start(self, wait: float = 3.0, *, started: Any | None = None) -> bool:
        """Connect (starting a worker if need be); wait up to ``wait`` s. True if connected.
        ``started``: a worker process already begun (``WorkerSupervisor.start``)."""
        self.supervisor.start(started)
        if self.supervisor.state not in ("connected", "fallback"):
            loop = QEventLoop()
            self.supervisor.state_changed.connect(
                lambda s: loop.quit() if s in ("connected", "fallback") else None)
            QTimer.singleShot(int(wait * 1000), loop.quit)
            loop.exec()
        return self.supervisor.state == "connected"

    def stop(self) -> None:
        """The GUI is exiting: deliver the closes of tabs closed on purpose, then let go
        (sessions of a GUI that is killed instead keep running for the next start)."""
        self.backend.wait_for_closes()
        self.supervisor.stop()

    # -- making handles --------------------------------------------------------------------
    def make_handle(self, argv: Sequence[str] | None, **kwargs: Any) -> SessionHandle:
        """``AppState``'s handle factory."""
        from app.gui.app_state import local_handle

        if self.supervisor.state == "connected":
            try:
                return self.backend.create(
                    argv, cwd=kwargs.get("cwd"), columns=kwargs.get("columns", 80),
                    rows=kwargs.get("rows", 24), history=kwargs.get("history", 10000),
                    private=bool(kwargs.get("private", False)),
                )
            except RemoteError as exc:
                if not exc.unavailable:
                    raise RuntimeError(exc.user_message) from exc
                log.warning("worker unavailable (%s): this tab runs in-process", exc)
        kwargs.pop("private", None)  # in-process sessions keep nothing anyway
        handle = local_handle(argv, **kwargs)
        # Said once the tab is listening (it connects right after this returns).
        QTimer.singleShot(0, handle, lambda: handle.notice.emit(NOT_PERSISTENT))
        return handle

    # -- restoring and recording the layout --------------------------------------------------
    def orphans(self) -> list[list[dict[str, Any]]]:
        """Live sessions no window shows, as windows of tabs in their recorded order."""
        if self.supervisor.state != "connected":
            return []
        try:
            sessions = self.backend.list_sessions()
        except RemoteError:
            return []
        windows: dict[int, list[dict[str, Any]]] = {}
        for info in sessions:
            if not info.get("attached"):
                windows.setdefault(int(info.get("window", 0)), []).append(info)
        return [sorted(tabs, key=lambda i: (i.get("tab", 0), i.get("created", 0)))
                for _, tabs in sorted(windows.items())]

    def previous_layout(self, *, take: bool = False) -> list[list[dict[str, Any]]]:
        """The tabs that ended with the previous worker (a reboot, a crash), as windows of
        tabs, for reopening with fresh shells; ``take`` clears it in the worker."""
        if self.supervisor.state != "connected":
            return []
        try:
            reply = self.backend.call_and_wait(MsgType.LAYOUT_PREVIOUS, {"take": take}, 2.0)
        except RemoteError:
            return []
        windows: dict[int, list[dict[str, Any]]] = {}
        for info in reply.get("sessions", []):
            windows.setdefault(int(info.get("window", 0)), []).append(info)
        return [sorted(tabs, key=lambda i: i.get("tab", 0)) for _, tabs in sorted(windows.items())]

    def adopt(self, info: dict[str, Any], *, transcript: bool = False) -> RemoteSessionHandle:
        size = (int(info["columns"]), int(info["rows"])) if "columns" in info else None
        return self.backend.adopt(str(info["session"]), info, size, transcript=transcript)

    def record_layout(self, windows: Sequence[MainWindow]) -> None:
        placements = [
            (page.handle.session_id, w, t)
            for w, window in enumerate(windows)
            for t, page in enumerate(window.pages())
            if isinstance(page.handle, RemoteSessionHandle) and not page.handle.ended
        ]
        current = [
            page.handle.session_id
            for window in windows
            if (page := window.current_page()) is not None
            and isinstance(page.handle, RemoteSessionHandle)
        ]
        if (placements, current) != self._layout and self.supervisor.state == "connected":
            self._layout = (placements, current)
            self.backend.set_layout(placements, current)

    # -- health ---------------------------------------------------------------------------
    def status_text(self) -> str:
        state = self.supervisor.state
        return {
            "connected": "● sessions persistent",
            "starting": "○ starting session server…",
            "reconnecting": "◌ reconnecting…",
            "fallback": "✕ not persistent (session server unavailable)",
            "stopped": "",
        }.get(state, state)

    def status_detail(self) -> str:
        client = self.supervisor.client
        if client is None:
            return "No connection to the session server."
        states = client.breakers.states()
        lines = [f"Session server: {self.supervisor.state}"]
        lines += [f"{name} calls: circuit {st}" for name, st in sorted(states.items())]
        if client.last_error is not None:
            lines.append(f"Last error: {client.last_error.user_message()}")
        return "\n".join(lines)
