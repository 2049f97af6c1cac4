"""The worker's side of the wire: admission, handshake, limits, heartbeat, dispatch.

``Server`` listens on a ``QLocalServer`` (user-only, one listener per socket name, stale
sockets replaced: ``ipc.security``), wraps every accepted socket in an
``ipc.transport.Connection`` and a ``ServerClient``, and:

* admits at most ``max_connections``; a non-GUI client only while fewer than
  ``non_gui_limit`` are in use (the rest are kept for GUI windows); a refused client gets
  an ``overloaded`` error and is closed. Every client is told ``server.busy`` when use
  crosses ``busy_on`` and again when it falls under ``busy_off``;
* requires a valid ``hello`` within ``handshake_timeout``: protocol version, token and
  (where the OS says) the peer's uid; a wrong token or uid gets ``unauthorized`` with no
  detail and is closed;
* rate-limits requests and input bytes per client (token buckets); an over-limit request
  gets an ``overloaded`` error reply, the connection stays;
* pings a client silent for ``ping_after``, drops one silent for ``dead_after`` (its
  sessions keep running), and drops a client with no attached session that has sent no
  request for ``idle_timeout``;
* accounts each client's output: screen frames go through ``ServerClient.send_frame``,
  which coalesces at ``coalesce_at`` of the budget and drops at 100% (the producer then
  owes a full frame: ``needs_full_frame``), so a client that does not read costs bounded
  memory;
* samples the process RSS for ``status`` and ``memory_pressure``;
* hands validated requests to a ``Handler`` and answers REPLY or ERROR (unknown type:
  ``unsupported``; a handler exception: a sanitized ``remote`` error whose correlation id
  finds the traceback in the log).

Time comes from the injected ``clock``; one named ``QTimer`` calls ``tick()``, which tests
call directly after moving a fake clock.

What it does not do: it knows no sessions, frames' contents or SQLite (the handler and
the frame producer do); it never retries.
"""

from __future__ import annotations

import inspect
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtNetwork import QLocalServer

from ipc import security
from ipc.errors import (
    IpcError,
    Overloaded,
    ProtocolError,
    RemoteError,
    Unauthorized,
    Unsupported,
)
from ipc.framing import MAX_PACKET, Packet, encode
from ipc.logs import correlation
from ipc.messages import (
    PROTOCOL_VERSION,
    MsgType,
    error_reply,
    hello_reply_payload,
    kind_of,
    negotiate,
    notification,
    reply,
    validate,
)
from ipc.ratelimit import INPUT_BURST, INPUT_RATE, TokenBucket
from ipc.transport import Connection, disconnect_all, emit

if TYPE_CHECKING:
    import asyncio

__all__ = ["ClientState", "Handler", "Server", "ServerClient", "ServerLimits", "read_rss"]

log = logging.getLogger(__name__)
MiB = 1024 * 1024


@dataclass(frozen=True)
class ServerLimits:
    """Every limit of the server, in one place (seconds, bytes, counts)."""

    max_connections: int = 100
    non_gui_limit: int = 85  # a non-GUI client is admitted while fewer are in use
    busy_on: float = 0.85  # tell clients ``server.busy`` at this share of max_connections
    busy_off: float = 0.60  # ... and that it is over under this share
    handshake_timeout: float = 5.0
    idle_timeout: float = 300.0
    ping_after: float = 5.0
    dead_after: float = 15.0
    request_rate: float = 500.0  # requests a second, per client
    request_burst: float = 1000.0
    input_rate: float = INPUT_RATE  # session.write bytes a second, per client
    input_burst: float = INPUT_BURST
    output_budget: int = 4 * MiB  # pending bytes per client before frames are dropped
    coalesce_at: float = 0.85  # share of output_budget where frames start to coalesce
    resume_below: float = 0.50  # share of output_budget where coalescing ends
    max_pending: int = 8 * MiB  # hard cap: a reply that does not fit closes the client
    max_packet: int = MAX_PACKET
    close_grace: float = 2.0  # a closing client whose last bytes do not drain is aborted
    memory_budget: int = 1024 * MiB
    memory_pressure_at: float = 0.85
    memory_sample_every: float = 5.0
    tick_interval: float = 0.5

    def __post_init__(self) -> None:
        problems = [
            name
            for name, ok in (
                ("max_connections", self.max_connections >= 1),
                ("non_gui_limit", 0 <= self.non_gui_limit <= self.max_connections),
                ("busy_off", 0 < self.busy_off < self.busy_on <= 1),
                ("dead_after", 0 < self.ping_after < self.dead_after),
                ("resume_below", 0 < self.resume_below < self.coalesce_at <= 1),
                ("max_pending", self.output_budget <= self.max_pending),
                ("tick_interval", self.tick_interval > 0),
            )
            if not ok
        ]
        if problems:
            raise ValueError(f"invalid server limits: {', '.join(problems)}")


