"""Modes: the alternate screen, cursor and keypad modes, autowrap, insert, origin, mouse,
bracketed paste, synchronized output. Behaviour per xterm's ctlseqs ("Set Mode", "DEC
Private Mode Set")."""

from __future__ import annotations

from terminal import Emulator


def emu(columns: int = 5, lines: int = 5, **kwargs: object) -> Emulator:
    return Emulator(columns, lines, **kwargs)  # type: ignore[arg-type]


def feed(e: Emulator, text: str) -> Emulator:
    e.feed(text.encode())
    return e


def rows(e: Emulator) -> list[str]:
    return [row.rstrip() for row in e.display]


# -- alternate screen ----------------------------------------------------------------
def test_1049_switches_saves_cursor_and_restores_primary_exactly() -> None:
    e = feed(emu(), "ab\r\ncd")
    feed(e, "\x1b[?1049h")
    assert rows(e) == [""] * 5 and e.alternate
    assert 1049 in e.private_modes
    feed(e, "\x1b[3;3Hxyz")
    feed(e, "\x1b[?1049l")
    assert rows(e) == ["ab", "cd", "", "", ""]
    assert e.cursor == (2, 1)
    assert not e.alternate and 1049 not in e.private_modes


def test_alternate_screen_content_never_enters_scrollback() -> None:
    e = feed(emu(), "\x1b[?1049h" + "line\r\n" * 20)
    assert e.scrollback == []
    feed(e, "\x1b[?1049l")
    assert e.scrollback == []


def test_1049_clears_the_alternate_screen_on_entry() -> None:
    e = feed(emu(), "\x1b[?1049hjunk\x1b[?1049l\x1b[?1049h")
    assert rows(e) == [""] * 5


def test_47_switches_without_clearing_or_saving() -> None:
    """Mode 47 only switches buffers (xterm keeps the alternate content)."""
    e = feed(emu(), "\x1b[?47hold\x1b[?47l\x1b[?47h")
    assert rows(e)[0] == "old"


def test_1047_clears_alternate_when_leaving() -> None:
    e = feed(emu(), "\x1b[?1047hold\x1b[?1047l\x1b[?47h")
    assert rows(e)[0] == ""


def test_1048_saves_and_restores_the_cursor() -> None:
    e = feed(emu(), "\x1b[2;3H\x1b[?1048h\x1b[5;5H\x1b[?1048l")
    assert e.cursor == (2, 1)


def test_decrqm_reports_the_alternate_screen() -> None:
    replies: list[bytes] = []
    e = emu(on_reply=replies.append)
    feed(e, "\x1b[?1049h\x1b[?1049$p")
    assert replies == [b"\x1b[?1049;1$y"]


# -- keyboard modes ------------------------------------------------------------------
def test_decckm_and_keypad_modes_are_exposed() -> None:
    """DECKPAM (ESC =) is reported as private mode 66 (DECNKM), DECKPNM (ESC >) clears it."""
    e = feed(emu(), "\x1b[?1h\x1b=")
    assert {1, 66} <= e.private_modes
    feed(e, "\x1b[?1l\x1b>")
    assert not {1, 66} & e.private_modes


def test_bracketed_paste_and_focus_modes() -> None:
    e = feed(emu(), "\x1b[?2004h\x1b[?1004h")
    assert {1004, 2004} <= e.private_modes
    feed(e, "\x1b[?2004l")
    assert 2004 not in e.private_modes


def test_mouse_tracking_modes_are_exclusive_and_encodings_kept() -> None:
    e = feed(emu(), "\x1b[?1000h\x1b[?1002h\x1b[?1006h")
    assert 1002 in e.private_modes and 1000 not in e.private_modes
    assert 1006 in e.private_modes
    feed(e, "\x1b[?1003h\x1b[?1015h")
    assert {1003, 1015} <= e.private_modes
    assert not {1000, 1002, 1006} & e.private_modes


def test_pyte_shifted_mode_numbers_are_not_used() -> None:
    e = feed(emu(), "\x1b[?25l")
    assert 25 not in e.private_modes and (25 << 5) not in e.private_modes


def test_unknown_private_mode_is_ignored() -> None:
    e = feed(emu(), "\x1b[?31337h")
    assert 31337 not in e.private_modes


