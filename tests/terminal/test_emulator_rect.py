"""VT420 rectangular operations (DECFRA, DECERA, DECCRA, DECSERA) and protected areas
(DECSCA with DECSED, DECSEL). Coordinates are 1-based ``Pt;Pl;Pb;Pr`` (ctlseqs)."""

from __future__ import annotations

from terminal import Emulator


def grid(columns: int = 5, lines: int = 4) -> Emulator:
    """A screen full of distinct letters: abcde / fghij / klmno / pqrst."""
    e = Emulator(columns, lines)
    letters = "abcdefghijklmnopqrstuvwxyz"
    for row in range(lines):
        text = letters[row * columns : (row + 1) * columns]
        e.feed(f"\x1b[{row + 1};1H{text}".encode())
    return e


def feed(e: Emulator, text: str) -> Emulator:
    e.feed(text.encode())
    return e


def test_decfra_fills_with_a_character_in_the_current_rendition() -> None:
    e = feed(grid(), "\x1b[1m\x1b[42;2;2;3;4$x")
    assert e.display == ["abcde", "f***j", "k***o", "pqrst"]
    assert e.styles[e.rows[1].styles[1]].attrs == 1


def test_decfra_rejects_control_characters() -> None:
    e = feed(grid(), "\x1b[10;1;1;4;5$x")
    assert e.display[0] == "abcde"


def test_decera_erases_a_rectangle() -> None:
    e = feed(grid(), "\x1b[2;2;3;3$z")
    assert e.display == ["abcde", "f  ij", "k  no", "pqrst"]


def test_decera_defaults_to_the_whole_screen_and_clamps() -> None:
    e = feed(grid(), "\x1b[2;4;99;99$z")
    assert e.display == ["abcde", "fgh  ", "klm  ", "pqr  "]


def test_deccra_copies_a_rectangle() -> None:
    e = feed(grid(), "\x1b[1;1;2;2;1;3;4;1$v")
    assert e.display == ["abcde", "fghij", "klmab", "pqrfg"]


def test_deccra_clips_at_the_screen_edge() -> None:
    e = feed(grid(), "\x1b[1;1;2;3;1;4;4;1$v")
    assert e.display[3] == "pqrab"


def test_rectangles_are_relative_to_the_origin_in_origin_mode() -> None:
    e = feed(grid(), "\x1b[2;4r\x1b[?6h\x1b[1;1;1;2$z")
    assert e.display[1] == "  hij"


def test_decsca_protects_from_selective_erase_only() -> None:
    e = feed(Emulator(6, 2), '\x1b[1"qAB\x1b[0"qcd\x1b[?2K')
    assert e.display[0] == "AB    "
    feed(e, "\x1b[2K")
    assert e.display[0] == "      "  # ED/EL ignore DECSCA protection


def test_decsed_spares_protected_cells() -> None:
    e = feed(Emulator(4, 2), 'ab\x1b[1"qCD\x1b[0"qef')
    feed(e, "\x1b[?2J")
    assert e.display == ["  CD", "    "]


def test_decsera_spares_protected_cells() -> None:
    e = feed(Emulator(4, 2), 'a\x1b[1"qB\x1b[0"qcd')
    feed(e, "\x1b[1;1;1;4${")
    assert e.display[0] == " B  "


def test_protection_does_not_change_the_rendition_reported_by_sgr() -> None:
    replies: list[bytes] = []
    e = Emulator(4, 2, on_reply=replies.append)
    feed(e, '\x1b[1"q\x1b[0m\x1bP$qm\x1b\\\x1bP$q"q\x1b\\')
    assert replies == [b"\x1bP1$r0m\x1b\\", b'\x1bP1$r1"q\x1b\\']
