"""The terminal view against real programs on real PTYs (the issue's "done when" list).

Each test starts ``/bin/sh`` (or a small Python program) through the app shell's local
backend, drives the view with real key and mouse events, and reads the result back from
the view's replica, its grabbed image or the accessibility interface.
"""

from __future__ import annotations

import shutil
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from fakes import start_shell
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QAccessible, QColor, QGuiApplication, QWheelEvent
from PySide6.QtTest import QTest

from app.gui.view import TerminalView
from app.gui.view_settings import ViewSettings

pytestmark = pytest.mark.slow

TIMEOUT = 10000


class Terminal:
    """A view on a real session, with helpers named by intent."""

    def __init__(self, qtbot: Any, argv: list[str] | None = None, **settings: Any) -> None:
        self.qtbot = qtbot
        self.handle = start_shell(argv)
        self.opened: list[str] = []
        self.confirmed: list[str] = []
        self.view = TerminalView(
            self.handle,
            ViewSettings(**settings),
            open_url=self.opened.append,
            confirm_paste=lambda _parent, text: (self.confirmed.append(text) or True, False),
        )
        qtbot.addWidget(self.view)
        self.view.resize(640, 400)
        self.view.show()
        qtbot.waitExposed(self.view)
        self.view.setFocus()

    def screen(self) -> str:
        return "\n".join(row.rstrip() for row in self.view.replica.display())

    def wait_for(self, text: str, timeout: int = TIMEOUT) -> None:
        self.qtbot.waitUntil(lambda: text in self.screen(), timeout=timeout)

    def type(self, text: str) -> None:
        QTest.keyClicks(self.view, text)

    def enter(self) -> None:
        QTest.keyClick(self.view, Qt.Key.Key_Return)

    def run(self, command: str) -> None:
        self.view.send_input(command.encode() + b"\r")

    def cell_center(self, row: int, col: int) -> QPoint:
        m = self.view.painter.metrics
        area = self.view.contentsRect()
        return QPointF(area.left() + (col + 0.5) * m.width,
                       area.top() + (row + 0.5) * m.height).toPoint()

    def cell_edge(self, row: int, col: int) -> QPoint:
        m = self.view.painter.metrics
        area = self.view.contentsRect()
        return QPointF(area.left() + col * m.width + 1,
                       area.top() + (row + 0.5) * m.height).toPoint()

    def row_of(self, start: str) -> int:
        """The last screen row that starts with ``start`` (output, not the command)."""
        rows = self.view.replica.display()
        return max(i for i, row in enumerate(rows) if row.startswith(start))

    def close(self) -> None:
        self.handle.close()


@pytest.fixture
def term(qtbot: Any) -> Iterator[Terminal]:
    t = Terminal(qtbot)
    t.wait_for("$")
    yield t
    t.close()


def _python(qtbot: Any, script: str) -> Terminal:
    return Terminal(qtbot, [sys.executable, "-c", textwrap.dedent(script)])


def test_typing_echo_hello_shows_hello(term: Terminal) -> None:
    term.type("echo hello")
    term.enter()
    term.qtbot.waitUntil(
        lambda: any(row.rstrip() == "hello" for row in term.view.replica.display()),
        timeout=TIMEOUT,
    )


def test_resize_tells_the_session_and_shows_the_size(term: Terminal) -> None:
    term.view.resize(500, 300)
    columns, rows = term.view.grid_size()
    assert term.view.overlay_text() == f"{columns}×{rows}"
    term.run("stty size")
    term.wait_for(f"{rows} {columns}")


def _pixel(term: Terminal, row: int, col: int) -> QColor:
    image = term.view.grab().toImage()
    point = term.cell_center(row, col) * term.view.devicePixelRatioF()
    return image.pixelColor(point)


def test_sgr_red_and_truecolor_backgrounds_are_painted(term: Terminal) -> None:
    term.run(r"printf 'A\033[41m  \033[0mB\033[48;2;10;200;30m  \033[0mC\n'")
    term.wait_for("A  B  C")
    row = next(i for i, r in enumerate(term.view.replica.display()) if r.startswith("A  B"))
    red = term.view.palette_.indexed(1)
    assert _pixel(term, row, 1) == red
    assert _pixel(term, row, 2) == red
    assert _pixel(term, row, 4) == QColor(10, 200, 30)
    assert _pixel(term, row, 6) == term.view.palette_.background  # past the text