class Handler(Protocol):
    """What the worker plugs into the server."""

    def handle(self, client: ServerClient, packet: Packet) -> Any:
        """The reply payload of a validated request (or an awaitable of it); raise an
        ``IpcError`` to answer with that error. Notifications from the client (e.g.
        ``frame.ack``) come here too; their return value is ignored."""
        ...

    def client_closed(self, client: ServerClient) -> None:
        """The client is gone (hung up, dropped, timed out); detach it from sessions."""
        ...

    def has_attached_sessions(self, client: ServerClient) -> bool:
        """Whether the client shows sessions (then it is never dropped for idleness)."""
        ...


class ClientState(StrEnum):
    HANDSHAKE = "handshake"
    READY = "ready"
    CLOSING = "closing"
    CLOSED = "closed"


class ServerClient:
    """One connected client as the server and the handler see it.

    The frame producer uses ``send_frame``, ``coalescing`` and ``needs_full_frame``;
    everything else here is read-only for the handler.
    """

    def __init__(self, server: Server, connection: Connection, client_id: int, now: float):
        limits = server.limits
        self._server = server
        self.connection = connection
        self.id = client_id
        self.state = ClientState.HANDSHAKE
        self.kind = ""  # "gui" or "cli" after the hello
        self.pid = 0
        self.uid: int | None = None
        self.version: tuple[int, int] = PROTOCOL_VERSION
        self.accepted_at = now
        self.last_rx = now  # any packet: the heartbeat's measure
        self.last_request = now  # any request but ping/pong: the idle timeout's measure
        self.last_ping = now
        self.closing_since = 0.0
        self.requests = TokenBucket(limits.request_rate, limits.request_burst, clock=server.clock)
        self.input = TokenBucket(limits.input_rate, limits.input_burst, clock=server.clock)
        self.coalescing = False
        self._held: dict[str, dict[str, Any]] = {}  # newest frame per session while coalescing
        self._needs_full: set[str] = set()
        self.frames_sent = 0
        self.frames_coalesced = 0
        self.frames_dropped = 0
        self.rate_limited = 0

    def __repr__(self) -> str:
        return f"<ServerClient {self.id} {self.kind or '?'} pid={self.pid} {self.state}>"

    @property
    def pending_bytes(self) -> int:
        """Bytes queued for this client (frames held while coalescing not included:
        at most one per session)."""
        return self.connection.pending_bytes

    @property
    def is_ready(self) -> bool:
        return self.state is ClientState.READY

    # -- frames -------------------------------------------------------------------------
    def needs_full_frame(self, session: str) -> bool:
        """True when a frame of ``session`` was dropped: the next one must be full."""
        return session in self._needs_full

    def send_frame(self, session: str, frame_wire: dict[str, Any]) -> bool:
        """Offer a screen frame (``Frame.to_wire()``); True if it was sent or held.

        Under ``coalesce_at`` of the budget it goes out at once. Above it (``coalescing``),
        the newest frame per session is held and sent once the client has read enough;
        a diff cannot replace a held frame it does not contain, so that drops both and
        asks for a full frame. At the budget the frame is dropped and the producer owes a
        full frame (``needs_full_frame``). Memory per client stays under the budget plus
        one frame per session.
        """
        if self.state is not ClientState.READY:
            return False
        full = bool(frame_wire.get("f"))
        if not full and session in self._needs_full:
            self.frames_dropped += 1
            return False
        limits = self._server.limits
        pending = self.connection.pending_bytes
        if pending >= limits.output_budget:
            self._drop_frames(session, 1 + (session in self._held))
            return False
        if self.coalescing or pending >= limits.coalesce_at * limits.output_budget:
            self._start_coalescing(pending)
            if session in self._held and not full:
                del self._held[session]
                self._drop_frames(session, 2)
                return False
            self.frames_coalesced += session in self._held
            self._held[session] = frame_wire
            return True
        return self._write_frame(session, frame_wire)

    def _write_frame(self, session: str, frame_wire: dict[str, Any]) -> bool:
        data = encode(notification(MsgType.FRAME, {"session": session, "frame": frame_wire}))
        if self.connection.pending_bytes + len(data) > self._server.limits.output_budget:
            self._drop_frames(session, 1)
            return False
        if not self.connection.send_bytes(data):
            self._drop_frames(session, 1)
            return False
        self.frames_sent += 1
        if frame_wire.get("f"):
            self._needs_full.discard(session)
        return True

    def _drop_frames(self, session: str, count: int) -> None:
        self._held.pop(session, None)
        self._needs_full.add(session)
        self.frames_dropped += count
        self._start_coalescing(self.connection.pending_bytes)

    def _start_coalescing(self, pending: int) -> None:
        if self.coalescing:
            return
        self.coalescing = True
        log.info("client %s is slow: %d bytes pending, coalescing frames", self.id, pending)
        self._server.notify(
            self, MsgType.BACKPRESSURE,
            {"session": None, "paused": True, "queued": pending, "output": "coalesce"},
        )

    def _on_drained(self, pending: int) -> None:
        limits = self._server.limits
        if not self.coalescing or pending >= limits.resume_below * limits.output_budget:
            return
        self.coalescing = False
        held, self._held = self._held, {}
        for session, frame_wire in held.items():
            self._write_frame(session, frame_wire)
        log.info("client %s caught up, frames flow again", self.id)
        self._server.notify(
            self, MsgType.BACKPRESSURE,
            {"session": None, "paused": False, "queued": self.connection.pending_bytes,
             "output": "normal"},
        )

    def notify(self, msg_type: int, payload: Any) -> bool:
        return self._server.notify(self, msg_type, payload)

    def stats(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "pid": self.pid, "state": str(self.state),
            "pending": self.pending_bytes, "coalescing": self.coalescing,
            "frames_sent": self.frames_sent, "frames_coalesced": self.frames_coalesced,
            "frames_dropped": self.frames_dropped, "rate_limited": self.rate_limited,
        }


