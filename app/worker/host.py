"""The worker's sessions: create, attach, write, resize, close; frames to every client.

``SessionHost`` owns the running sessions (each a ``terminal.session.Session`` under a
``SessionDriver``), keeps one ``ScreenState`` per session and one ``ClientCursor`` per
attached client, and records what leaves the screen in the store. It knows clients only
as opaque keys with a ``send_frame`` callable, so the request plumbing (``app.worker.service``)
and the tests can drive it directly.

Size policy (tmux's ``latest``): several windows may show one session; its size follows the
client that typed into it or resized it most recently.

What it does not do: no sockets, no request parsing, no widgets.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from PySide6.QtCore import QObject, QTimer, Signal

from app import memtrim
from app.session_driver import SessionDriver
from app.worker.store import JoinedEntries, SessionRecord, Store
from app.worker.sync import ClientCursor, ScreenState
from terminal.events import NullListener
from terminal.frames import Frame, Line
from terminal.pty import spawn
from terminal.session import Session

log = logging.getLogger("emberterm.worker.host")

SCREEN_SAVE_INTERVAL_MS = 1000
# Output taken per read before the worker returns to its event loop (input from windows,
# frames out) and hands history to the store: a small batch lets a keystroke in another
# tab through sooner during a flood, a large one costs less per byte. With the relay
# (bench_e2e --quick, 30 MB cat; echo p99 while another tab floods): 64 KiB 43.9 MB/s,
# 10-11 ms; 128 KiB 48.0 MB/s, 14.9 ms; 256 KiB 49.1 MB/s, 21.9 ms.
READ_BUDGET = 128 * 1024
ENDED_KEPT = 32



def relayed_session(*args: Any, **kwargs: Any) -> Session:
    """A ``Session`` whose terminal is read through a relay (``spawn(relay=True)``): under
    a flood the relay drains the terminal while this process parses (Linux)."""
    return Session(*args, pty_factory=partial(spawn, relay=True), **kwargs)

class FrameSink(Protocol):
    """Where a client's frames go. Returns False when the frame was not queued (dropped)."""

    def __call__(self, session_id: str, frame: Frame) -> bool: ...


@dataclass
class Client:
    key: object
    send_frame: FrameSink
    # May the client take a frame now? (False while its output buffer is over budget.)
    can_send: Callable[[], bool] = lambda: True


@dataclass
class Hosted:
    id: str
    session: Session
    driver: SessionDriver
    state: ScreenState
    argv: list[str]
    cwd: str
    created: float
    private: bool = False
    title: str = ""
    window: int = 0
    tab: int = 0
    current: bool = False  # its window's current tab (a restarted GUI selects it)
    cursors: dict[object, ClientCursor] = field(default_factory=dict)
    # Lines that entered the emulator's history since they were last handed to the
    # store: (number of the first, compact entries), from the emulator's history sink.
    pending: list[tuple[int, JoinedEntries]] = field(default_factory=list)
    styles_stored: int = 0
    screen_dirty: bool = True
    exit_status: int | None = None
    ended: bool = False

    def info(self) -> dict[str, Any]:
        emulator: Any = self.session.emulator
        return {
            "session": self.id,
            "title": self.state.title or self.title,
            "pid": self.session.pid,
            "argv": self.argv,
            "cwd": self.cwd,
            "columns": self.state.columns,
            "rows": self.state.rows,
            "created": self.created,
            "window": self.window,
            "tab": self.tab,
            "current": self.current,
            "attached": len(self.cursors),
            "private": self.private,
            "history": int(emulator.history_total),
            "foreground": self.session.foreground_process_name() or "",
            "foreground_cwd": self.session.cwd() or "",
        }


class _Events(NullListener):
    """A session's emulator events, passed on as ``SessionHost.session_event``."""

    def __init__(self, host: SessionHost, sid: str) -> None:
        self._host, self._sid = host, sid

    def bell(self) -> None:
        self._host.session_event.emit(self._sid, "bell", {})

    def clipboard_set(self, selection: str, data: bytes) -> None:
        self._host.session_event.emit(
            self._sid, "clipboard",
            {"selection": selection, "text": data.decode("utf-8", "replace")})


