"""Selection over absolute line numbers and the text it copies (no Qt needed)."""

from __future__ import annotations

from app.gui.selection import (
    Mode,
    Selection,
    cell_slice,
    cells_of,
    cluster_at,
    expand,
    index_columns,
    line_selection,
    selected_text,
    word_selection,
    word_span,
)
from terminal.frames import Line

COLUMNS = 10
WORD_CHARS = "-_./"


def lines(*rows: str | tuple[str, bool]) -> dict[int, Line]:
    result = {}
    for number, row in enumerate(rows, start=100):  # absolute numbers, not 0
        text, wrapped = row if isinstance(row, tuple) else (row, False)
        result[number] = Line(((text, 0),) if text else (), wrapped)
    return result


def source(table: dict[int, Line]):  # type: ignore[no-untyped-def]
    return table.get


def test_cells_of_puts_wide_and_combining_characters_on_the_grid() -> None:
    clusters, columns = cells_of("a漢e\u0301b")
    assert clusters == ["a", "漢", "e\u0301", "b"]
    assert columns == [0, 1, 3, 4]
    assert index_columns("a漢e\u0301b") == [0, 1, 3, 3, 4, 5]


def test_cell_slice_counts_a_wide_character_where_it_starts() -> None:
    line = Line((("ab漢cd", 0),))
    assert cell_slice(line, 1, 4) == "b漢"
    assert cell_slice(line, 3, 5) == "c"


def test_character_selection_between_boundaries() -> None:
    table = lines("hello world")
    sel = Selection((100, 6), (100, 11))
    assert selected_text(sel, source(table), 11) == "world"
    backwards = Selection((100, 5), (100, 0))
    assert selected_text(backwards, source(table), 11) == "hello"


def test_soft_wraps_join_hard_newlines_stay_and_trailing_blanks_go() -> None:
    table = lines(("0123456789", True), "abc   ", "last")
    sel = Selection((100, 0), (102, 4))
    assert selected_text(sel, source(table), COLUMNS) == "0123456789abc\nlast"


def test_a_wrapped_line_that_broke_before_the_margin_keeps_its_blank() -> None:
    # "12345678 " + "x": the space at the margin is not in the runs but is real text.
    table = lines(("12345678", True), "x")
    sel = Selection((100, 0), (101, 1))
    assert selected_text(sel, source(table), 9) == "12345678 x"


def test_selection_spans_missing_lines_as_empty() -> None:
    table = lines("a", "b")
    sel = Selection((99, 0), (101, 1))
    assert selected_text(sel, source(table), COLUMNS) == "\na\nb"


def test_word_span_uses_the_configured_word_characters() -> None:
    line = Line((("cd /usr/lib-x ok", 0),))
    assert word_span(line, 5, WORD_CHARS) == (3, 13)
    assert word_span(line, 5, "") == (4, 7)
    assert word_span(line, 2, WORD_CHARS) == (2, 3)  # a blank is its own run


def test_double_click_selects_a_word_and_drag_extends_by_words() -> None:
    table = lines("one two three")
    sel = word_selection(source(table), (100, 5), "")
    assert selected_text(sel, source(table), 13) == "two"
    moved = expand(Selection(sel.anchor, (100, 9), Mode.WORDS, sel.anchor_span),
                   source(table), "", 13)
    assert selected_text(moved, source(table), 13) == "two three"
    back = expand(Selection(sel.anchor, (100, 1), Mode.WORDS, sel.anchor_span),
                  source(table), "", 13)
    assert selected_text(back, source(table), 13) == "one two"


def test_triple_click_selects_the_logical_line_across_soft_wraps() -> None:
    table = lines("before", ("0123456789", True), ("abcdefghij", True), "end", "after")
    sel = line_selection(source(table), 102, COLUMNS)
    assert selected_text(sel, source(table), COLUMNS) == "0123456789abcdefghijend"


def test_rectangle_selection_takes_the_same_columns_on_each_line() -> None:
    table = lines(("0123456789", True), "abcdefghij", "xy")
    sel = Selection((100, 2), (102, 5), Mode.BLOCK)
    assert selected_text(sel, source(table), COLUMNS) == "234\ncde\n"
    assert sel.columns_on(101, COLUMNS) == (2, 5)
    assert sel.columns_on(103, COLUMNS) is None


def test_columns_on_covers_full_middle_lines() -> None:
    sel = Selection((5, 3), (7, 2))
    assert sel.columns_on(5, COLUMNS) == (3, 10)
    assert sel.columns_on(6, COLUMNS) == (0, 10)
    assert sel.columns_on(7, COLUMNS) == (0, 2)
    assert sel.columns_on(8, COLUMNS) is None
    assert Selection((5, 3), (5, 3)).empty


def test_cluster_at_finds_what_starts_in_a_cell() -> None:
    line = Line((("a", 0), ("漢e\u0301", 3)))
    assert cluster_at(line, 0) == ("a", 1, 0)
    assert cluster_at(line, 1) == ("漢", 2, 3)
    assert cluster_at(line, 2) == (" ", 1, 0)  # the second half of the wide character
    assert cluster_at(line, 3) == ("e\u0301", 1, 3)
    assert cluster_at(line, 9) == (" ", 1, 0)