def read_rss() -> int:
    """This process's resident set size in bytes (0 if the OS does not say)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource
        import sys

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # the peak, not now
        return peak if sys.platform == "darwin" else peak * 1024
    except (ImportError, OSError):  # pragma: no cover - Windows
        return 0


@dataclass
class _Status:
    started: float
    rss: int = 0
    rss_sampled_at: float | None = None
    refused: dict[str, int] = field(default_factory=dict)


class Server(QObject):
    """See the module docstring. ``listen()`` to start, ``close()`` to stop."""

    client_ready = Signal(object)  # ServerClient, after its hello
    client_gone = Signal(object)  # ServerClient
    busy_changed = Signal(bool)

    def __init__(
        self,
        name: str,
        *,
        handler: Handler,
        token: str,
        limits: ServerLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
        lock_path: Path | None = None,
        rss: Callable[[], int] = read_rss,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.name = name
        self.handler = handler
        self.limits = limits or ServerLimits()
        self.clock = clock
        self._token = token
        self._lock_path = lock_path
        self._rss = rss
        self._qserver = QLocalServer(self)
        self._qserver.newConnection.connect(self._on_new_connection)
        # Also the listen backlog: the connection over the limit must get through to be
        # told ``overloaded`` rather than hang in the kernel's queue.
        self._qserver.setMaxPendingConnections(self.limits.max_connections + 16)
        self._clients: dict[Connection, ServerClient] = {}
        self._next_id = 1
        self._busy = False
        self._expected_uid = security.expected_uid()
        self._status = _Status(started=clock())
        self._tasks: set[asyncio.Future[Any]] = set()
        self._graveyard: list[Connection] = []
        self.tick_timer = QTimer(self)
        self.tick_timer.setObjectName("ipc-server-tick")
        self.tick_timer.setInterval(int(self.limits.tick_interval * 1000))
        self.tick_timer.timeout.connect(self.tick)
        self.listen_error = ""

    # -- listening ----------------------------------------------------------------------
    def listen(self) -> bool:
        """Listen on ``name``, replacing a stale socket; False if another server is live.

        Check, remove and listen happen under ``listen_lock``, so of two servers starting
        together exactly one listens.
        """
        lock = self._lock_path
        if lock is None and security.expected_uid() is not None:
            lock = Path(self.name + ".lock")
        if security.expected_uid() is not None:
            security.check_private_dir(Path(self.name).parent)
        with security.listen_lock(lock):
            found = security.probe(self.name)
            if found in (security.SocketState.LIVE, security.SocketState.FOREIGN):
                self.listen_error = f"socket is {found.value}: another server is listening"
                log.warning("not listening on %s: %s", self.name, self.listen_error)
                return False
            if found is security.SocketState.STALE:
                log.info("removing stale socket %s", self.name)
                QLocalServer.removeServer(self.name)
            self._qserver.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
            if not self._qserver.listen(self.name):
                self.listen_error = self._qserver.errorString()
                log.warning("cannot listen on %s: %s", self.name, self.listen_error)
                return False
        self.tick_timer.start()
        log.info("listening on %s", self.name)
        return True

    @property
    def is_listening(self) -> bool:
        return bool(self._qserver.isListening())

    def close(self) -> None:
        """Stop listening and close every connection (handlers see ``client_closed``)."""
        self.tick_timer.stop()
        self._qserver.close()
        for client in list(self._clients.values()):
            self.drop(client, "server closing")
        for task in list(self._tasks):
            task.cancel()

    # -- reading state ----------------------------------------------------------------
    @property
    def clients(self) -> list[ServerClient]:
        return list(self._clients.values())

    @property
    def busy(self) -> bool:
        return self._busy

    def in_use(self) -> int:
        return len(self._clients)

    def sample_memory(self) -> int:
        self._status.rss = self._rss()
        self._status.rss_sampled_at = self.clock()
        return self._status.rss

    def memory_pressure(self) -> str | None:
        """Why new sessions should be refused now (memory), or None."""
        if self._status.rss_sampled_at is None:
            self.sample_memory()
        limit = self.limits.memory_budget
        rss = self._status.rss
        if rss >= self.limits.memory_pressure_at * limit:
            return (
                f"the session server uses {rss // MiB} MiB of its {limit // MiB} MiB "
                "memory budget; close some sessions first"
            )
        return None

    def status(self) -> dict[str, Any]:
        """Counters for the ``status`` request (the worker adds its own)."""
        if self._status.rss_sampled_at is None:
            self.sample_memory()
        kinds: dict[str, int] = {}
        for client in self._clients.values():
            kinds[client.kind or "handshake"] = kinds.get(client.kind or "handshake", 0) + 1
        return {
            "pid": os.getpid(),
            "uptime": self.clock() - self._status.started,
            "clients": len(self._clients),
            "connections": kinds,
            "limit": self.limits.max_connections,
            "busy": self._busy,
            "rss": self._status.rss,
            "memory_budget": self.limits.memory_budget,
            "memory_pressure": self.memory_pressure() is not None,
            "refused": dict(self._status.refused),
            "slow_clients": sum(c.coalescing for c in self._clients.values()),
        }

    # -- sending ------------------------------------------------------------------------
    def notify(self, client: ServerClient, msg_type: int, payload: Any) -> bool:
        """Send a notification; a client that cannot take it (hard cap) is dropped."""
        if client.state is not ClientState.READY:
            return False
        return self._send(client, notification(msg_type, payload))

    def broadcast(self, msg_type: int, payload: Any) -> None:
        for client in list(self._clients.values()):
            self.notify(client, msg_type, payload)

    def _send(self, client: ServerClient, packet: Packet) -> bool:
        if client.connection.send(packet):
            return True
        if client.state in (ClientState.READY, ClientState.HANDSHAKE):
            log.warning("client %s does not read (%d bytes pending): dropping it",
                        client.id, client.pending_bytes)
            self.drop(client, "not reading")
        return False

    def _refuse(self, client: ServerClient, to: Packet | None, err: IpcError) -> None:
        """Answer with ``err`` and close once it is written."""
        self._status.refused[err.kind.value] = self._status.refused.get(err.kind.value, 0) + 1
        packet = error_reply(to, err) if to is not None else Packet(
            MsgType.ERROR, 0, err.correlation_id, err.to_wire()
        )
        client.connection.send(packet)
        self._close_gracefully(client)

    def _close_gracefully(self, client: ServerClient) -> None:
        if client.state in (ClientState.CLOSING, ClientState.CLOSED):
            return
        was_ready = client.state is ClientState.READY
        client.state = ClientState.CLOSING
        client.closing_since = self.clock()
        if was_ready:
            self._forget(client)
        client.connection.close(flush=True)

    def drop(self, client: ServerClient, reason: str) -> None:
        """Close a client now. Its sessions keep running."""
        if client.state is ClientState.CLOSED:
            return
        log.info("dropping client %s: %s", client.id, reason)
        client.connection.close()  # closed -> _on_closed

    # -- connections --------------------------------------------------------------------
    def _on_new_connection(self) -> None:
        while self._qserver.hasPendingConnections():
            socket = self._qserver.nextPendingConnection()
            if socket is None:
                break
            connection = Connection(
                socket, max_packet=self.limits.max_packet, max_pending=self.limits.max_pending,
                parent=self,
            )
            client = ServerClient(self, connection, self._next_id, self.clock())
            self._next_id += 1
            self._clients[connection] = client
            connection.packet_received.connect(lambda p, c=client: self._on_packet(c, p))
            connection.closed.connect(lambda c=client: self._on_closed(c))
            connection.drained.connect(client._on_drained)
            if len(self._clients) > self.limits.max_connections:
                log.warning("refusing connection %s: %d connections in use",
                            client.id, len(self._clients) - 1)
                self._refuse(client, None, Overloaded(
                    f"the server has {self.limits.max_connections} connections already"))
                continue
            self._update_busy()

    def _on_closed(self, client: ServerClient) -> None:
        if client.state is ClientState.CLOSED:
            return
        was_ready = client.state is ClientState.READY
        client.state = ClientState.CLOSED
        self._clients.pop(client.connection, None)
        client._held.clear()
        if was_ready:
            self._forget(client)
        emit(self.client_gone, client)
        self._release(client.connection)
        self._update_busy()

    def _release(self, connection: Connection) -> None:
        # Break the signal links (their lambdas hold the client) and let Python free the
        # closed connection -- but not now: we are inside its socket's disconnected()
        # emission, and freeing the socket there corrupts the heap. It waits in
        # ``_graveyard`` until the next tick. (deleteLater() crashed PySide6 6.12 too.)
        for signal in (connection.packet_received, connection.closed, connection.drained):
            disconnect_all(signal)
        connection.setParent(None)
        self._graveyard.append(connection)

    def _forget(self, client: ServerClient) -> None:
        try:
            self.handler.client_closed(client)
        except Exception:
            log.exception("handler.client_closed failed for client %s", client.id)

    def _update_busy(self) -> None:
        in_use = len(self._clients)
        limit = self.limits.max_connections
        if not self._busy and in_use >= self.limits.busy_on * limit:
            self._busy = True
        elif self._busy and in_use < self.limits.busy_off * limit:
            self._busy = False
        else:
            return
        log.info("server busy=%s with %d of %d connections", self._busy, in_use, limit)
        self.broadcast(MsgType.SERVER_BUSY, {
            "busy": self._busy, "connections": in_use, "limit": limit,
            "reason": "connections" if self._busy else "", "retry_after": 1.0,
        })
        emit(self.busy_changed, self._busy)

    # -- packets ------------------------------------------------------------------------
    def _on_packet(self, client: ServerClient, packet: Packet) -> None:
        if client.state in (ClientState.CLOSING, ClientState.CLOSED):
            return
        now = self.clock()
        client.last_rx = now
        if client.state is ClientState.HANDSHAKE:
            self._handshake(client, packet)
            return
        if packet.type == MsgType.PING:
            seq = packet.payload.get("seq", 0) if isinstance(packet.payload, dict) else 0
            self._send(client, notification(MsgType.PONG, {"seq": seq}))
            return
        if packet.type == MsgType.PONG:
            return
        if packet.request_id == 0:
            self._on_client_notification(client, packet)
            return
        client.last_request = now
        try:
            kind = kind_of(packet.type)
            if kind != "request" or packet.type == MsgType.HELLO:
                raise Unsupported(f"message type {packet.type} is not a request here")
            if not client.requests.try_take(1):
                client.rate_limited += 1
                raise Overloaded("too many requests: rate limited")
            payload = validate(packet.type, packet.payload)
            if packet.type == MsgType.SESSION_WRITE and not client.input.try_take(
                len(payload["data"])
            ):
                client.rate_limited += 1
                raise Overloaded("too much input: rate limited")
        except IpcError as err:
            with correlation(packet.correlation_id or None):
                level = logging.DEBUG if isinstance(err, Overloaded) else logging.INFO
                log.log(level, "request %s from client %s refused: %s", packet.type,
                        client.id, err.detail)
            self._send(client, error_reply(packet, err))
            return
        self._dispatch(client, Packet(packet.type, packet.request_id,
                                      packet.correlation_id, payload))

    def _on_client_notification(self, client: ServerClient, packet: Packet) -> None:
        if not client.requests.try_take(1):  # notifications share the request budget
            client.rate_limited += 1
            return
        try:
            if kind_of(packet.type) != "notification":
                raise Unsupported(f"type {packet.type} needs a request id")
            payload = validate(packet.type, packet.payload)
            self.handler.handle(client, Packet(packet.type, 0, "", payload))
        except IpcError as err:
            log.info("notification %s from client %s ignored: %s",
                     packet.type, client.id, err.detail)
        except Exception:
            log.exception("handler failed on notification %s from client %s",
                          packet.type, client.id)

    def _handshake(self, client: ServerClient, packet: Packet) -> None:
        if packet.type != MsgType.HELLO or packet.request_id == 0:
            self._refuse(client, packet if packet.request_id else None,
                         ProtocolError("the first packet must be hello"))
            return
        try:
            payload = validate(MsgType.HELLO, packet.payload)
            version = negotiate(payload["version"], PROTOCOL_VERSION)
        except IpcError as err:
            self._refuse(client, packet, err)
            return
        uid = security.peer_uid(client.connection.socket_descriptor())
        client.uid = uid
        wrong_uid = self._expected_uid is not None and uid is not None and (
            uid != self._expected_uid
        )
        if wrong_uid or not security.tokens_equal(payload["token"], self._token):
            log.warning("client %s refused: %s", client.id,
                        f"peer uid {uid}" if wrong_uid else "wrong token")
            self._refuse(client, packet, Unauthorized())
            return
        others = len(self._clients) - 1
        if payload["kind"] != "gui" and others >= self.limits.non_gui_limit:
            log.warning("refusing %s client %s: %d connections in use (reserve for GUIs)",
                        payload["kind"], client.id, others)
            self._refuse(client, packet, Overloaded(
                f"{others} connections in use; the rest are kept for windows"))
            return
        client.kind = payload["kind"]
        client.pid = payload["pid"]
        client.version = version
        client.state = ClientState.READY
        client.last_request = self.clock()
        self._send(client, reply(packet, {**hello_reply_payload(version, os.getpid()),
                                          "client": client.id}))
        log.info("client %s ready: %s pid %s", client.id, client.kind, client.pid)
        if self._busy:
            self.notify(client, MsgType.SERVER_BUSY, {
                "busy": True, "connections": len(self._clients),
                "limit": self.limits.max_connections, "reason": "connections",
                "retry_after": 1.0,
            })
        emit(self.client_ready, client)

    def _dispatch(self, client: ServerClient, packet: Packet) -> None:
        with correlation(packet.correlation_id or None) as cid:
            try:
                result = self.handler.handle(client, packet)
            except Exception as exc:
                self._answer_error(client, packet, exc, cid)
                return
            if inspect.isawaitable(result):
                # Only a handler written as a coroutine needs asyncio (the worker's are
                # plain functions), so it is imported here: ~20 ms and ~2 MB otherwise.
                import asyncio

                task = asyncio.ensure_future(result)
                self._tasks.add(task)
                task.add_done_callback(lambda t: self._on_task_done(client, packet, cid, t))
                return
        self._answer(client, packet, result)

    def _on_task_done(
        self, client: ServerClient, packet: Packet, cid: str, task: asyncio.Future[Any]
    ) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        with correlation(cid):
            if exc is not None:
                self._answer_error(client, packet, exc, cid)
            else:
                self._answer(client, packet, task.result())

    def _answer(self, client: ServerClient, packet: Packet, payload: Any) -> None:
        if client.state is not ClientState.READY:
            log.info("reply to request %s dropped: client %s is gone", packet.request_id,
                     client.id)
            return
        try:
            data = reply(packet, payload)
            encode(data)
        except IpcError as exc:  # the handler returned something the wire cannot carry
            self._answer_error(client, packet, exc, packet.correlation_id)
            return
        self._send(client, data)

    def _answer_error(
        self, client: ServerClient, packet: Packet, exc: BaseException, cid: str
    ) -> None:
        if isinstance(exc, IpcError) and not isinstance(exc, ProtocolError):
            err = exc.with_correlation_id(cid)
            log.info("request %s failed: %s", packet.type, err.detail)
        else:
            log.error("internal error handling request type %s (cid %s)", packet.type, cid,
                      exc_info=(type(exc), exc, exc.__traceback__))
            err = RemoteError("internal error", correlation_id=cid)
        if client.state is ClientState.READY:
            self._send(client, error_reply(packet, err))

    # -- time ---------------------------------------------------------------------------
    def tick(self) -> None:
        """Check every deadline against the clock (the ``ipc-server-tick`` timer)."""
        now = self.clock()
        limits = self.limits
        self._graveyard.clear()
        for client in list(self._clients.values()):
            if client.state is ClientState.HANDSHAKE:
                if now - client.accepted_at >= limits.handshake_timeout:
                    self.drop(client, "no valid hello in time")
            elif client.state is ClientState.CLOSING:
                if now - client.closing_since >= limits.close_grace:
                    self.drop(client, "last bytes not read")
            elif client.state is ClientState.READY:
                self._check_ready(client, now)
        last = self._status.rss_sampled_at
        if last is None or now - last >= limits.memory_sample_every:
            self.sample_memory()

    def _check_ready(self, client: ServerClient, now: float) -> None:
        limits = self.limits
        silent = now - client.last_rx
        if silent >= limits.dead_after:
            self.drop(client, f"no traffic for {silent:.0f} s")
            return
        if silent >= limits.ping_after and now - client.last_ping >= limits.ping_after:
            client.last_ping = now
            if not self._send(client, notification(MsgType.PING, {"seq": int(now)})):
                return
        if now - client.last_request >= limits.idle_timeout and not self._attached(client):
            self.drop(client, f"idle for {now - client.last_request:.0f} s")
            return
        client._on_drained(client.connection.pending_bytes)

    def _attached(self, client: ServerClient) -> bool:
        try:
            return bool(self.handler.has_attached_sessions(client))
        except Exception:
            log.exception("handler.has_attached_sessions failed; keeping client %s", client.id)
            return True
