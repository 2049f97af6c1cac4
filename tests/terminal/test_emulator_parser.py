"""Parser robustness: private markers and intermediates dispatch correctly or not at all,
controls inside CSI, CAN/SUB, clamping, sequences and UTF-8 split across feeds, and no
input makes ``feed`` raise or lose what follows."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from terminal import Emulator


def emu(columns: int = 10, lines: int = 3) -> Emulator:
    return Emulator(columns, lines)


def feed(e: Emulator, data: str | bytes) -> Emulator:
    e.feed(data.encode() if isinstance(data, str) else data)
    return e


def test_private_and_intermediate_variants_are_not_misapplied() -> None:
    """CSI ? 5 J is DECSED, not ED; CSI > 1 S / CSI $ J / CSI ' J do nothing here."""
    e = feed(emu(), "abc\x1b[1;1H\x1b[>2J\x1b[$2J\x1b[ 2J\x1b['2J\x1b[=2J\x1b[<2J")
    assert e.display[0].startswith("abc")


def test_marker_in_the_middle_of_parameters_is_ignored() -> None:
    e = feed(emu(), "abc\x1b[1?2J")
    assert e.display[0].startswith("abc")


def test_controls_inside_csi_are_executed() -> None:
    """VT500 parsers execute C0 controls met inside a sequence, then go on with it."""
    e = feed(emu(), "ab\x1b[1\r;5Hx")
    assert e.display[0] == "ab  x     "
    e = feed(emu(), "\x1b[2\n;3Hx")
    assert e.cursor == (3, 1)


def test_can_aborts_a_sequence() -> None:
    e = feed(emu(), "\x1b[31\x18x")
    assert e.display[0].startswith("x") and e.sid == 0


def test_huge_parameters_are_clamped() -> None:
    e = feed(emu(), "\x1b[" + "9" * 5000 + "Cx")
    assert e.display[0].endswith("x")
    feed(e, "\x1b[" + ";" * 10000 + "H")
    assert e.cursor == (0, 0)


def test_sequence_split_at_every_byte() -> None:
    data = "\x1b[2;3H\x1b[1;38;2;1;2;3mX\x1b]2;t\x07\x1b(0q\x1b(Bé日".encode()
    whole = feed(emu(), data)
    split = emu()
    for i in range(len(data)):
        split.feed(data[i : i + 1])
    assert split.display == whole.display and split.title == whole.title == "t"
    assert split.rows[1].styles == whole.rows[1].styles


def test_invalid_utf8_is_replaced_not_raised() -> None:
    e = feed(emu(), b"a\xff\xfeb\xc3")
    assert e.display[0].startswith("a\ufffd\ufffdb")
    e.feed(b"\xa9")  # completes the split é
    assert e.display[0].startswith("a\ufffd\ufffdbé")


def test_c1_controls_are_ignored_in_utf8() -> None:
    e = feed(emu(), "a\u009b31mb\u009dc")
    assert e.display[0].startswith("a31mbc")


def test_lone_escape_at_end_waits_for_more() -> None:
    e = feed(emu(), "a\x1b")
    feed(e, "[31mb")
    assert e.display[0].startswith("ab") and e.styles[e.rows[0].styles[1]].fg == 1


def test_unknown_escape_sequences_are_ignored() -> None:
    e = feed(emu(), "a\x1b[99zb\x1b%Gc\x1b Fd\x1b#3e\x1bNf")
    assert e.display[0].startswith("abcdef")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_raise_and_output_after_them_survives(data: bytes) -> None:
    e = emu()
    e.feed(data)
    # Whatever state the garbage left, a terminator, a reset and text show up.
    e.feed(b"\x18\x1b\\\x07\x1bc" + b"tail")
    assert e.display[0].startswith("tail")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "\x1b[",
                "\x1b]",
                "\x1bP",
                "\x1b",
                "?",
                ">",
                "$",
                "!",
                " ",
                ";",
                ":",
                "1",
                "99",
                "m",
                "h",
                "l",
                "J",
                "H",
                "q",
                "p",
                "r",
                "s",
                "t",
                "x",
                "\x07",
                "\x1b\\",
                "\r\n",
                "日",
                "e\u0301",
                "\u200d",
                "\x0e",
                "\x0f",
                "(0",
                "#8",
            ]
        ),
        max_size=80,
    )
)
def test_random_escape_soup_never_raises(pieces: list[str]) -> None:
    e = Emulator(7, 4, on_reply=lambda _b: None)
    e.feed("".join(pieces).encode())
    e.feed(b"\x18\x1b\\\x07\x1bctail")
    assert e.display[0].startswith("tail")
    frame = e.take_frame()
    assert frame.rows == 4 and len(e.display) == 4
