"""Mouse and focus reports against xterm's documented sequences (ctlseqs "Mouse Tracking").

Expected bytes are written out by hand: in the byte encodings a value v is the byte
v + 32, so button 1 (code 0) is " ", release (3) "#", motion with button 1 (32) "@",
motion with button 3 (34) "B" (both ctlseqs' own examples), column 5 is "%", row 10 "*".
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from terminal.keys import Mod
from terminal.mouse import (
    MouseAction,
    MouseButton,
    MouseEvent,
    encode_focus,
    encode_mouse,
    reports_motion,
    tracking_mode,
)

PRESS, RELEASE, MOTION = MouseAction.PRESS, MouseAction.RELEASE, MouseAction.MOTION
B = MouseButton

X10, NORMAL, BUTTON, ANY = 9, 1000, 1002, 1003
DEFAULT_ENC: frozenset[int] = frozenset()
UTF8, SGR, URXVT = frozenset({1005}), frozenset({1006}), frozenset({1015})
TRACKING = [X10, NORMAL, BUTTON, ANY]


def at(action: MouseAction, button: MouseButton, mods: Mod = Mod.NONE) -> MouseEvent:
    """An event in cell (4, 9), 0-based: column 5, row 10 on the wire."""
    return MouseEvent(action, button, 4, 9, mods)


def modes(tracking: int, encoding: frozenset[int] = DEFAULT_ENC) -> frozenset[int]:
    return frozenset({tracking}) | encoding


# (event, tracking modes that report it, default, UTF-8, SGR, urxvt)
REPORTS = [
    (at(PRESS, B.LEFT), TRACKING, b"\x1b[M %*", b"\x1b[M %*", b"\x1b[<0;5;10M", b"\x1b[32;5;10M"),
    (at(PRESS, B.MIDDLE), TRACKING, b"\x1b[M!%*", b"\x1b[M!%*", b"\x1b[<1;5;10M", b"\x1b[33;5;10M"),
    (at(PRESS, B.RIGHT), TRACKING, b'\x1b[M"%*', b'\x1b[M"%*', b"\x1b[<2;5;10M", b"\x1b[34;5;10M"),
    # Release: "button 3" outside SGR; SGR keeps the button and ends in "m".
    (
        at(RELEASE, B.LEFT),
        TRACKING[1:],
        b"\x1b[M#%*",
        b"\x1b[M#%*",
        b"\x1b[<0;5;10m",
        b"\x1b[35;5;10M",
    ),
    (
        at(RELEASE, B.RIGHT),
        TRACKING[1:],
        b"\x1b[M#%*",
        b"\x1b[M#%*",
        b"\x1b[<2;5;10m",
        b"\x1b[35;5;10M",
    ),
    # Wheel: 64 + 0/1 vertical, 66/67 horizontal.
    (
        at(PRESS, B.WHEEL_UP),
        TRACKING[1:],
        b"\x1b[M`%*",
        b"\x1b[M`%*",
        b"\x1b[<64;5;10M",
        b"\x1b[96;5;10M",
    ),
    (
        at(PRESS, B.WHEEL_DOWN),
        TRACKING[1:],
        b"\x1b[Ma%*",
        b"\x1b[Ma%*",
        b"\x1b[<65;5;10M",
        b"\x1b[97;5;10M",
    ),
    (
        at(PRESS, B.WHEEL_LEFT),
        TRACKING[1:],
        b"\x1b[Mb%*",
        b"\x1b[Mb%*",
        b"\x1b[<66;5;10M",
        b"\x1b[98;5;10M",
    ),
    (
        at(PRESS, B.WHEEL_RIGHT),
        TRACKING[1:],
        b"\x1b[Mc%*",
        b"\x1b[Mc%*",
        b"\x1b[<67;5;10M",
        b"\x1b[99;5;10M",
    ),
    # Buttons 8-11 as 128+: one byte 0xa0.. by default, two in UTF-8.
    (
        at(PRESS, B.BUTTON_8),
        TRACKING[1:],
        b"\x1b[M\xa0%*",
        b"\x1b[M\xc2\xa0%*",
        b"\x1b[<128;5;10M",
        b"\x1b[160;5;10M",
    ),
    (
        at(PRESS, B.BUTTON_9),
        TRACKING[1:],
        b"\x1b[M\xa1%*",
        b"\x1b[M\xc2\xa1%*",
        b"\x1b[<129;5;10M",
        b"\x1b[161;5;10M",
    ),
    (
        at(PRESS, B.BUTTON_10),
        TRACKING[1:],
        b"\x1b[M\xa2%*",
        b"\x1b[M\xc2\xa2%*",
        b"\x1b[<130;5;10M",
        b"\x1b[162;5;10M",
    ),
    (
        at(PRESS, B.BUTTON_11),
        TRACKING[1:],
        b"\x1b[M\xa3%*",
        b"\x1b[M\xc2\xa3%*",
        b"\x1b[<131;5;10M",
        b"\x1b[163;5;10M",
    ),
    (
        at(RELEASE, B.BUTTON_8),
        TRACKING[1:],
        b"\x1b[M#%*",
        b"\x1b[M#%*",
        b"\x1b[<128;5;10m",
        b"\x1b[35;5;10M",
    ),
    # Modifiers: shift 4, alt/meta 8, ctrl 16.
    (
        at(PRESS, B.LEFT, Mod.SHIFT),
        TRACKING[1:],
        b"\x1b[M$%*",
        b"\x1b[M$%*",
        b"\x1b[<4;5;10M",
        b"\x1b[36;5;10M",
    ),
    (
        at(PRESS, B.LEFT, Mod.ALT),
        TRACKING[1:],
        b"\x1b[M(%*",
        b"\x1b[M(%*",
        b"\x1b[<8;5;10M",
        b"\x1b[40;5;10M",
    ),
    (
        at(PRESS, B.LEFT, Mod.META),
        TRACKING[1:],
        b"\x1b[M(%*",
        b"\x1b[M(%*",
        b"\x1b[<8;5;10M",
        b"\x1b[40;5;10M",
    ),
    (
        at(PRESS, B.LEFT, Mod.CTRL),
        TRACKING[1:],
        b"\x1b[M0%*",
        b"\x1b[M0%*",
        b"\x1b[<16;5;10M",
        b"\x1b[48;5;10M",
    ),
    (
        at(PRESS, B.RIGHT, Mod.CTRL | Mod.ALT | Mod.SHIFT),
        TRACKING[1:],
        b"\x1b[M>%*",
        b"\x1b[M>%*",
        b"\x1b[<30;5;10M",
        b"\x1b[62;5;10M",
    ),
    (
        at(RELEASE, B.MIDDLE, Mod.CTRL),
        TRACKING[1:],
        b"\x1b[M3%*",
        b"\x1b[M3%*",
        b"\x1b[<17;5;10m",
        b"\x1b[51;5;10M",
    ),
    (
        at(PRESS, B.WHEEL_UP, Mod.CTRL),
        TRACKING[1:],
        b"\x1b[Mp%*",
        b"\x1b[Mp%*",
        b"\x1b[<80;5;10M",
        b"\x1b[112;5;10M",
    ),
    # Motion: + 32, with the held button; 3 when none is held.
    (
        at(MOTION, B.LEFT),
        [BUTTON, ANY],
        b"\x1b[M@%*",
        b"\x1b[M@%*",
        b"\x1b[<32;5;10M",
        b"\x1b[64;5;10M",
    ),
    (
        at(MOTION, B.RIGHT),
        [BUTTON, ANY],
        b"\x1b[MB%*",
        b"\x1b[MB%*",
        b"\x1b[<34;5;10M",
        b"\x1b[66;5;10M",
    ),
    (
        at(MOTION, B.LEFT, Mod.SHIFT),
        [BUTTON, ANY],
        b"\x1b[MD%*",
        b"\x1b[MD%*",
        b"\x1b[<36;5;10M",
        b"\x1b[68;5;10M",
    ),
    (
        at(MOTION, B.BUTTON_8),
        [BUTTON, ANY],
        b"\x1b[M\xc0%*",
        b"\x1b[M\xc3\x80%*",
        b"\x1b[<160;5;10M",
        b"\x1b[192;5;10M",
    ),
    (at(MOTION, B.NONE), [ANY], b"\x1b[MC%*", b"\x1b[MC%*", b"\x1b[<35;5;10M", b"\x1b[67;5;10M"),
    (
        at(MOTION, B.NONE, Mod.CTRL),
        [ANY],
        b"\x1b[MS%*",
        b"\x1b[MS%*",
        b"\x1b[<51;5;10M",
        b"\x1b[83;5;10M",
    ),
]
ENCODINGS = [("default", DEFAULT_ENC, 2), ("utf8", UTF8, 3), ("sgr", SGR, 4), ("urxvt", URXVT, 5)]


@pytest.mark.parametrize(("name", "encoding", "column"), ENCODINGS)
@pytest.mark.parametrize("tracking", TRACKING)
@pytest.mark.parametrize(
    "row", REPORTS, ids=lambda r: f"{r[0].action.value}-{r[0].button.name}-{int(r[0].mods)}"
)
def test_report_per_tracking_mode_and_encoding(
    row: tuple[MouseEvent, list[int], bytes, bytes, bytes, bytes],
    tracking: int,
    name: str,
    encoding: frozenset[int],
    column: int,
) -> None:
    event, reported_in = row[0], row[1]
    x10_press = event.action is PRESS and event.button in (B.LEFT, B.MIDDLE, B.RIGHT)
    if tracking == X10 and x10_press and not event.mods:
        expected = row[column]  # X10: the same codes for unmodified presses of buttons 1-3
    elif tracking in reported_in and tracking != X10:
        expected = row[column]
    else:
        expected = b""
    assert encode_mouse(event, modes(tracking, encoding)) == expected


def test_x10_reports_presses_of_buttons_1_to_3_only() -> None:
    x10 = modes(X10)
    assert encode_mouse(at(PRESS, B.LEFT), x10) == b"\x1b[M %*"
    assert encode_mouse(at(RELEASE, B.LEFT), x10) == b""
    assert encode_mouse(at(PRESS, B.WHEEL_UP), x10) == b""
    assert encode_mouse(at(PRESS, B.BUTTON_8), x10) == b""
    assert encode_mouse(at(MOTION, B.LEFT), x10) == b""
    # xterm sends nothing for a modified click in X10 mode: it selects instead.
    assert encode_mouse(at(PRESS, B.LEFT, Mod.CTRL), x10) == b""
    assert encode_mouse(at(PRESS, B.LEFT), modes(X10, SGR)) == b"\x1b[<0;5;10M"


def test_nothing_without_a_tracking_mode() -> None:
    only_encodings = frozenset({1005, 1006, 1015, 1004, 2004, 1, 25})
    for event in (at(PRESS, B.LEFT), at(RELEASE, B.LEFT), at(MOTION, B.NONE)):
        assert encode_mouse(event, only_encodings) == b""
    assert tracking_mode(only_encodings) is None


def test_wheel_release_and_release_without_button_are_not_reported() -> None:
    for tracking in (NORMAL, BUTTON, ANY):
        for encoding in (DEFAULT_ENC, SGR):
            assert encode_mouse(at(RELEASE, B.WHEEL_DOWN), modes(tracking, encoding)) == b""
            assert encode_mouse(at(RELEASE, B.NONE), modes(tracking, encoding)) == b""
            assert encode_mouse(at(PRESS, B.NONE), modes(tracking, encoding)) == b""


def test_motion_filtering_per_mode() -> None:
    held, free = at(MOTION, B.LEFT), at(MOTION, B.NONE)
    assert encode_mouse(held, modes(NORMAL)) == b""
    assert encode_mouse(held, modes(BUTTON)) != b""
    assert encode_mouse(free, modes(BUTTON)) == b""
    assert encode_mouse(free, modes(ANY)) != b""
    assert not reports_motion(modes(BUTTON))
    assert reports_motion(modes(ANY))


def test_the_most_reporting_modes_win_when_several_are_set() -> None:
    both = frozenset({NORMAL, ANY})
    assert tracking_mode(both) == ANY
    assert encode_mouse(at(MOTION, B.NONE), both) == b"\x1b[MC%*"
    assert tracking_mode(frozenset({X10, NORMAL})) == NORMAL
    assert (
        encode_mouse(at(PRESS, B.LEFT), frozenset({NORMAL, 1005, 1006, 1015})) == b"\x1b[<0;5;10M"
    )
    assert encode_mouse(at(PRESS, B.LEFT), frozenset({NORMAL, 1005, 1015})) == b"\x1b[32;5;10M"


@pytest.mark.parametrize(
    ("x", "y", "expected"),
    [
        (0, 0, b"\x1b[M !!"),
        (94, 0, b"\x1b[M \x7f!"),  # 1-based 95: the last 7-bit value
        (221, 221, b"\x1b[M \xfe\xfe"),
        (222, 222, b"\x1b[M \xff\xff"),  # 1-based 223: the limit
        (223, 5, b"\x1b[M \xff&"),  # clamped, not xterm's NUL past-end marker
        (500, 1000, b"\x1b[M \xff\xff"),
        (-3, -1, b"\x1b[M !!"),
    ],
)
def test_default_encoding_clamps_coordinates_to_223(x: int, y: int, expected: bytes) -> None:
    assert encode_mouse(MouseEvent(PRESS, B.LEFT, x, y), modes(NORMAL)) == expected
    # A release far out is clamped the same way, never dropped.
    release = encode_mouse(MouseEvent(RELEASE, B.LEFT, x, y), modes(NORMAL))
    assert release == expected[:3] + b"#" + expected[4:]


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (93, b"\x7e"),
        (94, b"\x7f"),  # 95 + 32 = 127, still one byte
        (95, b"\xc2\x80"),  # 128: two bytes from here on
        (222, b"\xc3\xbf"),
        (223, b"\xc4\x80"),  # past the default limit: carried
        (2014, b"\xdf\xbf"),  # 2015 + 32 = 2047, the last two-byte character
        (2015, b"\xdf\xbf"),  # clamped
        (9999, b"\xdf\xbf"),
    ],
)
def test_utf8_encoding_extends_coordinates_to_2015(x: int, expected: bytes) -> None:
    assert (
        encode_mouse(MouseEvent(PRESS, B.LEFT, x, 0), modes(NORMAL, UTF8))
        == b"\x1b[M " + expected + b"!"
    )


def test_sgr_and_urxvt_have_no_coordinate_limit() -> None:
    event = MouseEvent(PRESS, B.LEFT, 2999, 499)
    assert encode_mouse(event, modes(NORMAL, SGR)) == b"\x1b[<0;3000;500M"
    assert encode_mouse(event, modes(NORMAL, URXVT)) == b"\x1b[32;3000;500M"


@given(
    st.sampled_from(list(MouseAction)),
    st.sampled_from(list(MouseButton)),
    st.integers(0, 5000),
    st.integers(0, 5000),
    st.integers(0, 15),
)
def test_sgr_report_carries_exact_cells(
    action: MouseAction, button: MouseButton, x: int, y: int, mods: int
) -> None:
    data = encode_mouse(MouseEvent(action, button, x, y, Mod(mods)), modes(ANY, SGR))
    if data:
        body = data[3:-1].decode().split(";")
        assert (int(body[1]), int(body[2])) == (x + 1, y + 1)
        assert data.endswith(b"m") == (action is RELEASE)


def test_focus_reports_only_in_mode_1004() -> None:
    assert encode_focus(True, frozenset({1004})) == b"\x1b[I"
    assert encode_focus(False, frozenset({1004, 1000})) == b"\x1b[O"
    assert encode_focus(True, frozenset({1000, 1006})) == b""
    assert encode_focus(False, frozenset()) == b""
