"""Packets on a byte stream: pinned bytes, any chunking, and every way a peer can lie."""

from __future__ import annotations

import msgpack
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipc.errors import ProtocolError
from ipc.framing import MAX_PACKET, Decoder, Packet, encode
from ipc.messages import MsgType


def ping() -> Packet:
    return Packet(MsgType.PING, 0, "", None)


# -- pinned encodings: these bytes are the protocol; change them only with the major ------

PINNED = [
    (
        Packet(MsgType.PING, 0, "", None),
        b"\x00\x00\x00\x08" b"\x00\x04" b"\x00\x00\x00\x00" b"\x00" b"\xc0",
    ),
    (
        Packet(MsgType.SESSION_LIST, 7, "abc", {}),
        b"\x00\x00\x00\x0b" b"\x00\x10" b"\x00\x00\x00\x07" b"\x03abc" b"\x80",
    ),
    (
        Packet(MsgType.REPLY, 0x01020304, "c1", {"ok": True}),
        b"\x00\x00\x00\x0e" b"\x00\x02" b"\x01\x02\x03\x04" b"\x02c1" b"\x81\xa2ok\xc3",
    ),
    (
        Packet(MsgType.SESSION_WRITE, 1, "", {"data": b"\x1b["}),
        b"\x00\x00\x00\x11" b"\x00\x0d" b"\x00\x00\x00\x01" b"\x00"
        b"\x81\xa4data\xc4\x02\x1b[",
    ),
]


@pytest.mark.parametrize(("packet", "wire"), PINNED)
def test_pinned_bytes(packet: Packet, wire: bytes) -> None:
    assert encode(packet) == wire
    assert Decoder().feed(wire) == [packet]


def test_bytes_and_str_stay_distinct() -> None:
    packet = Packet(MsgType.REPLY, 1, "x", {"b": b"raw", "s": "text", 3: [1, 2]})
    (decoded,) = Decoder().feed(encode(packet))
    assert decoded.payload == {"b": b"raw", "s": "text", 3: [1, 2]}
    assert isinstance(decoded.payload["b"], bytes)


# -- chunking ----------------------------------------------------------------------------

payloads = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.text(max_size=20)
    | st.binary(max_size=20) | st.floats(allow_nan=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner,
                                                                 max_size=4),
    max_leaves=10,
)
packets = st.builds(
    Packet,
    type=st.integers(0, 0xFFFF),
    request_id=st.integers(0, 0xFFFF_FFFF),
    correlation_id=st.text(alphabet="0123456789abcdef", max_size=16),
    payload=payloads,
)


@given(st.lists(packets, min_size=1, max_size=5), st.data())
def test_any_split_decodes_the_same(items: list[Packet], data: st.DataObject) -> None:
    stream = b"".join(encode(p) for p in items)
    cuts = sorted(data.draw(st.sets(st.integers(0, len(stream)), max_size=10)))
    decoder = Decoder()
    out: list[Packet] = []
    start = 0
    for cut in [*cuts, len(stream)]:
        out += decoder.feed(stream[start:cut])
        start = cut
    assert out == items
    assert decoder.buffered == 0


def test_byte_at_a_time() -> None:
    items = [wire for _, wire in PINNED]
    decoder = Decoder()
    out = []
    for byte in b"".join(items):
        out += decoder.feed(bytes([byte]))
    assert out == [packet for packet, _ in PINNED]


def test_many_packets_in_one_chunk() -> None:
    items = [Packet(MsgType.FRAME, 0, "", {"n": i}) for i in range(200)]
    assert Decoder().feed(b"".join(encode(p) for p in items)) == items


def test_buffered_counts_held_bytes() -> None:
    wire = encode(Packet(MsgType.STATUS, 3, "abc", {}))
    decoder = Decoder()
    assert decoder.feed(wire[:2]) == []
    assert decoder.buffered == 2
    assert decoder.feed(wire[2:9]) == []
    assert decoder.buffered == 5  # the prefix is consumed; 5 body bytes held
    assert decoder.feed(wire[9:]) == [Packet(MsgType.STATUS, 3, "abc", {})]
    assert decoder.buffered == 0


def test_unknown_type_decodes() -> None:
    packet = Packet(0xFFFE, 9, "q", {"future": 1})
    assert Decoder().feed(encode(packet)) == [packet]


# -- lying peers ---------------------------------------------------------------------------


def test_oversize_prefix_raises_before_any_body_arrives() -> None:
    decoder = Decoder()
    with pytest.raises(ProtocolError, match="over"):
        decoder.feed((1 << 30).to_bytes(4, "big"))  # announces 1 GiB, sends nothing more
    assert decoder.buffered == 0


