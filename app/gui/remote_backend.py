"""Sessions in the worker, seen through ``SessionHandle``: the GUI's default backend.

``RemoteBackend`` shares the supervisor's ``ipc.client.Client`` among every tab: it creates
sessions (``session.create`` then ``session.attach``), routes ``frame`` and
``session.exited`` notifications to the right ``RemoteSessionHandle``, keeps a cached
``session.list`` (foreground program, working directory, busy) refreshed once a second,
records the window layout (``layout.set``) and reattaches every handle when the
supervisor reconnects.

While the worker is unreachable a handle keeps its last screen (the view holds it), says
"reconnecting" through ``notice``, and buffers typed input up to ``INPUT_BUFFER_LIMIT``
bytes; past that, input is refused with a visible notice, never silently lost. A session
that ended with a crashed worker is reported by ``lost`` and keeps its screen read-only.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, QTimer, Signal

from app import memtrim
from app.gui.backend import SessionHandle
from app.gui.supervisor import WorkerSupervisor
from ipc import logs
from ipc.errors import CallTimeout, IpcError, NotFound
from ipc.messages import MsgType
from ipc.ratelimit import INPUT_BURST, INPUT_RATE, TokenBucket
from terminal.frames import Frame, Line, line_from_wire

log = logging.getLogger("emberterm.gui.remote")

INPUT_BUFFER_LIMIT = 64 * 1024
# Input goes in pieces of at most this (session.write takes at most 1 MiB), sent at once
# and in order -- so that keys typed while the worker is stopped are in its socket when
# it resumes -- but paced by the backend's own bucket, a little under the worker's
# per-client input bucket, which refuses ("overloaded") what goes over it.
WRITE_CHUNK = 256 * 1024
INPUT_PACE_RATE = 0.9 * INPUT_RATE
INPUT_PACE_BURST = 0.5 * INPUT_BURST
# Requests logged (with their correlation id, which the worker logs too); keystrokes and
# frame traffic are not.
LOGGED = frozenset({MsgType.SESSION_CREATE, MsgType.SESSION_ATTACH, MsgType.SESSION_CLOSE,
                    MsgType.FORGET, MsgType.LAYOUT_PREVIOUS})
CREATE_TIMEOUT = 5.0
REFRESH_NOW_TIMEOUT = 0.5  # asking whether a tab is busy before closing it
REFRESH_NOW_REUSE = 0.2
HISTORY_PAGE = 500


class RemoteError(Exception):
    """Creating a session in the worker failed; ``user_message`` is safe to show."""

    def __init__(self, user_message: str, *, unavailable: bool) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        self.unavailable = unavailable


class RemoteSessionHandle(SessionHandle):
    """One worker-hosted session."""

    # The session ended with a worker that crashed: its screen stays, read-only.
    lost = Signal()

    def __init__(self, backend: RemoteBackend, session_id: str, info: dict[str, Any]) -> None:
        super().__init__(backend)
        self._backend = backend
        self._id = session_id
        self.info = dict(info)
        self.size: tuple[int, int] | None = None
        self.ended = False
        self.is_lost = False
        self._pending_input = bytearray()
        self._outbox: deque[bytes] = deque()  # input pieces waiting for the pace, in order
        self._pump_due = False  # a timer will pump the outbox when the pace allows
        self._history: dict[int, Line] = {}
        self._fetching: set[int] = set()

    # -- SessionHandle ---------------------------------------------------------------------
    @property
    def session_id(self) -> str:
        return self._id

    @property
    def persistent(self) -> bool:
        return True

    @property
    def pid(self) -> int | None:
        pid = self.info.get("pid")
        return int(pid) if pid else None

    def write(self, data: bytes) -> None:
        if self.ended or not data:
            return
        client = self._backend.client
        if client is None or not client.is_ready or self._pending_input:
            if len(self._pending_input) + len(data) > INPUT_BUFFER_LIMIT:
                self.notice.emit(
                    "Not connected to the session server: input refused "
                    f"({len(self._pending_input)} bytes are waiting to be sent)."
                )
                return
            self._pending_input += data
            self.notice.emit("Reconnecting to the session server… typed input is held.")
            return
        self._send(bytes(data))

    def _send(self, data: bytes) -> None:
        """Send ``data`` in pieces, in order, as fast as the backend's pace allows (a paste
        of megabytes does not exceed a request's bound nor the worker's input bucket)."""
        self._outbox.extend(data[i : i + WRITE_CHUNK] for i in range(0, len(data), WRITE_CHUNK))
        self._pump()

    def _pump(self) -> None:
        pace = self._backend.input_pace
        while self._outbox and not self.ended:
            piece = self._outbox[0]
            if not pace.try_take(len(piece)):
                if not self._pump_due:  # one timer, however many writes wait behind it
                    self._pump_due = True
                    wait = pace.retry_after(len(piece))
                    QTimer.singleShot(max(1, int(wait * 1000) + 1), self, self._paced)
                return
            self._outbox.popleft()
            size = len(piece)
            self._backend.call(MsgType.SESSION_WRITE, {"session": self._id, "data": piece},
                               lambda reply, size=size: self._written(reply, size))

    def _paced(self) -> None:
        self._pump_due = False
        self._pump()

    def _written(self, reply: Any, size: int) -> None:
        if reply is not None or self.ended:
            return
        client = self._backend.client
        err = client.last_error if client is not None else None
        if isinstance(err, CallTimeout):
            # Sent, not answered in time (a stopped or busy worker): it is in the
            # worker's socket and is read, in order, when the worker goes on.
            log.warning("input to %s not answered in time (%d bytes)", self._id, size)
            return
        log.warning("input to %s did not arrive (%d bytes): %s", self._id, size, err)
        self.notice.emit(f"{size} bytes of input did not reach the program: "
                         f"{err.detail if isinstance(err, IpcError) else 'no answer'}.")

    def flush_input(self) -> None:
        if self._pending_input and not self.ended:
            data, self._pending_input = bytes(self._pending_input), bytearray()
            self._send(data)

    def resize(self, columns: int, rows: int) -> None:
        self.size = (columns, rows)
        if not self.ended:
            self._backend.call(MsgType.SESSION_RESIZE,
                               {"session": self._id, "columns": columns, "rows": rows})

    def close(self) -> None:
        if not self.ended:
            self._backend.close_session(self._id)

    def foreground_process(self) -> str:
        return str(self.info.get("foreground") or "")

    def cwd(self) -> str:
        return str(self.info.get("foreground_cwd") or self.info.get("cwd") or "")

    def is_busy(self) -> bool:
        """Asked before a tab or window is closed: the answer must be fresh (a program
        started half a second ago counts), so the worker is asked now, briefly; the last
        polled answer if it cannot say."""
        self._backend.refresh_now()
        return bool(self.info.get("busy"))

    def fetch_history(self, first: int, count: int) -> list[tuple[int, Line]]:
        """Lines already fetched; the rest are asked for and ``history_arrived`` follows."""
        have = [(n, self._history[n]) for n in range(first, first + count) if n in self._history]
        page = first - first % HISTORY_PAGE
        while page < first + count:
            if page not in self._fetching and not all(
                n in self._history for n in range(max(page, first), min(page + HISTORY_PAGE,
                                                                         first + count))
            ):
                self._fetching.add(page)
                self._backend.call(
                    MsgType.HISTORY_FETCH,
                    {"session": self._id, "first": page, "count": HISTORY_PAGE},
                    lambda reply, page=page: self._on_history(page, reply),
                    channel="query",
                )
            page += HISTORY_PAGE
        return have

    def _on_history(self, page: int, reply: Any) -> None:
        self._fetching.discard(page)
        if not reply:
            return
        for item in reply.get("lines", []):
            self._history[int(item[0])] = line_from_wire(item[1:])
        self.history_arrived.emit()

    def search_history(
        self, text: str, case_sensitive: bool, reply: Callable[[list[tuple[int, str]]], None]
    ) -> None:
        """The store's search, limited to this session (it folds case itself; a
        case-sensitive query is filtered again by the caller)."""

        def done(answer: Any) -> None:
            hits = answer.get("hits", []) if answer else []
            reply([(int(h["line"]), str(h["text"])) for h in hits])

        self._backend.call(MsgType.SEARCH, {"query": text, "session": self._id,
                                            "limit": 2000}, done, channel="query")

    def request_full_frame(self) -> None:
        self._backend.attach(self)

    # -- from the backend --------------------------------------------------------------------
    def deliver(self, frame: Frame) -> None:
        self.frame.emit(frame)

    def finish(self, status: Any) -> None:
        if not self.ended:
            self.ended = True
            self.exited.emit(status)

    def mark_lost(self) -> None:
        if not self.ended:
            self.ended = True
            self.is_lost = True
            self.notice.emit("The session server stopped and this session ended with it; "
                             "its last screen is kept here.")
            self.lost.emit()


class RemoteBackend(QObject):
    """Every tab's sessions in the worker, over the supervisor's client."""

    # A session another client (``emberterm cli spawn``) started: (id, what the worker
    # said of it). Windows open a tab for it.
    spawned = Signal(str, dict)

    def __init__(
        self, supervisor: WorkerSupervisor, parent: QObject | None = None, *,
        trim: Callable[[], object] = memtrim.trim,
    ) -> None:
        super().__init__(parent)
        self.supervisor = supervisor
        self.handles: dict[str, RemoteSessionHandle] = {}
        self.sessions: list[dict[str, Any]] = []  # the last session.list
        self._listed_at = -float("inf")  # when it came (time.monotonic)
        # Every tab's input together: the worker's input bucket is per client.
        self.input_pace = TokenBucket(INPUT_PACE_RATE, INPUT_PACE_BURST)
        self._closing: set[str] = set()  # session.close calls not yet answered
        self._wired: object | None = None
        supervisor.connected.connect(self._on_connected)
        supervisor.state_changed.connect(self._on_state)
        self._poll = QTimer(self)
        self._poll.setObjectName("session_list_poll")
        self._poll.setInterval(1000)
        self._poll.timeout.connect(self.refresh)
        # Frames of a flood leave the heap full of freed holes; give them back once the
        # frames stop (app.memtrim), not while they come.
        self._trimmer = memtrim.AfterBurst(trim)
        self._trim_tick = QTimer(self)
        self._trim_tick.setObjectName("heap_trim")
        self._trim_tick.setInterval(1000)
        self._trim_tick.timeout.connect(self._trimmer.tick)
        self._trim_tick.start()
        self._wire()

    @property
    def client(self) -> Any:
        return self.supervisor.client

    def _wire(self) -> None:
        client = self.client
        if client is not None and client is not self._wired:
            client.notification.connect(self._on_notification)
            self._wired = client

    # -- calls ------------------------------------------------------------------------------
    def call(
        self, msg_type: int, payload: dict[str, Any],
        callback: Callable[[Any], None] | None = None, *, channel: str | None = None,
    ) -> None:
        client = self.client
        if client is None:
            if callback is not None:
                callback(None)
            return
        with logs.correlation() as cid:
            if msg_type in LOGGED:  # the requests worth a line in both processes' logs
                log.info("%s %s", MsgType(msg_type).name.lower(), payload.get("session", ""))
            client.call_cb(msg_type, payload, callback or (lambda _r: None), fallback=None,
                           channel=channel, correlation_id=cid)

    def call_and_wait(self, msg_type: int, payload: dict[str, Any], timeout: float) -> Any:
        """A call whose answer the caller needs now (creating a tab): runs the event loop
        until the reply, the fallback or the deadline. Raises the call's ``IpcError``."""
        client = self.client
        if client is None or self.supervisor.fallback:
            raise RemoteError("The session server is not available.", unavailable=True)
        loop = QEventLoop()
        box: list[Any] = []

        def done(reply: Any) -> None:
            box.append(reply)
            loop.quit()

        with logs.correlation() as cid:
            log.info("%s %s", MsgType(msg_type).name.lower(), payload.get("argv") or "")
            client.call_cb(msg_type, payload, done, fallback=None, timeout=timeout,
                           correlation_id=cid)
        if not box:
            QTimer.singleShot(int(timeout * 1000) + 200, loop.quit)
            loop.exec()
        if not box or box[0] is None:
            err: IpcError | None = client.last_error
            text = err.user_message() if err else "The session server did not answer."
            unavailable = err is None or err.counts_as_failure or err.kind in (
                "circuit_open", "unavailable", "timeout")
            raise RemoteError(text, unavailable=unavailable)
        return box[0]

    # -- sessions ---------------------------------------------------------------------------
    def create(
        self, argv: Sequence[str] | None, *, cwd: str | None, columns: int, rows: int,
        history: int = 10000, window: int = 0, tab: int = 0, private: bool = False,
    ) -> RemoteSessionHandle:
        reply = self.call_and_wait(MsgType.SESSION_CREATE, {
            "argv": list(argv) if argv else None, "cwd": cwd, "columns": columns,
            "rows": rows, "window": window, "tab": tab, "private": private,
        }, CREATE_TIMEOUT)
        return self.adopt(reply["session"], {"pid": reply.get("pid"), "private": private},
                          (columns, rows))

    def adopt(self, sid: str, info: dict[str, Any], size: tuple[int, int] | None = None,
              *, transcript: bool = False) -> RemoteSessionHandle:
        """A handle for an existing session (restored layout, spawned by the CLI); with
        ``transcript``, one that may have ended long ago (read-only, from the store)."""
        handle = RemoteSessionHandle(self, sid, info)
        handle.size = size
        self.handles[sid] = handle
        handle.destroyed.connect(lambda *_a, sid=sid: self.handles.pop(sid, None))
        self.attach(handle, transcript=transcript)
        if not self._poll.isActive():
            self._poll.start()
        return handle

    def attach(self, handle: RemoteSessionHandle, *, transcript: bool = False) -> None:
        payload: dict[str, Any] = {"session": handle.session_id, "transcript": transcript}
        if handle.size:
            payload["columns"], payload["rows"] = handle.size

        def done(reply: Any) -> None:
            err = self.client.last_error if self.client is not None else None
            if reply is None and isinstance(err, NotFound):
                handle.mark_lost()
            elif reply is not None:
                handle.notice.emit("")
                handle.flush_input()

        self.call(MsgType.SESSION_ATTACH, payload, done)

    def close_session(self, sid: str) -> None:
        self._closing.add(sid)
        self.call(MsgType.SESSION_CLOSE, {"session": sid},
                  lambda _reply: self._closing.discard(sid))

    def wait_for_closes(self, timeout: float = 2.0) -> bool:
        """Before the GUI exits: let the closes of tabs closed on purpose reach the worker
        (their programs end, as closing a terminal does). True when all were answered."""
        if self._closing:
            loop = QEventLoop()
            timer = QTimer()
            timer.setInterval(20)
            timer.timeout.connect(lambda: loop.quit() if not self._closing else None)
            timer.start()
            QTimer.singleShot(int(timeout * 1000), loop.quit)
            loop.exec()
            timer.stop()
        return not self._closing

    def list_sessions(self, timeout: float = 2.0) -> list[dict[str, Any]]:
        reply = self.call_and_wait(MsgType.SESSION_LIST, {}, timeout)
        self._take_list(reply)
        return self.sessions

    def refresh(self) -> None:
        """Ask for the session list (every second): titles, directories, busy."""
        self.call(MsgType.SESSION_LIST, {}, lambda reply: self._take_list(reply))

    def refresh_now(self, timeout: float = REFRESH_NOW_TIMEOUT) -> None:
        """The session list now (waiting up to ``timeout``), unless one came in the last
        ``REFRESH_NOW_REUSE`` seconds (closing a window asks once per tab)."""
        if time.monotonic() - self._listed_at < REFRESH_NOW_REUSE:
            return
        try:
            self.list_sessions(timeout)
        except (IpcError, RemoteError) as exc:
            log.info("session list not fresh (%s); using the last one", exc)

    def _take_list(self, reply: Any) -> None:
        if reply is None:
            return
        self._listed_at = time.monotonic()
        self.sessions = list(reply.get("sessions", []))
        for info in self.sessions:
            handle = self.handles.get(info["session"])
            if handle is not None:
                handle.info.update(info)

    def set_layout(
        self, placements: list[tuple[str, int, int]], current: Sequence[str] = ()
    ) -> None:
        self.call(
            MsgType.LAYOUT_SET,
            {"placements": [list(p) for p in placements], "current": list(current)},
        )

    # -- events -----------------------------------------------------------------------------
    def _on_notification(self, msg_type: int, payload: Any) -> None:
        if not isinstance(payload, dict):
            return
        handle = self.handles.get(str(payload.get("session")))
        if msg_type == MsgType.SESSION_SPAWNED:
            if handle is None and isinstance(payload.get("session"), str):
                self.spawned.emit(payload["session"], dict(payload))
        elif msg_type == MsgType.FRAME and handle is not None:
            self._trimmer.note()
            try:
                frame = Frame.from_wire(payload["frame"])
            except (KeyError, ValueError):
                log.warning("malformed frame for %s dropped", payload.get("session"))
                handle.request_full_frame()
                return
            handle.deliver(frame)
        elif msg_type == MsgType.SESSION_EXITED and handle is not None:
            handle.finish(payload.get("status"))
        elif msg_type == MsgType.SESSION_EVENT and handle is not None:
            if payload.get("kind") == "bell":
                handle.bell.emit()
            elif payload.get("kind") == "clipboard":
                handle.clipboard.emit(str(payload.get("selection", "c")),
                                      str(payload.get("text", "")))

    def _on_connected(self) -> None:
        self._wire()
        for handle in list(self.handles.values()):
            if not handle.ended:
                self.attach(handle)

    def _on_state(self, state: str) -> None:
        if state in ("reconnecting", "fallback"):
            text = ("The session server is not answering; reconnecting…" if state ==
                    "reconnecting" else "The session server could not be restarted.")
            for handle in self.handles.values():
                if not handle.ended:
                    handle.notice.emit(text)
