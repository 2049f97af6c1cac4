"""Scrollback: bounded, compact, numbered; ED 3; resize pushes rows into history."""

from __future__ import annotations

import tracemalloc

from terminal import Emulator
from terminal.frames import Line


def feed(e: Emulator, text: str) -> Emulator:
    e.feed(text.encode())
    return e


def numbered(count: int) -> str:
    return "".join(f"line {i}\r\n" for i in range(count))


def test_default_history_is_ten_thousand_lines() -> None:
    e = feed(Emulator(20, 5), numbered(12_000))
    assert len(e.scrollback) == 10_000
    assert e.scrollback[0] == "line 1996" and e.history_total == 11_996


def test_history_limit_is_configurable_and_numbers_keep_counting() -> None:
    e = feed(Emulator(20, 3, history=5), numbered(50))
    assert e.scrollback == [f"line {i}" for i in range(43, 48)]
    assert e.history_total == 48
    frame = e.take_frame()
    assert frame.history_total == 48 and frame.history_size == 5


def test_history_lines_pages_by_absolute_number_into_the_screen() -> None:
    e = feed(Emulator(20, 3, history=5), numbered(50))
    got = e.history_lines(46, 4)
    assert [(n, line.text) for n, line in got] == [
        (46, "line 46"),
        (47, "line 47"),
        (48, "line 48"),
        (49, "line 49"),
    ]
    assert e.history_lines(0, 10) == []  # long gone


def test_history_keeps_styles_and_wrap_flags() -> None:
    e = feed(Emulator(4, 2), "\x1b[1mbold\x1b[0mnext\r\n\r\n\r\n")
    first, second = (line for _, line in e.history_lines(0, 2))
    assert e.styles[first.runs[0][1]].attrs == 1 and first.wrapped
    assert second == Line((("next", 0),))


def test_ed3_clears_history_but_not_the_numbering() -> None:
    e = feed(Emulator(10, 2), numbered(5) + "\x1b[3J")
    assert e.scrollback == [] and e.history_total == 4
    assert e.take_frame().history_size == 0


def test_shrinking_rows_moves_lines_above_the_cursor_into_history() -> None:
    """xterm keeps the cursor row on screen: rows above it scroll into history."""
    e = feed(Emulator(10, 5), "a\r\nb\r\nc\r\nd")
    e.resize(10, 2)
    assert [r.rstrip() for r in e.display] == ["c", "d"]
    assert e.scrollback == ["a", "b"] and e.cursor == (1, 1)


def test_shrinking_rows_drops_blank_rows_below_the_cursor_first() -> None:
    e = feed(Emulator(10, 5), "a\r\nb")
    e.resize(10, 3)
    assert [r.rstrip() for r in e.display] == ["a", "b", ""] and e.scrollback == []


def test_resize_keeps_text_and_does_not_reflow() -> None:
    e = feed(Emulator(6, 2), "abcdef")
    e.resize(3, 2)
    assert e.display == ["abc", "   "]
    e.resize(8, 3)
    assert e.display[0] == "abc     " and len(e.display) == 3


def test_resize_cuts_a_wide_character_at_the_new_edge() -> None:
    e = feed(Emulator(6, 1), "ab日")
    e.resize(3, 1)
    assert e.display == ["ab "]


def test_memory_stays_bounded_however_much_is_fed() -> None:
    e = Emulator(80, 24, history=1000)
    block = numbered(2000).encode()
    e.feed(block)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(5):
        e.feed(block)
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert len(e.scrollback) == 1000
    assert grown < 200_000


def test_styled_history_is_compact() -> None:
    """10,000 lines of 80 styled columns stay well under 4 MB (issue 4)."""
    line = "".join(f"\x1b[3{i % 8}mword{i:02d}  " for i in range(10)) + "\x1b[0m\r\n"
    tracemalloc.start()
    e = Emulator(80, 24, history=10_000)
    e.feed((line * 10_024).encode())
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert len(e.scrollback) == 10_000
    assert size < 4_000_000


def test_shrinking_while_the_alternate_screen_is_shown_keeps_the_primary_cursor() -> None:
    """The primary rows above its saved cursor go to history; leaving the alternate screen
    puts the cursor back on the same text."""
    e = feed(Emulator(10, 5), "a\r\nb\r\nc\r\nd\r\nprompt\x1b[?1049hfull screen")
    e.resize(10, 2)
    feed(e, "\x1b[?1049l")
    assert [r.rstrip() for r in e.display] == ["d", "prompt"]
    assert e.cursor == (6, 1)
    assert e.scrollback == ["a", "b", "c"]
