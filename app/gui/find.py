"""Find in the terminal: a matcher over history and screen, and the bar that drives it.

``find_matches`` searches every line the replica holds (history it keeps plus the
screen). Soft-wrapped rows are joined into one logical line first, so a word broken by
the right margin is still found; a match is reported as cell ranges on each row it
touches. ``FindBar`` is the small widget shown at the top of the view (Ctrl+Shift+F):
live search as you type, Enter/Shift+Enter and F3/Shift+F3 for next/previous, case and
regex options, a match count. The view owns the matches and paints them.

History older than the replica holds is searched by the session's backend when it has
one (``older``: the worker's store, by plain substring); those hits arrive later and join
the matches in front, as they are older. Regex searches cover what the replica holds.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QLineEdit, QToolButton, QWidget

from app.gui.selection import index_columns
from terminal.frames import Line, ScreenReplica

MAX_MATCHES = 5000  # beyond this, highlighting costs more than it tells

# ``older(text, case_sensitive, reply)``: search history older than the replica holds and
# call ``reply`` with ``[(line number, line text), ...]`` (possibly later, possibly never).
OlderSearch = Callable[[str, bool, Callable[[list[tuple[int, str]]], None]], None]


@dataclass(frozen=True)
class Match:
    """One hit: from ``(line, col)`` to ``(end_line, end_col)`` (exclusive), in cells."""

    line: int
    col: int
    end_line: int
    end_col: int

    def columns_on(self, number: int, columns: int) -> tuple[int, int] | None:
        if not self.line <= number <= self.end_line:
            return None
        start = self.col if number == self.line else 0
        end = self.end_col if number == self.end_line else columns
        return (start, end) if end > start else None


def compile_pattern(text: str, *, case_sensitive: bool, regex: bool) -> re.Pattern[str] | None:
    """The pattern to search for, or ``None`` for an empty or invalid one."""
    if not text:
        return None
    flags = 0 if case_sensitive else re.IGNORECASE
    try:
        return re.compile(text if regex else re.escape(text), flags)
    except re.error:
        return None


def _logical_lines(replica: ScreenReplica) -> Iterator[list[tuple[int, Line]]]:
    group: list[tuple[int, Line]] = []
    # Walked in order rather than by number: indexing the history deque is not O(1).
    numbered = enumerate(itertools.chain(replica.history, replica.lines),
                         start=replica.first_held_number)
    for number, line in numbered:
        group.append((number, line))
        if not line.wrapped:
            yield group
            group = []
    if group:
        yield group


def find_matches(replica: ScreenReplica, pattern: re.Pattern[str]) -> list[Match]:
    """Every match of ``pattern`` in what the replica holds, oldest first."""
    matches: list[Match] = []
    columns = replica.columns
    for group in _logical_lines(replica):
        # Each row is padded to the full width when it wraps, so cell positions follow.
        texts, offsets = [], []
        position = 0
        for _, line in group:
            text = line.text
            if line.wrapped:
                text += " " * max(columns - line.cells(), 0)
            texts.append(text)
            offsets.append(position)
            position += len(text)
        joined = "".join(texts)
        if not joined.strip():
            continue
        maps = [index_columns(t) for t in texts]
        for m in pattern.finditer(joined):
            if m.end() == m.start():
                continue
            start = _locate(m.start(), offsets, maps, group)
            end = _locate(m.end(), offsets, maps, group, end=True)
            matches.append(Match(start[0], start[1], end[0], end[1]))
            if len(matches) >= MAX_MATCHES:
                return matches
    return matches


def _locate(
    index: int,
    offsets: list[int],
    maps: list[list[int]],
    group: list[tuple[int, Line]],
    *,
    end: bool = False,
) -> tuple[int, int]:
    row = 0
    for i, offset in enumerate(offsets):
        # A start belongs to the row it begins; an (exclusive) end to the row before it.
        if offset < index or (offset == index and not end):
            row = i
    local = index - offsets[row]
    cols = maps[row]
    return group[row][0], cols[min(local, len(cols) - 1)]


class FindBar(QWidget):
    """The find bar. Emits ``search`` when the query or an option changes."""

    search = Signal(str, bool, bool)  # text, case_sensitive, regex
    next_requested = Signal()
    previous_requested = Signal()
    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("find-bar")
        self.setAutoFillBackground(True)
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText(self.tr("Find"))
        self.edit.setClearButtonEnabled(True)
        self.case = QCheckBox(self.tr("Aa"), self)
        self.case.setToolTip(self.tr("Match case"))
        self.regex = QCheckBox(self.tr(".*"), self)
        self.regex.setToolTip(self.tr("Regular expression"))
        self.count = QLabel(self)
        previous = QToolButton(self)
        previous.setText("↑")
        previous.setToolTip(self.tr("Previous match (Shift+Enter)"))
        following = QToolButton(self)
        following.setText("↓")
        following.setToolTip(self.tr("Next match (Enter)"))
        close = QToolButton(self)
        close.setText("✕")
        close.setToolTip(self.tr("Close (Escape)"))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        for widget in (self.edit, self.case, self.regex, self.count, previous, following, close):
            layout.addWidget(widget)
        self.edit.textChanged.connect(self._changed)
        self.case.toggled.connect(self._changed)
        self.regex.toggled.connect(self._changed)
        previous.clicked.connect(self.previous_requested)
        following.clicked.connect(self.next_requested)
        close.clicked.connect(self.close_bar)
        self.edit.installEventFilter(self)

    def _changed(self) -> None:
        self.search.emit(self.edit.text(), self.case.isChecked(), self.regex.isChecked())

    def set_query(self, text: str, case_sensitive: bool, regex: bool) -> None:
        """Show a query searched for by other means, without searching again."""
        for widget in (self.edit, self.case, self.regex):
            widget.blockSignals(True)
        self.edit.setText(text)
        self.case.setChecked(case_sensitive)
        self.regex.setChecked(regex)
        for widget in (self.edit, self.case, self.regex):
            widget.blockSignals(False)

    def open_bar(self, text: str = "") -> None:
        if text:
            self.edit.setText(text)
        self.show()
        self.raise_()
        self.edit.setFocus()
        self.edit.selectAll()
        self._changed()

    def close_bar(self) -> None:
        self.hide()
        self.closed.emit()

    def set_count(self, current: int | None, total: int, valid: bool = True) -> None:
        if not valid:
            self.count.setText(self.tr("bad pattern"))
        elif total == 0:
            self.count.setText(self.tr("no matches") if self.edit.text() else "")
        else:
            self.count.setText(f"{(current or 0) + 1}/{total}")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.edit and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key, shift = event.key(), bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_F3):
                (self.previous_requested if shift else self.next_requested).emit()
                return True
            if key == Qt.Key.Key_Escape:
                self.close_bar()
                return True
        return super().eventFilter(watched, event)


class FindController(QObject):
    """The matches of the current query over one replica, and which one is current.

    Drives a ``FindBar`` (its count) and tells the view what to show: ``changed`` when
    the highlights change, ``reveal`` with a ``Match`` the view should scroll to.
    """

    changed = Signal()
    reveal = Signal(object)

    def __init__(self, replica: ScreenReplica, bar: FindBar, parent: QObject | None = None,
                 *, older: OlderSearch | None = None):
        super().__init__(parent)
        self._replica = replica
        self._bar = bar
        self._older = older
        self._older_matches: list[Match] = []
        self.matches: list[Match] = []
        self.current: int | None = None
        self.query: tuple[str, bool, bool] = ("", False, False)
        bar.search.connect(self.search)
        bar.next_requested.connect(self.next)
        bar.previous_requested.connect(self.previous)

    @property
    def active(self) -> bool:
        return bool(self.query[0])

    def search(self, text: str, case_sensitive: bool = False, regex: bool = False) -> int:
        """Search anew and make the newest match current; returns the number found."""
        self.query = (text, case_sensitive, regex)
        self._bar.set_query(text, case_sensitive, regex)
        self._older_matches = []
        self.refresh(jump=True)
        if self._older is not None and text and not regex:
            query = self.query
            self._older(text, case_sensitive, lambda hits: self._on_older(query, hits))
        return len(self.matches)

    def _on_older(self, query: tuple[str, bool, bool], hits: list[tuple[int, str]]) -> None:
        """Hits from history the replica does not hold (they are older than all it has)."""
        if query != self.query:
            return  # an answer to an earlier query
        text, case_sensitive, _ = query
        pattern = compile_pattern(text, case_sensitive=case_sensitive, regex=False)
        first_held = self._replica.first_held_number
        older: list[Match] = []
        for number, line_text in sorted(hits):
            if number >= first_held or pattern is None:
                continue
            cols = index_columns(line_text)
            for m in pattern.finditer(line_text):
                older.append(Match(number, cols[m.start()], number, cols[m.end()]))
        self._older_matches = older
        self.refresh()

    def refresh(self, jump: bool = False) -> None:
        """Search again (the screen changed), keeping the current match when it is
        still there."""
        text, case_sensitive, regex = self.query
        pattern = compile_pattern(text, case_sensitive=case_sensitive, regex=regex)
        previous = self.matches[self.current] if self.current is not None else None
        held = find_matches(self._replica, pattern) if pattern else []
        first_held = self._replica.first_held_number
        self.matches = [m for m in self._older_matches if m.line < first_held] + held
        if not self.matches:
            self.current = None
        elif jump or previous not in self.matches:
            self.current = len(self.matches) - 1
        else:
            self.current = self.matches.index(previous)
        self._bar.set_count(self.current, len(self.matches), bool(pattern) or not text)
        if jump and self.current is not None:
            self.reveal.emit(self.matches[self.current])
        self.changed.emit()

    def next(self) -> None:
        self._step(1)

    def previous(self) -> None:
        self._step(-1)

    def _step(self, step: int) -> None:
        if not self.matches:
            return
        current = self.current if self.current is not None else -step
        self.current = (current + step) % len(self.matches)
        self._bar.set_count(self.current, len(self.matches))
        self.reveal.emit(self.matches[self.current])
        self.changed.emit()

    def clear(self) -> None:
        self.matches = []
        self._older_matches = []
        self.current = None
        self.query = ("", False, False)
        self.changed.emit()

    def on_line(self, number: int) -> list[tuple[int, Match]]:
        """``(index, match)`` for the matches touching line ``number``."""
        # Matches are in reading order: bisect to the first that could touch ``number``.
        index = bisect.bisect_left(self.matches, number, key=lambda m: m.end_line)
        found = []
        for i in range(index, len(self.matches)):
            match = self.matches[i]
            if match.line > number:
                break
            found.append((i, match))
        return found
