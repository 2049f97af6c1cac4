"""Find: matches over history and screen, across soft wraps; the find bar's keys."""

from __future__ import annotations

from typing import Any

from fakes import FakeHandle, frame, line
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.gui.find import FindBar, Match, compile_pattern, find_matches
from app.gui.view import TerminalView
from terminal.frames import Line, ScreenReplica


def replica_with(history: list[Line], screen: list[Line], columns: int = 10) -> ScreenReplica:
    r = ScreenReplica(columns, len(screen))
    r.apply(frame(screen, columns=columns, history_total=len(history), history_tail=history))
    return r


def test_matches_in_history_and_screen_oldest_first() -> None:
    r = replica_with([line("foo bar")], [line("bar foo"), line("Foo")])
    pattern = compile_pattern("foo", case_sensitive=False, regex=False)
    assert pattern is not None
    assert find_matches(r, pattern) == [Match(0, 0, 0, 3), Match(1, 4, 1, 7), Match(2, 0, 2, 3)]
    exact = compile_pattern("foo", case_sensitive=True, regex=False)
    assert exact is not None and len(find_matches(r, exact)) == 2


def test_regex_and_literal_patterns() -> None:
    r = replica_with([], [line("a1 b22 c333")], columns=12)
    regex = compile_pattern(r"\d+", case_sensitive=False, regex=True)
    assert regex is not None
    assert [(m.col, m.end_col) for m in find_matches(r, regex)] == [(1, 2), (4, 6), (8, 11)]
    literal = compile_pattern(r"\d+", case_sensitive=False, regex=False)
    assert literal is not None and find_matches(r, literal) == []
    assert compile_pattern("(", case_sensitive=False, regex=True) is None
    assert compile_pattern("", case_sensitive=False, regex=False) is None


def test_a_match_across_a_soft_wrap_covers_both_rows() -> None:
    r = replica_with([], [line("xxxxxxxhel", wrapped=True), line("lo world")])
    pattern = compile_pattern("hello", case_sensitive=False, regex=False)
    assert pattern is not None
    (match,) = find_matches(r, pattern)
    assert match == Match(0, 7, 1, 2)
    assert match.columns_on(0, 10) == (7, 10)
    assert match.columns_on(1, 10) == (0, 2)


def test_wide_characters_map_to_cells() -> None:
    r = replica_with([], [line("漢字 abc")])
    pattern = compile_pattern("abc", case_sensitive=False, regex=False)
    assert pattern is not None
    assert find_matches(r, pattern) == [Match(0, 5, 0, 8)]


def test_find_bar_keys(qtbot: Any) -> None:
    bar = FindBar()
    qtbot.addWidget(bar)
    events: list[str] = []
    bar.search.connect(lambda text, case, regex: events.append(f"search {text} {case} {regex}"))
    bar.next_requested.connect(lambda: events.append("next"))
    bar.previous_requested.connect(lambda: events.append("previous"))
    bar.closed.connect(lambda: events.append("closed"))
    bar.open_bar()
    QTest.keyClicks(bar.edit, "ab")
    QTest.keyClick(bar.edit, Qt.Key.Key_Return)
    QTest.keyClick(bar.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    QTest.keyClick(bar.edit, Qt.Key.Key_F3)
    bar.regex.setChecked(True)
    QTest.keyClick(bar.edit, Qt.Key.Key_Escape)
    assert events == [
        "search  False False", "search a False False", "search ab False False",
        "next", "previous", "next", "search ab False True", "closed",
    ]
    assert not bar.isVisible()


def test_view_find_next_previous_and_scrolls_to_the_match(qtbot: Any) -> None:
    history = [line(f"line {i}" + (" target" if i in (3, 50) else "")) for i in range(100)]
    handle = FakeHandle()
    view = TerminalView(handle)
    qtbot.addWidget(view)
    view.resize(400, 200)
    view.show()
    handle.send(frame(["target on screen", ""], history_total=100, history_tail=history))
    assert view.find("target") == 3
    assert view.current_match == 2  # the newest first
    view.find_previous()
    assert view.matches[view.current_match].line == 50
    rows = view.grid_size()[1]
    assert view.top_number() <= 50 < view.top_number() + rows
    view.find_previous()
    view.find_previous()
    assert view.current_match == 2  # wraps around
    view.find_next()
    assert view.current_match == 0
    view.show_find()  # the bar shows the query and searches again: newest first
    assert view.find_bar.edit.text() == "target" and view.current_match == 2
    view.setFocus()
    QTest.keyClick(view, Qt.Key.Key_F3)  # F3 in the terminal itself while the bar is open
    assert view.current_match == 0
    QTest.keyClick(view, Qt.Key.Key_F3, Qt.KeyboardModifier.ShiftModifier)
    assert view.current_match == 2
    assert handle.sent == b""


def test_matches_follow_new_output_while_the_bar_is_open(qtbot: Any) -> None:
    handle = FakeHandle()
    view = TerminalView(handle)
    qtbot.addWidget(view)
    view.resize(400, 200)
    view.show()
    handle.send(frame(["one x", ""]))
    view.find()
    QTest.keyClicks(view.find_bar.edit, "x")
    assert len(view.matches) == 1
    handle.send(frame(["one x", "two x"]))
    qtbot.waitUntil(lambda: len(view.matches) == 2)  # the find_refresh timer
    assert view.current_match == 0  # the current match stays put
