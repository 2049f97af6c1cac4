"""Classified IPC errors: what went wrong, whether it counts against the breaker, what to show.

Every failure that crosses the wire or the timeout boundary is one ``IpcError`` subclass
with an ``ErrorKind``. The kind decides three things:

* ``counts_as_failure`` -- whether the circuit breaker counts it. Only failures that say
  the worker is unhealthy count: transport errors (``unavailable``, ``protocol``),
  timeouts, ``overloaded`` and ``remote`` internal errors. A rejected request, an unknown
  session, a bad token or a cancelled call says nothing about the worker's health.
* ``can_heal`` -- whether retrying later may succeed (habit: retry what can heal, never
  what can't).
* ``user_message()`` -- one short sentence a person may see, plus a reference (the
  correlation id) they can quote; the full ``detail`` goes only to the log.

``sanitize`` is the one place text is cleaned before it leaves the process or reaches a
person: no paths, tokens, tracebacks or long hex strings.

What it does not do: it never logs and never decides on retries itself.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, ClassVar

__all__ = [
    "CallTimeout",
    "Cancelled",
    "CircuitOpen",
    "ErrorKind",
    "IpcError",
    "NotFound",
    "Overloaded",
    "ProtocolError",
    "RejectedError",
    "RemoteError",
    "Unauthorized",
    "Unavailable",
    "Unsupported",
    "describe",
    "error_class",
    "from_wire",
    "sanitize",
    "short_ref",
]


class ErrorKind(StrEnum):
    """The classes of failure. The values travel on the wire as ``code``: never rename."""

    TIMEOUT = "timeout"
    UNAVAILABLE = "unavailable"
    OVERLOADED = "overloaded"
    REJECTED = "rejected"
    PROTOCOL = "protocol"
    REMOTE = "remote"
    CIRCUIT_OPEN = "circuit_open"
    UNAUTHORIZED = "unauthorized"
    UNSUPPORTED = "unsupported"
    CANCELLED = "cancelled"
    NOT_FOUND = "not_found"


# What a person reads, per kind. Short, no jargon beyond what a terminal user knows.
_SENTENCES: dict[ErrorKind, str] = {
    ErrorKind.TIMEOUT: "The session server did not answer in time.",
    ErrorKind.UNAVAILABLE: "The session server is not reachable.",
    ErrorKind.OVERLOADED: "The session server is busy; try again shortly.",
    ErrorKind.REJECTED: "The request was not accepted.",
    ErrorKind.PROTOCOL: "The connection to the session server broke.",
    ErrorKind.REMOTE: "The session server hit an internal error.",
    ErrorKind.CIRCUIT_OPEN: "The session server failed repeatedly; Emberterm will retry shortly.",
    ErrorKind.UNAUTHORIZED: "The session server refused this client.",
    ErrorKind.UNSUPPORTED: "The session server does not support this request.",
    ErrorKind.CANCELLED: "The request was cancelled.",
    ErrorKind.NOT_FOUND: "That session no longer exists.",
}

# Kinds whose detail is written for the person who made the request (a validation message
# naming the field, an unknown session name), so user_message() adds it after sanitizing.
_DETAIL_IS_PUBLIC = frozenset({ErrorKind.REJECTED, ErrorKind.NOT_FOUND, ErrorKind.UNSUPPORTED})

REF_LENGTH = 12
MESSAGE_LIMIT = 200


class IpcError(Exception):
    """Base of every classified IPC failure.

    ``detail`` is the full text for the log (may hold paths or exception reprs);
    ``correlation_id`` ties it to the request and to the log lines of both processes.
    """

    kind: ClassVar[ErrorKind] = ErrorKind.REMOTE
    counts_as_failure: ClassVar[bool] = True
    can_heal: ClassVar[bool] = False

    def __init__(self, detail: str = "", *, correlation_id: str = "") -> None:
        super().__init__(detail or _SENTENCES[self.kind])
        self.detail = detail or _SENTENCES[self.kind]
        self.correlation_id = correlation_id

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.detail!r}, correlation_id={self.correlation_id!r})"

    def user_message(self) -> str:
        """A sanitized sentence for a person, ending with ``(ref <id>)`` when there is one."""
        text = _SENTENCES[self.kind]
        if self.kind in _DETAIL_IS_PUBLIC and self.detail != text:
            extra = sanitize(self.detail, limit=120)
            if extra:
                text = f"{text[:-1]}: {extra}"
        ref = short_ref(self.correlation_id)
        return f"{text} (ref {ref})" if ref else text

    def to_wire(self) -> dict[str, Any]:
        """The ``error`` reply payload: the code, a sanitized message, the reference."""
        return {
            "code": self.kind.value,
            "message": sanitize(self.detail),
            "ref": self.correlation_id,
        }

    def with_correlation_id(self, correlation_id: str) -> IpcError:
        """Fill in the correlation id if it is missing, and return ``self``."""
        if not self.correlation_id:
            self.correlation_id = correlation_id
        return self


class CallTimeout(IpcError):
    """No reply within the call's deadline."""

    kind = ErrorKind.TIMEOUT
    counts_as_failure = True
    can_heal = True


class Unavailable(IpcError):
    """No connection: the worker is not running, the socket refused or dropped."""

    kind = ErrorKind.UNAVAILABLE
    counts_as_failure = True
    can_heal = True


class Overloaded(IpcError):
    """The worker shed this request (``server.busy``, a queue or rate limit was full)."""

    kind = ErrorKind.OVERLOADED
    counts_as_failure = True
    can_heal = True


class RejectedError(IpcError):
    """The request was well-formed on the wire but its payload was not valid."""

    kind = ErrorKind.REJECTED
    counts_as_failure = False


