"""The flood fast path (terminal._flood) must give exactly what per-character replay gives.

Feeding one byte at a time never forms a block of several lines, so it always takes the
ordinary draw/CR/LF/SGR path: it is the reference the whole-chunk feed is checked against.
"""

from __future__ import annotations

from typing import Any

import pytest
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


STYLED_WORDS = [
    "ab", "cdefg", " ", "hij klm", "x" * 11,
    "\x1b[31m", "\x1b[1;4m", "\x1b[38;5;9m", "\x1b[44m", "\x1b[49m", "\x1b[48;2;1;2;3m",
    "\x1b[0m", "\x1b[m", "\x1b[7m", "\x1b[22m",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from(STYLED_WORDS), max_size=12),
            st.sampled_from(["\x1b[0m", "\x1b[m", "", "\x1b[0;1m", "\x1b[0mtail"]),
        ),
        min_size=1,
        max_size=30,
    ),
    st.integers(2, 12),
    st.integers(1, 5),
    st.sampled_from([4, 100]),
    st.booleans(),
    st.sampled_from(["", "tail", "日本語", "e\u0301x"]),
)
def test_styled_lines_scrolled_away_unseen_equal_replay(
    lines: list[tuple[list[str], str]], columns: int, rows: int, history: int, link: bool,
    last: str,
) -> None:
    """Styled lines a flood lays out unseen are kept as the program wrote them and
    resolved when read (terminal._lines.LAZY): wrapped, with backgrounds, inside a
    hyperlink (which SGR 0 keeps), what is read is what replay gives; and the line the
    cursor ends on (of any kind) still places it."""
    text = "".join("".join(words) + end + "\r\n" for words, end in lines) + last
    if link:
        text = "\x1b]8;;https://example.com\x1b\\" + text
    whole, bytewise = whole_and_bytewise(text.encode(), columns, rows, history)
    assert state(whole) == state(bytewise)


def truecolour_lines(count: int) -> bytes:
    return "".join(
        f"\x1b[38;2;{i % 256};{i // 256 % 256};7mline {i}\x1b[48;5;{i % 200}m bg\x1b[0m\r\n"
        for i in range(count)
    ).encode()


def test_styles_of_lines_nobody_reads_are_never_interned() -> None:
    """A flood of lines in new colours fills no style table while it scrolls away
    unseen; reading the history interns what it shows, and only that."""
    emu = Emulator(80, 24, history=1000)
    emu.feed(truecolour_lines(5000))
    assert len(emu.styles) < 100  # the last screenful's styles, not 10,000
    page = emu.history_lines(emu.history_total - 10, 10)
    assert [ln.text for _, ln in page] == [f"line {i} bg" for i in range(4967, 4977)]
    fg = emu.styles[page[0][1].runs[0][1]].fg
    assert emu.styles[page[0][1].runs[1][1]].bg != -1
    assert fg != -1 and len(emu.styles) < 130


def test_a_history_sink_is_only_ever_given_resolved_entries() -> None:
    """The worker's transcript listens to history: it never sees a lazy entry."""
    from terminal._lines import LAZY, entry_line

    emu = Emulator(80, 24, history=1000)
    got: list[str] = []
    emu.set_history_sink(lambda first, entries: got.extend(entries))
    emu.feed(truecolour_lines(500))
    assert len(got) == 477
    assert not any(entry.startswith(LAZY) for entry in got)
    assert entry_line(got[3]).text == "line 3 bg"


def test_a_lazy_entry_cannot_be_decoded_without_its_screen() -> None:
    import pytest

    from terminal._lines import LAZY, entry_line, entry_text

    emu = Emulator(80, 24, history=1000)
    emu.feed(truecolour_lines(100))
    lazy = emu.history.lines[40]
    assert lazy.startswith(LAZY)
    with pytest.raises(ValueError, match="resolved by its screen"):
        entry_line(lazy)
    with pytest.raises(ValueError, match="resolved by its screen"):
        entry_text(lazy)
    assert emu.scrollback[40] == "line 40 bg"


def test_unseen_wide_lines_at_the_margin_wrap_as_replay_does() -> None:
    """Lines that scroll away unseen keep their text when they fit (found without
    making cells); a line of wide characters one cell too long must still wrap."""
    lines = ["日" * 20, "日" * 21, "a" + "日" * 20, "e\u0301" * 40, "e\u0301" * 41, "本a" * 14]
    text = "".join(line + "\r\n" for line in lines * 4) + "end"
    whole, bytewise = whole_and_bytewise(text.encode(), 40, 4, 100)
    assert state(whole) == state(bytewise)
    assert whole.scrollback[:3] == ["日" * 20, "日" * 20, "日"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["plain text ", "x" * 30, "\r\n", "\r", "\n", "\r\n\n", " ", "é", "\x1b[1m"]
        ),
        max_size=40,
    ),
    st.lists(st.integers(1, 64), max_size=20),
)
def test_plain_chunks_fed_whole_equal_replay_however_they_are_cut(
    pieces: list[str], cuts: list[int]
) -> None:
    """A chunk of printable ASCII and CR LF pairs skips the token pattern (one block);
    chunks cut inside a CR LF, after an escape or a partial UTF-8 character do not."""
    data = "".join(pieces).encode()
    whole = Emulator(12, 4, history=50)
    pos = 0
    for size in cuts:
        whole.feed(data[pos : pos + size])
        pos += size
    whole.feed(data[pos:])
    bytewise = Emulator(12, 4, history=50)
    for i in range(len(data)):
        bytewise.feed(data[i : i + 1])
    assert state(whole) == state(bytewise)


def test_drawn_rows_of_wide_and_combining_text_put_their_cells_off_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 4 KiB read at 200x60 draws about a screenful that the next read scrolls away:
    rows of non-ASCII text in the default style scrolled in keep their text, and make
    their cells only when something reads or writes them; what they then hold is what
    replay gives."""
    import terminal._flood as flood

    made: list[str] = []
    real = flood.to_cells

    def counting(text: str, joining: bool = False, before: bool = True) -> Any:
        made.append(text)
        return real(text, joining, before)

    monkeypatch.setattr(flood, "to_cells", counting)
    text = "x\r\n" * 10 + "".join(f"日本{i} e\u0301 語\r\n" for i in range(5)) + "end"
    whole = Emulator(20, 8, history=100)
    whole.feed(text.encode())
    drawn = whole.rows[2:7]  # scrolled in fresh (rows drawn over in place make cells)
    assert [row.to_line().text for row in drawn] == [f"日本{i} e\u0301 語" for i in range(5)]
    assert made == []  # nothing cut into cells yet
    bytewise = Emulator(20, 8, history=100)
    for k in range(len(text.encode())):
        bytewise.feed(text.encode()[k : k + 1])
    assert state(whole) == state(bytewise)  # reads every cell: makes them
    assert len(made) == 5
    for e in (whole, bytewise):
        e.feed(b"\x1b[3;2HX\x1b[5;1H\x1b[1P")  # writes into two of those rows
    assert state(whole) == state(bytewise)


def test_a_last_wide_line_after_lazy_styled_lines_places_the_cursor() -> None:
    """Regression: the lazy branch reused the name of the index of the line whose width
    places the cursor, so a last non-ASCII line kept its text and the cursor went to
    column 1 instead of 6."""
    text = "".join(f"\x1b[31mred {i}\x1b[0m\r\n" for i in range(40)) + "日本語"
    whole, bytewise = whole_and_bytewise(text.encode(), 20, 5, 100)
    assert whole.cursor == (6, 4)
    assert state(whole) == state(bytewise)
