"""SGR (CSI Pm m): attributes, underline styles, 16/256/truecolor in ';' and ':' forms.
Per ctlseqs "Character Attributes (SGR)" and ITU T.416 sub-parameters."""

from __future__ import annotations

import pytest

from terminal import Emulator
from terminal.frames import DEFAULT_COLOR, Attr, Style, Underline, rgb


def style_after(sequence: str) -> Style:
    """The style of an 'x' printed after ``sequence``."""
    e = Emulator(10, 2)
    e.feed((sequence + "x").encode())
    return e.styles[e.rows[0].styles[0]]


@pytest.mark.parametrize(
    ("code", "flag"),
    [
        (1, Attr.BOLD),
        (2, Attr.DIM),
        (3, Attr.ITALIC),
        (5, Attr.BLINK),
        (6, Attr.RAPID_BLINK),
        (7, Attr.INVERSE),
        (8, Attr.CONCEAL),
        (9, Attr.STRIKE),
        (53, Attr.OVERLINE),
    ],
)
def test_attribute_on(code: int, flag: Attr) -> None:
    assert style_after(f"\x1b[{code}m").attrs == flag


@pytest.mark.parametrize(
    ("on", "off", "flag"),
    [
        ("1", "22", Attr.BOLD),
        ("2", "22", Attr.DIM),
        ("3", "23", Attr.ITALIC),
        ("5", "25", Attr.BLINK),
        ("7", "27", Attr.INVERSE),
        ("8", "28", Attr.CONCEAL),
        ("9", "29", Attr.STRIKE),
        ("53", "55", Attr.OVERLINE),
    ],
)
def test_attribute_off(on: str, off: str, flag: Attr) -> None:
    assert not style_after(f"\x1b[1;3;{on}m\x1b[{off}m").attrs & flag


def test_22_clears_both_bold_and_dim() -> None:
    assert style_after("\x1b[1;2;22m").attrs == 0


@pytest.mark.parametrize(
    ("sequence", "underline"),
    [
        ("\x1b[4m", Underline.SINGLE),
        ("\x1b[21m", Underline.DOUBLE),
        ("\x1b[4:0m", Underline.NONE),
        ("\x1b[4:1m", Underline.SINGLE),
        ("\x1b[4:2m", Underline.DOUBLE),
        ("\x1b[4:3m", Underline.CURLY),
        ("\x1b[4:4m", Underline.DOTTED),
        ("\x1b[4:5m", Underline.DASHED),
        ("\x1b[4:3m\x1b[24m", Underline.NONE),
        ("\x1b[4:3m\x1b[4:9m", Underline.CURLY),  # unknown style: ignored
    ],
)
def test_underline_styles(sequence: str, underline: int) -> None:
    assert style_after(sequence).underline == underline


def test_underline_colour_both_forms_and_reset() -> None:
    assert style_after("\x1b[58:2::1:2:3m").underline_color == rgb(1, 2, 3)
    assert style_after("\x1b[58;5;100m").underline_color == 100
    assert style_after("\x1b[58;5;100m\x1b[59m").underline_color == DEFAULT_COLOR


@pytest.mark.parametrize(
    ("sequence", "fg", "bg"),
    [
        ("\x1b[31m", 1, DEFAULT_COLOR),
        ("\x1b[47m", DEFAULT_COLOR, 7),
        ("\x1b[91;104m", 9, 12),
        ("\x1b[38;5;196m", 196, DEFAULT_COLOR),
        ("\x1b[38:5:196m", 196, DEFAULT_COLOR),
        ("\x1b[48;5;21m", DEFAULT_COLOR, 21),
        ("\x1b[38;2;10;20;30m", rgb(10, 20, 30), DEFAULT_COLOR),
        ("\x1b[38:2::10:20:30m", rgb(10, 20, 30), DEFAULT_COLOR),
        ("\x1b[38:2:10:20:30m", rgb(10, 20, 30), DEFAULT_COLOR),
        ("\x1b[48:2:0:1:2:3m", DEFAULT_COLOR, rgb(1, 2, 3)),
        ("\x1b[31;42m\x1b[39m", DEFAULT_COLOR, 2),
        ("\x1b[31;42m\x1b[49m", 1, DEFAULT_COLOR),
        ("\x1b[31;42;1m\x1b[0m", DEFAULT_COLOR, DEFAULT_COLOR),
        ("\x1b[31;42m\x1b[m", DEFAULT_COLOR, DEFAULT_COLOR),
    ],
)
def test_colours(sequence: str, fg: int, bg: int) -> None:
    style = style_after(sequence)
    assert (style.fg, style.bg) == (fg, bg)


def test_colour_components_are_consumed_not_read_as_codes() -> None:
    """38;5;1 must not also turn on bold (1); 38;2;4;5;7 not underline/blink/inverse."""
    assert style_after("\x1b[38;5;1m").attrs == 0
    style = style_after("\x1b[38;2;4;5;7m")
    assert style.attrs == 0 and style.underline == 0 and style.fg == rgb(4, 5, 7)


def test_invalid_colours_are_ignored_without_side_effects() -> None:
    style = style_after("\x1b[31m\x1b[38;5;300m\x1b[38;2;1;2;999m")
    assert style.fg == 1 and style.attrs == 0


def test_unknown_codes_are_ignored() -> None:
    style = style_after("\x1b[1;73;99999999999;4m")
    assert style.attrs == Attr.BOLD and style.underline == Underline.SINGLE


def test_private_marker_sgr_is_not_sgr() -> None:
    """CSI > 4 ; 1 m is XTMODKEYS; pyte 0.8.2 turns on bold and underline."""
    style = style_after("\x1b[>4;1m")
    assert style == Style()


def test_sgr_zero_keeps_the_hyperlink() -> None:
    """OSC 8 is not SGR state: a reset of attributes keeps the link open."""
    style = style_after("\x1b]8;;http://x\x1b\\\x1b[1m\x1b[0m")
    assert style.link == "http://x"


def test_equal_styles_share_one_id() -> None:
    e = Emulator(10, 2)
    e.feed(b"\x1b[1;31ma\x1b[0m\x1b[31;1mb")
    assert e.rows[0].styles[0] == e.rows[0].styles[1]


def test_style_table_is_bounded() -> None:
    """Endless distinct truecolours cannot grow the append-only style table forever."""
    from terminal._screen import STYLE_LIMIT

    e = Emulator(10, 2)
    e._style_list.extend([Style(fg=i) for i in range(STYLE_LIMIT - len(e.styles))])
    e.feed(b"\x1b[38;2;1;2;3mx\x1b]8;;http://new\x07y")
    assert len(e.styles) == STYLE_LIMIT
    assert e.display[0].startswith("xy")
