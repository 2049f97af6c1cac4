"""Packets over a ``QLocalSocket``: incremental reading, bounded writing.

``Connection`` wraps one socket, on either side. Reading: every ``readyRead`` feeds
whatever arrived to an ``ipc.framing.Decoder``, so a packet split at any byte, or a
thousand packets in one chunk, come out whole; a malformed or oversize packet emits
``error`` and closes this connection only. Writing: Qt buffers writes without limit, so
``Connection`` keeps its own queue and hands Qt at most ``QT_CHUNK`` bytes beyond what it
already holds; ``pending_bytes`` (Qt's ``bytesToWrite()`` plus the queue) is the exact
count of bytes this process holds for the peer, and ``send`` refuses a packet that would
push it over ``max_pending``. The caller decides what a refusal means (drop a screen frame,
or close a client that does not read).

What it does not do: no handshake, no timers, no limits beyond one connection's buffers
(``ipc.server`` and ``ipc.client`` do those).
"""

from __future__ import annotations

import ctypes
import logging
import sys
from collections import deque
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal, SignalInstance
from PySide6.QtNetwork import QLocalSocket

from ipc.errors import IpcError, ProtocolError, Unavailable
from ipc.framing import MAX_PACKET, Decoder, Packet, encode

__all__ = ["DEFAULT_MAX_PENDING", "QT_CHUNK", "Channel", "Connection", "disconnect_all", "emit"]

log = logging.getLogger(__name__)

DEFAULT_MAX_PENDING = 8 * 1024 * 1024
# How far ahead of the kernel Qt may buffer; the rest waits in our own queue, where it is
# counted and can be refused.
QT_CHUNK = 256 * 1024

_UNAVAILABLE_ERRORS = {
    QLocalSocket.LocalSocketError.ServerNotFoundError,
    QLocalSocket.LocalSocketError.ConnectionRefusedError,
    QLocalSocket.LocalSocketError.SocketAccessError,
    QLocalSocket.LocalSocketError.SocketTimeoutError,
}


class _Probe(QObject):
    ping = Signal()


def _emit_drops_a_bool_reference() -> bool:
    """Whether ``SignalInstance.emit`` returns its bool without a new reference.

    PySide6 6.12.0 does: every ``emit()`` whose result is discarded takes one reference
    from ``True``, and after a few hundred emits CPython aborts with "bool_dealloc:
    deallocating True or False". Measured, not assumed, so a fixed PySide needs nothing.
    """
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(_PROBES):
        probe.ping.emit()
    # Other threads may move the count a little meanwhile; the bug moves it by _PROBES.
    return sys.getrefcount(True) - before <= -_PROBES // 2


_PROBES = 64
_EMIT_DROPS_BOOL = _emit_drops_a_bool_reference()
_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = [ctypes.py_object]
if _EMIT_DROPS_BOOL:  # give back what the probe took
    for _ in range(_PROBES):
        _incref(True)


def emit(signal: SignalInstance, *args: Any) -> None:
    """``signal.emit(*args)``, working around PySide6 6.12.0 dropping a reference to the
    bool it returns (see ``_emit_drops_a_bool_reference``). Use it for every emit."""
    result: object = signal.emit(*args)  # type: ignore[func-returns-value]
    if _EMIT_DROPS_BOOL and isinstance(result, bool):
        _incref(result)


def disconnect_all(signal: SignalInstance, slot: Any = None) -> None:
    """``signal.disconnect()`` (or ``signal.disconnect(slot)``), with the same workaround
    as ``emit``: its bool result loses a reference too on PySide6 6.12.0."""
    result: object = signal.disconnect() if slot is None else signal.disconnect(slot)
    if _EMIT_DROPS_BOOL and isinstance(result, bool):
        _incref(result)


class Channel(Protocol):
    """What ``ipc.client.Client`` needs of its transport (the seam for fakes).

    ``Connection`` is the real one; a fake needs the same signals and methods.
    """

    packet_received: SignalInstance
    closed: SignalInstance
    error: SignalInstance
    connected: SignalInstance

    def connect_to(self, name: str) -> None: ...
    def send(self, packet: Packet) -> bool: ...
    def close(self, *, flush: bool = False) -> None: ...

    @property
    def is_open(self) -> bool: ...