class SessionHost(QObject):
    """Every running session of the worker."""

    session_exited = Signal(str, object)  # session id, exit status
    # The program rang the bell or asked to set the clipboard (OSC 52): session id, kind
    # ("bell" or "clipboard") and its details; windows attached to the session decide.
    session_event = Signal(str, str, object)
    sessions_changed = Signal()

    def __init__(
        self,
        store: Store | None = None,
        *,
        history: int = 10000,
        max_fps: float = 60,
        session_factory: Callable[..., Session] | None = None,
        clock: Callable[[], float] = time.time,
        trim: Callable[[], object] = memtrim.trim,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self._trimmer = memtrim.AfterBurst(trim)
        self.history = history
        self.max_fps = max_fps
        self._session_factory = session_factory or Session
        self._clock = clock
        self.sessions: dict[str, Hosted] = {}
        # Sessions that ended lately, kept so a window that attaches after the program
        # already exited (a quick `-e` command) still gets its last screen and exit status.
        self.ended: dict[str, Hosted] = {}
        self.clients: dict[object, Client] = {}
        self._saver = QTimer(self)
        self._saver.setObjectName("screen_save")
        self._saver.setInterval(SCREEN_SAVE_INTERVAL_MS)
        self._saver.timeout.connect(self.save_screens)
        self._saver.start()

    # -- clients -------------------------------------------------------------------------
    def add_client(self, client: Client) -> None:
        self.clients[client.key] = client

    def remove_client(self, key: object) -> None:
        self.clients.pop(key, None)
        for hosted in self.sessions.values():
            hosted.cursors.pop(key, None)

    def attached_sessions(self, key: object) -> list[str]:
        return [h.id for h in self.sessions.values() if key in h.cursors]

    # -- lifecycle -------------------------------------------------------------------------
    def create(
        self,
        argv: Sequence[str] | None = None,
        *,
        cwd: str | None = None,
        env: dict[str, str] | None = None,
        columns: int = 80,
        rows: int = 24,
        title: str = "",
        private: bool = False,
        window: int = 0,
        tab: int = 0,
    ) -> Hosted:
        """Start a program; raises ``terminal.pty.PtyError`` (clear message) if it cannot.

        ``env`` adds to the worker's environment; ``EMBERTERM_SESSION`` tells programs in
        the session (``emberterm cli``) which session they run in.
        """
        sid = uuid.uuid4().hex[:16]
        child_env = {**os.environ, **(env or {}), "EMBERTERM_SESSION": sid}
        session = self._session_factory(
            list(argv) if argv else None, cwd=cwd, env=child_env, cols=columns, rows=rows,
            history=self.history, read_budget=READ_BUDGET,
        )
        driver = SessionDriver(session, max_fps=self.max_fps, parent=self)
        hosted = Hosted(
            id=sid, session=session, driver=driver, state=ScreenState(columns, rows),
            argv=list(session.argv), cwd=cwd or os.getcwd(), created=self._clock(),
            private=private, title=title, window=window, tab=tab,
        )
        self.sessions[sid] = hosted
        driver.frame_due.connect(lambda: self._on_frame_due(hosted))
        # Every line that enters history is told to the host as it enters (the emulator's
        # history sink), so none is lost to the bounded history however fast the flood.
        emulator: Any = session.emulator
        emulator.listener = _Events(self, sid)
        # Joined as they come (one C join per feed), so a flood's lines that leave the
        # bounded history at once are freed now rather than held until the next frame.
        emulator.set_history_sink(
            lambda first, entries: hosted.pending.append((first, JoinedEntries.of(entries)))
        )
        # They go to the store with each frame (_on_frame_due): at once when output is
        # idle, at most max_fps times a second under a flood -- one store operation per
        # frame rather than per read cost a 30 MB cat ~900 queue round trips.
        driver.exited.connect(lambda status: self._on_exit(hosted, status))
        if self.store is not None:
            self.store.create_session(SessionRecord(
                id=sid, command=hosted.argv, cwd=hosted.cwd, title=title,
                created=hosted.created, window=window, tab=tab, private=private,
            ))
        self._on_frame_due(hosted)
        self.sessions_changed.emit()
        log.info("session %s started: pid %s, %s", sid, session.pid, hosted.argv)
        return hosted

    def get(self, sid: str) -> Hosted:
        hosted = self.sessions.get(sid)
        if hosted is None:
            raise KeyError(sid)
        return hosted

    def get_any(self, sid: str) -> Hosted:
        """A live or a lately ended session."""
        hosted = self.sessions.get(sid) or self.ended.get(sid)
        if hosted is None:
            raise KeyError(sid)
        return hosted

    def close(self, sid: str, *, force: bool = False) -> None:
        hosted = self.get(sid)
        hosted.session.terminate(grace=0.0 if force else 1.0)
        hosted.driver.check_exit()

    def shutdown(self) -> None:
        """Hang up every session (worker exit on purpose) and save what is on screen."""
        self._saver.stop()
        for hosted in list(self.sessions.values()):
            try:
                hosted.session.terminate(grace=0.5)
            except OSError:
                pass
            hosted.driver.check_exit()

    # -- attach, input, size ---------------------------------------------------------------
    def attach(self, key: object, sid: str, columns: int | None, rows: int | None) -> Hosted:
        hosted = self.get_any(sid)
        cursor = hosted.cursors.setdefault(key, ClientCursor())
        cursor.force_full()
        if columns and rows:
            cursor.size = (columns, rows)
            if not hosted.cursors or len(hosted.cursors) == 1:
                self._resize(hosted, columns, rows)
        self._send_to(hosted, key)
        return hosted

    def detach(self, key: object, sid: str) -> None:
        self.get(sid).cursors.pop(key, None)

    def write(self, key: object, sid: str, data: bytes) -> int:
        hosted = self.get(sid)
        cursor = hosted.cursors.get(key)
        if cursor is not None and cursor.size is not None:
            self._resize(hosted, *cursor.size)  # the window used last decides the size
        hosted.driver.write(data)
        return len(data)

    def resize(self, key: object, sid: str, columns: int, rows: int) -> None:
        hosted = self.get(sid)
        cursor = hosted.cursors.get(key)
        if cursor is not None:
            cursor.size = (columns, rows)
        self._resize(hosted, columns, rows)

    def _resize(self, hosted: Hosted, columns: int, rows: int) -> None:
        if (hosted.state.columns, hosted.state.rows) != (columns, rows) and not hosted.ended:
            hosted.driver.resize(columns, rows)

    def set_layout(
        self, placements: dict[str, tuple[int, int]], current: Sequence[str] = ()
    ) -> None:
        """Where a GUI shows each session (window, tab) and which tabs are its windows'
        current ones (kept while the worker runs, for a GUI that restarts after a crash)."""
        chosen = set(current)
        for sid, (window, tab) in placements.items():
            hosted = self.sessions.get(sid)
            if hosted is not None:
                hosted.window, hosted.tab = window, tab
                hosted.current = sid in chosen
            if self.store is not None:
                self.store.update_session(sid, window=window, tab=tab)

    # -- reading -------------------------------------------------------------------------
    def history_lines(self, sid: str, first: int, count: int) -> list[tuple[int, Line]]:
        """Lines by absolute number: the emulator's history, then the store's older lines."""
        hosted = self.sessions.get(sid)
        got: list[tuple[int, Line]] = []
        if hosted is not None:
            emulator: Any = hosted.session.emulator
            got = list(emulator.history_lines(first, count))
        have = {n for n, _ in got}
        if self.store is not None and len(have) < count:
            older = [(n, ln) for n, ln in self.store.fetch_lines(sid, first, count)
                     if n not in have]
            got = sorted(older + got, key=lambda item: item[0])
        return got

    def styles_of(self, sid: str) -> Any:
        emulator: Any = self.get(sid).session.emulator
        return emulator.styles

    # -- frames --------------------------------------------------------------------------
    def _on_frame_due(self, hosted: Hosted) -> None:
        if hosted.ended:
            return
        # No history tail: the state keeps none, and each client's frame reads its own.
        hosted.state.absorb(hosted.session.take_frame(tail_limit=0))
        hosted.screen_dirty = True
        self._record_history(hosted)
        for key in list(hosted.cursors):
            self._send_to(hosted, key)

    def _send_to(self, hosted: Hosted, key: object) -> None:
        client = self.clients.get(key)
        cursor = hosted.cursors.get(key)
        if client is None or cursor is None or not client.can_send():
            return  # a client over its output budget is brought up to date later
        emulator: Any = hosted.session.emulator

        def read(first: int, count: int) -> list[Line]:
            return [ln for _, ln in emulator.history_lines(first, count)]

        frame = hosted.state.frame_for(cursor, emulator.styles, read)
        if hosted.ended:
            hosted.cursors.pop(key, None)  # one last full frame; nothing follows
        if frame is not None and not client.send_frame(hosted.id, frame):
            cursor.force_full()  # dropped on the way out: the next one replaces all

    def resend(self, key: object) -> None:
        """The client can take frames again: bring every session it watches up to date."""
        for hosted in self.sessions.values():
            if key in hosted.cursors:
                self._send_to(hosted, key)

    def _record_history(self, hosted: Hosted) -> None:
        """Hand the lines that entered history since the last call to the store."""
        pending, hosted.pending = hosted.pending, []
        if self.store is None or hosted.private or not pending:
            return
        # Consecutive pieces (one per scroll or flood block) become one append.
        merged: list[tuple[int, JoinedEntries]] = []
        for first, entries in pending:
            if merged and merged[-1][0] + len(merged[-1][1]) == first:
                merged[-1][1].extend(entries)
            else:
                merged.append((first, entries))
        styles = hosted.session.emulator.styles  # type: ignore[attr-defined]
        for first, entries in merged:
            self.store.append_lines(hosted.id, first, entries, styles.since(hosted.styles_stored))
            hosted.styles_stored = len(styles)

    def save_screens(self) -> None:
        """Save each changed screen, so text that never scrolled off survives a crash.
        Runs every second; after a second with no output following some, it also gives
        the heap the burst freed back to the system (``app.memtrim``)."""
        if any(h.screen_dirty for h in self.sessions.values()):
            self._trimmer.note()
        self._trimmer.tick()
        for hosted in self.sessions.values():
            if not hosted.screen_dirty:
                continue
            if self.store is not None and not hosted.private:
                self._save_screen(hosted)
            else:
                hosted.screen_dirty = False

    def _save_screen(self, hosted: Hosted) -> None:
        assert self.store is not None
        emulator: Any = hosted.session.emulator
        styles = emulator.styles
        if hosted.state.title and hosted.state.title != hosted.title:
            hosted.title = hosted.state.title
            self.store.update_session(hosted.id, title=hosted.title)
        self.store.save_screen(
            hosted.id, hosted.state.history_total, hosted.state.lines,
            styles.since(hosted.styles_stored),
        )
        hosted.styles_stored = len(styles)
        hosted.screen_dirty = False

    def _on_exit(self, hosted: Hosted, status: int | None) -> None:
        if hosted.ended:
            return
        self._on_frame_due(hosted)
        hosted.ended = True
        hosted.exit_status = status
        if self.store is not None:
            if not hosted.private:
                self._save_screen(hosted)
            self.store.end_session(hosted.id, status)
        self.sessions.pop(hosted.id, None)
        self.ended[hosted.id] = hosted
        while len(self.ended) > ENDED_KEPT:
            self.ended.pop(next(iter(self.ended)))
        hosted.driver.stop()
        hosted.session.close()
        log.info("session %s exited with status %s", hosted.id, status)
        self.session_exited.emit(hosted.id, status)
        self.sessions_changed.emit()