@pytest.mark.skipif(shutil.which("vim") is None, reason="vim is not installed")
def test_vim_enters_and_leaves_the_alternate_screen(term: Terminal) -> None:
    term.run("echo before-vim")
    term.wait_for("before-vim\n")
    term.run("vim -u NONE -N -i NONE")
    term.qtbot.waitUntil(lambda: term.view.replica.alternate, timeout=TIMEOUT)
    term.qtbot.waitUntil(lambda: "~" in term.screen(), timeout=TIMEOUT)
    assert "before-vim" not in term.screen()
    term.type(":q")
    term.enter()
    term.qtbot.waitUntil(lambda: not term.view.replica.alternate, timeout=TIMEOUT)
    term.wait_for("before-vim")


def _drag(term: Terminal, start: QPoint, end: QPoint, mods: Any = Qt.KeyboardModifier.NoModifier
          ) -> None:
    QTest.mousePress(term.view, Qt.MouseButton.LeftButton, mods, start)
    QTest.mouseMove(term.view, end)
    QTest.mouseRelease(term.view, Qt.MouseButton.LeftButton, mods, end)


def test_drag_double_and_triple_click_copy_the_right_text(term: Terminal) -> None:
    columns = term.view.grid_size()[0]
    long_word = "x" * (columns - 4) + "-WRAPPED"  # wraps onto the next row
    term.run(f"echo 'alpha beta-gamma delta'; echo {long_word}; echo after")
    term.wait_for("after\n")
    row = term.row_of("alpha beta")
    clipboard = QGuiApplication.clipboard()

    _drag(term, term.cell_edge(row, 6), term.cell_edge(row, 16))
    term.view.copy()
    assert clipboard.text() == "beta-gamma"

    QTest.qWait(QGuiApplication.styleHints().mouseDoubleClickInterval() + 50)
    QTest.mouseDClick(term.view, Qt.MouseButton.LeftButton, pos=term.cell_center(row, 8))
    term.view.copy()
    assert clipboard.text() == "beta-gamma"  # "-" is a word character by default

    QTest.qWait(QGuiApplication.styleHints().mouseDoubleClickInterval() + 50)
    wrapped_row = term.row_of("xxxx")
    assert term.view.replica.lines[wrapped_row].wrapped
    for _ in range(3):  # triple click: the whole logical line, across the soft wrap
        QTest.mouseClick(term.view, Qt.MouseButton.LeftButton, pos=term.cell_center(
            wrapped_row + 1, 1))
    term.view.copy()
    assert clipboard.text() == long_word

    QTest.qWait(QGuiApplication.styleHints().mouseDoubleClickInterval() + 50)
    _drag(term, term.cell_edge(row, 0), term.cell_edge(wrapped_row + 2, 5))
    term.view.copy()
    assert clipboard.text() == f"alpha beta-gamma delta\n{long_word}\nafter"


def test_paste_into_bracketed_paste_program_arrives_wrapped(term: Terminal) -> None:
    term.run(r"printf '\033[?2004h'; cat -v")
    term.qtbot.waitUntil(lambda: 2004 in term.view.replica.private_modes, timeout=TIMEOUT)
    term.view.paste_text("hi\x1b[201~there\n")
    term.wait_for("^[[200~hithere")
    assert term.confirmed == []  # no question: the program asked for bracketed paste


def test_multiline_paste_without_bracketed_paste_asks_first(term: Terminal) -> None:
    term.view.paste_text("echo one\necho two\n")
    assert term.confirmed == ["echo one\necho two\n"]
    term.wait_for("two\n$")


MOUSE_PROGRAM = r"""
    import os, sys, tty
    tty.setraw(0)
    os.write(1, b"\x1b[?1000h\x1b[?1006hready\r\n")
    seen = b""
    while seen.count(b"\x1b") < 3:
        seen += os.read(0, 100)
    os.write(1, repr(seen).encode().replace(b"\\x1b", b"ESC") + b"\r\n")
    os.read(0, 1)
"""


def test_mouse_reporting_delivers_sgr_reports(qtbot: Any) -> None:
    t = _python(qtbot, MOUSE_PROGRAM)
    try:
        t.wait_for("ready")
        t.qtbot.waitUntil(lambda: 1006 in t.view.replica.private_modes, timeout=TIMEOUT)
        QTest.mousePress(t.view, Qt.MouseButton.LeftButton, pos=t.cell_center(4, 2))
        QTest.mouseRelease(t.view, Qt.MouseButton.LeftButton, pos=t.cell_center(4, 2))
        QTest.mouseClick(t.view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier,
                         t.cell_center(5, 5))  # Shift: local, not reported
        _wheel(t.view, t.cell_center(1, 0), 120)
        t.wait_for("ESC[<0;3;5MESC[<0;3;5mESC[<64;1;2M")
        assert t.view.selection is None or t.view.selection.empty
    finally:
        t.close()