# -- autowrap, insert, newline -------------------------------------------------------
def test_autowrap_off_overwrites_the_last_column() -> None:
    e = feed(emu(), "\x1b[?7labcdefg")
    assert rows(e)[0] == "abcdg" and e.cursor == (4, 0)
    assert rows(e)[1] == ""


def test_autowrap_on_wraps_with_a_pending_cursor() -> None:
    """After printing in the last column the cursor stays there until the next printable."""
    e = feed(emu(), "abcde")
    assert e.cursor == (4, 0) and e.pending
    feed(e, "f")
    assert rows(e)[:2] == ["abcde", "f"] and e.cursor == (1, 1)


def test_insert_mode_shifts_text_right() -> None:
    e = feed(emu(), "abcd\r\x1b[4hXY")
    assert rows(e)[0] == "XYabc"
    assert 4 in e.ansi_modes
    feed(e, "\x1b[4l")
    assert 4 not in e.ansi_modes


def test_linefeed_newline_mode_returns_the_carriage() -> None:
    e = feed(emu(), "\x1b[20hab\ncd")
    assert rows(e)[:2] == ["ab", "cd"]
    feed(e, "\x1b[20l\nef")
    assert rows(e)[2] == "  ef"


# -- origin mode ---------------------------------------------------------------------
def test_origin_mode_addresses_relative_to_the_margins() -> None:
    e = feed(emu(), "\x1b[2;4r\x1b[?6h\x1b[1;1HX\x1b[9;1HY")
    assert rows(e)[1] == "X"
    assert rows(e)[3] == "Y"  # clamped to the bottom margin


def test_origin_mode_set_homes_the_cursor_to_the_margin() -> None:
    e = feed(emu(), "\x1b[5;5H\x1b[3;4r\x1b[?6h")
    assert e.cursor == (0, 2)


# -- cursor visibility and shape -----------------------------------------------------
def test_dectcem_and_decscusr_reach_the_frame() -> None:
    e = feed(emu(), "\x1b[?25l\x1b[5 q")
    cursor = e.take_frame().cursor
    assert not cursor.visible and cursor.shape == 5
    feed(e, "\x1b[?25h\x1b[0 q")
    cursor = e.take_frame().cursor
    assert cursor.visible and cursor.shape == 0


def test_decscusr_out_of_range_is_ignored() -> None:
    e = feed(emu(), "\x1b[2 q\x1b[9 q")
    assert e.cursor_shape == 2


# -- synchronized output -------------------------------------------------------------
class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_synchronized_output_holds_frames_until_reset() -> None:
    clock = FakeClock()
    e = emu(clock=clock)
    e.take_frame()
    feed(e, "\x1b[?2026hhello")
    held = e.take_frame()
    assert held.lines == {} and e.synchronized
    feed(e, "\x1b[?2026l")
    frame = e.take_frame()
    assert frame.lines[0].text == "hello"


def test_synchronized_output_times_out() -> None:
    clock = FakeClock()
    e = emu(clock=clock, sync_timeout=0.5)
    e.take_frame()
    feed(e, "\x1b[?2026hhi")
    assert e.take_frame().lines == {}
    clock.now += 0.6
    assert e.take_frame().lines[0].text == "hi"


def test_soft_reset_restores_modes_but_keeps_the_screen() -> None:
    """DECSTR (CSI ! p): DECTCEM on, IRM and DECOM off, margins reset, SGR normal."""
    e = feed(emu(), "text\x1b[?25l\x1b[4h\x1b[2;3r\x1b[?6h\x1b[1m\x1b[!p")
    assert 25 in e.private_modes and 4 not in e.ansi_modes and 6 not in e.private_modes
    assert (e.top, e.bottom) == (0, 4)
    assert e.sid == 0
    assert rows(e)[0] == "text"


def test_ris_resets_everything_but_scrollback() -> None:
    e = feed(emu(), "a\r\nb\r\nc\r\nd\r\ne\r\nf\x1b]2;t\x07\x1b[?1049h\x1b[?1h\x1bc")
    assert rows(e) == [""] * 5 and e.title == "" and not e.alternate
    assert 1 not in e.private_modes
    assert e.scrollback == ["a"]
