"""Editing and cursor controls on tiny screens: ICH DCH ECH EL ED IL DL REP DECALN, CUU..CUP,
HPA/VPA/HPR/VPR, CNL/CPL, tabs (HT HTS TBC CHT CBT), DECSC/DECRC, DEC line drawing.
Per xterm's ctlseqs."""

from __future__ import annotations

from terminal import Emulator


def emu(columns: int = 5, lines: int = 3) -> Emulator:
    return Emulator(columns, lines)


def feed(e: Emulator, text: str) -> Emulator:
    e.feed(text.encode())
    return e


def rows(e: Emulator) -> list[str]:
    return [row.rstrip() for row in e.display]


def cup(row: int, column: int) -> str:
    return f"\x1b[{row};{column}H"


# -- characters ----------------------------------------------------------------------
def test_ich_inserts_blanks_and_drops_past_the_edge() -> None:
    e = feed(emu(), "abcde" + cup(1, 2) + "\x1b[2@")
    assert rows(e)[0] == "a  bc" and e.cursor == (1, 0)


def test_dch_deletes_and_pulls_blanks_in() -> None:
    e = feed(emu(), "abcde" + cup(1, 2) + "\x1b[2P")
    assert rows(e)[0] == "ade"


def test_ech_erases_without_moving() -> None:
    e = feed(emu(), "abcde" + cup(1, 2) + "\x1b[3X")
    assert rows(e)[0] == "a   e" and e.cursor == (1, 0)


def test_ech_clamps_to_the_line() -> None:
    e = feed(emu(), "abcde" + cup(1, 4) + "\x1b[9999X")
    assert rows(e)[0] == "abc"


def test_el_variants() -> None:
    assert rows(feed(emu(), "abcde" + cup(1, 3) + "\x1b[K"))[0] == "ab"
    assert rows(feed(emu(), "abcde" + cup(1, 3) + "\x1b[1K"))[0] == "   de"
    assert rows(feed(emu(), "abcde" + cup(1, 3) + "\x1b[2K"))[0] == ""


def test_ed_variants() -> None:
    text = "aaaaa" + "bbbbb" + "ccccc"
    assert rows(feed(emu(), text + cup(2, 3) + "\x1b[J")) == ["aaaaa", "bb", ""]
    assert rows(feed(emu(), text + cup(2, 3) + "\x1b[1J")) == ["", "   bb", "ccccc"]
    assert rows(feed(emu(), text + cup(2, 3) + "\x1b[2J")) == ["", "", ""]


def test_erase_uses_the_background_colour_only() -> None:
    """xterm's BCE: erased cells take the current background, not bold or underline."""
    e = feed(emu(), "\x1b[1;4;44m\x1b[2K")
    style = e.styles[e.rows[0].styles[0]]
    assert style.bg == 4 and style.attrs == 0 and style.underline == 0


def test_erase_cuts_wide_characters_whole() -> None:
    e = feed(emu(6, 1), "a日b" + cup(1, 3) + "\x1b[X")
    assert rows(e)[0] == "a  b"


def test_il_and_dl_move_lines_within_the_screen() -> None:
    e = feed(emu(3, 3), "aaa" + "bbb" + "ccc" + cup(2, 2) + "\x1b[L")
    assert rows(e) == ["aaa", "", "bbb"] and e.cursor == (0, 1)
    e = feed(emu(3, 3), "aaa" + "bbb" + "ccc" + cup(1, 1) + "\x1b[M")
    assert rows(e) == ["bbb", "ccc", ""]


def test_rep_repeats_the_last_printed_character() -> None:
    e = feed(emu(8, 2), "ab\x1b[3b")
    assert rows(e)[0] == "abbbb"


def test_rep_is_bounded_by_the_screen() -> None:
    """A huge count repeats at most a screenful (8 here): 9 x's, one row scrolled off."""
    e = feed(emu(4, 2), "x\x1b[65535b")
    assert rows(e) == ["xxxx", "x"] and e.scrollback == ["xxxx"]


def test_decaln_fills_with_e_and_resets_margins() -> None:
    e = feed(emu(3, 2), "\x1b[2;2r\x1b#8")
    assert rows(e) == ["EEE", "EEE"] and e.cursor == (0, 0) and e.bottom == 1


