"""A blocking client for short-lived callers: the CLI, scripts, benchmarks.

It speaks the same protocol as the GUI's ``ipc.client.Client`` (hello with a token, then
requests with correlation ids) over a ``QLocalSocket`` used through Qt's blocking
``waitFor...`` calls, so it needs no event loop and works with Windows named pipes too.
It has no circuit breaker: a CLI call either answers or fails with a classified
``IpcError`` whose ``user_message()`` is safe to print.

Notifications that arrive while waiting for a reply (frames of an attached session,
``session.exited``) are kept in ``notifications`` for the caller to read.
"""

from __future__ import annotations

import os
import time
from typing import Any

from PySide6.QtNetwork import QLocalSocket

from ipc import logs
from ipc.errors import CallTimeout, IpcError, ProtocolError, Unavailable
from ipc.framing import Decoder, Packet, encode
from ipc.messages import ClientKind, MsgType, error_of, hello_payload, notification, request


class BlockingClient:
    """Connect, ``call`` requests, ``close``. Raises ``IpcError`` subclasses only."""

    def __init__(
        self, socket_name: str, token: str, *, kind: ClientKind | str = ClientKind.CLI
    ) -> None:
        self.socket_name = socket_name
        self.token = token
        self.kind = str(kind)
        self.notifications: list[Packet] = []
        self.server_pid = 0
        self._socket = QLocalSocket()
        self._decoder = Decoder()
        self._packets: list[Packet] = []

    def connect(self, timeout: float = 2.0) -> BlockingClient:
        self._socket.connectToServer(self.socket_name)
        if not self._socket.waitForConnected(int(timeout * 1000)):
            raise Unavailable(
                f"no worker is listening ({self._socket.errorString()})",
            )
        reply = self.call(MsgType.HELLO, hello_payload(self.kind, self.token, os.getpid()),
                          timeout=timeout)
        self.server_pid = int(reply.get("pid", 0))
        return self

    def close(self) -> None:
        self._socket.abort()

    def __enter__(self) -> BlockingClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def notify(self, msg_type: int, payload: Any) -> None:
        self._write(encode(notification(msg_type, payload)))

    def call(self, msg_type: int, payload: Any, *, timeout: float = 5.0) -> dict[str, Any]:
        """Send a request and wait for its reply; raise the ``IpcError`` it failed with."""
        cid = logs.new_correlation_id()
        packet = request(msg_type, payload, cid)
        self._write(encode(packet))
        deadline = time.monotonic() + timeout
        while True:
            for i, got in enumerate(self._packets):
                if got.request_id == packet.request_id and got.type in (
                    MsgType.REPLY, MsgType.ERROR
                ):
                    del self._packets[i]
                    if got.type == MsgType.ERROR:
                        raise error_of(got)
                    return got.payload if isinstance(got.payload, dict) else {}
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise CallTimeout(f"no answer in {timeout:g} s", correlation_id=cid)
            self._read(remaining)

    def wait_notification(self, msg_type: int, timeout: float = 5.0) -> Packet | None:
        """The next notification of ``msg_type`` (kept ones first), or None on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            for i, got in enumerate(self.notifications):
                if got.type == msg_type:
                    return self.notifications.pop(i)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                self._read(remaining)
            except CallTimeout:
                return None

    # -- the socket ------------------------------------------------------------------------
    def _write(self, data: bytes) -> None:
        if self._socket.state() != QLocalSocket.LocalSocketState.ConnectedState:
            raise Unavailable("the connection to the worker is closed")
        self._socket.write(data)
        while self._socket.bytesToWrite() > 0:
            if not self._socket.waitForBytesWritten(5000):
                raise Unavailable(f"cannot write to the worker ({self._socket.errorString()})")

    def _read(self, timeout: float) -> None:
        if self._socket.bytesAvailable() <= 0 and not self._socket.waitForReadyRead(
            max(1, int(timeout * 1000))
        ):
            if self._socket.state() != QLocalSocket.LocalSocketState.ConnectedState:
                raise Unavailable("the worker closed the connection")
            raise CallTimeout(f"no answer in {timeout:g} s")
        data = bytes(self._socket.readAll().data())
        try:
            packets = self._decoder.feed(data)
        except ProtocolError:
            self.close()
            raise
        for got in packets:
            if got.request_id:
                self._packets.append(got)
            elif got.type == MsgType.PING:
                self.notify(MsgType.PONG, got.payload)
            else:
                self.notifications.append(got)


__all__ = ["BlockingClient", "IpcError"]