class ProtocolError(IpcError):
    """A malformed or oversize packet, or a handshake that does not parse."""

    kind = ErrorKind.PROTOCOL
    counts_as_failure = True


class RemoteError(IpcError):
    """The worker failed while handling the request (an internal error)."""

    kind = ErrorKind.REMOTE
    counts_as_failure = True


class CircuitOpen(IpcError):
    """The breaker refused the call without trying; it is the breaker's own verdict."""

    kind = ErrorKind.CIRCUIT_OPEN
    counts_as_failure = False
    can_heal = True


class Unauthorized(IpcError):
    """The hello token was wrong or missing."""

    kind = ErrorKind.UNAUTHORIZED
    counts_as_failure = False


class Unsupported(IpcError):
    """An unknown message type, or a protocol version the other side does not speak."""

    kind = ErrorKind.UNSUPPORTED
    counts_as_failure = False


class Cancelled(IpcError):
    """The caller gave up (window closed, superseded request)."""

    kind = ErrorKind.CANCELLED
    counts_as_failure = False


class NotFound(IpcError):
    """The named session (or other object) does not exist."""

    kind = ErrorKind.NOT_FOUND
    counts_as_failure = False


_CLASSES: dict[ErrorKind, type[IpcError]] = {
    cls.kind: cls
    for cls in (
        CallTimeout,
        Unavailable,
        Overloaded,
        RejectedError,
        ProtocolError,
        RemoteError,
        CircuitOpen,
        Unauthorized,
        Unsupported,
        Cancelled,
        NotFound,
    )
}


def error_class(kind: ErrorKind | str) -> type[IpcError]:
    """The subclass for a kind; ``RemoteError`` for a code this version does not know."""
    try:
        return _CLASSES[ErrorKind(kind)]
    except ValueError:
        return RemoteError


def from_wire(payload: Any, correlation_id: str = "") -> IpcError:
    """Rebuild the error an ``error`` reply carries. Never raises: a malformed payload
    becomes a ``ProtocolError`` describing it."""
    if not isinstance(payload, dict):
        return ProtocolError(
            f"error reply payload is {type(payload).__name__}, not a map",
            correlation_id=correlation_id,
        )
    code = payload.get("code")
    message = payload.get("message")
    ref = payload.get("ref")
    cid = ref if isinstance(ref, str) and ref else correlation_id
    cls = error_class(code) if isinstance(code, str) else RemoteError
    text = sanitize(message) if isinstance(message, str) else ""
    if cls is RemoteError and isinstance(code, str) and code != ErrorKind.REMOTE:
        text = f"[{sanitize(code, limit=40)}] {text}".strip()
    return cls(text, correlation_id=cid)


def describe(kind: ErrorKind | str) -> str:
    """The sentence a person reads for an error of ``kind``."""
    return _SENTENCES[ErrorKind(kind)]


def short_ref(correlation_id: str) -> str:
    """The reference a person quotes: the correlation id, cut to ``REF_LENGTH``."""
    return re.sub(r"[^0-9A-Za-z_-]", "", correlation_id)[:REF_LENGTH]


# -- sanitizing ----------------------------------------------------------------------------

_TRACEBACK = re.compile(r"Traceback \(most recent call last\):.*", re.DOTALL)
_FRAME_LINE = re.compile(r'^\s*File "[^"]*", line \d+.*$', re.MULTILINE)
_SECRET_ASSIGNMENT = re.compile(
    r"(?i)\b(token|password|passwd|secret|api[_-]?key|auth(?:orization)?|cookie|session[_-]?key)"
    r"(\s*[=:]\s*)(['\"]?)[^\s'\",;]+\3"
)
_URI = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://\S+")
_WINDOWS_PATH = re.compile(r"(?<![\w])(?:[A-Za-z]:|\\\\[^\s\\]+)\\[^\s'\"]*")
# A POSIX path: starts with /, ~/ or ./ at a word boundary and has at least one more
# component character (so a lone "/" or "1/2" in prose survives).
_POSIX_PATH = re.compile(r"(?<![\w/.~-])(?:~|\.{1,2})?/[^\s'\"():,;]+")
_LONG_HEX = re.compile(r"(?i)\b(?:0x)?[0-9a-f]{16,}\b")
_OPAQUE = re.compile(r"(?<![\w-])(?=[A-Za-z0-9_+/=-]*\d)(?=[A-Za-z0-9_+/=-]*[A-Za-z])"
                     r"[A-Za-z0-9_+/=-]{24,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACE = re.compile(r"\s+")


def sanitize(text: str, *, limit: int = MESSAGE_LIMIT) -> str:
    """Text safe to show a person or send to another process.

    Drops tracebacks and ``File "...", line N`` frames, replaces paths and URIs with
    ``<path>``/``<uri>``, secrets after ``token=``-style keys and long hex or opaque
    strings with ``<redacted>``, strips control characters, collapses whitespace and cuts
    the result to ``limit`` characters.
    """
    text = _TRACEBACK.sub("", text)
    text = _FRAME_LINE.sub("", text)
    text = _CONTROL.sub(" ", text)
    text = _SECRET_ASSIGNMENT.sub(lambda m: f"{m.group(1)}{m.group(2)}<redacted>", text)
    text = _URI.sub("<uri>", text)
    text = _WINDOWS_PATH.sub("<path>", text)
    text = _POSIX_PATH.sub("<path>", text)
    text = _LONG_HEX.sub("<redacted>", text)
    text = _OPAQUE.sub("<redacted>", text)
    text = _SPACE.sub(" ", text).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text
