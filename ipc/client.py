"""The GUI's (and CLI's) side of the wire: one connection, calls with fallbacks.

``Client`` opens a channel (``ipc.transport.Connection`` unless ``channel_factory`` gives
another), sends ``hello`` and then carries calls. Every call:

* goes through its channel's circuit breaker (``ipc.breaker.Breakers``: ``control``,
  ``input``, ``query``; the message type picks the channel unless the caller does);
* has a deadline (the caller's ``timeout``, else the channel's adaptive timeout), checked
  against the injected ``clock`` by ``tick()`` (the ``ipc-client-deadlines`` timer);
* declares a ``fallback``: ``call``/``call_cb`` return it when the breaker is open, the
  call times out, the worker is unavailable or answers with an error. The error is kept
  (``last_error``, with ``user_message()`` and the correlation id) and signalled
  (``error_occurred``), never raised into the UI. ``call_or_raise`` raises instead.

A reply that comes after its call timed out is dropped and logged. An absent worker (no
socket file, connection refused) fails calls at once, not after a timeout. Pings are
answered with pongs; other notifications come out of the ``notification(int, object)``
signal. Reconnecting is the supervisor's job: the client says ``connected``,
``disconnected`` and ``state``, and ``open()`` may be called again after a loss.

Async use (qasync): ``await client.call(...)`` -- futures of the running loop, which
under qasync is the Qt loop. Callback use: ``client.call_cb(type, payload, callback,
fallback=...)``, no asyncio needed: asyncio (which loads ssl, ~7 MB and ~20 ms) is
imported by the async methods only, so a process that uses callbacks never pays for it.

What it does not do: no retries, no reconnects, no caching of fallbacks (callers say what
their fallback is: a cached session list, an empty search).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import QObject, QTimer, Signal

from ipc import ids
from ipc.breaker import Breakers, Permit
from ipc.errors import (
    CallTimeout,
    Cancelled,
    CircuitOpen,
    IpcError,
    ProtocolError,
    Unavailable,
)
from ipc.framing import Packet
from ipc.logs import current_correlation_id
from ipc.messages import (
    ClientKind,
    MsgType,
    channel_of,
    error_of,
    hello_payload,
    notification,
    request,
)
from ipc.transport import Channel, Connection, disconnect_all, emit

__all__ = ["Client", "ClientState"]

if TYPE_CHECKING:
    import asyncio

log = logging.getLogger(__name__)

Done = Callable[[IpcError | None, Any], None]


class ClientState(StrEnum):
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    HANDSHAKE = "handshake"
    READY = "ready"
    CLOSED = "closed"  # close() was called; open() may start again


@dataclass(slots=True)
class _Call:
    packet: Packet
    channel: str
    permit: Permit | None  # None for the hello, which no breaker guards
    started: float
    deadline: float
    done: Done
    sent: bool = False


class Client(QObject):
    """See the module docstring."""

    connected = Signal()
    disconnected = Signal()
    notification = Signal(int, object)
    error_occurred = Signal(object)  # IpcError
    state_changed = Signal(str)

    def __init__(
        self,
        socket_name: str,
        *,
        token: str,
        kind: ClientKind | str = ClientKind.GUI,
        channel_factory: Callable[[], Channel] | None = None,
        clock: Callable[[], float] = time.monotonic,
        breakers: Breakers | None = None,
        handshake_timeout: float = 5.0,
        tick_interval: float = 0.05,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.socket_name = socket_name
        self.kind = str(kind)
        self._token = token
        self._channel_factory = channel_factory or cast(Callable[[], Channel], Connection)
        self.clock = clock
        self.breakers = breakers if breakers is not None else Breakers(clock=clock)
        self.handshake_timeout = handshake_timeout
        self._state = ClientState.DISCONNECTED
        self._channel: Channel | None = None
        self._calls: dict[int, _Call] = {}
        self._hello_id = 0
        self.last_error: IpcError | None = None
        self.server_info: dict[str, Any] = {}
        self.late_replies = 0
        self._pending_loss: IpcError | None = None
        self.deadline_timer = QTimer(self)
        self.deadline_timer.setObjectName("ipc-client-deadlines")
        self.deadline_timer.setInterval(int(tick_interval * 1000))
        self.deadline_timer.timeout.connect(self.tick)

    # -- state --------------------------------------------------------------------------
    @property
    def state(self) -> ClientState:
        return self._state

    @property
    def is_ready(self) -> bool:
        return self._state is ClientState.READY

    @property
    def token(self) -> str:
        """The token this client says hello with (a supervisor compares it with the token
        file to notice a new worker)."""
        return self._token

    def _set_state(self, state: ClientState) -> None:
        if state is not self._state:
            self._state = state
            emit(self.state_changed, str(state))

    # -- connecting ---------------------------------------------------------------------
    def open(self) -> None:
        """Connect and say hello; ``connected`` or ``disconnected`` follows. Calls made
        meanwhile wait (within their deadlines) for the handshake."""
        if self._state in (ClientState.CONNECTING, ClientState.HANDSHAKE, ClientState.READY):
            return
        channel = self._channel_factory()
        self._channel = channel
        channel.packet_received.connect(lambda p, ch=channel: self._on_packet(ch, p))
        channel.closed.connect(lambda ch=channel: self._on_closed(ch))
        channel.error.connect(lambda err, ch=channel: self._on_channel_error(ch, err))
        channel.connected.connect(lambda ch=channel: self._on_connected(ch))
        self._set_state(ClientState.CONNECTING)
        self.deadline_timer.start()
        channel.connect_to(self.socket_name)

    async def wait_ready(self, timeout: float | None = None) -> bool:
        """``open()`` and wait until ready (True) or failed (False)."""
        self.open()
        if self.is_ready:
            return True
        import asyncio  # only the async API needs it (~7 MB with ssl): see the module doc

        loop = asyncio.get_running_loop()
        ready: asyncio.Future[bool] = loop.create_future()

        def settle(value: bool) -> None:
            if not ready.done():
                ready.set_result(value)

        on_up = self.connected.connect(lambda: settle(True))
        on_down = self.disconnected.connect(lambda: settle(False))
        try:
            return await asyncio.wait_for(ready, timeout)
        except TimeoutError:
            return False
        finally:
            disconnect_all(self.connected, on_up)
            disconnect_all(self.disconnected, on_down)

    def close(self) -> None:
        """Hang up; pending calls get ``Cancelled`` (their fallbacks)."""
        channel = self._channel
        self._fail_all(Cancelled("the client was closed"))
        if channel is not None:
            self._channel = None
            channel.close()
            self._retire(channel)
        self.deadline_timer.stop()
        was_up = self._state is not ClientState.DISCONNECTED
        self._set_state(ClientState.CLOSED)
        if was_up:
            emit(self.disconnected)

    def _on_connected(self, channel: Channel) -> None:
        if channel is not self._channel:
            return
        self._set_state(ClientState.HANDSHAKE)
        now = self.clock()
        packet = request(MsgType.HELLO, hello_payload(self.kind, self._token, os.getpid()),
                         ids.new_correlation_id())
        self._hello_id = packet.request_id
        self._calls[packet.request_id] = _Call(
            packet, "control", None, now, now + self.handshake_timeout, self._on_hello
        )
        self._write(self._calls[packet.request_id])

    def _on_hello(self, err: IpcError | None, payload: Any) -> None:
        self._hello_id = 0
        if err is not None:
            self._record(err, "hello")
            self._lose(err)
            return
        self.server_info = payload if isinstance(payload, dict) else {}
        self._set_state(ClientState.READY)
        log.info("connected to %s (server pid %s)", self.socket_name,
                 self.server_info.get("pid"))
        for call in list(self._calls.values()):
            if not call.sent:
                self._write(call)
        emit(self.connected)

    def _on_channel_error(self, channel: Channel, err: IpcError) -> None:
        if channel is self._channel:
            log.info("channel to %s: %s", self.socket_name, err.detail)
            self._pending_loss = err

    def _on_closed(self, channel: Channel) -> None:
        if channel is not self._channel:
            return
        err = self._pending_loss or Unavailable("connection lost")
        self._pending_loss = None
        self._lose(err)

    def _lose(self, err: IpcError) -> None:
        channel, self._channel = self._channel, None
        if channel is not None:
            channel.close()
            self._retire(channel)
        self._fail_all(err)
        self.deadline_timer.stop()
        if self._state is not ClientState.DISCONNECTED:
            self._set_state(ClientState.DISCONNECTED)
            emit(self.disconnected)

    def _retire(self, channel: Channel) -> None:
        # Its signals' lambdas hold the channel, so it would live for ever; cut them from
        # the event loop, not now: we may be inside one of its socket's emissions, and
        # freeing the socket there corrupts the heap (see ipc.server._release).
        def cut() -> None:
            for signal in (channel.packet_received, channel.closed, channel.error,
                           channel.connected):
                disconnect_all(signal)

        QTimer.singleShot(0, cut)

    # -- calling ------------------------------------------------------------------------
    def call_cb(
        self,
        msg_type: int,
        payload: Any,
        callback: Callable[[Any], None],
        *,
        fallback: Any,
        channel: str | None = None,
        timeout: float | None = None,
        correlation_id: str | None = None,
    ) -> None:
        """Call and hand ``callback`` the reply payload, or ``fallback`` on any failure
        (recorded in ``last_error`` and signalled). The callback may run before this
        returns (breaker open, not connected)."""

        def done(err: IpcError | None, value: Any) -> None:
            if err is not None:
                self._record(err, _name(msg_type))
                value = fallback
            try:
                callback(value)
            except Exception:
                log.exception("callback of %s failed", _name(msg_type))

        self._start(msg_type, payload, done, channel, timeout, correlation_id)

    async def call(
        self,
        msg_type: int,
        payload: Any,
        *,
        fallback: Any,
        channel: str | None = None,
        timeout: float | None = None,
        correlation_id: str | None = None,
    ) -> Any:
        """The reply payload, or ``fallback`` on any failure (recorded and signalled)."""
        try:
            return await self.call_or_raise(msg_type, payload, channel=channel,
                                            timeout=timeout, correlation_id=correlation_id)
        except IpcError as err:
            self._record(err, _name(msg_type))
            return fallback

    async def call_or_raise(
        self,
        msg_type: int,
        payload: Any,
        *,
        channel: str | None = None,
        timeout: float | None = None,
        correlation_id: str | None = None,
    ) -> Any:
        """The reply payload; raises the classified ``IpcError`` on failure."""
        import asyncio

        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()

        def done(err: IpcError | None, value: Any) -> None:
            if future.done():
                return
            if err is not None:
                future.set_exception(err)
            else:
                future.set_result(value)

        request_id = self._start(msg_type, payload, done, channel, timeout, correlation_id)
        if request_id:

            def forget_if_cancelled(f: asyncio.Future[Any]) -> None:
                if f.cancelled():
                    self._cancel(request_id)

            future.add_done_callback(forget_if_cancelled)
        return await future

    def _start(
        self,
        msg_type: int,
        payload: Any,
        done: Done,
        channel: str | None,
        timeout: float | None,
        correlation_id: str | None,
    ) -> int:
        cid = correlation_id or current_correlation_id() or ids.new_correlation_id()
        try:
            channel = channel or channel_of(msg_type)
        except IpcError:
            channel = "control"  # a type this client does not know: the server will say
        breaker = self.breakers[channel]
        permit = breaker.try_acquire()
        if permit is None:
            done(CircuitOpen(f"{channel} breaker is open; retry in "
                             f"{breaker.retry_after():.1f} s", correlation_id=cid), None)
            return 0
        if self._state not in (ClientState.CONNECTING, ClientState.HANDSHAKE,
                               ClientState.READY):
            err = Unavailable(f"not connected ({self._state})", correlation_id=cid)
            permit.failure(0.0, err)
            done(err, None)
            return 0
        now = self.clock()
        limit = timeout if timeout is not None else self.breakers.timeout(channel).current()
        packet = request(msg_type, payload, cid)
        call = _Call(packet, channel, permit, now, now + limit, done)
        self._calls[packet.request_id] = call
        if self._state is ClientState.READY:
            self._write(call)
        return packet.request_id

    def _write(self, call: _Call) -> None:
        channel = self._channel
        try:
            ok = channel is not None and channel.send(call.packet)
        except IpcError as err:  # the payload cannot be encoded: the caller's mistake
            self._finish(call.packet.request_id, err.with_correlation_id(
                call.packet.correlation_id), None)
            return
        if not ok:
            self._finish(call.packet.request_id, Unavailable(
                "the connection cannot take more", correlation_id=call.packet.correlation_id
            ), None)
            return
        call.sent = True

    def _finish(self, request_id: int, err: IpcError | None, value: Any) -> None:
        call = self._calls.pop(request_id, None)
        if call is None:
            return
        duration = self.clock() - call.started
        if call.permit is not None:
            if err is None:
                call.permit.success(duration)
                self.breakers.timeout(call.channel).observe(duration)
            elif isinstance(err, CallTimeout):
                call.permit.failure(duration, err)
                self.breakers.timeout(call.channel).observe_timeout(duration)
            else:
                call.permit.failure(duration, err)
        try:
            call.done(err, value)
        except Exception:
            log.exception("completion of request %s failed", request_id)

    def _cancel(self, request_id: int) -> None:
        call = self._calls.pop(request_id, None)
        if call is not None and call.permit is not None:
            call.permit.ignore()

    def _fail_all(self, err: IpcError) -> None:
        for request_id, call in list(self._calls.items()):
            cls = type(err)
            self._finish(request_id, cls(err.detail, correlation_id=call.packet.correlation_id),
                         None)

    def _record(self, err: IpcError, what: str) -> None:
        self.last_error = err
        # An open circuit is the breaker doing its job, and a call cancelled because the
        # client closed is what closing means: neither is worth a warning.
        level = logging.DEBUG if isinstance(err, CircuitOpen | Cancelled) else logging.WARNING
        log.log(level, "%s failed: %s: %s (ref %s)", what, err.kind.value, err.detail,
                err.correlation_id)
        emit(self.error_occurred, err)

    # -- receiving ----------------------------------------------------------------------
    def _on_packet(self, channel: Channel, packet: Packet) -> None:
        if channel is not self._channel:
            return
        if packet.type in (MsgType.REPLY, MsgType.ERROR):
            if packet.request_id == 0 and packet.type == MsgType.ERROR:
                # refused before the hello was read (the server is full)
                refusal = error_of(packet)
                self._record(refusal, "connect")
                self._lose(refusal)
                return
            if packet.request_id not in self._calls:
                self.late_replies += 1
                log.info("late reply to request %s dropped (ref %s)", packet.request_id,
                         packet.correlation_id)
                return
            err = error_of(packet) if packet.type == MsgType.ERROR else None
            self._finish(packet.request_id, err, packet.payload if err is None else None)
            return
        if self._state is not ClientState.READY:
            self._lose(ProtocolError(f"type {packet.type} before the hello reply"))
            return
        if packet.type == MsgType.PING:
            seq = packet.payload.get("seq", 0) if isinstance(packet.payload, dict) else 0
            channel.send(notification(MsgType.PONG, {"seq": seq}))
            return
        if packet.type == MsgType.PONG:
            return
        emit(self.notification, int(packet.type), packet.payload)

    # -- time ---------------------------------------------------------------------------
    def tick(self) -> None:
        """Fail the calls whose deadline passed (the ``ipc-client-deadlines`` timer)."""
        now = self.clock()
        for request_id, call in list(self._calls.items()):
            if now < call.deadline:
                continue
            waited = now - call.started
            err = CallTimeout(f"{_name(call.packet.type)}: no answer in {waited:.2f} s",
                              correlation_id=call.packet.correlation_id)
            if request_id == self._hello_id:
                self._calls.pop(request_id, None)
                self._record(err, "hello")
                self._lose(err)
                return
            self._finish(request_id, err, None)


def _name(msg_type: int) -> str:
    try:
        return MsgType(msg_type).name.lower()
    except ValueError:
        return f"type {msg_type}"
