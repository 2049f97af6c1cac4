"""Client against a real Server over real sockets: calls, fallbacks, timeouts on a fake
clock, late replies, the breaker, notifications, pings, and a server that dies."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import ipc_helpers as h  # a unique name: other test folders have helpers too
import pytest
import qasync
from PySide6.QtCore import QObject, QTimer, Signal
from pytestqt.qtbot import QtBot

from ipc.breaker import BreakerConfig, Breakers
from ipc.client import Client, ClientState
from ipc.errors import ErrorKind, IpcError, RemoteError
from ipc.framing import Packet
from ipc.messages import PROTOCOL_VERSION, MsgType
from ipc.server import Server
from ipc.transport import emit

TOKEN = "client-test-token-0123456789"


class Hang(h.RecordingHandler):  # type: ignore[misc, name-defined]
    """SEARCH "hang" answers only when the test resolves the future."""

    def __init__(self) -> None:
        super().__init__()
        self.hanging: list[asyncio.Future[Any]] = []

    def handle(self, client: Any, packet: Any) -> Any:
        if packet.type == MsgType.SEARCH and packet.payload["query"] == "hang":
            self.requests.append((client, packet))
            future: asyncio.Future[Any] = asyncio.get_event_loop().create_future()
            self.hanging.append(future)
            return future
        if packet.type == MsgType.SESSION_LIST:
            return self._listing()
        return super().handle(client, packet)

    async def _listing(self) -> Any:
        await asyncio.sleep(0.01)
        if self.fail_listing:
            raise KeyError("/secret/path")
        return {"sessions": [{"session": "s1"}]}

    fail_listing = False


@pytest.fixture
def loop(qapp: Any) -> Iterator[asyncio.AbstractEventLoop]:
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    yield loop
    asyncio.set_event_loop(None)
    loop.close()


class Rig:
    def __init__(self, qtbot: QtBot, *, token: str = TOKEN, breakers: Breakers | None = None):
        self.qtbot = qtbot
        self.server_clock = h.FakeClock()
        self.clock = h.FakeClock()
        self.handler = Hang()
        self.name = h.short_socket_name()
        self.server = Server(self.name, handler=self.handler, token=TOKEN,
                             clock=self.server_clock)
        assert self.server.listen()
        self.server.tick_timer.stop()
        self.client = Client(self.name, token=token, kind="gui", clock=self.clock,
                             breakers=breakers)
        self.client.deadline_timer.stop()
        self.errors: list[IpcError] = []
        self.notes: list[tuple[int, Any]] = []
        self.client.error_occurred.connect(self.errors.append)
        self.client.notification.connect(lambda t, p: self.notes.append((t, p)))

    def open(self) -> None:
        with self.qtbot.waitSignal(self.client.connected, timeout=5000):
            self.client.open()
        self.client.deadline_timer.stop()

    def cb(self, msg_type: int, payload: Any, fallback: Any = "FALLBACK", **kw: Any) -> list[Any]:
        out: list[Any] = []
        self.client.call_cb(msg_type, payload, out.append, fallback=fallback, **kw)
        return out

    def close(self) -> None:
        self.client.close()
        self.server.close()


@pytest.fixture
def rig(qtbot: QtBot) -> Iterator[Rig]:
    r = Rig(qtbot)
    yield r
    r.close()


def test_call_cb_round_trip(rig: Rig, qtbot: QtBot) -> None:
    rig.open()
    assert rig.client.state is ClientState.READY
    assert rig.client.server_info["version"] == list(PROTOCOL_VERSION)
    out = rig.cb(MsgType.STATUS, {})
    qtbot.waitUntil(lambda: out != [], timeout=3000)
    assert out[0]["echo"] is True
    assert rig.errors == []


def test_async_call_round_trip_on_the_qt_loop(rig: Rig, loop: Any) -> None:
    async def go() -> Any:
        assert await rig.client.wait_ready(5)
        return await rig.client.call(MsgType.STATUS, {}, fallback=None)

    assert loop.run_until_complete(go())["echo"] is True


def test_absent_server_gives_the_fallback_at_once(qtbot: QtBot) -> None:
    client = Client(h.short_socket_name(), token=TOKEN)
    lost: list[int] = []
    client.disconnected.connect(lambda: lost.append(1))
    started = time.monotonic()
    client.open()
    qtbot.waitUntil(lambda: client.state is ClientState.DISCONNECTED, timeout=1000)
    out: list[Any] = []
    client.call_cb(MsgType.SESSION_LIST, {}, out.append, fallback={"sessions": []})
    assert out == [{"sessions": []}]
    assert time.monotonic() - started < 0.5
    assert client.last_error is not None and client.last_error.kind is ErrorKind.UNAVAILABLE
    assert lost == [1]


def test_calls_made_while_connecting_to_an_absent_server_get_the_fallback(
    qtbot: QtBot,
) -> None:
    client = Client(h.short_socket_name(), token=TOKEN)
    out: list[Any] = []
    client.open()
    client.call_cb(MsgType.SESSION_LIST, {}, out.append, fallback="cached")
    qtbot.waitUntil(lambda: out == ["cached"], timeout=500)


def test_wrong_token_is_refused(qtbot: QtBot) -> None:
    rig = Rig(qtbot, token="wrong")
    try:
        out = []
        with qtbot.waitSignal(rig.client.disconnected, timeout=5000):
            rig.client.open()
            out = rig.cb(MsgType.STATUS, {})
        assert out == ["FALLBACK"]
        assert rig.client.last_error is not None
        assert rig.client.last_error.kind is ErrorKind.UNAUTHORIZED
    finally:
        rig.close()


def test_timeout_gives_the_fallback_and_the_late_reply_is_dropped(
    rig: Rig, qtbot: QtBot, loop: Any
) -> None:
    rig.open()
    out = rig.cb(MsgType.SEARCH, {"query": "hang"}, fallback={"hits": []}, timeout=2.0)
    qtbot.waitUntil(lambda: len(rig.handler.hanging) == 1, timeout=3000)
    rig.clock.advance(1.9)
    rig.client.tick()
    assert out == []
    rig.clock.advance(0.2)
    rig.client.tick()
    assert out == [{"hits": []}]
    err = rig.errors[-1]
    assert err.kind is ErrorKind.TIMEOUT
    assert err.correlation_id == rig.handler.requests[-1][1].correlation_id
    rig.handler.hanging[0].set_result({"hits": ["late"]})
    qtbot.waitUntil(lambda: rig.client.late_replies == 1, timeout=3000)
    assert out == [{"hits": []}]  # the callback ran once, with the fallback
    assert rig.client.is_ready


def test_remote_error_is_signalled_sanitized_and_raised_by_call_or_raise(
    rig: Rig, qtbot: QtBot, loop: Any
) -> None:
    rig.open()
    out = rig.cb(MsgType.SEARCH, {"query": "boom"}, fallback={"hits": []},
                 correlation_id="abcdef012345")
    qtbot.waitUntil(lambda: out != [], timeout=3000)
    assert out == [{"hits": []}]
    err = rig.client.last_error
    assert isinstance(err, RemoteError) and err.correlation_id == "abcdef012345"
    assert "exploded" not in err.user_message() and "(ref abcdef012345)" in err.user_message()

    async def go() -> None:
        await rig.client.call_or_raise(MsgType.SEARCH, {"query": "boom"})

    with pytest.raises(RemoteError):
        loop.run_until_complete(go())


def test_unknown_type_via_the_client_is_unsupported_and_the_connection_stays(
    rig: Rig, qtbot: QtBot
) -> None:
    rig.open()
    out = rig.cb(39, {}, fallback=None)
    qtbot.waitUntil(lambda: out != [], timeout=3000)
    assert out == [None] and rig.client.last_error.kind is ErrorKind.UNSUPPORTED  # type: ignore[union-attr]
    out = rig.cb(MsgType.STATUS, {})
    qtbot.waitUntil(lambda: out != [], timeout=3000)
    assert out[0]["echo"] is True


def test_open_breaker_gives_the_fallback_without_calling(qtbot: QtBot, loop: Any) -> None:
    clock = h.FakeClock()
    config = BreakerConfig(min_calls=2, failure_rate=0.5, open_seconds=10, max_open_seconds=10,
                           jitter=0)
    rig = Rig(qtbot, breakers=Breakers({"query": config}, clock=clock))
    rig.clock = clock
    rig.client.clock = clock
    try:
        rig.open()
        for _ in range(2):
            out = rig.cb(MsgType.SEARCH, {"query": "hang"}, timeout=1.0)
            clock.advance(1.5)
            rig.client.tick()
            assert out == ["FALLBACK"]
        qtbot.waitUntil(lambda: len(rig.handler.hanging) == 2, timeout=3000)
        seen = len(rig.handler.requests)
        out = rig.cb(MsgType.SEARCH, {"query": "x"})
        assert out == ["FALLBACK"]
        assert rig.client.last_error.kind is ErrorKind.CIRCUIT_OPEN  # type: ignore[union-attr]
        qtbot.wait(100)
        assert len(rig.handler.requests) == seen  # never sent
        out = rig.cb(MsgType.STATUS, {})  # another channel is unaffected
        qtbot.waitUntil(lambda: out != [], timeout=3000)
        assert out[0]["echo"] is True
    finally:
        rig.close()


def test_notifications_arrive_and_pings_are_answered(rig: Rig, qtbot: QtBot) -> None:
    rig.open()
    (server_client,) = rig.server.clients
    rig.server.notify(server_client, MsgType.SESSION_SPAWNED, {"session": "s9", "title": "t"})
    qtbot.waitUntil(lambda: rig.notes != [], timeout=3000)
    assert rig.notes == [(int(MsgType.SESSION_SPAWNED), {"session": "s9", "title": "t"})]
    rig.server_clock.advance(5.0)
    rig.server.tick()  # ping
    qtbot.waitUntil(lambda: server_client.last_rx == rig.server_clock.now, timeout=3000)
    rig.server_clock.advance(14.0)
    rig.server.tick()
    assert server_client.is_ready
    assert all(t != MsgType.PING for t, _ in rig.notes)


def test_server_dropping_the_client_fails_pending_calls_with_the_fallback(
    rig: Rig, qtbot: QtBot, loop: Any
) -> None:
    rig.open()
    out = rig.cb(MsgType.SEARCH, {"query": "hang"}, fallback="fb")
    qtbot.waitUntil(lambda: len(rig.handler.hanging) == 1, timeout=3000)
    with qtbot.waitSignal(rig.client.disconnected, timeout=3000):
        rig.server.drop(rig.server.clients[0], "test")
    assert out == ["fb"]
    assert rig.client.last_error.kind is ErrorKind.UNAVAILABLE  # type: ignore[union-attr]
    assert rig.client.state is ClientState.DISCONNECTED


def test_killing_the_server_process_mid_call_gives_the_fallback(loop: Any) -> None:
    name = h.short_socket_name()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    server = subprocess.Popen([sys.executable, str(h.HELPERS), "serve", name, TOKEN],
                              stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        client = Client(name, token=TOKEN)

        async def go() -> Any:
            assert await client.wait_ready(5)
            assert (await client.call(MsgType.STATUS, {}, fallback=None))["echo"] is True
            pending = asyncio.ensure_future(client.call(
                MsgType.SEARCH, {"query": "hang"}, fallback={"hits": []}, timeout=30))
            await asyncio.sleep(0.3)
            assert not pending.done()
            server.kill()
            return await asyncio.wait_for(pending, 5)

        assert loop.run_until_complete(go()) == {"hits": []}
        assert client.last_error is not None
        assert client.last_error.kind is ErrorKind.UNAVAILABLE
        assert client.state is ClientState.DISCONNECTED
        # and the next call, with nobody there, falls back at once
        started = time.monotonic()
        result = loop.run_until_complete(client.call(MsgType.SESSION_LIST, {}, fallback=[]))
        assert result == [] and time.monotonic() - started < 0.2
    finally:
        server.kill()
        server.wait(10)


def test_handshake_timeout_on_the_client(qtbot: QtBot) -> None:
    import socket as pysocket

    name = h.short_socket_name()
    listener = pysocket.socket(pysocket.AF_UNIX, pysocket.SOCK_STREAM)
    listener.bind(name)
    listener.listen(1)  # accepts in the kernel, never answers
    clock = h.FakeClock()
    client = Client(name, token=TOKEN, clock=clock)
    client.deadline_timer.stop()
    try:
        client.open()
        qtbot.waitUntil(lambda: client.state is ClientState.HANDSHAKE, timeout=3000)
        client.deadline_timer.stop()
        out: list[Any] = []
        client.call_cb(MsgType.STATUS, {}, out.append, fallback="fb")
        clock.advance(5.0)
        client.tick()
        assert client.state is ClientState.DISCONNECTED
        assert out == ["fb"]
        assert client.last_error is not None
    finally:
        client.close()
        listener.close()


def test_open_again_after_a_loss_reconnects(rig: Rig, qtbot: QtBot) -> None:
    rig.open()
    with qtbot.waitSignal(rig.client.disconnected, timeout=3000):
        rig.server.drop(rig.server.clients[0], "test")
    qtbot.wait(10)  # the old channel's links are cut from the event loop
    rig.open()
    out = rig.cb(MsgType.STATUS, {})
    qtbot.waitUntil(lambda: out != [], timeout=3000)
    assert out[0]["echo"] is True
    assert len(rig.server.clients) == 1


def test_coroutine_handlers_answer_and_fail_like_plain_ones(rig: Rig, loop: Any) -> None:
    async def go() -> tuple[Any, Any]:
        assert await rig.client.wait_ready(5)
        ok = await rig.client.call(MsgType.SESSION_LIST, {}, fallback=None)
        rig.handler.fail_listing = True
        failed = await rig.client.call(MsgType.SESSION_LIST, {}, fallback="cached",
                                       correlation_id="c0ffee000001")
        return ok, failed

    ok, failed = loop.run_until_complete(go())
    assert ok == {"sessions": [{"session": "s1"}]}
    assert failed == "cached"
    err = rig.client.last_error
    assert err is not None and err.kind is ErrorKind.REMOTE
    assert err.correlation_id == "c0ffee000001" and "secret" not in err.user_message()


# -- the channel seam: no sockets at all ------------------------------------------------


class FakeChannel(QObject):
    """A channel that answers from a script: packet -> list of packets to deliver."""

    packet_received = Signal(object)
    closed = Signal()
    error = Signal(object)
    connected = Signal()

    def __init__(self, script: Any) -> None:
        super().__init__()
        self.script = script
        self.sent: list[Packet] = []
        self._open = False

    @property
    def is_open(self) -> bool:
        return self._open

    def connect_to(self, name: str) -> None:
        self._open = True
        QTimer.singleShot(0, lambda: emit(self.connected))

    def send(self, packet: Packet) -> bool:
        self.sent.append(packet)
        for answer in self.script(packet):
            QTimer.singleShot(0, lambda a=answer: emit(self.packet_received, a))
        return True

    def close(self, *, flush: bool = False) -> None:
        if self._open:
            self._open = False
            emit(self.closed)


def test_the_channel_factory_seam_carries_hello_and_calls(qtbot: QtBot) -> None:
    def script(p: Packet) -> list[Packet]:
        if p.type == MsgType.HELLO:
            return [Packet(MsgType.REPLY, p.request_id, p.correlation_id,
                           {"version": [1, 0], "server": "fake", "pid": 1})]
        return [Packet(MsgType.REPLY, p.request_id, p.correlation_id, {"n": p.payload["n"]})]

    channels: list[FakeChannel] = []

    def factory() -> FakeChannel:
        channels.append(FakeChannel(script))
        return channels[-1]

    client = Client("nowhere", token="tok", kind="cli", channel_factory=factory)
    with qtbot.waitSignal(client.connected, timeout=2000):
        client.open()
    hello = channels[0].sent[0]
    assert hello.type == MsgType.HELLO
    assert hello.payload == {"version": list(PROTOCOL_VERSION), "kind": "cli", "token": "tok",
                             "pid": os.getpid()}
    out: list[Any] = []
    client.call_cb(MsgType.STATUS, {"n": 5}, out.append, fallback=None)
    qtbot.waitUntil(lambda: out == [{"n": 5}], timeout=2000)
    client.close()


def test_refused_at_the_door_is_overloaded(qtbot: QtBot) -> None:
    def script(p: Packet) -> list[Packet]:
        return [Packet(MsgType.ERROR, 0, "", {"code": "overloaded", "message": "full"})]

    client = Client("nowhere", token="tok", channel_factory=lambda: FakeChannel(script))
    with qtbot.waitSignal(client.disconnected, timeout=2000):
        client.open()
    assert client.last_error is not None and client.last_error.kind is ErrorKind.OVERLOADED
    out: list[Any] = []
    client.call_cb(MsgType.STATUS, {}, out.append, fallback="fb")
    assert out == ["fb"]
