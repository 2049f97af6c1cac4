"""Answerbacks through ``on_reply``: DA1/DA2/DA3, XTVERSION, DSR/CPR, DECXCPR, DECRQM,
DECRQSS, XTWINOPS, colour queries. Reply forms per xterm's ctlseqs."""

from __future__ import annotations

import pytest

from terminal import Emulator


def replies_to(sequence: str, setup: str = "", **kwargs: object) -> list[bytes]:
    out: list[bytes] = []
    e = Emulator(10, 5, on_reply=out.append, **kwargs)  # type: ignore[arg-type]
    e.feed(setup.encode())
    out.clear()
    e.feed(sequence.encode())
    return out


def test_primary_device_attributes() -> None:
    assert replies_to("\x1b[c") == replies_to("\x1b[0c") == [b"\x1b[?62;22;28c"]


def test_secondary_and_tertiary_device_attributes() -> None:
    """pyte 0.8.2 answers CSI > c as if it were DA1."""
    assert replies_to("\x1b[>c") == [b"\x1b[>1;10;0c"]
    assert replies_to("\x1b[=c") == [b"\x1bP!|00000000\x1b\\"]


def test_xtversion() -> None:
    assert replies_to("\x1b[>q") == [b"\x1bP>|Emberterm(0.1.0)\x1b\\"]


def test_dsr_status_and_cursor_position() -> None:
    assert replies_to("\x1b[5n") == [b"\x1b[0n"]
    assert replies_to("\x1b[6n", "\x1b[3;4H") == [b"\x1b[3;4R"]


def test_cpr_with_a_pending_wrap_reports_the_last_column() -> None:
    assert replies_to("\x1b[6n", "0123456789") == [b"\x1b[1;10R"]


def test_decxcpr() -> None:
    assert replies_to("\x1b[?6n", "\x1b[2;5H") == [b"\x1b[?2;5;1R"]


def test_cpr_in_origin_mode_counts_from_the_margin() -> None:
    assert replies_to("\x1b[6n", "\x1b[2;4r\x1b[?6h\x1b[2;1H") == [b"\x1b[2;1R"]


@pytest.mark.parametrize(
    ("setup", "query", "answer"),
    [
        ("\x1b[?1h", "\x1b[?1$p", b"\x1b[?1;1$y"),
        ("", "\x1b[?1$p", b"\x1b[?1;2$y"),
        ("\x1b[?2004h", "\x1b[?2004$p", b"\x1b[?2004;1$y"),
        ("", "\x1b[?25$p", b"\x1b[?25;1$y"),
        ("", "\x1b[?12345$p", b"\x1b[?12345;0$y"),
        ("\x1b[4h", "\x1b[4$p", b"\x1b[4;1$y"),
        ("", "\x1b[20$p", b"\x1b[20;2$y"),
        ("", "\x1b[99$p", b"\x1b[99;0$y"),
    ],
)
def test_decrqm(setup: str, query: str, answer: bytes) -> None:
    assert replies_to(query, setup) == [answer]


@pytest.mark.parametrize(
    ("setup", "setting", "answer"),
    [
        ("\x1b[1;31m", "m", b"\x1bP1$r0;1;31m\x1b\\"),
        ("\x1b[2;4r", "r", b"\x1bP1$r2;4r\x1b\\"),
        ("\x1b[?69h\x1b[3;6s", "s", b"\x1bP1$r3;6s\x1b\\"),
        ("\x1b[4 q", " q", b"\x1bP1$r4 q\x1b\\"),
        ('\x1b[1"q', '"q', b'\x1bP1$r1"q\x1b\\'),
        ("", "x", b"\x1bP0$r\x1b\\"),
    ],
)
def test_decrqss(setup: str, setting: str, answer: bytes) -> None:
    assert replies_to(f"\x1bP$q{setting}\x1b\\", setup) == [answer]


def test_xtwinops_size_reports_use_the_cell_size() -> None:
    def ask(op: int) -> list[bytes]:
        return replies_to(f"\x1b[{op}t", cell_size=(7, 15))

    assert ask(14) == [b"\x1b[4;75;70t"]
    assert ask(16) == [b"\x1b[6;15;7t"]
    assert ask(18) == [b"\x1b[8;5;10t"]
    assert ask(19) == [b"\x1b[9;5;10t"]


def test_xtwinops_title_stack() -> None:
    e = Emulator(10, 2)
    e.feed(b"\x1b]2;one\x07\x1b[22;0t\x1b]2;two\x07")
    assert e.title == "two"
    e.feed(b"\x1b[23;0t")
    assert e.title == "one"


def test_osc_colour_queries_answer_in_xterm_form_with_the_same_terminator() -> None:
    assert replies_to("\x1b]10;?\x07") == [b"\x1b]10;rgb:e5e5/e5e5/e5e5\x07"]
    assert replies_to("\x1b]11;?\x1b\\") == [b"\x1b]11;rgb:0000/0000/0000\x1b\\"]
    assert replies_to("\x1b]4;1;?\x07") == [b"\x1b]4;1;rgb:cdcd/0000/0000\x07"]
    assert replies_to("\x1b]4;196;?\x07") == [b"\x1b]4;196;rgb:ffff/0000/0000\x07"]


def test_osc_10_with_two_queries_answers_10_and_11() -> None:
    assert replies_to("\x1b]10;?;?\x07") == [
        b"\x1b]10;rgb:e5e5/e5e5/e5e5\x07",
        b"\x1b]11;rgb:0000/0000/0000\x07",
    ]


def test_osc_colours_set_and_reset() -> None:
    setup = "\x1b]4;1;rgb:12/34/56\x07\x1b]11;#abcdef\x07"
    assert replies_to("\x1b]4;1;?\x07", setup) == [b"\x1b]4;1;rgb:1212/3434/5656\x07"]
    assert replies_to("\x1b]11;?\x07", setup) == [b"\x1b]11;rgb:abab/cdcd/efef\x07"]
    reset = setup + "\x1b]104;1\x07\x1b]111\x07"
    assert replies_to("\x1b]4;1;?\x07", reset) == [b"\x1b]4;1;rgb:cdcd/0000/0000\x07"]
    assert replies_to("\x1b]11;?\x07", reset) == [b"\x1b]11;rgb:0000/0000/0000\x07"]


def test_xtgettcap_is_declined() -> None:
    assert replies_to("\x1bP+q544e\x1b\\") == [b"\x1bP0+r\x1b\\"]


def test_no_reply_callback_is_fine() -> None:
    e = Emulator(5, 2)
    e.feed(b"\x1b[c\x1b[6n\x1b]11;?\x07ok")
    assert e.display[0] == "ok   "
