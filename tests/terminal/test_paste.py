"""Pasting: bracketed paste (mode 2004), marker stripping, newline conversion."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from terminal.paste import encode_paste, paste_is_multiline, strip_paste_markers

BRACKETED = frozenset({2004})
PLAIN: frozenset[int] = frozenset({1, 25, 1000})


def test_bracketed_paste_wraps_text() -> None:
    assert encode_paste("ls -l", BRACKETED) == b"\x1b[200~ls -l\x1b[201~"
    assert encode_paste("", BRACKETED) == b"\x1b[200~\x1b[201~"


def test_bracketed_paste_keeps_line_ends_and_utf8() -> None:
    assert encode_paste("a\nb\r\nc", BRACKETED) == b"\x1b[200~a\nb\r\nc\x1b[201~"
    assert encode_paste("é€", BRACKETED) == b"\x1b[200~\xc3\xa9\xe2\x82\xac\x1b[201~"


@pytest.mark.parametrize(
    ("text", "inner"),
    [
        ("safe\x1b[201~rm -rf ~\n", "safe" + "rm -rf ~\n"),
        ("\x1b[200~nested\x1b[201~", "nested"),
        ("a\x1b[20\x1b[201~1~b", "ab"),  # a marker formed by removing another
        ("a\x1b[2\x1b[20\x1b[201~1~01~b", "ab"),
        ("c1\x9b201~end", "c1end"),  # the 8-bit CSI form
        ("\x1b[202~ and \x1b[201 stay", "\x1b[202~ and \x1b[201 stay"),
    ],
)
def test_paste_markers_inside_the_text_are_stripped(text: str, inner: str) -> None:
    assert strip_paste_markers(text) == inner
    assert encode_paste(text, BRACKETED) == b"\x1b[200~" + inner.encode() + b"\x1b[201~"


@given(st.lists(st.sampled_from(["\x1b", "[", "2", "0", "1", "~", "\x9b", "x", "\n"])))
def test_nothing_inside_a_bracketed_paste_can_end_it(pieces: list[str]) -> None:
    data = encode_paste("".join(pieces), BRACKETED)
    inner = data[len(b"\x1b[200~") : -len(b"\x1b[201~")]
    for marker in (b"\x1b[200~", b"\x1b[201~", "\x9b200~".encode(), "\x9b201~".encode()):
        assert marker not in inner


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("one line", b"one line"),
        ("a\nb", b"a\rb"),
        ("a\r\nb\r\n", b"a\rb\r"),
        ("a\rb", b"a\rb"),
        ("a\n\nb", b"a\r\rb"),
        ("a\r\r\nb", b"a\r\rb"),
    ],
)
def test_without_bracketed_paste_line_ends_become_cr(text: str, expected: bytes) -> None:
    assert encode_paste(text, PLAIN) == expected


def test_without_bracketed_paste_markers_are_not_touched() -> None:
    # Nothing to inject into: the text is sent as typed.
    assert encode_paste("x\x1b[201~", PLAIN) == b"x\x1b[201~"


@pytest.mark.parametrize(
    ("text", "multiline"),
    [
        ("ls", False),
        ("", False),
        ("ls\n", True),
        ("a\r\nb", True),
        ("a\rb", True),
        ("tab\tseparated", False),
    ],
)
def test_paste_is_multiline(text: str, multiline: bool) -> None:
    assert paste_is_multiline(text) is multiline