def test_oversize_prefix_is_seen_even_with_body_in_the_same_chunk() -> None:
    decoder = Decoder(max_packet=16)
    with pytest.raises(ProtocolError):
        decoder.feed((17).to_bytes(4, "big") + b"\x00" * 17)
    assert decoder.buffered == 0


def test_cap_is_inclusive() -> None:
    packet = Packet(MsgType.REPLY, 1, "", b"x" * 100)
    wire = encode(packet)
    assert Decoder(max_packet=len(wire) - 4).feed(wire) == [packet]
    with pytest.raises(ProtocolError):
        Decoder(max_packet=len(wire) - 5).feed(wire)


def test_encode_refuses_oversize() -> None:
    with pytest.raises(ProtocolError):
        encode(Packet(MsgType.REPLY, 1, "", b"x" * MAX_PACKET))


@pytest.mark.parametrize(
    "body",
    [
        b"\x00\x04\x00\x00\x00\x00\x00\xc1",  # 0xc1 is never used in msgpack
        b"\x00\x04\x00\x00\x00\x00\x00\x92\x01",  # array of 2 with one item
        b"\x00\x04\x00\x00\x00\x00\x00\xc0\xc0",  # two objects where one belongs
        b"\x00\x04\x00\x00\x00\x00\x00\xdb\xff\xff\xff\xff",  # str of 4 GiB announced
        b"\x00\x04\x00\x00\x00\x00\x00\x81\x90\x01",  # map keyed by an (unhashable) array
        b"\x00\x04\x00\x00\x00\x00\x00\xd4\x05\x00",  # msgpack extension type
        b"\x00\x04\x00\x00\x00\x00\x00\xa2\xff\xfe",  # str that is not UTF-8
        b"\x00\x04\x00\x00\x00\x00\x09ab",  # correlation id longer than the packet
        b"\x00\x04\x00\x00\x00\x00\x02\xff\xfe\xc0",  # correlation id not ASCII
    ],
)
def test_malformed_body_raises(body: bytes) -> None:
    with pytest.raises(ProtocolError):
        Decoder().feed(len(body).to_bytes(4, "big") + body)


@pytest.mark.parametrize("length", [0, 1, 7])
def test_too_short_prefix_raises(length: int) -> None:
    with pytest.raises(ProtocolError):
        Decoder().feed(length.to_bytes(4, "big"))


def test_decoder_stays_broken_after_an_error() -> None:
    decoder = Decoder()
    with pytest.raises(ProtocolError):
        decoder.feed(b"\x00\x00\x00\x01")
    with pytest.raises(ProtocolError, match="already broken"):
        decoder.feed(encode(ping()))


@pytest.mark.parametrize(
    "packet",
    [
        Packet(MsgType.PING, 0, "é", None),
        Packet(MsgType.PING, 0, "x" * 256, None),
        Packet(-1, 0, "", None),
        Packet(0x10000, 0, "", None),
        Packet(MsgType.PING, 2**32, "", None),
        Packet(MsgType.PING, 0, "", object()),
    ],
)
def test_encode_refuses_what_cannot_go_on_the_wire(packet: Packet) -> None:
    with pytest.raises(ProtocolError):
        encode(packet)


def test_payload_is_standard_msgpack() -> None:
    wire = encode(Packet(MsgType.REPLY, 1, "ab", {"k": [1, "two", b"3"]}))
    assert msgpack.unpackb(wire[4 + 7 + 2 :], raw=False) == {"k": [1, "two", b"3"]}


@given(st.lists(st.binary(max_size=64), max_size=8))
def test_garbage_raises_only_protocol_errors(chunks: list[bytes]) -> None:
    # The server's read handler catches ProtocolError and closes the connection; any other
    # exception escaping the decoder would take the worker's event loop down with it.
    decoder = Decoder(max_packet=1024)
    for chunk in chunks:
        try:
            for packet in decoder.feed(chunk):
                assert isinstance(packet, Packet)
        except ProtocolError:
            break


@given(packets, st.integers(0, 200), st.integers(0, 255))
def test_corrupted_packets_raise_only_protocol_errors(packet: Packet, where: int,
                                                      value: int) -> None:
    wire = bytearray(encode(packet))
    wire[4 + where % (len(wire) - 4)] = value  # corrupt one byte of the body
    try:
        Decoder().feed(bytes(wire))
    except ProtocolError:
        pass
