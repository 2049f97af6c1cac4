"""Connection over real QLocalSockets: incremental decoding, bounded writes, bad packets."""

from __future__ import annotations

import socket
import struct
import sys
from collections.abc import Iterator

import ipc_helpers as h  # a unique name: other test folders have helpers too
import pytest
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from pytestqt.qtbot import QtBot

from ipc.errors import ProtocolError
from ipc.framing import Packet, encode
from ipc.transport import Connection

raw_connect = h.raw_connect
short_socket_name = h.short_socket_name


class Pair:
    """A listening QLocalServer; every accepted socket becomes a recording Connection."""

    def __init__(self, qtbot: QtBot, *, max_packet: int = 1 << 20) -> None:
        self.qtbot = qtbot
        self.name = short_socket_name()
        self.server = QLocalServer()
        assert self.server.listen(self.name), self.server.errorString()
        self.server.newConnection.connect(self._accept)
        self.max_packet = max_packet
        self.accepted: list[Connection] = []
        self.received: dict[int, list[Packet]] = {}
        self.errors: dict[int, list[object]] = {}
        self.ready_reads = 0

    def _accept(self) -> None:
        while self.server.hasPendingConnections():
            sock = self.server.nextPendingConnection()
            index = len(self.accepted)
            conn = Connection(sock, max_packet=self.max_packet)
            self.received[index] = []
            self.errors[index] = []
            conn.packet_received.connect(self.received[index].append)
            conn.error.connect(self.errors[index].append)
            sock.readyRead.connect(self._count)
            self.accepted.append(conn)

    def _count(self) -> None:
        self.ready_reads += 1

    def wait_accepted(self, count: int) -> None:
        self.qtbot.waitUntil(lambda: len(self.accepted) >= count, timeout=5000)

    def close(self) -> None:
        for conn in self.accepted:
            conn.close()
        self.server.close()


@pytest.fixture
def pair(qtbot: QtBot) -> Iterator[Pair]:
    p = Pair(qtbot)
    yield p
    p.close()


def small(i: int) -> Packet:
    return Packet(4, 0, "", {"seq": i})


def test_thousand_small_packets_in_few_reads_all_decode(pair: Pair, qtbot: QtBot) -> None:
    raw = raw_connect(pair.name)
    pair.wait_accepted(1)
    raw.sendall(b"".join(encode(small(i)) for i in range(1000)))
    qtbot.waitUntil(lambda: len(pair.received[0]) == 1000, timeout=5000)
    assert [p.payload["seq"] for p in pair.received[0]] == list(range(1000))
    assert pair.ready_reads < 100
    raw.close()


def test_packets_split_at_every_byte_decode(pair: Pair, qtbot: QtBot) -> None:
    raw = raw_connect(pair.name)
    pair.wait_accepted(1)
    conn = pair.accepted[0]
    data = encode(Packet(10, 7, "abc123", {"argv": ["sh"], "title": "t"})) + encode(small(1))
    for i, byte in enumerate(data):
        raw.sendall(bytes([byte]))
        qtbot.waitUntil(lambda i=i: conn.bytes_received == i + 1, timeout=2000)
    assert pair.received[0] == [Packet(10, 7, "abc123", {"argv": ["sh"], "title": "t"}), small(1)]
    raw.close()


def test_oversize_packet_closes_only_that_connection(pair: Pair, qtbot: QtBot) -> None:
    bad = raw_connect(pair.name)
    good = raw_connect(pair.name)
    pair.wait_accepted(2)
    bad.sendall(struct.pack(">I", 1 << 30) + b"x" * 16)
    qtbot.waitUntil(lambda: not pair.accepted[0].is_open, timeout=3000)
    assert isinstance(pair.errors[0][0], ProtocolError)
    bad.settimeout(2)
    assert bad.recv(1) == b""  # the server closed it
    good.sendall(encode(small(5)))
    qtbot.waitUntil(lambda: pair.received[1] == [small(5)], timeout=3000)
    assert pair.accepted[1].is_open
    assert pair.accepted[1].send(small(6))
    qtbot.waitUntil(lambda: pair.accepted[1].pending_bytes == 0, timeout=3000)
    good.settimeout(2)
    assert good.recv(100) == encode(small(6))
    bad.close()
    good.close()


def test_malformed_payload_closes_the_connection(pair: Pair, qtbot: QtBot) -> None:
    raw = raw_connect(pair.name)
    pair.wait_accepted(1)
    body = struct.pack(">HIB", 4, 0, 0) + b"\xc1"  # 0xc1 is never valid msgpack
    raw.sendall(struct.pack(">I", len(body)) + body)
    qtbot.waitUntil(lambda: not pair.accepted[0].is_open, timeout=3000)
    assert isinstance(pair.errors[0][0], ProtocolError)
    raw.close()


def test_writes_to_a_peer_that_never_reads_are_bounded(pair: Pair, qtbot: QtBot) -> None:
    raw = raw_connect(pair.name)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    pair.wait_accepted(1)
    conn = pair.accepted[0]
    conn.max_pending = 1 << 20
    chunk = Packet(40, 0, "", {"blob": b"x" * 60_000})
    sent = 0
    while conn.send(chunk):
        sent += 1
        assert sent < 1000
        qtbot.wait(1)
    assert conn.pending_bytes <= conn.max_pending
    assert conn.is_open  # refusing a packet is the caller's business, not a close
    raw.close()


def test_client_side_connect_and_round_trip(pair: Pair, qtbot: QtBot) -> None:
    client = Connection()
    got: list[Packet] = []
    client.packet_received.connect(got.append)
    with qtbot.waitSignal(client.connected, timeout=3000):
        client.connect_to(pair.name)
    pair.wait_accepted(1)
    assert client.send(small(1))
    qtbot.waitUntil(lambda: pair.received[0] == [small(1)], timeout=3000)
    assert pair.accepted[0].send(small(2))
    qtbot.waitUntil(lambda: got == [small(2)], timeout=3000)
    with qtbot.waitSignal(client.closed, timeout=3000):
        pair.accepted[0].close(flush=True)
    assert not client.is_open


def test_connect_to_absent_server_fails_at_once(qtbot: QtBot) -> None:
    client = Connection()
    errors: list[object] = []
    client.error.connect(errors.append)
    with qtbot.waitSignal(client.closed, timeout=500):
        client.connect_to(short_socket_name())
    assert errors and errors[0].kind == "unavailable"  # type: ignore[attr-defined]
    assert client.socket.state() == QLocalSocket.LocalSocketState.UnconnectedState


def test_emit_and_disconnect_leave_the_refcount_of_true_alone(qtbot: QtBot) -> None:
    """PySide6 6.12.0 drops a reference to True per emit()/disconnect(); the wrappers
    give it back (without them CPython aborts after a few hundred emits)."""
    from PySide6.QtCore import QObject, Signal

    from ipc.transport import disconnect_all, emit

    class Source(QObject):
        fired = Signal(object)

    source = Source()
    got: list[int] = []
    before = sys.getrefcount(True)
    for i in range(500):
        link = source.fired.connect(got.append)
        emit(source.fired, i)
        disconnect_all(source.fired, link)
    assert got == list(range(500))
    assert abs(sys.getrefcount(True) - before) < 50
