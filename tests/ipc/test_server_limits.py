"""Server under abuse: a client that never reads, a stopped client process, a peer of
another uid, stale sockets and racing servers. Real sockets and processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ipc_helpers as h  # a unique name: other test folders have helpers too
import pytest
from PySide6.QtCore import QCoreApplication
from pytestqt.qtbot import QtBot

from ipc.framing import Packet, encode
from ipc.messages import MsgType
from ipc.server import Server, ServerLimits

TOKEN = "limits-test-token-0123456789"
MiB = 1024 * 1024


@pytest.fixture
def server(qtbot: QtBot) -> Iterator[Any]:
    clock = h.FakeClock()
    handler = h.RecordingHandler()
    srv = Server(h.short_socket_name(), handler=handler, token=TOKEN, clock=clock)
    assert srv.listen(), srv.listen_error
    srv.tick_timer.stop()
    srv.test_clock = clock  # type: ignore[attr-defined]
    srv.test_handler = handler  # type: ignore[attr-defined]
    yield srv
    srv.close()


def frame_wire(full: bool, size: int = 20_000) -> dict[str, Any]:
    return {"f": full, "l": [[0, "x" * size, 0]], "q": 1}


def pump(peers: list[Any]) -> None:
    QCoreApplication.processEvents()
    for peer in peers:
        peer.poll()


# -- output budget --------------------------------------------------------------------


def test_a_client_that_never_reads_is_coalesced_then_dropped(server: Any, qtbot: QtBot) -> None:
    slow = h.RawPeer(server.name, rcvbuf=4096)
    slow.hello(qtbot, TOKEN)
    fast = h.RawPeer(server.name)
    fast.hello(qtbot, TOKEN)
    slow_c, fast_c = server.clients
    budget = server.limits.output_budget
    peak = 0
    for _ in range(400):
        slow_c.send_frame("s1", frame_wire(False))
        assert fast_c.send_frame("s1", frame_wire(False))
        pump([fast])
        peak = max(peak, slow_c.pending_bytes)
    assert peak <= budget
    assert slow_c.coalescing
    assert slow_c.frames_dropped > 0
    assert slow_c.needs_full_frame("s1")
    assert not slow_c.send_frame("s1", frame_wire(False))  # a diff is refused now
    # the other client got every frame, in order, with no backpressure
    qtbot.waitUntil(lambda: (pump([fast]), len(fast.inbox) >= 400)[1], timeout=10_000)
    assert [p.type for p in fast.inbox] == [MsgType.FRAME] * 400
    assert not fast_c.coalescing and fast_c.frames_dropped == 0
    assert server.status()["slow_clients"] == 1
    # the slow client reads at last: the backpressure notice, then frames flow again
    qtbot.waitUntil(lambda: (pump([slow]), not slow_c.coalescing)[1], timeout=10_000)
    notice = slow.wait_type(qtbot, MsgType.BACKPRESSURE)
    assert notice.payload["paused"] is True
    slow.wait_for(qtbot, lambda p: p.type == MsgType.BACKPRESSURE
                  and p.payload["paused"] is False)
    qtbot.waitUntil(lambda: (pump([slow]), slow_c.pending_bytes == 0)[1], timeout=10_000)
    slow.inbox.clear()
    assert slow_c.send_frame("s1", frame_wire(True))
    assert not slow_c.needs_full_frame("s1")
    assert slow_c.send_frame("s1", frame_wire(False))
    qtbot.waitUntil(lambda: (pump([slow]),
                             sum(p.type == MsgType.FRAME for p in slow.inbox) == 2)[1],
                    timeout=5000)


def test_coalescing_keeps_only_the_newest_full_frame_per_session(server: Any,
                                                                 qtbot: QtBot) -> None:
    slow = h.RawPeer(server.name, rcvbuf=4096)
    slow.hello(qtbot, TOKEN)
    (client,) = server.clients
    while not client.coalescing:
        client.send_frame("s1", frame_wire(True, 100_000))
        QCoreApplication.processEvents()
    pending = client.pending_bytes
    for i in range(50):
        assert client.send_frame("s2", {**frame_wire(True, 1000), "q": i})
    assert client.pending_bytes == pending  # held, not queued
    assert client.frames_coalesced == 49
    assert client._held["s2"]["q"] == 49


def test_a_client_that_never_reads_replies_is_dropped_at_the_hard_cap(
    qtbot: QtBot,
) -> None:
    limits = ServerLimits(max_pending=1 * MiB, output_budget=512 * 1024)
    srv = Server(h.short_socket_name(), handler=h.RecordingHandler(), token=TOKEN,
                 limits=limits, clock=h.FakeClock())
    try:
        assert srv.listen()
        peer = h.RawPeer(srv.name, rcvbuf=4096)
        peer.hello(qtbot, TOKEN)
        (client,) = srv.clients
        big = {"blob": b"y" * 200_000}
        for _ in range(40):
            if not srv.notify(client, MsgType.SESSION_SPAWNED, big):
                break
            QCoreApplication.processEvents()
        qtbot.waitUntil(lambda: srv.in_use() == 0, timeout=5000)
    finally:
        srv.close()


# -- heartbeat with a real stopped process ------------------------------------------------


def test_a_sigstopped_client_process_is_dropped_by_the_heartbeat(server: Any,
                                                                 qtbot: QtBot) -> None:
    child = subprocess.Popen(
        [sys.executable, str(h.HELPERS), "client", server.name, TOKEN],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        qtbot.waitUntil(lambda: any(c.is_ready for c in server.clients), timeout=15_000)
        (client,) = server.clients
        clock = server.test_clock
        clock.advance(5.0)
        server.tick()  # ping; the live client answers with pong
        qtbot.waitUntil(lambda: client.last_rx == clock.now, timeout=5000)
        os.kill(child.pid, signal.SIGSTOP)
        clock.advance(5.0)
        server.tick()  # ping, unanswered
        qtbot.wait(200)
        assert client.last_rx < clock.now
        clock.advance(10.0)
        server.tick()
        qtbot.waitUntil(lambda: server.in_use() == 0, timeout=5000)
        assert server.test_handler.closed == [client]
    finally:
        child.kill()
        os.kill(child.pid, signal.SIGCONT)
        child.wait(10)


# -- another uid ----------------------------------------------------------------------


def test_a_peer_running_as_another_uid_is_unauthorized(server: Any, qtbot: QtBot) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to run a child as uid 65534 (CI runs the suite as root)")
    # Open the 0700 directory and the user-only socket, so that only the uid check is
    # left to refuse the peer.
    os.chmod(Path(server.name).parent, 0o711)
    os.chmod(server.name, 0o777)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            os.close(read_end)
            os.setgid(65534)
            os.setuid(65534)
            _sock, answer = h.raw_hello(server.name, TOKEN)
            os.write(write_end, f"{answer.type} {answer.payload.get('code')}".encode())
            code = 0
        except BaseException as exc:
            os.write(write_end, f"child failed: {exc!r}".encode())
        finally:
            os._exit(code)
    os.close(write_end)
    qtbot.waitUntil(lambda: os.waitpid(pid, os.WNOHANG)[0] == pid, timeout=10_000)
    result = os.read(read_end, 1000).decode()
    os.close(read_end)
    assert result == f"{int(MsgType.ERROR)} unauthorized"
    assert server.test_handler.requests == []


# -- stale sockets and racing servers -------------------------------------------------------


def stale_socket(name: str) -> None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(name)
    sock.close()  # the file stays; nobody listens: what a crash leaves


def test_a_stale_socket_is_replaced(qtbot: QtBot) -> None:
    name = h.short_socket_name()
    stale_socket(name)
    srv = Server(name, handler=h.RecordingHandler(), token=TOKEN)
    try:
        assert srv.listen(), srv.listen_error
        peer = h.RawPeer(name)
        assert peer.hello(qtbot, TOKEN).type == MsgType.REPLY
        assert Path(name).stat().st_mode & 0o077 == 0  # user-only
    finally:
        srv.close()


def test_a_live_socket_is_not_taken_over(server: Any, qtbot: QtBot) -> None:
    second = Server(server.name, handler=h.RecordingHandler(), token=TOKEN)
    assert not second.listen()
    assert "another server" in second.listen_error
    peer = h.RawPeer(server.name)
    assert peer.hello(qtbot, TOKEN).type == MsgType.REPLY
    assert server.in_use() == 1


def test_two_servers_starting_at_once_end_with_one_listening() -> None:
    name = h.short_socket_name()
    stale_socket(name)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    procs = [
        subprocess.Popen([sys.executable, str(h.HELPERS), "serve", name, TOKEN],
                         stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(2)
    ]
    try:
        lines = sorted(p.stdout.readline().strip() for p in procs)  # type: ignore[union-attr]
        assert lines == ["not-listening", "ready"]
        sock, answer = h.raw_hello(name, TOKEN)
        assert answer.type == MsgType.REPLY
        sock.close()
    finally:
        for p in procs:
            p.kill()
            p.wait(10)


def test_unknown_notification_from_a_client_is_ignored(server: Any, qtbot: QtBot) -> None:
    peer = h.RawPeer(server.name)
    peer.hello(qtbot, TOKEN)
    peer.send(Packet(77, 0, "", {"x": 1}))
    peer.sock.sendall(encode(Packet(MsgType.STATUS, 5, "c5", {})))
    answer = peer.wait_for(qtbot, lambda p: p.request_id == 5)
    assert answer.type == MsgType.REPLY
    deadline = time.monotonic() + 0.1
    while time.monotonic() < deadline:
        QCoreApplication.processEvents()
