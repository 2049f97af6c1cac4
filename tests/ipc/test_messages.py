"""The message vocabulary: permanent numbers, schemas, versions, packet helpers."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipc import messages
from ipc.errors import NotFound, RejectedError, Unsupported
from ipc.framing import Decoder, Packet, encode
from ipc.messages import (
    PROTOCOL_VERSION,
    RETIRED,
    SPECS,
    ClientKind,
    MsgType,
    negotiate,
    validate,
)
from terminal.frames import Cursor, Frame, Line, Style

# One valid payload per type; the round-trip test below fails when a type has none.
EXAMPLES: dict[MsgType, dict[str, Any]] = {
    MsgType.HELLO: messages.hello_payload(ClientKind.GUI, "t" * 32, 1234),
    MsgType.REPLY: {"anything": [1, 2]},
    MsgType.ERROR: {"code": "not_found", "message": "no session 'x'", "ref": "abc"},
    MsgType.PING: {"seq": 3},
    MsgType.PONG: {"seq": 3},
    MsgType.SESSION_CREATE: {"argv": ["bash", "-l"], "cwd": "/tmp", "env": {"A": "1"},
                             "columns": 100, "rows": 30, "title": "build", "private": True,
                             "window": 1, "tab": 2},
    MsgType.SESSION_ATTACH: {"session": "s1", "columns": 80, "rows": 24, "transcript": False},
    MsgType.SESSION_DETACH: {"session": "s1"},
    MsgType.SESSION_WRITE: {"session": "s1", "data": b"ls\r"},
    MsgType.SESSION_RESIZE: {"session": "s1", "columns": 132, "rows": 43},
    MsgType.SESSION_CLOSE: {"session": "s1", "force": True},
    MsgType.SESSION_LIST: {},
    MsgType.HISTORY_FETCH: {"session": "s1", "first": 0, "count": 500},
    MsgType.SEARCH: {"query": "error", "session": None, "limit": 10, "regex": False},
    MsgType.STATUS: {},
    MsgType.LAYOUT_SET: {"placements": [["s1", 0, 0], ["s2", 0, 1]], "current": ["s2"]},
    MsgType.FORGET: {"session": "s1"},
    MsgType.LAYOUT_PREVIOUS: {"take": True},
    MsgType.FRAME: {"session": "s1", "frame": Frame(
        columns=5, rows=2, full=True, lines={0: Line((("hi", 1),))}, cursor=Cursor(2, 0),
        styles={1: Style(fg=1)}, title="t", seq=9).to_wire()},
    MsgType.SESSION_EXITED: {"session": "s1", "status": 0, "signal": None},
    MsgType.SESSION_SPAWNED: {"session": "s2", "title": "from cli"},
    MsgType.SERVER_BUSY: {"retry_after": 0.5, "reason": "too many sessions"},
    MsgType.BACKPRESSURE: {"session": "s1", "paused": True, "queued": 65536},
    MsgType.FRAME_ACK: {"session": "s1", "seq": 9},
    MsgType.SESSION_EVENT: {"session": "s1", "kind": "clipboard", "selection": "c",
                            "text": "copied"},
}


def test_numbers_are_unique_and_never_retired() -> None:
    values = [m.value for m in MsgType]
    assert len(values) == len(set(values))
    assert not set(values) & RETIRED
    assert all(0 < v <= 0xFFFF for v in values)


def test_numbers_are_permanent() -> None:
    # Pinned: changing a number breaks every peer of another version.
    assert {m.name: m.value for m in MsgType if m.value < 45} == {
        "HELLO": 1, "REPLY": 2, "ERROR": 3, "PING": 4, "PONG": 5,
        "SESSION_CREATE": 10, "SESSION_ATTACH": 11, "SESSION_DETACH": 12,
        "SESSION_WRITE": 13, "SESSION_RESIZE": 14, "SESSION_CLOSE": 15, "SESSION_LIST": 16,
        "HISTORY_FETCH": 17, "SEARCH": 18, "STATUS": 19, "LAYOUT_SET": 20, "FORGET": 21,
        "LAYOUT_PREVIOUS": 22,
        "FRAME": 40, "SESSION_EXITED": 41, "SESSION_SPAWNED": 42, "SERVER_BUSY": 43,
        "BACKPRESSURE": 44,
    }


def test_every_type_has_a_spec_and_an_example() -> None:
    assert set(SPECS) == set(MsgType)
    assert set(EXAMPLES) == set(MsgType)
    names = [s.name for s in SPECS.values()]
    assert len(names) == len(set(names))


def test_number_ranges_match_kinds() -> None:
    for spec in SPECS.values():
        if spec.type >= 40:
            assert spec.kind == "notification", spec.name


@pytest.mark.parametrize("msg_type", list(MsgType), ids=lambda m: m.name)
def test_round_trip_every_type(msg_type: MsgType) -> None:
    payload = EXAMPLES[msg_type]
    kind = messages.kind_of(msg_type)
    if kind == "notification":
        packet = messages.notification(msg_type, payload)
        assert (packet.request_id, packet.correlation_id) == (0, "")
    else:
        packet = messages.request(msg_type, payload, "cid123", request_id=77)
    (decoded,) = Decoder().feed(encode(packet))
    assert decoded == packet
    assert validate(decoded.type, decoded.payload) == payload


def test_kinds_and_channels() -> None:
    assert messages.kind_of(MsgType.HELLO) == "request"
    assert messages.kind_of(MsgType.REPLY) == "reply"
    assert messages.kind_of(MsgType.ERROR) == "reply"
    assert messages.kind_of(MsgType.FRAME) == "notification"
    assert messages.channel_of(MsgType.SESSION_WRITE) == "input"
    assert messages.channel_of(MsgType.SEARCH) == "query"
    assert messages.channel_of(MsgType.SESSION_LIST) == "control"
    with pytest.raises(Unsupported):
        messages.kind_of(999)


# -- validation ----------------------------------------------------------------------------

RESIZE = MsgType.SESSION_RESIZE
BAD = [
    (RESIZE, {"session": "s", "columns": 80}, "'rows' is missing"),
    (RESIZE, {"session": "s", "columns": "80", "rows": 24}, "'columns' must be int"),
    (RESIZE, {"session": "s", "columns": True, "rows": 24}, "'columns' must be int"),
    (RESIZE, {"session": "s", "columns": 0, "rows": 24}, "'columns' must be between"),
    (MsgType.SESSION_WRITE, {"session": "s", "data": "text"}, "'data' must be bin"),
    (MsgType.SESSION_WRITE, {"session": 5, "data": b""}, "'session' must be str"),
    (MsgType.SESSION_WRITE, {"session": "s" * 65, "data": b""}, "'session' longer"),
    (MsgType.HELLO, {**EXAMPLES[MsgType.HELLO], "version": [1]}, "'version' must be"),
    (MsgType.HELLO, {**EXAMPLES[MsgType.HELLO], "version": ["1", 0]}, "'version' must be"),
    (MsgType.HELLO, {**EXAMPLES[MsgType.HELLO], "kind": "robot"}, "'kind' must be one of"),
    (MsgType.HELLO, {k: v for k, v in EXAMPLES[MsgType.HELLO].items() if k != "token"},
     "'token' is missing"),
    (MsgType.SESSION_CREATE, {"argv": ["ls", 3]}, "'argv' must hold strings"),
    (MsgType.SESSION_CREATE, {"env": {"A": 1}}, "'env' must map strings"),
    (MsgType.HISTORY_FETCH, {"session": "s", "first": -1, "count": 1}, "'first'"),
    (MsgType.FRAME, {"session": "s", "frame": []}, "'frame' must be map"),
    (MsgType.BACKPRESSURE, {"paused": None}, "'paused' is missing"),
    (MsgType.LAYOUT_SET, {"placements": [], "current": [1]}, "'current' must hold strings"),
]


@pytest.mark.parametrize(("msg_type", "payload", "message"), BAD)
def test_validate_names_the_bad_field(msg_type: MsgType, payload: Any, message: str) -> None:
    with pytest.raises(RejectedError, match=message) as info:
        validate(msg_type, payload)
    assert not info.value.counts_as_failure


@pytest.mark.parametrize("payload", [[1, 2], "x", 3, b"raw"])
def test_validate_wants_a_map(payload: Any) -> None:
    with pytest.raises(RejectedError, match="payload must be a map"):
        validate(MsgType.SESSION_LIST, payload)


def test_validate_fills_defaults_and_drops_unknown_fields() -> None:
    got = validate(MsgType.SESSION_CREATE, {"rows": 10, "from_the_future": 1})
    assert got == {"argv": None, "cwd": None, "env": None, "columns": 80, "rows": 10,
                   "title": "", "private": False, "window": 0, "tab": 0}
    assert validate(MsgType.SESSION_LIST, None) == {}
    assert validate(MsgType.SERVER_BUSY, {"retry_after": 2}) == {"retry_after": 2,
                                                                  "reason": ""}


def test_validate_unknown_type_is_unsupported() -> None:
    with pytest.raises(Unsupported):
        validate(4242, {})


def test_parse_frame() -> None:
    frame = Frame(columns=3, rows=1, full=False, lines={0: Line((("ab", 0),))},
                  cursor=Cursor(1, 0))
    packet = messages.frame_notification("s9", frame)
    (decoded,) = Decoder().feed(encode(packet))
    session, got = messages.parse_frame(decoded.payload)
    assert session == "s9"
    assert got.to_wire() == frame.to_wire()
    with pytest.raises(RejectedError, match="'frame'"):
        messages.parse_frame({"session": "s", "frame": {"c": 1}})


# -- versions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("client", "server", "expected"),
    [((1, 0), (1, 0), (1, 0)), ((1, 3), (1, 1), (1, 1)), ([1, 0], [1, 5], (1, 0))],
)
def test_negotiate(client: Any, server: Any, expected: tuple[int, int]) -> None:
    assert negotiate(client, server) == expected


def test_negotiate_refuses_another_major() -> None:
    with pytest.raises(Unsupported, match="not compatible"):
        negotiate((2, 0), PROTOCOL_VERSION)


def test_hello_reply_payload() -> None:
    assert messages.hello_reply_payload((1, 0), 42) == {
        "version": [1, 0], "server": "emberterm-worker", "pid": 42}


# -- packet helpers --------------------------------------------------------------------------


def test_reply_and_error_echo_ids() -> None:
    req = messages.request(MsgType.STATUS, {}, "c0ffee")
    assert req.request_id > 0
    assert messages.request(MsgType.STATUS, {}, "c").request_id != req.request_id
    assert messages.reply(req, {"ok": 1}) == Packet(MsgType.REPLY, req.request_id,
                                                     "c0ffee", {"ok": 1})
    err = messages.error_reply(req, NotFound("no session '/home/me/x'"))
    assert (err.type, err.request_id, err.correlation_id) == (MsgType.ERROR, req.request_id,
                                                              "c0ffee")
    assert err.payload == {"code": "not_found", "message": "no session '<path>'",
                           "ref": "c0ffee"}
    back = messages.error_of(err)
    assert isinstance(back, NotFound)
    assert back.correlation_id == "c0ffee"


wire_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**64), 2**64) | st.text(max_size=8)
    | st.binary(max_size=8) | st.floats(),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=8) | st.integers(), inner, max_size=4),
    max_leaves=8,
)
field_names = st.sampled_from(sorted({f.name for s in SPECS.values() for f in s.fields}))


@given(st.sampled_from(list(MsgType)) | st.integers(0, 0xFFFF),
       wire_values | st.dictionaries(field_names, wire_values, max_size=6))
def test_validate_raises_only_classified_errors(msg_type: int, payload: Any) -> None:
    try:
        validate(msg_type, payload)
    except (RejectedError, Unsupported):
        pass


@given(st.dictionaries(st.sampled_from(["c", "r", "f", "l", "k", "pm", "am", "t", "it", "cwd",
                                        "alt", "ht", "hs", "tail", "s", "q"]),
                       wire_values, max_size=16))
def test_parse_frame_raises_only_rejected(frame: dict[str, Any]) -> None:
    try:
        messages.parse_frame({"session": "s", "frame": frame})
    except RejectedError:
        pass


def test_validate_packet_tags_errors_with_the_correlation_id() -> None:
    good = messages.request(MsgType.SESSION_DETACH, {"session": "s"}, "cid1")
    assert messages.validate_packet(good) == {"session": "s"}
    with pytest.raises(RejectedError) as info:
        messages.validate_packet(messages.request(MsgType.SESSION_DETACH, {}, "cid2"))
    assert info.value.correlation_id == "cid2"
    with pytest.raises(Unsupported) as unknown:
        messages.validate_packet(Packet(999, 5, "cid3", {}))
    assert unknown.value.correlation_id == "cid3"
    with pytest.raises(RejectedError, match="without a request id"):
        messages.validate_packet(Packet(MsgType.STATUS, 0, "", {}))
    assert messages.validate_packet(messages.notification(MsgType.PING, None)) == {"seq": 0}
