"""Scrolling and margins: IND/RI/NEL, LF at the bottom, SU/SD, DECSTBM, DECLRMM/DECSLRM
and every editing control inside left/right margins. Per xterm's ctlseqs."""

from __future__ import annotations

from terminal import Emulator


def emu(columns: int = 5, lines: int = 4, history: int = 100) -> Emulator:
    return Emulator(columns, lines, history=history)


def feed(e: Emulator, text: str) -> Emulator:
    e.feed(text.encode())
    return e


def rows(e: Emulator) -> list[str]:
    return [row.rstrip() for row in e.display]


def fill(e: Emulator, *lines: str) -> Emulator:
    """Write ``lines`` on rows 1.. with CUP, no scrolling."""
    for i, line in enumerate(lines):
        feed(e, f"\x1b[{i + 1};1H{line}")
    return e


def set_margins(top: int, bottom: int) -> str:
    return f"\x1b[{top};{bottom}r"


def set_lr_margins(left: int, right: int) -> str:
    return f"\x1b[?69h\x1b[{left};{right}s"


# -- index family --------------------------------------------------------------------
def test_lf_at_the_bottom_scrolls_into_history() -> None:
    e = feed(emu(), "1\r\n2\r\n3\r\n4\r\n5")
    assert rows(e) == ["2", "3", "4", "5"] and e.scrollback == ["1"]


def test_ind_ri_nel() -> None:
    e = fill(emu(), "a", "b", "c", "d")
    feed(e, "\x1b[4;3H\x1bD")
    assert rows(e) == ["b", "c", "d", ""] and e.cursor == (2, 3)
    feed(e, "\x1b[1;3H\x1bM")
    assert rows(e) == ["", "b", "c", "d"]
    feed(e, "\x1b[2;3H\x1bE")
    assert e.cursor == (0, 2)


def test_su_and_sd_scroll_without_moving_the_cursor() -> None:
    e = fill(emu(), "a", "b", "c", "d")
    feed(e, "\x1b[2;2H\x1b[2S")
    assert rows(e) == ["c", "d", "", ""] and e.cursor == (1, 1)
    assert e.scrollback == ["a", "b"]
    feed(e, "\x1b[T")
    assert rows(e) == ["", "c", "d", ""]


def test_sd_with_five_parameters_is_mouse_tracking_not_scroll() -> None:
    e = fill(emu(), "a")
    feed(e, "\x1b[1;2;3;4;5T")
    assert rows(e)[0] == "a"


# -- DECSTBM -------------------------------------------------------------------------
def test_region_scroll_keeps_lines_outside_and_out_of_history() -> None:
    """Only lines leaving a region that starts at the top row enter history."""
    e = fill(emu(), "top", "r1", "r2", "bot")
    feed(e, set_margins(2, 3) + "\x1b[3;1H\n\n")
    assert rows(e) == ["top", "", "", "bot"]
    assert e.scrollback == []


def test_region_from_the_top_row_feeds_history() -> None:
    e = fill(emu(), "a", "b", "c", "st")
    feed(e, set_margins(1, 3) + "\x1b[3;1H\n")
    assert rows(e) == ["b", "c", "", "st"]
    assert e.scrollback == ["a"]


def test_flood_inside_a_region_matches_line_by_line_output() -> None:
    e = fill(emu(), "head", "", "", "foot")
    feed(e, set_margins(2, 3) + "\x1b[3;1H" + "".join(f"l{i}\r\n" for i in range(9)) + "x")
    assert rows(e) == ["head", "l8", "x", "foot"] and e.scrollback == []


def test_decstbm_rejects_an_empty_region_and_homes() -> None:
    e = feed(emu(), "\x1b[3;3H" + set_margins(3, 2))
    assert (e.top, e.bottom) == (0, 3) and e.cursor == (2, 2)
    feed(e, set_margins(2, 3))
    assert (e.top, e.bottom) == (1, 2) and e.cursor == (0, 0)


def test_il_dl_outside_the_region_do_nothing() -> None:
    e = fill(emu(), "a", "b", "c", "d")
    feed(e, set_margins(2, 3) + "\x1b[4;1H\x1b[L\x1b[1;1H\x1b[M")
    assert rows(e) == ["a", "b", "c", "d"]


def test_il_inside_the_region_pushes_lines_off_its_bottom() -> None:
    e = fill(emu(), "a", "b", "c", "d")
    feed(e, set_margins(2, 3) + "\x1b[2;1H\x1b[L")
    assert rows(e) == ["a", "", "b", "d"]


def test_cursor_up_down_stop_at_margins() -> None:
    """CUU stops at the top margin when starting at or below it, CUD at the bottom margin
    when starting at or above it (xterm's CursorUp/CursorDown)."""
    e = feed(emu(), set_margins(2, 3) + "\x1b[2;1H\x1b[9A")
    assert e.cursor == (0, 1)
    feed(e, "\x1b[9B")
    assert e.cursor == (0, 2)
    feed(e, "\x1b[4;1H\x1b[9A")
    assert e.cursor == (0, 1)
    feed(e, "\x1b[1;1H\x1b[A")
    assert e.cursor == (0, 0)


# -- left/right margins --------------------------------------------------------------
def test_decslrm_needs_declrmm() -> None:
    """Without DECLRMM, CSI s is SCOSC (save cursor), not DECSLRM."""
    e = feed(emu(), "\x1b[2;4s")
    assert (e.left, e.right) == (0, 4)
    feed(e, set_lr_margins(2, 4))
    assert (e.left, e.right) == (1, 3) and e.cursor == (0, 0)


def test_text_wraps_at_the_right_margin_to_the_left_margin() -> None:
    e = feed(emu(), set_lr_margins(2, 4) + "\x1b[1;2Habcdef")
    assert rows(e)[:2] == [" abc", " def"]


def test_ich_dch_stay_inside_the_margins() -> None:
    e = fill(emu(), "abcde")
    feed(e, set_lr_margins(2, 4) + "\x1b[1;2H\x1b[@")
    assert rows(e)[0] == "a bce"
    feed(e, "\x1b[1;2H\x1b[2P")
    assert rows(e)[0] == "ac  e"


def test_scroll_up_inside_left_right_margins() -> None:
    e = fill(emu(), "abcde", "fghij", "klmno", "pqrst")
    feed(e, set_lr_margins(2, 4) + "\x1b[S")
    assert rows(e) == ["aghie", "flmnj", "kqrso", "p   t"]
    assert e.scrollback == []


def test_il_dl_inside_left_right_margins() -> None:
    e = fill(emu(), "abcde", "fghij", "klmno", "pqrst")
    feed(e, set_lr_margins(2, 4) + "\x1b[2;2H\x1b[L")
    assert rows(e) == ["abcde", "f   j", "kghio", "plmnt"]
    feed(e, "\x1b[2;2H\x1b[M")
    assert rows(e) == ["abcde", "fghij", "klmno", "p   t"]


def test_lf_at_bottom_with_lr_margins_scrolls_only_the_block() -> None:
    e = fill(emu(), "abcde", "fghij", "klmno", "pqrst")
    feed(e, set_lr_margins(2, 4) + "\x1b[4;2H\n")
    assert rows(e) == ["aghie", "flmnj", "kqrso", "p   t"]


def test_cr_goes_to_the_left_margin() -> None:
    e = feed(emu(), set_lr_margins(2, 4) + "\x1b[1;3H\rX")
    assert rows(e)[0] == " X"


def test_resetting_declrmm_restores_full_width() -> None:
    e = feed(emu(), set_lr_margins(2, 4) + "\x1b[?69l")
    assert (e.left, e.right) == (0, 4)