# -- cursor motion -------------------------------------------------------------------
def test_cursor_movement_and_clamping() -> None:
    e = feed(emu(5, 5), cup(3, 3))
    assert e.cursor == (2, 2)
    feed(e, "\x1b[A")
    assert e.cursor == (2, 1)
    feed(e, "\x1b[9B")
    assert e.cursor == (2, 4)
    feed(e, "\x1b[2D")
    assert e.cursor == (0, 4)
    feed(e, "\x1b[9C")
    assert e.cursor == (4, 4)
    feed(e, "\x1b[2F")
    assert e.cursor == (0, 2)
    feed(e, "\x1b[3G\x1b[E")
    assert e.cursor == (0, 3)


def test_cup_defaults_and_huge_parameters() -> None:
    e = feed(emu(5, 5), "\x1b[3;3H\x1b[H")
    assert e.cursor == (0, 0)
    feed(e, "\x1b[99999;99999H")
    assert e.cursor == (4, 4)
    feed(e, "\x1b[0;0f")
    assert e.cursor == (0, 0)


def test_hpa_vpa_hpr_vpr() -> None:
    """HPA is CSI Pn ` (pyte maps it to ' by mistake); VPR CSI Pn e; HPR CSI Pn a."""
    e = feed(emu(9, 9), "\x1b[4`")
    assert e.cursor == (3, 0)
    feed(e, "\x1b[5d")
    assert e.cursor == (3, 4)
    feed(e, "\x1b[2a\x1b[3e")
    assert e.cursor == (5, 7)


def test_cub_from_a_pending_wrap_counts_from_the_last_column() -> None:
    e = feed(emu(5, 2), "abcde\x1b[D")
    assert e.cursor == (3, 0) and not e.pending


def test_backspace_stops_at_the_left_edge() -> None:
    e = feed(emu(), "a\b\b\b")
    assert e.cursor == (0, 0)


# -- tabs ----------------------------------------------------------------------------
def test_default_tab_stops_every_eight() -> None:
    e = feed(emu(20, 1), "\tx\ty")
    assert e.display[0].index("x") == 8 and e.display[0].index("y") == 16


def test_tab_stops_at_the_last_column() -> None:
    e = feed(emu(10, 1), "\t\t\t")
    assert e.cursor == (9, 0)


def test_hts_tbc_cht_cbt() -> None:
    e = feed(emu(20, 1), "\x1b[3g\x1b[4G\x1bH\x1b[10G\x1bH\x1b[1G\tx")
    assert e.cursor == (4, 0)
    feed(e, "\x1b[2I")
    assert e.cursor == (19, 0)
    feed(e, "\x1b[Z")
    assert e.cursor == (9, 0)
    feed(e, "\x1b[g\x1b[1G\t")
    assert e.cursor == (3, 0)


# -- save and restore ----------------------------------------------------------------
def test_decsc_decrc_restore_position_style_and_charset() -> None:
    e = feed(emu(), "\x1b[2;3H\x1b[1m\x1b(0\x1b7\x1b[m\x1b(B\x1b[H\x1b8q")
    assert e.cursor == (3, 1)
    assert rows(e)[1] == "  ─"
    assert e.style.attrs == 1


def test_decrc_without_save_homes() -> None:
    e = feed(emu(), "\x1b[3;3H\x1b8")
    assert e.cursor == (0, 0)


def test_scosc_scorc() -> None:
    e = feed(emu(), "\x1b[2;2H\x1b[s\x1b[H\x1b[u")
    assert e.cursor == (1, 1)


# -- character sets ------------------------------------------------------------------
def test_dec_special_graphics_in_g0() -> None:
    """ESC ( 0 draws lqqk as a box even in UTF-8 mode (pyte prints the letters)."""
    e = feed(emu(6, 1), "\x1b(0lqqk\x1b(Bq")
    assert rows(e)[0] == "┌──┐q"


def test_dec_special_graphics_through_shift_out() -> None:
    e = feed(emu(6, 1), "\x1b)0a\x0eqx\x0fq")
    assert rows(e)[0] == "a─│q"
