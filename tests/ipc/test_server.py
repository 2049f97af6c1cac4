"""Server: handshake, admission, busy, rate limits, timeouts, dispatch -- real sockets,
fake clock (``server.tick()`` is called by hand after moving it)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ipc_helpers as h  # a unique name: other test folders have helpers too
import pytest
from pytestqt.qtbot import QtBot

from ipc.framing import Packet
from ipc.messages import MsgType
from ipc.server import Server, ServerLimits

TOKEN = "0123456789abcdef-test-token"


class Rig:
    def __init__(self, qtbot: QtBot, limits: ServerLimits | None = None, **kw: Any) -> None:
        self.qtbot = qtbot
        self.clock = h.FakeClock()
        self.handler = h.RecordingHandler()
        self.name = h.short_socket_name()
        self.server = Server(self.name, handler=self.handler, token=TOKEN,
                             limits=limits, clock=self.clock, **kw)
        assert self.server.listen(), self.server.listen_error
        self.server.tick_timer.stop()  # time moves only when a test says so
        self.peers: list[Any] = []

    def peer(self, kind: str | None = "gui", **kw: Any) -> Any:
        peer = h.RawPeer(self.name, **kw)
        self.peers.append(peer)
        if kind is not None:
            answer = peer.hello(self.qtbot, TOKEN, kind)
            assert answer.type == MsgType.REPLY, answer
        return peer

    def ready(self, count: int) -> None:
        self.qtbot.waitUntil(lambda: sum(c.is_ready for c in self.server.clients) == count,
                             timeout=5000)

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.server.tick()

    def close(self) -> None:
        for peer in self.peers:
            peer.close()
        self.server.close()


@pytest.fixture
def rig(qtbot: QtBot) -> Iterator[Rig]:
    r = Rig(qtbot)
    yield r
    r.close()


def status(peer: Any, qtbot: QtBot, rid: int) -> Packet:
    return peer.request(qtbot, MsgType.STATUS, {}, rid)


# -- handshake and dispatch -----------------------------------------------------------


def test_hello_then_request_reaches_the_handler(rig: Rig, qtbot: QtBot) -> None:
    peer = h.RawPeer(rig.name)
    rig.peers.append(peer)
    answer = peer.hello(qtbot, TOKEN)
    assert answer.type == MsgType.REPLY
    assert answer.payload["version"] == [1, 0]
    assert answer.correlation_id == "hello-cid"
    got = status(peer, qtbot, 7)
    assert got.type == MsgType.REPLY and got.payload["echo"] is True
    assert got.correlation_id == "cid000000007"
    client = rig.server.clients[0]
    assert client.kind == "gui" and client.is_ready
    assert client.uid == __import__("os").getuid()


def test_wrong_token_is_unauthorized_without_detail(rig: Rig, qtbot: QtBot) -> None:
    peer = rig.peer(kind=None)
    answer = peer.hello(qtbot, "not-the-token")
    assert answer.type == MsgType.ERROR
    assert answer.payload["code"] == "unauthorized"
    assert "token" not in answer.payload["message"].lower()
    peer.wait_closed(qtbot)
    assert rig.handler.requests == []


def test_first_packet_must_be_hello(rig: Rig, qtbot: QtBot) -> None:
    peer = rig.peer(kind=None)
    answer = peer.request(qtbot, MsgType.STATUS, {}, 3)
    assert answer.type == MsgType.ERROR and answer.payload["code"] == "protocol"
    peer.wait_closed(qtbot)


def test_wrong_major_version_is_unsupported(rig: Rig, qtbot: QtBot) -> None:
    peer = rig.peer(kind=None)
    bad = h.hello_packet(TOKEN)
    peer.send(Packet(1, 1, "c", {**bad.payload, "version": [2, 0]}))
    answer = peer.wait_for(qtbot, lambda p: p.request_id == 1)
    assert answer.payload["code"] == "unsupported"
    peer.wait_closed(qtbot)


def test_unknown_type_is_unsupported_and_connection_stays_open(rig: Rig, qtbot: QtBot) -> None:
    peer = rig.peer()
    answer = peer.request(qtbot, 39, {"x": 1}, 5)
    assert answer.type == MsgType.ERROR and answer.payload["code"] == "unsupported"
    assert status(peer, qtbot, 6).type == MsgType.REPLY


def test_invalid_payload_is_rejected_and_connection_stays_open(rig: Rig, qtbot: QtBot) -> None:
    peer = rig.peer()
    answer = peer.request(qtbot, MsgType.SESSION_RESIZE, {"session": "s", "columns": 0}, 5)
    assert answer.payload["code"] == "rejected"
    assert status(peer, qtbot, 6).type == MsgType.REPLY


def test_handler_error_is_sanitized_with_a_correlation_id_in_the_log(
    rig: Rig, qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    peer = rig.peer()
    with caplog.at_level(logging.ERROR, logger="ipc.server"):
        answer = peer.request(qtbot, MsgType.SEARCH, {"query": "boom"}, 9, cid="feedc0ffee42")
    assert answer.type == MsgType.ERROR
    assert answer.payload["code"] == "remote"
    assert answer.payload["ref"] == "feedc0ffee42"
    assert "/home" not in answer.payload["message"] and "exploded" not in answer.payload["message"]
    records = [r for r in caplog.records if "feedc0ffee42" in r.getMessage()]
    assert records and records[0].exc_info is not None
    assert "exploded" in str(records[0].exc_info[1])
    assert status(peer, qtbot, 10).type == MsgType.REPLY


def test_ping_gets_pong(rig: Rig, qtbot: QtBot) -> None:
    peer = rig.peer()
    peer.send(Packet(MsgType.PING, 0, "", {"seq": 42}))
    pong = peer.wait_type(qtbot, MsgType.PONG)
    assert pong.payload == {"seq": 42}


def test_client_notification_goes_to_handler_without_reply(rig: Rig, qtbot: QtBot) -> None:
    peer = rig.peer()
    peer.send(Packet(MsgType.FRAME_ACK, 0, "", {"session": "s1", "seq": 3}))
    qtbot.waitUntil(lambda: len(rig.handler.requests) == 1, timeout=3000)
    assert rig.handler.requests[0][1].payload == {"session": "s1", "seq": 3}


# -- admission and busy -------------------------------------------------------------------


def test_admission_reserve_for_gui_and_overload_at_101(rig: Rig, qtbot: QtBot) -> None:
    cli = [rig.peer("cli") for _ in range(85)]
    rig.ready(85)
    # busy was announced to everyone when use reached 85%
    busy = cli[0].wait_type(qtbot, MsgType.SERVER_BUSY)
    assert busy.payload["busy"] is True and busy.payload["limit"] == 100
    refused = rig.peer(kind=None)
    answer = refused.hello(qtbot, TOKEN, "cli")
    assert answer.type == MsgType.ERROR and answer.payload["code"] == "overloaded"
    refused.wait_closed(qtbot)
    qtbot.waitUntil(lambda: rig.server.in_use() == 85, timeout=3000)
    guis = [rig.peer("gui") for _ in range(15)]
    rig.ready(100)
    assert guis[-1].wait_type(qtbot, MsgType.SERVER_BUSY).payload["busy"] is True
    extra = rig.peer(kind=None)
    answer = extra.wait_type(qtbot, MsgType.ERROR)
    assert answer.payload["code"] == "overloaded"
    extra.wait_closed(qtbot)
    assert rig.server.status()["refused"] == {"overloaded": 2}
    # back under 60% -> busy: false for those still connected
    for peer in cli[:41]:
        peer.close()
    qtbot.waitUntil(lambda: rig.server.in_use() == 59, timeout=5000)
    over = guis[0].wait_for(qtbot, lambda p: p.type == MsgType.SERVER_BUSY
                            and p.payload["busy"] is False)
    assert over.payload["connections"] == 59
    assert not rig.server.busy


# -- rate limits --------------------------------------------------------------------------


def test_request_rate_limit_with_fake_clock(qtbot: QtBot) -> None:
    rig = Rig(qtbot, ServerLimits(request_rate=10, request_burst=5))
    try:
        peer = rig.peer()
        codes = [status(peer, qtbot, rid).type for rid in range(10, 16)]
        assert codes == [MsgType.REPLY] * 5 + [MsgType.ERROR]
        rig.clock.advance(0.1)  # one token back
        assert status(peer, qtbot, 20).type == MsgType.REPLY
        answer = status(peer, qtbot, 21)
        assert answer.payload["code"] == "overloaded"
        rig.clock.advance(1.0)
        assert status(peer, qtbot, 22).type == MsgType.REPLY
        assert rig.server.clients[0].rate_limited == 2
        assert not peer.eof
    finally:
        rig.close()


def test_a_ten_mib_paste_passes_and_a_flood_is_limited(rig: Rig, qtbot: QtBot) -> None:
    peer = rig.peer()
    chunk = b"p" * (1 << 20)
    for rid in range(1, 11):
        answer = peer.request(qtbot, MsgType.SESSION_WRITE, {"session": "s", "data": chunk}, rid)
        assert answer.type == MsgType.REPLY
    codes = [
        peer.request(qtbot, MsgType.SESSION_WRITE, {"session": "s", "data": chunk}, rid).type
        for rid in range(11, 18)
    ]
    assert MsgType.ERROR in codes  # 17 MiB at once is over the 16 MiB burst
    rig.clock.advance(1.0)  # 8 MiB/s refill
    answer = peer.request(qtbot, MsgType.SESSION_WRITE, {"session": "s", "data": chunk}, 30)
    assert answer.type == MsgType.REPLY


# -- time ---------------------------------------------------------------------------------


def test_handshake_timeout(rig: Rig, qtbot: QtBot) -> None:
    peer = rig.peer(kind=None)
    qtbot.waitUntil(lambda: rig.server.in_use() == 1, timeout=3000)
    rig.advance(4.9)
    assert not peer.poll() and not peer.eof
    rig.advance(0.2)
    peer.wait_closed(qtbot)


def test_heartbeat_pings_then_drops_a_silent_client(rig: Rig, qtbot: QtBot) -> None:
    peer = rig.peer()
    rig.advance(4.0)
    assert peer.poll() == []
    rig.advance(1.0)
    ping = peer.wait_type(qtbot, MsgType.PING)
    assert "seq" in ping.payload
    rig.advance(9.9)
    assert not peer.eof
    rig.advance(0.2)
    peer.wait_closed(qtbot)
    qtbot.waitUntil(lambda: len(rig.handler.closed) == 1, timeout=3000)


def test_heartbeat_answered_keeps_the_client(rig: Rig, qtbot: QtBot) -> None:
    peer = rig.peer()
    for _ in range(10):
        rig.advance(5.0)
        ping = peer.wait_type(qtbot, MsgType.PING)
        peer.send(Packet(MsgType.PONG, 0, "", ping.payload))
        qtbot.waitUntil(lambda: rig.server.clients[0].last_rx == rig.clock.now, timeout=3000)
    assert not peer.eof and rig.handler.closed == []


def _keep_alive(rig: Rig, peer: Any, qtbot: QtBot, seconds: float) -> None:
    """Move time in 4 s steps, answering as a live client would (pings only)."""
    while seconds > 0:
        step = min(4.0, seconds)
        seconds -= step
        rig.clock.advance(step)
        peer.send(Packet(MsgType.PING, 0, "", {"seq": 1}))
        peer.wait_type(qtbot, MsgType.PONG)
        rig.server.tick()


def test_idle_timeout_drops_a_client_without_sessions(rig: Rig, qtbot: QtBot) -> None:
    peer = rig.peer("cli")
    _keep_alive(rig, peer, qtbot, 296)
    assert not peer.eof
    _keep_alive(rig, peer, qtbot, 4)
    peer.wait_closed(qtbot)


def test_idle_timeout_spares_an_attached_gui(rig: Rig, qtbot: QtBot) -> None:
    peer = rig.peer("gui")
    rig.handler.attached.add(rig.server.clients[0])
    _keep_alive(rig, peer, qtbot, 400)
    assert not peer.eof
    assert status(peer, qtbot, 99).type == MsgType.REPLY


def test_a_request_resets_the_idle_timeout(rig: Rig, qtbot: QtBot) -> None:
    peer = rig.peer("cli")
    _keep_alive(rig, peer, qtbot, 200)
    assert status(peer, qtbot, 2).type == MsgType.REPLY
    _keep_alive(rig, peer, qtbot, 200)
    assert not peer.eof


# -- memory -------------------------------------------------------------------------------


def test_memory_pressure_and_status(qtbot: QtBot) -> None:
    rss = [100 * 1024 * 1024]
    rig = Rig(qtbot, ServerLimits(memory_budget=200 * 1024 * 1024, memory_sample_every=1.0),
              rss=lambda: rss[0])
    try:
        assert rig.server.memory_pressure() is None
        rss[0] = 180 * 1024 * 1024
        assert rig.server.memory_pressure() is None  # not sampled again yet
        rig.advance(1.0)
        reason = rig.server.memory_pressure()
        assert reason is not None and "180 MiB" in reason and "200 MiB" in reason
        state = rig.server.status()
        assert state["rss"] == 180 * 1024 * 1024 and state["memory_pressure"] is True
    finally:
        rig.close()


def test_real_rss_is_sampled() -> None:
    from ipc.server import read_rss

    assert read_rss() > 10 * 1024 * 1024


def test_the_ref_of_an_internal_error_finds_the_traceback_in_the_json_log(
    rig: Rig, qtbot: QtBot, tmp_path: Path
) -> None:
    from ipc import logs

    logs.configure("worker", tmp_path)
    try:
        peer = rig.peer()
        answer = peer.request(qtbot, MsgType.SEARCH, {"query": "boom"}, 9, cid="0badc0de1234")
    finally:
        logs.unconfigure()
    assert answer.payload["ref"] == "0badc0de1234"
    entries = logs.find(tmp_path, answer.payload["ref"])
    failures = [e for e in entries if e["level"] == "ERROR"]
    assert failures and "exploded" in failures[0]["exc"]
    assert "RuntimeError" in failures[0]["exc"]


def test_an_oversize_packet_closes_only_that_client(rig: Rig, qtbot: QtBot) -> None:
    import struct

    bad = rig.peer()
    good = rig.peer()
    bad.sock.sendall(struct.pack(">I", 64 * 1024 * 1024) + b"\0" * 64)
    bad.wait_closed(qtbot)
    qtbot.waitUntil(lambda: rig.server.in_use() == 1, timeout=3000)
    assert len(rig.handler.closed) == 1
    assert status(good, qtbot, 2).type == MsgType.REPLY


def test_limits_that_contradict_each_other_are_refused() -> None:
    with pytest.raises(ValueError, match="non_gui_limit"):
        ServerLimits(max_connections=10, non_gui_limit=20)
    with pytest.raises(ValueError, match="busy_off"):
        ServerLimits(busy_on=0.5, busy_off=0.6)
    with pytest.raises(ValueError, match="dead_after"):
        ServerLimits(ping_after=20, dead_after=15)
