"""The flood fast path (terminal._flood) must give exactly what per-character replay gives.

Feeding one byte at a time never forms a block of several lines, so it always takes the
ordinary draw/CR/LF/SGR path: it is the reference the whole-chunk feed is checked against.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from terminal import Emulator
from terminal.frames import Line, Style

PIECES = [
    "abc", "hello world ", "x" * 17, "日本", "e\u0301", "\u200d", "👨\u200d👩", " ",
    "\x1b[31m", "\x1b[0m", "\x1b[1;4m", "\x1b[38;5;9m", "\x1b[44m", "\x1b[49m", "\x1b[m",
    "\r\n", "\r\n", "\r\n", "\r\n\r\n", "\n", "\r\n\n",
    "\x1b[3;4r", "\x1b[r", "\x1b[5;2H", "\x1b[K", "\x1b[?1049h", "\x1b[?1049l",
]  # fmt: skip


def resolved(e: Emulator, line: Line) -> tuple[object, ...]:
    """A line with style ids replaced by styles (ids depend on interning order)."""
    runs: tuple[tuple[str, Style], ...] = tuple((t, e.styles[s]) for t, s in line.runs)
    return (runs, line.wrapped, line.mark)


def state(e: Emulator) -> tuple[object, ...]:
    return (
        e.display,
        e.cursor,
        e.pending,
        e.scrollback,
        e.history_total,
        [resolved(e, row.to_line()) for row in e.rows],
        [resolved(e, line) for _, line in e.history_lines(0, e.history_total)],
    )


def whole_and_bytewise(
    data: bytes, columns: int, lines: int, history: int
) -> tuple[Emulator, Emulator]:
    whole = Emulator(columns, lines, history=history)
    whole.feed(data)
    bytewise = Emulator(columns, lines, history=history)
    for i in range(len(data)):
        bytewise.feed(data[i : i + 1])
    return whole, bytewise


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(PIECES), min_size=1, max_size=40),
    st.integers(2, 9),
    st.integers(1, 6),
    st.sampled_from([3, 100]),
)
def test_flood_equals_replay(pieces: list[str], columns: int, lines: int, history: int) -> None:
    whole, bytewise = whole_and_bytewise("".join(pieces).encode(), columns, lines, history)
    assert state(whole) == state(bytewise)


def test_flood_longer_than_history_keeps_only_the_newest() -> None:
    text = "".join(f"\x1b[3{i % 8}m{i}\x1b[0m\r\n" for i in range(1000))
    whole, bytewise = whole_and_bytewise(text.encode(), 6, 3, 50)
    assert state(whole) == state(bytewise)
    assert whole.scrollback[-1] == "997" and whole.history_total == 998


def test_flood_with_background_colour_fills_scrolled_in_rows() -> None:
    """BCE: a line feed that scrolls brings in a row in the current background."""
    text = "\x1b[44m" + "abcdefgh\r\n" * 6 + "\x1b[0m"
    whole, bytewise = whole_and_bytewise(text.encode(), 5, 3, 100)
    assert state(whole) == state(bytewise)
    assert whole.styles[whole.rows[-1].styles[-1]].bg == 4


def test_rows_a_flood_leaves_build_their_cells_only_when_something_writes_or_reads() -> None:
    """A flood's rows keep their text and Line until a write or a read needs the cells;
    what they then hold is what replaying byte by byte gives, in every style case."""
    text = (
        "".join(f"plain {i}\r\n" for i in range(8))  # default style, blank fill
        + "\x1b[44m" + "".join(f"blue {i}\r\n" for i in range(8))  # style == fill != 0
        + "\x1b[1m" + "".join(f"bold {i}\r\n" for i in range(8))  # style != fill
        + "\x1b[0m" + "x" * 23 + "\r\n" + "tail\r\n" + "end"  # wrapped rows
    )
    whole, bytewise = whole_and_bytewise(text.encode(), 10, 6, 100)

    def built(row: object) -> bool:
        try:
            object.__getattribute__(row, "chars")  # not Row.__getattr__, which builds
        except AttributeError:
            return False
        return True

    assert whole.history_total == 23
    assert not any(built(row) for row in whole.rows)
    assert state(whole) == state(bytewise)  # reads every cell: builds them
    assert all(built(row) for row in whole.rows)
    for e in (whole, bytewise):
        e.feed(b"\x1b[2;3HZZ\x1b[4;1H\x1b[2K\x1b[6;9Hq")  # writes over rows of the flood
    assert state(whole) == state(bytewise)


def test_rows_of_wide_and_combining_text_a_flood_leaves_are_lazy_too() -> None:
    text = "".join(f"日本{i}e\u0301 語\r\n" for i in range(12)) + "\x1b[44m" + "広い\r\n" * 3
    whole, bytewise = whole_and_bytewise(text.encode(), 9, 5, 100)
    unbuilt = 0
    for row in whole.rows:
        try:
            object.__getattribute__(row, "chars")
        except AttributeError:
            unbuilt += 1
    assert unbuilt >= 4
    assert state(whole) == state(bytewise)
    for e in (whole, bytewise):
        e.feed("\x1b[1;2H\u0301x\x1b[3;1H\x1b[1P".encode())  # marks, a write, a delete
    assert state(whole) == state(bytewise)


def test_lines_that_scroll_away_unseen_put_their_cells_off_and_lose_nothing() -> None:
    # Marks, wide characters, a mark run at the cell limit, a leading mark, ZWJ and an
    # astral character: some rows put their cells off, some cannot; from the top of an
    # empty screen the first rows are drawn over and then scroll away.
    words = ["e\u0301", "日本", "x" + "\u0301" * 31, "\u0301lead", "a\u200db", "𝕏", "plain"]
    text = "".join(f"{words[i % 7]} {i} {words[(i * 3) % 7]}\r\n" for i in range(40))
    for columns, lines in ((12, 5), (6, 3), (40, 10)):
        whole, bytewise = whole_and_bytewise(text.encode(), columns, lines, 100)
        assert state(whole) == state(bytewise)
