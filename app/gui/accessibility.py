"""The terminal view as screen readers see it: its visible text through Qt accessibility.

Qt asks a factory for the ``QAccessibleInterface`` of each widget. ``install()`` adds one
that answers for any widget with an ``accessible_text()`` method (the terminal view):
``TerminalAccessible`` reports role ``Terminal``, the visible text as its value, and a
``QAccessibleTextInterface`` (text, character count, cursor offset, character rectangles)
so a screen reader can read by character, word and line.

PySide6 detail (decision 0007): the text interface is a *separate* Python object returned
from ``interface_cast``, not a second base class. A Python class deriving from both
``QAccessibleWidget`` and ``QAccessibleTextInterface`` gets two separate C++ objects, and
``interface_cast`` returning ``self`` hands C++ the widget's pointer, which C++ then
reads as a text interface (a crash). PySide6 6.12 cannot override ``selection()`` and
``attributes()`` (out-parameters), so those two answer "no selection, no attributes".
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QObject, QPoint, QRect
from PySide6.QtGui import (
    QAccessible,
    QAccessibleInterface,
    QAccessibleTextInterface,
    QAccessibleValueChangeEvent,
)
from PySide6.QtWidgets import QAccessibleWidget, QWidget


class AccessibleTerminal(Protocol):
    """What a widget provides to be read: its visible text and where things are."""

    def accessible_text(self) -> str: ...

    def accessible_cursor_offset(self) -> int: ...

    def accessible_character_rect(self, offset: int) -> QRect: ...

    def accessible_offset_at(self, point: QPoint) -> int: ...


class TerminalTextInterface(QAccessibleTextInterface):
    """Read-only text of the visible screen, one line per row joined by newlines."""

    def __init__(self, view: QWidget) -> None:
        super().__init__()
        self._view = view

    def _text(self) -> str:
        return self._view.accessible_text()  # type: ignore[attr-defined,no-any-return]

    def text(self, start: int, end: int) -> str:
        return self._text()[start:end]

    def characterCount(self) -> int:
        return len(self._text())

    def cursorPosition(self) -> int:
        return int(self._view.accessible_cursor_offset())  # type: ignore[attr-defined]

    def setCursorPosition(self, position: int) -> None:
        pass  # the program owns the cursor

    def selectionCount(self) -> int:
        return 0

    def addSelection(self, start: int, end: int) -> None:
        pass

    def removeSelection(self, index: int) -> None:
        pass

    def setSelection(self, index: int, start: int, end: int) -> None:
        pass

    def characterRect(self, offset: int) -> QRect:
        local = self._view.accessible_character_rect(offset)  # type: ignore[attr-defined]
        return QRect(self._view.mapToGlobal(local.topLeft()), local.size())

    def offsetAtPoint(self, point: QPoint) -> int:
        local = self._view.mapFromGlobal(point)
        return int(self._view.accessible_offset_at(local))  # type: ignore[attr-defined]

    def scrollToSubstring(self, start: int, end: int) -> None:
        pass


class TerminalAccessible(QAccessibleWidget):
    def __init__(self, view: QWidget) -> None:
        super().__init__(view, QAccessible.Role.Terminal)
        self._view = view
        self._text_interface = TerminalTextInterface(view)

    def text(self, kind: QAccessible.Text) -> str:
        if kind == QAccessible.Text.Value:
            return self._view.accessible_text()  # type: ignore[attr-defined,no-any-return]
        if kind == QAccessible.Text.Name and not self._view.accessibleName():
            return self._view.windowTitle() or "Terminal"
        return super().text(kind)

    def interface_cast(self, kind: QAccessible.InterfaceType) -> object:  # type: ignore[override]
        if kind == QAccessible.InterfaceType.TextInterface:
            return self._text_interface
        return super().interface_cast(kind)


def offset_of(rows: list[str], row: int, column: int) -> int:
    """The offset in the newline-joined ``rows`` of ``(row, column)``, clamped to text."""
    offset = sum(len(text) + 1 for text in rows[: max(row, 0)])
    current = rows[row] if 0 <= row < len(rows) else ""
    return offset + min(max(column, 0), len(current))


def cell_of(rows: list[str], offset: int) -> tuple[int, int] | None:
    """The ``(row, column)`` of ``offset`` in the newline-joined ``rows``."""
    for row, text in enumerate(rows):
        if offset <= len(text):
            return row, offset
        offset -= len(text) + 1
    return None


_installed = False


def _factory(key: str, obj: QObject) -> QAccessibleInterface | None:
    if isinstance(obj, QWidget) and hasattr(obj, "accessible_text"):
        return TerminalAccessible(obj)
    return None


def install() -> None:
    """Install the factory (once per process; later calls do nothing)."""
    global _installed
    if not _installed:
        QAccessible.installFactory(_factory)
        _installed = True


def notify_text_changed(view: QWidget) -> None:
    """Tell assistive technology that the visible text changed (when any is listening)."""
    if QAccessible.isActive():
        event = QAccessibleValueChangeEvent(view, view.accessible_text())  # type: ignore[attr-defined]
        QAccessible.updateAccessibility(event)


