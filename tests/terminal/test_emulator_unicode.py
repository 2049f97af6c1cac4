"""Unicode: widths from wcwidth (terminal.unicode), wide characters wrapping at the last
column, zero-width characters riding on the previous cell."""

from __future__ import annotations

from terminal import Emulator


def emu(columns: int = 5, lines: int = 3) -> Emulator:
    return Emulator(columns, lines)


def feed(e: Emulator, text: str) -> Emulator:
    e.feed(text.encode())
    return e


def test_wide_characters_take_two_cells_and_appear_once() -> None:
    e = feed(emu(), "日本")
    assert e.display[0] == "日本 " and e.cursor == (4, 0)
    assert e.rows[0].to_line().cells() == 4


def test_wide_character_in_the_last_column_wraps_first() -> None:
    """pyte 0.8.2 writes half of it past the edge; xterm moves it to the next line."""
    e = feed(emu(), "abcd日")
    assert e.display[:2] == ["abcd ", "日   "]
    assert e.rows[0].wrapped


def test_overwriting_half_a_wide_character_blanks_the_other_half() -> None:
    e = feed(emu(), "日本\x1b[1;2Hx")
    assert e.display[0] == " x本 "
    e = feed(emu(), "日本\x1b[1;3Hy")
    assert e.display[0] == "日y  "


def test_combining_marks_attach_to_the_previous_cell() -> None:
    e = feed(emu(), "e\u0301x")
    assert e.display[0] == "e\u0301x   " and e.cursor == (2, 0)


def test_combining_mark_after_a_pending_wrap_joins_the_last_column() -> None:
    e = feed(emu(), "abcde\u0301")
    assert e.display[0] == "abcde\u0301" and e.pending


def test_zwj_sequence_is_one_cluster_and_never_truncates() -> None:
    """pyte 0.8.2 drops the rest of the chunk after a ZWJ or VS16."""
    family = "👨\u200d👩\u200d👧"
    e = feed(Emulator(10, 2), family + "ok")
    assert e.display[0].startswith(family + "ok")
    assert e.cursor == (4, 0)


def test_variation_selector_rides_on_its_base() -> None:
    e = feed(Emulator(10, 2), "❤\ufe0fok")
    assert e.display[0].startswith("❤\ufe0fok")


def test_zero_width_at_the_start_of_the_screen_is_dropped() -> None:
    e = feed(emu(), "\u0301a")
    assert e.display[0] == "a    "


def test_utf8_split_across_feeds() -> None:
    e = emu()
    data = "é日".encode()
    for i in range(len(data)):
        e.feed(data[i : i + 1])
    assert e.display[0] == "é日  "


def test_combining_stack_is_bounded() -> None:
    e = feed(emu(), "a" + "\u0301" * 10_000)
    assert len(e.display[0]) < 40


def test_cjk_lines_flood_into_history_with_the_right_wrap() -> None:
    e = feed(Emulator(5, 2, history=10), "".join("日本語\r\n" for _ in range(4)) + "end")
    assert e.scrollback == ["日本", "語", "日本", "語", "日本", "語", "日本"]
    assert e.display == ["語   ", "end  "]


def test_fast_width_classes_agree_with_char_width() -> None:
    """The flood path classifies runs with regexes built from wcwidth's tables; they must
    say what terminal.unicode.char_width says for every character of the BMP."""
    from terminal import _flood
    from terminal.unicode import char_width

    assert _flood._PATTERNS is not None
    zero, _, wide, _ = _flood._PATTERNS
    for cp in range(0xA0, 0x10000):
        if 0xD800 <= cp < 0xE000:
            continue
        ch = chr(cp)
        width = char_width(ch)
        assert bool(zero.match(ch)) == (width == 0), hex(cp)
        if width:
            assert bool(wide.match(ch)) == (width == 2), hex(cp)


def test_to_cells_matches_the_per_character_rules() -> None:
    from terminal._flood import _to_cells_slow, to_cells

    samples = ["abc", "日本語", "a日b", "e\u0301x", "\u0301a", "👨\u200d👩", "x\u200dy", "가각"]
    for text in samples:
        for before in (True, False):
            assert to_cells(text, False, before) == _to_cells_slow(text, False, before)