ALT_SCREEN_PROGRAM = r"""
    import os, tty
    tty.setraw(0)
    os.write(1, b"\x1b[?1049h\x1b[Halt-ready\r\n")
    seen = b""
    while seen.count(b"\x1b") < 6:
        seen += os.read(0, 100)
    os.write(1, repr(seen).encode().replace(b"\\x1b", b"ESC") + b"\r\n")
    os.read(0, 1)
"""


def _wheel(widget: Any, pos: QPoint, delta: int) -> None:
    event = QWheelEvent(QPointF(pos), QPointF(widget.mapToGlobal(pos)), QPoint(0, 0),
                        QPoint(0, delta), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QGuiApplication.sendEvent(widget, event)


def test_wheel_on_the_alternate_screen_sends_arrow_keys(qtbot: Any) -> None:
    t = _python(qtbot, ALT_SCREEN_PROGRAM)
    try:
        t.wait_for("alt-ready")
        assert t.view.replica.alternate
        _wheel(t.view, t.cell_center(2, 2), 120)  # up: three lines
        _wheel(t.view, t.cell_center(2, 2), -120)  # down
        t.wait_for("ESC[AESC[AESC[AESC[BESC[BESC[B")
    finally:
        t.close()


def test_find_highlights_every_match(term: Terminal) -> None:
    term.run("echo needle one; echo two needle; echo NEEDLE three")
    term.wait_for("NEEDLE three\n")
    term.view.show_find()
    term.view.find_bar.edit.setText("needle")  # live: no Enter needed
    # Three in the output, three in the echoed command line (one across its soft wrap).
    assert len(term.view.matches) == 6
    image = term.view.grab().toImage()
    background = term.view.palette_.background
    dpr = term.view.devicePixelRatioF()
    top = term.view.top_number()
    for match in term.view.matches:
        point = term.cell_center(match.line - top, match.col) * dpr
        assert image.pixelColor(point) != background, match
    term.view.find_bar.case.setChecked(True)
    assert len(term.view.matches) == 4


def test_links_open_through_the_seam(term: Terminal) -> None:
    term.run(r"printf 'see https://example.com/a?b=1 and \033]8;;https://emberterm.invalid/"
             r"doc\033\\the docs\033]8;;\033\\ here\n'")
    term.wait_for("the docs here")
    row = term.row_of("see https")
    ctrl = Qt.KeyboardModifier.ControlModifier
    QTest.mouseMove(term.view, term.cell_center(row, 8))
    QTest.mouseClick(term.view, Qt.MouseButton.LeftButton, ctrl, term.cell_center(row, 8))
    col = term.view.replica.display()[row].index("the docs")
    QTest.mouseClick(term.view, Qt.MouseButton.LeftButton, ctrl, term.cell_center(row, col + 2))
    QTest.mouseClick(term.view, Qt.MouseButton.LeftButton, pos=term.cell_center(row, 8))
    assert term.opened == ["https://example.com/a?b=1", "https://emberterm.invalid/doc"]


def test_accessible_text_is_readable(term: Terminal) -> None:
    term.run("echo screen-reader-check")
    term.wait_for("screen-reader-check\n")
    iface = QAccessible.queryAccessibleInterface(term.view)
    assert iface is not None
    assert iface.role() == QAccessible.Role.Terminal
    assert "screen-reader-check" in iface.text(QAccessible.Text.Value)
    text = iface.textInterface()
    assert text is not None
    whole = text.text(0, text.characterCount())
    assert "screen-reader-check" in whole
    assert whole == term.view.accessible_text()


def test_scrolled_up_reader_is_not_yanked_and_typing_returns(term: Terminal) -> None:
    term.run("for i in $(seq 1 80); do echo line$i; done")
    term.wait_for("line80\n")
    QTest.keyClick(term.view, Qt.Key.Key_PageUp, Qt.KeyboardModifier.ShiftModifier)
    top = term.view.top_number()
    assert not term.view.at_bottom
    first = term.view.line(top)
    term.run("echo more-output")  # programmatic write does not count as typing here
    term.view.scroll_to(top)
    term.wait_for("more-output\n")
    assert term.view.top_number() == top and term.view.line(top) == first
    term.type("x")
    assert term.view.at_bottom
