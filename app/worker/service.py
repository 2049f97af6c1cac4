"""The worker's request handler: turns validated requests into SessionHost calls.

``WorkerService`` is what ``ipc.server.Server`` dispatches to (its ``Handler``). Each
request type has one method named after it; errors are ``ipc.errors`` values, so the
person at the other end gets a clear, sanitized message and the log keeps the detail under
the request's correlation id.

Frames leave through ``ServerClient.send_frame``, which coalesces or drops them when the
client is slow; a client that could not take a frame is brought up to date by a short
``catch_up`` timer once it drains, with the latest state rather than a queue.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer

from app.worker.host import Client, SessionHost
from app.worker.store import Store
from ipc.errors import NotFound, Overloaded, RejectedError
from ipc.framing import Packet
from ipc.messages import MsgType
from ipc.server import Server, ServerClient
from terminal.frames import Cursor, Frame, line_to_wire
from terminal.pty import PtyError

log = logging.getLogger("emberterm.worker.service")


class WorkerService(QObject):
    """Handler of every request; owns the binding between server clients and the host."""

    def __init__(
        self,
        host: SessionHost,
        store: Store | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.host = host
        self.store = store
        self.server: Server | None = None
        self._clock = clock
        self._started = clock()
        self._starved: set[ServerClient] = set()
        self._catch_up = QTimer(self)
        self._catch_up.setObjectName("frame_catch_up")
        self._catch_up.setInterval(30)
        self._catch_up.timeout.connect(self._feed_starved)
        host.session_exited.connect(self._on_session_exited)
        host.session_event.connect(self._on_session_event)

    def bind(self, server: Server) -> None:
        self.server = server
        server.client_ready.connect(self._on_client_ready)

    # -- Handler protocol ------------------------------------------------------------------
    def handle(self, client: ServerClient, packet: Packet) -> Any:
        try:
            name = MsgType(packet.type).name.lower()
        except ValueError:  # pragma: no cover - the server filters unknown types
            raise RejectedError(f"no handler for message type {packet.type}") from None
        method = getattr(self, f"on_{name}", None)
        if method is None:
            raise RejectedError(f"the worker does not handle {name}")
        return method(client, packet.payload)

    def client_closed(self, client: ServerClient) -> None:
        self._starved.discard(client)
        self.host.remove_client(client)

    def has_attached_sessions(self, client: ServerClient) -> bool:
        return bool(self.host.attached_sessions(client))

    # -- clients and frames ------------------------------------------------------------------
    def _on_client_ready(self, client: ServerClient) -> None:
        def send(sid: str, frame: Frame) -> bool:
            return client.send_frame(sid, frame.to_wire())

        def can_send() -> bool:
            ok = client.is_ready and not client.coalescing
            if not ok and client.is_ready:
                self._starved.add(client)
                if not self._catch_up.isActive():
                    self._catch_up.start()
            return ok

        self.host.add_client(Client(client, send, can_send))

    def _feed_starved(self) -> None:
        for client in list(self._starved):
            if not client.is_ready:
                self._starved.discard(client)
            elif not client.coalescing:
                self._starved.discard(client)
                for sid in self.host.attached_sessions(client):
                    if client.needs_full_frame(sid):
                        self.host.get(sid).cursors[client].force_full()
                self.host.resend(client)
        if not self._starved:
            self._catch_up.stop()

    def _on_session_exited(self, sid: str, status: object) -> None:
        if self.server is not None:
            self.server.broadcast(MsgType.SESSION_EXITED, {"session": sid, "status": status})

    def _on_session_event(self, sid: str, kind: str, details: object) -> None:
        hosted = self.host.sessions.get(sid)
        if hosted is None:
            return
        payload = {"session": sid, "kind": kind, **(details if isinstance(details, dict) else {})}
        for key in list(hosted.cursors):
            client = self.host.clients.get(key)
            if client is not None and isinstance(client.key, ServerClient):
                client.key.notify(MsgType.SESSION_EVENT, payload)

    def _hosted(self, sid: str) -> Any:
        try:
            return self.host.get(sid)
        except KeyError:
            raise NotFound(f"no such session: {sid}") from None

    # -- requests ----------------------------------------------------------------------------
    def on_session_create(self, client: ServerClient, p: dict[str, Any]) -> dict[str, Any]:
        if self.server is not None:
            pressure = self.server.memory_pressure()
            if pressure:
                raise Overloaded(f"no new sessions: {pressure}")
        try:
            hosted = self.host.create(
                p["argv"], cwd=p["cwd"], env=p["env"], columns=p["columns"], rows=p["rows"],
                title=p["title"], private=bool(p.get("private", False)),
                window=int(p.get("window", 0)), tab=int(p.get("tab", 0)),
            )
        except PtyError as exc:
            # A missing program or directory: the person should read exactly that.
            raise RejectedError(str(exc)) from exc
        if client.kind != "gui" and self.server is not None:
            # Created from the CLI: windows open a tab for it.
            for other in self.server.clients:
                if other.kind == "gui":
                    other.notify(MsgType.SESSION_SPAWNED,
                                 {"session": hosted.id, "title": hosted.title})
        return {"session": hosted.id, "pid": hosted.session.pid}

    def on_session_attach(self, client: ServerClient, p: dict[str, Any]) -> dict[str, Any]:
        try:
            hosted = self.host.get_any(p["session"])
        except KeyError:
            if not p["transcript"]:
                # A window reattaching after a worker restart: its session died with the
                # old worker; the window keeps what it shows and offers a restart.
                raise NotFound(f"no such session: {p['session']}") from None
            return self._attach_transcript(client, p["session"])
        self.host.attach(client, hosted.id, p["columns"], p["rows"])
        if hosted.ended:  # it exited before this window attached: say so after its screen
            client.notify(MsgType.SESSION_EXITED,
                          {"session": hosted.id, "status": hosted.exit_status})
        return {"session": hosted.id, "columns": hosted.state.columns,
                "rows": hosted.state.rows, "title": hosted.state.title or hosted.title,
                "pid": hosted.session.pid, "ended": hosted.ended}

    def _attach_transcript(self, client: ServerClient, sid: str) -> dict[str, Any]:
        """An ended session the worker no longer holds (or a dead worker's): its last
        screen and its history count from the store, then its exit. Its scrollback is
        read with ``history.fetch``, which falls back to the store."""
        record = self.store.get_session(sid) if self.store is not None else None
        if record is None or self.store is None:
            raise NotFound(f"no such session: {sid}")
        saved = self.store.last_screen(sid)
        first, lines = saved if saved is not None else (record.lines_total, [])
        rows = max(len(lines), 1)
        columns = max([ln.cells() for ln in lines] + [80])
        frame = Frame(
            columns=columns, rows=rows, full=True, lines=dict(enumerate(lines)),
            cursor=Cursor(0, 0, visible=False), title=record.title, history_total=first,
            history_size=min(first, record.lines_total), styles=self.store.styles(sid),
        )
        client.send_frame(sid, frame.to_wire())
        client.notify(MsgType.SESSION_EXITED, {"session": sid, "status": record.exit_status})
        return {"session": sid, "columns": columns, "rows": rows, "title": record.title,
                "pid": 0, "ended": True}

    def on_session_detach(self, client: ServerClient, p: dict[str, Any]) -> dict[str, Any]:
        self._hosted(p["session"])
        self.host.detach(client, p["session"])
        return {}

    def on_session_write(self, client: ServerClient, p: dict[str, Any]) -> dict[str, Any]:
        self._hosted(p["session"])
        return {"written": self.host.write(client, p["session"], p["data"])}

    def on_session_resize(self, client: ServerClient, p: dict[str, Any]) -> dict[str, Any]:
        self._hosted(p["session"])
        self.host.resize(client, p["session"], p["columns"], p["rows"])
        return {}

    def on_session_close(self, client: ServerClient, p: dict[str, Any]) -> dict[str, Any]:
        self._hosted(p["session"])
        self.host.close(p["session"], force=p["force"])
        return {}

    def on_session_list(self, client: ServerClient, p: dict[str, Any]) -> dict[str, Any]:
        sessions = [h.info() for h in self.host.sessions.values()]
        for info in sessions:
            info["busy"] = bool(self.host.get(info["session"]).session.is_busy())
        return {"sessions": sessions}

    def on_history_fetch(self, client: ServerClient, p: dict[str, Any]) -> dict[str, Any]:
        sid = p["session"]
        if sid not in self.host.sessions and self.store is None:
            raise NotFound(f"no such session: {sid}")
        lines = self.host.history_lines(sid, p["first"], p["count"])
        styles: dict[int, Any] = {}
        if sid in self.host.sessions:
            table = self.host.styles_of(sid)
            used = {s for _, ln in lines for _, s in ln.runs}
            styles = {s: table[s] for s in used if s < len(table)}
        elif self.store is not None:
            styles = self.store.styles(sid)
        return {
            "first": p["first"],
            "lines": [[n, *line_to_wire(ln)] for n, ln in lines],
            "styles": [[sid_, *style] for sid_, style in styles.items()],
        }

    def on_search(self, client: ServerClient, p: dict[str, Any]) -> dict[str, Any]:
        if self.store is None:
            return {"hits": [], "notice": "history is not being recorded"}
        self.store.flush()
        hits = self.store.search(p["query"], session_id=p["session"], limit=p["limit"])
        live = set(self.host.sessions)
        return {"hits": [
            {"session": h.session_id, "line": h.number, "text": h.text,
             "title": h.session_title, "ended": h.session_ended, "live": h.session_id in live,
             "time": h.created}
            for h in hits
        ]}

    def on_layout_set(self, client: ServerClient, p: dict[str, Any]) -> dict[str, Any]:
        self.host.set_layout(
            {sid: (window, tab) for sid, window, tab in p["placements"]}, current=p["current"]
        )
        return {}

    def on_layout_previous(self, client: ServerClient, p: dict[str, Any]) -> dict[str, Any]:
        if self.store is None:
            return {"sessions": []}
        return {"sessions": [
            {"session": r.id, "argv": r.command, "cwd": r.cwd, "title": r.title,
             "window": r.window, "tab": r.tab}
            for r in self.store.previous_layout(take=p["take"]) if not r.private
        ]}

    def on_forget(self, client: ServerClient, p: dict[str, Any]) -> dict[str, Any]:
        if self.store is None:
            return {"chunks": 0}
        return {"chunks": self.store.forget(p["session"])}

    def on_status(self, client: ServerClient, p: dict[str, Any]) -> dict[str, Any]:
        status: dict[str, Any] = {
            "pid": os.getpid(),
            "uptime": self._clock() - self._started,
            "sessions": len(self.host.sessions),
            "clients": len(self.host.clients),
        }
        if self.server is not None:
            status["server"] = self.server.status()
        if self.store is not None:
            status["store"] = self.store.stats()
        return status