class Connection(QObject):
    """One local-socket connection carrying packets.

    Signals: ``packet_received(Packet)``, ``error(IpcError)`` (then ``closed``),
    ``closed()`` (once), ``connected()`` (client side), ``drained(int)`` when bytes left
    the process (with the new ``pending_bytes``).
    """

    packet_received = Signal(object)
    error = Signal(object)
    closed = Signal()
    connected = Signal()
    drained = Signal(int)

    def __init__(
        self,
        socket: QLocalSocket | None = None,
        *,
        max_packet: int = MAX_PACKET,
        max_pending: int = DEFAULT_MAX_PENDING,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._socket = socket if socket is not None else QLocalSocket()
        self._socket.setParent(self)
        self._decoder = Decoder(max_packet)
        self.max_pending = max_pending
        self._queue: deque[bytes] = deque()
        self._queued = 0
        self._closed = False
        self._closing = False
        self.bytes_received = 0
        self.bytes_sent = 0
        self._socket.readyRead.connect(self._on_ready_read)
        self._socket.bytesWritten.connect(self._on_bytes_written)
        self._socket.disconnected.connect(self._on_disconnected)
        self._socket.errorOccurred.connect(self._on_socket_error)
        self._socket.connected.connect(self.connected)

    # -- state --------------------------------------------------------------------------
    @property
    def socket(self) -> QLocalSocket:
        return self._socket

    @property
    def is_open(self) -> bool:
        return not self._closed and not self._closing

    @property
    def pending_bytes(self) -> int:
        """Bytes held for the peer: Qt's write buffer plus our own queue."""
        if self._closed:
            return 0
        return int(self._socket.bytesToWrite()) + self._queued

    def socket_descriptor(self) -> int:
        """The OS handle (fd on POSIX), -1 when not connected. Do not close it."""
        return int(self._socket.socketDescriptor())

    # -- client side --------------------------------------------------------------------
    def connect_to(self, name: str) -> None:
        """Start connecting; ``connected`` or ``error(Unavailable)`` + ``closed`` follow.

        An absent server (no socket file, connection refused) fails at once, not after a
        timeout: the OS answers a local connect immediately.
        """
        self._socket.connectToServer(name)

    # -- writing ------------------------------------------------------------------------
    def send(self, packet: Packet) -> bool:
        """Queue ``packet``; False (and nothing queued) if closed or over ``max_pending``.

        Raises ``ProtocolError`` if the packet cannot be encoded (a caller's bug).
        """
        data = encode(packet)
        return self.send_bytes(data)

    def send_bytes(self, data: bytes) -> bool:
        """Queue already-encoded bytes, with the same accounting as ``send``."""
        if not self.is_open:
            return False
        if self.pending_bytes + len(data) > self.max_pending:
            return False
        self._queue.append(data)
        self._queued += len(data)
        self._pump()
        return True

    def _pump(self) -> None:
        socket = self._socket
        while self._queue and socket.bytesToWrite() < QT_CHUNK:
            data = self._queue.popleft()
            self._queued -= len(data)
            written = socket.write(data)
            if written != len(data):  # the socket is gone; the error/disconnect follows
                self._queue.clear()
                self._queued = 0
                return
        # Hand the bytes to the kernel now rather than on the next pass of the event loop,
        # which under a flood comes only after another batch of output is parsed.
        socket.flush()

    def _on_bytes_written(self, count: int) -> None:
        self.bytes_sent += count
        self._pump()
        if self._closing and not self._queue:
            self._socket.disconnectFromServer()
        emit(self.drained, self.pending_bytes)

    # -- reading ------------------------------------------------------------------------
    def _on_ready_read(self) -> None:
        if self._closed:
            return
        data = bytes(self._socket.readAll().data())
        self.bytes_received += len(data)
        try:
            packets = self._decoder.feed(data)
        except ProtocolError as exc:
            log.warning("closing connection: %s", exc.detail)
            emit(self.error, exc)
            self.close()
            return
        for packet in packets:
            if self._closed:
                break
            emit(self.packet_received, packet)

    # -- closing ------------------------------------------------------------------------
    def close(self, *, flush: bool = False) -> None:
        """Close now (``flush=False``), or after the queued bytes are written."""
        if self._closed:
            return
        if flush and self._socket.state() == QLocalSocket.LocalSocketState.ConnectedState:
            self._closing = True
            if not self._queue:
                self._socket.disconnectFromServer()
            return
        self._queue.clear()
        self._queued = 0
        self._socket.abort()
        self._finish()

    def _on_disconnected(self) -> None:
        self._finish()

    def _on_socket_error(self, code: QLocalSocket.LocalSocketError) -> None:
        if self._closed:
            return
        if code == QLocalSocket.LocalSocketError.PeerClosedError:
            # The peer hung up: disconnected() follows (or already came).
            if self._socket.state() == QLocalSocket.LocalSocketState.UnconnectedState:
                self._finish()
            return
        err: IpcError
        if code in _UNAVAILABLE_ERRORS:
            err = Unavailable(f"local socket: {self._socket.errorString()}")
        else:
            err = Unavailable(f"local socket error {code}: {self._socket.errorString()}")
        emit(self.error, err)
        if self._socket.state() != QLocalSocket.LocalSocketState.ConnectedState:
            self._finish()  # a failed connect: no disconnected() will come

    def _finish(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._closing = False
        self._queue.clear()
        self._queued = 0
        emit(self.closed)
