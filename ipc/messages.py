"""The message vocabulary: permanent type numbers, payload schemas, the protocol version.

Every message type has a **permanent number**. A number, once released, is never given to
another message; a message that is dropped moves its number to ``RETIRED``.

Requests, their answers and the heartbeat use 1-39, other notifications 40-79; 80 and
up are free for later families.

A **request** carries a non-zero request id and a correlation id; its answer is a
``reply`` (type ``REPLY``) or an ``error`` (type ``ERROR``) echoing both. A
**notification** carries neither and gets no answer. ``validate`` checks a request's or
notification's payload against its schema and returns the normalised payload (unknown
fields dropped, so a newer minor version's extra optional fields are harmless; missing
optional fields filled with their defaults).

Versioning: ``PROTOCOL_VERSION`` is ``(major, minor)``. Majors must match; the session
speaks the smaller minor (``negotiate``). Adding a message or an optional field bumps the
minor; anything else bumps the major.

What it does not do: no bytes (``ipc.framing``), no sockets, no dispatch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any, Literal

from ipc import ids
from ipc.errors import IpcError, RejectedError, Unsupported
from ipc.errors import from_wire as error_from_wire
from ipc.framing import Packet
from terminal.frames import Frame

__all__ = [
    "PROTOCOL_VERSION",
    "RETIRED",
    "SERVER_NAME",
    "SPECS",
    "ClientKind",
    "Field",
    "Kind",
    "MsgType",
    "Spec",
    "channel_of",
    "error_of",
    "error_reply",
    "frame_notification",
    "hello_payload",
    "hello_reply_payload",
    "kind_of",
    "negotiate",
    "notification",
    "parse_frame",
    "reply",
    "request",
    "spec_of",
    "validate",
    "validate_packet",
]

PROTOCOL_VERSION: tuple[int, int] = (1, 1)  # 1.1: layout.set "current"
SERVER_NAME = "emberterm-worker"


class MsgType(IntEnum):
    """Permanent message numbers. Never renumber; retire into ``RETIRED`` instead."""

    # requests and their answers: 1-39
    HELLO = 1
    REPLY = 2
    ERROR = 3
    PING = 4
    PONG = 5
    SESSION_CREATE = 10
    SESSION_ATTACH = 11
    SESSION_DETACH = 12
    SESSION_WRITE = 13
    SESSION_RESIZE = 14
    SESSION_CLOSE = 15
    SESSION_LIST = 16
    HISTORY_FETCH = 17
    SEARCH = 18
    STATUS = 19
    LAYOUT_SET = 20
    FORGET = 21
    LAYOUT_PREVIOUS = 22
    # notifications: 40-79
    FRAME = 40
    SESSION_EXITED = 41
    SESSION_SPAWNED = 42
    SERVER_BUSY = 43
    BACKPRESSURE = 44
    FRAME_ACK = 45
    SESSION_EVENT = 46


# Numbers once used and since dropped. Never give one of these to a new message.
RETIRED: frozenset[int] = frozenset()

Kind = Literal["request", "reply", "notification"]


class ClientKind(StrEnum):
    GUI = "gui"
    CLI = "cli"


# -- schemas -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Check:
    """An extra constraint on a field: ``text`` for PROTOCOL.md, ``test`` returns what is
    wrong with a value (or None)."""

    text: str
    test: Callable[[Any], str | None]

    def __call__(self, value: Any) -> str | None:
        return self.test(value)


@dataclass(frozen=True, slots=True)
class Field:
    """One payload field: its msgpack type(s), whether required, an extra check."""

    name: str
    types: tuple[type, ...]
    required: bool = True
    default: Any = None
    check: Check | None = None
    doc: str = ""

    def type_names(self) -> str:
        return " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in self.types)


_TYPE_NAMES = {str: "str", int: "int", bool: "bool", bytes: "bin", list: "array",
               dict: "map", float: "float", type(None): "nil"}


def _required(name: str, *types: type, check: Check | None = None, doc: str = "") -> Field:
    return Field(name, types, True, None, check, doc)


def _optional(
    name: str, *types: type, default: Any = None, check: Check | None = None, doc: str = ""
) -> Field:
    return Field(name, types, False, default, check, doc)


def _between(low: float, high: float) -> Check:
    def test(value: Any) -> str | None:
        return None if low <= value <= high else f"must be between {low} and {high}"

    return Check(f"{low}..{high}", test)


def _max_length(limit: int) -> Check:
    def test(value: Any) -> str | None:
        return None if len(value) <= limit else f"longer than {limit}"

    return Check(f"length <= {limit}", test)


def _one_of(*choices: str) -> Check:
    def test(value: Any) -> str | None:
        return None if value in choices else f"must be one of {', '.join(choices)}"

    return Check(" or ".join(f'"{c}"' for c in choices), test)


def _version_test(value: Any) -> str | None:
    if len(value) != 2 or not all(_is_int(v) and v >= 0 for v in value):
        return "must be [major, minor]"
    return None


_version = Check("[major, minor], two ints", _version_test)


def _strings(limit: int) -> Check:
    def test(value: Any) -> str | None:
        if len(value) > limit:
            return f"has more than {limit} items"
        if not all(isinstance(v, str) for v in value):
            return "must hold strings only"
        return None

    return Check(f"up to {limit} strings", test)


def _string_map_test(value: Any) -> str | None:
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return "must map strings to strings"
    return None


_string_map = Check("str -> str", _string_map_test)


def _placements_test(value: Any) -> str | None:
    if len(value) > 10_000:
        return "has more than 10000 items"
    for item in value:
        if not (isinstance(item, list) and len(item) == 3 and isinstance(item[0], str)
                and all(_is_int(v) and v >= 0 for v in item[1:])):
            return "must hold [session, window, tab] items"
    return None


_placements = Check("up to 10000 [str, int, int]", _placements_test)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_SESSION = _required("session", str, check=_max_length(64), doc="session id")
_COLUMNS = _required("columns", int, check=_between(1, 1000), doc="screen width in cells")
_ROWS = _required("rows", int, check=_between(1, 500), doc="screen height in rows")


@dataclass(frozen=True, slots=True)
class Spec:
    """What one message type is: its name, kind, breaker channel and payload schema."""

    type: MsgType
    name: str
    kind: Kind
    fields: tuple[Field, ...] = ()
    channel: str = "control"
    doc: str = ""
    reply: str = ""  # the reply payload, described for PROTOCOL.md
    any_payload: bool = False  # REPLY: the payload belongs to the request's own contract
    field_names: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "field_names", frozenset(f.name for f in self.fields))


_SPEC_LIST: tuple[Spec, ...] = (
    Spec(
        MsgType.HELLO, "hello", "request",
        (
            _required("version", list, check=_version, doc="[major, minor] the client speaks"),
            _required("kind", str, check=_one_of(*ClientKind), doc="gui or cli"),
            _required("token", str, check=_max_length(256), doc="contents of the token file"),
            _required("pid", int, check=_between(0, 2**32 - 1), doc="client process id"),
        ),
        doc="The first packet on every connection; any other first packet closes it.",
        reply='{"version": [1, minor], "server": "emberterm-worker", "pid": int}',
    ),
    Spec(MsgType.REPLY, "reply", "reply", any_payload=True,
         doc="Successful answer; echoes the request id and correlation id."),
    Spec(
        MsgType.ERROR, "error", "reply",
        (
            _required("code", str, doc="an ipc.errors.ErrorKind value"),
            _required("message", str, doc="sanitized, safe to show"),
            _optional("ref", str, default="", doc="correlation id to quote"),
        ),
        doc="Failed answer; echoes the request id and correlation id.",
    ),
    Spec(MsgType.PING, "ping", "notification",
         (_optional("seq", int, default=0, doc="echoed by pong"),),
         doc="Heartbeat, either direction; the peer answers with pong."),
    Spec(MsgType.PONG, "pong", "notification",
         (_optional("seq", int, default=0, doc="the ping's seq"),),
         doc="Answer to ping."),
    Spec(
        MsgType.SESSION_CREATE, "session.create", "request",
        (
            _optional("argv", list, default=None, check=_strings(256),
                      doc="program and arguments; the user's shell when absent"),
            _optional("cwd", str, default=None, check=_max_length(4096), doc="start directory"),
            _optional("env", dict, default=None, check=_string_map, doc="extra environment"),
            _optional("columns", int, default=80, check=_between(1, 1000)),
            _optional("rows", int, default=24, check=_between(1, 500)),
            _optional("title", str, default="", check=_max_length(256)),
            _optional("private", bool, default=False,
                      doc="keep no transcript of this session (a private tab)"),
            _optional("window", int, default=0, check=_between(0, 2**31),
                      doc="window the session's tab is in"),
            _optional("tab", int, default=0, check=_between(0, 2**31),
                      doc="position of the tab in its window"),
        ),
        doc="Start a shell in a new session.",
        reply='{"session": str, "pid": int}',
    ),
    Spec(
        MsgType.SESSION_ATTACH, "session.attach", "request",
        (_SESSION,
         _optional("columns", int, default=None, check=_between(1, 1000)),
         _optional("rows", int, default=None, check=_between(1, 500)),
         _optional("transcript", bool, default=False,
                   doc="a session that ended long ago: its saved screen from the store")),
        doc="Start receiving frames of a session; a full frame follows.",
        reply='{"session": str, "columns": int, "rows": int, "title": str}',
    ),
    Spec(MsgType.SESSION_DETACH, "session.detach", "request", (_SESSION,),
         doc="Stop receiving frames; the session lives on.", reply="{}"),
    Spec(
        MsgType.SESSION_WRITE, "session.write", "request",
        (_SESSION, _required("data", bytes, check=_max_length(1 << 20), doc="input bytes")),
        channel="input", doc="Send input (keys, paste) to the session's program.",
        reply='{"written": int}',
    ),
    Spec(MsgType.SESSION_RESIZE, "session.resize", "request", (_SESSION, _COLUMNS, _ROWS),
         channel="input", doc="Change the screen size.", reply="{}"),
    Spec(
        MsgType.SESSION_CLOSE, "session.close", "request",
        (_SESSION, _optional("force", bool, default=False, doc="kill rather than hang up")),
        doc="End the session's program and forget the session.", reply="{}",
    ),
    Spec(MsgType.SESSION_LIST, "session.list", "request",
         doc="The live sessions.",
         reply='{"sessions": [{"session": str, "title": str, "pid": int, ...}]}'),
    Spec(
        MsgType.HISTORY_FETCH, "history.fetch", "request",
        (_SESSION,
         _required("first", int, check=_between(0, 2**63 - 1), doc="absolute line number"),
         _required("count", int, check=_between(1, 10_000))),
        channel="query", doc="Lines of history older than a replica holds.",
        reply='{"first": int, "lines": [line.to_wire()], "styles": [[id, *style]]}',
    ),
    Spec(
        MsgType.SEARCH, "search", "request",
        (_required("query", str, check=_max_length(1024)),
         _optional("session", str, default=None, check=_max_length(64)),
         _optional("limit", int, default=100, check=_between(1, 10_000)),
         _optional("regex", bool, default=False)),
        channel="query", doc="Full-text search of transcripts.",
        reply='{"hits": [{"session": str, "line": int, "text": str}]}',
    ),
    Spec(
        MsgType.LAYOUT_SET, "layout.set", "request",
        (_required("placements", list, check=_placements,
                   doc="[[session, window, tab], ...] for the sessions a GUI shows"),
         _optional("current", list, default=[], check=_strings(10_000),
                   doc="the sessions each window shows as its current tab")),
        doc="Record where sessions are shown, so a restarted GUI reopens the same layout.",
        reply="{}",
    ),
    Spec(
        MsgType.LAYOUT_PREVIOUS, "layout.previous", "request",
        (_optional("take", bool, default=False,
                   doc="clear it: the GUI is reopening it now"),),
        doc="The tabs that ended with the previous worker (a crash or a reboot), so a GUI "
            "can reopen the last layout with fresh shells in the same directories.",
        reply='{"sessions": [{"session": str, "argv": [str], "cwd": str, "title": str, '
              '"window": int, "tab": int}]}',
    ),
    Spec(
        MsgType.FORGET, "forget", "request",
        (_optional("session", str, default=None, check=_max_length(64),
                   doc="one session's transcript; all when absent"),),
        channel="query", doc="Remove transcripts for good (and VACUUM the database).",
        reply='{"chunks": int}',
    ),
    Spec(MsgType.STATUS, "status", "request",
         doc="Health and counters of the worker.",
         reply='{"pid": int, "uptime": float, "sessions": int, "clients": int}'),
    Spec(
        MsgType.FRAME, "frame", "notification",
        (_SESSION, _required("frame", dict, doc="terminal.frames.Frame.to_wire()")),
        doc="What changed on a screen since the frame the client last acknowledged.",
    ),
    Spec(
        MsgType.SESSION_EXITED, "session.exited", "notification",
        (_SESSION, _optional("status", int, type(None), default=None, doc="exit status"),
         _optional("signal", int, type(None), default=None, doc="signal that ended it")),
        doc="A session's program ended.",
    ),
    Spec(
        MsgType.SESSION_SPAWNED, "session.spawned", "notification",
        (_SESSION, _optional("title", str, default="")),
        doc="A session was created by another client (e.g. the CLI); open a tab for it.",
    ),
    Spec(
        MsgType.SERVER_BUSY, "server.busy", "notification",
        (_optional("retry_after", float, int, default=1.0, check=_between(0, 3600)),
         _optional("reason", str, default="")),
        doc="The worker is shedding load; requests may get overloaded errors.",
    ),
    Spec(
        MsgType.BACKPRESSURE, "backpressure", "notification",
        (_optional("session", str, default=None), _required("paused", bool),
         _optional("queued", int, default=0, doc="bytes waiting")),
        doc="Input to a session is paused (its program is not reading) or resumed.",
    ),
    Spec(
        MsgType.SESSION_EVENT, "session.event", "notification",
        (_SESSION,
         _required("kind", str, check=_one_of("bell", "clipboard"), doc="what happened"),
         _optional("selection", str, default="c", check=_max_length(16),
                   doc="OSC 52 selection (clipboard)"),
         _optional("text", str, default="", check=_max_length(1 << 20),
                   doc="OSC 52 text to put on the clipboard (clipboard)")),
        doc="Something the program did besides drawing: the bell, an OSC 52 clipboard "
            "request. Sent to the windows attached to the session; they decide.",
    ),
    Spec(
        MsgType.FRAME_ACK, "frame.ack", "notification",
        (_SESSION, _required("seq", int, check=_between(0, 2**63 - 1))),
        doc="Client to worker: the newest frame applied; later frames diff against it.",
    ),
)

SPECS: Mapping[int, Spec] = {spec.type: spec for spec in _SPEC_LIST}


def spec_of(msg_type: int) -> Spec:
    try:
        return SPECS[msg_type]
    except KeyError:
        raise Unsupported(f"unknown message type {msg_type}") from None


def kind_of(msg_type: int) -> Kind:
    """``request``, ``reply`` or ``notification``; ``Unsupported`` for an unknown type.

    (A receiver that does not know a type can still tell a request from a notification:
    only requests and replies carry a non-zero request id.)
    """
    return spec_of(msg_type).kind


def channel_of(msg_type: int) -> str:
    """The breaker channel a request goes through: ``control``, ``input`` or ``query``."""
    return spec_of(msg_type).channel


def validate(msg_type: int, payload: Any) -> dict[str, Any]:
    """The normalised payload, or ``RejectedError`` naming the first bad field.

    ``Unsupported`` for an unknown type. Payloads are maps; ``nil`` counts as an empty map.
    """
    spec = spec_of(msg_type)
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise RejectedError(
            f"{spec.name}: payload must be a map, not {type(payload).__name__}"
        )
    if spec.any_payload:
        return payload
    result: dict[str, Any] = {}
    for f in spec.fields:
        if f.name not in payload or (payload[f.name] is None and type(None) not in f.types):
            if f.required:
                raise RejectedError(f"{spec.name}: field '{f.name}' is missing")
            result[f.name] = f.default
            continue
        value = payload[f.name]
        if not _has_type(value, f.types):
            raise RejectedError(
                f"{spec.name}: field '{f.name}' must be {f.type_names()}, "
                f"not {_TYPE_NAMES.get(type(value), type(value).__name__)}"
            )
        problem = f.check(value) if f.check is not None and value is not None else None
        if problem:
            raise RejectedError(f"{spec.name}: field '{f.name}' {problem}")
        result[f.name] = value
    return result


def validate_packet(packet: Packet) -> dict[str, Any]:
    """``validate`` for a received packet, with the packet's correlation id on any error
    (so the ``error`` reply and the log line carry it).

    A request without a request id could never be answered: ``RejectedError``.
    """
    try:
        if packet.request_id == 0 and kind_of(packet.type) == "request":
            raise RejectedError(f"{spec_of(packet.type).name}: request without a request id")
        return validate(packet.type, packet.payload)
    except IpcError as err:
        raise err.with_correlation_id(packet.correlation_id) from None


def _has_type(value: Any, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool):  # bool is an int in Python, not on the wire
        return bool in types
    if isinstance(value, int) and float in types and int not in types:
        return True  # an integral float may arrive packed as an int
    return isinstance(value, types)


# -- versions and the handshake ------------------------------------------------------------


def negotiate(
    client_version: tuple[int, int] | list[int], server_version: tuple[int, int] | list[int]
) -> tuple[int, int]:
    """The version a connection speaks: the common major and the smaller minor.

    Raises ``Unsupported`` when the majors differ.
    """
    client_major, client_minor = (int(v) for v in client_version)
    server_major, server_minor = (int(v) for v in server_version)
    if client_major != server_major:
        raise Unsupported(
            f"protocol {client_major}.{client_minor} is not compatible with "
            f"{server_major}.{server_minor}"
        )
    return client_major, min(client_minor, server_minor)


def hello_payload(kind: ClientKind | str, token: str, pid: int) -> dict[str, Any]:
    return {"version": list(PROTOCOL_VERSION), "kind": str(kind), "token": token, "pid": pid}


def hello_reply_payload(version: tuple[int, int], pid: int) -> dict[str, Any]:
    return {"version": list(version), "server": SERVER_NAME, "pid": pid}


# -- building packets ----------------------------------------------------------------------


def request(
    msg_type: int, payload: Any, correlation_id: str, *, request_id: int | None = None
) -> Packet:
    """A request packet; the request id comes from the process-wide counter unless given."""
    rid = ids.next_request_id() if request_id is None else request_id
    return Packet(int(msg_type), rid, correlation_id, payload)


def reply(to: Packet, payload: Any) -> Packet:
    return Packet(MsgType.REPLY, to.request_id, to.correlation_id, payload)


def error_reply(to: Packet, err: IpcError) -> Packet:
    cid = to.correlation_id or err.correlation_id
    err.with_correlation_id(cid)
    return Packet(MsgType.ERROR, to.request_id, cid, err.to_wire())


def error_of(packet: Packet) -> IpcError:
    """The error an ``ERROR`` packet carries."""
    return error_from_wire(packet.payload, packet.correlation_id)


def notification(msg_type: int, payload: Any) -> Packet:
    return Packet(int(msg_type), 0, "", payload)


def frame_notification(session: str, frame: Frame) -> Packet:
    return notification(MsgType.FRAME, {"session": session, "frame": frame.to_wire()})


def parse_frame(payload: Any) -> tuple[str, Frame]:
    """The session and ``Frame`` of a ``FRAME`` payload; ``RejectedError`` if malformed."""
    data = validate(MsgType.FRAME, payload)
    try:
        return data["session"], Frame.from_wire(data["frame"])
    except ValueError as exc:
        raise RejectedError(f"frame: field 'frame' is malformed: {exc}") from exc
