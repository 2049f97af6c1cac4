"""Error classification, what a person sees, and what crosses the wire."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipc import errors
from ipc.errors import ErrorKind, IpcError, sanitize

COUNTING = {ErrorKind.TIMEOUT, ErrorKind.UNAVAILABLE, ErrorKind.OVERLOADED,
            ErrorKind.PROTOCOL, ErrorKind.REMOTE}


@pytest.mark.parametrize("kind", list(ErrorKind), ids=str)
def test_every_kind_has_a_class(kind: ErrorKind) -> None:
    cls = errors.error_class(kind)
    assert cls.kind is kind
    assert cls.counts_as_failure == (kind in COUNTING)
    err = cls("detail", correlation_id="abc123def456")
    assert isinstance(err, IpcError)
    assert err.user_message().endswith("(ref abc123def456)")


def test_unknown_code_is_a_remote_error() -> None:
    assert errors.error_class("quota_exceeded") is errors.RemoteError
    err = errors.from_wire({"code": "quota_exceeded", "message": "m", "ref": "r"})
    assert isinstance(err, errors.RemoteError)
    assert "quota_exceeded" in err.detail


@pytest.mark.parametrize("kind", list(ErrorKind), ids=str)
def test_wire_round_trip(kind: ErrorKind) -> None:
    err = errors.error_class(kind)("something broke", correlation_id="c1")
    back = errors.from_wire(err.to_wire(), "other")
    assert type(back) is type(err)
    assert back.correlation_id == "c1"  # the ref the peer sent wins
    assert back.detail == "something broke"


@pytest.mark.parametrize("payload", [None, [1], "x", {"code": 3}, {}])
def test_malformed_error_payload_never_raises(payload: object) -> None:
    err = errors.from_wire(payload, "cid")
    assert isinstance(err, IpcError)
    assert err.correlation_id == "cid"


def test_to_wire_is_sanitized() -> None:
    err = errors.RemoteError(
        'Traceback (most recent call last):\n  File "/srv/w.py", line 3\nKeyError: x',
        correlation_id="c",
    )
    assert err.to_wire() == {"code": "remote", "message": "", "ref": "c"}
    assert err.detail.startswith("Traceback")  # the log keeps everything


def test_user_message_hides_detail_of_internal_errors() -> None:
    err = errors.RemoteError("sqlite3.OperationalError: /home/ann/.local/db locked",
                             correlation_id="0123456789abcdef")
    assert err.user_message() == "The session server hit an internal error. (ref 0123456789ab)"


def test_user_message_shows_detail_meant_for_people() -> None:
    err = errors.RejectedError("session.resize: field 'rows' is missing", correlation_id="c9")
    assert err.user_message() == (
        "The request was not accepted: session.resize: field 'rows' is missing (ref c9)"
    )
    assert errors.Cancelled().user_message() == "The request was cancelled."


def test_with_correlation_id_fills_only_a_missing_one() -> None:
    assert errors.CallTimeout().with_correlation_id("a").correlation_id == "a"
    assert errors.CallTimeout(correlation_id="b").with_correlation_id("a").correlation_id == "b"


# -- sanitize ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cannot open /home/ann/.config/emberterm/token", "cannot open <path>"),
        ("cannot open '~/secret/file.txt'", "cannot open '<path>'"),
        (r"cannot open C:\Users\ann\AppData\token", "cannot open <path>"),
        ("see file:///home/ann/x and https://example.com/a?b", "see <uri> and <uri>"),
        ("bad token=s3cr3t-value here", "bad token=<redacted> here"),
        ("password: 'hunter2'", "password: <redacted>"),
        ("hash 9f86d081884c7d659a2feaa0c55ad015 seen", "hash <redacted> seen"),
        ("key dGhpcyBpcyBhIHNlY3JldCB0b2tlbg12 leaked", "key <redacted> leaked"),
        ("at 0xdeadbeefcafebabe1234", "at <redacted>"),
        ("rows 1/2 of 24; ratio 3/4", "rows 1/2 of 24; ratio 3/4"),
        ("line\x1b[31m one\r\n\ttwo", "line [31m one two"),
        ("session 'build' not found", "session 'build' not found"),
        ("ref abc123def456", "ref abc123def456"),
    ],
)
def test_sanitize(text: str, expected: str) -> None:
    assert sanitize(text) == expected


def test_sanitize_drops_tracebacks() -> None:
    text = (
        "worker failed\nTraceback (most recent call last):\n"
        '  File "/opt/emberterm/app/worker/host.py", line 88, in create\n'
        "    pty = Pty(argv)\nOSError: [Errno 2] /bin/zsh"
    )
    assert sanitize(text) == "worker failed"


def test_sanitize_drops_stray_frame_lines() -> None:
    assert sanitize('oops\n  File "/a/b.py", line 3, in f\nthen') == "oops then"


def test_sanitize_cuts_long_text() -> None:
    out = sanitize("word " * 100, limit=20)
    assert len(out) <= 20
    assert out.endswith("…")


@given(st.one_of(st.none(), st.integers(), st.text(), st.lists(st.text()),
                 st.dictionaries(st.sampled_from(["code", "message", "ref", "x"]),
                                 st.none() | st.integers() | st.text() | st.binary())))
def test_from_wire_never_raises(payload: object) -> None:
    err = errors.from_wire(payload, "c")
    assert isinstance(err, IpcError)
    assert isinstance(err.user_message(), str)


@given(st.text())
def test_sanitize_is_idempotent_and_bounded(text: str) -> None:
    once = sanitize(text)
    assert len(once) <= errors.MESSAGE_LIMIT
    assert sanitize(once) == once
