"""Packets on a byte stream: length-prefixed, a small fixed header, a msgpack payload.

Wire layout of one packet (all integers big-endian)::

    u32  body length            (header + payload; at most ``max_packet``)
    u16  message type           (``ipc.messages.MsgType``; unknown numbers decode fine)
    u32  request id             (0 for notifications)
    u8   correlation id length  (0 for notifications)
    ...  correlation id         (ASCII)
    ...  payload                (exactly one msgpack object)

The decoder is incremental: bytes arrive in whatever chunks the socket gives, a packet
split at any byte decodes, and many packets in one chunk all decode. The size cap is
checked on the length prefix, before a single body byte is buffered, so a peer cannot make
us allocate by announcing a huge packet. Any malformed packet raises ``ProtocolError``;
the connection is then unusable (the stream has lost its framing) and the decoder keeps
raising.

What it does not do: it does not know what the types mean or validate payloads
(``ipc.messages`` does), and it does no I/O.

Performance-sensitive: every screen frame passes through ``encode`` and ``Decoder.feed``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import msgpack

from ipc.errors import ProtocolError

__all__ = ["HEADER_SIZE", "MAX_PACKET", "Decoder", "Packet", "encode"]

MAX_PACKET = 4 * 1024 * 1024
PREFIX = struct.Struct(">I")
HEADER = struct.Struct(">HIB")  # type, request id, correlation id length
PREFIX_SIZE = PREFIX.size  # 4
HEADER_SIZE = HEADER.size  # 7: the smallest body is a header and an empty correlation id,
MIN_BODY = HEADER_SIZE + 1  # ... plus at least one payload byte (msgpack nil is 0xc0)
MAX_TYPE = 0xFFFF
MAX_REQUEST_ID = 0xFFFF_FFFF
MAX_CORRELATION_ID = 0xFF


@dataclass(frozen=True, slots=True)
class Packet:
    """One message on the wire. Notifications have ``request_id`` 0 and ``correlation_id`` ""."""

    type: int
    request_id: int
    correlation_id: str
    payload: Any


def encode(packet: Packet) -> bytes:
    """The bytes of ``packet``. Raises ``ProtocolError`` if it cannot go on the wire
    (a header field out of range, a payload msgpack cannot carry, or too big)."""
    try:
        cid = packet.correlation_id.encode("ascii")
    except UnicodeEncodeError as exc:
        raise ProtocolError(
            f"correlation id {packet.correlation_id!r} is not ASCII"
        ) from exc
    if len(cid) > MAX_CORRELATION_ID:
        raise ProtocolError(f"correlation id is {len(cid)} bytes, at most 255")
    if not 0 <= packet.type <= MAX_TYPE:
        raise ProtocolError(f"message type {packet.type} out of range")
    if not 0 <= packet.request_id <= MAX_REQUEST_ID:
        raise ProtocolError(f"request id {packet.request_id} out of range")
    try:
        payload = msgpack.packb(packet.payload, use_bin_type=True, datetime=False)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ProtocolError(f"cannot encode payload of type {packet.type}: {exc}") from exc
    length = HEADER_SIZE + len(cid) + len(payload)
    if length > MAX_PACKET:
        raise ProtocolError(f"packet of type {packet.type} is {length} bytes, over {MAX_PACKET}")
    return b"".join(
        (
            PREFIX.pack(length),
            HEADER.pack(packet.type, packet.request_id, len(cid)),
            cid,
            payload,
        )
    )


def _refuse_ext(code: int, data: bytes) -> Any:
    raise ValueError(f"msgpack extension type {code} is not part of the protocol")


def decode_body(body: bytes) -> Packet:
    """One packet from its body (the bytes after the length prefix)."""
    if len(body) < MIN_BODY:
        raise ProtocolError(f"packet body of {len(body)} bytes is shorter than a header")
    msg_type, request_id, cid_length = HEADER.unpack_from(body)
    start = HEADER_SIZE + cid_length
    if len(body) < start + 1:
        raise ProtocolError("correlation id runs past the end of the packet")
    try:
        cid = body[HEADER_SIZE:start].decode("ascii")
    except UnicodeDecodeError as exc:
        raise ProtocolError("correlation id is not ASCII") from exc
    try:
        # unpackb bounds every string/array/map length by the input's size, so a lying
        # length inside the payload cannot make it allocate more than the packet holds.
        payload = msgpack.unpackb(
            body[start:],
            raw=False,
            strict_map_key=False,
            use_list=True,
            ext_hook=_refuse_ext,
        )
    except Exception as exc:  # msgpack raises ValueError, TypeError (unhashable keys), ...
        raise ProtocolError(
            f"malformed payload in packet of type {msg_type}: {type(exc).__name__}: {exc}",
            correlation_id=cid,
        ) from exc
    return Packet(msg_type, request_id, cid, payload)


class Decoder:
    """Turns a byte stream into packets, whatever the chunking.

    Holds at most one partial packet: the bytes of an unfinished length prefix, or of an
    unfinished body whose announced length passed the cap.
    """

    __slots__ = ("_body_length", "_buffer", "_failed", "max_packet")

    def __init__(self, max_packet: int = MAX_PACKET) -> None:
        self.max_packet = max_packet
        self._buffer = bytearray()
        self._body_length: int | None = None  # None while reading the length prefix
        self._failed: ProtocolError | None = None

    @property
    def buffered(self) -> int:
        """Bytes held for a packet not yet complete."""
        return len(self._buffer)

    def feed(self, data: bytes | bytearray | memoryview) -> list[Packet]:
        """The packets completed by ``data`` (possibly none, possibly many)."""
        if self._failed is not None:
            raise ProtocolError(f"stream already broken: {self._failed.detail}")
        try:
            return self._feed(memoryview(data).cast("B"))
        except ProtocolError as exc:
            self._failed = exc
            self._buffer = bytearray()
            raise

    def _feed(self, view: memoryview) -> list[Packet]:
        packets: list[Packet] = []
        buffer = self._buffer
        while view:
            if self._body_length is None:
                take = PREFIX_SIZE - len(buffer)
                buffer += view[:take]
                view = view[take:]
                if len(buffer) < PREFIX_SIZE:
                    break
                (length,) = PREFIX.unpack(buffer)
                buffer.clear()
                if length > self.max_packet:
                    raise ProtocolError(
                        f"announced packet of {length} bytes is over the {self.max_packet} cap"
                    )
                if length < MIN_BODY:
                    raise ProtocolError(f"announced packet of {length} bytes is too short")
                self._body_length = length
                continue
            missing = self._body_length - len(buffer)
            if not buffer and len(view) >= missing:
                # Fast path: the whole body is in this chunk; no copy into the buffer.
                packets.append(decode_body(bytes(view[:missing])))
            else:
                buffer += view[:missing]
                if len(buffer) < self._body_length:
                    break
                packets.append(decode_body(bytes(buffer)))
                buffer.clear()
            view = view[missing:]
            self._body_length = None
        return packets
